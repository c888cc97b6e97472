"""JSON-LD: the context generated from the term mapping, and compacted node objects per subject.

`build/rdf/<name>.jsonld` is `{"@context": [<schema/context.jsonld's context>, {"@base": ...}],
"@graph": [...]}` with one node object per subject on its own line: short keys, enum values as
plain words (property-scoped contexts map them to concept IRIs), IRIs of the dataset relative
to `@base`. The context is inlined so the file parses with no network access.
"""

from __future__ import annotations

import json
from typing import Any

from ..schemagen import dump_json, generator
from ..vocab import CLASSES, PREFIXES, PROPS, Iris, Kind, Prop, curie

JSONLD_CONTEXT_FILE = "context.jsonld"


def _short(iri: str) -> str:
    return curie(iri) or iri


def context() -> dict[str, Any]:
    """The JSON-LD 1.1 context: prefixes, a term per class and per property."""
    terms: dict[str, Any] = {"@version": 1.1}
    terms.update({prefix: ns for prefix, ns in PREFIXES.items()})
    for cls in sorted(CLASSES.values(), key=lambda c: c.key or ""):
        if cls.key:
            terms[cls.key] = _short(cls.iri)
    for prop in sorted(PROPS.values(), key=lambda p: p.key):
        if prop.key == "@type":
            continue
        terms[prop.key] = _term(prop)
        if prop.reverse_key:
            terms[prop.reverse_key] = {"@reverse": _short(prop.iri), "@type": "@id", "@container": "@set"}
    return {"@context": terms}


def _term(prop: Prop) -> dict[str, Any]:
    term: dict[str, Any] = {"@id": _short(prop.iri)}
    kind = prop.kind
    if kind is Kind.IRI:
        term["@type"] = "@id"
    elif kind is Kind.CONCEPT:
        term["@type"] = "@vocab"
        term["@context"] = {value: _short(iri) for value, iri in prop.concepts.items()}
    elif kind in (Kind.INTEGER, Kind.HEX) and prop.datatype:
        term["@type"] = _short(prop.datatype)
    if prop.many:
        term["@container"] = "@set"
    return term


@generator(JSONLD_CONTEXT_FILE)
def _context_file() -> str:
    return dump_json(context())


def document_head(iris: Iris) -> str:
    """Everything before the first node object."""
    head = json.dumps({"@context": [context()["@context"], {"@base": iris.root}]}, indent=2, ensure_ascii=False)
    return head[: head.rindex("}")].rstrip() + ',\n  "@graph": [\n'


DOCUMENT_TAIL = "\n  ]\n}\n"
