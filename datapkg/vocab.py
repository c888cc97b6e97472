"""The RDF vocabulary: namespaces, THE term mapping (model field/class → IRI) and IRI minting.

Everything RDF is generated from this module: the per-document triples (`emit/rdf.py`),
the JSON-LD context (`emit/jsonld.py`), `schema/vocab.ttl` and `schema/shapes.ttl`
(`vocabfiles.py`) and the dataset description (`emit/dataset_meta.py`). No other module
spells a predicate or class IRI.

schema.org is used in its `http://schema.org/` form (what the official JSON-LD context
expands to), never rdflib's `https://` SDO namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote

from .model import (
    Actor,
    ActorKind,
    Certainty,
    Claim,
    ClaimKind,
    Document,
    DocumentFact,
    FactStatus,
    Mention,
    MentionMethod,
    Modality,
    Recommendation,
    RelationType,
    Role,
)

# ---------------------------------------------------------------- namespaces

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SH = "http://www.w3.org/ns/shacl#"
SCHEMA = "http://schema.org/"
AIF = "http://www.arg.dundee.ac.uk/aif#"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
SPDX = "http://spdx.org/rdf/terms#"
FOAF = "http://xmlns.com/foaf/0.1/"
VANN = "http://purl.org/vocab/vann/"
WD = "http://www.wikidata.org/entity/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

# Our own vocabulary and shapes. A placeholder domain like the seeds' base IRI: change both
# constants (and regenerate schema/) once a persistent namespace is registered.
VOCAB_IRI = "https://example.org/datapkg/vocab"
DATAPKG = VOCAB_IRI + "#"
SHAPES = "https://example.org/datapkg/shapes#"

# Prefixes every writer declares, in this order (Turtle, JSON-LD context, shapes).
PREFIXES: dict[str, str] = {
    "aif": AIF,
    "datapkg": DATAPKG,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "oa": OA,
    "owl": OWL,
    "prov": PROV,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "sh": SH,
    "skos": SKOS,
    "spdx": SPDX,
    "vann": VANN,
    "void": VOID,
    "wd": WD,
    "xsd": XSD,
}

# Namespaces the data graph draws its terms from (void:vocabulary).
DATA_VOCABULARIES = (AIF, DATAPKG, DCAT, DCTERMS, FOAF, OA, PROV, RDF, RDFS, SCHEMA, SPDX, VOID)

_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def curie(iri: str) -> str | None:
    """`prefix:local` for an IRI in a declared namespace whose local part is a safe Turtle name."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns) :]
            if _PN_LOCAL.match(local):
                return f"{prefix}:{local}"
    return None


# ---------------------------------------------------------------- terms


class Kind(StrEnum):
    """How a property's object is written; one kind per property, so writers dispatch on it."""

    IRI = "iri"  # an IRI (absolute; under the base IRI it is written relative)
    CONCEPT = "concept"  # a model enum value, written as the concept IRI of that value
    STRING = "string"  # xsd:string
    INTEGER = "integer"  # an int, typed with the property's datatype
    DATE = "date"  # ISO 8601, maybe partial: xsd:gYear, xsd:gYearMonth or xsd:date
    HEX = "hex"  # xsd:hexBinary (lowercase hex)
    BOOLEAN = "boolean"  # xsd:boolean


@dataclass(frozen=True, eq=False)
class Prop:
    """One predicate: its IRI, how objects are written, and its JSON-LD term.

    `source` names the model field the property projects; its description becomes the
    property's rdfs:comment in schema/vocab.ttl for our own terms.
    """

    iri: str
    kind: Kind
    key: str
    many: bool = False
    datatype: str | None = None
    enum: type[StrEnum] | None = None
    reverse_key: str | None = None  # JSON-LD: written on the object's node under this @reverse term
    source: tuple[type, str] | None = None
    comment: str | None = None
    domain: str | None = None
    range: str | None = None
    sub_property_of: tuple[str, ...] = ()
    nt: str = field(init=False)  # `<iri>`, ready for N-Triples
    concepts: dict[str, str] = field(init=False)  # enum value → concept IRI

    def __post_init__(self) -> None:
        object.__setattr__(self, "nt", f"<{self.iri}>")
        concepts = {v.value: concept_iri(self.enum, v.value) for v in self.enum} if self.enum else {}
        object.__setattr__(self, "concepts", concepts)

    @property
    def own(self) -> bool:
        return self.iri.startswith(DATAPKG)

    def description(self) -> str:
        if self.comment:
            return self.comment
        if self.source:
            model, name = self.source
            return model.model_fields[name].description or ""
        return ""


