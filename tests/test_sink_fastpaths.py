"""The sinks' fast paths give the bytes of the straightforward implementations they replace.

Each corpus-scale shortcut (DOT text written directly, the SVG edited as text, pydantic-core's
indented JSON, the threaded zip writer, actor pages in tasks, digests in the workers, finish
steps that stream the actors instead of formatting whole lists) is compared with a reference
written the obvious way, on the seeds and on hostile input, so a difference cannot hide
behind a speed-up.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any

import graphviz
import pytest

from datapkg import argmap
from datapkg.argmap import EDGE_STYLES, ROLE_COLOURS, node_lines, text_anchor
from datapkg.corpusactors import CompactActorIndex
from datapkg.emit import BuildContext, BuildOptions, ziparchive
from datapkg.emit import files as files_module
from datapkg.emit import site as site_module
from datapkg.emit import tables as tables_module
from datapkg.emit.datapackage import DataPackageSink, source_of
from datapkg.emit.files import digest, digest_many
from datapkg.emit.jsondoc import JsonDocSink, document_entry, indented, read_dataset, render_entry
from datapkg.emit.tables import FORMATS, TablesSink, corpus_rows
from datapkg.model import Actor, DocumentRecords, Recommendation, Role
from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds
from datapkg.tableschema import TABLES
from tests.conftest import SEEDS, need_tool

HOSTILE = 'ctl \x00\x01\x08\x0b\x1f\x7f \u2028 "q" \\ é 🇵🇰 </script> <!-- & &amp; \\N'


@pytest.fixture(scope="module")
def records() -> list[DocumentRecords]:
    found = [r.records for r in iter_documents(open_seeds(SEEDS))]
    assert all(r is not None for r in found)
    return found  # type: ignore[return-value]


def hostile(rec: DocumentRecords) -> DocumentRecords:
    """The first unit, the title and an actor name full of markup, escapes and control characters."""
    unit = rec.claims[0].model_copy(update={"text": HOSTILE, "note": HOSTILE, "cues": [HOSTILE]})
    doc = rec.document.model_copy(update={"title": HOSTILE})
    actor = rec.actors[0].model_copy(update={"name": HOSTILE})
    return rec.model_copy(
        update={"claims": [unit, *rec.claims[1:]], "document": doc, "actors": [actor, *rec.actors[1:]]}
    )


# ---------------------------------------------------------------- argument map


def binding_dot(records: DocumentRecords) -> str:
    """The DOT source as the graphviz binding's Digraph writes it (how argmap made it before)."""

    def dot_text(value: str) -> str:
        return value.replace("\\", "\\\\")

    g = graphviz.Digraph(
        "argument-map",
        graph_attr=argmap.GRAPH_ATTRS,
        node_attr=argmap.NODE_ATTRS,
        edge_attr=argmap.EDGE_ATTRS,
    )
    units, theses = {c.id for c in records.claims}, []
    for unit in records.claims:
        is_rec = isinstance(unit, Recommendation)
        classes = ["unit", f"role-{unit.role}", f"kind-{unit.kind}"] + (["recommendation"] if is_rec else [])
        attrs = {
            "id": dot_text(unit.id),
            "class": " ".join(classes),
            "label": graphviz.nohtml("\\n".join(dot_text(line) for line in node_lines(unit))),
            "URL": dot_text("#" + text_anchor(unit.local_id)),
            "tooltip": dot_text(unit.local_id),
            "fillcolor": ROLE_COLOURS.get(unit.role, "#ffffff"),
            "color": "#333333",
        }
        if unit.role == Role.thesis:
            attrs.update(penwidth="2.2", fontsize="11")
            theses.append(unit.local_id)
        if is_rec:
            attrs["style"] = "filled,bold"
        g.node(dot_text(unit.local_id), **attrs)
    if theses:
        with g.subgraph(name="thesis-rank") as top:
            top.attr(rank="max")
            for local in theses:
                top.node(dot_text(local))
    for rel in records.relations:
        if rel.source_id not in units or rel.target_id not in units:
            continue
        source, target = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
        g.edge(
            dot_text(source),
            dot_text(target),
            id=dot_text(rel.id),
            **{"class": f"relation {rel.type}", "tooltip": dot_text(f"{source} {rel.type} {target}")},
            **EDGE_STYLES.get(rel.type, EDGE_STYLES["supports"]),
        )
    return g.source


