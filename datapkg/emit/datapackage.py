"""build/datapackage.json: the Frictionless Data Package (v2) that describes the release.

Written by us from the table definitions (`datapkg.tableschema`), not inferred: one
`table` resource per CSV with dialect, Table Schema, bytes and SHA-256, plus the other
data files present at this point of the build (the JSON document, the RDF files) as
plain resources. Hashes come from `files.digest`, the same bytes SHA256SUMS hashes.
"""

from __future__ import annotations

import json
import re
import shutil
from typing import IO, Any

from ..config import DatasetSpec
from ..model import DocumentRecords
from ..tableschema import DIALECT, TABLES, Table
from . import Sink
from .files import (
    CHECKSUMS_FILE,
    DIST_DIR,
    SITE_DIR,
    STORE_DIR,
    artefacts,
    describe,
    described,
    digest,
    file_format,
    is_text,
    media_type,
)
from .jsondoc import indented

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
FILE_NAME = "datapackage.json"
CSVW_FILE = "csv-metadata.json"
# Not data: descriptors of the package and of its files (schema/), and outputs made after it.
NOT_RESOURCES = {FILE_NAME, CSVW_FILE, CHECKSUMS_FILE, "README.md", "schema", DIST_DIR, SITE_DIR, STORE_DIR}
SOURCES_SPOOL = ".datapackage-sources.spool"  # hidden: not an artefact; removed by finish
_URL = re.compile(r"^(https?|ftp)://\S+$")


def created_datetime(created: str) -> str:
    """The profile wants an RFC 3339 date-time; dataset.yaml may give a date (midnight UTC then)."""
    return created if "T" in created else f"{created}T00:00:00Z"


def package_head(ds: DatasetSpec) -> dict[str, Any]:
    """Package-level properties from dataset.yaml, in the order the spec lists them."""
    head: dict[str, Any] = {
        "$schema": PROFILE,
        "name": ds.name,
        "id": ds.base_iri,
        "title": ds.title,
        "description": ds.description,
    }
    if ds.homepage:
        head["homepage"] = ds.homepage
    head["version"] = ds.version
    head["created"] = created_datetime(ds.created)
    head["licenses"] = [lic.model_dump(exclude_none=True) for lic in ds.licenses]
    head["contributors"] = [c.model_dump(exclude_none=True) for c in ds.contributors]
    if ds.keywords:
        head["keywords"] = list(ds.keywords)
    return head


def source_of(records: DocumentRecords) -> dict[str, str]:
    """A `sources` entry for one essay: its title (and author, date) and URL when it is a URL."""
    doc = records.document
    title = doc.title
    details = [x for x in (doc.author, doc.publisher, doc.date) if x]
    if details:
        title += f" ({', '.join(details)})"
    source = {"title": f"{title} [document {doc.id}]"}
    if doc.url and _URL.match(doc.url):
        source["path"] = doc.url
    return source


def table_resource(table: Table, bytes_: int, sha256: str) -> dict[str, Any]:
    return {
        "name": table.name,
        "type": "table",
        "path": table.path,
        "title": table.title,
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": bytes_,
        "hash": f"sha256:{sha256}",
        "dialect": dict(DIALECT),
        "schema": table.descriptor(),
    }


def resource_name(path: str) -> str:
    """A resource name for a non-table file: its path with / and . as - (e.g. rdf-argument-essays-ttl)."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


class DataPackageSink(Sink):
    name = "datapackage"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        # One `sources` entry per document, spooled as JSON text (bounded memory at any corpus size);
        # opened on the first write so that constructing a sink (e.g. in a worker) has no side effects.
        self.spool: IO[str] | None = None
        self.count = 0

    def render(self, records: DocumentRecords) -> str:
        return indented(source_of(records), 2)

    def write(self, rendered: str) -> None:
        if self.spool is None:
            self.spool = open(self.ctx.path(SOURCES_SPOOL), "w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.spool.write((",\n" if self.count else "") + rendered)
        self.count += 1

    def finish(self, actors: Any) -> None:
        """datapackage.json as `json.dumps(descriptor, indent=2, ensure_ascii=False)` would write it,
        with the sources copied from the spool."""
        with open(self.ctx.path(FILE_NAME), "w", encoding="utf-8", newline="\n") as f:
            f.write("{\n")
            for key, value in package_head(self.ctx.dataset).items():
                f.write(f"  {json.dumps(key, ensure_ascii=False)}: {indented(value, 1).lstrip()},\n")
            f.write('  "sources": ')
            if self.spool is None:
                f.write("[]")
            else:
                f.write("[\n")
                self.spool.seek(0)
                shutil.copyfileobj(self.spool, f)
                f.write("\n  ]")
                self.spool.close()
                self.ctx.path(SOURCES_SPOOL).unlink()
                self.spool = None
            f.write(f',\n  "resources": {indented(self.resources(), 1).lstrip()}\n}}\n')
        describe(
            self.ctx,
            FILE_NAME,
            "Data Package descriptor",
            "Frictionless Data Package v2: every data file with its size and SHA-256, and a Table Schema "
            "(types, constraints, primary and foreign keys) for every table.",
        )

    def resources(self) -> list[dict[str, Any]]:
        resources = []
        for table in TABLES:
            d = digest(self.ctx, table.path)
            resources.append(table_resource(table, d.bytes, d.sha256))
        tables = {t.path for t in TABLES}
        info = described(self.ctx)
        for path in artefacts(self.ctx.out, exclude=NOT_RESOURCES):
            if path in tables:
                continue
            d = digest(self.ctx, path)
            resource: dict[str, Any] = {"name": resource_name(path), "path": path}
            if path in info:
                resource["title"] = info[path].title
                resource["description"] = info[path].description
            media = info[path].media_type if path in info else media_type(path)
            resource |= {"format": file_format(path), "mediatype": media}
            if is_text(media):
                resource["encoding"] = "utf-8"
            resource |= {"bytes": d.bytes, "hash": f"sha256:{d.sha256}"}
            resources.append(resource)
        return resources
