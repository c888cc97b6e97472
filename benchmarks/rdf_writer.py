"""The RDF writer (datapkg.emit.rdf) against rdflib and pyoxigraph, on the same triples, in one run.

    python benchmarks/rdf_writer.py [--seeds seeds] [--corpus DIR] [--repeat 3]

For each input: our render() (triples made from the records and written as sorted
N-Triples, N-Quads, Turtle and JSON-LD in one pass); pyoxigraph serialising the same triples
as N-Triples from Python objects in memory (the practical floor for Python tooling); rdflib
serialising them as N-Triples, Turtle and JSON-LD from a Graph already in memory (what a
writer built on rdflib would pay at least). Figures are CPU seconds (process time, so other
load on a shared machine disturbs them less), best of --repeat; throughput in triples/s and
ratios against pyoxigraph. rdflib is measured on the seeds only (it is far too slow for a corpus).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib

from datapkg.emit import BuildContext
from datapkg.emit.rdf import RdfSink
from datapkg.model import DocumentRecords
from datapkg.seeds import iter_documents, open_seeds


def best_cpu(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def load(seeds_dir: Path) -> tuple[RdfSink, list[DocumentRecords]]:
    seeds = open_seeds(seeds_dir)
    records = [r.records for r in iter_documents(seeds) if r.records is not None]
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path("unused")))
    return sink, records


def measure(label: str, seeds_dir: Path, repeat: int, with_rdflib: bool) -> None:
    sink, records = load(seeds_dir)
    chunks = [sink.render(r) for r in records]
    triples = sum(c.triples for c in chunks)
    nt = b"".join(c.nt for c in chunks)
    ours = best_cpu(lambda: [sink.render(r) for r in records], repeat)
    oxi_triples = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    oxi = best_cpu(lambda: ox.serialize(oxi_triples, format=ox.RdfFormat.N_TRIPLES), repeat)
    print(f"\n{label}: {len(records)} document(s), {triples:,} triples")
    print(f"  {'datapkg render (nt+nq+ttl+jsonld)':40} {ours:8.3f} s {triples / ours:12,.0f} triples/s")
    print(f"  {'pyoxigraph serialize (nt only)':40} {oxi:8.3f} s {triples / oxi:12,.0f} triples/s")
    print(f"  ratio datapkg / pyoxigraph: {ours / oxi:.1f}x (datapkg writes four syntaxes and sorts)")
    if with_rdflib:
        graph = rdflib.Graph(bind_namespaces="none")
        graph.parse(data=nt, format="nt")
        for fmt in ("nt", "turtle", "json-ld"):
            took = best_cpu(lambda fmt=fmt: graph.serialize(format=fmt), max(1, repeat // 2))
            print(f"  {'rdflib serialize ' + fmt:40} {took:8.3f} s {triples / took:12,.0f} triples/s")
            print(f"  ratio rdflib {fmt} / datapkg (all four): {took / ours:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--corpus", type=Path, help="a seeds directory made by benchmarks/make_corpus.py")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    measure("seeds", args.seeds, args.repeat, with_rdflib=True)
    if args.corpus:
        measure(f"corpus {args.corpus}", args.corpus, args.repeat, with_rdflib=False)


if __name__ == "__main__":
    main()