def test_dot_source_is_what_the_graphviz_binding_writes(records: list[DocumentRecords]) -> None:
    for rec in [*records, hostile(records[0])]:
        assert argmap.dot_source(rec) == binding_dot(rec)


def test_dot_source_quotes_like_graphviz() -> None:
    """The memoised quoting of argmap equals graphviz's attribute lists for awkward names and values."""
    values = ["", "a", "a b", '"', '\\"', "<b>", "-4.2", "node", "é", "x:y", "a\\nb", "1a"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # graphviz warns about some of these; the text is what matters
        for name in values:
            for value in values:
                g = graphviz.Digraph()
                g.node("n", label=graphviz.nohtml(value), **{"k" + name: value, "id": name})
                assert g.body[-1] == f"\tn{argmap._attrs({'k' + name: value, 'id': name}, value)}\n"
                g.edge(name or "e", value or "f", id=value)
                assert g.body[-1] == f"\t{argmap._edge_end(name or 'e')} -> {argmap._edge_end(value or 'f')}" + (
                    argmap._attrs({"id": value}) + "\n"
                )


def test_svg_text_edit_equals_the_tree(records: list[DocumentRecords]) -> None:
    need_tool("dot")
    for rec in [*records, hostile(records[0])]:
        raw = argmap.layout_svg(argmap.dot_source(rec))
        fast = argmap._finish_svg_text(raw, rec)
        assert fast is not None, "the text path handles what dot writes for our maps"
        assert fast == argmap.finish_svg_tree(raw, rec) == argmap.finish_svg(raw, rec)
        # including the unit boxes made rounded rects (all but recommendations', which stay polygons)
        assert (
            fast.count("<rect ")
            == sum(map(argmap.rounded, rec.claims))
            == raw.count("<polygon") - fast.count("<polygon")
        )


def test_unexpected_svg_takes_the_tree_path(records: list[DocumentRecords]) -> None:
    need_tool("dot")
    rec = records[0]
    raw = argmap.layout_svg(argmap.dot_source(rec))
    odd = raw.replace("<title>", "<title>&#60;", 1)  # a character reference the text path does not decode
    assert argmap._finish_svg_text(odd, rec) is None
    assert argmap.finish_svg(odd, rec) == argmap.finish_svg_tree(odd, rec)
    short = raw.replace("<text", "<ignored", 1).replace("</text>", "</ignored>", 1)  # a label line lost
    assert argmap._finish_svg_text(short, rec) is None
    with pytest.raises(ValueError):  # as before: zip(strict=True) in the tree path
        argmap.finish_svg(short, rec)


# ---------------------------------------------------------------- JSON document


def test_json_entry_equals_json_dumps(records: list[DocumentRecords]) -> None:
    for rec in [*records, hostile(records[0])]:
        assert render_entry(rec) == indented(document_entry(rec), 2)


# ---------------------------------------------------------------- release zip


def reference_zip(target: Path, files: list[Path], stamp: tuple[int, ...]) -> None:
    """The release zip as zipfile writes it (how release.py made it before)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as zf:
        for path in files:
            info = zipfile.ZipInfo(f"x/{path.name}", date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", 3)
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst)


def sample_files(folder: Path) -> list[Path]:
    folder.mkdir()
    contents = [b"", b"x", b"abc\n" * 5000, bytes(range(256)) * 3000, "é ☃ 🇵🇰\n".encode() * 999]
    names = ["empty", "one", "lines.txt", "binary.bin", "ünïcode.txt"]
    files = []
    for name, data in zip(names, contents, strict=True):
        (folder / name).write_bytes(data)
        files.append(folder / name)
    return files


@pytest.mark.parametrize("jobs", [1, 3])
def test_zip_writer_writes_what_zipfile_writes(tmp_path: Path, jobs: int) -> None:
    files = sample_files(tmp_path / "in")
    stamp = (2021, 8, 30, 12, 0, 0)
    ours, theirs = tmp_path / "ours.zip", tmp_path / "theirs.zip"
    members = [ziparchive.Member(f"x/{p.name}", p) for p in files]
    sha256, size = ziparchive.write_archive(ours, members, stamp, 0o100644, 3, tmp_path / "spool", jobs)
    reference_zip(theirs, files, stamp)
    assert ours.read_bytes() == theirs.read_bytes()
    assert (sha256, size) == (hashlib.sha256(theirs.read_bytes()).hexdigest(), theirs.stat().st_size)  # as written
    assert not (tmp_path / "spool").exists()


def test_zip64_members_and_offsets_stay_readable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the ZIP64 limit (2 GiB; lowered here) sizes and offsets move to ZIP64 fields."""
    files = sample_files(tmp_path / "in")
    monkeypatch.setattr(ziparchive, "ZIP64_LIMIT", 1000)
    target = tmp_path / "big.zip"
    members = [ziparchive.Member(f"x/{p.name}", p) for p in files]
    ziparchive.write_archive(target, members, (2021, 8, 30, 0, 0, 0), 0o100644, 3, tmp_path / "spool", 2)
    data = target.read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data  # ZIP64 end record and locator
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        assert [i.filename for i in zf.infolist()] == [m.name for m in members]
        for p in files:
            assert zf.read(f"x/{p.name}") == p.read_bytes()
        assert any(i.extra for i in zf.infolist())


# ---------------------------------------------------------------- digests and actor pages


def test_digest_many_equals_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_module, "THREADED_DIGEST", 0)  # every file through the threads
    files = sample_files(tmp_path / "in")
    rels = [f"in/{p.name}" for p in files]
    threaded = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path, options=BuildOptions(jobs=3))  # type: ignore[arg-type]
    serial = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path)  # type: ignore[arg-type]
    assert digest_many(threaded, rels) == [digest(serial, rel) for rel in rels]