@dataclass(frozen=True, eq=False)
class Cls:
    """A class; `key` is its JSON-LD term (None: written as a compact IRI)."""

    iri: str
    key: str | None = None
    source: type | None = None
    comment: str | None = None
    sub_class_of: tuple[str, ...] = ()

    @property
    def own(self) -> bool:
        return self.iri.startswith(DATAPKG)

    def description(self) -> str:
        if self.comment:
            return self.comment
        doc = (self.source.__doc__ or "") if self.source else ""
        return " ".join(doc.split())


# Enumerations of the model become SKOS concept schemes: datapkg:<prefix>-<value>.
CONCEPT_SCHEMES: dict[type[StrEnum], tuple[str, str, str]] = {
    # enum: (scheme local name, concept prefix, scheme comment)
    ClaimKind: ("ClaimKind", "kind", "Kinds of claim."),
    Role: ("Role", "role", "Roles of a unit in the argument."),
    Certainty: ("Certainty", "certainty", "How certain the author presents a unit."),
    Modality: ("Modality", "modality", "Strength of a call to action."),
    ActorKind: ("ActorKind", "actor-kind", "Sorts of actor."),
    FactStatus: ("FactStatus", "status", "Whether a document fact is stated by the text or inferred."),
    MentionMethod: ("MentionMethod", "method", "How an actor mention was found."),
}


def concept_iri(enum: type[StrEnum], value: str) -> str:
    return f"{DATAPKG}{CONCEPT_SCHEMES[enum][1]}-{value}"


def scheme_iri(enum: type[StrEnum]) -> str:
    return DATAPKG + CONCEPT_SCHEMES[enum][0]


PROPS: dict[str, Prop] = {}  # IRI → property
CLASSES: dict[str, Cls] = {}  # IRI → class


def _p(iri: str, kind: Kind, key: str, **kw: object) -> Prop:
    prop = Prop(iri, kind, key, **kw)  # type: ignore[arg-type]
    if iri in PROPS:
        raise ValueError(f"property {iri} mapped twice")
    PROPS[iri] = prop
    return prop


def _c(iri: str, key: str | None = None, **kw: object) -> Cls:
    cls = Cls(iri, key, **kw)  # type: ignore[arg-type]
    CLASSES[iri] = cls
    return cls


NNI = XSD + "nonNegativeInteger"


