"""Benchmark `datapkg build` on generated corpora against the pyoxigraph floor, in one run.

    python benchmarks/run.py                          # 100, 1,000 and 10,000 documents
    python benchmarks/run.py --sizes 100,1000 --jobs 2 --keep --workdir /tmp/bench

For each corpus size it measures, each command in a fresh process:
  - generating the corpus (benchmarks/make_corpus.py; reused from --workdir when present);
  - optionally `datapkg validate --strict` (--validate): the loader alone;
  - `datapkg build [--jobs N] --no-store [--force] [--quiet]`: wall time and peak memory of all its
    processes (sum of the RSS of the process tree, sampled every 0.1 s, and the largest single
    process from getrusage(RUSAGE_CHILDREN)); the CPU the rest of the machine used meanwhile and the
    time stolen by the hypervisor (/proc/stat), which say when a wall time measures the neighbours;
  - output triples (lines of the N-Triples file) → documents/s and triples/s;
  - the floor: pyoxigraph parsing that N-Triples file into memory, then serialising the same
    triples back to N-Triples (timed alone); the build's time over the floor is the ratio to beat;
    and the same triples stored in an in-memory pyoxigraph Store, then dumped as N-Triples (the
    "dump floor", for context: see pyoxigraph_floor);
  - the all-RDF floor: pyoxigraph writing the same quads as N-Triples, N-Quads, Turtle and JSON-LD
    (the four RDF files the build writes; not its CSV, JSON, site or zip), for context;
  - with --repeat N, N cold builds per size, the fastest reported (all are in the results);
  - the embedded store on its own (--store): datapkg.store.load vs pyoxigraph's bulk loader on the
    same N-Quads file, each in a fresh process;
  - optionally `frictionless validate` of the package (--frictionless) and `datapkg check`, the streaming
    check of the same package (--check), each with wall time and peak memory;
  - a rebuild with nothing changed when the build has an incremental cache (--force exists), and
    one that reads every document from the cache but writes every file again (its manifest removed).
Then the scaling ratios time(largest)/time(previous) and RSS(largest)/RSS(previous); it prints a
table and writes benchmarks/results.json. Flags the build does not have yet are left out (read
from `datapkg build --help`) and listed in the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _import_make_corpus() -> Any:
    """benchmarks/make_corpus.py (benchmarks/ is no package; sys.path stays as it is)."""
    if "make_corpus" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_corpus", HERE / "make_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_corpus"] = module  # worker processes find its functions by this name
        spec.loader.exec_module(module)
    return sys.modules["make_corpus"]


make_corpus = _import_make_corpus()

RESULTS = HERE / "results.json"
FLOOR_SAMPLE = 2_000_000  # triples held in memory for the serialisation floor
DATAPKG = [sys.executable, "-m", "datapkg.cli"]
TARGETS = {
    "triples_per_s": 100_000,
    "peak_rss_bytes": 1 << 30,
    "rss_growth": 2.0,
    "scaling": 11.0,
    "floor_ratio": 5.0,
    "store_ratio": 1.3,
}

# Runs COMMAND (argv as JSON) and prints one JSON line: wall seconds, exit code, CPU seconds of all
# descendants, peak RSS of the whole process tree (summed, sampled every 0.1 s; the tree is re-read
# every 0.5 s after the first second, so short-lived children may be missed), and the largest single
# descendant's peak RSS (getrusage: exact). It runs in a fresh interpreter so that RUSAGE_CHILDREN
# covers this one command only.
_MEASURE = r"""
import json, os, resource, subprocess, sys, time
cmd, stdout, stderr = json.loads(sys.argv[1])
page = os.sysconf("SC_PAGE_SIZE")

def descendants(root):
    # One pass over /proc costs a few ms: not at every sample.
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(b")") + 2 :].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found

def rss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
        except OSError:
            pass
    return total

def cpu_times():
    # The machine's busy and stolen time so far, in seconds (Linux /proc/stat; zeros elsewhere).
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    steal = fields[7] if len(fields) > 7 else 0
    return (sum(fields[:8]) - fields[3] - fields[4] - steal) / tick, steal / tick

