"""The single source of truth: pydantic models of annotations and of published records.

`*Spec` models describe what annotators write in `annotations.yaml`; the record
models (Document, Actor, Claim, Recommendation, Relation, Mention) are what every
output format projects. Field descriptions here become column descriptions,
JSON Schema descriptions and vocabulary comments.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DOC_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
LOCAL_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"
ACTOR_ID_PATTERN = r"^[a-z][a-z0-9-]{0,63}$"
WIKIDATA_PATTERN = r"^Q[1-9][0-9]{0,11}$"
UNIT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}/[a-z][a-z0-9_-]{0,63}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

DocId = Annotated[str, StringConstraints(pattern=DOC_ID_PATTERN)]
LocalId = Annotated[str, StringConstraints(pattern=LOCAL_ID_PATTERN)]
ActorId = Annotated[str, StringConstraints(pattern=ACTOR_ID_PATTERN)]
UnitId = Annotated[str, StringConstraints(pattern=UNIT_ID_PATTERN)]
WikidataId = Annotated[str, StringConstraints(pattern=WIKIDATA_PATTERN)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]

UNIT_ID_SEPARATOR = "/"


def unit_id(doc_id: str, local_id: str) -> str:
    """Global id of a unit: unique in the corpus, sorts with its document."""
    return f"{doc_id}{UNIT_ID_SEPARATOR}{local_id}"


class ActorKind(StrEnum):
    person = "person"
    state = "state"
    government = "government"
    government_body = "government-body"
    organisation = "organisation"
    international_organisation = "international-organisation"
    armed_group = "armed-group"
    coalition = "coalition"
    social_group = "social-group"


class ClaimKind(StrEnum):
    factual = "factual"
    evaluative = "evaluative"
    predictive = "predictive"
    causal = "causal"
    normative = "normative"
    conditional = "conditional"


class Role(StrEnum):
    thesis = "thesis"
    reason = "reason"
    evidence = "evidence"
    background = "background"
    concession = "concession"
    rebuttal = "rebuttal"
    elaboration = "elaboration"
    recommendation = "recommendation"
    conclusion = "conclusion"


class Certainty(StrEnum):
    certain = "certain"
    asserted = "asserted"
    probable = "probable"
    possible = "possible"


class Modality(StrEnum):
    obligation = "obligation"
    advice = "advice"
    necessity = "necessity"
    ability = "ability"
    possibility = "possibility"


class RelationType(StrEnum):
    supports = "supports"
    attacks = "attacks"
    restates = "restates"


class FactStatus(StrEnum):
    stated = "stated"
    inferred = "inferred"


class MentionMethod(StrEnum):
    alias = "alias"
    added = "added"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


# ---------------------------------------------------------------- annotation specs


class MetaValue(_Model):
    """A document fact (author, date, …) with where it comes from."""

    value: NonEmpty = Field(description="The value, e.g. 2021-08 for a date.")
    status: FactStatus = Field(description="stated: the text says so; inferred: derived from the evidence.")
    evidence: list[NonEmpty] = Field(
        default_factory=list,
        description="Quotes from the text that support an inferred value (required when inferred).",
    )
    note: NonEmpty | None = Field(default=None, description="How the value was inferred.")


class DocumentSpec(_Model):
    """Metadata of the annotated document; never guessed."""

    id: DocId | None = Field(default=None, description="Document id; must equal the folder name if given.")
    title: NonEmpty = Field(description="Title as given in the text.")
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)] = Field(
        description="BCP 47 language tag of the text, e.g. en."
    )
    genre: NonEmpty = Field(default="opinion", description="Genre, e.g. opinion for an op-ed.")
    author: MetaValue | None = Field(default=None, description="Author, only if stated or inferred with evidence.")
    publisher: MetaValue | None = Field(
        default=None, description="Publisher, only if stated or inferred with evidence."
    )
    date: MetaValue | None = Field(default=None, description="Publication date (ISO 8601, may be partial: 2021-08).")
    url: MetaValue | None = Field(default=None, description="Where the text was published.")
    sha256: Annotated[str, StringConstraints(pattern=SHA256_PATTERN)] | None = Field(
        default=None, description="Expected SHA-256 of essay.txt; checked when given."
    )


class MentionSpec(_Model):
    """Picks one occurrence of `text`, optionally inside a longer unique `within` context."""

    text: NonEmpty = Field(description="The surface form as it appears in the text.")
    within: NonEmpty | None = Field(
        default=None, description="A longer quote containing the mention, to say which one."
    )
    occurrence: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Which occurrence (1-based) of `within` (or of `text`) is meant."
    )


class MentionRules(_Model):
    exclude: list[MentionSpec] = Field(default_factory=list, description="Alias hits that are not this actor.")
    add: list[MentionSpec] = Field(default_factory=list, description="Mentions no alias catches (e.g. 'the group').")


class ActorSpec(_Model):
    """A person, state, organisation or group the text names or clearly refers to."""

    id: ActorId = Field(description="Actor id, shared across documents.")
    name: NonEmpty = Field(description="Preferred name.")
    kind: ActorKind = Field(description="What sort of actor this is.")
    aliases: list[NonEmpty] = Field(default_factory=list, description="Other surface forms found as mentions.")
    wikidata: WikidataId | None = Field(default=None, description="Wikidata item id, only if verified.")
    description: NonEmpty | None = Field(default=None, description="One line saying who this is.")
    part_of: list[ActorId] = Field(default_factory=list, description="Actors this one is a part of (organ, branch).")
    member_of: list[ActorId] = Field(
        default_factory=list, description="Groups or coalitions this actor is a member of."
    )
    mentions: MentionRules = Field(default_factory=MentionRules, description="Corrections to automatic mentions.")


class ClaimSpec(_Model):
    """An argumentative unit: a quoted span with its kind and role in the argument."""

    id: LocalId = Field(description="Unit id, unique in the document (claims and recommendations share ids).")
    quote: NonEmpty = Field(description="The exact text of the unit, copied from essay.txt.")
    occurrence: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Which occurrence of the quote is meant (1-based), if it occurs more than once."
    )
    start: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Code-point offset of the quote, as an alternative to occurrence."
    )
    kind: ClaimKind = Field(description="factual, evaluative, predictive, causal, normative or conditional.")
    role: Role = Field(description="Role of the unit in the argument.")
    certainty: Certainty = Field(default=Certainty.asserted, description="How certain the author presents the unit.")
    cues: list[NonEmpty] = Field(
        default_factory=list, description="Words of the quote that show the certainty (hedges or boosters)."
    )
    about: list[ActorId] = Field(default_factory=list, description="Actors the unit is about.")
    note: NonEmpty | None = Field(default=None, description="Annotator's note.")


class RecommendationSpec(ClaimSpec):
    """A call to action: who should do what, for whom, how strongly, by when."""

    kind: ClaimKind = Field(default=ClaimKind.normative, description="Usually normative.")
    role: Role = Field(default=Role.recommendation, description="Role of the unit in the argument.")
    addressees: Annotated[list[ActorId], Field(min_length=1)] = Field(description="Actors who should act.")
    action: NonEmpty = Field(description="What they should do, in a short verb phrase.")
    targets: list[ActorId] = Field(default_factory=list, description="Actors the action is directed at.")
    beneficiaries: list[ActorId] = Field(default_factory=list, description="Actors meant to benefit.")
    modality: Modality = Field(description="Strength of the call: obligation, advice, necessity, ability, possibility.")
    modality_cue: NonEmpty | None = Field(default=None, description="Words of the quote that carry the modality.")
    time_frame: NonEmpty | None = Field(
        default=None, description="When, as the text says it (e.g. in the coming months)."
    )


class RelationSpec(_Model):
    """A directed argument relation between two units of the same document."""

    source: LocalId = Field(description="Unit id the relation starts from (the premise or attacker).")
    target: LocalId = Field(description="Unit id the relation points to (the conclusion or attacked unit).")
    type: RelationType = Field(description="supports, attacks or restates.")
    note: NonEmpty | None = Field(default=None, description="Annotator's note.")


class AnnotationFile(_Model):
    """Contents of seeds/<doc-id>/annotations.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True, title="datapkg annotations")

    document: DocumentSpec
    actors: list[ActorSpec] = Field(default_factory=list)
    claims: list[ClaimSpec] = Field(default_factory=list)
    recommendations: list[RecommendationSpec] = Field(default_factory=list)
    relations: list[RelationSpec] = Field(default_factory=list)


