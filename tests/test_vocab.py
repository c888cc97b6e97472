"""The term mapping (datapkg/vocab.py) and what is generated from it: vocab.ttl, shapes, context."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
from conftest import ROOT, SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg import schemagen
from datapkg.emit.jsonld import context
from datapkg.model import ACTOR_ID_PATTERN, DOC_ID_PATTERN, LOCAL_ID_PATTERN, Claim, Recommendation
from datapkg.vocab import (
    ACTOR_CLASSES,
    CLASSES,
    CONCEPT_SCHEMES,
    DATAPKG,
    PROPS,
    SCHEMA,
    Iris,
    Kind,
    P,
    concept_iri,
    curie,
    iri_from_text,
)
from datapkg.vocabfiles import shapes_ttl, vocab_ttl

SCHEMA_ORG_TTL = SHARED / "reference" / "schemaorg-30.0-all-layers-https.ttl"
# schema.org terms the graph uses that are still in the "pending" area of schema.org 30.0
# (the README lists them); a term leaving or entering pending is worth noticing.
PENDING = {"OpinionNewsArticle", "Claim", "appearance", "sha256"}
IRIREF = re.compile(r'^[^\x00-\x20<>"{}|^`\\]*$')


@pytest.fixture(scope="session")
def schema_org() -> rdflib.Graph:
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(SCHEMA_ORG_TTL, format="turtle")
    return graph


def schema_terms_used() -> set[str]:
    """Every schema.org local name the graph, the dataset description and dataset.jsonld use."""
    from datapkg.emit import dataset_meta

    iris = [*PROPS, *CLASSES, *ACTOR_CLASSES.values()]
    for prop in PROPS.values():  # what our own terms are declared against
        iris += [*prop.sub_property_of, prop.domain or "", prop.range or ""]
    for cls in CLASSES.values():
        iris += cls.sub_class_of
    used = {iri.removeprefix(SCHEMA) for iri in iris if iri.startswith(SCHEMA)}
    # dataset.jsonld (schema.org JSON-LD for Google) spells its keys directly
    source = Path(dataset_meta.__file__).read_text(encoding="utf-8")
    google = source[source.index("def google_dataset") : source.index("class DatasetMetaSink")]
    used |= set(re.findall(r'"([a-zA-Z][a-zA-Z0-9]*)":', google)) | set(re.findall(r'"@type": "([A-Za-z]+)"', google))
    return used


def test_every_schema_org_term_exists_in_schema_org_30(schema_org: rdflib.Graph) -> None:
    used = schema_terms_used()
    assert {"Claim", "OpinionNewsArticle", "appearance", "sameAs", "Dataset", "contentUrl", "recipient"} <= used
    missing = sorted(t for t in used if (rdflib.URIRef("https://schema.org/" + t), None, None) not in schema_org)
    assert not missing, f"not schema.org terms: {missing}"


def test_pending_schema_org_terms_are_the_documented_ones(schema_org: rdflib.Graph) -> None:
    pending_area = rdflib.URIRef("https://pending.schema.org")
    is_part_of = rdflib.URIRef("https://schema.org/isPartOf")
    pending = {
        t
        for t in schema_terms_used()
        if (rdflib.URIRef("https://schema.org/" + t), is_part_of, pending_area) in schema_org
    }
    assert pending == PENDING
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for term in PENDING:
        assert f"schema:{term}" in readme


def test_schema_org_is_the_http_scheme() -> None:
    assert SCHEMA == "http://schema.org/"
    assert not any(iri.startswith("https://schema.org/") for iri in [*PROPS, *CLASSES])


def test_json_ld_terms_are_unique_and_every_property_has_one() -> None:
    keys = [p.key for p in PROPS.values()] + [p.reverse_key for p in PROPS.values() if p.reverse_key]
    keys += [c.key for c in CLASSES.values() if c.key]
    assert len(keys) == len(set(keys))
    terms = context()["@context"]
    for prop in PROPS.values():
        if prop.key != "@type":
            assert prop.key in terms


def test_concepts_are_unique_and_cover_every_enum_value() -> None:
    seen: set[str] = set()
    for enum in CONCEPT_SCHEMES:
        for member in enum:
            iri = concept_iri(enum, member.value)
            assert iri not in seen
            seen.add(iri)
            assert curie(iri), f"{iri} cannot be written as a prefixed name"


def test_own_terms_reuse_the_model_descriptions() -> None:
    assert P.addressee.description() == Recommendation.model_fields["addressees"].description
    assert P.claim_kind.description() == Claim.model_fields["kind"].description
    for prop in PROPS.values():
        if prop.own:
            assert prop.description(), f"{prop.iri} has no comment"
            assert prop.domain and prop.range, f"{prop.iri} lacks domain or range"


def test_vocab_ttl_defines_every_own_term() -> None:
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=vocab_ttl(), format="turtle")
    rdfs = rdflib.RDFS
    own = [iri for iri in [*PROPS, *CLASSES] if iri.startswith(DATAPKG)]
    own += [concept_iri(e, m.value) for e in CONCEPT_SCHEMES for m in e]
    assert len(own) > 40
    for iri in own:
        node = rdflib.URIRef(iri)
        assert (node, rdflib.RDF.type, None) in graph, iri
        label = graph.value(node, rdfs.label) or graph.value(node, rdflib.SKOS.prefLabel)
        assert label is not None and label.language == "en", iri
    rec = rdflib.URIRef(DATAPKG + "Recommendation")
    assert (rec, rdfs.subClassOf, rdflib.URIRef(SCHEMA + "Claim")) in graph
    addressee = rdflib.URIRef(P.addressee.iri)
    assert graph.value(addressee, rdfs.domain) == rec
    assert graph.value(addressee, rdfs.range) == rdflib.URIRef(DATAPKG + "Actor")
    assert graph.value(addressee, rdfs.subPropertyOf) == rdflib.URIRef(SCHEMA + "recipient")
    assert str(graph.value(addressee, rdfs.comment)) == "Actors who should act."


def test_generated_files_parse() -> None:
    shapes = rdflib.Graph(bind_namespaces="none")
    shapes.parse(data=shapes_ttl(), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert len(set(shapes.subjects(rdflib.RDF.type, sh.NodeShape))) >= 15
    json.loads(schemagen.dump_json(context()))


def test_schema_check_covers_context_shapes_and_vocabulary(tmp_path: Path) -> None:
    schemagen.write(tmp_path)
    assert schemagen.drift(tmp_path) == []
    for name in ("context.jsonld", "shapes.ttl", "vocab.ttl"):
        path = tmp_path / name
        path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        assert name in schemagen.drift(tmp_path)
        path.unlink()
        assert name in schemagen.drift(tmp_path)


def test_committed_schema_files_are_current() -> None:
    stale = [n for n in schemagen.drift(ROOT / "schema") if n in ("context.jsonld", "shapes.ttl", "vocab.ttl")]
    assert not stale, "run `datapkg schema`"


# ---------------------------------------------------------------- IRIs

BASE = "https://example.org/datapkg/argument-essays"


def test_iri_scheme() -> None:
    iris = Iris(BASE)
    assert iris.dataset == BASE
    assert iris.document("000_x") == BASE + "/document/000_x/"
    assert iris.unit("000_x/thesis") == BASE + "/document/000_x/claim/thesis"
    assert iris.relation("000_x/r1-supports-thesis") == BASE + "/document/000_x/relation/r1-supports-thesis"
    assert iris.mention("000_x/m1-5-pakistan") == BASE + "/document/000_x/mention/m1-5-pakistan"
    assert iris.actor("pakistan") == BASE + "/actor/pakistan"
    assert iris.document_graph("000_x") == BASE + "/graph/document/000_x"
    assert iris.dataset_graph == BASE + "/graph/dataset"


@settings(max_examples=50, deadline=None)
@given(
    doc=st.from_regex(DOC_ID_PATTERN, fullmatch=True),
    local=st.from_regex(LOCAL_ID_PATTERN, fullmatch=True),
    actor=st.from_regex(ACTOR_ID_PATTERN, fullmatch=True),
    junk=st.text(min_size=1, max_size=20),
)
def test_minted_iris_are_always_valid(doc: str, local: str, actor: str, junk: str) -> None:
    iris = Iris(BASE)
    minted = [
        iris.document(doc),
        iris.unit(f"{doc}/{local}"),
        iris.actor(actor),
        iris.document_graph(doc),
        iris.actor(junk),  # ids outside the model's patterns are percent-encoded
        iris.unit(f"{doc}/{junk}"),
        iris.distribution(f"data/{junk}"),
        iri_from_text(f"https://example.com/{junk}", iris),
    ]
    for iri in minted:
        assert IRIREF.match(iri), iri
        assert iri.startswith(("https://", "http://"))
    # ids that match the strict patterns are used as they are (readable IRIs)
    assert iris.unit(f"{doc}/{local}").endswith(f"/{doc}/claim/{local}")


def test_curie_refuses_unsafe_local_names() -> None:
    assert curie(SCHEMA + "Claim") == "schema:Claim"
    assert curie("http://www.arg.dundee.ac.uk/aif#I-node") == "aif:I-node"
    assert curie(SCHEMA + "a/b") is None
    assert curie(SCHEMA + "x.") is None


def test_kinds_have_datatypes_where_needed() -> None:
    for prop in PROPS.values():
        if prop.kind in (Kind.INTEGER, Kind.HEX):
            assert prop.datatype, prop.iri
        if prop.kind is Kind.CONCEPT:
            assert prop.enum is not None
