"""``extract_text_capture``: one plain-text capture in, an evidence-backed ``Extraction`` out."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from itertools import compress
from typing import NamedTuple

from archive.extract import dates as dates_mod
from archive.extract.header import masthead_name, slug_words
from archive.extract.language import body_language
from archive.extract.lines import Line, split_lines
from archive.extract.outlets import (
    SITE_NAME_CHARS,
    is_cause,
    known_outlet,
    name_key,
    outlet_from_domain,
    self_references,
)
from archive.extract.spans import Layout, layout, spans
from archive.extract.titles import (
    TITLE_SEPARATORS,
    domain_keys,
    host_label,
    site_named,
    stripped,
    title_kept,
    written_domains,
)
from archive.model import (
    BODY_KINDS,
    Extraction,
    Hints,
    Provenance,
    Span,
    logged_precision,
    stated_date,
)
from archive.text.normalize import body_text


def extract_text_capture(capture_text: str, hints: Hints, *, language: bool = True) -> Extraction:
    """Split a canonical capture into classed spans and derive its fields, each with evidence.

    ``capture_text`` must already be canonical (``archive.text.normalize.normalize_text``). The
    capture log (``hints``) outranks the text for outlet and publication date. With
    ``language=False`` the body's language is left out (no value, entry or flag), for
    ``archive.records.with_languages`` to add, as a pack does for a batch of records at once.

    >>> from archive.model import Hints
    >>> x = extract_text_capture("Harbour ferry returns after storm\\n\\nBy Ada Quill\\n"
    ...     "3 March 2021 09:15 GMT\\n\\nThe ferry to Tarn Island resumed service on Wednesday "
    ...     "after a four-day pause caused by the storm.", Hints())
    >>> x.title, x.authors, x.published_at.isoformat(), x.published_precision
    ('Harbour ferry returns after storm', ('Ada Quill',), '2021-03-03T09:15:00+00:00', 'minute')
    """
    lines = split_lines(capture_text)
    prov: list[Provenance] = []
    flags: list[str] = []
    known = tuple(v for _, v in hints.domain_outlets) + ((hints.outlet,) if hints.outlet else ())
    site = frozenset(domain_keys(hints.url or ""))
    lay = layout(capture_text, lines, known, slug_words(hints.url), site)
    outlet, outlet_names = _outlet(lines, lay, hints, prov, flags)
    span_tuple = spans(lines, lay)
    text = body_from_spans(capture_text, span_tuple)
    title, titled = _title(capture_text, lines, lay, hints.url, outlet, prov)
    if outlet is None and hints.url and "outlet-self-reference-conflict" not in flags:
        # the weakest evidence, kept out of ``outlet_names``: a personal site's masthead is its
        # author's name, and its byline stays
        site = _site_line(lines, lay, hints.url) or titled
        site = site or _page_title_site(lines, lay, hints.url)
        if site is not None:
            outlet = site.name
            prov.append(Provenance("outlet", "site-name", site.evidence, site.start, site.end))
    if outlet is None:
        flags.append("outlet-unknown")
    standfirst = _header_field("standfirst", lay.standfirst, lines, lay.rules, prov)
    authors = _authors(lines, lay, outlet_names, prov, flags)
    published, precision, offset, modified, modified_offset = _dates(
        capture_text, lines, lay, hints, prov, flags
    )
    lang = None
    if language:
        found = body_language(text)
        if found is None:
            flags.append("language-unknown")
        else:
            lang, entry = found
            prov.append(entry)
    if title is None:
        flags.append("title-not-found")
    if not text:
        flags.append("body-empty")
    return Extraction(
        text=text,
        spans=span_tuple,
        title=title,
        standfirst=standfirst,
        authors=authors,
        outlet=outlet,
        published_at=published,
        published_precision=precision,
        published_utc_offset=offset,
        modified_at=modified,
        modified_utc_offset=modified_offset,
        language=lang,
        provenance=tuple(prov),
        flags=tuple(dict.fromkeys(flags)),
    )


def body_from_spans(capture_text: str, span_tuple: tuple[Span, ...]) -> str:
    """The canonical body: the text of the body and subheading spans, in order."""
    return body_text([capture_text[s.start : s.end] for s in span_tuple if s.kind in BODY_KINDS])


def furniture_chars(span_tuple: tuple[Span, ...]) -> dict[str, int]:
    """Characters per span kind that are not story (furniture, captions, credits), for the
    manifest's "characters removed per furniture kind"."""
    removed: Counter[str] = Counter()
    for s in span_tuple:
        if s.kind.startswith("furniture-") or s.kind in ("caption", "credit"):
            removed[s.kind] += s.end - s.start
    return dict(sorted(removed.items()))


