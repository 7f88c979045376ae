"""The report's pages as HTML text: every value escaped, the style and scripts inlined, nothing
fetched. Pure functions of their arguments, so the same release gives the same bytes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from html import escape
from importlib.resources import files

from archive.extract.explain import EXPLAINED_FIELDS
from archive.report.charts import horizontal_bars, vertical_bars
from archive.summary import Count, ReleaseSummary

GENERATOR = "archive report"
CHART_OUTLETS = 30  # outlets drawn; the rest are summed in one bar
SPAN_KINDS = ("headline", "standfirst", "byline", "dateline", "body", "caption", "furniture-*")


def asset(name: str) -> str:
    return files("archive.report").joinpath("assets", name).read_text(encoding="utf-8")


def page(title: str, body: str, *, depth: int = 0, script: str = "") -> str:
    """A whole HTML document; ``depth`` is how many folders below the report's root it is."""
    up = "../" * depth
    nav = (
        f'<nav><a href="{up}index.html">Overview</a><a href="{up}index.html#coverage">Coverage</a>'
        f'<a href="{up}index.html#furniture">Furniture</a>'
        f'<a href="{up}index.html#relations">Relations</a><a href="{up}records.html">Records</a>'
        f'<a href="{up}index.html#quarantine">Quarantine</a>'
        f'<a href="{up}index.html#versions">Versions</a>'
        f'<a href="{up}index.html#integrity">Integrity</a></nav>'
    )
    scripts = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="{GENERATOR}">'
        # No request may leave the page: a policy that allows only what is inline.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{asset('report.css')}</style></head>"
        f"<body>{nav}{body}{scripts}</body></html>\n"
    )


