"""The dataset description: DCAT + VoID + schema.org (`rdf/<name>-meta.ttl`) and `dataset.jsonld`.

Runs after the data files and their descriptors (datapackage.json, csv-metadata.json) exist
and before the release sinks, so it can give every artefact written so far one
dcat:Distribution with its IANA media type, byte size and SHA-256 (`files.digest`: the same
bytes SHA256SUMS lists). A file cannot carry its own checksum, so the description lives in
files of its own: `rdf/<name>-meta.ttl` (the full DCAT/VoID description; its triples add to
the dataset graph `{base}/graph/dataset`) and `dataset.jsonld` (schema.org Dataset for Google
Dataset Search and the site). Neither describes itself, nor the release files made after it
(README.md, dist/*.zip, SHA256SUMS), the site or the store.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Actor, DocumentRecords
from ..rdfsyntax import Triple, Writer, group
from ..vocab import IANA_MEDIA_TYPES, SHA256_ALGORITHM, C, Iris, P, iri_from_text
from . import BuildContext, Sink
from .files import CHECKSUMS_FILE, DIST_DIR, SITE_DIR, STORE_DIR, artefacts, describe, digest, media_type
from .rdf import FORMATS, dataset_core_triples, rdf_path

DATASET_JSONLD = "dataset.jsonld"
# Registered IANA types for files whose extension alone says too little.
SPECIAL_MEDIA_TYPES = {"csv-metadata.json": "application/csvm+json"}
SCHEMA_ORG_CONTEXT = "https://schema.org/"


def meta_path(ctx: BuildContext) -> str:
    return f"rdf/{ctx.dataset.name}-meta.ttl"


def iana_type(path: str) -> str:
    return SPECIAL_MEDIA_TYPES.get(path.rsplit("/", 1)[-1]) or media_type(path)


class Distribution:
    def __init__(self, ctx: BuildContext, path: str, iris: Iris) -> None:
        found = digest(ctx, path)
        self.path = path
        self.bytes = found.bytes
        self.sha256 = found.sha256
        self.media_type = iana_type(path)
        self.iri = iris.distribution(path)
        self.url = iris.download(path)


def distribution_triples(dist: Distribution) -> list[Triple]:
    node, checksum = dist.iri, dist.iri + "#sha256"
    return [
        (node, P.type, C.distribution.iri),
        (node, P.type, C.data_download.iri),
        (node, P.title, dist.path),
        (node, P.name, dist.path),
        (node, P.download_url, dist.url),
        (node, P.access_url, dist.url),
        (node, P.content_url, dist.url),
        (node, P.media_type, IANA_MEDIA_TYPES + dist.media_type),
        (node, P.encoding_format, dist.media_type),
        (node, P.byte_size, dist.bytes),
        (node, P.checksum, checksum),
        (checksum, P.type, C.checksum.iri),
        (checksum, P.algorithm, SHA256_ALGORITHM),
        (checksum, P.checksum_value, dist.sha256),
    ]


def meta_triples(ctx: BuildContext, iris: Iris, dists: list[Distribution], first_doc: str | None) -> list[Triple]:
    """The full description: the dataset core (as in the data graph) plus VoID figures and distributions."""
    ds = iris.dataset
    out = dataset_core_triples(ctx.dataset, iris)
    rdf = ctx.counts.get("rdf")
    if rdf:
        out.append((ds, P.triples, rdf["triples"]))
        for cls, n in rdf["classes"].items():
            part = iris.class_partition(cls)
            out += [(ds, P.class_partition, part), (part, P.type, C.void_dataset.iri)]
            out += [(part, P.void_class, cls), (part, P.entities, n)]
        dumps = {rdf_path(ctx.dataset, fmt) for fmt in FORMATS}
        out += [(ds, P.data_dump, d.url) for d in dists if d.path in dumps]
    if first_doc:
        out.append((ds, P.example_resource, iris.document(first_doc)))
    for d in dists:
        out += [(ds, P.distribution, d.iri), (ds, P.schema_distribution, d.iri)]
        out += distribution_triples(d)
    return out


def google_dataset(ctx: BuildContext, iris: Iris, dists: list[Distribution], languages: list[str]) -> dict[str, Any]:
    """schema.org Dataset as Google Dataset Search reads it (name, description, licence, creator, distribution)."""
    spec = ctx.dataset

    def agent(c: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"@type": "Organization", "name": c.title}
        if c.path:
            out["url"] = iri_from_text(c.path, iris)
        if c.email:
            out["email"] = c.email
        return out

    licenses = [iri_from_text(lic.path, iris) for lic in spec.licenses]
    data: dict[str, Any] = {
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "Dataset",
        "@id": iris.dataset,
        "name": spec.title,
        "description": spec.description,
        "url": iri_from_text(spec.homepage, iris) if spec.homepage else iris.dataset,
        "identifier": iris.dataset,
        "version": spec.version,
        "datePublished": spec.created,
        "license": licenses[0] if len(licenses) == 1 else licenses,
        "isAccessibleForFree": True,
        "keywords": list(spec.keywords),
        "creator": [agent(c) for c in spec.contributors if "creator" in c.roles],
        "publisher": [agent(c) for c in spec.contributors if "publisher" in c.roles],
        "inLanguage": languages,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": d.path,
                "contentUrl": d.url,
                "encodingFormat": d.media_type,
                "contentSize": f"{d.bytes} B",
                "sha256": d.sha256,
            }
            for d in dists
        ],
    }
    if spec.citation:
        data["citation"] = spec.citation
    return {k: v for k, v in data.items() if v not in ([], None)}


class DatasetMetaSink(Sink):
    """Writes rdf/<name>-meta.ttl (DCAT + VoID + schema.org) and dataset.jsonld."""

    name = "dataset-meta"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self.languages: set[str] = set()
        self.first_doc: str | None = None

    def render(self, records: DocumentRecords) -> tuple[str, str]:
        return records.document.id, records.document.language

    def write(self, rendered: tuple[str, str]) -> None:
        doc_id, language = rendered
        self.first_doc = self.first_doc or doc_id
        self.languages.add(language)

    def finish(self, actors: list[Actor]) -> None:
        ctx, iris = self.ctx, Iris(self.ctx.dataset.base_iri)
        mine = meta_path(ctx)
        exclude = {mine, DATASET_JSONLD, SITE_DIR, STORE_DIR, DIST_DIR, CHECKSUMS_FILE}
        dists = [Distribution(ctx, path, iris) for path in artefacts(ctx.out, exclude=exclude)]
        writer = Writer(iris)
        text = (
            writer.header()
            + f"\n# {ctx.dataset.title}: DCAT + VoID + schema.org description of the files of this release.\n"
            + writer.turtle(group(meta_triples(ctx, iris, dists, self.first_doc)))
        )
        ctx.path(mine).write_bytes(text.encode("utf-8"))
        google = google_dataset(ctx, iris, dists, sorted(self.languages))
        ctx.path(DATASET_JSONLD).write_bytes((json.dumps(google, indent=2, ensure_ascii=False) + "\n").encode())
        describe(
            ctx,
            mine,
            "Dataset description (RDF)",
            "DCAT, VoID and schema.org description of the dataset: licence, version, triple counts "
            "and one distribution per file with its media type, size and SHA-256.",
        )
        describe(
            ctx,
            DATASET_JSONLD,
            "Dataset description (schema.org JSON-LD)",
            "schema.org Dataset for search engines (Google Dataset Search), embedded in the site.",
        )
        ctx.counts["dataset-meta"] = {"distributions": [d.path for d in dists]}
