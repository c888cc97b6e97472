"""The data card in build/site/: static checks (HTML validity, exact spans, links, escaping) and a real browser.

The browser tests drive Debian's headless Chromium through Selenium with Debian's chromedriver
(Selenium Manager is never asked to download anything); under CI=true they never skip.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import html5lib
import pytest
import yaml
from conftest import SEEDS, need_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from datapkg.argmap import text_anchor
from datapkg.build import build
from datapkg.emit import BuildOptions
from datapkg.emit.files import CHECKSUMS_FILE, SITE_DIR, STORE_DIR, artefacts
from datapkg.emit.site import RELATION_WORDS, render_document, write_page
from datapkg.highlight import MENTION, PARAGRAPH, UNIT, Span, markup
from datapkg.model import DocumentRecords
from datapkg.seeds import iter_documents, open_seeds
from datapkg.tableschema import TABLES

HOSTILE = "<script>alert(1)</script>"
HOSTILE_SENTENCE = f"Some say {HOSTILE} & <b>bold</b> claims."


# ---------------------------------------------------------------- helpers


def parse(path: Path) -> ET.Element:
    """Parse a page strictly: any HTML parse error fails."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_text(encoding="utf-8"))


def classes(el: ET.Element) -> list[str]:
    return (el.get("class") or "").split()


def text_of(el: ET.Element, skip: str = "pop") -> str:
    """Text content of an element, leaving out descendants with class `skip` (the popovers)."""
    parts = [el.text or ""]
    for child in el:
        if skip not in classes(child):
            parts.append(text_of(child, skip))
        parts.append(child.tail or "")
    return "".join(parts)


def find(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in root.iter(tag) if cls in classes(el)]


def load_records(seeds: Path) -> list[DocumentRecords]:
    found = [r.records for r in iter_documents(open_seeds(seeds))]
    assert all(r is not None for r in found)
    return found  # type: ignore[return-value]


@pytest.fixture(scope="session")
def corpus() -> list[DocumentRecords]:
    return load_records(SEEDS)


