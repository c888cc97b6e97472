"""Reading the tables of a Data Package: header, rows, cells and keys, one pass per table.

The table half of `datapkg check` (`datapkg.pkgcheck`). Tables are read in reference order (a table
after the tables its foreign keys refer to), each once, in constant memory per row; cells go through
the compiled fields of `datapkg.pkgfields` (a whole-row fast path, cell by cell only when it fails).
Keys are kept as hashes (see `datapkg.pkgcheck` for the memory and the collision chance); references
that cannot be looked up while a table is read (to itself, or in a cycle of tables) are kept as
(hash, row) pairs and looked up at the end.
"""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .pkgfields import CellProblem, FieldReader, row_check
from .pkgfiles import CHUNK, Digesting, FileJob, Problems, byte_problems, encoding_problem, open_file


@dataclass
class ForeignKey:
    columns: list[int]  # positions of `fields` in this table
    fields: list[str]
    resource: str  # the referenced table (this one for a self-reference)
    reference: tuple[str, ...]  # its fields


@dataclass
class Table:
    """A table resource compiled for reading: fields, dialect for the csv module, keys by column position."""

    readers: list[FieldReader]
    names: list[str]
    header: bool
    dialect: dict[str, Any]
    comment: str | None
    primary_key: list[int]
    uniques: list[list[int]]
    foreign_keys: list[ForeignKey]
    runnable: bool = True  # False: the schema or dialect cannot be applied; bytes and hash only


@dataclass
class Resource:
    """One resource of the descriptor: its file, its table (if it is one), its problems and figures."""

    index: int
    name: str
    job: FileJob | None  # None: no local file to read
    table: Table | None
    problems: Problems
    stats: dict[str, Any] = field(default_factory=dict)


class _KeySet:
    """Hashes of the key values of one table's rows (for the foreign keys that refer to them)."""

    def __init__(self) -> None:
        self.hashes: set[int] = set()
        self.complete = False  # every row read and readable: a miss is a dangling reference
        self.usable = True  # False: the table could not be read; references to it are not checked


def _key_function(readers: list[FieldReader], columns: list[int]) -> Callable[[list[str]], int | None]:
    """The hash of a row's key (cells already checked); None when every cell of it is missing.

    Strings hash as themselves, other types as `key_part` of their typed value, so that the same key
    hashes alike in the table that has it and in the tables that refer to it.
    """
    if all(readers[i].plain_key for i in columns):  # required strings: the cells are the key
        if len(columns) == 1:
            (column,) = columns
            return lambda row: hash(row[column])
        get = itemgetter(*columns)
        return lambda row: hash(get(row))
    convert = [(i, readers[i].key_of) for i in columns]

    def key(row: list[str]) -> int | None:
        parts = [of(row[i]) for i, of in convert]  # type: ignore[misc]
        if all(p is None for p in parts):
            return None
        return hash(parts[0]) if len(parts) == 1 else hash(tuple(parts))

    return key


@dataclass
class _Pending:
    """References that could not be looked up while reading (self-references, cycles): checked at the end."""

    resource: Resource
    fk: ForeignKey
    hashes: array = field(default_factory=lambda: array("q"))
    rows: array = field(default_factory=lambda: array("q"))


def _order(tables: list[Resource]) -> list[Resource]:
    """Referenced tables first (descriptor order otherwise); self-references and cycles are left pending."""
    by_name = {r.name: r for r in tables}
    done: list[Resource] = []
    left = list(tables)
    while left:
        ready = next(
            (
                r
                for r in left
                if all(by_name.get(fk.resource, r) in (r, *done) for fk in r.table.foreign_keys)  # type: ignore[union-attr]
            ),
            left[0],  # a cycle: its references are checked at the end
        )
        done.append(ready)
        left.remove(ready)
    return done


