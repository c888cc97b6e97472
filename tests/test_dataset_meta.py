"""The dataset description: DCAT + VoID + schema.org (rdf/<name>-meta.ttl) and dataset.jsonld."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rdflib

from datapkg.emit.files import artefacts
from datapkg.vocab import IANA_MEDIA_TYPES, SCHEMA
from tests.conftest import SHARED

NAME = "argument-essays"
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
S = rdflib.Namespace(SCHEMA)
DATASET = rdflib.URIRef("https://example.org/datapkg/argument-essays")
NOT_DESCRIBED = {"site", "store", "dist", "SHA256SUMS", "README.md", "dataset.jsonld", f"rdf/{NAME}-meta.ttl"}


@pytest.fixture(scope="module")
def meta(built: Path) -> rdflib.Graph:
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(built / "rdf" / f"{NAME}-meta.ttl", format="turtle")
    return graph


def sha256sums(built: Path) -> dict[str, str]:
    out = {}
    for line in (built / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, path = line.partition("  ")
        out[path.lstrip("*")] = digest
    return out


def test_dataset_is_dcat_void_and_schema_org(meta: rdflib.Graph) -> None:
    types = set(meta.objects(DATASET, rdflib.RDF.type))
    assert {DCAT.Dataset, VOID.Dataset, S.Dataset} <= types
    assert str(meta.value(DATASET, DCT.title)) == "Annotated argumentative essays"
    assert str(meta.value(DATASET, S.version)) == "0.1.0"
    assert meta.value(DATASET, DCT.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert rdflib.URIRef("http://www.arg.dundee.ac.uk/aif#") in set(meta.objects(DATASET, VOID.vocabulary))


def test_one_distribution_per_artefact_with_the_sha256sums_hash(built: Path, meta: rdflib.Graph) -> None:
    files = artefacts(built, exclude=NOT_DESCRIBED)
    assert f"rdf/{NAME}.nt" in files and "data/claims.csv" in files and "datapackage.json" in files
    sums = sha256sums(built)
    dists = list(meta.objects(DATASET, DCAT.distribution))
    assert len(dists) == len(files)
    by_path = {str(meta.value(d, DCT.title)): d for d in dists}
    assert sorted(by_path) == files
    for path, dist in by_path.items():
        assert (dist, rdflib.RDF.type, DCAT.Distribution) in meta
        checksum = meta.value(dist, SPDX.checksum)
        assert meta.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(meta.value(checksum, SPDX.checksumValue)) == sums[path], path
        assert int(meta.value(dist, DCAT.byteSize)) == (built / path).stat().st_size
        media = str(meta.value(dist, DCAT.mediaType))
        assert media.startswith(IANA_MEDIA_TYPES) and "/" in media.removeprefix(IANA_MEDIA_TYPES)
        assert str(meta.value(dist, DCAT.downloadURL)).endswith("/" + path)
    nt = by_path[f"rdf/{NAME}.nt"]
    assert str(meta.value(nt, DCAT.mediaType)) == IANA_MEDIA_TYPES + "application/n-triples"


def test_void_figures_match_the_graph(built: Path, meta: rdflib.Graph) -> None:
    lines = (built / "rdf" / f"{NAME}.nt").read_bytes().count(b"\n")
    assert int(meta.value(DATASET, VOID.triples)) == lines
    nt = rdflib.Graph(bind_namespaces="none")
    nt.parse(built / "rdf" / f"{NAME}.nt", format="nt")
    partitions = list(meta.objects(DATASET, VOID.classPartition))
    assert len(partitions) > 10
    for part in partitions:
        cls = meta.value(part, VOID["class"])
        assert int(meta.value(part, VOID.entities)) == len(set(nt.subjects(rdflib.RDF.type, cls)))
    dumps = {str(d).rsplit("/", 1)[-1] for d in meta.objects(DATASET, VOID.dataDump)}
    assert dumps == {f"{NAME}.{fmt}" for fmt in ("ttl", "nt", "nq", "jsonld")}


def test_meta_core_equals_the_dataset_graph_description(built: Path, meta: rdflib.Graph) -> None:
    """The data's dataset graph and the description say the same about the dataset."""
    data = rdflib.Graph(bind_namespaces="none")
    data.parse(built / "rdf" / f"{NAME}.nt", format="nt")
    described = set(data.triples((DATASET, None, None)))
    assert described and described <= set(meta.triples((DATASET, None, None)))


# ---------------------------------------------------------------- dataset.jsonld


@pytest.fixture(scope="module")
def google(built: Path) -> dict:
    return json.loads((built / "dataset.jsonld").read_text(encoding="utf-8"))


def test_google_dataset_search_requirements(built: Path, google: dict) -> None:
    assert google["@context"] == "https://schema.org/"
    assert google["@type"] == "Dataset"
    assert google["name"]
    assert 50 <= len(google["description"]) <= 5000
    assert google["license"].startswith("https://")
    for creator in google["creator"]:
        assert creator["@type"] in ("Person", "Organization") and creator["name"]
    assert google["version"] and google["keywords"] and google["isAccessibleForFree"] is True
    sums = sha256sums(built)
    paths = artefacts(built, exclude=NOT_DESCRIBED)
    assert [d["name"] for d in google["distribution"]] == paths
    for d in google["distribution"]:
        assert d["@type"] == "DataDownload"
        assert d["contentUrl"].startswith("https://") and d["contentUrl"].endswith(d["name"])
        assert d["encodingFormat"] and d["sha256"] == sums[d["name"]]


def test_dataset_jsonld_uses_schema_org_terms_only(google: dict) -> None:
    schema_org = rdflib.Graph(bind_namespaces="none")
    schema_org.parse(SHARED / "reference" / "schemaorg-30.0-all-layers-https.ttl", format="turtle")
    # the official context maps every term to http://schema.org/ (@vocab); do the same offline
    offline = dict(google, **{"@context": {"@vocab": SCHEMA}})
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(data=json.dumps(offline), format="json-ld")
    used = {str(p) for p in graph.predicates()} | {str(o) for o in graph.objects(None, rdflib.RDF.type)}
    used.discard(str(rdflib.RDF.type))
    assert used and all(u.startswith(SCHEMA) for u in used)
    missing = [
        u for u in used if (rdflib.URIRef("https://schema.org/" + u.removeprefix(SCHEMA)), None, None) not in schema_org
    ]
    assert not missing
    assert (DATASET, S.distribution, None) in graph