@pytest.fixture(scope="session")
def site(built: Path) -> Path:
    return built / SITE_DIR


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DocumentRecords]]:
    """A build of the seeds with markup in the essay, a quote, a note, a title and an actor description."""
    seeds = tmp_path_factory.mktemp("hostile") / "seeds"
    shutil.copytree(SEEDS, seeds)
    folder = next(p for p in sorted(seeds.iterdir()) if (p / "essay.txt").is_file())
    essay = folder / "essay.txt"
    text = essay.read_text(encoding="utf-8")
    essay.write_text(text.rstrip("\n") + "\n" + HOSTILE_SENTENCE + "\n", encoding="utf-8")
    ann_path = folder / "annotations.yaml"
    ann = yaml.safe_load(ann_path.read_text(encoding="utf-8"))
    ann["document"].pop("sha256", None)
    ann["document"]["title"] = f"Title {HOSTILE}"
    ann["actors"][0]["description"] = "</script><script>alert(3)</script>"
    ann["claims"].append(
        {
            "id": "hostile",
            "quote": HOSTILE_SENTENCE,
            "kind": "factual",
            "role": "background",
            "note": "<img src=x onerror=alert(2)>",
        }
    )
    thesis = next(c["id"] for c in ann["claims"] if c["role"] == "thesis")
    ann.setdefault("relations", []).append({"source": "hostile", "target": thesis, "type": "supports"})
    ann_path.write_text(yaml.safe_dump(ann, sort_keys=False, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load((seeds / "dataset.yaml").read_text(encoding="utf-8"))
    config["description"] += " </script><script>alert(5)</script> <!--"
    (seeds / "dataset.yaml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    out = seeds.parent / "build"
    build(seeds, out, BuildOptions(store=False))
    return out, load_records(seeds)


# ---------------------------------------------------------------- pages and HTML validity


def test_every_page_is_written(site: Path, corpus: list[DocumentRecords]) -> None:
    actors = {a.id for rec in corpus for a in rec.actors}
    expected = {"index.html", "site.css"}
    expected |= {f"documents/{rec.document.id}.html" for rec in corpus}
    expected |= {f"actors/{a}.html" for a in actors}
    written = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert written == expected


def test_every_page_is_valid_html(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        root = parse(page)  # raises on the first parse error
        assert root.get("lang") == "en", page
        assert len(root.findall(".//main")) == 1 and root.find(".//header") is not None, page
        assert root.find(".//head/title").text.strip(), page


def test_relative_links_resolve(site: Path) -> None:
    """Every link that is not to the web points at an existing file and, with a fragment, at an existing id."""
    trees = {page.resolve(): parse(page) for page in sorted(site.rglob("*.html"))}
    ids = {page: {el.get("id") for el in root.iter() if el.get("id")} for page, root in trees.items()}
    checked = 0
    for page, root in trees.items():
        refs = [el.get("href") for el in root.iter() if el.get("href")]
        refs += [el.get("{http://www.w3.org/1999/xlink}href") for el in root.iter()]
        for ref in filter(None, refs):
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "data"):
                continue
            assert not parts.scheme and not ref.startswith("/"), f"{page}: {ref} is not relative"
            target = (page.parent / url2pathname(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page}: {ref} points at nothing"
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in ids[target], f"{page}: no id for {ref}"
            checked += 1
    assert checked > 100


# ---------------------------------------------------------------- document pages


def test_essay_keeps_the_text_and_every_span_exact(site: Path, corpus: list[DocumentRecords]) -> None:
    for rec in corpus:
        root = parse(site / "documents" / f"{rec.document.id}.html")
        essay = find(root, "div", "essay")[0]
        assert text_of(essay) == rec.document.text
        marks = [el for el in essay.iter("mark") if "unit" in classes(el)]
        heads = [m for m in marks if m.get("id")]
        assert sorted(m.get("data-unit") for m in heads) == sorted(c.id for c in rec.claims)
        for unit in rec.claims:
            head = next(m for m in heads if m.get("data-unit") == unit.id)
            assert head.get("id") == text_anchor(unit.local_id) and head.get("tabindex") == "0"
            assert f"role-{unit.role}" in classes(head)
            pieces = [m for m in marks if m.get("data-unit") == unit.id]
            assert "".join(text_of(p) for p in pieces) == unit.text
        links = [el for el in essay.iter() if "mention" in classes(el)]
        for m in rec.mentions:
            pieces = [
                el for el in links if el.get("data-actor") == m.actor_id and el.get("id") == m.id.split("/", 1)[1]
            ]
            assert len(pieces) == 1 and pieces[0].get("href") == f"../actors/{m.actor_id}.html"
        assert Counter(el.get("data-actor") for el in links if el.get("id")) == Counter(
            m.actor_id for m in rec.mentions
        )


def test_popovers_say_id_kind_role_certainty_and_relations(site: Path, corpus: list[DocumentRecords]) -> None:
    for rec in corpus:
        root = parse(site / "documents" / f"{rec.document.id}.html")
        pops = {el.get("id"): el for el in find(root, "span", "pop")}
        for unit in rec.claims:
            pop = " ".join("".join(pops[f"pop-{unit.local_id}"].itertext()).split())
            for value in (unit.id, f"kind {unit.kind}", f"role {unit.role}", f"certainty {unit.certainty}"):
                assert value in pop, (unit.id, value)
            for rel in rec.relations:
                src, dst = rel.source_id.split("/", 1)[1], rel.target_id.split("/", 1)[1]
                if rel.source_id == unit.id:
                    assert f"{RELATION_WORDS[rel.type][0]} {dst}" in pop
                if rel.target_id == unit.id:
                    assert f"{RELATION_WORDS[rel.type][1]} {src}" in pop


def test_recommendations_table(site: Path, corpus: list[DocumentRecords]) -> None:
    for rec in corpus:
        root = parse(site / "documents" / f"{rec.document.id}.html")
        tables = find(root, "table", "recommendations")
        recs = rec.recommendations
        assert len(tables) == (1 if recs else 0)
        if not recs:
            continue
        rows = tables[0].findall("./tbody/tr")
        assert len(rows) == len(recs)
        for row, unit in zip(rows, recs, strict=True):
            cells = row.findall("./th") + row.findall("./td")
            assert "".join(cells[0].itertext()) == unit.local_id
            assert [a.get("href") for a in cells[1].iter("a")] == [f"../actors/{a}.html" for a in unit.addressees]
            assert "".join(cells[2].itertext()) == unit.action
            assert unit.modality in "".join(cells[5].itertext())
            justified = {r.source_id for r in rec.relations if r.target_id == unit.id and r.type == "supports"}
            shown = {f"{rec.document.id}/{a.get('href').removeprefix('#unit-')}" for a in cells[7].iter("a")}
            assert shown == justified


def test_actor_pages(site: Path, corpus: list[DocumentRecords]) -> None:
    mentions = Counter(m.actor_id for rec in corpus for m in rec.mentions)
    addressed = Counter(a for rec in corpus for r in rec.recommendations for a in r.addressees)
    actors = {a.id: a for rec in corpus for a in rec.actors}
    for actor in actors.values():
        root = parse(site / "actors" / f"{actor.id}.html")
        items = [li for ol in find(root, "ol", "mentions") for li in ol.findall("li")]
        assert len(items) == mentions[actor.id], actor.id
        marked = ["".join(li.find(".//mark").itertext()) for li in items]
        assert Counter(marked) == Counter(m.text for rec in corpus for m in rec.mentions if m.actor_id == actor.id)
        assert len([li for ul in find(root, "ul", "addressed") for li in ul.findall("li")]) == addressed[actor.id]
        page = "".join(root.itertext())
        assert actor.kind in page
        if actor.wikidata:
            assert root.find(f".//a[@href='https://www.wikidata.org/wiki/{actor.wikidata}']") is not None
        for other in actor.member_of + actor.part_of:
            assert root.find(f".//a[@href='{other}.html']") is not None


def test_render_is_deterministic(corpus: list[DocumentRecords]) -> None:
    a, b = render_document(corpus[0], "t"), render_document(corpus[0], "t")
    assert a.html == b.html and a.actors == b.actors and a.summary == b.summary


def test_two_builds_give_the_same_site(site: Path, tmp_path: Path) -> None:
    again = build(SEEDS, tmp_path / "build", BuildOptions(store=False)).out / SITE_DIR
    left = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert left == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(site, again, [str(p) for p in left], shallow=False)
    assert not mismatch and not errors


# ---------------------------------------------------------------- index page


def test_index_lists_every_artefact_with_size_and_hash(built: Path, site: Path) -> None:
    root = parse(site / "index.html")
    table = find(root, "table", "downloads")[0]
    listed = {}
    for row in table.findall("./tbody/tr"):
        link = row.find("./th/a")
        listed[link.get("href")] = (
            int(row.find("./td[@data-bytes]").get("data-bytes")),
            "".join(row.find(".//code").itertext()),
        )
    expected = artefacts(built, exclude={SITE_DIR, STORE_DIR, CHECKSUMS_FILE})
    assert sorted(listed) == sorted(f"../{rel}" for rel in expected)
    assert any(rel.startswith("dist/") and rel.endswith(".zip") for rel in expected)
    sums = dict(line.split("  ", 1)[::-1] for line in (built / CHECKSUMS_FILE).read_text().splitlines())
    for rel in expected:
        size, sha = listed[f"../{rel}"]
        assert size == (built / rel).stat().st_size and sha == sums[rel], rel


def test_index_card_and_tables(site: Path, corpus: list[DocumentRecords]) -> None:
    ds = open_seeds(SEEDS).dataset
    root = parse(site / "index.html")
    page = " ".join("".join(root.itertext()).split())
    for value in (ds.title, ds.version, ds.licenses[0].title, ds.licenses[0].name):
        assert value in page
    assert " ".join((ds.citation or "").split()) in page
    for table in TABLES:
        block = root.find(f".//details[@id='table-{table.name}']")
        assert block is not None, table.name
        assert [c.find("code").text for c in block.findall(".//table/tbody/tr/th")] == list(table.column_names)
    for rec in corpus:
        assert root.find(f".//a[@href='documents/{rec.document.id}.html']") is not None


def test_index_embeds_dataset_jsonld(built: Path, site: Path) -> None:
    source = built / "dataset.jsonld"
    if not source.is_file():
        pytest.skip("pending: build/dataset.jsonld is written by the RDF metadata sink (issue 5), not yet in SINKS")
    root = parse(site / "index.html")
    scripts = root.findall(".//script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    assert json.loads(scripts[0].text) == json.loads(source.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- escaping


def test_markup_in_the_data_is_escaped(hostile: tuple[Path, list[DocumentRecords]]) -> None:
    out, records = hostile
    site = out / SITE_DIR
    for page in sorted(site.rglob("*.html")):
        raw = page.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "<img" not in raw and "<b>bold" not in raw, page
        root = parse(page)
        assert all(s.get("type") == "application/ld+json" for s in root.iter("script")), page
    doc = next(r for r in records if any(c.local_id == "hostile" for c in r.claims))
    raw = (site / "documents" / f"{doc.document.id}.html").read_text(encoding="utf-8")
    assert "Some say &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt; claims." in raw
    assert "&lt;img src=x onerror=alert(2)&gt;" not in raw  # notes are not shown on the page
    root = parse(site / "documents" / f"{doc.document.id}.html")
    assert text_of(find(root, "div", "essay")[0]) == doc.document.text
    assert root.find(".//h1").text == f"Title {HOSTILE}"
    index = parse(site / "index.html")
    assert "</script><script>alert(5)</script> <!--" in "".join(index.find(".//p[@class='lead']").itertext())
    if (out / "dataset.jsonld").is_file():  # embedded with '<' as \u003c: the same JSON, no way out of the script
        embedded = json.loads(index.find(".//script").text)
        assert embedded == json.loads((out / "dataset.jsonld").read_text(encoding="utf-8"))
        assert "alert(5)" in json.dumps(embedded)
    actor = next(a for a in doc.actors if a.description == "</script><script>alert(3)</script>")
    actor_root = parse(site / "actors" / f"{actor.id}.html")
    assert "</script><script>alert(3)</script>" in "".join(actor_root.itertext())


# ---------------------------------------------------------------- highlighting with overlaps


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet="ab <>&\"'\n", min_size=1, max_size=40),
    raw=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from([UNIT, MENTION])), max_size=8),
)
def test_highlight_nests_overlapping_spans(text: str, raw: list[tuple[int, int, int]]) -> None:
    from markupsafe import Markup

    spans = [Span(s, e, PARAGRAPH, f"p{s}", "p") for s, e in [(0, len(text))]]
    for i, (a, b, rank) in enumerate(raw):
        a, b = sorted((min(a, len(text)), min(b, len(text))))
        if a == b:
            continue
        tag = "mark" if rank == UNIT else "a"
        spans.append(
            Span(
                a,
                b,
                rank,
                f"s{i}",
                tag,
                head={"id": f"s{i}", "data-k": f"s{i}"},
                rest={"data-k": f"s{i}"},
                inner=Markup('<span class="pop">x</span>'),
            )
        )
    html = f"<!DOCTYPE html><html lang=en><head><title>t</title></head><body><div>{markup(text, spans)}</div></body></html>"
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    root = parser.parse(html)  # well-formed: every element closed in order
    div = root.find(".//body/div")
    assert text_of(div) == text
    for span in spans[1:]:
        pieces = [el for el in div.iter() if el.get("data-k") == span.key]
        assert sum(1 for el in pieces if el.get("id")) == 1
        assert "".join(text_of(el) for el in pieces) == text[span.start : span.end]
    for link in div.iter("a"):  # links never nest
        assert not [el for el in link.iter("a") if el is not link]


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session, from Debian's packages; logs console messages."""
    chromium, chromedriver = need_tool("chromium"), need_tool("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="datapkg-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visit(driver: object, page: Path) -> None:
    """Open a page from the file system and fail on any console error it logs."""
    driver.get(page.resolve().as_uri())  # type: ignore[attr-defined]
    assert driver.execute_script("return document.readyState") == "complete"  # type: ignore[attr-defined]
    severe = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]  # type: ignore[attr-defined]
    assert not severe, severe


def test_browser_index_links_every_artefact(browser: object, built: Path, site: Path) -> None:
    from selenium.webdriver.common.by import By

    visit(browser, site / "index.html")
    links = browser.find_elements(By.CSS_SELECTOR, "table.downloads a.artefact")  # type: ignore[attr-defined]
    targets = [Path(url2pathname(urlsplit(a.get_attribute("href")).path)) for a in links]
    assert targets and all(t.is_file() for t in targets)
    expected = artefacts(built, exclude={SITE_DIR, STORE_DIR, CHECKSUMS_FILE})
    assert sorted(t.relative_to(built.resolve()).as_posix() for t in targets) == expected
    assert (
        browser.execute_script("return document.querySelectorAll('script:not([type=\"application/ld+json\"])').length")
        == 0
    )  # type: ignore[attr-defined]
    # The stylesheet loaded (a relative link from file://): the header has its background colour.
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('header.site')).backgroundColor")
        != "rgba(0, 0, 0, 0)"
    )  # type: ignore[attr-defined]


