"""A page title without the site's name it carries: ``Story | Outlet`` -> ``Story``.

An HTML page's ``<title>`` and a saved page's first line (a text capture often starts with
the title its page had) write the site's name beside the story's title. A part is cut only when
a name of the site (from the page's markup, the outlet, the address) names it, or when it is a
domain name after the title's last separator other than a colon (``written_domains``), so a
colon or a dash inside a title stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from archive.extract.lines import wordset
from archive.extract.outlets import (
    NO_SITE_NAMES,
    domain_names,
    is_domain_name,
    name_key,
    name_keys,
)

# Latin titles put spaces round a separator; Japanese and Chinese ones write a full-width bar or
# colon, or a colon, with none (``見出し：朝日新聞デジタル``).
TITLE_SEPARATORS = re.compile(r"\s*[|｜]\s*|\s+[-–—:·•»«/~‹›⋆*⁄]+\s+|\s*[:：]\s*")


@lru_cache(maxsize=256)  # asked several times for each page's address
def domain_keys(url: str) -> dict[str, str]:
    """``name_key`` of each name the address gives its site (``theguardian`` also without its
    ``the``) -> that name (one dict for each address: read it, never change it)."""
    keys = {}
    for name in domain_names(url):
        key = name_key(name)
        keys.setdefault(key, name)
        if key.startswith("the") and len(key) > 3:
            keys.setdefault(key[3:], name)
    return keys


# Sites that carry other publishers' stories or their users' posts: their name over a story
# is the platform's, not its outlet's (a story of Fox Nation on yahoo.com, a post on medium.com).
PLATFORMS = wordset(
    """
    aol apple facebook flipboard github google linkedin medium msn newsbreak pressreader reddit
    smartnews substack tumblr twitter wordpress x yahoo youtube
    """
)


def site_named(written: str, url: str) -> str | None:
    """The name of ``url``'s address that the words ``written`` are (``Slate`` at slate.com:
    ``slate``; ``The New York Times`` at nytimes.com, ``outlets.name_keys``), unless the address
    is a platform's or the words name no site; else None."""
    keys = name_keys(written)
    if not keys or keys[0] in NO_SITE_NAMES:
        return None
    own = _site_keys(url)
    return next((own[key] for key in keys if key in own), None)


@lru_cache(maxsize=256)  # asked for each line above a story
def _site_keys(url: str) -> dict[str, str]:
    names = domain_names(url)
    return {} if not names or names[-1].lower() in PLATFORMS else domain_keys(url)


def written_domains(title: str) -> list[tuple[str, str]]:
    """(``name_key``, evidence) of a domain name that is a title's last part after a separator
    other than a colon (``Story | whitehouse.gov``): a site's name, whichever site's. Not after
    a colon, nor first, where a company named so leads the story's own words ("Booking.com:
    Profits rise", "Review: Booking.com"), nor one whose suffix is in capitals (``ASP.NET``,
    ``Socket.IO``)."""
    found = [*TITLE_SEPARATORS.finditer(title)]
    if not found or ":" in found[-1][0] or "：" in found[-1][0]:
        return []
    last = title[found[-1].end() :].strip()
    if not is_domain_name(last) or not last.rpartition(".")[2].islower():
        return []
    return [(name_key(last), f"the domain name {last!r}")]


def host_label(url: str) -> str | None:
    """The first label of ``url``'s host when the host is longer than its registrable domain
    and the label is a word of six letters or more: the name of a site within a shared domain
    (``economictimes.indiatimes.com``), not a section's short name (``uk.``, ``live.``)."""
    names = domain_names(url)
    if len(names) < 3:
        return None
    label = names[0].split(".")[0]
    return label if len(label) >= 6 and label.isalpha() else None


