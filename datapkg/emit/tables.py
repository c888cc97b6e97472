"""The CSV tables (build/data/*.csv), streamed as documents arrive.

Rows of one document are rendered (pure, picklable: a string per table) and appended
to open files in corpus order. Unit ids start with "<doc-id>/" and corpus order sorts
folders by name + "/", so appending keeps those tables sorted by primary key. Tables
keyed by the bare document id ("a" < "a-b" but "a-b/" < "a/") are spooled with their
sort keys and written in key order at the end; the index holds keys, not rows. The actor
tables are written at the end, a batch of (sorted) actors at a time, never the whole list.

Cells that a spreadsheet would run as a formula are escaped reversibly, see `escape_cell`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import IO, Any, TypeVar

from ..model import Actor, DocumentRecords, Recommendation
from ..tableschema import DIALECT, ESCAPE_CHAR, FORMULA_TRIGGERS, TABLES, Column, Table
from . import Sink
from .files import describe, digest_many

# Tables keyed by a bare document id: their rows are re-sorted at the end (see module doc).
REORDERED = frozenset({"documents", "document_facts", "document_fact_evidence"})
CORPUS_BATCH = 1000  # actors whose rows are formatted at once in finish
WRITE_BUFFER = 1 << 18  # per table file: a few documents' rows per write() call, not several calls each
_ESCAPED_STARTS = (*FORMULA_TRIGGERS, ESCAPE_CHAR)
T = TypeVar("T")


def escape_cell(value: str) -> str:
    """Neutralise a free-text cell a spreadsheet would execute (=, +, -, @, tab, CR): prefix one '.

    A value that already starts with ' gets one too, so `unescape_cell` (drop one leading ')
    restores every value exactly. Only cells that need it change; ids, enums and numbers never do.
    """
    return ESCAPE_CHAR + value if value.startswith(_ESCAPED_STARTS) else value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith(ESCAPE_CHAR) else value


def _cell_expression(column: Column, var: str) -> str:
    """Python source of one column's CSV cell text from its typed value `var` (empty when None)."""
    if column.type == "boolean":
        text = f'("true" if {var} else "false")'
    elif column.type == "integer":
        text = f"str(int({var}))"
    elif column.free_text:
        text = f"(_ESC + {var} if {var}.startswith(_STARTS) else {var})"  # escape_cell, inlined
    else:
        text = var
    return f'"" if {var} is None else {text}'


def _compile_cells(table: Table) -> Callable[[tuple], tuple]:
    """One function per table from a typed row to its cells: a row costs one call, not one per cell."""
    names = [f"c{i}" for i in range(len(table.columns))]
    cells = ", ".join(f"({_cell_expression(c, v)})" for c, v in zip(table.columns, names, strict=True))
    source = f"def cells(row):\n    {', '.join(names)}, = row\n    return ({cells},)\n"
    namespace: dict[str, Any] = {"_ESC": ESCAPE_CHAR, "_STARTS": _ESCAPED_STARTS}
    exec(compile(source, f"<cells of {table.name}>", "exec"), namespace)  # noqa: S102 - source built from the schema
    return namespace["cells"]


def _writer(buffer: IO[str]) -> Any:
    return csv.writer(
        buffer,
        delimiter=DIALECT["delimiter"],
        lineterminator=DIALECT["lineTerminator"],
        quotechar=DIALECT["quoteChar"],
        doublequote=DIALECT["doubleQuote"],
        quoting=csv.QUOTE_MINIMAL,
    )


