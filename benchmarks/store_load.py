"""Loading a big N-Quads file into the embedded store: datapkg's `store.load` vs pyoxigraph's own bulk loader.

    python benchmarks/store_load.py                       # synthesise 1,000 documents (~5M quads) from the seed
    python benchmarks/store_load.py --docs 10000          # 10,000 documents (~50M quads, ~15 GB: slow)
    python benchmarks/store_load.py build/rdf/corpus.nq   # any N-Quads file (e.g. a built synthetic corpus)

The synthetic file replicates the shipped seed's graph: every line that mentions the seed
document is copied once per synthetic document with the document id renamed (its IRIs
and its named graph change; corpus-level lines stay once), so the file has the shape of
a real corpus: one named graph per document plus the dataset graph.

Both loaders run on the same file into fresh directories, alternately, `--rounds` times;
the best time of each is compared. datapkg's load adds what makes it safe (load beside
the old store, then swap; refuse triples outside named graphs; count the graphs).
Target: ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthesise(docs: int, out: Path) -> Path:
    """A `docs`-document N-Quads file made from the seed's built graph."""
    from datapkg.build import build
    from datapkg.emit import BuildOptions
    from datapkg.seeds import open_seeds
    from datapkg.store import find_nquads

    seeds = open_seeds(ROOT / "seeds")
    built = out / "seed-build"
    ctx = build(ROOT / "seeds", built, BuildOptions(store=False))
    (doc_id,) = ctx.documents[:1] or ("",)
    if not doc_id:
        sys.exit(f"no document built from {seeds.root}")
    source = find_nquads(built).read_text(encoding="utf-8").splitlines()
    per_doc = [line for line in source if doc_id in line]
    shared = [line for line in source if doc_id not in line]
    target = out / "synthetic.nq"
    with target.open("w", encoding="utf-8") as fh:
        for line in shared:
            fh.write(line + "\n")
        for i in range(docs):
            renamed = f"{doc_id}-{i:05d}"
            fh.write("\n".join(line.replace(doc_id, renamed) for line in per_doc) + "\n")
    shutil.rmtree(built)
    return target


def time_it(fn, *args) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall-clock and CPU seconds (all threads of this process: the bulk loader is parallel)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def baseline(nquads: Path, directory: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(directory))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    del store


def ours(nquads: Path, directory: Path) -> None:
    from datapkg.store import load

    load(nquads, directory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", nargs="?", type=Path, help="N-Quads file (default: synthesise one)")
    parser.add_argument(
        "--docs", type=int, default=1000, help="documents in the synthetic file (the seed: ~5,000 quads each)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each loader (best is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="datapkg-bench-") as tmp:
        work = Path(tmp)
        if args.nquads:
            nquads = args.nquads
        else:
            started = time.perf_counter()
            nquads = synthesise(args.docs, work)
            print(f"synthesised {args.docs:,} documents in {time.perf_counter() - started:.1f} s")
        lines = sum(1 for _ in nquads.open("rb"))
        print(f"file: {nquads} ({nquads.stat().st_size / 1e6:.1f} MB, {lines:,} quads)")
        names = ("pyoxigraph bulk_load", "datapkg store.load")
        best = {name: [float("inf"), float("inf")] for name in names}
        loaders = [(names[0], baseline), (names[1], ours)]
        for round_no in range(args.rounds):
            # alternate who goes first, so a warmer page cache or a busier neighbour favours neither
            for name, fn in loaders if round_no % 2 == 0 else loaders[::-1]:
                directory = work / f"{name.split()[0]}-{round_no}"
                wall, cpu = time_it(fn, nquads, directory)
                shutil.rmtree(directory, ignore_errors=True)
                best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
                print(
                    f"  round {round_no + 1}: {name:<22} {wall:7.2f} s wall ({lines / wall:,.0f} quads/s), {cpu:7.2f} s CPU"
                )
        base, mine = best[names[0]], best[names[1]]
        for i, kind in enumerate(("wall", "CPU")):
            ratio = mine[i] / base[i]
            verdict = "OK" if ratio <= 1.3 else "ABOVE TARGET"
            print(
                f"best {kind}: pyoxigraph {base[i]:.2f} s, datapkg {mine[i]:.2f} s; "
                f"ratio {ratio:.2f}x (target <= 1.3x: {verdict})"
            )
        print("(on a shared machine wall time is noisy; CPU time counts only this process's work)")


if __name__ == "__main__":
    main()
