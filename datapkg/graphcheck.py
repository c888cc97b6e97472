"""`datapkg validate --graph`: build the RDF graph of the seeds in memory and check it with SHACL.

The graph is made by the same code as `datapkg build` (`emit.rdf`), parsed with rdflib and
validated by pyshacl against the shapes generated from `datapkg.vocab` (schema/shapes.ttl).
Each SHACL result becomes a `shacl-violation` problem naming the node, the property and,
for a document's node, the annotation file it comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem
from .seeds import ActorIndex, display_path, iter_documents, merge_actors, open_seeds
from .vocab import SH, Iris, curie

if TYPE_CHECKING:
    import rdflib


def seeds_ntriples(seeds_dir: Path | str) -> bytes:
    """The whole graph of the seeds as N-Triples (valid documents only)."""
    from .emit import BuildContext
    from .emit.rdf import RdfSink, dataset_triples
    from .rdfsyntax import group

    seeds = open_seeds(seeds_dir)
    sink = RdfSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=Path(".")))
    index, parts = ActorIndex(), []
    for result in iter_documents(seeds):
        merge_actors(index, result)
        if result.records is not None:
            parts.append(sink.chunk(result.records).nt)  # the N-Triples as rendered, not deflated for the zip
    triples = dataset_triples(seeds.dataset, index.sorted(), sink.iris)
    parts.append(sink.serialiser.chunk(group(triples), sink.iris.dataset_graph, "dataset").nt)
    return b"".join(parts)


def shapes_graph() -> rdflib.Graph:
    import rdflib

    from .vocabfiles import shapes_ttl

    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=shapes_ttl(), format="turtle")
    return graph


def shacl_problems(data: rdflib.Graph, iris: Iris | None = None, seeds_root: Path | None = None) -> list[Problem]:
    """Run pyshacl on `data`; one problem per validation result, sorted."""
    import pyshacl
    import rdflib

    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes_graph(), inference="none", allow_warnings=True, advanced=True
    )
    if conforms:
        return []
    sh = rdflib.Namespace(SH)
    problems = []
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        message = results.value(result, sh.resultMessage)
        value = results.value(result, sh.value)
        severity = "error" if results.value(result, sh.resultSeverity) == sh.Violation else "warning"
        subject = _short(str(focus), iris)
        where = _path_text(results, path)
        text = f"{where}: {message}" if where else str(message)
        if value is not None and str(value) not in text:
            text += f" (value {_short(str(value), iris)})"
        problems.append(
            Problem.make(
                "shacl-violation",
                text,
                subject=subject,
                file=_annotation_file(str(focus), iris, seeds_root),
                severity=severity,
            )
        )
    return sorted(problems, key=lambda p: (p.file or "", p.subject or "", p.message))


def check_graph(seeds_dir: Path | str) -> list[Problem]:
    """SHACL problems of the graph `datapkg build` would write for these seeds."""
    import rdflib

    seeds = open_seeds(seeds_dir)
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=seeds_ntriples(seeds_dir), format="nt")
    return shacl_problems(graph, Iris(seeds.dataset.base_iri), seeds.root)


def _short(iri: str, iris: Iris | None) -> str:
    if iris and iri.startswith(iris.root):
        return iris.relative(iri)
    return curie(iri) or iri


def _path_text(results: rdflib.Graph, path: object) -> str:
    import rdflib

    if isinstance(path, rdflib.URIRef):
        return curie(str(path)) or str(path)
    if isinstance(path, rdflib.BNode):  # [ sh:inversePath p ]
        inverse = results.value(path, rdflib.URIRef(SH + "inversePath"))
        if inverse is not None:
            return f"^{curie(str(inverse)) or inverse}"
    return ""


def _annotation_file(iri: str, iris: Iris | None, seeds_root: Path | None) -> str | None:
    """seeds/<doc>/annotations.yaml for a node of a document's graph."""
    if not iris or not seeds_root:
        return None
    rel = iris.relative(iri)
    if not rel.startswith("document/"):
        return None
    doc_id = rel.split("/")[1]
    return display_path(seeds_root / doc_id / "annotations.yaml")