class P:
    """Every predicate the graph uses."""

    type = _p(RDF + "type", Kind.IRI, "@type", many=True)
    # shared
    identifier = _p(SCHEMA + "identifier", Kind.STRING, "identifier")
    name = _p(SCHEMA + "name", Kind.STRING, "name")
    description = _p(SCHEMA + "description", Kind.STRING, "description")
    text = _p(SCHEMA + "text", Kind.STRING, "text")
    about = _p(SCHEMA + "about", Kind.IRI, "about", many=True)
    comment = _p(RDFS + "comment", Kind.STRING, "comment")
    label = _p(RDFS + "label", Kind.STRING, "label")
    value = _p(RDF + "value", Kind.STRING, "value")
    # documents
    headline = _p(SCHEMA + "headline", Kind.STRING, "headline")
    in_language = _p(SCHEMA + "inLanguage", Kind.STRING, "inLanguage")
    genre = _p(SCHEMA + "genre", Kind.STRING, "genre")
    author = _p(SCHEMA + "author", Kind.STRING, "author")
    publisher = _p(SCHEMA + "publisher", Kind.STRING, "publisher")
    date_published = _p(SCHEMA + "datePublished", Kind.DATE, "datePublished")
    url = _p(SCHEMA + "url", Kind.IRI, "url")
    is_part_of = _p(SCHEMA + "isPartOf", Kind.IRI, "isPartOf")
    length = _p(
        DATAPKG + "length",
        Kind.INTEGER,
        "length",
        datatype=NNI,
        source=(Document, "length"),
        domain=SCHEMA + "Article",
        range=NNI,
    )
    fact = _p(
        DATAPKG + "fact",
        Kind.IRI,
        "fact",
        many=True,
        comment="A fact about the document (author, publisher, date, url) with its status and evidence.",
        domain=SCHEMA + "Article",
        range=DATAPKG + "DocumentFact",
    )
    fact_property = _p(
        DATAPKG + "factProperty",
        Kind.IRI,
        "factProperty",
        comment="The property of the document the fact gives a value for, e.g. schema:datePublished.",
        domain=DATAPKG + "DocumentFact",
        range=RDF + "Property",
    )
    status = _p(
        DATAPKG + "status",
        Kind.CONCEPT,
        "status",
        enum=FactStatus,
        source=(DocumentFact, "status"),
        domain=DATAPKG + "DocumentFact",
        range=SKOS + "Concept",
    )
    evidence = _p(
        DATAPKG + "evidence",
        Kind.STRING,
        "evidence",
        many=True,
        source=(DocumentFact, "evidence"),
        domain=DATAPKG + "DocumentFact",
        range=XSD + "string",
    )
    # checksums (documents and distributions)
    checksum = _p(SPDX + "checksum", Kind.IRI, "checksum")
    algorithm = _p(SPDX + "algorithm", Kind.IRI, "algorithm")
    checksum_value = _p(SPDX + "checksumValue", Kind.HEX, "checksumValue", datatype=XSD + "hexBinary")
    # claims and recommendations
    claim_text = _p(AIF + "claimText", Kind.STRING, "claimText")
    appearance = _p(SCHEMA + "appearance", Kind.IRI, "appearance")
    claim_kind = _p(
        DATAPKG + "claimKind",
        Kind.CONCEPT,
        "claimKind",
        enum=ClaimKind,
        source=(Claim, "kind"),
        domain=SCHEMA + "Claim",
        range=SKOS + "Concept",
        sub_property_of=(DCTERMS + "type",),
    )
    role = _p(
        DATAPKG + "role",
        Kind.CONCEPT,
        "role",
        enum=Role,
        source=(Claim, "role"),
        domain=SCHEMA + "Claim",
        range=SKOS + "Concept",
    )
    certainty = _p(
        DATAPKG + "certainty",
        Kind.CONCEPT,
        "certainty",
        enum=Certainty,
        source=(Claim, "certainty"),
        domain=SCHEMA + "Claim",
        range=SKOS + "Concept",
    )
    cue = _p(
        DATAPKG + "cue",
        Kind.STRING,
        "cue",
        many=True,
        source=(Claim, "cues"),
        domain=SCHEMA + "Claim",
        range=XSD + "string",
    )
    addressee = _p(
        DATAPKG + "addressee",
        Kind.IRI,
        "addressee",
        many=True,
        source=(Recommendation, "addressees"),
        domain=DATAPKG + "Recommendation",
        range=DATAPKG + "Actor",
        sub_property_of=(SCHEMA + "recipient",),
    )
    action = _p(
        DATAPKG + "action",
        Kind.STRING,
        "action",
        source=(Recommendation, "action"),
        domain=DATAPKG + "Recommendation",
        range=XSD + "string",
    )
    target = _p(
        DATAPKG + "target",
        Kind.IRI,
        "target",
        many=True,
        source=(Recommendation, "targets"),
        domain=DATAPKG + "Recommendation",
        range=DATAPKG + "Actor",
        sub_property_of=(SCHEMA + "about",),
    )
    beneficiary = _p(
        DATAPKG + "beneficiary",
        Kind.IRI,
        "beneficiary",
        many=True,
        source=(Recommendation, "beneficiaries"),
        domain=DATAPKG + "Recommendation",
        range=DATAPKG + "Actor",
    )
    modality = _p(
        DATAPKG + "modality",
        Kind.CONCEPT,
        "modality",
        enum=Modality,
        source=(Recommendation, "modality"),
        domain=DATAPKG + "Recommendation",
        range=SKOS + "Concept",
    )
    modality_cue = _p(
        DATAPKG + "modalityCue",
        Kind.STRING,
        "modalityCue",
        source=(Recommendation, "modality_cue"),
        domain=DATAPKG + "Recommendation",
        range=XSD + "string",
    )
    time_frame = _p(
        DATAPKG + "timeFrame",
        Kind.STRING,
        "timeFrame",
        source=(Recommendation, "time_frame"),
        domain=DATAPKG + "Recommendation",
        range=XSD + "string",
        sub_property_of=(SCHEMA + "temporalCoverage",),
    )
    # argument relations: direct edges and the reified AIF form
    supports = _p(
        DATAPKG + "supports",
        Kind.IRI,
        "supports",
        many=True,
        comment="The subject unit supports the object unit (is a premise for it); reified as an aif:RA-node.",
        domain=SCHEMA + "Claim",
        range=SCHEMA + "Claim",
    )
    attacks = _p(
        DATAPKG + "attacks",
        Kind.IRI,
        "attacks",
        many=True,
        comment="The subject unit attacks (conflicts with) the object unit; reified as an aif:CA-node.",
        domain=SCHEMA + "Claim",
        range=SCHEMA + "Claim",
    )
    restates = _p(
        DATAPKG + "restates",
        Kind.IRI,
        "restates",
        many=True,
        comment="The subject unit restates (rephrases) the object unit; reified as an aif:MA-node.",
        domain=SCHEMA + "Claim",
        range=SCHEMA + "Claim",
    )
    premise = _p(AIF + "Premise", Kind.IRI, "premiseOf", many=True, reverse_key="premise")
    conclusion = _p(AIF + "Conclusion", Kind.IRI, "conclusion")
    # text anchors (W3C Web Annotation)
    motivated_by = _p(OA + "motivatedBy", Kind.IRI, "motivatedBy")
    has_body = _p(OA + "hasBody", Kind.IRI, "hasBody")
    has_target = _p(OA + "hasTarget", Kind.IRI, "hasTarget")
    has_source = _p(OA + "hasSource", Kind.IRI, "hasSource")
    has_selector = _p(OA + "hasSelector", Kind.IRI, "hasSelector", many=True)
    start = _p(OA + "start", Kind.INTEGER, "start", datatype=NNI)
    end = _p(OA + "end", Kind.INTEGER, "end", datatype=NNI)
    exact = _p(OA + "exact", Kind.STRING, "exact")
    prefix = _p(OA + "prefix", Kind.STRING, "prefix")
    suffix = _p(OA + "suffix", Kind.STRING, "suffix")
    method = _p(
        DATAPKG + "method",
        Kind.CONCEPT,
        "method",
        enum=MentionMethod,
        source=(Mention, "method"),
        domain=DATAPKG + "Mention",
        range=SKOS + "Concept",
    )
    # actors
    alternate_name = _p(SCHEMA + "alternateName", Kind.STRING, "alternateName", many=True)
    same_as = _p(SCHEMA + "sameAs", Kind.IRI, "sameAs", many=True)
    actor_kind = _p(
        DATAPKG + "actorKind",
        Kind.CONCEPT,
        "actorKind",
        enum=ActorKind,
        source=(Actor, "kind"),
        domain=DATAPKG + "Actor",
        range=SKOS + "Concept",
        sub_property_of=(DCTERMS + "type",),
    )
    parent_organization = _p(SCHEMA + "parentOrganization", Kind.IRI, "parentOrganization", many=True)
    member_of = _p(SCHEMA + "memberOf", Kind.IRI, "memberOf", many=True)
    # provenance
    was_derived_from = _p(PROV + "wasDerivedFrom", Kind.IRI, "wasDerivedFrom")
    was_generated_by = _p(PROV + "wasGeneratedBy", Kind.IRI, "wasGeneratedBy")
    was_associated_with = _p(PROV + "wasAssociatedWith", Kind.IRI, "wasAssociatedWith")
    software_version = _p(SCHEMA + "softwareVersion", Kind.STRING, "softwareVersion")
    # the dataset (DCAT, VoID, Dublin Core, schema.org)
    title = _p(DCTERMS + "title", Kind.STRING, "dcterms:title")
    dct_description = _p(DCTERMS + "description", Kind.STRING, "dcterms:description")
    license = _p(DCTERMS + "license", Kind.IRI, "dcterms:license", many=True)
    schema_license = _p(SCHEMA + "license", Kind.IRI, "license", many=True)
    issued = _p(DCTERMS + "issued", Kind.DATE, "dcterms:issued")
    date_created = _p(SCHEMA + "dateCreated", Kind.DATE, "dateCreated")
    creator = _p(DCTERMS + "creator", Kind.IRI, "dcterms:creator", many=True)
    dct_publisher = _p(DCTERMS + "publisher", Kind.IRI, "dcterms:publisher", many=True)
    contributor = _p(DCTERMS + "contributor", Kind.IRI, "dcterms:contributor", many=True)
    schema_creator = _p(SCHEMA + "creator", Kind.IRI, "creator", many=True)
    citation = _p(DCTERMS + "bibliographicCitation", Kind.STRING, "dcterms:bibliographicCitation")
    schema_citation = _p(SCHEMA + "citation", Kind.STRING, "citation")
    keyword = _p(DCAT + "keyword", Kind.STRING, "dcat:keyword", many=True)
    keywords = _p(SCHEMA + "keywords", Kind.STRING, "keywords", many=True)
    version = _p(DCAT + "version", Kind.STRING, "dcat:version")
    schema_version = _p(SCHEMA + "version", Kind.STRING, "version")
    version_info = _p(OWL + "versionInfo", Kind.STRING, "owl:versionInfo")
    landing_page = _p(DCAT + "landingPage", Kind.IRI, "dcat:landingPage")
    foaf_name = _p(FOAF + "name", Kind.STRING, "foaf:name")
    homepage = _p(FOAF + "homepage", Kind.IRI, "foaf:homepage")
    mbox = _p(FOAF + "mbox", Kind.IRI, "foaf:mbox")
    uri_space = _p(VOID + "uriSpace", Kind.STRING, "void:uriSpace")
    vocabulary = _p(VOID + "vocabulary", Kind.IRI, "void:vocabulary", many=True)
    triples = _p(VOID + "triples", Kind.INTEGER, "void:triples", datatype=XSD + "integer")
    entities = _p(VOID + "entities", Kind.INTEGER, "void:entities", datatype=XSD + "integer")
    class_partition = _p(VOID + "classPartition", Kind.IRI, "void:classPartition", many=True)
    void_class = _p(VOID + "class", Kind.IRI, "void:class")
    data_dump = _p(VOID + "dataDump", Kind.IRI, "void:dataDump", many=True)
    example_resource = _p(VOID + "exampleResource", Kind.IRI, "void:exampleResource", many=True)
    distribution = _p(DCAT + "distribution", Kind.IRI, "dcat:distribution", many=True)
    schema_distribution = _p(SCHEMA + "distribution", Kind.IRI, "distribution", many=True)
    download_url = _p(DCAT + "downloadURL", Kind.IRI, "dcat:downloadURL")
    access_url = _p(DCAT + "accessURL", Kind.IRI, "dcat:accessURL")
    media_type = _p(DCAT + "mediaType", Kind.IRI, "dcat:mediaType")
    byte_size = _p(DCAT + "byteSize", Kind.INTEGER, "dcat:byteSize", datatype=NNI)
    content_url = _p(SCHEMA + "contentUrl", Kind.IRI, "contentUrl")
    encoding_format = _p(SCHEMA + "encodingFormat", Kind.STRING, "encodingFormat")
    is_accessible_for_free = _p(SCHEMA + "isAccessibleForFree", Kind.BOOLEAN, "isAccessibleForFree")
    # describing the vocabulary itself (schema/vocab.ttl)
    domain = _p(RDFS + "domain", Kind.IRI, "rdfs:domain")
    range = _p(RDFS + "range", Kind.IRI, "rdfs:range")
    sub_class_of = _p(RDFS + "subClassOf", Kind.IRI, "rdfs:subClassOf", many=True)
    sub_property_of = _p(RDFS + "subPropertyOf", Kind.IRI, "rdfs:subPropertyOf", many=True)
    is_defined_by = _p(RDFS + "isDefinedBy", Kind.IRI, "rdfs:isDefinedBy")
    in_scheme = _p(SKOS + "inScheme", Kind.IRI, "skos:inScheme")
    has_top_concept = _p(SKOS + "hasTopConcept", Kind.IRI, "skos:hasTopConcept", many=True)
    pref_label = _p(SKOS + "prefLabel", Kind.STRING, "skos:prefLabel")
    notation = _p(SKOS + "notation", Kind.STRING, "skos:notation")
    preferred_prefix = _p(VANN + "preferredNamespacePrefix", Kind.STRING, "vann:preferredNamespacePrefix")
    preferred_namespace = _p(VANN + "preferredNamespaceUri", Kind.STRING, "vann:preferredNamespaceUri")