def _title(
    capture_text: str,
    lines: tuple[Line, ...],
    lay: Layout,
    url: str | None,
    outlet: str | None,
    prov: list[Provenance],
) -> tuple[str | None, _SiteName | None]:
    """The headline's text (over the lines it is wrapped on), without the site's name it
    carries beside it when it is the title its page had (``Story | Outlet``: a saved page may
    start with that title): the outlet's name, or a name of the capture's address, alone at
    its start or end, or a domain name at its end (``titles.written_domains``), cut once
    (``titles.title_kept``, not loose: a name of some other outlet, or one with words after
    it, may be the story's own words); once, when that title says its headline twice
    (``_first_of_two``). With no ``outlet``, also the name of the address that was cut, which
    may name it; not the host's first label (``Sports`` on sports.*), which may be a
    section's."""
    if lay.headline is None:
        return None, None
    first = last = lay.headline
    while last + 1 < len(lines) and lay.kinds[last + 1] == "headline":
        last += 1
    at = lines[first].start
    text = capture_text[at : lines[last].end]
    start, end, cuts = 0, len(text), []
    titled = None
    if TITLE_SEPARATORS.search(text):
        names = [(name_key(outlet), f"outlet {outlet!r}")] if outlet else []
        names += [(key, f"capture URL {name!r}") for key, name in domain_keys(url or "").items()]
        names += written_domains(text)
        start, end, cuts, cut_names = title_kept(text, [n for n in names if n[0]], loose=False)
        if cuts and outlet is None:
            titled = _cut_site(text, cut_names[0], at, cuts[0], url or "")
        label = host_label(url) if url and not cuts else None
        if label is not None:
            # the host's own name ends a title ("Story - The Economic Times"); before it, the
            # same word is a section's kicker ("Sports: Story" on sports.*)
            named = [(name_key(label), f"capture URL host {label!r}")]
            found = title_kept(text, named, loose=False)
            # at the end, after a dash or a bar: after a colon it may be the title's own word
            # ("Climate Change: The Science" on science.*)
            after = text[found[1] :].lstrip()[:1]
            if found[2] and found[2][0].startswith("suffix") and after not in ":：":
                start, end, cuts, _ = found
    once = _first_of_two(text, start, end)
    if once is not None:
        end = once
        cuts.append("said twice: once kept")
    if last > first:
        cuts.insert(0, f"wrapped over {last - first + 1} lines")
    evidence = f"{lay.rules[first]}: {text}" + "".join(f"; {cut}" for cut in cuts)
    prov.append(Provenance("title", "header-line", evidence, at + start, at + end))
    return " ".join(text[start:end].split()), titled


def _first_of_two(text: str, start: int, end: int) -> int | None:
    """Where the first copy ends when ``text[start:end]`` is one phrase of four words or more
    said twice (a page's title that repeats its headline, as a text browser prints it above
    the page), else None. Not a sentence said twice: a chant or a song is headlined so ("Lock
    her up now! Lock her up now!")."""
    words = [*_WORD.finditer(text, start, end)]
    half = len(words) // 2
    if half < 4 or len(words) % 2 or words[half - 1][0].endswith((".", "!", "?")):
        return None
    if [w[0] for w in words[:half]] != [w[0] for w in words[half:]]:
        return None
    return words[half - 1].end()