def test_browser_document_page(
    browser: object, site: Path, corpus: list[DocumentRecords], tmp_path: Path, update_snapshots: bool
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    d = browser
    rec = max(corpus, key=lambda r: len(r.claims))
    visit(d, site / "documents" / f"{rec.document.id}.html")
    heads = d.find_elements(By.CSS_SELECTOR, ".essay mark.unit[id]")  # type: ignore[attr-defined]
    assert len(heads) == len(rec.claims)
    assert sorted(h.get_attribute("data-unit") for h in heads) == sorted(c.id for c in rec.claims)
    # The argument map: a node per unit, an edge per relation, classed by type.
    nodes = d.find_elements(By.CSS_SELECTOR, "svg.argument-map g.node")  # type: ignore[attr-defined]
    edges = d.find_elements(By.CSS_SELECTOR, "svg.argument-map g.edge")  # type: ignore[attr-defined]
    assert sorted(n.get_attribute("id") for n in nodes) == sorted(c.id for c in rec.claims)
    assert sorted(e.get_attribute("id") for e in edges) == sorted(r.id for r in rec.relations)
    types = {r.id: r.type for r in rec.relations}
    assert all(types[e.get_attribute("id")] in e.get_attribute("class").split() for e in edges)
    assert d.execute_script("return document.querySelector('svg.argument-map > title').textContent").startswith(
        "Argument map"
    )  # type: ignore[attr-defined]

    # Keyboard: from the skip link, Tab reaches the first highlight, whose popover then shows.
    first = next(c for c in rec.claims if c.start == min(u.start for u in rec.claims))
    d.execute_script("document.querySelector('a.skip').focus()")  # type: ignore[attr-defined]
    for _ in range(10):
        ActionChains(d).send_keys(Keys.TAB).perform()
        active = d.switch_to.active_element  # type: ignore[attr-defined]
        if active.get_attribute("data-unit"):
            break
    assert active.get_attribute("data-unit") == first.id
    pop = d.find_element(By.ID, f"pop-{first.local_id}")  # type: ignore[attr-defined]
    assert pop.is_displayed() and first.id in pop.text and f"role {first.role}" in pop.text

    # Mouse: hovering another highlight shows its popover (focus moved away first).
    other = next(c for c in rec.claims if c.id != first.id and c.role != "thesis")
    d.execute_script(
        "document.activeElement.blur(); arguments[0].scrollIntoView({block: 'center'})",
        d.find_element(By.ID, text_anchor(other.local_id)),
    )  # type: ignore[attr-defined]
    box = d.execute_script(
        "const r = arguments[0].getClientRects()[0]; return [r.x + 4, r.y + r.height / 2]",
        d.find_element(By.ID, text_anchor(other.local_id)),
    )  # type: ignore[attr-defined]
    ActionChains(d).move_by_offset(0, 0).perform()
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    action = ActionBuilder(d)
    action.pointer_action.move_to_location(int(box[0]), int(box[1]))
    action.perform()
    other_pop = d.find_element(By.ID, f"pop-{other.local_id}")  # type: ignore[attr-defined]
    assert other_pop.is_displayed() and other.id in other_pop.text
    assert not pop.is_displayed()

    # A map node links to its highlight in the text.
    target = (
        next(c for c in rec.claims if c.role == "thesis")
        if any(c.role == "thesis" for c in rec.claims)
        else rec.claims[0]
    )
    link = d.find_element(By.CSS_SELECTOR, f"svg.argument-map g.node[id='{target.id}'] a")  # type: ignore[attr-defined]
    d.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'center'})", link)  # type: ignore[attr-defined]
    link.click()
    assert d.execute_script("return location.hash") == "#" + text_anchor(target.local_id)  # type: ignore[attr-defined]
    assert d.execute_script("return document.querySelector(':target').dataset.unit") == target.id  # type: ignore[attr-defined]
    assert not [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]  # type: ignore[attr-defined]

    # The screenshot: the heading, the legend and the text with a popover open (the README shows it;
    # --update-snapshots refreshes docs/document-page.png).
    early = [c for c in rec.claims if c.start < 1500] or rec.claims
    degree = Counter(x for r in rec.relations for x in (r.source_id, r.target_id))
    shot_unit = max(early, key=lambda c: (degree[c.id], -c.start))
    el = d.find_element(By.ID, text_anchor(shot_unit.local_id))  # type: ignore[attr-defined]
    d.set_window_size(1280, 1000)  # type: ignore[attr-defined]
    d.execute_script(
        "document.getElementById('text-heading').scrollIntoView(); arguments[0].focus({preventScroll: true})", el
    )  # type: ignore[attr-defined]
    shot = tmp_path / "document-page.png"
    assert d.save_screenshot(str(shot))  # type: ignore[attr-defined]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    d.set_window_size(1280, 900)  # type: ignore[attr-defined]
    if update_snapshots:
        target_png = SEEDS.parent / "docs" / "document-page.png"
        target_png.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, target_png)


