"""build/<dataset-name>.json: the whole dataset as one nested JSON document, and its JSON Schema.

The document is streamed: the head (dataset metadata) is written first, then one
object per document in corpus order, then the corpus-level actors. Its shape is the
`DatasetDocument` model below, built from the record models, so the generated
`schema/dataset.schema.json` and the file cannot disagree. `read_dataset` loads it back.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..config import DatasetSpec
from ..model import Actor, ActorId, Claim, Document, DocumentRecords, Mention, Recommendation, Relation
from ..schemagen import dump_json, generator
from . import Sink
from .files import describe

SCHEMA_NAME = "dataset.schema.json"
SCHEMA_PATH = f"schema/{SCHEMA_NAME}"  # inside the build, next to the JSON document's "$schema" reference
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
WRITE_BUFFER = 1 << 20  # ~30 documents per write() call (each is ~35 KB of JSON)

# Dataset metadata carried into the JSON document (build settings such as limits stay out).
DATASET_FIELDS = ("name", "title", "description", "version", "created", "homepage", "base_iri", "licenses")
DATASET_FIELDS += ("contributors", "keywords", "citation")

DatasetInfo: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "DatasetInfo",
    __config__=ConfigDict(extra="forbid", frozen=True),
    __doc__="Dataset metadata from seeds/dataset.yaml.",
    **{name: (f.annotation, f) for name, f in DatasetSpec.model_fields.items() if name in DATASET_FIELDS},
)


class DocumentEntry(Document):
    """A document with everything annotated in it."""

    actor_ids: list[ActorId] = Field(description="Actors this document's annotation defines (see actors).")
    claims: list[Claim | Recommendation] = Field(
        description="Every unit, recommendations included (is_recommendation tells them apart)."
    )
    relations: list[Relation] = Field(description="Argument relations between the document's units.")
    mentions: list[Mention] = Field(description="Occurrences of actors in the text.")


class DatasetDocument(BaseModel):
    """The whole dataset in one JSON document: metadata, documents with their units, actors."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="datapkg dataset", populate_by_name=True)

    schema_: str = Field(alias="$schema", description="Where this document's JSON Schema is, relative to it.")
    dataset: DatasetInfo = Field(description="Dataset metadata.")  # type: ignore[valid-type]
    documents: list[DocumentEntry] = Field(description="Documents in corpus order (sorted by id + '/').")
    actors: list[Actor] = Field(description="Every actor of the corpus, one record per id, sorted by id.")


@cache
def _json_schema() -> dict[str, Any]:
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": SCHEMA_NAME, **DatasetDocument.model_json_schema()}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON document (generated from the models once per process)."""
    return copy.deepcopy(_json_schema())


@generator(SCHEMA_NAME)
def _schema_file() -> str:
    return dump_json(json_schema())


def document_entry(records: DocumentRecords) -> dict[str, Any]:
    """The JSON object of one document (key order follows the models)."""
    out = records.document.model_dump(mode="json")
    out["actor_ids"] = [a.id for a in records.actors]
    out["claims"] = [c.model_dump(mode="json") for c in records.claims]
    out["relations"] = [r.model_dump(mode="json") for r in records.relations]
    out["mentions"] = [m.model_dump(mode="json") for m in records.mentions]
    return out


def render_entry(records: DocumentRecords) -> str:
    """The document's object in the JSON document, indented for its place (level 2).

    The same text as `indented(document_entry(records), 2)`, serialised by pydantic-core: its
    indented JSON has the same layout, escapes and key order as `json.dumps(indent=2,
    ensure_ascii=False)`, which falls back to the pure-Python encoder when indenting and was
    most of this sink's time (a test compares the two, hostile strings included).
    """
    doc = records.document
    entry = DocumentEntry.model_construct(  # the records are validated already
        **{name: getattr(doc, name) for name in Document.model_fields},
        actor_ids=[a.id for a in records.actors],
        claims=list(records.claims),
        relations=list(records.relations),
        mentions=list(records.mentions),
    )
    return "    " + entry.model_dump_json(indent=2).replace("\n", "\n    ")