with open(stdout, "wb") as out, open(stderr, "wb") as err:
    busy_before, steal_before = cpu_times()
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    peak, tick, pids = 0, 0, [proc.pid]
    while proc.poll() is None:
        if tick < 10 or tick % 5 == 0:  # workers start early; later, twice a second is enough
            pids = descendants(proc.pid)
        peak = max(peak, rss(pids))
        tick += 1
        time.sleep(0.1)
    wall = time.perf_counter() - began
busy_after, steal_after = cpu_times()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall_s": wall,
    "exit": proc.returncode,
    "peak_rss_tree_bytes": peak,
    "max_rss_single_bytes": usage.ru_maxrss * 1024,
    "cpu_s": usage.ru_utime + usage.ru_stime,
    # CPU the rest of the machine used meanwhile (kernel threads, other programs; this sampler's
    # few ms included) and time the hypervisor gave to other guests: why a wall time is inflated.
    "other_cpu_s": max(0.0, busy_after - busy_before - (usage.ru_utime + usage.ru_stime)),
    "steal_s": steal_after - steal_before,
}))
"""


def measure(cmd: list[str], log: Path) -> dict[str, Any]:
    """Run `cmd` in a fresh measuring process; its output goes to log.out / log.err."""
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    # The previous step's dirty pages (a 10,000-document build writes 21 GB) are written back
    # now, not by kernel threads competing with this command.
    os.sync()
    load_before = os.getloadavg()[0]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps([cmd, str(out), str(err)])],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    result["load_before"] = load_before  # other work on the machine makes wall time exceed CPU time
    if result["exit"] != 0:
        tail = err.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        result["error"] = "\n".join(tail)
    return result


def build_flags() -> set[str]:
    """The options `datapkg build` has now (the orchestrator grows --jobs, --force, --quiet …)."""
    help_text = subprocess.run([*DATAPKG, "build", "--help"], capture_output=True, text=True, check=True).stdout
    options = set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", help_text, flags=re.MULTILINE))
    return options & {"--jobs", "--no-store", "--force", "--quiet", "--timings"}


def find_rdf(out: Path, suffix: str) -> Path | None:
    """The main RDF file with `suffix` in a build: the largest one (there may be per-document files)."""
    files = sorted(out.rglob(f"*{suffix}"), key=lambda p: (-p.stat().st_size, str(p)))
    return files[0] if files else None


def count_statements(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip() and not line.startswith(b"#"):
                n += 1
    return n


def best_of(repeat: int, write: Callable[[], object]) -> tuple[float, float]:
    """The shortest wall and CPU time of `repeat` calls of `write`."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        began, used = time.perf_counter(), time.process_time()
        write()
        wall, cpu = min(wall, time.perf_counter() - began), min(cpu, time.process_time() - used)
    return wall, cpu


