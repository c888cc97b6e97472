"""Benchmark the document loader: CPU per document on a synthetic corpus, before and after; one big document.

    python benchmarks/loader.py [--docs 300] [--seed 1] [--baseline 0d75076] [--rounds 3] [--repeat 3]
                                [--quotes 2000] [--bad 200] [--skip-big]

1. Corpus: `make_corpus.py --docs N --seed S` documents are loaded as `datapkg validate` loads them
   (open_seeds, iter_documents, merge_actors). Printed: CPU milliseconds per document and documents per
   second for the working tree and, measured in the same run, for the loader at `--baseline` (a git
   revision, extracted with `git archive`; default: the commit before the loader speed-up), then the
   speed-up. Each variant runs in its own process, alternating, best of `--rounds` x `--repeat` passes
   (CPU time, so other load on the machine matters less than for wall time, but still matters: compare
   the two figures of one run, not figures of different runs). Also printed, as a floor: libyaml
   loading the same annotations into Python objects plus one `str.find` per quote.
2. Big document: a 1 MB essay with many quotes (and many bad quotes): `load_document` against the same
   kind of floor. The ratio load / floor is the figure to watch; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "tests" / "fixtures" / "valid" / "minimal"
BASELINE = "0d75076"  # the loader before the speed-up (issue 7)
WORDS = [
    "cooperation",
    "security",
    "region",
    "policy",
    "trade",
    "border",
    "talks",
    "leaders",
    "army",
    "economy",
    "water",
    "energy",
    "pressure",
    "interest",
    "future",
    "stability",
    "conflict",
    "peace",
    "crisis",
    "support",
    "government",
    "alliance",
]


# ---------------------------------------------------------------- corpus: CPU per document


def corpus_pass(seeds_dir: Path) -> tuple[int, float]:
    """Load every document as `datapkg validate` does; (documents, CPU seconds)."""
    from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds

    start = time.process_time()
    seeds = open_seeds(seeds_dir)
    index, count = ActorIndex(), 0
    for result in iter_documents(seeds):
        merge_actors(index, result)
        count += 1
    return count, time.process_time() - start


def worker(seeds_dir: Path, repeat: int) -> None:
    """Run in a subprocess (PYTHONPATH picks the tree): print the best CPU ms per document as JSON."""
    import datapkg

    corpus_pass(seeds_dir)  # warm up: imports, compiled patterns, caches
    best = min(corpus_pass(seeds_dir) for _ in range(repeat))
    print(json.dumps({"docs": best[0], "ms_per_doc": 1000 * best[1] / best[0], "package": datapkg.__file__}))


def corpus_floor(seeds_dir: Path) -> float:
    """CPU ms per document of libyaml loading the annotations plus one str.find per quote."""
    folders = sorted(p for p in seeds_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    start = time.process_time()
    for folder in folders:
        data = yaml.load((folder / "annotations.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        text = (folder / "essay.txt").read_text(encoding="utf-8")
        for unit in (data.get("claims") or []) + (data.get("recommendations") or []):
            text.find(unit["quote"])
    return 1000 * (time.process_time() - start) / len(folders)


def extract(revision: str, into: Path) -> Path | None:
    """The datapkg package as of `revision` (git archive), or None when git cannot give it."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "datapkg"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"baseline {revision}: not available ({exc}); measuring the working tree only")
        return None
    return into