def test_actor_pages_do_not_depend_on_the_task_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages written in tasks of one actor equal those of the default tasks; every actor gets one."""
    seeds = open_seeds(SEEDS)
    index, recs = ActorIndex(), []
    for result in iter_documents(seeds):
        merge_actors(index, result)
        recs.append(result.records)
    pages = {}
    for chunk in (1, site_module.ACTOR_CHUNK):
        monkeypatch.setattr(site_module, "ACTOR_CHUNK", chunk)
        out = tmp_path / f"chunk{chunk}"
        out.mkdir()
        sink = site_module.SiteSink(BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=out))
        for rec in recs:
            sink.write(sink.render(rec))
        sink.finish(index.sorted())
        assert not (out / site_module.STAGING_DIR).exists(), "the staging folder is removed"
        folder = out / "site" / "actors"
        pages[chunk] = {p.name: p.read_bytes() for p in folder.iterdir()}
        assert set(pages[chunk]) == {f"{a.id}.html" for a in index.sorted()}
    assert pages[1] == pages[site_module.ACTOR_CHUNK]


def test_digest_many_in_the_workers_equals_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small files handed to the build's workers (`ctx.map`) get the digests `digest` gives, each once."""
    monkeypatch.setattr(files_module, "MAPPED_DIGEST", 2)
    monkeypatch.setattr(files_module, "MAP_CHUNK", 2)
    files = sample_files(tmp_path / "in")
    rels = [f"in/{p.name}" for p in files]
    handed: list[str] = []

    def mapper(function: Any, items: Any, chunksize: int) -> Any:
        items = list(items)
        handed.extend(rel for _, rel in items)
        return map(pickle.loads(pickle.dumps(function)), pickle.loads(pickle.dumps(items)))  # as a worker gets them

    mapped = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path, options=BuildOptions(jobs=2))  # type: ignore[arg-type]
    mapped.mapper = mapper
    serial = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path)  # type: ignore[arg-type]
    assert digest_many(mapped, rels) == [digest(serial, rel) for rel in rels]
    assert sorted(handed) == sorted(rels)
    assert digest_many(mapped, rels) == [digest(serial, rel) for rel in rels]
    assert len(handed) == len(rels), "cached: not hashed again"


