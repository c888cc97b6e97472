"""The site's HTML made in Python equals, byte for byte, what the Jinja templates it replaced made.

`datapkg/emit/sitehtml.py` writes the repeated parts of the pages (rows, popovers, the parts of
actor pages each document contributes) with f-strings and fills layouts made from the templates:
far cheaper on a corpus, and easy to get subtly wrong (escaping, the whitespace of
`trim_blocks`). The reference here is the former straightforward rendering: the templates as they
were, rendered by Jinja with the same environment, on the seeds and on hostile values. The same
holds for the essay highlighting (the former algorithm) and the escaping (markupsafe).
"""

from __future__ import annotations

from itertools import groupby, pairwise
from operator import itemgetter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import markupsafe
import pytest
from conftest import SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from datapkg import highlight
from datapkg.argmap import argument_map_svg, text_anchor
from datapkg.emit import sitehtml
from datapkg.emit.files import SITE_DIR
from datapkg.emit.site import (
    PageActor,
    RecommendationRow,
    _context,
    _relations,
    href,
    page_actor,
    render_document,
)
from datapkg.highlight import MENTION, PARAGRAPH, UNIT, Span, markup, paragraphs
from datapkg.model import Actor, DocumentRecords, Recommendation
from datapkg.seeds import ActorIndex, iter_documents, merge_actors, open_seeds

HOSTILE = "ctl \x01\x1f \"q\" 's' \\ é 🇵🇰 </script> <!-- & &amp; {x} {{y}} \\N <b>"

# ---------------------------------------------------------------- the former templates