class C:
    """Every class the graph uses."""

    dataset = _c(SCHEMA + "Dataset", "Dataset")
    dcat_dataset = _c(DCAT + "Dataset")
    void_dataset = _c(VOID + "Dataset")
    distribution = _c(DCAT + "Distribution")
    data_download = _c(SCHEMA + "DataDownload", "DataDownload")
    article = _c(SCHEMA + "Article", "Article")
    news_article = _c(SCHEMA + "NewsArticle", "NewsArticle")
    opinion_news_article = _c(SCHEMA + "OpinionNewsArticle", "OpinionNewsArticle")
    checksum = _c(SPDX + "Checksum", "Checksum")
    fact = _c(DATAPKG + "DocumentFact", "DocumentFact", source=DocumentFact)
    claim = _c(SCHEMA + "Claim", "Claim")
    i_node = _c(AIF + "I-node", "I-node")
    recommendation = _c(
        DATAPKG + "Recommendation", "Recommendation", source=Recommendation, sub_class_of=(SCHEMA + "Claim",)
    )
    s_node = _c(AIF + "S-node", "S-node")
    ra_node = _c(AIF + "RA-node", "RA-node")
    ca_node = _c(AIF + "CA-node", "CA-node")
    ma_node = _c(AIF + "MA-node", "MA-node")
    annotation = _c(OA + "Annotation", "Annotation")
    specific_resource = _c(OA + "SpecificResource", "SpecificResource")
    position_selector = _c(OA + "TextPositionSelector", "TextPositionSelector")
    quote_selector = _c(OA + "TextQuoteSelector", "TextQuoteSelector")
    mention = _c(DATAPKG + "Mention", "Mention", source=Mention, sub_class_of=(OA + "Annotation",))
    actor = _c(DATAPKG + "Actor", "Actor", source=Actor, sub_class_of=(SCHEMA + "Thing",))
    person = _c(SCHEMA + "Person", "Person")
    organization = _c(SCHEMA + "Organization", "Organization")
    government_organization = _c(SCHEMA + "GovernmentOrganization", "GovernmentOrganization")
    country = _c(SCHEMA + "Country", "Country")
    thing = _c(SCHEMA + "Thing", "Thing")
    activity = _c(PROV + "Activity", "Activity")
    software_agent = _c(PROV + "SoftwareAgent", "SoftwareAgent")
    software_application = _c(SCHEMA + "SoftwareApplication", "SoftwareApplication")
    agent = _c(FOAF + "Agent")
    prov_agent = _c(PROV + "Agent")
    # describing the vocabulary itself
    ontology = _c(OWL + "Ontology")
    rdfs_class = _c(RDFS + "Class")
    owl_class = _c(OWL + "Class")
    rdf_property = _c(RDF + "Property")
    object_property = _c(OWL + "ObjectProperty")
    datatype_property = _c(OWL + "DatatypeProperty")
    concept_scheme = _c(SKOS + "ConceptScheme")
    concept = _c(SKOS + "Concept")


