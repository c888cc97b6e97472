"""The RDF writer (datapkg.emit.rdf) against rdflib and pyoxigraph, on the same triples, in one run;
and the cost of the sink's finish() (the dataset graph) as the number of actors grows.

    python benchmarks/rdf_writer.py [--seeds seeds] [--corpus DIR] [--repeat 3]
                                    [--finish-actors 10000,130000] [--baseline CHECKOUT]

For each input: our render() (triples made from the records and written as sorted
N-Triples, N-Quads, Turtle and JSON-LD in one pass); pyoxigraph serialising the same triples
as N-Triples from Python objects in memory (the practical floor for Python tooling); rdflib
serialising them as N-Triples, Turtle and JSON-LD from a Graph already in memory (what a
writer built on rdflib would pay at least). Figures are CPU seconds (process time, so other
load on a shared machine disturbs them less), best of --repeat; throughput in triples/s and
ratios against pyoxigraph. rdflib is measured on the seeds only (it is far too slow for a corpus).

`--finish-actors` runs finish() after the seeds' documents with that many synthetic actors
(each in a fresh process): its CPU and wall time, and how far it raises the process's memory
(peak RSS during finish minus RSS before it), which should not grow with the number of actors.
`--baseline CHECKOUT` measures another checkout of datapkg too (a directory holding its
`datapkg` package, e.g. a `git worktree` of an earlier commit), in subprocesses, and prints
the speed-ups of this tree over it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from datapkg.emit import BuildContext
from datapkg.emit.rdf import RdfSink
from datapkg.model import Actor, ActorKind, DocumentRecords
from datapkg.seeds import iter_documents, open_seeds


def best_cpu(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def load(seeds_dir: Path, out: Path = Path("unused")) -> tuple[RdfSink, list[DocumentRecords]]:
    seeds = open_seeds(seeds_dir)
    records = [r.records for r in iter_documents(seeds) if r.records is not None]
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=out))
    return sink, records


def render_figures(seeds_dir: Path, repeat: int) -> dict[str, float]:
    """CPU seconds of render() over every document (best of `repeat`), results dropped as a worker does."""
    sink, records = load(seeds_dir)
    triples = sum(sink.render(r).triples for r in records)

    def run() -> None:
        for r in records:
            sink.render(r)

    return {"documents": len(records), "triples": triples, "render_s": best_cpu(run, repeat)}


def measure(label: str, seeds_dir: Path, repeat: int, with_rdflib: bool) -> dict[str, float]:
    import pyoxigraph as ox

    sink, records = load(seeds_dir)
    chunks = [sink.render(r) for r in records]
    triples = sum(c.triples for c in chunks)
    nt = b"".join(c.nt for c in chunks)
    del chunks
    ours = render_figures(seeds_dir, repeat)["render_s"]
    oxi_triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    oxi = best_cpu(lambda: ox.serialize(oxi_triples, format=ox.RdfFormat.N_TRIPLES), repeat)
    n = len(records)
    print(f"\n{label}: {n} document(s), {triples:,} triples")
    print(f"  {'datapkg render (nt+nq+ttl+jsonld)':40} {ours:8.3f} s {triples / ours:12,.0f} triples/s", end="")
    print(f" {1e3 * ours / n:8.2f} ms/doc")
    print(f"  {'pyoxigraph serialize (nt only)':40} {oxi:8.3f} s {triples / oxi:12,.0f} triples/s")
    print(f"  ratio datapkg / pyoxigraph: {ours / oxi:.1f}x (datapkg writes four syntaxes and sorts)")
    if with_rdflib:
        import rdflib

        graph = rdflib.Graph(bind_namespaces="none")
        graph.parse(data=nt, format="nt")
        for fmt in ("nt", "turtle", "json-ld"):
            took = best_cpu(lambda fmt=fmt: graph.serialize(format=fmt), max(1, repeat // 2))
            print(f"  {'rdflib serialize ' + fmt:40} {took:8.3f} s {triples / took:12,.0f} triples/s")
            print(f"  ratio rdflib {fmt} / datapkg (all four): {took / ours:.1f}x")
    return {"documents": n, "triples": triples, "render_s": ours}


# ---------------------------------------------------------------- finish with many actors

KINDS = list(ActorKind)


class SyntheticActors(Sequence[Actor]):
    """`n` actors sorted by id, made on access (as the build's ActorSequence unpickles them), with
    aliases, a description, a Wikidata id and memberships like the synthetic corpus's."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Actor:  # type: ignore[override]
        if not 0 <= i < self.n:
            raise IndexError(i)
        other = f"actor-{(i * 7919) % self.n:07d}"
        return Actor.model_construct(
            id=f"actor-{i:07d}",
            name=f"Actor number {i}",
            kind=KINDS[i % len(KINDS)],
            aliases=[f"Actor {i}", f"A. {i}’s group"],
            wikidata=f"Q{i + 1}" if i % 3 == 0 else None,
            description=f'The synthetic actor {i}, who "acts".' if i % 2 else None,
            part_of=[other] if i % 5 == 0 else [],
            member_of=[other] if i % 7 == 0 else [],
        )

    def __iter__(self) -> Iterator[Actor]:
        return (self[i] for i in range(self.n))


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def finish_figures(seeds_dir: Path, actors: int) -> dict[str, float]:
    """One finish() after the seeds' documents (run this in a fresh process)."""
    with tempfile.TemporaryDirectory(prefix="datapkg-finish-") as scratch:
        sink, records = load(seeds_dir, Path(scratch))
        for r in records:
            sink.write(sink.render(r))
        del records
        gc.collect()
        before = _rss_kib()
        cpu, wall = time.process_time(), time.perf_counter()
        sink.finish(SyntheticActors(actors))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = sum(f.stat().st_size for f in (Path(scratch) / "rdf").iterdir())
    return {"actors": actors, "cpu_s": cpu, "wall_s": wall, "extra_mib": max(0, peak - before) / 1024, "bytes": size}


def in_subprocess(args: list[str], checkout: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = str(checkout.resolve())
    run = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=True)
    return json.loads(run.stdout.splitlines()[-1])


def finish_table(seeds_dir: Path, counts: list[int], baseline: Path | None) -> None:
    trees: list[tuple[str, Path | None]] = [("this tree", None)] + ([("baseline", baseline)] if baseline else [])
    print(f"\nfinish() after {seeds_dir}, synthetic actors (each in a fresh process):")
    print(f"  {'tree':10} {'actors':>9} {'cpu s':>8} {'wall s':>8} {'extra MiB':>10} {'MiB written':>12}")
    for n in counts:
        for name, checkout in trees:
            f = in_subprocess(["--seeds", str(seeds_dir), "--finish-child", str(n)], checkout)
            print(f"  {name:10} {n:9,} {f['cpu_s']:8.2f} {f['wall_s']:8.2f} {f['extra_mib']:10.0f}", end="")
            print(f" {f['bytes'] / 2**20:12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--corpus", type=Path, help="a seeds directory made by benchmarks/make_corpus.py")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--finish-actors", type=lambda s: [int(x) for x in s.split(",")], default=[])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with (its datapkg package)")
    parser.add_argument("--finish-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--render-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.finish_child is not None:
        print(json.dumps(finish_figures(args.seeds, args.finish_child)))
        return
    if args.render_child is not None:
        print(json.dumps(render_figures(args.render_child, args.repeat)))
        return
    inputs = [("seeds", args.seeds, True)] + ([(f"corpus {args.corpus}", args.corpus, False)] if args.corpus else [])
    for label, path, with_rdflib in inputs:
        ours = measure(label, path, args.repeat, with_rdflib)
        if args.baseline:
            base = in_subprocess(["--render-child", str(path), "--repeat", str(args.repeat)], args.baseline)
            n, t = ours["documents"], ours["triples"]
            print(
                f"  baseline render: {1e3 * base['render_s'] / n:.2f} ms/doc, {t / base['render_s']:,.0f} triples/s;",
                end="",
            )
            print(f" this tree {base['render_s'] / ours['render_s']:.2f}x faster")
    if args.finish_actors:
        finish_table(args.seeds, args.finish_actors, args.baseline)


if __name__ == "__main__":
    main()