def check_tables(tables: list[Resource]) -> None:
    # Essays are long: a cell may be far beyond the csv module's default limit of 128 KiB.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    keysets: dict[tuple[str, tuple[str, ...]], _KeySet] = {}
    users: dict[tuple[str, tuple[str, ...]], int] = {}
    for r in tables:
        for fk in r.table.foreign_keys:  # type: ignore[union-attr]
            ref = (fk.resource, fk.reference)
            keysets.setdefault(ref, _KeySet())
            users[ref] = users.get(ref, 0) + 1
    pending: list[_Pending] = []
    for r in _order(tables):
        _check_table(r, keysets, pending)
        for fk in r.table.foreign_keys:  # type: ignore[union-attr]
            ref = (fk.resource, fk.reference)
            users[ref] -= 1
            if users[ref] == 0 and not any(p.fk.resource == ref[0] and p.fk.reference == ref[1] for p in pending):
                keysets[ref].hashes = set()  # no table needs these keys any more
    for p in pending:
        keys = keysets[(p.fk.resource, p.fk.reference)]
        if not keys.usable:
            continue
        missing = [row for h, row in zip(p.hashes, p.rows, strict=True) if h not in keys.hashes]
        if missing:
            values = _row_values(p.resource, set(missing[: p.resource.problems.cap]), p.fk.columns)
            for row in missing:
                _dangling(p.resource, p.fk, row, values.get(row))


def _dangling(r: Resource, fk: ForeignKey, row: int, values: list[str] | None) -> None:
    shown = ", ".join(map(repr, values)) if values is not None else "the value"
    r.problems.add(
        "package-foreign-key",
        f"({', '.join(fk.fields)}) = ({shown}) is not a key of {fk.resource} ({', '.join(fk.reference)})",
        row,
        fk.columns[0] + 1,
        subject=f"{r.name}.{fk.fields[0]}",
    )


def _reader(r: Resource) -> tuple[Digesting, Iterator[list[str]]] | None:
    job, table = r.job, r.table
    assert job is not None and table is not None
    digest = open_file(job, r.problems)
    if digest is None:
        return None
    buffered = io.BufferedReader(digest, CHUNK)
    text = io.TextIOWrapper(buffered, encoding=job.encoding, newline="")
    return digest, csv.reader(text, **table.dialect)


def _check_table(r: Resource, keysets: dict[tuple[str, tuple[str, ...]], _KeySet], pending: list[_Pending]) -> None:
    table, job, problems = r.table, r.job, r.problems
    assert table is not None and job is not None
    own = {ref: keys for ref, keys in keysets.items() if ref[0] == r.name}
    r.stats.update({"path": job.display, "bytes": None, "rows": 0})
    opened = _reader(r)
    if opened is None:
        for keys in own.values():
            keys.usable = False
        return
    digest, rows = opened
    readable = table.runnable
    try:
        with digest.raw:
            if readable:
                readable = _check_rows(r, rows, keysets, own, pending)
            digest.drain()
    finally:
        for keys in own.values():
            keys.usable = readable
            keys.complete = readable
    r.stats["bytes"] = digest.size
    byte_problems(job, digest, problems)


