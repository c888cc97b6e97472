"""Per-sink cost of a build: render / write / finish, in ms per document, on the seeds and a corpus.

    python benchmarks/sinks.py [--seeds seeds] [--corpus DIR] [--repeat 1] [--sinks rdf,site]
                               [--profile SINK] [--jobs N] [--baseline CHECKOUT]

Documents are loaded once (the loader is not measured here), then every sink of
`datapkg.build.SINKS` runs as a build would run it, in order, into a scratch directory:
render() for each document, write() for each, then finish(). Figures are CPU seconds (best of
--repeat) of this process and its children (`dot`, worker processes of the site's finish), so
other load on the shared machine disturbs them less; `--wall` measures wall time instead.
Throughput is output triples (the RDF sink's count) per second of the step. The last lines
give pyoxigraph serialising the same triples as N-Triples from memory (the floor the corpus
target is measured against, issue 7) and each step's ratio to it.

With `--jobs N` the sinks get a process pool as a build gives them (`ctx.map`, used by the
site's actor pages) and use N threads where they have them (zip, hashing).
`--baseline CHECKOUT` also measures another checkout of datapkg (a directory holding its
`datapkg` package, e.g. a `git worktree` of an earlier commit) in a subprocess, alternating
with this one, and prints the per-sink speed-up of this tree over it.

`--profile rdf` prints a cProfile of that sink's render() over the corpus (top 25 by tottime).
`--pickled` also reports the pickled size of each rendered value (what a worker sends back).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import multiprocessing
import os
import pickle
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from datapkg.build import load_sinks
from datapkg.emit import BuildContext, BuildOptions
from datapkg.model import DocumentRecords
from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds

_TICK = os.sysconf("SC_CLK_TCK")


def _live_children_cpu() -> float:
    """CPU seconds of the live child processes (a long-lived `dot`, pool workers)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in kids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _TICK