class _Format:
    """Turns typed rows of one table into CSV text and sort keys."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.cells = _compile_cells(table)
        # Typed row of a record in column order, made in C.
        self.get: Callable[[Any], tuple] = attrgetter(*table.column_names)
        self.key_index = [table.column_names.index(k) for k in table.primary_key]
        # For sorting rows: the same order as `key`, made in C (one column: the value itself, not a 1-tuple).
        self.sort_key: Callable[[tuple], Any] = itemgetter(*self.key_index)

    def key(self, row: tuple) -> tuple:
        return tuple(row[i] for i in self.key_index)

    def lines(self, rows: Iterable[tuple]) -> list[str]:
        buffer = io.StringIO()
        writer = _writer(buffer)
        out = []
        for row in rows:
            writer.writerow(self.cells(row))
            out.append(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        return out

    def text(self, rows: Iterable[tuple]) -> str:
        """All rows as one CSV text (the same as joining `lines`, with one writer call)."""
        buffer = io.StringIO()
        _writer(buffer).writerows(map(self.cells, rows))
        return buffer.getvalue()

    def header(self) -> str:
        buffer = io.StringIO()
        _writer(buffer).writerow(self.table.column_names)
        return buffer.getvalue()


FORMATS = {t.name: _Format(t) for t in TABLES}


# ---------------------------------------------------------------- rows


def record_row(table: Table, record: Any) -> tuple:
    return FORMATS[table.name].get(record)


def link_rows(table: Table, owners: Iterable[Any]) -> Iterator[tuple]:
    assert table.link is not None
    for owner in owners:
        for kind, field_name in table.link.kinds:
            for position, item in enumerate(getattr(owner, field_name), 1):
                yield (owner.id, kind, position, item) if table.link.kind_column else (owner.id, position, item)


def document_rows(table: Table, records: DocumentRecords) -> Iterable[tuple]:
    """Typed rows (column order) one document contributes to a document-scoped table."""
    doc = records.document
    get = FORMATS[table.name].get
    match table.name:
        case "documents":
            return [get(doc)]
        case "document_facts":
            return list(map(get, doc.facts))
        case "document_fact_evidence":
            return [(f.document_id, f.property, i, q) for f in doc.facts for i, q in enumerate(f.evidence, 1)]
        case "claims":
            return list(map(get, records.claims))
        case "claim_about" | "claim_cues":
            return link_rows(table, records.claims)
        case "recommendations":
            return [get(c) for c in records.claims if isinstance(c, Recommendation)]
        case "recommendation_actors":
            return link_rows(table, (c for c in records.claims if isinstance(c, Recommendation)))
        case "relations":
            return list(map(get, records.relations))
        case "mentions":
            return list(map(get, records.mentions))
    raise KeyError(f"no rows for table {table.name!r}")


def corpus_rows(table: Table, actors: Iterable[Actor]) -> Iterable[tuple]:
    match table.name:
        case "actors":
            return list(map(FORMATS[table.name].get, actors))
        case "actor_aliases" | "actor_memberships":
            return link_rows(table, actors)
    raise KeyError(f"no rows for table {table.name!r}")


def render_document(records: DocumentRecords) -> dict[str, tuple[int, Any]]:
    """Per table: (row count, CSV text), or for re-sorted tables (row count, [(key, line)])."""
    out: dict[str, tuple[int, Any]] = {}
    for table in TABLES:
        if table.scope != "document":
            continue
        fmt = FORMATS[table.name]
        rows = sorted(document_rows(table, records), key=fmt.sort_key)
        if table.name in REORDERED:
            out[table.name] = (len(rows), list(zip([fmt.key(r) for r in rows], fmt.lines(rows), strict=True)))
        else:
            out[table.name] = (len(rows), fmt.text(rows))
    return out


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# ---------------------------------------------------------------- sink


class _Spool:
    """Rows written in arrival order with an index of (key, offset, length), copied out sorted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = open(path, "w+b")  # noqa: SIM115 - closed in copy_sorted
        self.index: list[tuple[tuple, int, int]] = []

    def add(self, key: tuple, line: str) -> None:
        data = line.encode("utf-8")
        self.index.append((key, self.file.tell(), len(data)))
        self.file.write(data)

    def copy_sorted(self, target: IO[str]) -> None:
        self.file.flush()
        for _key, offset, length in sorted(self.index, key=lambda e: e[0]):
            self.file.seek(offset)
            target.write(self.file.read(length).decode("utf-8"))
        self.file.close()
        self.path.unlink()