def pyoxigraph_floor(nt: Path, total: int, workdir: Path, repeat: int = 3) -> dict[str, float]:
    """pyoxigraph on the build's own triples: parse into memory, then serialise them back (the floor).

    At most FLOOR_SAMPLE triples are held in memory (10,000 documents give tens of millions);
    serialising is linear, so the floor for all `total` triples is extrapolated from the sample's rate.
    Serialising is timed three ways, best of `repeat` each: streamed into a file beside the build
    (`serialize_s`, the floor the build is compared with: the same disk, the page cache as the
    build has it), streamed into /dev/null (`serialize_devnull_s`: formatting alone), and into one
    bytes object (`serialize_bytes_s`: what earlier runs measured; its growing buffer is copied
    on every reallocation, which made that figure swing 4x between runs).
    """
    import pyoxigraph

    fmt = pyoxigraph.RdfFormat.N_TRIPLES
    os.sync()  # as before a build (see measure): the build's write-back does not slow the floor
    with open(nt, "rb") as f:
        sample = b"".join(itertools.islice(f, FLOOR_SAMPLE))
    began = time.perf_counter()
    triples = list(pyoxigraph.parse(sample, format=fmt))
    parse_s = time.perf_counter() - began
    del sample
    target = workdir / "floor.nt"

    def to_file() -> None:
        with open(target, "wb") as out:
            pyoxigraph.serialize(triples, out, format=fmt)

    def to_devnull() -> None:
        with open(os.devnull, "wb") as out:
            pyoxigraph.serialize(triples, out, format=fmt)

    file_s, file_cpu_s = best_of(repeat, to_file)
    written = target.stat().st_size
    target.unlink()
    devnull_s, _ = best_of(repeat, to_devnull)
    bytes_s, _ = best_of(repeat, lambda: pyoxigraph.serialize(triples, format=fmt))
    # The same triples put in an in-memory Store from Python objects, then dumped from it: another
    # way to serialise "from memory", 1.4-2.4x slower than the prepared list above. Issue 7 quotes
    # ~105,000 triples/s stored and ~540,000 serialised for this machine; which way it measured
    # them it does not say, so both floors are reported (the verdict uses the strict one).
    store = pyoxigraph.Store()
    began = time.perf_counter()
    store.extend(pyoxigraph.Quad(t.subject, t.predicate, t.object) for t in triples)
    store_build_s = time.perf_counter() - began

    def dump() -> None:
        with open(target, "wb") as out:
            store.dump(out, format=fmt, from_graph=pyoxigraph.DefaultGraph())

    dump_s, _ = best_of(repeat, dump)
    target.unlink()
    scale = total / max(1, len(triples))
    floor = {
        "sample_triples": len(triples),
        "sample_bytes": written,
        "parse_s": parse_s * scale,
        "serialize_s": file_s * scale,
        "serialize_cpu_s": file_cpu_s * scale,
        "serialize_devnull_s": devnull_s * scale,
        "serialize_bytes_s": bytes_s * scale,
        "triples_per_s": len(triples) / file_s,
        "store_build_s": store_build_s * scale,
        "store_build_triples_per_s": len(triples) / store_build_s,
        "store_dump_s": dump_s * scale,
        "store_dump_triples_per_s": len(triples) / dump_s,
    }
    return floor  # the sample is freed with this frame


def pyoxigraph_all_formats_floor(
    nq: Path, ttl: Path | None, total: int, workdir: Path, repeat: int = 2
) -> dict[str, Any]:
    """pyoxigraph writing the build's quads in all four RDF formats the build writes: the floor for
    the RDF part of the build (which also writes CSV, JSON, the site and the zip).

    The first FLOOR_SAMPLE quads of the .nq are parsed, then serialised (best of `repeat`, each into
    a file beside the build) as N-Triples and Turtle (the triples; Turtle with the build's own
    prefixes), N-Quads and JSON-LD (the quads); extrapolated to `total` like `pyoxigraph_floor`.
    """
    import pyoxigraph

    fmt = pyoxigraph.RdfFormat
    os.sync()
    with open(nq, "rb") as f:
        quads = list(pyoxigraph.parse(b"".join(itertools.islice(f, FLOOR_SAMPLE)), format=fmt.N_QUADS))
    triples = [q.triple for q in quads]
    prefixes = {}
    if ttl is not None:
        with open(ttl, encoding="utf-8") as f:
            for line in itertools.islice(f, 200):
                if m := re.fullmatch(r"@prefix (\w*): <([^>]*)> \.\n", line):
                    prefixes[m[1]] = m[2]
    jobs = {
        "nt": (triples, fmt.N_TRIPLES, {}),
        "nq": (quads, fmt.N_QUADS, {}),
        "ttl": (triples, fmt.TURTLE, {"prefixes": prefixes}),
        "jsonld": (quads, fmt.JSON_LD, {"prefixes": prefixes}),
    }
    target = workdir / "floor-all"
    seconds: dict[str, float] = {}
    for name, (data, rdf_format, options) in jobs.items():

        def to_file(data: Any = data, rdf_format: Any = rdf_format, options: Any = options) -> None:
            with open(target, "wb") as out:
                pyoxigraph.serialize(data, out, format=rdf_format, **options)

        wall, _ = best_of(repeat, to_file)
        target.unlink()
        seconds[name] = wall * total / max(1, len(quads))
    return {"sample_quads": len(quads), "formats_s": seconds, "serialize_s": sum(seconds.values())}