def title_without_names(
    title: str, names: Sequence[tuple[str, str]], sections: Sequence[tuple[str, str]] = ()
) -> tuple[str, list[str]]:
    """``title`` without the site name it carries after its last separator or before its
    first (``Story | Outlet``, ``Outlet - Story``), then without a section name left at its
    end (``Story | Section | Outlet``), and what was cut with the evidence for each cut.
    ``names``: (``name_key``, evidence) of the site's names; ``sections``: (tag, name) of the
    page's sections. A part that no evidence names stays; so does a section before the story
    (``Box Office: Story``), which sites write as a kicker of the headline itself."""
    start, end, cuts, _ = title_kept(title, names, sections)
    return title[start:end], cuts


def title_kept(
    title: str,
    names: Sequence[tuple[str, str]],
    sections: Sequence[tuple[str, str]] = (),
    *,
    loose: bool = True,
) -> tuple[int, int, list[str], list[tuple[int, int]]]:
    """Where in ``title`` the part ``title_without_names`` keeps starts and ends, its cuts, and
    where each name it cut is. Not ``loose``: one cut at most, of a name alone (no desk words
    after it), for a title read from a text, whose names are fewer and less sure than a page's
    markup gives."""
    cuts: list[str] = []
    cut_names: list[tuple[int, int]] = []
    own = _first_named(names)
    section_names = [(name_key(v), f"{t}={v!r}") for t, v in sections if name_key(v)]
    with_sections = _first_named([*names, *section_names]) if section_names else own
    desks = (False, True) if loose else (False,)
    start, end = 0, len(title)
    while found := [*TITLE_SEPARATORS.finditer(title, start, end)]:
        last, first = found[-1], found[0]
        ends = (
            ("suffix", (last.start(), end), (last.end(), end), (start, last.start())),
            ("prefix", (start, first.end()), (start, first.start()), (first.end(), end)),
        )
        # The name itself, at either end, before a name with desk words (the looser match).
        cut = next(
            (
                (where, part, name, rest, evidence)
                for desk in desks
                for where, part, name, rest in ends
                if (
                    evidence := _naming(
                        title[slice(*name)],
                        with_sections if cuts and where == "suffix" else own,
                        where,
                        desk,
                    )
                )
                is not None
                and any(ch.isalnum() for ch in title[slice(*rest)])
            ),
            None,
        )
        if cut is None:
            break
        where, part, name, rest, evidence = cut
        cuts.append(f"{where} {title[slice(*part)].strip()!r} removed ({evidence})")
        cut_names.append(name)
        start, end = stripped(title, *rest)
        if not loose:
            break
    return start, end, cuts, cut_names


def _first_named(names: Sequence[tuple[str, str]]) -> dict[str, tuple[int, str]]:
    """Each key of ``names`` -> (its first place, its evidence there)."""
    first: dict[str, tuple[int, str]] = {}
    for at, (key, evidence) in enumerate(names):
        first.setdefault(key, (at, evidence))
    return first


def _naming(part: str, named: dict[str, tuple[int, str]], where: str, desk: bool) -> str | None:
    """The evidence of the first name of ``named`` (in their order) that a title's end ``part``
    is, or None; with ``desk``, at the end, the name followed by one or two words of a desk
    instead (``| CBC News`` on a site named ``CBC``, ``| CNN Politics``), as sites write it
    after every story. (The part's keys are looked up, not every name tried.)"""
    if not desk:
        # a name the address shortens at the end only: before the story, the same initials may
        # be the headline's own words ("New Year Times: ..." at nytimes.com)
        keys = name_keys(part) if where == "suffix" else (name_key(part),)
        hit = next((named[key] for key in keys if key in named), None)
        return None if hit is None else hit[1]
    if where != "suffix":
        return None
    words = part.split()
    keys = {name_key(" ".join(words[:i])) for i in range(max(1, len(words) - 2), len(words))}
    hits = [named[key] for key in keys if key in named]
    return min(hits)[1] if hits else None


def stripped(text: str, start: int, end: int) -> tuple[int, int]:
    """``start`` and ``end`` moved past the whitespace at either end of ``text[start:end]``."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