REFERENCE_TEMPLATES = {
    "_unit.html": r"""{% for unit in units -%}
<span class="pop" id="pop-{{ unit.local_id }}"><span class="pop-id">{{ unit.id }}</span> <span class="pop-row"><span class="k">kind</span> {{ unit.kind }}</span> <span class="pop-row"><span class="k">role</span> {{ unit.role }}</span> <span class="pop-row"><span class="k">certainty</span> {{ unit.certainty }}{% if unit.cues %} ({{ unit.cues | join(", ") }}){% endif %}</span>
{%- if unit.is_recommendation %} <span class="pop-row"><span class="k">modality</span> {{ unit.modality }}{% if unit.modality_cue %} ({{ unit.modality_cue }}){% endif %}</span>{% endif %}
{%- if unit.about %} <span class="pop-row"><span class="k">about</span> {% for a in unit.about %}{{ actors[a].name if a in actors else a }}{% if not loop.last %}, {% endif %}{% endfor %}</span>{% endif %}
{%- if unit.is_recommendation %} <span class="pop-row"><span class="k">who should act</span> {% for a in unit.addressees %}{{ actors[a].name if a in actors else a }}{% if not loop.last %}, {% endif %}{% endfor %}</span>{% endif %}
{%- for rel in relations[unit.id] %} <span class="pop-row rel {{ rel.type }}">{{ rel.words }} <a href="#{{ anchor(rel.other) }}">{{ rel.other }}</a></span>{% else %} <span class="pop-row">no relations</span>{% endfor %}
 <span class="pop-row"><a href="#{{ unit.id }}">show in the map</a></span></span>
{{- end }}{% endfor %}
""",
    "document.html": r"""{% extends "base.html" %}
{% block title %}{{ document.title }} · {{ dataset_title }}{% endblock %}
{% block breadcrumb %}<span aria-hidden="true"> › </span><span>Document {{ document.id }}</span>{% endblock %}
{% block main %}
<h1 lang="{{ document.language }}">{{ document.title }}</h1>
<dl class="facts">
<dt>Document id</dt><dd><code>{{ document.id }}</code></dd>
<dt>Language</dt><dd>{{ document.language }}</dd>
<dt>Genre</dt><dd>{{ document.genre }}</dd>
{% for fact in document.facts %}
<dt>{{ fact.property | capitalize }}</dt><dd>{{ fact.value }}{% if fact.status == "inferred" %} <span class="status">(inferred{% if fact.note %}: {{ fact.note }}{% endif %})</span>{% endif %}</dd>
{% endfor %}
<dt>Length</dt><dd>{{ document.length }} characters</dd>
<dt>SHA-256 of the text</dt><dd><code class="hash">{{ document.sha256 }}</code></dd>
<dt>Annotation</dt><dd>{{ units | length }} units ({{ recommendations | length }} recommendation{{ "" if recommendations | length == 1 else "s" }}), {{ relation_list | length }} relations, {{ mention_counts.values() | sum }} actor mentions</dd>
</dl>

<section aria-labelledby="text-heading">
<h2 id="text-heading">The text</h2>
<p class="help">Every claim and recommendation is highlighted by its role; hover or focus one (Tab) to see its id, kind, role, certainty and relations. Underlined names link to the actor's page.</p>
<ul class="legend" aria-label="Roles">
{% for role in units | map(attribute="role") | unique | sort %}
<li><span class="swatch role-{{ role }}"></span>{{ role }}</li>
{% endfor %}
</ul>
<div class="essay" lang="{{ document.language }}">{{ essay }}</div>
</section>

<section aria-labelledby="map-heading">
<h2 id="map-heading">Argument map</h2>
<p class="help">The thesis is at the top. Arrows run from a unit to the unit it <span class="rel-supports">supports (solid green)</span>, <span class="rel-attacks">attacks (dashed red)</span> or <span class="rel-restates">restates (dotted grey)</span>. Select a node to jump to its text.</p>
<figure class="argmap">
<div class="map-scroll" tabindex="0" role="region" aria-label="Argument map, scrolls sideways">
{{ argument_map }}
</div>
<figcaption>Argument map of “{{ document.title }}”: {{ units | length }} units, {{ relation_list | length }} relations.</figcaption>
</figure>
<details>
<summary>The relations as a list</summary>
<ul class="relations">
{% for rel in relation_list %}
{% set src = rel.source_id.split("/", 1)[1] %}{% set dst = rel.target_id.split("/", 1)[1] %}
<li><a href="#{{ anchor(src) }}">{{ src }}</a> <span class="rel-{{ rel.type }}">{{ rel.type }}</span> <a href="#{{ anchor(dst) }}">{{ dst }}</a>{% if rel.note %} — {{ rel.note }}{% endif %}</li>
{% else %}
<li>No relations.</li>
{% endfor %}
</ul>
</details>
</section>

<section aria-labelledby="recs-heading">
<h2 id="recs-heading">Recommendations</h2>
{% if recommendations %}
<div class="scroll">
<table class="recommendations">
<caption>Who should do what, for whom, how strongly, and which claims justify it</caption>
<thead><tr><th scope="col">Unit</th><th scope="col">Who should act</th><th scope="col">Action</th><th scope="col">Directed at</th><th scope="col">For whom</th><th scope="col">Modality</th><th scope="col">When</th><th scope="col">Justified by</th></tr></thead>
<tbody>
{% for row in recommendations %}
{% set rec = row.unit %}
<tr>
<th scope="row"><a href="#{{ anchor(rec.local_id) }}">{{ rec.local_id }}</a></th>
<td>{% for a in rec.addressees %}<a href="../actors/{{ a }}.html">{{ actors[a].name if a in actors else a }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</td>
<td class="action">{{ rec.action }}</td>
<td>{% for a in rec.targets %}<a href="../actors/{{ a }}.html">{{ actors[a].name if a in actors else a }}</a>{% if not loop.last %}, {% endif %}{% else %}—{% endfor %}</td>
<td>{% for a in rec.beneficiaries %}<a href="../actors/{{ a }}.html">{{ actors[a].name if a in actors else a }}</a>{% if not loop.last %}, {% endif %}{% else %}—{% endfor %}</td>
<td>{{ rec.modality }}{% if rec.modality_cue %} (“{{ rec.modality_cue }}”){% endif %}</td>
<td>{{ rec.time_frame or "—" }}</td>
<td>{% for u in row.justified_by %}<a href="#{{ anchor(u.local_id) }}" title="{{ u.text }}">{{ u.local_id }}</a> ({{ u.role }}){% if not loop.last %}, {% endif %}{% else %}—{% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
{% else %}
<p>This document makes no recommendation.</p>
{% endif %}
</section>

<section aria-labelledby="units-heading">
<h2 id="units-heading">All units</h2>
<div class="scroll">
<table class="units">
<caption>Every claim and recommendation with its kind, role, certainty and relations</caption>
<thead><tr><th scope="col">Unit</th><th scope="col">Role</th><th scope="col">Kind</th><th scope="col">Certainty</th><th scope="col">Relations</th><th scope="col">Text</th></tr></thead>
<tbody>
{% for unit in units %}
<tr>
<th scope="row"><a href="#{{ anchor(unit.local_id) }}">{{ unit.local_id }}</a></th>
<td>{{ unit.role }}</td>
<td>{{ unit.kind }}</td>
<td>{{ unit.certainty }}{% if unit.cues %} ({{ unit.cues | join(", ") }}){% endif %}</td>
<td>{% for rel in relations[unit.id] %}{{ rel.words }} <a href="#{{ anchor(rel.other) }}">{{ rel.other }}</a>{% if not loop.last %}; {% endif %}{% else %}—{% endfor %}</td>
<td lang="{{ document.language }}">{{ unit.text }}</td>
</tr>
{% endfor %}
</tbody>
</table>
</div>
</section>

<section aria-labelledby="actors-heading">
<h2 id="actors-heading">Actors in this document</h2>
<ul class="actors">
{% for actor in actors.values() %}
<li><a href="../actors/{{ actor.id }}.html">{{ actor.name }}</a> <span class="kind">{{ actor.kind }}</span>, {{ mention_counts.get(actor.id, 0) }} mention{{ "" if mention_counts.get(actor.id, 0) == 1 else "s" }}</li>
{% endfor %}
</ul>
</section>
{% endblock %}
""",
    "actor.html": r"""{% extends "base.html" %}
{% macro actor_links(list) %}{% for a in list %}<a href="{{ a.id }}.html">{{ a.name }}</a>{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
{% macro unit_list(rows, show_action, kind) %}
<ul class="units {{ kind }}">
{% for u in rows %}
<li><a href="../documents/{{ u.doc.id }}.html#{{ anchor(u.local) }}"><code>{{ u.doc.id }}/{{ u.local }}</code></a> in “{{ u.doc.title }}” ({{ u.role }}{% if show_action and u.modality %}, {{ u.modality }}{% endif %}){% if show_action and u.action %}: <strong>{{ u.action }}</strong>{% endif %}{% if show_action and u.time_frame %} ({{ u.time_frame }}){% endif %}
<q>{{ u.text }}</q></li>
{% endfor %}
</ul>
{% endmacro %}
{% block title %}{{ actor.name }} · {{ dataset_title }}{% endblock %}
{% block breadcrumb %}<span aria-hidden="true"> › </span><span>Actor {{ actor.id }}</span>{% endblock %}
{% block main %}
<h1>{{ actor.name }}</h1>
{% if actor.description %}<p class="lead">{{ actor.description }}</p>{% endif %}
<dl class="facts">
<dt>Actor id</dt><dd><code>{{ actor.id }}</code></dd>
<dt>Kind</dt><dd>{{ actor.kind }}</dd>
<dt>Wikidata</dt><dd>{% if actor.wikidata %}<a href="https://www.wikidata.org/wiki/{{ actor.wikidata }}">{{ actor.wikidata }}</a>{% else %}not linked (no verified id){% endif %}</dd>
{% if actor.aliases %}<dt>Also called</dt><dd>{{ actor.aliases | join(", ") }}</dd>{% endif %}
{% if part_of %}<dt>Part of</dt><dd>{{ actor_links(part_of) }}</dd>{% endif %}
{% if member_of %}<dt>Member of</dt><dd>{{ actor_links(member_of) }}</dd>{% endif %}
{% if parts %}<dt>Has parts</dt><dd>{{ actor_links(parts) }}</dd>{% endif %}
{% if members %}<dt>Members</dt><dd>{{ actor_links(members) }}</dd>{% endif %}
</dl>

<section aria-labelledby="recs-heading">
<h2 id="recs-heading">Recommendations addressed to {{ actor.name }}</h2>
{% if units.addressee %}{{ unit_list(units.addressee, true, "addressed") }}{% else %}<p>None.</p>{% endif %}
{% if units.target or units.beneficiary %}
<h3>Recommendations directed at or meant to benefit {{ actor.name }}</h3>
{{ unit_list(units.target + units.beneficiary, true, "directed") }}
{% endif %}
</section>

<section aria-labelledby="about-heading">
<h2 id="about-heading">Units about {{ actor.name }}</h2>
{% if units.about %}{{ unit_list(units.about, false, "about") }}{% else %}<p>None.</p>{% endif %}
</section>

<section aria-labelledby="mentions-heading">
<h2 id="mentions-heading">Mentions in context ({{ mention_count }})</h2>
{% for doc, rows in mentions %}
<h3><a href="../documents/{{ doc.id }}.html">{{ doc.title }}</a></h3>
<ol class="mentions" lang="{{ doc.language }}">
{% for m in rows %}
<li>{{ m.before }}<a href="../documents/{{ doc.id }}.html#{{ m.anchor }}"><mark>{{ m.text }}</mark></a>{{ m.after }}</li>
{% endfor %}
</ol>
{% else %}
<p>No mentions.</p>
{% endfor %}
</section>
{% endblock %}
""",
    "index-documents.html": r"""{% for d in documents %}
<li><a href="documents/{{ d.id }}.html">{{ d.title }}</a> <code>{{ d.id }}</code> — {{ d.units }} units, {{ d.recommendations }} recommendations, {{ d.relations }} relations, {{ d.mentions }} actor mentions{% if d.date %}, {{ d.date }}{% endif %}</li>
{% endfor %}
""",
    "index-actors.html": r"""{% for a in actors %}
<tr><th scope="row"><a href="actors/{{ a.id }}.html">{{ a.name }}</a></th><td>{{ a.kind }}</td><td>{% if a.wikidata %}<a href="https://www.wikidata.org/wiki/{{ a.wikidata }}">{{ a.wikidata }}</a>{% else %}—{% endif %}</td><td>{{ mention_counts.get(a.id, 0) }}</td></tr>
{% endfor %}
""",
}
POPOVER_END = "<!--end of popover-->"


