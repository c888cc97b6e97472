"""The embedded triple store: `build/store/` is an Oxigraph (RocksDB) database bulk-loaded from the N-Quads file.

Loading goes into a fresh sibling directory that replaces the old store only once it is
complete, so a failed or interrupted load leaves the previous store untouched. Queries
see the union of all named graphs as their default graph (each document has its own
graph; the dataset metadata has one more), so example queries need no GRAPH clauses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, OutputError, Problem, UsageError
from .queryresults import QueryResult, Term, declared_prefixes, query_form

if TYPE_CHECKING:
    import pyoxigraph

STORE_DIR = "store"
RDF_DIR = "rdf"
COUNT_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


@dataclass(frozen=True)
class StoreSummary:
    """What a load put into the store (graphs only: counting every quad would cost ~8% of the load)."""

    path: Path
    graphs: int


def find_nquads(build_dir: Path) -> Path:
    """The one `<name>.nq` a build wrote into `build/rdf/`."""
    found = sorted((build_dir / RDF_DIR).glob("*.nq"))
    if len(found) == 1:
        return found[0]
    where = build_dir / RDF_DIR
    detail = "no .nq file" if not found else f"{len(found)} .nq files ({', '.join(p.name for p in found)})"
    raise UsageError(Problem.make("rdf-missing", f"{detail} in {where}", file=str(where)))


def load(nquads: Path, store_dir: Path) -> StoreSummary:
    """Bulk-load an N-Quads file into a new store at `store_dir`, replacing any previous store whole."""
    if not nquads.is_file():
        raise UsageError(Problem.make("rdf-missing", f"{nquads} does not exist", file=str(nquads)))
    tmp = store_dir.parent / f".{store_dir.name}.tmp-{os.getpid()}"
    try:
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        return _load(nquads, tmp, store_dir)
    except OSError as exc:  # read-only or full disk, permissions
        raise OutputError(Problem.make("output-unwritable", str(exc), file=str(store_dir))) from None


def _load(nquads: Path, tmp: Path, store_dir: Path) -> StoreSummary:
    import pyoxigraph as ox

    try:
        store = ox.Store(str(tmp))
        try:
            store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise DataError(Problem.make("rdf-invalid", str(exc), file=str(nquads))) from None
        default = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        if default:
            raise DataError(
                Problem.make("rdf-default-graph", f"{default} triple(s) are in the default graph", file=str(nquads))
            )
        graphs = sum(1 for _ in store.named_graphs())
        del store  # closes RocksDB before the directory moves
        _swap(tmp, store_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StoreSummary(store_dir, graphs)


def _swap(new: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open an existing store read-only (several readers, e.g. `datapkg serve`, may share it)."""
    import pyoxigraph as ox

    if not (store_dir / "CURRENT").is_file():
        raise UsageError(Problem.make("store-missing", f"no embedded store in {store_dir}", file=str(store_dir)))
    try:
        return ox.Store.read_only(str(store_dir))
    except OSError as exc:
        raise UsageError(Problem.make("store-open-failed", str(exc), file=str(store_dir))) from None


def graph_counts(store: pyoxigraph.Store) -> dict[str, int]:
    """Triples per named graph."""
    return {row["g"].value: int(row["n"].value) for row in store.query(COUNT_QUERY)}


def query(store: pyoxigraph.Store, text: str) -> QueryResult:
    """Run a read-only query with the union of all graphs as default graph."""
    import pyoxigraph as ox

    try:
        if query_form(text) == "update":
            raise UsageError(Problem.make("query-update", "the query changes data"))
    except ValueError:
        pass  # no form keyword: let the parser say where the query goes wrong
    try:
        answer = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise UsageError(Problem.make("query-invalid", " ".join(str(exc).split()))) from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        return graph_result(answer, declared_prefixes(text))
    names = [v.value for v in answer.variables]
    rows = []
    for solution in answer:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = to_term(term)
        rows.append(row)
    return QueryResult("select", vars=names, rows=rows)


def to_term(term: object) -> Term:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return Term("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return Term("bnode", term.value)
    if isinstance(term, ox.Literal):
        return Term("literal", term.value, term.datatype.value, term.language)
    return Term("triple", str(term))


def graph_result(triples: Iterable[pyoxigraph.Triple], prefixes: dict[str, str]) -> QueryResult:
    """CONSTRUCT/DESCRIBE answer as sorted Turtle (same bytes whichever store answered)."""
    import pyoxigraph as ox

    ordered = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    lines = [f"{t.subject} {t.predicate} {t.object} ." for t in ordered]
    turtle = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=prefixes or None).decode("utf-8")
    return QueryResult("graph", turtle=turtle, ntriples=lines)
