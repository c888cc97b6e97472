"""Dataset-level configuration: seeds/dataset.yaml."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .model import NonEmpty

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
VERSION_PATTERN = r"^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$"
IRI_PATTERN = r"^https?://[^\s<>\"{}|\\^`]+[^/\s]$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class License(_Model):
    name: NonEmpty = Field(description="SPDX identifier, e.g. CC-BY-4.0.")
    path: NonEmpty = Field(description="URL of the licence text.")
    title: NonEmpty = Field(description="Human-readable name.")


class Contributor(_Model):
    title: NonEmpty = Field(description="Name of the person or organisation.")
    roles: list[NonEmpty] = Field(default_factory=lambda: ["creator"], description="Roles, e.g. creator, publisher.")
    path: str | None = Field(default=None, description="URL identifying the contributor.")
    email: str | None = Field(default=None, description="Contact address.")
    organization: str | None = Field(default=None, description="Affiliation.")


class Limits(_Model):
    max_file_bytes: int = Field(default=5_000_000, ge=1, description="Largest essay or annotation file accepted.")
    coverage_min_share: float = Field(
        default=0.5, gt=0, le=1, description="Share of a sentence's characters units must cover for it to count."
    )


class DatasetSpec(_Model):
    """Contents of seeds/dataset.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="datapkg dataset")

    name: Annotated[str, StringConstraints(pattern=NAME_PATTERN)] = Field(description="Package name (lowercase).")
    title: NonEmpty
    description: NonEmpty
    version: Annotated[str, StringConstraints(pattern=VERSION_PATTERN)] = Field(description="Semantic version.")
    created: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")] = Field(
        description="Release date of this version (from the seeds, never the clock)."
    )
    homepage: str | None = None
    base_iri: Annotated[str, StringConstraints(pattern=IRI_PATTERN)] = Field(
        description="IRIs of documents, units and actors are minted under this (no trailing slash)."
    )
    licenses: list[License] = Field(min_length=1, description="Licence of the annotations.")
    contributors: list[Contributor] = Field(min_length=1)
    keywords: list[NonEmpty] = Field(default_factory=list)
    citation: str | None = Field(default=None, description="How to cite the dataset.")
    wikidata_verified: str | None = Field(
        default=None, description="TSV (relative to seeds/) of verified Wikidata ids; unknown ids are flagged."
    )
    limits: Limits = Field(default_factory=Limits)