# Individuals
OA_IDENTIFYING = OA + "identifying"
SHA256_ALGORITHM = SPDX + "checksumAlgorithm_sha256"

# ActorKind → schema.org class (every actor is also a datapkg:Actor, which keeps the exact kind).
# schema.org has no class for an armed group, a coalition or an intergovernmental body, so those
# are schema:Organization; a social group (e.g. "women and minorities") is no organisation: schema:Thing.
ACTOR_CLASSES: dict[str, str] = {
    ActorKind.person: C.person.iri,
    ActorKind.state: C.country.iri,
    ActorKind.government: C.government_organization.iri,
    ActorKind.government_body: C.government_organization.iri,
    ActorKind.organisation: C.organization.iri,
    ActorKind.international_organisation: C.organization.iri,
    ActorKind.armed_group: C.organization.iri,
    ActorKind.coalition: C.organization.iri,
    ActorKind.social_group: C.thing.iri,
}

# RelationType → (AIF scheme-node class, direct edge).
RELATIONS: dict[str, tuple[str, Prop]] = {
    RelationType.supports: (C.ra_node.iri, P.supports),
    RelationType.attacks: (C.ca_node.iri, P.attacks),
    RelationType.restates: (C.ma_node.iri, P.restates),
}

# Document facts → the document property that carries the value.
FACT_PROPS: dict[str, Prop] = {
    "author": P.author,
    "publisher": P.publisher,
    "date": P.date_published,
    "url": P.url,
}