def render_actor(actor: Actor) -> str:
    """An actor's object in the JSON document's actor list (level 2): `indented(actor.model_dump(mode="json"), 2)`,
    serialised by pydantic-core as `render_entry` is."""
    return "    " + actor.model_dump_json(indent=2).replace("\n", "\n    ")


def write_list(f: IO[str], items: Iterable[str], level: int = 1) -> None:
    """A JSON array at `level` from its items' text (each indented for level + 1), written as they come.

    The same text as `indented(list_of_items, level).lstrip()`: "[]" when empty, else one item per
    line and the closing bracket on a line of its own at `level`.
    """
    first = True
    for item in items:
        f.write(("[\n" if first else ",\n") + item)
        first = False
    f.write("[]" if first else "\n" + "  " * level + "]")


def indented(data: Any, level: int) -> str:
    """JSON text indented by 2 spaces per level; newlines inside strings are escaped, so this is safe."""
    pad = "  " * level
    return pad + json.dumps(data, indent=2, ensure_ascii=False).replace("\n", "\n" + pad)


def file_name(dataset: DatasetSpec) -> str:
    return f"{dataset.name}.json"


class JsonDocSink(Sink):
    name = "json"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.file: Any = None
        self.count = 0

    def _open(self) -> Any:
        if self.file is None:
            ds = self.ctx.dataset
            info = ds.model_dump(mode="json", include=set(DATASET_FIELDS))
            info = {k: info[k] for k in DATASET_FIELDS}
            path = self.ctx.path(file_name(ds))
            self.file = open(path, "w", encoding="utf-8", newline="\n", buffering=WRITE_BUFFER)  # noqa: SIM115
            self.file.write('{\n  "$schema": ' + json.dumps(SCHEMA_PATH) + ",\n")
            self.file.write('  "dataset": ' + indented(info, 1).lstrip() + ",\n")
            self.file.write('  "documents": [')
        return self.file

    def render(self, records: DocumentRecords) -> str:
        return render_entry(records)

    def write(self, rendered: str) -> None:
        f = self._open()
        f.write((",\n" if self.count else "\n") + rendered)
        self.count += 1

    def finish(self, actors: Iterable[Actor]) -> None:
        f = self._open()
        f.write("\n  ]" if self.count else "]")
        f.write(',\n  "actors": ')
        write_list(f, (render_actor(a) for a in actors))  # one at a time: 130,000 actors at corpus scale
        f.write("\n}\n")
        f.close()
        self.ctx.path(SCHEMA_PATH).write_text(dump_json(json_schema()), encoding="utf-8", newline="\n")
        ds = self.ctx.dataset
        describe(
            self.ctx,
            file_name(ds),
            f"{ds.title} (JSON)",
            f"The whole dataset as one JSON document: documents with their units, relations and mentions, and "
            f"the actors. Valid against {SCHEMA_PATH}.",
        )
        describe(self.ctx, SCHEMA_PATH, "JSON Schema of the JSON document", f"JSON Schema of {file_name(ds)}.")


def read_dataset(path: Path | str) -> DatasetDocument:
    """Load and validate a JSON document written by JsonDocSink."""
    return DatasetDocument.model_validate_json(Path(path).read_bytes())


def records_of(data: DatasetDocument) -> list[DocumentRecords]:
    """The per-document records back from the JSON document (actors taken from the corpus list)."""
    actors = {a.id: a for a in data.actors}
    out = []
    for entry in data.documents:
        fields = {name: getattr(entry, name) for name in Document.model_fields}
        out.append(
            DocumentRecords(
                document=Document(**fields),
                actors=[actors[i] for i in entry.actor_ids],
                claims=list(entry.claims),
                relations=list(entry.relations),
                mentions=list(entry.mentions),
            )
        )
    return out