_WORD = re.compile(r"\S+")


class _SiteName(NamedTuple):
    """The site's name where the capture shows it (``name`` with its spaces folded, as an
    outlet is stored; ``start``/``end`` the name as written) and why it is the site's."""

    name: str
    start: int
    end: int
    evidence: str


def _cut_site(
    text: str, name: tuple[int, int], at: int, cut: str, url: str, line: str = "title"
) -> _SiteName | None:
    """The site's name that a title's cut removed (``Story | Slate`` at slate.com: ``Slate``,
    at ``name`` in the title), unless it names a platform or says nothing of the site
    (``site_named``). ``line``: the title's, or the ``page-title`` line's above it."""
    s, e = stripped(text, *name)
    written = text[s:e]
    if not _written_as_name(written) or site_named(written, url) is None:
        return None
    evidence = f"site-name:{line}: {written}; {cut}"
    return _SiteName(" ".join(written.split()), at + s, at + e, evidence)


def _page_title_site(lines: tuple[Line, ...], lay: Layout, url: str) -> _SiteName | None:
    """The site's name that the page's title carries (``Story | Slate`` at slate.com) when
    that line gave way to the story's own headline below it (``header:page-title``): the name
    of the capture's address alone at its start or end, as ``_title`` cuts it from a title."""
    if "header:page-title" not in lay.rules:
        return None
    line = lines[lay.rules.index("header:page-title")]
    names = [(key, f"capture URL {name!r}") for key, name in domain_keys(url).items()]
    _, _, cuts, cut_names = title_kept(line.text, [n for n in names if n[0]], loose=False)
    if not cuts:
        return None
    return _cut_site(line.text, cut_names[0], line.start, cuts[0], url, "page-title")


def _header_field(
    name: str,
    index: int | None,
    lines: tuple[Line, ...],
    rules: list[str | None],
    prov: list[Provenance],
) -> str | None:
    """The headline or standfirst line's text, its evidence the rule that classed it."""
    if index is None:
        return None
    ln = lines[index]
    value = " ".join(ln.text.split())
    prov.append(Provenance(name, "header-line", f"{rules[index]}: {ln.text}", ln.start, ln.end))
    return value


def _outlet(
    lines: tuple[Line, ...], lay: Layout, hints: Hints, prov: list[Provenance], flags: list[str]
) -> tuple[str | None, tuple[str, ...]]:
    """The outlet and every name known to be the outlet's (never an author): the capture
    log's, the domain table's, or the text's own words for itself; else None, and the site's
    name where the address spells it too is tried last (``_site_line``, ``_title``)."""
    table = dict(hints.domain_outlets)
    known = set(table.values()) | ({hints.outlet} if hints.outlet else set())
    names = set(table.values())
    refs = _self_references(lines, lay, known)
    names.update(r[0] for r in refs if r[4] or r[1] not in (_COPYRIGHT, _WIRE))
    if hints.outlet:
        evidence = hints.evidence or f"outlet: {hints.outlet}"
        prov.append(Provenance("outlet", "capture-log", evidence))
        return hints.outlet, tuple(sorted(names | {hints.outlet}))
    if hints.url and table:
        hit = outlet_from_domain(hints.url, table)
        if hit is not None:
            prov.append(Provenance("outlet", "url-domain", f"{hints.url}: {hit[1]}"))
            return hit[0], tuple(sorted(names))
    pick, conflict = _outlet_pick(refs)
    if pick is not None:
        name, rule, start, end = pick
        prov.append(Provenance("outlet", "self-reference", f"{rule}: {name}", start, end))
        return name, tuple(sorted(names))
    if conflict:
        flags.append("outlet-self-reference-conflict")
    return None, tuple(sorted(names))


