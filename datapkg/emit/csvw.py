"""build/csv-metadata.json: CSV on the Web (W3C CSVW) metadata for the same tables.

Generated from the same definitions as datapackage.json (`datapkg.tableschema`), so CSVW
tools (e.g. `csvwvalidate build/csv-metadata.json`) can validate the tables, check keys
and foreign keys, and convert them to JSON or RDF.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..tableschema import DIALECT, MISSING_VALUES, TABLES, Column, Table
from . import Sink
from .datapackage import CSVW_FILE
from .files import describe

CONTEXT = "http://www.w3.org/ns/csvw"


def dialect() -> dict[str, Any]:
    """The CSVW dialect matching `tableschema.DIALECT` (CSVW trims cells by default: we do not)."""
    return {
        "encoding": "utf-8",
        "lineTerminators": [DIALECT["lineTerminator"]],
        "quoteChar": DIALECT["quoteChar"],
        "doubleQuote": DIALECT["doubleQuote"],
        "delimiter": DIALECT["delimiter"],
        "header": DIALECT["header"],
        "headerRowCount": 1,
        "skipInitialSpace": DIALECT["skipInitialSpace"],
        "trim": False,
    }


def datatype(column: Column) -> str | dict[str, Any]:
    if column.type == "boolean":
        return {"base": "boolean", "format": "true|false"}
    if column.type == "integer":
        return {"base": "integer", "minimum": column.minimum} if column.minimum is not None else "integer"
    out: dict[str, Any] = {"base": "string"}
    if column.enum is not None:
        out["format"] = "|".join(re.escape(v) for v in column.enum)
    elif column.pattern is not None:
        out["format"] = column.pattern
    if column.min_length is not None:
        out["minLength"] = column.min_length
    return out if len(out) > 1 else "string"


def column_description(column: Column) -> dict[str, Any]:
    described = column.descriptor()
    out: dict[str, Any] = {
        "name": column.name,
        "titles": column.name,
        "dc:description": described["description"],
        "datatype": datatype(column),
    }
    if column.required:
        out["required"] = True
    return out


def table_description(table: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "columns": [column_description(c) for c in table.columns],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "columnReference": list(fk.fields),
                "reference": {"resource": f"data/{fk.resource}.csv", "columnReference": list(fk.reference)},
            }
            for fk in table.foreign_keys
        ]
    return {
        "url": table.path,
        "dc:title": table.title,
        "dc:description": table.description,
        "tableSchema": schema,
    }


class CsvwSink(Sink):
    name = "csvw"

    def finish(self, actors: Any) -> None:
        ds = self.ctx.dataset
        metadata = {
            "@context": CONTEXT,
            "dc:title": ds.title,
            "dc:description": ds.description,
            "dc:license": {"@id": ds.licenses[0].path},
            "dc:created": {"@value": ds.created, "@type": "xsd:date" if "T" not in ds.created else "xsd:dateTime"},
            "dialect": dialect(),
            "null": MISSING_VALUES[0],
            "tables": [table_description(t) for t in TABLES],
        }
        self.ctx.path(CSVW_FILE).write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
        )
        describe(
            self.ctx,
            CSVW_FILE,
            "CSV on the Web metadata",
            "W3C CSVW metadata of the tables: columns, datatypes, primary and foreign keys.",
            "application/csvm+json",
        )