# The embedded store on its own: datapkg's loader vs pyoxigraph's bulk loader, same N-Quads file.
STORE_LOAD = (
    "import sys; from pathlib import Path; from datapkg.store import load; load(Path(sys.argv[1]), Path(sys.argv[2]))"
)
BULK_LOAD = (
    "import sys, pyoxigraph; s = pyoxigraph.Store(sys.argv[2]); "
    "s.bulk_load(path=sys.argv[1], format=pyoxigraph.RdfFormat.N_QUADS); s.flush()"
)


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The quickest successful run of a command measured several times (else the last run)."""
    return min((r for r in runs if r["exit"] == 0), key=lambda r: r["wall_s"], default=runs[-1])


def store_vs_bulk_load(nq: Path, workdir: Path, log: Path, repeat: int = 1) -> dict[str, Any]:
    """datapkg's store load and pyoxigraph's bulk load of the same file, alternated `repeat` times;
    the fastest of each counts (the machine's speed drifts between two loads minutes apart)."""
    runs: dict[str, list[dict[str, Any]]] = {"store_load": [], "bulk_load": []}
    for _ in range(repeat):
        for name, code in (("store_load", STORE_LOAD), ("bulk_load", BULK_LOAD)):
            target = workdir / f"store-{name}"
            shutil.rmtree(target, ignore_errors=True)
            runs[name].append(
                measure([sys.executable, "-c", code, str(nq), str(target)], log.with_name(f"{log.name}-{name}"))
            )
            shutil.rmtree(target, ignore_errors=True)
    results: dict[str, Any] = {name: fastest(each) for name, each in runs.items()}
    if repeat > 1:
        results["store_runs_wall_s"] = {name: [r["wall_s"] for r in each] for name, each in runs.items()}
    if results["store_load"]["exit"] == 0 and results["bulk_load"]["exit"] == 0:
        results["store_ratio"] = results["store_load"]["wall_s"] / results["bulk_load"]["wall_s"]
    return results


def bench_size(size: int, args: argparse.Namespace, flags: set[str], workdir: Path) -> dict[str, Any]:
    row: dict[str, Any] = {"docs": size}
    corpus = workdir / f"corpus-{size}-seed{args.seed}"
    info = make_corpus.corpus_info(corpus)
    if info is None or info["docs"] != size or info["seed"] != args.seed:
        began = time.perf_counter()
        info = make_corpus.make_corpus(corpus, size, args.seed, jobs=args.jobs or os.cpu_count() or 1)
        row["generate_s"] = time.perf_counter() - began
    row["corpus"] = {k: round(v / size, 2) for k, v in info["totals"].items()}
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)

    if args.validate:
        v = measure([*DATAPKG, "validate", "--seeds", str(corpus), "--strict"], logs / f"validate-{size}")
        row["validate"] = v
        row["validate"]["docs_per_s"] = size / v["wall_s"]
        row["validate"]["docs_per_cpu_s"] = size / max(v["cpu_s"], 1e-9)

    out = workdir / f"build-{size}"
    base = [*DATAPKG, "build", "--seeds", str(corpus), "--out", str(out)]
    base += [f"--jobs={args.jobs}"] if args.jobs and "--jobs" in flags else []
    base += ["--quiet"] if "--quiet" in flags else []
    base += ["--timings"] if "--timings" in flags else []
    full = base + (["--force"] if "--force" in flags else [])
    # A cold build: nothing to reuse, nothing to replace. Earlier outputs are moved aside, not deleted:
    # ext4 without a journal (this machine's root) skips inodes freed in the last minutes one by one
    # when it creates files, so deleting 10,000s of files just before the build slows its own file
    # creation many times over. The moved folders are deleted once every size is measured.
    # With --repeat N the cold build runs N times (each from nothing) and the fastest counts, as
    # timeit does: on a shared machine a slower run measures the neighbours, not the build.
    runs: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        move_aside(workdir, cache_dir(out), out)
        run = measure(full + (["--no-store"] if "--no-store" in flags else []), logs / f"build-{size}")
        run["timings"] = read_timings(logs / f"build-{size}.err")
        runs.append(run)
        if run["exit"] != 0:
            break
    b = fastest(runs)
    row["build"] = b
    if len(runs) > 1:
        row["build_runs"] = [{k: r[k] for k in ("wall_s", "cpu_s", "peak_rss_tree_bytes", "exit")} for r in runs]
    if b["exit"] != 0:
        return row
    row["docs_per_s"] = size / b["wall_s"]
    nt, nq = find_rdf(out, ".nt"), find_rdf(out, ".nq")
    if nt is not None:
        row["triples"] = count_statements(nt)
        row["nt_bytes"] = nt.stat().st_size
        row["triples_per_s"] = row["triples"] / b["wall_s"]
        floor = pyoxigraph_floor(nt, row["triples"], workdir)
        row["floor"] = floor
        row["floor_ratio"] = b["wall_s"] / floor["serialize_s"]
        row["store_floor_ratio"] = b["wall_s"] / floor["store_dump_s"]
    if nq is not None:
        row["quads"] = count_statements(nq)
        every = pyoxigraph_all_formats_floor(nq, find_rdf(out, ".ttl"), row["quads"], workdir)
        row["floor_all_formats"] = every
        row["floor_all_formats_ratio"] = b["wall_s"] / every["serialize_s"]
        if "floor" in row:  # pyoxigraph's own cost of the four files over N-Triples alone
            row["floor_formats_over_nt"] = every["serialize_s"] / row["floor"]["serialize_s"]
    if "--force" in flags:  # the cache is warm now: nothing changed, so this should be quick
        r = measure(base + (["--no-store"] if "--no-store" in flags else []), logs / f"rebuild-{size}")
        r["timings"] = read_timings(logs / f"rebuild-{size}.err")
        row["rebuild"] = r
        row["rebuild_ratio"] = r["wall_s"] / b["wall_s"]
        row["cache_bytes"] = sum(f.stat().st_size for f in cache_dir(out).glob("*") if f.is_file())
        # Without the manifest the build cannot tell that nothing changed: every document comes from the
        # cache and every file is written again (what a build with a few changed documents costs).
        # It writes a second copy of the build before the first is removed: skipped without the room.
        size_bytes = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        free = shutil.disk_usage(workdir).free
        if free < 1.2 * size_bytes:
            row["cached_build"] = {"skipped": f"{free / 2**30:.1f} GiB free, the build takes {size_bytes / 2**30:.1f}"}
        else:
            (cache_dir(out) / "manifest.json").unlink(missing_ok=True)
            c = measure(base + (["--no-store"] if "--no-store" in flags else []), logs / f"cached-{size}")
            c["timings"] = read_timings(logs / f"cached-{size}.err")
            row["cached_build"] = c
            row["cached_ratio"] = c["wall_s"] / b["wall_s"]
    if args.store is not None and size <= args.store and nq is not None:
        row.update(store_vs_bulk_load(nq, workdir, logs / f"store-{size}", args.repeat))
    if args.frictionless:
        descriptor = out / "datapackage.json"
        row["frictionless"] = measure(["frictionless", "validate", str(descriptor)], logs / f"frictionless-{size}")
    if args.check:  # --profiles comes from $DATAPKG_PROFILES when set
        row["check"] = measure([*DATAPKG, "check", str(out)], logs / f"check-{size}")
    if not args.keep:  # moved aside, deleted at the end of the run (see above)
        move_aside(workdir, cache_dir(out), out)
    return row