def table(head: Sequence[str], rows: Iterable[Sequence], numeric: Sequence[int] = ()) -> str:
    """A table of escaped cells; the columns in ``numeric`` are right-aligned."""
    out = ["<table><thead><tr>"]
    out += [f"<th{_n(i, numeric)}>{escape(h)}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append(
            "<tr>"
            + "".join(f"<td{_n(i, numeric)}>{_cell(v)}</td>" for i, v in enumerate(row))
            + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


class Raw(str):
    """HTML already escaped (a link), put in a cell as it is."""


def _cell(value) -> str:
    if isinstance(value, Raw):
        return value
    return escape("" if value is None else str(value))


def _n(i: int, numeric: Sequence[int]) -> str:
    return ' class="n"' if i in numeric else ""


def link(href: str, text: str) -> Raw:
    return Raw(f'<a href="{escape(href)}">{escape(text)}</a>')


def share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


# --- the index ---------------------------------------------------------------------------


def index_page(s: ReleaseSummary, parts: dict) -> str:
    o = s.overview
    title = f"{o.name} {o.version}"
    body = "".join(
        [
            f"<h1>{escape(title)}</h1>",
            overview_section(s),
            coverage_section(s),
            furniture_section(s),
            relations_section(s, parts["pairs"]),
            records_note(parts["table"]),
            quarantine_section(s, parts["quarantine"]),
            versions_section(s, parts["history"], parts["tombstones"]),
            integrity_section(s, parts["verification"]),
        ]
    )
    return page(f"{title}: report", body)


def overview_section(s: ReleaseSummary) -> str:
    o = s.overview
    parent = (
        f"{o.parent['name']} {o.parent['version']} (manifest SHA-256 {o.parent['manifest_sha256']})"
        if o.parent
        else "none: a first version"
    )
    state = (
        '<span class="ok">checked</span>'
        if o.balanced
        else '<span class="bad">does not add up</span>'
    )
    rows = [
        ("name", o.name),
        ("version", o.version),
        ("licence", o.license or "unknown: no licence was recorded"),
        ("created", o.created),
        ("packed by", o.generator),
        ("tier", o.tier),
        ("parent", parent),
        ("shards", o.shards),
    ]
    counts = [(k, v) for k, v in sorted(o.counts.items())]
    return (
        '<section id="overview"><h2>Overview</h2>'
        + table(("", ""), rows)
        + f"<p>Inputs: {escape(o.balance)}: {state}.</p>"
        + table(("count", "value"), counts, numeric=(1,))
        + "</section>"
    )


def coverage_section(s: ReleaseSummary) -> str:
    c, records = s.coverage, s.overview.counts["records"]
    outlets = list(c.outlets[:CHART_OUTLETS])
    rest = c.outlets[CHART_OUTLETS:]
    note = ""
    if rest:
        outlets.append(Count(f"{len(rest)} other outlets", sum(x.count for x in rest)))
        note = (
            f'<p class="note">The {CHART_OUTLETS} largest outlets are drawn; the other '
            f"{len(rest)} are summed in the last bar.</p>"
        )
    unknown_outlet = next(u.count for u in c.unknown if u.field == "outlet")
    date_range = f"{c.date_range[0]} to {c.date_range[1]}" if c.date_range else "no date known"
    parts = [
        '<section id="coverage"><h2>Coverage</h2>',
        f"<h3>Records per outlet</h3><p>{len(c.outlets)} outlets; {unknown_outlet} records "
        "with no outlet are not drawn.</p>",
        note,
        f'<div id="chart-outlets">{horizontal_bars(outlets, "records per outlet")}</div>',
        f"<h3>Records per month</h3><p>By publication day (<code>published_date</code>): "
        f"{escape(date_range)}; {c.undated} records undated are not drawn.</p>",
        f'<div id="chart-months">{vertical_bars(c.months, "records per month")}</div>',
        "<h3>Languages</h3>",
        table(
            ("language", "records", "share"),
            ((x.value, x.count, share(x.count, records)) for x in c.languages),
            numeric=(1, 2),
        ),
        '<h3 id="unknown">Unknown fields, and why</h3>',
        "<p>A field is left unknown (null) when nothing establishes it; the flags on those "
        "records say why. A record may carry more than one flag.</p>",
    ]
    for u in c.unknown:
        parts.append(
            f"<h4><code>{escape(u.field)}</code> unknown: {u.count} "
            f"({share(u.count, records)})</h4>"
        )
        if u.reasons:
            parts.append(
                table(
                    ("flag", "records", "what it means"),
                    ((r.value, r.count, r.description) for r in u.reasons),
                    (1,),
                )
            )
    parts += [
        "<h3>How each field's value was obtained</h3>",
        "<p>Counts of <code>provenance</code> entries by field and method.</p>",
        table(("field: method", "records"), ((m.value, m.count) for m in c.methods), (1,)),
        "<h3>Every flag</h3>",
        table(
            ("flag", "records", "what it means"),
            ((f.value, f.count, f.description) for f in c.flags),
            (1,),
        ),
        "</section>",
    ]
    return "".join(parts)


def furniture_section(s: ReleaseSummary) -> str:
    f = s.furniture
    parts = [
        '<section id="furniture"><h2>Furniture</h2>',
        "<p>Page furniture (navigation, sharing bars, comment forms, adverts...) is kept in "
        "<code>capture_text</code> and marked by spans, but left out of the body "
        "<code>text</code>. Characters removed per kind, over every record:</p>",
        horizontal_bars(f.chars, "characters removed per kind"),
        "<h3>Most frequent removed lines per outlet</h3>",
    ]
    if f.sampled < f.records:
        parts.append(
            f'<p class="note">Counted over a sample of {f.sampled} of {f.records} '
            "records (whole row groups spread over the release).</p>"
        )
    for outlet in f.lines:
        parts.append(f"<h4>{escape(outlet.outlet)}</h4>")
        parts.append(table(("line", "records"), ((x.value, x.count) for x in outlet.lines), (1,)))
    parts.append("</section>")
    return "".join(parts)


def relations_section(s: ReleaseSummary, pairs: list[dict]) -> str:
    r = s.relations
    if not r.present:
        return (
            '<section id="relations"><h2>Relations</h2><p>This release was packed without '
            "relations (<code>--no-relations</code>).</p></section>"
        )
    parts = [
        '<section id="relations"><h2>Relations</h2>',
        horizontal_bars(r.kinds, "relations per kind"),
        f"<h3>Families, largest first</h3><p>{r.family_count} families of copies "
        "(records sharing a <code>group_id</code>)"
        + (
            f"; the {len(r.families)} largest are listed"
            if r.family_count > len(r.families)
            else ""
        )
        + ".</p>",
        table(
            ("family (group_id)", "records", "kinds"),
            ((f.group_id, f.members, ", ".join(f.kinds)) for f in r.families),
            (1,),
        ),
        "<h3>Pairs</h3><p>The highest-scoring pairs of each kind, with both texts side by "
        "side and what they share highlighted.</p>",
        table(
            ("kind", "score", "source", "target", "direction"),
            (
                (
                    link(p["href"], p["kind"]),
                    f"{p['score']:.3f}",
                    p["source_title"],
                    p["target_title"],
                    p["direction"],
                )
                for p in pairs
            ),
            (1,),
        ),
        "</section>",
    ]
    return "".join(parts)


def records_note(table_info: dict) -> str:
    return (
        '<section id="records"><h2>Records</h2>'
        f"<p>{link('records.html', 'The record table')}: {escape(table_info['note'])}</p>"
        "</section>"
    )


def quarantine_section(s: ReleaseSummary, entries: dict) -> str:
    q = s.quarantine
    parts = [
        '<section id="quarantine"><h2>Quarantine</h2>',
        f"<p>{q.total} inputs did not become records; each is listed in "
        "<code>quarantine.jsonl</code> with its reason.</p>",
        table(
            ("reason", "inputs", "what it means"),
            ((r.value, r.count, r.description) for r in q.reasons),
            (1,),
        ),
    ]
    if entries["rows"]:
        if entries["total"] > len(entries["rows"]):
            parts.append(
                f'<p class="note">The first {len(entries["rows"])} of '
                f"{entries['total']} entries are listed.</p>"
            )
        parts.append(
            table(
                ("source path", "reason", "message", "bytes", "offset"),
                (
                    (
                        e.get("source_path"),
                        e.get("reason"),
                        e.get("message"),
                        e.get("bytes"),
                        e.get("offset"),
                    )
                    for e in entries["rows"]
                ),
                (3, 4),
            )
        )
    parts.append("<h3>WARC records skipped, by kind</h3>")
    if q.warc_skipped:
        parts.append(table(("kind", "records"), ((w.value, w.count) for w in q.warc_skipped), (1,)))
    else:
        parts.append("<p>None.</p>")
    if q.warc_digest_mismatches:
        parts.append(
            f"<p>{q.warc_digest_mismatches} WARC records failed their digest "
            "(listed in the manifest, <code>warc_digest_mismatches</code>).</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def versions_section(s: ReleaseSummary, history: list[dict], tombstones: dict) -> str:
    v = s.versions
    parts = ['<section id="versions"><h2>Versions</h2>']
    if v.changes and "error" in v.changes:
        parts.append(
            f'<p class="bad"><code>CHANGES.json</code> cannot be read ({escape(v.changes["error"])}'
            "): run <code>archive verify</code>, and <code>archive validate</code> on it.</p>"
        )
    elif v.changes:
        counts, bump = v.changes["counts"], v.changes["bump"]
        parts.append(
            "<p>What changed since the parent (<code>CHANGES.json</code>): "
            + escape(", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
            + f"; implied bump <b>{escape(str(bump.get('implied')))}</b>"
            + (f", chosen {escape(str(bump.get('chosen')))}" if bump.get("chosen") else "")
            + ".</p>"
        )
        if bump.get("reasons"):
            parts.append(
                "<ul>"
                + "".join(f"<li>{escape(_reason(r))}</li>" for r in bump["reasons"])
                + "</ul>"
            )
        for key, ids in sorted((v.changes.get("ids") or {}).items()):
            if ids:
                shown = len(ids) if len(ids) < counts.get(key, 0) else "all"
                parts.append(
                    f"<p>{escape(key)} ({counts.get(key, len(ids))}, {shown} listed): "
                    + ", ".join(f"<code>{escape(i)}</code>" for i in ids)
                    + "</p>"
                )
        if bump.get("warning"):
            parts.append(f'<p class="bad">{escape(bump["warning"])}</p>')
    else:
        parts.append("<p>No <code>CHANGES.json</code>: this release has no parent.</p>")
    parts.append("<h3>History</h3>")
    parts.append(
        table(
            ("release", "created", "manifest SHA-256", "link"),
            (
                (f"{h['name']} {h['version']}", h["created"], h["manifest_sha256"], h["state"])
                for h in history
            ),
        )
    )
    parts.append(
        f"<h3>Withdrawals</h3><p>{v.withdrawn} records withdrawn; a tombstone "
        "(<code>withdrawn.jsonl</code>) stays for each.</p>"
    )
    if tombstones["rows"]:
        keys = sorted({k for row in tombstones["rows"] for k in row})
        parts.append(
            table(keys, ([_plain(row.get(k)) for k in keys] for row in tombstones["rows"]))
        )
    parts.append("</section>")
    return "".join(parts)


def _reason(reason) -> str:
    if isinstance(reason, dict) and "level" in reason:
        return f"{reason['level']}: {reason.get('reason', '')}"
    return str(reason)


def _plain(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def integrity_section(s: ReleaseSummary, verification: dict) -> str:
    i = s.integrity
    state = (
        '<span class="ok">intact</span>'
        if verification["ok"]
        else '<span class="bad">PROBLEMS FOUND</span>'
    )
    parts = [
        '<section id="integrity"><h2>Integrity</h2>',
        f"<p>Manifest SHA-256: <code>{escape(i.manifest_sha256 or 'missing')}</code>. "
        "The manifest lists the size and SHA-256 of every other file.</p>",
        "<h3>How to verify</h3><pre>" + escape("\n".join(i.commands)) + "</pre>",
        "<h3>Signature</h3>",
    ]
    if i.signature:
        parts.append(table(("", ""), sorted(i.signature.items())))
        parts.append(
            "<p>A signature proves who published the release only when checked "
            "against a key you trust (<code>--key</code>).</p>"
        )
    else:
        parts.append(
            "<p>Unsigned: <code>verify</code> proves the release consistent with "
            "itself, not who made it.</p>"
        )
    parts.append(
        f'<h3>Verification when this report was made</h3><p id="verify-result">'
        f"<code>archive verify --level {escape(verification['level'])}</code>: {state}; "
        f"{verification['records']} records, {verification['files']} files.</p>"
    )
    parts.append("<p>Checks run: " + escape(", ".join(verification["checks"])) + ".</p>")
    if verification["skipped"]:
        parts.append(table(("skipped", "why"), sorted(verification["skipped"].items())))
    if verification["problems"]:
        parts.append(table(("code", "path", "problem"), verification["problems"]))
    if verification["warnings"]:
        parts.append(table(("warning", "path", "message"), verification["warnings"]))
    parts.append("</section>")
    return "".join(parts)


# --- the record table --------------------------------------------------------------------


def records_page(s: ReleaseSummary, rows: list[list], note: str) -> str:
    o = s.overview
    heads = [
        ("title", 1),
        ("outlet", 2),
        ("date", 3),
        ("language", 4),
        ("flags", 5),
        ("source path", 6),
        ("record id", 0),
    ]
    data = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    body = (
        f"<h1>Records of {escape(o.name)} {escape(o.version)}</h1>"
        f'<p class="note" id="table-note">{escape(note)}</p>'
        '<p><label>Search <input id="search" type="search" size="40" '
        'placeholder="title, outlet, path, flag, id..."></label> '
        'Click a column to sort.</p><div class="pager"><button id="previous">previous</button> '
        '<span id="shown"></span> <button id="next">next</button></div>'
        '<table id="records-table"><thead><tr>'
        + "".join(f'<th data-column="{c}">{escape(h)}</th>' for h, c in heads)
        + "</tr></thead><tbody></tbody></table>"
        f'<script type="application/json" id="records-data">{data}</script>'
    )
    return page(f"{o.name} {o.version}: records", body, script=asset("records.js"))


# --- one record --------------------------------------------------------------------------


def record_page(row: dict, descriptions: dict[str, str], pairs: list[dict]) -> str:
    title = row.get("title") or "(no title)"
    capture = row.get("capture") or {}
    facts = [
        ("record id", row["record_id"]),
        ("source path", capture.get("source_path")),
        ("URL", capture.get("url")),
        ("retrieved at", capture.get("retrieved_at")),
        ("media type", row.get("media_type")),
        ("encoding", f"{row.get('raw_encoding')} ({row.get('raw_encoding_method')})"),
        ("raw SHA-256", row.get("raw_sha256")),
        ("text SHA-256", row.get("text_sha256")),
        ("redistribution", row.get("redistribution")),
        ("extractor", row.get("extractor")),
        ("duplicate of", _record_link(row.get("duplicate_of"))),
    ]
    parts = [f"<h1>{escape(title)}</h1>", table(("", ""), facts)]
    if pairs:
        parts.append(
            "<p>Relations: "
            + ", ".join(f'<a href="../{escape(p["href"])}">{escape(p["kind"])}</a>' for p in pairs)
            + "</p>"
        )
    parts.append("<h2>Fields and their evidence</h2>")
    parts.append(table(("field", "value", "method", "where", "evidence"), evidence_rows(row)))
    flags = row.get("flags") or []
    parts.append("<h2>Flags</h2>")
    parts.append(
        table(("flag", "what it means"), ((f, descriptions.get(f)) for f in flags))
        if flags
        else "<p>None.</p>"
    )
    parts.append("<h2>The capture, its spans marked by kind</h2>")
    text = row.get("capture_text")
    if text is None:
        parts.append("<p>The text is withheld (metadata-only): only its hashes are kept.</p>")
    else:
        legend = "".join(
            f'<mark data-kind="{k.rstrip("*").rstrip("-")}">{k}</mark>' for k in SPAN_KINDS
        )
        parts.append(f'<p class="legend">{legend}</p>')
        parts.append(
            f'<pre class="capture" id="capture">{marked_spans(text, row.get("spans") or [])}</pre>'
        )
    return page(f"{title}: record", "".join(parts), depth=1)


def _record_link(record_id: str | None):
    return link(f"{record_id}.html", record_id) if record_id else None


def evidence_rows(row: dict) -> list[tuple]:
    """Each derived field, its value, and every provenance entry behind it (as ``inspect
    --explain`` lists them), then the provenance of fields explain does not show."""
    provenance = row.get("provenance") or []
    out = []
    named = list(EXPLAINED_FIELDS) + sorted(
        {p["field"] for p in provenance} - set(EXPLAINED_FIELDS)
    )
    for name in named:
        owner = "published_at" if name == "published_precision" else name
        value = _value(row.get(name))
        entries = [p for p in provenance if p["field"] == owner]
        if not entries or name == "published_precision":
            out.append((name, value, "", "", ""))
            continue
        for k, p in enumerate(entries):
            where = f"{p['start']}-{p['end']}" if p.get("start") is not None else ""
            out.append(
                (name if k == 0 else "", value if k == 0 else "", p["method"], where, p["evidence"])
            )
    return out


def _value(value) -> str:
    if value in (None, [], ()):
        return "(null)"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def marked_spans(text: str, spans: list[dict]) -> str:
    """``text`` escaped, each span a ``mark`` naming its kind and rule; gaps stay plain."""
    out, cursor = [], 0
    for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
        start, end = max(span["start"], cursor), min(span["end"], len(text))
        if end <= start:
            continue
        out.append(escape(text[cursor:start]))
        out.append(
            f'<mark data-kind="{escape(span["kind"])}" title="{escape(span["kind"])} '
            f'{escape(span["rule"])} {span["start"]}-{span["end"]}">'
            f"{escape(text[start:end])}</mark>"
        )
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


# --- one relation ------------------------------------------------------------------------


def relation_page(pair: dict, source: dict | None, target: dict | None) -> str:
    evidence = pair["evidence"]
    kind = pair["kind"]
    head = [
        f"<h1>{escape(kind)}: score {pair['score']:.3f}</h1>",
        table(
            ("", ""),
            [
                ("method", pair["method"]),
                ("direction", pair["direction"]),
                ("family", pair.get("group_id")),
            ],
        ),
        f"<p>{escape(KIND_TEXT.get(kind, ''))}</p>",
    ]
    source_ranges, target_ranges, listing = highlights(kind, evidence, source, target)
    columns = []
    for side, row, ranges in (("source", source, source_ranges), ("target", target, target_ranges)):
        if row is None:
            columns.append(f"<div><h2>{side}</h2><p>record not found</p></div>")
            continue
        title = row.get("title") or "(no title)"
        meta = ", ".join(str(x) for x in (row.get("outlet"), row.get("published_date")) if x)
        text = row.get("text")
        shown = (
            "<p>text withheld (metadata-only)</p>"
            if text is None
            else f'<div class="body" id="{side}-body">{marked_ranges(text, ranges)}</div>'
        )
        columns.append(
            f'<div><h2>{side}: <a href="../records/{escape(row["record_id"])}.html">'
            f"{escape(title)}</a></h2><p>{escape(meta)}</p>{shown}</div>"
        )
    body = "".join(head) + '<div class="pair">' + "".join(columns) + "</div>" + listing
    return page(f"{kind}: {pair['source_id']} / {pair['target_id']}", body, depth=1)


KIND_TEXT = {
    "exact-duplicate": "The two bodies are identical (same text_sha256): the whole body is shared.",
    "near-duplicate": "A syndicated copy: the highlighted passages appear in both bodies.",
    "shares-quotation": "The two bodies quote the same words: the shared quotations are "
    "highlighted.",
    "paraphrase-of": "A machine-spun rewrite: aligned sentences are highlighted in both bodies, "
    "with the swapped words in red.",
}


def _shared_ranges(items: list[dict], name: str, css: str = "shared") -> tuple[list, list]:
    """The ranges each evidence item (a passage, a quotation, an aligned sentence) marks in the
    source and in the target body, labelled by its number, with the words swapped on that side
    (an aligned sentence's substitutions)."""

    def ranges(side: int, key: str) -> list:
        return [
            (
                *item[key][:2],
                css,
                f"{name} {i + 1}",
                tuple(
                    pair[side]
                    for pair in item.get("substitutions") or ()
                    if len(pair) > side and pair[side] is not None
                ),
            )
            for i, item in enumerate(items)
        ]

    return ranges(0, "source"), ranges(1, "target")


def highlights(kind: str, evidence: dict, source, target) -> tuple[list, list, str]:
    """The ranges to mark in each body, as (start, end, class, label, swapped words), and a
    listing of the evidence."""
    if kind == "exact-duplicate":
        whole = [
            (0, len((row or {}).get("text") or ""), "shared", "whole body", ())
            for row in (source, target)
        ]
        return [whole[0]], [whole[1]], ""
    if kind == "near-duplicate":
        items = evidence.get("passages") or []
        src, tgt = _shared_ranges(items, "passage")
        rows = (
            (i + 1, p["words"], _at(p["source"]), _at(p["target"])) for i, p in enumerate(items)
        )
        listing = (
            "<h2>Shared passages</h2>"
            + table(("passage", "words", "source", "target"), rows, (1,))
            + f"<p>Coverage: source {evidence.get('source_coverage')}, target "
            f"{evidence.get('target_coverage')}.</p>"
        )
        return src, tgt, listing
    if kind == "shares-quotation":
        items = evidence.get("quotations") or []
        src, tgt = _shared_ranges(items, "quotation")
        rows = ((i + 1, q["words"], q["quotation"]) for i, q in enumerate(items))
        return (
            src,
            tgt,
            "<h2>Shared quotations</h2>"
            + table(("quotation", "words", "as normalised"), rows, (1,)),
        )
    items = evidence.get("sentence_pairs") or []
    src, tgt = _shared_ranges(items, "sentence", "aligned")
    rows = (
        (
            i + 1,
            p.get("same_words"),
            "; ".join(_swap(pair) for pair in p.get("substitutions") or ()),
        )
        for i, p in enumerate(items)
    )
    return (
        src,
        tgt,
        "<h2>Aligned sentences</h2>"
        + table(("sentence", "same words", "swaps (source → target)"), rows, (1,)),
    )


def _swap(pair: Sequence[str | None]) -> str:
    """A substitution as "source word → target word". The schema lets a pair name fewer than
    two words (shown as "—"), and a dehydrated release withholds them (null)."""
    words = (pair[i] if i < len(pair) else "—" for i in (0, 1))
    return " → ".join("(withheld)" if w is None else w for w in words)


def _at(pair: Sequence[int]) -> str:
    return f"{pair[0]}-{pair[1]}"


def marked_ranges(text: str, ranges: list[tuple]) -> str:
    """``text`` escaped, each range a ``mark`` of its class; swapped words inside in bold."""
    out, cursor = [], 0
    for start, end, cls, label, swaps in sorted(ranges, key=lambda r: (r[0], r[1])):
        start, end = max(start, cursor), min(end, len(text))
        if end <= start:
            continue
        out.append(escape(text[cursor:start]))
        out.append(
            f'<mark class="{cls}" title="{escape(label)}">{_swapped(text[start:end], swaps)}</mark>'
        )
        cursor = end
    out.append(escape(text[cursor:]))
    return "".join(out)


def _swapped(text: str, words: Sequence[str]) -> str:
    if not words:
        return escape(text)
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(w) for w in sorted(set(words))) + r")\b", re.IGNORECASE
    )
    out, cursor = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[cursor : match.start()]))
        out.append(f'<b class="swap">{escape(match.group(0))}</b>')
        cursor = match.end()
    out.append(escape(text[cursor:]))
    return "".join(out)