# Genre → document classes (the first is the class every document has: a schema:Article).
OPINION_GENRES = frozenset({"opinion", "op-ed", "editorial", "commentary", "column"})
ARTICLE_CLASSES = (C.article.iri,)
OPINION_CLASSES = (C.article.iri, C.news_article.iri, C.opinion_news_article.iri)

# One class per published table: every row of the table is one subject of this class.
TABLE_CLASSES: dict[str, str] = {
    "documents": C.article.iri,
    "actors": C.actor.iri,
    "claims": C.claim.iri,
    "recommendations": C.recommendation.iri,
    "relations": C.s_node.iri,
    "mentions": C.mention.iri,
    "document_facts": C.fact.iri,
}

QUOTE_CONTEXT = 32  # code points of oa:prefix / oa:suffix around a quote


# ---------------------------------------------------------------- IRIs

_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


def segment(value: str) -> str:
    """One path segment: ids matching the model's strict patterns pass unchanged, anything else is
    percent-encoded, so a minted IRI is always valid."""
    return value if _SAFE_SEGMENT.match(value) and value not in (".", "..") else quote(value, safe="")


class Iris:
    """Mints every IRI of the dataset under its base IRI (see README, "The RDF graph").

    All resources of a document live under `{base}/document/{doc}/`, so each document's
    N-Triples lines sort together and documents sort in corpus order.
    """

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.root = self.base + "/"

    @property
    def dataset(self) -> str:
        return self.base

    def document(self, doc_id: str) -> str:
        return f"{self.root}document/{segment(doc_id)}/"

    def text_checksum(self, doc_id: str) -> str:
        return self.document(doc_id) + "checksum"

    def fact(self, doc_id: str, prop: str) -> str:
        return f"{self.document(doc_id)}fact/{segment(prop)}"

    def unit(self, unit_id: str) -> str:
        doc_id, _, local = unit_id.partition("/")
        return self.unit_in(self.document(doc_id), local)

    def relation(self, relation_id: str) -> str:
        doc_id, _, local = relation_id.partition("/")
        return self.relation_in(self.document(doc_id), local)

    def mention(self, mention_id: str) -> str:
        doc_id, _, local = mention_id.partition("/")
        return self.mention_in(self.document(doc_id), local)

    # The same, given the document's IRI (a document's writer mints hundreds of these).
    @staticmethod
    def unit_in(document: str, local_id: str) -> str:
        return f"{document}claim/{segment(local_id)}"

    @staticmethod
    def relation_in(document: str, local_id: str) -> str:
        return f"{document}relation/{segment(local_id)}"

    @staticmethod
    def mention_in(document: str, local_id: str) -> str:
        return f"{document}mention/{segment(local_id)}"

    def actor(self, actor_id: str) -> str:
        return f"{self.root}actor/{segment(actor_id)}"

    def document_graph(self, doc_id: str) -> str:
        return f"{self.root}graph/document/{segment(doc_id)}"

    @property
    def dataset_graph(self) -> str:
        return f"{self.root}graph/dataset"

    def build_activity(self, dataset_version: str) -> str:
        return f"{self.root}build/{segment(dataset_version)}"

    def software_agent(self, software_version: str) -> str:
        return f"{self.root}agent/datapkg/{segment(software_version)}"

    def contributor(self, slug: str) -> str:
        return f"{self.root}contributor/{segment(slug)}"

    def download(self, path: str) -> str:
        return self.root + quote(path, safe="/")

    def distribution(self, path: str) -> str:
        return f"{self.root}distribution/{quote(path, safe='/')}"

    def class_partition(self, class_iri: str) -> str:
        name = curie(class_iri) or class_iri
        return f"{self.root}partition/{segment(name.replace(':', '-'))}"

    def relative(self, iri: str) -> str:
        """The IRI relative to `{base}/` when it lies under it (for Turtle @base and JSON-LD @base)."""
        return iri[len(self.root) :] if iri.startswith(self.root) else iri