# a list item's marker before a menu's or a masthead's link, as text browsers print them
_ITEM_MARK = re.compile(r"(?:[*+•·#>-]|\[\d+\]|\d+\.)\s+|\[\d+\]")
# a name as a masthead writes it: words, not an image's placeholder ("[Logo_]"), a link's
# anchor ("#Site") or a copyright line ("© Site")
_SITE_NAME = re.compile(r"[^\W_][\w&.'’! \t\u00a0-]*")


def _site_line(lines: tuple[Line, ...], lay: Layout, url: str) -> _SiteName | None:
    """The site's name as its masthead shows it above the story (a logo's text, a menu's first
    link), when the capture's address spells the same name: ``Slate`` over a story at
    slate.com. A line of the story or of its header (headline, byline, dateline), or furniture
    that speaks of other pages (share bars, related links, comments), never counts."""
    top = lay.headline if lay.headline is not None else lay.body_start
    for i in compress(range(top or 0), map(_above_story, lay.kinds[: top or 0])):
        ln = lines[i]
        mark = _ITEM_MARK.match(ln.text)
        at = mark.end() if mark else 0
        written = ln.text[at:]
        if not _written_as_name(written):
            continue
        address = site_named(written, url)
        if address is not None:
            evidence = f"site-name:masthead: {written}; the capture URL's {address!r}"
            return _SiteName(" ".join(written.split()), ln.start + at, ln.end, evidence)
    return None


def _written_as_name(written: str) -> bool:
    """Whether a masthead's or a title's part is written as a site's name: a few words, not
    all in lower case (an address's spelling), no sign or bracket round them."""
    return (
        len(written) <= SITE_NAME_CHARS
        and not written.islower()
        and _SITE_NAME.fullmatch(written) is not None
    )


@cache
def _above_story(kind: str | None) -> bool:
    """Unclassed lines count: a masthead's name alone is no rule's furniture."""
    return kind is None or kind.startswith("furniture-") and kind not in _NOT_SELF


_COPYRIGHT = "self-reference:copyright"
_WIRE = "self-reference:copyright-wire"
_NOT_SELF = (
    "furniture-share",
    "furniture-related",
    "furniture-comments",
    "furniture-learned",
    "furniture-error",
    "furniture-login",
)


def _outlet_pick(
    refs: list[tuple[str, str, int, int, bool]],
) -> tuple[tuple[str, str, int, int] | None, bool]:
    """The one outlet the self-references agree on (or None), and whether they conflict.

    Prompts, pleas and mastheads speak; a copyright line names a company, not a publication:
    it is taken only when it names a known outlet and nothing else speaks, but a holder that
    differs from what the furniture says is a conflict (whose page is it?). A wire agency's
    redistribution notice names the story's source and is neither."""
    strong = [r for r in refs if r[1] not in (_COPYRIGHT, _WIRE)]
    holders = [r for r in refs if r[1] == _COPYRIGHT]
    speaking = strong or [r for r in holders if r[4]]
    if not speaking:
        return None, False
    key = speaking[0][0].casefold()
    for name, *_ in strong + holders:
        low = name.casefold()
        if low != key and not low.startswith(key + " "):
            return None, True
    return speaking[0][:4], False


def _self_references(
    lines: tuple[Line, ...], lay: Layout, known: set[str]
) -> list[tuple[str, str, int, int, bool]]:
    """Outlet names used by the capture's own furniture (prompts, pleas, mastheads, copyright
    lines), each resolved to a known outlet name where one matches: ``(name, rule, start,
    end, known)``."""
    found = []
    # the few furniture lines that may speak for the outlet, picked in C (a kind is tested once)
    for i in compress(range(len(lines)), map(_may_name_outlet, lay.kinds)):
        ln, rule = lines[i], lay.rules[i]
        if rule == "header:masthead":
            name = masthead_name(ln.text, known)
            if name is not None:
                found.append((name, "self-reference:masthead", ln.start, ln.end, True))
            continue
        for name, rule, s, e in self_references(ln.text):
            match = known_outlet(name, known)
            if match is None and is_cause(name, rule):
                continue
            if rule == _COPYRIGHT and _WIRE_NOTICE.search(ln.text):
                rule = _WIRE
            found.append((match or name, rule, ln.start + s, ln.start + e, match is not None))
    return found