@pytest.fixture(scope="module")
def env() -> Environment:
    """The site's environment, with the former templates in front of the package's (base.html)."""
    env = Environment(
        loader=ChoiceLoader([DictLoader(REFERENCE_TEMPLATES), FileSystemLoader(sitehtml.TEMPLATES)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["size"] = sitehtml.human_size
    env.globals["anchor"] = text_anchor
    return env


def reference_markup(text: str, spans: list[Span]) -> str:
    """The former highlighting algorithm, as it was."""
    spans = [s for s in spans if 0 <= s.start < s.end <= len(text)]
    bounds = sorted({0, len(text)} | {s.start for s in spans} | {s.end for s in spans})
    rank = {id(s): i for i, s in enumerate(sorted(spans, key=lambda s: s.order))}
    by_start = sorted(spans, key=lambda s: s.start)
    out: list[str] = []
    stack: list[tuple[Span, str]] = []
    active: list[Span] = []
    started: set[str] = set()
    nxt = 0
    for a, b in pairwise(bounds):
        added = False
        while nxt < len(by_start) and by_start[nxt].start <= a:
            active.append(by_start[nxt])
            nxt += 1
            added = True
        if added:
            active.sort(key=lambda s: rank[id(s)])
        active = [s for s in active if s.end > a]
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep][0] is active[keep]:
            keep += 1
        out.extend(f"</{tag}>" for _span, tag in reversed(stack[keep:]))
        del stack[keep:]
        for span in active[keep:]:
            tag, is_head = span.tag, span.key not in started
            attrs = span.head if is_head else span.rest
            if tag == "a" and any(t == "a" for _, t in stack):
                tag = "span"
                attrs = {k: v for k, v in attrs.items() if k != "href"}
            out.append(f"<{tag}" + "".join(f' {k}="{markupsafe.escape(v)}"' for k, v in attrs.items()) + ">")
            if is_head:
                out.append(str(span.inner))
                started.add(span.key)
            stack.append((span, tag))
        out.append(str(markupsafe.escape(text[a:b])))
    out.extend(f"</{tag}>" for _span, tag in reversed(stack))
    return "".join(out)


def reference_document(env: Environment, records: DocumentRecords, dataset_title: str) -> str:
    """A document page as the former render_document made it (Jinja for the popovers and the page)."""
    doc, text = records.document, records.document.text
    actors = {a.id: a for a in records.actors}
    relations = _relations(records)
    html = env.get_template("_unit.html").render(
        units=records.claims, relations=relations, actors=actors, end=Markup(POPOVER_END)
    )
    pops = html.split(POPOVER_END)[:-1]
    spans = [Span(s, e, PARAGRAPH, f"p{s}", "p") for s, e in paragraphs(text)]
    for unit, pop in zip(records.claims, pops, strict=True):
        classes = f"unit role-{unit.role}" + (" recommendation" if isinstance(unit, Recommendation) else "")
        head = {
            "class": classes,
            "id": text_anchor(unit.local_id),
            "tabindex": "0",
            "data-unit": unit.id,
            "aria-describedby": f"pop-{unit.local_id}",
        }
        rest = {"class": classes + " continued", "data-unit": unit.id}
        spans.append(Span(unit.start, unit.end, UNIT, unit.id, "mark", head, rest, Markup(pop)))
    for m in records.mentions:
        actor = actors.get(m.actor_id)
        label = f"{actor.name} ({actor.kind})" if actor else m.actor_id
        target = href("..", "actors", f"{m.actor_id}.html")
        head = {"class": "mention", "id": m.id.split("/", 1)[1], "href": target, "data-actor": m.actor_id}
        rest = {"class": "mention continued", "href": target, "data-actor": m.actor_id, "title": label}
        spans.append(Span(m.start, m.end, MENTION, m.id, "a", {**head, "title": label}, rest))
    units_by_local = {c.local_id: c for c in records.claims}
    recommendations = [
        RecommendationRow(r, [units_by_local[v.other] for v in relations[r.id] if v.words == "supported by"])
        for r in records.recommendations
    ]
    counts: dict[str, int] = {}
    for m in records.mentions:
        counts[m.actor_id] = counts.get(m.actor_id, 0) + 1
    return env.get_template("document.html").render(
        root="../",
        dataset_title=dataset_title,
        document=doc,
        essay=Markup(reference_markup(text, spans)),
        argument_map=Markup(argument_map_svg(records)),
        units=records.claims,
        relations=relations,
        relation_list=records.relations,
        recommendations=recommendations,
        actors=actors,
        mention_counts=counts,
    )


def reference_actor_pages(
    env: Environment, corpus: list[DocumentRecords], actors: list[Actor], dataset_title: str
) -> dict[str, str]:
    """Every actor page as the former sink made them: rows per mention and per unit, one template."""
    docs, mention_rows, unit_rows = {}, [], []
    for rec in corpus:
        doc = rec.document
        docs[doc.id] = SimpleNamespace(id=doc.id, title=doc.title, language=doc.language)
        for m in sorted(rec.mentions, key=lambda m: (m.start, m.end, m.actor_id)):
            before, after = _context(doc.text, m.start, m.end)
            mention_rows.append((m.actor_id, doc.id, m.id.split("/", 1)[1], before, m.text, after))
        for unit in rec.claims:
            info = (doc.id, unit.local_id, str(unit.role), str(unit.kind), unit.text)
            if isinstance(unit, Recommendation):
                more = (unit.action, str(unit.modality), unit.time_frame)
                for relation, ids in (("addressee", unit.addressees), ("target", unit.targets)):
                    unit_rows.extend((a, relation, *info, *more) for a in ids)
                unit_rows.extend((a, "beneficiary", *info, *more) for a in unit.beneficiaries)
            unit_rows.extend((a, "about", *info, None, None, None) for a in unit.about)
    known = {a.id: a for a in actors}
    pages = {}
    for actor in actors:
        units = SimpleNamespace(addressee=[], target=[], beneficiary=[], about=[])
        for _, relation, doc_id, local, role, kind, text, action, modality, time_frame in unit_rows:
            if _ == actor.id:
                row = dict(doc=docs[doc_id], local=local, role=role, kind=kind, text=text, action=action)
                getattr(units, relation).append(SimpleNamespace(**row, modality=modality, time_frame=time_frame))
        mine = [r for r in mention_rows if r[0] == actor.id]
        mentions = [
            (docs[doc_id], [SimpleNamespace(anchor=m[2], before=m[3], text=m[4], after=m[5]) for m in group])
            for doc_id, group in groupby(mine, key=itemgetter(1))
        ]
        pages[actor.id] = env.get_template("actor.html").render(
            root="../",
            dataset_title=dataset_title,
            actor=actor,
            part_of=[known[i] for i in actor.part_of if i in known],
            member_of=[known[i] for i in actor.member_of if i in known],
            parts=[a for a in actors if actor.id in a.part_of],
            members=[a for a in actors if actor.id in a.member_of],
            mentions=mentions,
            mention_count=len(mine),
            units=units,
        )
    return pages


# ---------------------------------------------------------------- inputs


def load(seeds: Path) -> tuple[list[DocumentRecords], list[Actor]]:
    index, records = ActorIndex(), []
    for result in iter_documents(open_seeds(seeds)):
        merge_actors(index, result)
        assert result.records is not None
        records.append(result.records)
    return records, index.sorted()


@pytest.fixture(scope="module")
def seeds() -> tuple[list[DocumentRecords], list[Actor]]:
    return load(SEEDS)


def hostile(rec: DocumentRecords, doc_id: str) -> DocumentRecords:
    """Markup, braces, quotes and control characters in every value a page shows (not in ids)."""

    def bad(value: str) -> str:
        return f"{value} {HOSTILE}"

    claims = []
    for i, unit in enumerate(rec.claims):
        change: dict[str, Any] = {"text": bad(unit.text), "cues": [bad(c) for c in unit.cues] or [HOSTILE]}
        if i % 3 == 0:
            change["cues"] = []
        if isinstance(unit, Recommendation):
            change.update(action=bad(unit.action), time_frame=None if i % 2 else HOSTILE)
            change["modality_cue"] = HOSTILE if i % 2 else None
        claims.append(unit.model_copy(update=change))
    actors = [
        a.model_copy(
            update={
                "name": bad(a.name),
                "description": None if i % 2 else HOSTILE,
                "aliases": [bad(x) for x in a.aliases],
                "wikidata": a.wikidata and f'{a.wikidata}"<x>',
            }
        )
        for i, a in enumerate(rec.actors)
    ]
    facts = [
        f.model_copy(update={"value": bad(f.value), "note": HOSTILE, "status": "inferred"}) for f in rec.document.facts
    ]
    document = rec.document.model_copy(update={"title": bad(rec.document.title), "facts": facts, "id": doc_id})
    relations = [r.model_copy(update={"note": HOSTILE if i % 2 else None}) for i, r in enumerate(rec.relations)]
    return rec.model_copy(update={"document": document, "claims": claims, "actors": actors, "relations": relations})


def sparse(rec: DocumentRecords) -> DocumentRecords:
    """No recommendations, relations, mentions or facts: every list of the page empty."""
    claims = [c for c in rec.claims if not isinstance(c, Recommendation)]
    document = rec.document.model_copy(update={"facts": []})
    return rec.model_copy(update={"claims": claims, "relations": [], "mentions": [], "document": document})


def variants(records: list[DocumentRecords]) -> list[DocumentRecords]:
    first = records[0]
    return [*records, hostile(first, "hostile-doc"), sparse(first)]


# ---------------------------------------------------------------- pages


def test_document_pages_equal_the_templates(env: Environment, seeds: tuple[list[DocumentRecords], list[Actor]]) -> None:
    for rec in variants(seeds[0]):
        for title in ("Annotated essays", HOSTILE):
            page = render_document(rec, title).html.decode("utf-8")
            assert page == reference_document(env, rec, title), rec.document.id


def actor_pages(corpus: list[DocumentRecords], actors: list[Actor], title: str) -> dict[str, str]:
    """Actor pages from the parts each rendered document gives them (as the sink joins them)."""
    parts: dict[str, list[sitehtml.ActorPart]] = {}
    for rec in corpus:
        for part in render_document(rec, title).actors:
            parts.setdefault(part.actor, []).append(part)
    pages = {}
    for actor in actors:
        related = {
            "part_of": [a for i in actor.part_of for a in actors if a.id == i],
            "member_of": [a for i in actor.member_of for a in actors if a.id == i],
            "parts": [a for a in actors if actor.id in a.part_of],
            "members": [a for a in actors if actor.id in a.member_of],
        }
        pages[actor.id] = sitehtml.actor_page(title, actor, related, parts.get(actor.id, []))
    return pages


def test_actor_pages_equal_the_templates(env: Environment, seeds: tuple[list[DocumentRecords], list[Actor]]) -> None:
    records, actors = seeds
    corpus = [*records, hostile(records[0], "hostile-doc")]
    every = {a.id: a for a in actors}
    for rec in corpus[1:]:  # the hostile copy's actors replace the seeds' (same ids, hostile names)
        every.update({a.id: a for a in rec.actors})
    every["lonely-actor"] = Actor(id="lonely-actor", name=HOSTILE, kind="person")  # in no document
    ordered = [every[k] for k in sorted(every)]
    for title in ("Annotated essays", HOSTILE):
        ours = actor_pages(corpus, ordered, title)
        reference = reference_actor_pages(env, corpus, ordered, title)
        assert ours.keys() == reference.keys()
        for actor_id, page in reference.items():
            assert ours[actor_id] == page, actor_id


def test_built_actor_pages_equal_the_templates(
    env: Environment, built: Path, seeds: tuple[list[DocumentRecords], list[Actor]]
) -> None:
    """Through the whole sink: parts spooled in SQLite, pages written in tasks."""
    records, actors = seeds
    title = open_seeds(SEEDS).dataset.title
    folder = built / SITE_DIR / "actors"
    written = {p.stem: p.read_bytes() for p in folder.iterdir()}
    reference = reference_actor_pages(env, records, actors, title)
    assert written.keys() == reference.keys()
    for actor_id, page in reference.items():
        assert written[actor_id] == page.encode("utf-8"), actor_id


def test_index_lists_equal_the_templates(env: Environment, seeds: tuple[list[DocumentRecords], list[Actor]]) -> None:
    records, actors = seeds
    docs = [render_document(rec, "t").summary for rec in variants(records)]
    docs.append(docs[0]._replace(date=HOSTILE, title=HOSTILE))
    assert sitehtml.document_items(docs) == env.get_template("index-documents.html").render(documents=docs)
    odd = [*actors, Actor(id="odd", name=HOSTILE, kind="person").model_copy(update={"wikidata": 'Q1"<b>'})]
    counts = {a.id: i for i, a in enumerate(odd)}
    expected = env.get_template("index-actors.html").render(actors=odd, mention_counts=counts)
    assert sitehtml.actor_rows(odd, counts) == expected


def test_layout_fills_like_jinja() -> None:
    """A layout filled with escaped values equals the template rendered with those values."""
    source = {
        "base.html": "<t>{% block title %}{% endblock %}</t>\n{% block main %}{% endblock %}\n",
        "page.html": (
            '{% extends "base.html" %}\n{% block title %}{{ a }} · {{ b }}{% endblock %}\n'
            "{% block main %}\n<p>{{ a }}</p>\n{{ b }}{{ a }} {x} {% raw %}{{y}}{% endraw %}\n{% endblock %}\n"
        ),
    }
    env = Environment(loader=DictLoader(source), autoescape=True, trim_blocks=True, lstrip_blocks=True)
    layout = sitehtml.Layout(env, "page.html", ("a", "b"))
    for a, b in [("x", "y"), (HOSTILE, "{a} {0} }{"), ("", "")]:
        values = {"a": highlight.escape_str(a), "b": highlight.escape_str(b)}
        assert layout.fill(values) == env.get_template("page.html").render(a=a, b=b)


# ---------------------------------------------------------------- highlighting and escaping


@settings(max_examples=80, deadline=None)
@given(
    text=st.text(alphabet="ab <>&\"'\n", min_size=1, max_size=40),
    raw=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.sampled_from([PARAGRAPH, UNIT, MENTION])), max_size=10
    ),
)
def test_markup_equals_the_former_algorithm(text: str, raw: list[tuple[int, int, int]]) -> None:
    spans = [Span(0, len(text), PARAGRAPH, "p0", "p")]
    for i, (a, b, rank) in enumerate(raw):
        a, b = sorted((min(a, len(text)), min(b, len(text))))
        tag = ("p", "mark", "a")[rank]
        head = {"id": f"s{i}", "href": "#x", "title": text[a:b]}
        spans.append(Span(a, b, rank, f"s{i % 7}", tag, head, {"href": "&", "data-k": f"s{i}"}, Markup("<i>x</i>")))
    assert markup(text, spans) == reference_markup(text, spans)
    # the same attributes given as HTML (how the site passes them), links inside links included
    written = [s._replace(head=highlight.attributes(s.head), rest=highlight.attributes(s.rest)) for s in spans]
    assert markup(text, written) == reference_markup(text, spans)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escape_is_markupsafe_escape(value: str) -> None:
    expected = str(markupsafe.escape(value))
    assert highlight.escape_str(value) == highlight._escape_chain(value) == expected
    assert highlight.escape_text(value) == expected


def test_actor_pages_of_page_actors_equal_those_of_actors(seeds: tuple[list[DocumentRecords], list[Actor]]) -> None:
    """Actor tasks carry `PageActor` tuples (cheap to pickle) in place of the models: same pages."""
    records, actors = seeds
    assert PageActor._fields == tuple(Actor.model_fields)  # every field an actor page may read
    odd = Actor(
        id="lonely-actor", name=HOSTILE, kind="person", aliases=[HOSTILE, "x"], description=HOSTILE, wikidata="Q42"
    )
    parts = {p.actor: [p] for p in render_document(records[0], HOSTILE).actors}
    for actor in [*actors, odd]:
        related = {"part_of": actors[:2], "member_of": [odd], "parts": actors[2:3], "members": []}
        mine = {k: [page_actor(a) for a in v] for k, v in related.items()}
        ours = sitehtml.actor_page(HOSTILE, page_actor(actor), mine, parts.get(actor.id, []))
        assert ours == sitehtml.actor_page(HOSTILE, actor, related, parts.get(actor.id, [])), actor.id
