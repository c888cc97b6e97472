"""Benchmark the loader on one big document: a 1 MB essay with many quotes, and many bad quotes.

    python benchmarks/loader.py [--quotes 2000] [--bad 200] [--repeat 3]

Prints the time of `load_document` (parse YAML, anchor every quote, mentions, checks, coverage) and,
measured in the same run, a floor: libyaml loading the same annotations into Python objects plus one
`str.find` per quote (what the naive approach costs before it checks for a second occurrence).
The ratio load / floor is the figure to watch; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from datapkg.seeds import load_document, open_seeds

MINIMAL = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "valid" / "minimal"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quotes", type=int, default=2000)
    parser.add_argument("--bad", type=int, default=0, help="how many of the quotes have a typo")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for bad in sorted({0, args.bad}):
            seeds = make(Path(tmp) / f"bad{bad}", args.quotes, bad)
            opened = open_seeds(seeds)
            result = load_document(opened, seeds / "doc-a")
            errors = len(result.errors)
            load = timed(lambda s=seeds, o=opened: load_document(o, s / "doc-a"), args.repeat)
            base = timed(lambda s=seeds: floor(s), args.repeat)
            size = (seeds / "doc-a" / "essay.txt").stat().st_size
            print(
                f"essay {size / 1e6:.2f} MB, {args.quotes} quotes ({bad} bad, {errors} errors): "
                f"load {load:.3f} s, floor {base:.3f} s, ratio {load / base:.1f}"
            )


if __name__ == "__main__":
    main()