@cache
def _may_name_outlet(kind: str | None) -> bool:
    return kind is not None and kind.startswith("furniture-") and kind not in _NOT_SELF


_WIRE_NOTICE = re.compile(
    r"may not be (?:published|reproduced),? broadcast|rewritten or redistributed", re.I
)


def _authors(
    lines: tuple[Line, ...],
    lay: Layout,
    not_authors: tuple[str, ...],
    prov: list[Provenance],
    flags: list[str],
) -> tuple[str, ...]:
    authors: list[str] = []
    blocked = {n.casefold() for n in not_authors}
    blocked |= {n.removeprefix("The ") for n in blocked}
    for i, by in lay.bylines:
        ln = lines[i]
        flags.extend(by.flags)
        dropped = [a for a in by.authors if a.casefold() in blocked]
        if dropped:
            flags.append("byline-outlet-dropped")
        new = [a for a in by.authors if a not in authors and a not in dropped]
        if new:
            authors.extend(new)
            prov.append(
                Provenance(
                    "authors",
                    "byline",
                    f"{by.rule}: {ln.text[by.start : by.end]}",
                    ln.start + by.start,
                    ln.start + by.end,
                )
            )
    if not authors:
        flags.append("authors-not-found")
    return tuple(authors)


def _dates(
    capture_text: str,
    lines: tuple[Line, ...],
    lay: Layout,
    hints: Hints,
    prov: list[Provenance],
    flags: list[str],
) -> tuple[datetime | None, str | None, int | None, datetime | None, int | None]:
    """(published, its precision, its UTC offset, modified, its UTC offset)."""
    published = [(i, d) for i, d in lay.dates if d.role == "published"]
    modified = [(i, d) for i, d in lay.dates if d.role == "modified"]
    if not published and lay.body_start is not None:
        lead, lead_flag = dates_mod.lead_in_date(lines[lay.body_start].text)
        if lead is not None:
            published = [(lay.body_start, lead)]
        elif lead_flag:
            flags.append(lead_flag)
    kept = len(prov), len(flags)
    mod = _one_date("modified_at", modified, lines, hints, prov, flags)
    mod_value, mod_offset = (mod[0], mod[2]) if mod else (None, None)
    if hints.published_at is not None:
        value = hints.published_at
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
            flags.append("capture-log-date-without-zone")
        value = value.astimezone(UTC)
        # the precision of the UTC value (a capture log's midnight elsewhere is no UTC day);
        # a two-field Hints, not dataclasses.replace, which costs several times more
        precision = logged_precision(
            Hints(published_at=value, published_precision=hints.published_precision)
        )
        if dates_mod.after_capture(value, precision, hints.retrieved_at):
            # the log contradicts itself, and which of its two times is wrong is not known
            flags.append("published-date-after-capture")
            return None, None, None, mod_value, mod_offset
        prov.append(Provenance("published_at", "capture-log", hints.evidence or value.isoformat()))
        offset = hints.published_utc_offset if precision != "day" else None
        return value, precision, offset, mod_value, mod_offset
    pub = _one_date("published_at", published, lines, hints, prov, flags)
    if pub is None and not published and hints.url:
        backed = _url_backed_date(lines, lay, hints.url, flags)
        if backed is not None:
            pub = _one_date("published_at", [backed], lines, hints, prov, flags)
            if pub is not None:
                prov.append(Provenance("published_at", "url-date", f"agrees: url={hints.url!r}"))
    if pub is None:
        flags.extend(lay.date_flags)
        flags.append(_why_no_date(capture_text, lines, lay))
        return None, None, None, mod_value, mod_offset
    if mod is not None and _changed_before(pub, mod):
        # a page changed before it was published: one of the two dates is wrong, which is not
        # known ("Updated:" over one date, another below it)
        del prov[kept[0] :], flags[kept[1] :]
        flags.append("date-conflict")
        return None, None, None, None, None
    return pub[0], pub[1], pub[2], mod_value, mod_offset