@pytest.mark.parametrize("jobs", [1, 2])
def test_written_digests_count_only_while_the_file_is_as_written(tmp_path: Path, jobs: int) -> None:
    """A digest its writer recorded is taken without reading the file, and only while the file's
    size, mtime and inode are those recorded: a file changed since is hashed again."""
    files = sample_files(tmp_path / "in")
    rels = [f"in/{p.name}" for p in files]
    serial = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path)  # type: ignore[arg-type]
    truth = [digest(serial, rel) for rel in rels]
    recorded = files_module.WrittenDigests(tmp_path)
    recorded.add([files_module.page_digest(rel, b"", (tmp_path / rel).stat()) for rel in rels[:3]])
    recorded.close()
    empty = hashlib.sha256(b"").hexdigest()
    ctx = BuildContext(dataset=None, seeds_root=tmp_path, out=tmp_path, options=BuildOptions(jobs=jobs))  # type: ignore[arg-type]
    assert [d.sha256 for d in digest_many(ctx, rels, remember=False)] == [empty] * 3 + [d.sha256 for d in truth[3:]]
    (tmp_path / rels[1]).write_bytes(b"y")  # same size, new mtime
    (tmp_path / rels[2]).write_bytes(b"changed")
    again = digest_many(ctx, rels, remember=False)
    assert [d.sha256 for d in again[1:3]] == [hashlib.sha256(b"y").hexdigest(), hashlib.sha256(b"changed").hexdigest()]


