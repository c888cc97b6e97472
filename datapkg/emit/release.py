"""The release: the data README, build/dist/<name>-<version>.zip, and build/SHA256SUMS.

The zip holds the data artefacts and their descriptors (not the site, not the store),
with sorted entries, fixed timestamps (the `created` date) and fixed permissions, so the
same seeds give the same bytes. SHA256SUMS, written last, covers every file of the
build except itself and the store, in `sha256sum -c` format.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..config import DatasetSpec
from ..tableschema import DIALECT, ESCAPE_NOTE, TABLES, Table
from . import BuildContext, Sink
from .files import (
    CHECKSUMS_FILE,
    DEFLATED_DIR,
    DIST_DIR,
    SITE_DIR,
    STORE_DIR,
    WRITTEN_DIGESTS,
    artefacts,
    deflated_forms,
    describe,
    described,
    digest,
    digest_many,
    record_digest,
)
from .ziparchive import Member, write_archive

README_FILE = "README.md"
ZIP_MODE = 0o100644  # regular file, rw-r--r--
# zlib level 3 compresses the release about 3x faster than the default 6 for archives ~15% larger:
# the zip is rebuilt on every build, so build time (and corpus scale) wins.
ZIP_LEVEL = 3
ZIP_SPOOL_DIR = ".zip-spool"  # hidden (files.artefacts skips it), inside the build; removed when the zip is done


def zip_name(ds: DatasetSpec) -> str:
    return f"{ds.name}-{ds.version}.zip"


def zip_path(ds: DatasetSpec) -> str:
    return f"{DIST_DIR}/{zip_name(ds)}"


def zip_timestamp(created: str) -> tuple[int, int, int, int, int, int]:
    """Every zip entry gets the release date (zip cannot store dates before 1980)."""
    date, _, time = created.rstrip("Z").partition("T")
    y, m, d = (int(x) for x in date.split("-"))
    hh, mm, ss = (int(x) for x in time.split(":")) if time else (0, 0, 0)
    return (max(y, 1980), m, d, hh, mm, ss)


def write_zip(ctx: BuildContext, members: list[str], target: Path, prefix: str) -> None:
    """The release zip: members in the given order, deflated in parallel (`ctx.options.jobs` threads),
    except those deflated as they were written (the RDF: `files.record_deflated`), which are copied.
    Removes the spool files of the latter."""
    stamp = zip_timestamp(ctx.dataset.created)
    target.parent.mkdir(parents=True, exist_ok=True)
    jobs = ctx.options.jobs if ctx.options.jobs > 0 else (os.cpu_count() or 1)
    given = deflated_forms(ctx)
    sha256, size = write_archive(
        target,
        [Member(f"{prefix}/{rel}", ctx.out / rel, given.get(rel)) for rel in members],
        stamp,
        ZIP_MODE,
        ZIP_LEVEL,
        ctx.out / ZIP_SPOOL_DIR,
        jobs,
    )
    given.clear()
    shutil.rmtree(ctx.out / DEFLATED_DIR, ignore_errors=True)
    record_digest(ctx, target.relative_to(ctx.out).as_posix(), sha256, size)  # hashed as it was written


# ---------------------------------------------------------------- data README


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table_section(table: Table, rows: int | None) -> list[str]:
    count = f" ({rows} row{'' if rows == 1 else 's'})" if rows is not None else ""
    lines = [f"### `{table.path}`: {table.title}{count}", "", table.description, ""]
    keys = ", ".join(f"`{k}`" for k in table.primary_key)
    lines.append(f"Primary key: {keys}.")
    for fk in table.foreign_keys:
        src = ", ".join(f"`{f}`" for f in fk.fields)
        dst = ", ".join(f"`{fk.resource}.{f}`" for f in fk.reference)
        lines.append(f"Foreign key: {src} → {dst}.")
    lines += ["", "| Column | Type | Required | Constraints | Description |", "| --- | --- | --- | --- | --- |"]
    for c in table.columns:
        constraints = []
        if c.unique:
            constraints.append("unique")
        if c.enum is not None:
            constraints.append("one of " + ", ".join(f"`{v}`" for v in c.enum))
        if c.pattern is not None:
            constraints.append(f"pattern `{c.pattern}`")
        if c.min_length is not None:
            constraints.append(f"at least {c.min_length} character(s)")
        if c.minimum is not None:
            constraints.append(f"≥ {c.minimum}")
        escaped = " Free text: formula-escaped (see Conventions)." if c.free_text else ""
        lines.append(
            f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {_md('; '.join(constraints))} "
            f"| {_md(c.description)}{escaped} |"
        )
    return [*lines, ""]


def citation(ds: DatasetSpec) -> str:
    if ds.citation:
        return ds.citation
    who = ", ".join(c.title for c in ds.contributors)
    return f"{who} ({ds.created[:4]}). {ds.title}, version {ds.version}."


def data_readme(ctx: BuildContext, files: list[str]) -> str:
    ds = ctx.dataset
    rows: dict[str, int] = ctx.counts.get("rows", {})
    info = described(ctx)
    lic = "; ".join(f"[{x.name}]({x.path}) ({x.title})" for x in ds.licenses)
    lines = [
        f"# {ds.title}",
        "",
        ds.description,
        "",
        f"- Name: `{ds.name}`, version {ds.version}, released {ds.created}",
        f"- Identifier: {ds.base_iri}",
        f"- Licence: {lic}",
        f"- Documents: {len(ctx.documents)}",
    ]
    if ds.homepage:
        lines.append(f"- Homepage: {ds.homepage}")
    lines += ["", "## How to cite", "", citation(ds), "", "## Files", "", "| File | Bytes | What it is |"]
    lines.append("| --- | ---: | --- |")
    for rel in files:
        what = info[rel].title if rel in info else ""
        lines.append(f"| `{rel}` | {digest(ctx, rel).bytes} | {_md(what)} |")
    lines += [
        "",
        "`datapackage.json` describes every file (Frictionless Data Package v2: table schemas, keys, SHA-256), "
        "`csv-metadata.json` describes the tables for CSV on the Web tools.",
        "",
        "## Conventions",
        "",
        f"- CSV: UTF-8 without byte order mark, `{DIALECT['delimiter']}` as separator, LF line ends, a header row, "
        'fields quoted with `"` only when needed (a `"` inside is doubled). Numbers are plain digits, never quoted '
        "or locale-formatted; booleans are `true`/`false`; an empty cell is a missing value.",
        "- Offsets `start` and `end` count Unicode code points (not bytes) from 0, end exclusive: "
        "`text` equals the document's `text` sliced `[start:end)` (Python `text[start:end]`).",
        "- Unit ids are `<document id>/<local id>`; every table is sorted by its primary key.",
        f"- Formula escaping: {ESCAPE_NOTE} Only free-text columns (marked in the tables below) can be affected; "
        "ids, codes and numbers never are. The JSON and RDF files carry the values unescaped.",
        "",
        "## Tables",
        "",
    ]
    for table in TABLES:
        lines += _table_section(table, rows.get(table.name))
    lines += [
        "## Checking the files",
        "",
        "```sh",
        "frictionless validate --type package datapackage.json   # types, keys, foreign keys, sizes, hashes",
        "csvwvalidate csv-metadata.json                           # the same tables with a CSVW validator",
        "```",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- sinks


class ReleaseSink(Sink):
    """Writes README.md and build/dist/<name>-<version>.zip of the data artefacts and descriptors."""

    name = "release"

    def finish(self, actors: Any) -> None:
        ds = self.ctx.dataset
        exclude = {DIST_DIR, SITE_DIR, STORE_DIR, CHECKSUMS_FILE, README_FILE}
        files = artefacts(self.ctx.out, exclude=exclude)
        digest_many(self.ctx, files)  # most are cached already; the README lists their sizes
        readme = data_readme(self.ctx, files)
        self.ctx.path(README_FILE).write_text(readme, encoding="utf-8", newline="\n")
        describe(self.ctx, README_FILE, "Data README", "What each file and column is, the licence, how to cite.")
        members = sorted([*files, README_FILE])
        write_zip(self.ctx, members, self.ctx.path(zip_path(ds)), prefix=f"{ds.name}-{ds.version}")
        describe(
            self.ctx,
            zip_path(ds),
            f"{ds.title}, version {ds.version} (zip)",
            "The data files, their descriptors and the data README in one archive.",
        )


CHECKSUM_BATCH = 8_192  # files hashed (on every core) per batch


class ChecksumsSink(Sink):
    """Writes SHA256SUMS over every file of the build except itself and the store; runs last."""

    name = "checksums"

    def finish(self, actors: Any) -> None:
        files = artefacts(self.ctx.out, exclude={CHECKSUMS_FILE, STORE_DIR})
        # In batches: 10,000 documents give ~145,000 files, whose digests need not be held at once.
        with self.ctx.path(CHECKSUMS_FILE).open("w", encoding="utf-8", newline="\n") as out:
            for at in range(0, len(files), CHECKSUM_BATCH):
                batch = files[at : at + CHECKSUM_BATCH]
                digests = digest_many(self.ctx, batch, remember=False)
                out.write("".join(f"{d.sha256}  {rel}\n" for rel, d in zip(batch, digests, strict=True)))
        (self.ctx.out / WRITTEN_DIGESTS).unlink(missing_ok=True)  # read above for the site's pages