# ---------------------------------------------------------------- published records


class DocumentFact(_Model):
    """A fact about a document with its status and evidence."""

    document_id: DocId = Field(description="The document.")
    property: Literal["author", "publisher", "date", "url"] = Field(description="Which fact.")
    value: NonEmpty = Field(description="The value.")
    status: FactStatus = Field(description="stated or inferred.")
    evidence: list[str] = Field(default_factory=list, description="Quotes from the text the value rests on.")
    note: str | None = Field(default=None, description="How the value was inferred.")


class Document(_Model):
    """An annotated source text."""

    id: DocId = Field(description="Document id (the seed folder name).")
    title: NonEmpty = Field(description="Title as given in the text.")
    language: str = Field(description="BCP 47 language tag.")
    genre: str = Field(description="Genre of the text.")
    author: str | None = Field(default=None, description="Author, if stated or inferred (see document facts).")
    publisher: str | None = Field(default=None, description="Publisher, if stated or inferred.")
    date: str | None = Field(default=None, description="Publication date, if stated or inferred (ISO 8601).")
    url: str | None = Field(default=None, description="Where the text was published, if known.")
    sha256: str = Field(description="SHA-256 of the UTF-8 text.")
    length: int = Field(ge=1, description="Length of the text in Unicode code points.")
    text: str = Field(description="The full text; unit offsets index into it.")
    facts: list[DocumentFact] = Field(default_factory=list, description="Document facts with provenance.")