def cpu() -> float:
    """CPU seconds of this process and of its children, live or waited for."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime + _live_children_cpu()


def load(seeds_dir: Path) -> tuple[Any, list[DocumentRecords], list[Any]]:
    seeds = open_seeds(seeds_dir)
    index, records = ActorIndex(), []
    for result in iter_documents(seeds):
        merge_actors(index, result)
        if result.records is None:
            raise SystemExit(f"{result.doc_id}: does not load: {result.problems[:3]}")
        records.append(result.records)
    return seeds, records, index.sorted()


def run_once(
    seeds: Any, records: list[DocumentRecords], actors: list[Any], args: argparse.Namespace
) -> tuple[dict[str, dict[str, float]], int, bytes]:
    """One build of every sink into a scratch directory; per sink: seconds per step."""
    clock, jobs, pickled, profile = (time.perf_counter if args.wall else cpu), args.jobs, args.pickled, args.profile
    scratch = Path(tempfile.mkdtemp(prefix="datapkg-sinks-"))
    try:
        ctx = BuildContext(
            dataset=seeds.dataset, seeds_root=seeds.root, out=scratch, options=BuildOptions(jobs=jobs, store=False)
        )
        if POOL is not None and hasattr(ctx, "mapper"):  # as a build does: finish work may use its workers
            ctx.mapper = lambda fn, items, chunksize: POOL.map(fn, items, chunksize=chunksize)
        sinks = [s for s in load_sinks(ctx) if s.name != "store"]
        figures: dict[str, dict[str, float]] = {s.name: {"render": 0.0, "write": 0.0, "finish": 0.0} for s in sinks}
        sizes: dict[str, int] = {s.name: 0 for s in sinks}
        profiler = cProfile.Profile() if profile else None
        # Reading /proc for the children's CPU costs ~0.1 ms: only where children work (dot for the
        # site's pages, pools in finish); other steps use this process's CPU time alone.
        own = time.perf_counter if args.wall else time.process_time
        clocks = {s.name: (clock if s.name == "site" else own) for s in sinks}
        for rec in records:
            ctx.documents.append(rec.document.id)
            for sink in sinks:
                tick = clocks[sink.name]
                t0 = tick()
                if profiler is not None and sink.name == profile:
                    profiler.enable()
                    out = sink.render(rec)
                    profiler.disable()
                else:
                    out = sink.render(rec)
                t1 = tick()
                if pickled:
                    sizes[sink.name] += len(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
                t2 = own()
                sink.write(out)
                figures[sink.name]["render"] += t1 - t0
                figures[sink.name]["write"] += own() - t2
        for sink in sinks:
            t0 = clock()
            if profiler is not None and sink.name == profile:
                profiler.enable()
                sink.finish(actors)
                profiler.disable()
            else:
                sink.finish(actors)
            figures[sink.name]["finish"] += clock() - t0
        for name, size in sizes.items():
            figures[name]["pickled"] = size
        triples = int(ctx.counts.get("rdf", {}).get("triples", 0))
        nt = next((scratch / "rdf").glob("*.nt")).read_bytes()
        report = b""
        if profiler is not None:
            buf = io.StringIO()
            pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(25)
            report = buf.getvalue().encode()
        return figures, triples, nt + b"\0" + report
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def best(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in runs[0]:
        out[name] = {k: min(r[name][k] for r in runs) for k in runs[0][name]}
    return out


def oxigraph_floor(nt: bytes, repeat: int) -> float:
    quads = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    took = float("inf")
    for _ in range(max(1, repeat)):
        t0 = time.process_time()
        ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES)
        took = min(took, time.process_time() - t0)
    return took


POOL: ProcessPoolExecutor | None = None  # the "build's workers", started before anything is loaded


def start_pool(jobs: int) -> None:
    """Fork the worker processes first, as a build does, so they do not inherit the loaded corpus."""
    global POOL
    if jobs > 1:
        POOL = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        list(POOL.map(abs, range(4 * jobs)))  # start every worker now


def measure(label: str, seeds_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    seeds, records, actors = load(seeds_dir)
    n = len(records)
    runs, triples, tail = [], 0, b""
    for _ in range(args.repeat):
        figures, triples, tail = run_once(seeds, records, actors, args)
        runs.append(figures)
    figures = best(runs)
    nt, _, report = tail.partition(b"\0")
    floor = oxigraph_floor(nt, args.repeat)
    show: Callable[[str], bool] = (lambda name: name in args.sinks) if args.sinks else (lambda name: True)
    print(f"\n{label}: {n} document(s), {len(actors):,} actors, {triples:,} triples ({triples / n:,.0f} per document)")
    cols = f"{'sink':15} {'render':>9} {'write':>9} {'finish':>9} {'total':>9}   ms/doc"
    if args.pickled:
        cols += f" {'pickled':>12}"
    print(cols + f" {'triples/s':>12}")
    total = 0.0
    for name, f in figures.items():
        step = f["render"] + f["write"] + f["finish"]
        total += step
        if not show(name):
            continue
        rate = f"{triples / step:12,.0f}" if step else f"{'':>12}"
        line = f"{name:15} {1e3 * f['render'] / n:9.2f} {1e3 * f['write'] / n:9.2f} {1e3 * f['finish'] / n:9.2f}"
        line += f" {1e3 * step / n:9.2f}        "
        if args.pickled:
            line += f" {f['pickled'] / n / 1024:9.1f} KiB"
        print(line + f" {rate}")
    print(f"{'all sinks':15} {'':>9} {'':>9} {'':>9} {1e3 * total / n:9.2f}         {triples / total:12,.0f} triples/s")
    print(f"pyoxigraph N-Triples floor: {1e3 * floor / n:.2f} ms/doc, {triples / floor:,.0f} triples/s")
    print(f"all sinks / floor: {total / floor:.1f}x (target of the whole build incl. loading: <= 5x)")
    if report:
        print(report.decode())
    return {"documents": n, "triples": triples, "sinks": figures, "floor_s": floor, "total_s": total}


STEPS = ("render", "write", "finish")


def compare(label: str, base: dict[str, Any], new: dict[str, Any]) -> None:
    """Per sink and step: the baseline's ms/doc, this tree's, and the speed-up."""
    n = new["documents"]
    print(f"\n{label}: this tree against the baseline (ms per document, speed-up = baseline / this)")
    print(f"{'sink':15} {'step':7} {'baseline':>9} {'this':>9} {'speed-up':>9}")
    totals = [0.0, 0.0]
    for name, steps in new["sinks"].items():
        old = base["sinks"].get(name, {})
        for step in STEPS:
            b, t = old.get(step, 0.0), steps[step]
            totals[0] += b
            totals[1] += t
            if max(b, t) * 1e3 / n >= 0.05:  # leave out steps that cost nothing either way
                ratio = f"{b / t:8.2f}x" if t else f"{'':>9}"
                print(f"{name:15} {step:7} {1e3 * b / n:9.2f} {1e3 * t / n:9.2f} {ratio}")
    b, t = totals
    print(f"{'all sinks':15} {'':7} {1e3 * b / n:9.2f} {1e3 * t / n:9.2f} {b / t:8.2f}x")
    triples = new["triples"]
    print(f"triples/s over all sinks: baseline {triples / b:,.0f}, this {triples / t:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--corpus", type=Path, help="a seeds directory made by benchmarks/make_corpus.py")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="BuildOptions.jobs given to the sinks")
    parser.add_argument("--sinks", type=lambda s: set(s.split(",")), help="only print these sinks")
    parser.add_argument("--profile", help="cProfile this sink's render() and finish()")
    parser.add_argument("--pickled", action="store_true", help="report the pickled size of rendered values")
    parser.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    parser.add_argument("--no-seeds", action="store_true", help="measure the corpus only")
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with (its datapkg package)")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # results for a --baseline run
    args = parser.parse_args()
    inputs = ([] if args.no_seeds else [("seeds", args.seeds)]) + (
        [(f"corpus {args.corpus}", args.corpus)] if args.corpus else []
    )
    start_pool(args.jobs)
    if args.baseline is None:
        results = {label: measure(label, path, args) for label, path in inputs}
        if args.json:
            args.json.write_text(json.dumps(results))
        return
    # Alternate the two trees, one run each per round, and keep the best of each.
    base_runs: list[dict[str, Any]] = []
    new_runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            argv = [sys.executable, __file__, "--seeds", str(args.seeds), "--jobs", str(args.jobs), "--json", out.name]
            argv += (["--corpus", str(args.corpus)] if args.corpus else []) + (["--no-seeds"] if args.no_seeds else [])
            argv += ["--wall"] if args.wall else []
            env = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
            print(f"baseline run ({args.baseline}):")
            subprocess.run(argv, check=True, env=env)
            base_runs.append(json.loads(Path(out.name).read_text()))
        print("this tree:")
        new_runs.append({label: measure(label, path, args) for label, path in inputs})
    for label, _ in inputs:
        compare(label, _best_result([r[label] for r in base_runs]), _best_result([r[label] for r in new_runs]))


def _best_result(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {**runs[0], "sinks": best([r["sinks"] for r in runs])}


if __name__ == "__main__":
    main()