def _changed_before(
    published: tuple[datetime, str, int | None], modified: tuple[datetime, str, int | None]
) -> bool:
    """Whether ``modified`` is earlier than ``published``: by the day each states when either
    is a day's, else by the instant."""
    if published[1] == modified[1] == "minute":
        return modified[0] < published[0]
    return stated_date(modified[0], modified[2], modified[1]) < stated_date(
        published[0], published[2], published[1]
    )


def _one_date(
    name: str,
    found: list[tuple[int, dates_mod.DateFound]],
    lines: tuple[Line, ...],
    hints: Hints,
    prov: list[Provenance],
    flags: list[str],
) -> tuple[datetime, str, int | None] | None:
    if not found:
        return None
    values = {(d.value, d.precision) for _, d in found}
    if len({v for v, _ in values}) > 1 and name == "published_at":
        flags.append("date-conflict")
        return None
    i, d = found[0]
    if dates_mod.after_capture(d.value, d.precision, hints.retrieved_at):
        flags.append(f"{name.split('_')[0]}-date-after-capture")
        return None
    ln = lines[i]
    flags.extend(d.flags)
    prov.append(
        Provenance(
            name,
            "dateline",
            f"{d.rule}: {ln.text[d.start : d.end]}",
            ln.start + d.start,
            ln.start + d.end,
        )
    )
    return d.value, d.precision, d.utc_offset


def _url_backed_date(
    lines: tuple[Line, ...], lay: Layout, url: str, flags: list[str]
) -> tuple[int, dates_mod.DateFound] | None:
    """A dateline away from the header whose day, as printed, is the day the capture's address
    is filed under (``/2016/12/09/``): two sources that state the same day, as an HTML page's
    weaker sources must; the day alone, as the address backs no time (a related story's, an
    event's may be on the line). None when another such dateline states another day
    (``date-conflict``: which is the story's?), or the line is labelled as an update, on
    itself or on the line above it ("Last updated" over the date, as renderers split them)."""
    day = dates_mod.url_day(url)
    if day is None or day < dates_mod.MIN_DATE:
        return None
    found_at, days = None, set()
    for i, ln in enumerate(lines):
        if lay.kinds[i] in _NOT_DATELINES or not _HAS_DIGIT.search(ln.text):
            continue
        for found in dates_mod.dateline(ln.text)[0]:
            if found.role != "published" or i and _UPDATE_LABEL.match(lines[i - 1].text):
                continue
            printed = stated_date(found.value, found.utc_offset, found.precision)
            days.add(printed)
            if printed == day and found_at is None:
                found_at = i, found
    if found_at is None:
        return None
    if len(days) > 1:
        flags.append("date-conflict")
        return None
    i, found = found_at
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return i, dates_mod.DateFound(
        midnight, "day", found.role, found.start, found.end, found.rule, found.flags
    )


_NOT_DATELINES = frozenset({"caption", "credit", "furniture-comments", "furniture-related"})
_HAS_DIGIT = re.compile(r"\d")
# a label a renderer puts on the line above an update's date
_UPDATE_LABEL = re.compile(r"(?:last\s+)?(?:updated|modified|edited|revised)\b", re.IGNORECASE)


def _why_no_date(capture_text: str, lines: tuple[Line, ...], lay: Layout) -> str:
    if any(
        k in ("caption", "credit") and dates_mod.any_date(lines[i].text)
        for i, k in enumerate(lay.kinds)
    ):
        return "date-caption-only"
    if any(("20" in ln.text or "19" in ln.text) and dates_mod.any_date(ln.text) for ln in lines):
        return "date-not-in-header"
    return "date-not-found"