def measure(tree: Path, seeds_dir: Path, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(seeds_dir), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    if not found["package"].startswith(str(tree)):
        raise SystemExit(f"the worker imported {found['package']}, not the tree {tree}")
    return found


def corpus_benchmark(tmp: Path, docs: int, seed: int, baseline: str | None, rounds: int, repeat: int) -> None:
    seeds_dir = tmp / "corpus"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), "--docs", str(docs), "--seed", str(seed)]
        + ["--out", str(seeds_dir)],
        check=True,
        capture_output=True,
    )
    trees = {"now": ROOT}
    if baseline:
        old = extract(baseline, tmp / "baseline")
        if old is not None:
            trees = {f"baseline {baseline}": old, **trees}
    best: dict[str, float] = {}
    for _ in range(rounds):  # alternate the variants, so that load on the machine hits both alike
        for name, tree in trees.items():
            ms = measure(tree, seeds_dir, repeat)["ms_per_doc"]
            best[name] = min(best.get(name, ms), ms)
    floor = min(corpus_floor(seeds_dir) for _ in range(repeat))
    print(
        f"corpus: {docs} synthetic documents (make_corpus --seed {seed}), CPU per document, best of {rounds}x{repeat}"
    )
    for name, ms in best.items():
        print(f"  {name:18s} {ms:7.2f} ms/doc  {1000 / ms:6.0f} docs/s per core  {ms / floor:5.1f}x floor")
    print(f"  {'floor':18s} {floor:7.2f} ms/doc  (libyaml load + str.find per quote)")
    if len(best) == 2:
        before, after = best.values()
        print(f"  speed-up: {before / after:.2f}x")


# ---------------------------------------------------------------- one big document


def make(root: Path, quotes: int, bad: int) -> Path:
    seeds = root / "seeds"
    shutil.copytree(MINIMAL, seeds)
    sentences = []
    i = 0
    while sum(map(len, sentences)) < 1_050_000:
        w = [WORDS[(i * k + 3) % len(WORDS)] for k in range(1, 9)]
        sentences.append(f"In {1900 + i % 120} the {w[0]} of {w[1]} shaped {w[2]} and {w[3]} near {w[4]} ({i}).")
        i += 1
    paragraphs = [" ".join(sentences[j : j + 8]) for j in range(0, len(sentences), 8)]
    essay = "A long essay\n" + "\n".join(paragraphs) + "\n"
    (seeds / "doc-a" / "essay.txt").write_text(essay, encoding="utf-8")
    step = max(1, len(sentences) // quotes)
    chosen = [sentences[j].rstrip(".") for j in range(0, len(sentences), step)][:quotes]
    claims = []
    for n, quote in enumerate(chosen):
        if n < bad:
            quote = quote.replace(" the ", " teh ", 1)  # a typo: not found, hint searched
        claims.append(f"  - id: c{n}\n    quote: {quote!r}\n    kind: factual\n    role: reason\n")
    relations = "".join(f"  - source: c{n}\n    target: c0\n    type: supports\n" for n in range(1, len(chosen)))
    (seeds / "doc-a" / "annotations.yaml").write_text(
        "document:\n  title: Long\n  language: en\nclaims:\n" + "".join(claims) + "relations:\n" + relations,
        encoding="utf-8",
    )
    return seeds


def floor(seeds: Path) -> None:
    data = yaml.load((seeds / "doc-a" / "annotations.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    text = (seeds / "doc-a" / "essay.txt").read_text(encoding="utf-8")
    for claim in data["claims"]:
        text.find(claim["quote"])


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def big_benchmark(tmp: Path, quotes: int, bad_quotes: int, repeat: int) -> None:
    from datapkg.seeds import load_document, open_seeds

    for bad in sorted({0, bad_quotes}):
        seeds = make(tmp / f"bad{bad}", quotes, bad)
        opened = open_seeds(seeds)
        result = load_document(opened, seeds / "doc-a")
        errors = len(result.errors)
        load = timed(lambda s=seeds, o=opened: load_document(o, s / "doc-a"), repeat)
        base = timed(lambda s=seeds: floor(s), repeat)
        size = (seeds / "doc-a" / "essay.txt").stat().st_size
        print(
            f"essay {size / 1e6:.2f} MB, {quotes} quotes ({bad} bad, {errors} errors): "
            f"load {load:.3f} s, floor {base:.3f} s, ratio {load / base:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300, help="synthetic documents (0: skip the corpus part)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with ('' for none)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurements per variant")
    parser.add_argument("--quotes", type=int, default=2000)
    parser.add_argument("--bad", type=int, default=0, help="how many of the big document's quotes have a typo")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true", help="skip the big-document part")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.docs:
            corpus_benchmark(Path(tmp), args.docs, args.seed, args.baseline or None, args.rounds, args.repeat)
        if not args.skip_big:
            big_benchmark(Path(tmp), args.quotes, args.bad, args.repeat)


if __name__ == "__main__":
    main()