class Actor(_Model):
    """A person, state, organisation or group; one record per id across the corpus."""

    id: ActorId = Field(description="Actor id.")
    name: str = Field(description="Preferred name.")
    kind: ActorKind = Field(description="What sort of actor this is.")
    aliases: list[str] = Field(default_factory=list, description="Surface forms used in the texts.")
    wikidata: WikidataId | None = Field(default=None, description="Verified Wikidata item id.")
    description: str | None = Field(default=None, description="Who this is.")
    part_of: list[ActorId] = Field(default_factory=list, description="Actors this one is part of.")
    member_of: list[ActorId] = Field(default_factory=list, description="Groups this actor is a member of.")


class Claim(_Model):
    """An argumentative unit anchored to its exact characters in a document."""

    id: UnitId = Field(description="Global unit id: <document id>/<local id>.")
    document_id: DocId = Field(description="The document the unit is part of.")
    local_id: LocalId = Field(description="Id of the unit within its document.")
    text: str = Field(description="The unit's text: document text [start:end).")
    start: int = Field(ge=0, description="Start offset in code points (inclusive).")
    end: int = Field(ge=1, description="End offset in code points (exclusive).")
    kind: ClaimKind = Field(description="Kind of claim.")
    role: Role = Field(description="Role in the argument.")
    certainty: Certainty = Field(description="Certainty as presented by the author.")
    cues: list[str] = Field(default_factory=list, description="Certainty cue words.")
    about: list[ActorId] = Field(default_factory=list, description="Actors the unit is about.")
    note: str | None = Field(default=None, description="Annotator's note.")
    is_recommendation: bool = Field(default=False, description="True when the unit is a recommendation.")


class Recommendation(Claim):
    """A claim that calls on actors to act."""

    is_recommendation: bool = Field(default=True, description="Always true.")
    addressees: list[ActorId] = Field(min_length=1, description="Actors who should act.")
    action: str = Field(description="What they should do.")
    targets: list[ActorId] = Field(default_factory=list, description="Actors the action is directed at.")
    beneficiaries: list[ActorId] = Field(default_factory=list, description="Actors meant to benefit.")
    modality: Modality = Field(description="Strength of the call.")
    modality_cue: str | None = Field(default=None, description="Words that carry the modality.")
    time_frame: str | None = Field(default=None, description="When, as stated.")


class Relation(_Model):
    """A directed argument relation between two units."""

    id: str = Field(description="Relation id: <document id>/<source>-<type>-<target>.")
    document_id: DocId = Field(description="The document.")
    source_id: UnitId = Field(description="Premise or attacking unit.")
    target_id: UnitId = Field(description="Conclusion or attacked unit.")
    type: RelationType = Field(description="supports, attacks or restates.")
    note: str | None = Field(default=None, description="Annotator's note.")


class Mention(_Model):
    """An occurrence of an actor in a document's text."""

    id: str = Field(description="Mention id: <document id>/m<start>-<end>-<actor id>.")
    document_id: DocId = Field(description="The document.")
    actor_id: ActorId = Field(description="The actor mentioned.")
    start: int = Field(ge=0, description="Start offset in code points (inclusive).")
    end: int = Field(ge=1, description="End offset in code points (exclusive).")
    text: str = Field(description="Surface form: document text [start:end).")
    method: MentionMethod = Field(description="alias: found from a name or alias; added: by an explicit rule.")


class DocumentRecords(_Model):
    """Everything one document contributes to the dataset."""

    document: Document
    actors: list[Actor]
    claims: list[Claim | Recommendation]
    relations: list[Relation]
    mentions: list[Mention]

    @property
    def recommendations(self) -> list[Recommendation]:
        return [c for c in self.claims if isinstance(c, Recommendation)]
