"""The tables of the release: which exist, their columns, keys and constraints, derived from the models.

This is the one place that says what `build/data/*.csv` contains. Entity tables take the scalar
fields of a record model (`Document`, `Actor`, `Claim`, …) in model order, with the model's
descriptions, patterns, enums and minimums; every list field of a model becomes a link table
(owner id, position, value). `datapackage.json`, `csv-metadata.json`, `schema/tables/*.schema.json`,
the data README and the CSV writer all read these definitions, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, partial
from typing import Any, Literal

from pydantic import BaseModel

from . import vocab
from .model import Actor, Claim, Document, DocumentFact, Mention, Recommendation, Relation
from .schemagen import dump_json, generator

TABLESCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"

# How the CSV files are written; datapackage.json and csv-metadata.json declare exactly this.
DIALECT: dict[str, Any] = {
    "header": True,
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "skipInitialSpace": False,
}
MISSING_VALUES = [""]

# Spreadsheets execute a cell that starts with one of these; see `escape_cell`.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE_CHAR = "'"
ESCAPE_NOTE = (
    "In the CSV, a value that starts with =, +, -, @, a tab, a carriage return or ' is written with one extra "
    "' in front so that spreadsheets do not run it as a formula; remove one leading ' to get the value."
)


@dataclass(frozen=True)
class Column:
    name: str
    type: Literal["string", "integer", "boolean"]
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None  # XML Schema style: implicitly anchored, no ^ or $
    min_length: int | None = None
    minimum: int | None = None
    rdf_type: str | None = None

    @property
    def free_text(self) -> bool:
        """Free text is what a spreadsheet could mistake for a formula, so the CSV escapes it."""
        return self.type == "string" and self.enum is None and self.pattern is None

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").capitalize()

    def descriptor(self) -> dict[str, Any]:
        """The Table Schema field."""
        out: dict[str, Any] = {"name": self.name, "title": self.title, "type": self.type}
        out["description"] = f"{self.description} {ESCAPE_NOTE}" if self.free_text else self.description
        if self.rdf_type:
            out["rdfType"] = self.rdf_type
        constraints: dict[str, Any] = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum is not None:
            constraints["enum"] = list(self.enum)
        if self.pattern is not None:
            constraints["pattern"] = self.pattern
        if self.min_length is not None:
            constraints["minLength"] = self.min_length
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]

    def descriptor(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "reference": {"resource": self.resource, "fields": list(self.reference)}}


@dataclass(frozen=True)
class Link:
    """How a link table is made from list fields: rows (owner id, [kind], position, item)."""

    kinds: tuple[tuple[str, str], ...]  # (value of the kind column, or the field name if none; model list field)
    kind_column: bool


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    # document: rows come from one document's records; corpus: from the merged actors at the end.
    scope: Literal["document", "corpus"] = "document"
    link: Link | None = None

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def descriptor(self) -> dict[str, Any]:
        """The Table Schema (v2, without fieldsMatch, uniqueKeys or the list type)."""
        out: dict[str, Any] = {
            "fields": [c.descriptor() for c in self.columns],
            "missingValues": list(MISSING_VALUES),
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            out["foreignKeys"] = [fk.descriptor() for fk in self.foreign_keys]
        return out


# ---------------------------------------------------------------- columns from the models


@cache
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _resolve(schema: dict[str, Any], prop: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Follow $ref and unwrap `X | None`; returns the JSON Schema of X and whether None is allowed."""
    nullable = False
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = len(options) < len(prop["anyOf"])
        (prop,) = options
    if "$ref" in prop:
        prop = schema["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    return prop, nullable


def _xsd_pattern(pattern: str) -> str:
    """Table Schema and CSVW patterns are implicitly anchored: drop the ^…$ the models use."""
    return pattern.removeprefix("^").removesuffix("$")


def model_column(
    model: type[BaseModel],
    field_name: str,
    *,
    name: str | None = None,
    description: str | None = None,
    item: bool = False,
    key: bool = False,
    rdf_type: str | None = None,
) -> Column:
    """A column from a model field (or, with item=True, from the items of a list field)."""
    schema = _model_schema(model)
    prop, nullable = _resolve(schema, schema["properties"][field_name])
    text = description or prop.get("description") or schema["properties"][field_name].get("description", "")
    if item:
        prop, nullable = _resolve(schema, prop["items"])
    kind = prop.get("type", "string")
    if kind not in ("string", "integer", "boolean"):
        raise TypeError(f"{model.__name__}.{field_name} has type {kind!r}; make it a link table")
    enum = prop.get("enum")
    pattern = prop.get("pattern")
    return Column(
        name=name or field_name,
        type=kind,
        description=text,
        required=not nullable,
        unique=key,
        enum=tuple(enum) if enum is not None else None,
        pattern=_xsd_pattern(pattern) if pattern else None,
        min_length=prop.get("minLength"),
        minimum=prop.get("minimum"),
        rdf_type=rdf_type,
    )


def scalar_fields(model: type[BaseModel], exclude: Iterable[str] = ()) -> list[str]:
    """Fields of a model that fit in one cell (not lists or nested models), in model order."""
    schema = _model_schema(model)
    skip = set(exclude)
    out = []
    for name in model.model_fields:
        prop, _ = _resolve(schema, schema["properties"][name])
        if name not in skip and prop.get("type", "string") in ("string", "integer", "boolean"):
            out.append(name)
    return out


def _position(what: str) -> Column:
    return Column(
        "position",
        "integer",
        f"1-based position of the {what} in the annotated list (keeps the annotators' order).",
        required=True,
        minimum=1,
    )


# The RDF class of each table's rows in the graph: the rdfType of the table's id column and of the columns
# that refer to it. Taken from the term mapping so that tables and graph cannot disagree.
CLASSES = vocab.TABLE_CLASSES


def _entity(
    name: str,
    title: str,
    model: type[BaseModel],
    *,
    refs: dict[str, str] | None = None,
    unique: Iterable[str] = (),
    scope: Literal["document", "corpus"] = "document",
) -> Table:
    """A table with one row per record: the model's scalar fields; `refs` maps a column to the table it refers to."""
    refs = refs or {}
    columns = []
    for f in scalar_fields(model):
        columns.append(
            model_column(
                model,
                f,
                key=f == "id" or f in unique,
                rdf_type=CLASSES.get(name) if f == "id" else CLASSES.get(refs.get(f, "")),
            )
        )
    return Table(
        name=name,
        title=title,
        description=(model.__doc__ or title).strip(),
        columns=tuple(columns),
        primary_key=("id",),
        foreign_keys=tuple(ForeignKey((col,), target, ("id",)) for col, target in refs.items()),
        scope=scope,
    )


def _links(
    name: str,
    title: str,
    model: type[BaseModel],
    owner: tuple[str, str],
    fields: dict[str, str],
    *,
    value: tuple[str, str | None],
    kind_column: str | None = None,
    value_description: str | None = None,
    scope: Literal["document", "corpus"] = "document",
    description: str,
) -> Table:
    """A link table for list fields of `model`: owner id, [which list], position, value.

    `fields` maps the value written in `kind_column` to the model's list field (one entry when
    there is no kind column); `value` is (column name, table the value refers to or None).
    """
    owner_column, owner_table = owner
    value_column, value_table = value
    first = next(iter(fields.values()))
    columns = [
        model_column(
            model,
            "id",
            name=owner_column,
            description=f"The {owner_table[:-1]} (id in {owner_table}).",
            rdf_type=CLASSES.get(owner_table),
        )
    ]
    if kind_column:
        columns.append(
            Column(
                kind_column,
                "string",
                "Which list: "
                + "; ".join(
                    f"{k} = {_model_schema(model)['properties'][f]['description'].rstrip('.')}"
                    for k, f in fields.items()
                )
                + ".",
                required=True,
                enum=tuple(fields),
            )
        )
    columns.append(_position(value_column.replace("_id", "")))
    described = model_column(model, first, name=value_column, item=True, rdf_type=CLASSES.get(value_table or ""))
    if value_description:
        described = replace(described, description=value_description)
    columns.append(described)
    key = (owner_column, kind_column, "position") if kind_column else (owner_column, "position")
    fks = [ForeignKey((owner_column,), owner_table, ("id",))]
    if value_table:
        fks.append(ForeignKey((value_column,), value_table, ("id",)))
    return Table(
        name=name,
        title=title,
        description=description,
        columns=tuple(columns),
        primary_key=tuple(k for k in key if k),
        foreign_keys=tuple(fks),
        scope=scope,
        link=Link(tuple(fields.items()), kind_column is not None),
    )


def _document_facts() -> Table:
    columns = [
        model_column(DocumentFact, f, rdf_type=CLASSES["documents"] if f == "document_id" else None)
        for f in scalar_fields(DocumentFact)
    ]
    return Table(
        name="document_facts",
        title="Document facts",
        description=(DocumentFact.__doc__ or "").strip() + " One row per fact and document.",
        columns=tuple(columns),
        primary_key=("document_id", "property"),
        foreign_keys=(ForeignKey(("document_id",), "documents", ("id",)),),
    )


def _fact_evidence() -> Table:
    return Table(
        name="document_fact_evidence",
        title="Evidence of document facts",
        description="Quotes from the text that a document fact rests on (DocumentFact.evidence).",
        columns=(
            model_column(DocumentFact, "document_id", rdf_type=CLASSES["documents"]),
            model_column(DocumentFact, "property"),
            _position("quote"),
            model_column(DocumentFact, "evidence", name="quote", item=True),
        ),
        primary_key=("document_id", "property", "position"),
        foreign_keys=(ForeignKey(("document_id", "property"), "document_facts", ("document_id", "property")),),
    )


def _recommendations() -> Table:
    extra = [f for f in scalar_fields(Recommendation) if f not in Claim.model_fields]
    columns = [
        model_column(Recommendation, "id", key=True, rdf_type=CLASSES["recommendations"]),
        model_column(Recommendation, "document_id", rdf_type=CLASSES["documents"]),
        *(model_column(Recommendation, f) for f in extra),
    ]
    return Table(
        name="recommendations",
        title="Recommendations",
        description=(Recommendation.__doc__ or "").strip()
        + " The fields recommendations add to claims; text, offsets, kind and role are in the claims table.",
        columns=tuple(columns),
        primary_key=("id",),
        foreign_keys=(
            ForeignKey(("id",), "claims", ("id",)),
            ForeignKey(("document_id",), "documents", ("id",)),
        ),
    )


def _tables() -> tuple[Table, ...]:
    return (
        _entity("documents", "Documents", Document),
        _document_facts(),
        _fact_evidence(),
        _entity("actors", "Actors", Actor, unique=("wikidata",), scope="corpus"),
        _links(
            "actor_aliases",
            "Actor aliases",
            Actor,
            ("actor_id", "actors"),
            {"alias": "aliases"},
            value=("alias", None),
            scope="corpus",
            description="Other names of an actor, found as mentions in the texts (Actor.aliases).",
        ),
        _links(
            "actor_memberships",
            "Actor memberships",
            Actor,
            ("actor_id", "actors"),
            {"part_of": "part_of", "member_of": "member_of"},
            value=("group_id", "actors"),
            kind_column="type",
            value_description="The actor (id in actors) that actor_id is part of or a member of.",
            scope="corpus",
            description="Actors that an actor is part of or a member of (Actor.part_of, Actor.member_of).",
        ),
        _entity("claims", "Claims", Claim, refs={"document_id": "documents"}),
        _links(
            "claim_about",
            "What claims are about",
            Claim,
            ("claim_id", "claims"),
            {"about": "about"},
            value=("actor_id", "actors"),
            description="Actors a claim or recommendation is about (Claim.about).",
        ),
        _links(
            "claim_cues",
            "Certainty cues",
            Claim,
            ("claim_id", "claims"),
            {"cue": "cues"},
            value=("cue", None),
            description="Words of a unit's quote that show its certainty (Claim.cues).",
        ),
        _recommendations(),
        _links(
            "recommendation_actors",
            "Actors of recommendations",
            Recommendation,
            ("recommendation_id", "recommendations"),
            {"addressee": "addressees", "target": "targets", "beneficiary": "beneficiaries"},
            value=("actor_id", "actors"),
            kind_column="role",
            value_description="The actor (id in actors) in that role.",
            description="Who should act (addressee), at whom the action is directed (target) and who is meant "
            "to benefit (beneficiary), per recommendation.",
        ),
        _entity(
            "relations",
            "Argument relations",
            Relation,
            refs={"document_id": "documents", "source_id": "claims", "target_id": "claims"},
        ),
        _entity("mentions", "Actor mentions", Mention, refs={"document_id": "documents", "actor_id": "actors"}),
    )


TABLES: tuple[Table, ...] = _tables()
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    return BY_NAME[name]


def schema_file(t: Table) -> str:
    """The standalone Table Schema file (schema/tables/<name>.schema.json)."""
    return dump_json({"$schema": TABLESCHEMA_PROFILE, **t.descriptor()})


for _t in TABLES:
    generator(f"tables/{_t.name}.schema.json")(partial(schema_file, _t))