def wikidata_iri(qid: str) -> str:
    return WD + qid


_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')


def iri_from_text(value: str, base: Iris) -> str:
    """An IRI from a URL someone typed (licence, homepage): unsafe characters percent-encoded,
    relative references resolved against the base IRI."""
    value = _IRI_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), value.strip())
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        return value
    return base.root + value.lstrip("/")


# ---------------------------------------------------------------- SHACL shapes


@dataclass(frozen=True)
class PropShape:
    """A property constraint. Datatype, node kind and allowed values follow from the Prop's kind."""

    path: Prop
    min: int = 0
    max: int | None = None
    cls: str | None = None  # sh:class of the values
    inverse: bool = False  # the path is [ sh:inversePath path ]
    pattern: str | None = None
    less_than: Prop | None = None
    min_length: int | None = None
    qualified: tuple[str, int, int] | None = None  # (class, min, max) via sh:qualifiedValueShape
    message: str | None = None


@dataclass(frozen=True)
class NodeShape:
    name: str
    target: str
    props: tuple[PropShape, ...]
    comment: str


HEX64 = r"^[0-9a-f]{64}$"
WIKIDATA_ENTITY = r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$"

SHAPE_LIST: tuple[NodeShape, ...] = (
    NodeShape(
        "DocumentShape",
        C.article.iri,
        (
            PropShape(P.identifier, 1, 1),
            PropShape(P.headline, 1, 1, min_length=1),
            PropShape(P.in_language, 1, 1, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"),
            PropShape(P.text, 1, 1, min_length=1),
            PropShape(P.length, 1, 1),
            PropShape(P.checksum, 1, 1, cls=C.checksum.iri),
            PropShape(P.is_part_of, 1, 1, cls=C.dataset.iri),
            PropShape(P.date_published, 0, 1),
            PropShape(P.fact, cls=C.fact.iri),
        ),
        "A document has one id, headline, language, text, length and text checksum.",
    ),
    NodeShape(
        "DocumentFactShape",
        C.fact.iri,
        (
            PropShape(P.fact_property, 1, 1),
            PropShape(P.value, 1, 1, min_length=1),
            PropShape(P.status, 1, 1),
            PropShape(P.was_derived_from, 1, 1, cls=C.article.iri),
        ),
        "A document fact names its property, value and status.",
    ),
    NodeShape(
        "ChecksumShape",
        C.checksum.iri,
        (PropShape(P.algorithm, 1, 1), PropShape(P.checksum_value, 1, 1, pattern=HEX64)),
        "A checksum is a lowercase SHA-256.",
    ),
    NodeShape(
        "ClaimShape",
        C.claim.iri,
        (
            PropShape(P.identifier, 1, 1),
            PropShape(P.text, 1, 1, min_length=1, message="every claim has exactly one non-empty schema:text"),
            PropShape(P.claim_text, 1, 1, min_length=1),
            PropShape(P.appearance, 1, 1, cls=C.article.iri),
            PropShape(P.claim_kind, 1, 1),
            PropShape(P.role, 1, 1),
            PropShape(P.certainty, 1, 1),
            PropShape(P.cue),
            PropShape(P.about, cls=C.actor.iri),
            PropShape(P.supports, cls=C.claim.iri),
            PropShape(P.attacks, cls=C.claim.iri),
            PropShape(P.restates, cls=C.claim.iri),
            PropShape(P.premise, cls=C.s_node.iri),
            PropShape(
                P.has_body,
                1,
                1,
                cls=C.annotation.iri,
                inverse=True,
                message="every claim is anchored by exactly one annotation",
            ),
            PropShape(P.was_derived_from, 1, 1, cls=C.article.iri),
        ),
        "A claim has text, kind, role, certainty and exactly one text anchor.",
    ),
    NodeShape(
        "INodeShape",
        C.i_node.iri,
        (PropShape(P.claim_text, 1, 1, min_length=1),),
        "AIF information nodes carry their text.",
    ),
    NodeShape(
        "RecommendationShape",
        C.recommendation.iri,
        (
            PropShape(P.addressee, 1, None, cls=C.actor.iri, message="every recommendation has at least one addressee"),
            PropShape(P.action, 1, 1, min_length=1),
            PropShape(P.modality, 1, 1),
            PropShape(P.modality_cue, 0, 1),
            PropShape(P.time_frame, 0, 1),
            PropShape(P.target, cls=C.actor.iri),
            PropShape(P.beneficiary, cls=C.actor.iri),
        ),
        "A recommendation names who should act, what to do and how strongly.",
    ),
    NodeShape(
        "SchemeNodeShape",
        C.s_node.iri,
        (
            PropShape(P.identifier, 1, 1),
            PropShape(
                P.premise, 1, 1, cls=C.claim.iri, inverse=True, message="a relation starts from exactly one unit"
            ),
            PropShape(P.conclusion, 1, 1, cls=C.claim.iri, message="a relation ends at exactly one unit"),
            PropShape(P.was_derived_from, 1, 1, cls=C.article.iri),
        ),
        "An argument relation (AIF S-node) links one premise unit to one conclusion unit.",
    ),
    NodeShape(
        "AnnotationShape",
        C.annotation.iri,
        (
            PropShape(P.has_body, 1, 1),
            PropShape(P.has_target, 1, 1, cls=C.specific_resource.iri),
            PropShape(P.motivated_by, 1, 1),
        ),
        "An annotation links one body to one target.",
    ),
    NodeShape(
        "MentionShape",
        C.mention.iri,
        (PropShape(P.has_body, 1, 1, cls=C.actor.iri), PropShape(P.method, 1, 1), PropShape(P.identifier, 1, 1)),
        "A mention's body is an actor.",
    ),
    NodeShape(
        "SpecificResourceShape",
        C.specific_resource.iri,
        (
            PropShape(P.has_source, 1, 1, cls=C.article.iri),
            PropShape(P.has_selector, 2, 2, qualified=(C.position_selector.iri, 1, 1)),
            PropShape(P.has_selector, 2, 2, qualified=(C.quote_selector.iri, 1, 1)),
        ),
        "A text anchor selects its span of the essay by position and by quote.",
    ),
    NodeShape(
        "TextPositionSelectorShape",
        C.position_selector.iri,
        (
            PropShape(P.start, 1, 1, less_than=P.end, message="oa:start must be less than oa:end"),
            PropShape(P.end, 1, 1),
        ),
        "Offsets in Unicode code points, end exclusive, start < end.",
    ),
    NodeShape(
        "TextQuoteSelectorShape",
        C.quote_selector.iri,
        (PropShape(P.exact, 1, 1, min_length=1), PropShape(P.prefix, 0, 1), PropShape(P.suffix, 0, 1)),
        "The exact quote with up to 32 characters of context on each side.",
    ),
    NodeShape(
        "ActorShape",
        C.actor.iri,
        (
            PropShape(P.identifier, 1, 1),
            PropShape(P.name, 1, 1, min_length=1),
            PropShape(P.actor_kind, 1, 1),
            PropShape(P.same_as, 0, 1, pattern=WIKIDATA_ENTITY, message="sameAs must be a Wikidata entity IRI"),
            PropShape(P.parent_organization, cls=C.actor.iri),
            PropShape(P.member_of, cls=C.actor.iri),
        ),
        "An actor has a name and kind; sameAs points to its Wikidata entity.",
    ),
    NodeShape(
        "BuildActivityShape",
        C.activity.iri,
        (PropShape(P.was_associated_with, 1, 1, cls=C.software_agent.iri),),
        "The build that produced the graph, associated with the datapkg version that ran it.",
    ),
    NodeShape(
        "SoftwareAgentShape",
        C.software_agent.iri,
        (PropShape(P.software_version, 1, 1),),
        "datapkg, with its version.",
    ),
    NodeShape(
        "DatasetShape",
        C.dataset.iri,
        (
            PropShape(P.title, 1, 1),
            PropShape(P.name, 1, 1),
            PropShape(P.license, 1, None),
            PropShape(P.schema_version, 1, 1),
            PropShape(P.vocabulary, 1, None),
            PropShape(P.distribution, cls=C.distribution.iri),
            PropShape(P.triples, 0, 1),
        ),
        "The dataset has a title, licence, version and the vocabularies it uses.",
    ),
    NodeShape(
        "DistributionShape",
        C.distribution.iri,
        (
            PropShape(P.download_url, 1, 1),
            PropShape(P.media_type, 1, 1, pattern="^" + re.escape(IANA_MEDIA_TYPES)),
            PropShape(P.byte_size, 1, 1),
            PropShape(P.checksum, 1, 1, cls=C.checksum.iri),
        ),
        "Each downloadable file: URL, IANA media type, size and SHA-256.",
    ),
)