def test_browser_actor_pages_have_no_errors(browser: object, site: Path) -> None:
    from selenium.webdriver.common.by import By

    # A few pages suffice here (all are parsed strictly above): the most mentioned actors and the groups.
    pages = sorted((site / "actors").glob("*.html"), key=lambda p: -p.stat().st_size)[:3]
    pages += [p for p in sorted((site / "actors").glob("*.html")) if "Members</dt>" in p.read_text(encoding="utf-8")][
        :2
    ]
    for page in pages:
        visit(browser, page)
        assert browser.find_element(By.TAG_NAME, "h1").text  # type: ignore[attr-defined]


def test_browser_runs_no_injected_script(browser: object, hostile: tuple[Path, list[DocumentRecords]]) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    out, records = hostile
    doc = next(r for r in records if any(c.local_id == "hostile" for c in r.claims))
    pages = [out / SITE_DIR / "documents" / f"{doc.document.id}.html", out / SITE_DIR / "index.html"]
    pages += [out / SITE_DIR / "actors" / f"{a.id}.html" for a in doc.actors if a.description and "<" in a.description]
    for page in pages:
        visit(browser, page)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text  # type: ignore[attr-defined]  # noqa: B018
        count = browser.execute_script(
            "return document.querySelectorAll('script:not([type=\"application/ld+json\"]), img').length"
        )  # type: ignore[attr-defined]
        assert count == 0, page
    visit(browser, pages[0])
    essay = browser.find_element(By.CSS_SELECTOR, ".essay")  # type: ignore[attr-defined]
    assert HOSTILE_SENTENCE in essay.text
    assert browser.find_element(By.TAG_NAME, "h1").text == f"Title {HOSTILE}"  # type: ignore[attr-defined]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_colours_have_sufficient_contrast(site: Path) -> None:
    """WCAG AA or better: text on every highlight, mention links on every highlight, edges on white."""
    import re

    from datapkg.argmap import EDGE_STYLES, ROLE_COLOURS

    css = (site / "site.css").read_text(encoding="utf-8")
    ink = re.search(r"--ink: (#[0-9a-f]{6})", css)[1]
    link = re.search(r"a\.mention \{ color: (#[0-9a-f]{6})", css)[1]
    for role, colour in ROLE_COLOURS.items():
        assert f".role-{role} {{ background-color: {colour}; }}" in css
        assert contrast(ink, colour) >= 7 and contrast(link, colour) >= 4.5, role
    for style in EDGE_STYLES.values():
        assert contrast(style["color"], "#ffffff") >= 4.5


def test_index_lists_are_streamed_in_batches_to_the_same_page(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At corpus scale the index's document and actor lists are written a batch at a time; the page
    must not depend on the batch size (42 actors in batches of 5, with mention counts merged in)."""
    from datapkg.emit import site

    monkeypatch.setattr(site, "INDEX_BATCH", 5)
    out = tmp_path / "out"
    build(SEEDS, out, BuildOptions(store=False))
    page = (out / "site" / "index.html").read_bytes()
    assert page == (built / "site" / "index.html").read_bytes()
    assert page.count(b'<tr><th scope="row"><a href="actors/') == 42
    assert b"<td>0</td></tr>" not in page  # every seed actor is mentioned: the counts were found


def test_write_page_writes_and_replaces_the_exact_bytes(tmp_path: Path) -> None:
    path = str(tmp_path / "page.html")
    big = ("é 🇵🇰 <p>\n" * 200_000).encode("utf-8")  # several megabytes: more than one write may take
    write_page(path, big)
    assert Path(path).read_bytes() == big
    write_page(path, b"short")  # an existing page is replaced, not overwritten in place
    assert Path(path).read_bytes() == b"short"