TRASH = ".trash"  # earlier outputs, deleted when the run ends (see bench_size)


def move_aside(workdir: Path, *paths: Path) -> None:
    """Move the existing `paths` into the run's trash folder under fresh names (deleted when the run ends)."""
    trash = workdir / TRASH
    for path in paths:
        if path.exists():
            trash.mkdir(exist_ok=True)
            path.rename(trash / f"{path.name}-{len(list(trash.iterdir()))}")


def cache_dir(out: Path) -> Path:
    """Where `datapkg build` keeps its build cache for `out` (datapkg.buildcache.default_dir)."""
    return out.parent / ".datapkg-cache" / out.name


def read_timings(err: Path) -> dict[str, dict[str, float]]:
    """The table `datapkg build --timings` prints on stderr: {section: {step: seconds (or MiB)}}."""
    sections: dict[str, dict[str, float]] = {}
    current: dict[str, float] | None = None
    try:
        lines = err.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return sections
    for line in lines:
        if re.fullmatch(r"  \S.*:", line):
            current = sections.setdefault(line.strip().rstrip(":"), {})
        elif current is not None and (m := re.fullmatch(r"    (.+?)\s+([\d.]+) (?:s|MiB)", line)):
            current[m[1]] = float(m[2])
    return sections


def scaling(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios of the largest corpus to the next smaller one (time(10,000)/time(1,000) by default)."""
    done = [r for r in rows if r.get("build", {}).get("exit") == 0]
    if len(done) < 2:
        return {}
    small, big = done[-2], done[-1]
    return {
        "from_docs": small["docs"],
        "to_docs": big["docs"],
        "size_ratio": big["docs"] / small["docs"],
        "time_ratio": big["build"]["wall_s"] / small["build"]["wall_s"],
        "rss_ratio": big["build"]["peak_rss_tree_bytes"] / max(1, small["build"]["peak_rss_tree_bytes"]),
    }


def _fmt(value: Any, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def table(rows: list[dict[str, Any]], scale: dict[str, Any]) -> str:
    head = (
        f"{'docs':>7} {'gen s':>6} {'valid. docs/s':>13} {'build s':>8} {'load':>5} {'docs/s':>7} {'triples':>11} "
        f"{'triples/s':>10} {'cpu s':>7} {'peak RSS MiB':>12} {'floor s':>8} {'×floor':>7} {'dump floor s':>12} "
        f"{'×dump':>6} {'rebuild s':>9} "
        f"{'rebuild':>8} {'cached s':>8} {'cached':>7} {'store ×':>8} {'all-RDF floor s':>15} {'×all-RDF':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        b = r.get("build", {})
        lines.append(
            f"{r['docs']:>7,} {_fmt(r.get('generate_s'), '.1f'):>6} "
            f"{_fmt(r.get('validate', {}).get('docs_per_s'), ',.0f'):>13} "
            f"{_fmt(b.get('wall_s'), '.2f'):>8} {_fmt(b.get('load_before'), '.1f'):>5} "
            f"{_fmt(r.get('docs_per_s')):>7} {_fmt(r.get('triples')):>11} "
            f"{_fmt(r.get('triples_per_s')):>10} {_fmt(b.get('cpu_s'), '.1f'):>7} "
            f"{_fmt(b.get('peak_rss_tree_bytes', 0) / 2**20, ',.0f'):>12} "
            f"{_fmt(r.get('floor', {}).get('serialize_s'), '.2f'):>8} {_fmt(r.get('floor_ratio'), '.1f'):>7} "
            f"{_fmt(r.get('floor', {}).get('store_dump_s'), '.2f'):>12} {_fmt(r.get('store_floor_ratio'), '.1f'):>6} "
            f"{_fmt(r.get('rebuild', {}).get('wall_s'), '.2f'):>9} "
            f"{_fmt(r.get('rebuild_ratio'), '.0%'):>8} {_fmt(r.get('cached_build', {}).get('wall_s'), '.2f'):>8} "
            f"{_fmt(r.get('cached_ratio'), '.0%'):>7} {_fmt(r.get('store_ratio'), '.2f'):>8} "
            f"{_fmt(r.get('floor_all_formats', {}).get('serialize_s'), '.2f'):>15} "
            f"{_fmt(r.get('floor_all_formats_ratio'), '.1f'):>8}"
        )
        if b.get("error"):
            lines.append(f"        build failed (exit {b['exit']}): {b['error']}")
    for r in rows:
        if "build_runs" in r:
            walls = ", ".join(f"{x['wall_s']:.2f}" for x in r["build_runs"])
            lines.append(
                f"build of {r['docs']:,} docs, {len(r['build_runs'])} cold runs (the fastest counts): {walls} s"
            )
    for r in rows:
        if "skipped" in r.get("cached_build", {}):
            lines.append(f"cached build of {r['docs']:,} docs skipped: {r['cached_build']['skipped']}")
    for r in rows:
        for key, name in (("frictionless", "frictionless validate"), ("check", "datapkg check")):
            if key in r:
                f = r[key]
                lines.append(
                    f"{name} ({r['docs']:,} docs): {f['wall_s']:.1f}s, peak RSS "
                    f"{f['peak_rss_tree_bytes'] / 2**20:,.0f} MiB, exit {f['exit']}"
                )
        if "frictionless" in r and "check" in r:
            lines.append(
                f"  datapkg check / frictionless: ×{r['check']['wall_s'] / r['frictionless']['wall_s']:.2f} time"
            )
    for r in rows:
        b = r.get("build", {})
        other = b.get("other_cpu_s", 0) + b.get("steal_s", 0)
        if other > 0.1 * b.get("wall_s", 0) * (os.cpu_count() or 1):  # 10% of the machine
            lines.append(
                f"note: during the build of {r['docs']:,} documents other processes and kernel threads (writing "
                f"back the build's own pages among them) used {b.get('other_cpu_s', 0):.1f} CPU-s and the "
                f"hypervisor stole {b.get('steal_s', 0):.1f} s"
            )
    if scale:
        lines.append(
            f"scaling {scale['from_docs']:,} → {scale['to_docs']:,} docs (×{scale['size_ratio']:.0f}): "
            f"time ×{scale['time_ratio']:.2f} (target ≤ {TARGETS['scaling'] * scale['size_ratio'] / 10:g}), "
            f"peak RSS ×{scale['rss_ratio']:.2f} (target < {TARGETS['rss_growth']:g})"
        )
    big = next((r for r in reversed(rows) if r.get("build", {}).get("timings")), None)
    if big is not None:
        lines.append(f"where the time went ({big['docs']:,} documents, datapkg build --timings):")
        for section, steps in big["build"]["timings"].items():
            if "memory" in section:  # peak RSS after each step, in MiB: where it rose
                rises, before = [], 0.0
                for k, v in steps.items():
                    if v > before:
                        rises.append(f"{k} {v:,.0f} MiB")
                    before = max(before, v)
                lines.append(f"  {section}: " + ", ".join(rises))
                continue
            top = sorted(steps.items(), key=lambda kv: -kv[1])[:8]
            lines.append(f"  {section}: " + ", ".join(f"{k} {v:.1f}s" for k, v in top))
    return "\n".join(lines)


def verdicts(rows: list[dict[str, Any]], scale: dict[str, Any]) -> dict[str, bool | None]:
    """Each target of issue 7, judged on the largest corpus measured (None: not measured)."""
    big = next((r for r in reversed(rows) if r.get("build", {}).get("exit") == 0), None)
    if big is None:
        return {}
    stored = [r for r in rows if "store_ratio" in r]
    at_scale = [r for r in rows if r["docs"] >= 1000 and "triples_per_s" in r] or [big] * ("triples_per_s" in big)
    return {
        # at 1,000 and at 10,000 documents: every measured corpus of at least 1,000
        "triples_per_s >= 100k": all(r["triples_per_s"] >= TARGETS["triples_per_s"] for r in at_scale)
        if at_scale
        else None,
        "peak RSS < 1 GiB": big["build"]["peak_rss_tree_bytes"] < TARGETS["peak_rss_bytes"],
        "RSS growth < 2x": scale["rss_ratio"] < TARGETS["rss_growth"] if scale else None,
        # time(10,000)/time(1,000) <= 11: near-linear, i.e. at most 1.1x the size ratio
        "near-linear scaling": scale["time_ratio"] <= TARGETS["scaling"] * scale["size_ratio"] / 10 if scale else None,
        # The issue words the 5x against pyoxigraph writing N-Triples alone. The build writes four RDF
        # syntaxes, and pyoxigraph itself takes 5.8-7.2x its N-Triples time to write those four at 1,000
        # and 10,000 documents (`floor_formats_over_nt`, measured in each run; 2.9-3.6x on two cores),
        # before any loading, CSV, JSON, site (Graphviz's layouts alone: 2-2.7x over two cores at 10,000
        # documents) or zip: nothing that writes them all reaches 5x. The like-for-like floor is
        # pyoxigraph writing the same four files from memory (the CSV, JSON, site and zip get no floor
        # of their own). Both are judged; `unattainable` prints the evidence beside the first.
        "build <= 5x N-Triples floor (as the issue words it)": (
            big["floor_ratio"] <= TARGETS["floor_ratio"] if "floor_ratio" in big else None
        ),
        "build <= 5x floor (pyoxigraph writing the same 4 RDF files)": (
            big["floor_all_formats_ratio"] <= TARGETS["floor_ratio"] if "floor_all_formats_ratio" in big else None
        ),
        # on the largest corpus it was measured on (10,000 documents take two loads of ~12 minutes)
        "store <= 1.3x bulk load": stored[-1]["store_ratio"] <= TARGETS["store_ratio"] if stored else None,
    }


def unattainable(rows: list[dict[str, Any]]) -> list[str]:
    """Why the 5x against N-Triples alone cannot hold, measured in the run (see verdicts)."""
    lines = []
    for r in rows:
        if "floor_formats_over_nt" in r and "floor_ratio" in r:
            lines.append(
                f"  {r['docs']:,} docs: build ×{r['floor_ratio']:.1f} the N-Triples floor; pyoxigraph "
                f"itself takes ×{r['floor_formats_over_nt']:.1f} it to write the four RDF files the build writes"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark datapkg build on generated corpora against pyoxigraph.",
        epilog="Example: python benchmarks/run.py --sizes 100,1000,10000 --jobs 2",
    )
    parser.add_argument("--sizes", default="100,1000,10000", help="corpus sizes, comma-separated")
    parser.add_argument("--jobs", type=int, default=None, help="passed to datapkg build --jobs (default: its own)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--workdir", type=Path, help="where corpora and builds go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep corpora and builds (the workdir) afterwards")
    parser.add_argument("--validate", action="store_true", help="also time datapkg validate --strict (the loader)")
    parser.add_argument(
        "--store",
        nargs="?",
        type=int,
        const=sys.maxsize,
        metavar="MAX_DOCS",
        help="also time datapkg's store load vs pyoxigraph bulk load (on corpora of at most MAX_DOCS documents)",
    )
    parser.add_argument("--frictionless", action="store_true", help="also time frictionless validate")
    parser.add_argument("--check", action="store_true", help="also time datapkg check of the package")
    parser.add_argument(
        "--repeat", type=int, default=1, help="cold builds per size; the fastest is reported (default 1)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    flags = build_flags()
    missing = sorted({"--jobs", "--no-store", "--force", "--quiet"} - flags)
    if missing:
        print(f"note: datapkg build has no {', '.join(missing)} yet; measuring without", file=sys.stderr)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="datapkg-run-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for size in sizes:
            print(f"… {size:,} documents", file=sys.stderr, flush=True)
            rows.append(bench_size(size, args, flags, workdir))
    finally:
        shutil.rmtree(workdir / TRASH, ignore_errors=True)
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    scale = scaling(rows)
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "build_flags": sorted(flags),
        "missing_build_flags": missing,
        "jobs": args.jobs,
        "seed": args.seed,
        "targets": TARGETS,
        "sizes": rows,
        "scaling": scale,
        "verdicts": verdicts(rows, scale),
    }
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(rows, scale))
    for name, ok in results["verdicts"].items():
        print(f"  {'—' if ok is None else 'ok  ' if ok else 'MISS'} {name}")
    print("\n".join(unattainable(rows)))
    print(f"wrote {args.results}")
    return 0 if all(r.get("build", {}).get("exit") == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