@pytest.mark.parametrize("jobs", [1, 2])
def test_site_pages_are_hashed_by_their_writers(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """SHA256SUMS lists the site's pages without reading them back, and the record is not left in the build."""
    from datapkg.build import build

    log = tmp_path / "read-back.txt"  # a file: the build's worker processes hash files too
    real = files_module.sha256_file

    def sha256_file(path: Path | str) -> str:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{path}\n")
        return real(path)

    monkeypatch.setattr(files_module, "sha256_file", sha256_file)
    monkeypatch.setattr(files_module, "MAPPED_DIGEST", 2)  # would hand the pages to the workers
    out = tmp_path / "out"
    build(SEEDS, out, BuildOptions(store=False, jobs=jobs))
    assert (out / "SHA256SUMS").read_bytes() == (built / "SHA256SUMS").read_bytes()
    pages = [p for p in (out / "site").rglob("*.html") if p.parent.name in ("documents", "actors")]
    assert len(pages) > 10
    read_back = log.read_text(encoding="utf-8").splitlines()
    assert len(read_back) > 5, "the other files are still read to be hashed"
    assert not [p for p in read_back if "/site/documents/" in p or "/site/actors/" in p]
    assert not list(out.glob(".*")), "no hidden spool left in the build"


# ---------------------------------------------------------------- corpus-scale finish steps


def many_actors(count: int) -> list[Actor]:
    """`count` actors (sorted by id) with aliases, memberships, Wikidata ids and hostile text."""
    out = []
    for i in range(count):
        out.append(
            Actor(
                id=f"actor-{i:05d}",
                name=HOSTILE if i % 97 == 0 else f"Actor {i}",
                kind=("state", "organisation", "person", "coalition")[i % 4],
                aliases=sorted(
                    {f"A{i}", f"Alias {i % 13}", HOSTILE} if i % 5 == 0 else ({f"A{i}"} if i % 2 else set())
                ),
                wikidata=f"Q{1000 + i}" if i % 3 == 0 else None,
                description=HOSTILE if i % 11 == 0 else None,
                part_of=[f"actor-{i // 2:05d}"] if i % 7 == 0 and i else [],
                member_of=[f"actor-{j:05d}" for j in (i // 3, i // 5) if j != i][: i % 3],
            )
        )
    return out


def test_finish_steps_stream_many_actors_and_sources_to_the_same_bytes(
    records: list[DocumentRecords], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The corpus tables, the JSON document and datapackage.json, written a batch or an item at a time
    from the compact actor index, are what formatting the whole lists at once gives."""
    actors = many_actors(2600)
    index = CompactActorIndex()
    for n, actor in enumerate(reversed(actors)):  # arrival order does not matter
        assert index.add(actor, (f"doc{n % 40}/annotations.yaml", n, 5)) == []
    sequence = index.sorted()
    assert list(sequence) == actors
    docs = [*records, hostile(records[0])] * 30
    seeds = open_seeds(SEEDS)
    for batch in (tables_module.CORPUS_BATCH, 7):
        monkeypatch.setattr(tables_module, "CORPUS_BATCH", batch)
        out = tmp_path / f"batch{batch}"
        out.mkdir()
        ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=out)
        sinks = [TablesSink(ctx), JsonDocSink(ctx), DataPackageSink(ctx)]
        for rec in docs:
            for sink in sinks:
                sink.write(sink.render(rec))
        for sink in sinks:
            sink.finish(sequence)
        for table in TABLES:  # the actor tables as sorting and formatting every row at once writes them
            if table.scope == "corpus":
                fmt = FORMATS[table.name]
                whole = fmt.header() + "".join(fmt.lines(sorted(corpus_rows(table, actors), key=fmt.key)))
                assert (out / table.path).read_text(encoding="utf-8") == whole, table.name
        for name in (f"{seeds.dataset.name}.json", "datapackage.json"):
            text = (out / name).read_text(encoding="utf-8")
            assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n", name
        data = read_dataset(out / f"{seeds.dataset.name}.json")
        assert list(data.actors) == actors
        assert [e.id for e in data.documents] == [r.document.id for r in docs]
        package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
        assert package["sources"] == [source_of(r) for r in docs]
        assert not list(out.glob(".*")), "no spool left behind"


def test_finish_steps_with_nothing_write_empty_lists(tmp_path: Path) -> None:
    seeds = open_seeds(SEEDS)
    ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=tmp_path)
    for sink in (TablesSink(ctx), JsonDocSink(ctx), DataPackageSink(ctx)):
        sink.finish(CompactActorIndex().sorted())
    for name in (f"{seeds.dataset.name}.json", "datapackage.json"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))["sources"] == []
    assert read_dataset(tmp_path / f"{seeds.dataset.name}.json").actors == []
    for table in TABLES:
        assert (tmp_path / table.path).read_text(encoding="utf-8") == FORMATS[table.name].header()


def test_tables_refuse_unsorted_actors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches are written in the order they come: out-of-order actors would make an unsorted table."""
    monkeypatch.setattr(tables_module, "CORPUS_BATCH", 2)
    seeds = open_seeds(SEEDS)
    ctx = BuildContext(dataset=seeds.dataset, seeds_root=seeds.root, out=tmp_path)
    actors = many_actors(4)
    with pytest.raises(ValueError, match="sorted by id"):
        TablesSink(ctx).finish([actors[2], actors[3], actors[0], actors[1]])


def test_checksums_written_in_batches_list_every_file_with_its_hash(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SHA256SUMS is written a batch of files at a time (and on two jobs, the pages hashed in worker
    processes without being kept in the digest cache): same bytes as the default, and every line true."""
    from datapkg.build import build
    from datapkg.emit import release

    monkeypatch.setattr(release, "CHECKSUM_BATCH", 4)
    monkeypatch.setattr(files_module, "MAPPED_DIGEST", 2)  # the small files go through the workers
    out = tmp_path / "out"
    build(SEEDS, out, BuildOptions(store=False, jobs=2))
    sums = (out / "SHA256SUMS").read_text(encoding="utf-8")
    assert sums == (built / "SHA256SUMS").read_text(encoding="utf-8")
    lines = sums.splitlines()
    assert len(lines) > 40 and [line.split("  ", 1)[1] for line in lines] == sorted(
        line.split("  ", 1)[1] for line in lines
    )
    for line in lines:
        sha, rel = line.split("  ", 1)
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha, rel