class TablesSink(Sink):
    """Writes build/data/<table>.csv for every table in `tableschema.TABLES`."""

    name = "tables"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        # Files open on first write so that constructing a sink (e.g. in a worker) has no side effects.
        self.files: dict[str, IO[str]] = {}
        self.spools: dict[str, _Spool] = {}
        self.rows = {t.name: 0 for t in TABLES}

    def _open(self, table: Table) -> IO[str]:
        f = self.files.get(table.name)
        if f is None:
            f = open(self.ctx.path(table.path), "w", encoding="utf-8", newline="", buffering=WRITE_BUFFER)  # noqa: SIM115
            f.write(FORMATS[table.name].header())
            self.files[table.name] = f
        return f

    def _spool(self, name: str) -> _Spool:
        spool = self.spools.get(name)
        if spool is None:
            spool = self.spools[name] = _Spool(self.ctx.path(f"data/.{name}.spool"))
        return spool

    def render(self, records: DocumentRecords) -> dict[str, tuple[int, Any]]:
        return render_document(records)

    def write(self, rendered: dict[str, tuple[int, Any]]) -> None:
        for name, (count, chunk) in rendered.items():
            self.rows[name] += count
            if name in REORDERED:
                spool = self._spool(name)
                for key, line in chunk:
                    spool.add(key, line)
            elif chunk:
                self._open(FORMATS[name].table).write(chunk)

    def finish(self, actors: Sequence[Actor]) -> None:
        self._write_corpus_tables(actors)
        for table in TABLES:
            f = self._open(table)
            if table.name in self.spools:
                self.spools.pop(table.name).copy_sorted(f)
            f.close()
            describe(self.ctx, table.path, table.title, table.description, "text/csv")
        digest_many(self.ctx, [t.path for t in TABLES])  # hashed on every core, once
        self.ctx.counts["rows"] = dict(self.rows)

    def _write_corpus_tables(self, actors: Sequence[Actor]) -> None:
        """The actor tables in one pass over the actors, a batch at a time (bounded memory at any corpus size).

        `actors` is sorted by id and every corpus table's key starts with the actor id, so rows
        sorted within a batch of consecutive actors are in the order of the whole table.
        """
        tables = [t for t in TABLES if t.scope == "corpus"]
        for table in tables:
            self.rows[table.name] = 0
        last = ""
        for batch in _batches(actors, CORPUS_BATCH):
            ids = [a.id for a in batch]
            if min(ids) < last:  # batches would interleave: the Sink contract says sorted
                raise ValueError("TablesSink.finish: the actors must come sorted by id")
            last = max(ids)
            for table in tables:
                fmt = FORMATS[table.name]
                rows = sorted(corpus_rows(table, batch), key=fmt.sort_key)
                if rows:
                    self._open(table).write(fmt.text(rows))
                    self.rows[table.name] += len(rows)


# ---------------------------------------------------------------- reading back


def read_table(path: Path | str, table: Table) -> Iterator[dict[str, Any]]:
    """Typed rows of a table file as written by TablesSink (escaping undone, empty cells None)."""
    parsers: list[Callable[[str], Any]] = []
    for c in table.columns:
        if c.type == "integer":
            parsers.append(int)
        elif c.type == "boolean":
            parsers.append({"true": True, "false": False}.__getitem__)
        elif c.free_text:
            parsers.append(unescape_cell)
        else:
            parsers.append(str)
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=DIALECT["delimiter"], quotechar=DIALECT["quoteChar"], strict=True)
        header = next(reader)
        if tuple(header) != table.column_names:
            raise ValueError(f"{path}: header {header} differs from the table schema {list(table.column_names)}")
        for cells in reader:
            yield {
                c.name: (None if cell == "" else parse(cell))
                for c, parse, cell in zip(table.columns, parsers, cells, strict=True)
            }