def _check_rows(
    r: Resource,
    rows: Iterator[list[str]],
    keysets: dict[tuple[str, tuple[str, ...]], _KeySet],
    own: dict[tuple[str, tuple[str, ...]], _KeySet],
    pending: list[_Pending],
) -> bool:
    """Every row of one table; False when the rows could not all be read (keys then unusable)."""
    table, problems, name = r.table, r.problems, r.name
    assert table is not None
    add = problems.add
    readers, names = table.readers, table.names
    width = len(names)
    row_number = 0
    try:
        if table.header:
            labels = next(rows, None)
            row_number = 1
            if labels != names:
                _header_problem(r, labels)
                return False
        position = {n: i for i, n in enumerate(names)}
        key_columns = set(table.primary_key)
        for cols in table.uniques:
            key_columns.update(cols)
        for fk in table.foreign_keys:
            key_columns.update(fk.columns)
        pk_set: set[int] = set()
        collect = []  # this table's keys that foreign keys refer to (the primary key's set is shared)
        for (_, ref), keys in own.items():
            cols = [position[n] for n in ref]
            key_columns.update(cols)
            if cols == table.primary_key:
                keys.hashes = pk_set
            else:
                collect.append((set(cols), _key_function(readers, cols), keys.hashes))
        checked = [i for i, f in enumerate(readers) if not f.trivial or i in key_columns]
        fast = row_check(readers, checked)
        slow = [(i, readers[i].read, f"{name}.{names[i]}") for i in checked]
        pk = table.primary_key
        pk_cells = set(pk)
        pk_key = _key_function(readers, pk) if pk else None
        uniques = [(cols, set(cols), _key_function(readers, cols), set()) for cols in table.uniques]
        references = []
        for fk in table.foreign_keys:
            keys = keysets[(fk.resource, fk.reference)]
            later = None
            if fk.resource == name or not keys.complete:  # a self-reference, or a cycle: look up at the end
                if not keys.usable:
                    continue
                later = _Pending(r, fk)
                pending.append(later)
            references.append((fk, set(fk.columns), _key_function(readers, fk.columns), keys.hashes, later))
        comment = table.comment
        no_problems: set[int] = set()
        for row in rows:
            row_number += 1
            if comment is not None and row and row[0].startswith(comment):
                continue
            if len(row) != width or not any(row):
                if any(row):
                    shape, column = f"{len(row)} cell(s); the schema has {width} field(s)", min(len(row), width) + 1
                else:
                    shape, column = "blank row", 1
                add("package-row-shape", shape, row_number, column, subject=name)
                continue
            bad = no_problems
            if not fast(row):  # some cell is wrong: find which, and what is wrong with it
                bad = set()
                for i, read, subject in slow:
                    try:
                        read(row[i])
                    except CellProblem as exc:
                        add(exc.code, exc.message, row_number, i + 1, subject=subject)
                        bad.add(i)
            if pk_key is not None and not (bad and bad & pk_cells):
                h = pk_key(row)
                if h is None:
                    add("package-duplicate-key", "the primary key is empty", row_number, pk[0] + 1, subject=name)
                elif h in pk_set:
                    add(
                        "package-duplicate-key",
                        f"primary key {_show(names, pk, row)} repeats an earlier row's",
                        row_number,
                        pk[0] + 1,
                        subject=name,
                    )
                else:
                    pk_set.add(h)
            for cols, cells, key, seen in uniques:
                if bad and bad & cells:
                    continue
                h = key(row)
                if h is None:
                    continue
                if h in seen:
                    add(
                        "package-not-unique",
                        f"{_show(names, cols, row)} repeats an earlier row's",
                        row_number,
                        cols[0] + 1,
                        subject=f"{name}.{names[cols[0]]}",
                    )
                else:
                    seen.add(h)
            for cells, key, hashes in collect:
                if not (bad and bad & cells) and (h := key(row)) is not None:
                    hashes.add(h)
            for fk, cells, key, hashes, later in references:
                if (bad and bad & cells) or (h := key(row)) is None:
                    continue
                if later is not None:
                    later.hashes.append(h)
                    later.rows.append(row_number)
                elif h not in hashes:
                    _dangling(r, fk, row_number, [row[i] for i in fk.columns])
    except csv.Error as exc:
        add("package-csv-invalid", str(exc), row_number + 1, subject=name)
        return False
    except UnicodeDecodeError as exc:
        encoding_problem(r.job, problems, exc, subject=name)  # type: ignore[arg-type]
        return False
    finally:
        r.stats["rows"] = max(0, row_number - (1 if table.header else 0))
    return True


def _show(names: list[str], columns: list[int], row: list[str]) -> str:
    return f"({', '.join(names[i] for i in columns)}) = ({', '.join(repr(row[i]) for i in columns)})"


def _header_problem(r: Resource, labels: list[str] | None) -> None:
    table = r.table
    assert table is not None
    if labels is None:
        r.problems.add("package-header-mismatch", "the file is empty: no header row", 1, subject=r.name)
        return
    column = next(
        (i for i, (a, b) in enumerate(zip(labels, table.names, strict=False)) if a != b),
        min(len(labels), len(table.names)),
    )
    found = labels[column] if column < len(labels) else "(nothing)"
    wanted = table.names[column] if column < len(table.names) else "(nothing)"
    r.problems.add(
        "package-header-mismatch",
        f"column {column + 1} is {found!r}, the schema has {wanted!r} ({len(labels)} labels, "
        f"{len(table.names)} fields); rows not checked",
        1,
        column + 1,
        subject=r.name,
    )


def _row_values(r: Resource, wanted: set[int], columns: list[int]) -> dict[int, list[str]]:
    """The cells of a few rows, read again (for messages about references checked at the end)."""
    opened = _reader(r)
    found: dict[int, list[str]] = {}
    if opened is None:
        return found
    digest, rows = opened
    with digest.raw:
        for number, row in enumerate(rows, start=1):  # the header, if any, is row 1
            if number in wanted:
                found[number] = [row[i] for i in columns]
                if len(found) == len(wanted):
                    break
    return found
