"""A page's authors: names the markup states, else trafilatura's guess, each name vetted.

Why this exists: trafilatura's author string mixes a page's structured statements (JSON-LD,
``<meta>``) with a heuristic read of byline elements, and keeps what both hand it: the publisher
a site puts in ``meta[name="author"]`` ("Condé Nast"), the outlet's name, UI text glued to the
byline ("Link Copied"), role titles ("Staff Writer"), photo credits, dates. A wrong author is
worse than none, so:

1. **Structured first.** When the page's author markup (``_STRUCTURED``, strongest first) names
   anyone who passes the checks below, those names are the answer, verbatim from the first tag
   that yields any (method ``html-meta``, the tag as evidence). JSON-LD counts only the first
   item that names authors (later items are comments, related posts) and never an image's
   author (a credit). A tag whose list holds a credit ("X using Y") is a credits roll, skipped.
   ``rel="author"``/``itemprop`` links are not a source: pages carry them for related
   articles' authors too.
2. **Else trafilatura's names**, split on ``;`` and bullets, each cleaned (a ``By`` prefix, UI
   strings, a trailing role title, a name read twice, a trailing outlet name cut) and kept only
   if it still passes the checks, is not text of an author tag step 1 turned down (no second
   chance) and is not one word of an author URL (method ``trafilatura``; evidence names the
   backing tag when a tag holds the name). More than ``MAX_GUESSED`` names none of which a tag
   backs are a commenter list: none is kept.
3. **Checks** (``rejection``): holds a letter; not a URL, e-mail or domain name; not a photo
   credit; not a date; no pictographic symbol; no UI text; at most ``MAX_WORDS`` words; not the
   outlet (og:site_name, application-name, the host and its labels), alone or with a publisher's
   or newsroom's word beside it ("Ediciones El País"), nor such a word alone ("Redacción"); not
   an organisation (a company suffix or a newsroom word such as "News", "Press", "Post" as its
   last word, or an agency acronym such as "AP").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from archive.extract.lines import wordset
from archive.extract.outlets import name_key

MAX_WORDS = 5
# More heuristic names than this, none of them in an author tag: a list of commenters or
# credits, not a byline.
MAX_GUESSED = 4

# Strongest first: schema.org's Article.author is the publisher's explicit statement;
# article:author and byl name the article's writers; meta[name="author"] is often the site's
# default (its publisher), so it comes after them.
_STRUCTURED = (
    "json-ld",
    'meta[property="article:author"]',
    'meta[name="byl"]',
    'meta[name="author"]',
    'meta[name="dc.creator"]',
)
# An image's or video's author is a credit for that picture, not the page's byline.
_MEDIA_OBJECTS = ("json-ld ImageObject.", "json-ld Photograph.")
_SITE_TAGS = ('meta[property="og:site_name"]', 'meta[name="application-name"]')
_LIST_SPLIT = re.compile(r"\s*(?:;|,|[·•|])\s*")
_JOIN_SPLIT = re.compile(r"\s+(?:&|and|with)\s+", re.I)
_GUESS_SPLIT = re.compile(r"[;·•|]")
_CUT = " ,-–—:·•|"  # what a name never starts or ends with
_BY = re.compile(
    r"^(?:(?:reporting|written|words|story|text)\s+)?(?:by|von|par|por|di|door|av)\s*[:\s]\s*",
    re.I,
)
# who edited, not who wrote: never an author
_EDITED = re.compile(r"^(?:editing|edited|compiled|produced|fact[- ]checked)\s+by\b", re.I)
# a desk or a role, not a person: "Staff", "Staff Writer", "Newsroom", "The Editorial Board"
_NO_PERSON = re.compile(
    r"^(?:the\s+)?(?:staff(?:\s+(?:writer|reporter|report))?|newsroom|news\s*desk|web\s*desk|"
    r"editorial\s+(?:board|staff|team)|editors?|wire\s+services?)$",
    re.I,
)
_UI = re.compile(
    r"\s*\b(?:link copied|view author archive|get author rss feed|see full bio|"
    r"more stories by|follow|share|email|e-mail|twitter|facebook|view)\b.*$",
    re.I,
)
_MORE_BY = re.compile(r"^more (?:stories|articles|posts) by\s+", re.I)
_ROLE = re.compile(
    r"(?:\s+(?:senior|chief|staff|contributing|special|deputy|managing|executive|associate|"
    r"political|politics|washington|national|foreign|business|science|investigative|digital))*"
    r"\s+(?:writer|editor|correspondent|reporter|contributor|columnist)$",
    re.I,
)
_URLISH = re.compile(
    r"(?:^https?:|^www\b|^/|@\w+\.\w|\.(?:com|org|net|html?)\b|\s(?:com|org|net)$|"
    r"\w\.(?:[a-z]{2}|info)$)",
    re.I,
)
_COMPANY = re.compile(
    r"\b(?:inc|llc|ltd|gmbh|corp|corporation|plc|s\.?a|ag|co|company|group|media|"
    r"news|press|post|times|magazine|agency|network)\.?$",
    re.I,
)
_CREDIT = re.compile(
    r"\b(?:photography|photograph|photo|image|illustration|video)s?\s+(?:by|credit)\b|"
    r"getty images|"
    r"\bvia (?:ap|reuters|getty)\b|shutterstock|\bAFP\b|\s(?:using|at|for)\s",
    re.I,
)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DATEISH = re.compile(rf"(?:^updated\b|\b(?:{_MONTHS})\b\.?(?:\s+\d{{1,2}})?$|\d{{4}})", re.I)
# Words a publishing house or a newsroom puts beside the outlet's name, in the languages of
# the sites that name themselves so in meta[name="author"] ("Ediciones El País")
_PUBLISHER_WORDS = wordset(
    """
    ediciones edicions edições editions éditions edizioni editora editorial verlag verlagsgruppe
    grupo gruppo groupe group redacción redacció redação rédaction redaction redazione redaktion
    newsroom
    """
)
_PUBLISHER_LINKS = wordset("de del di da do des du der")
_ACRONYM = re.compile(r"[A-Z]{2,4}")  # AP, AFP, TNN: agencies, not people
_LETTER = re.compile(r"[^\W\d_]")
_URL_PARTS = re.compile(r"[/.:?=&#@]+")
_NONWORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Authors:
    """Who wrote a page, and how that was decided.

    ``method`` is ``html-meta`` (the names are a tag's value) or ``trafilatura`` (its heuristic
    read of the page); ``evidence`` is the tag and value, or ``page markup`` with the tag that
    backs the names when one does, and the cleaning applied.
    """

    names: tuple[str, ...]
    method: str
    evidence: str


def page_authors(
    guess: str | None | Callable[[], str | None],
    markup: Sequence[tuple[str, str]],
    url: str | None = None,
) -> Authors | None:
    """The page's authors from its markup, else from trafilatura's ``guess`` (``;``-separated).

    ``guess`` may be a function that returns it, called only when no tag names anyone:
    trafilatura's byline search prunes a copy of the whole page, and most pages never need it.

    >>> markup = [('meta[name="author"]', "Condé Nast"),
    ...           ('meta[property="article:author"]', "Ada Lovelace")]
    >>> page_authors("Condé Nast; Ada Lovelace", markup).names
    ('Ada Lovelace',)
    >>> page_authors("Ada Byron Link Copied", [], "https://example.org/a").names
    ('Ada Byron',)
    >>> page_authors("Example News", [('meta[property="og:site_name"]', "Example News")]) is None
    True
    """
    outlets = outlet_names(markup, url)
    structured = structured_authors(markup, outlets)
    if structured is not None:
        return structured
    if callable(guess):
        guess = guess()
    if _is_credit_roll((guess or "").split(";")):
        return None
    names, cleaned = [], []
    guessed = _GUESS_SPLIT.split(guess or "")
    for raw in guessed:
        read = cleaned_name(raw, outlets)
        # a commenter list stays one, however its names are glued
        for name in _unglued(markup, read) if len(guessed) <= MAX_GUESSED else [read]:
            if _in_author_url(markup, name) or _in_rejected_tag(markup, name):
                continue
            if name and rejection(name, outlets) is None and _fold(name) not in map(_fold, names):
                names.append(name)
                if name != raw.strip():
                    cleaned.append(f"{raw.strip()!r} -> {name!r}")
    if not names:
        return None
    backing = [_backing(markup, name) for name in names]
    if len(names) > MAX_GUESSED and not any(backing):
        return None
    evidence = "; ".join(b for b in backing if b) or "page markup"
    if cleaned:
        evidence += f" (cleaned {', '.join(cleaned)})"
    return Authors(tuple(names), "trafilatura", evidence)


def structured_authors(markup: Sequence[tuple[str, str]], outlets: Iterable[str]) -> Authors | None:
    """The names of the strongest author tag that names anyone acceptable, verbatim.

    >>> structured_authors([('meta[name="byl"]', "By Ann Lee and Bo Chen")], ()).names
    ('Ann Lee', 'Bo Chen')
    >>> structured_authors([('meta[property="article:author"]', "https://x.org/ann")], ()) is None
    True
    """
    outlets = tuple(outlets)
    for source in _STRUCTURED:
        tags = _first_run(markup, source) if source == "json-ld" else _tags(markup, source)
        names: list[str] = []
        for _, value in tags:
            listed = split_names(value)
            if _is_credit_roll(listed):
                continue
            for name in listed:
                if rejection(name, outlets) is None and _fold(name) not in map(_fold, names):
                    names.append(name)
        if names:
            evidence = "; ".join(f"{t}={v!r}" for t, v in _dedup(tags))
            return Authors(tuple(names), "html-meta", evidence)
    return None


def split_names(value: str) -> list[str]:
    """The names in one author string: ``By`` dropped, split on ``,`` ``;`` ``and`` ``&`` ``·``.

    >>> split_names("By Marc Santora, William K. Rashbaum and Al Baker")
    ['Marc Santora', 'William K. Rashbaum', 'Al Baker']
    >>> split_names("  ")
    []
    """
    text = _BY.sub("", " ".join(value.split()))
    names = []
    for listed in _LIST_SPLIT.split(text):
        joined = _JOIN_SPLIT.split(listed)
        # "Pellworth Fire and Rescue": a joiner that leaves a lone word is inside one name
        names += joined if all(len(part.split()) > 1 for part in joined) else [listed]
    return [_BY.sub("", name).strip() for name in names if name.strip()]


def cleaned_name(raw: str, outlets: Iterable[str] = ()) -> str:
    """One heuristic name without a ``By`` prefix, UI text, a role title or a trailing outlet.

    >>> cleaned_name("Howard Blume Staff Writer")
    'Howard Blume'
    >>> cleaned_name("Meg Wagner NEW YORK DAILY NEWS", ["New York Daily News"])
    'Meg Wagner'
    >>> cleaned_name("Oli Coleman View author archive Get author RSS feed")
    'Oli Coleman'
    """
    name = _MORE_BY.sub("", _BY.sub("", " ".join(raw.split())))
    name = _UI.sub("", name)
    name = _ROLE.sub("", name)
    words = name.split()
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        name = " ".join(words[:half])  # the byline's text node read twice
    folded = name.casefold()
    for outlet in outlets:
        tail = " " + " ".join(outlet.split()).casefold()
        if len(tail) > 1 and folded.endswith(tail):
            name = name[: -len(tail)]
            folded = name.casefold()
    return name.strip(_CUT)


def rejection(name: str, outlets: Iterable[str] = ()) -> str | None:
    """Why ``name`` is not a person's byline, or None when nothing speaks against it.

    >>> rejection("https://example.org/staff/ann")
    'url'
    >>> rejection("Example Media Inc.")
    'organisation'
    >>> rejection("Ann Lee") is None
    True
    """
    if not _LETTER.search(name):
        return "no-letter"
    if _URLISH.search(name):
        return "url"
    if _CREDIT.search(name):
        return "credit"
    if _DATEISH.search(name):
        return "date"
    if any(unicodedata.category(c) == "So" for c in name):
        return "symbol"
    if _UI.fullmatch(" " + name) or _UI.sub("", name) != name:
        return "ui"
    if len(name.split()) > MAX_WORDS:
        return "too-long"
    if _EDITED.search(name):
        return "editor"
    if _NO_PERSON.fullmatch(name.strip()):
        return "role"
    rest = _without_publisher_words(name)
    if _names_outlet(name, rest, outlets):
        return "outlet"
    if rest == []:
        return "role"  # "Redacción", what a byline or a list leaves of "Redacción, El País"
    if _COMPANY.search(name) or _ACRONYM.fullmatch(name):
        return "organisation"
    return None


def _names_outlet(name: str, rest: list[str] | None, outlets: Iterable[str]) -> bool:
    """Whether ``name`` is an outlet's name, alone, or with a publisher's or newsroom's words
    before or after it (``rest``, the words they leave: "Ediciones El País", "Redacción de El
    País", "The Guardian Newsroom" beside og:site_name "EL PAÍS" or "Guardian"); accents and a
    leading "The" do not count."""
    keys = set()
    for outlet in outlets:
        for key in (_compact(outlet), name_key(outlet)):
            keys.update((key, key.removeprefix("the")))
    keys.discard("")
    written = [name, " ".join(rest)] if rest else [name]
    return any(_compact(w) in keys or name_key(w) in keys for w in written)


def _without_publisher_words(name: str) -> list[str] | None:
    """``name``'s words left once the publisher's or newsroom's words at its start (and a "de"
    after them) and at its end are cut, or None when it has none there."""
    words = unicodedata.normalize("NFKC", name).replace(":", " ").split()
    start, end = 0, len(words)
    while start < end and words[start].casefold() in _PUBLISHER_WORDS:
        start += 1
    if 0 < start < end and words[start].casefold() in _PUBLISHER_LINKS:
        start += 1
    while end > start and words[end - 1].casefold() in _PUBLISHER_WORDS:
        end -= 1
    if (start, end) == (0, len(words)):
        return None
    return words[start:end]


def outlet_names(markup: Sequence[tuple[str, str]], url: str | None) -> tuple[str, ...]:
    """Names that denote the site: og:site_name, application-name, the host's labels.

    >>> outlet_names([('meta[property="og:site_name"]', "Tide Times")], "https://www.tide.example/a")
    ('Tide Times', 'tide', 'tide.example')
    """
    names = [v for t, v in markup if t in _SITE_TAGS and v]
    host = _host(url) if url else None
    if host:
        labels = host.split(".")
        names += [x for x in labels[:-1] if x not in ("www", "m", "co", "com", "org", "net")]
        names.append(host.removeprefix("www."))
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=256)  # asked for each page's address, and a pack's pages share hosts
def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # not a URL (an unclosed IPv6 bracket, say): no host names the site
        return None


def _tags(markup: Sequence[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    return [(t, v) for t, v in markup if _is_source(t, source)]


def _first_run(markup: Sequence[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    """The author tags of the page's own JSON-LD item: the first article's (``NewsArticle``,
    ``BlogPosting``...) that names any, none when the page has an article that names no one,
    else the first item's. Later items (comments, related posts, a video) name their own
    authors, and a ``WebPage`` item beside the article in a ``@graph`` names the site's team."""
    runs: list[list[tuple[str, str]]] = []  # each item's author tags: a run of one tag
    previous = None
    for tag, value in markup:
        if _is_source(tag, source):
            if tag == previous:
                runs[-1].append((tag, value))
            else:
                runs.append([(tag, value)])
        previous = tag
    for run in runs:
        if _item_kind(run[0][0]) and ARTICLE_KIND.search(_item_kind(run[0][0])):
            return run
    if any(t.startswith("json-ld ") and ARTICLE_KIND.search(_item_kind(t)) for t, _ in markup):
        return []  # the page's article names no one: another item's authors are not its own
    return runs[0] if runs else []


def _item_kind(tag: str) -> str:
    return tag.removeprefix("json-ld ").partition(".")[0]


# The schema.org types of an article (NewsArticle, BlogPosting, ReportageNewsArticle...).
ARTICLE_KIND = re.compile(r"article|posting|report|story", re.I)


def _is_source(tag: str, source: str) -> bool:
    if source == "json-ld":
        return (
            tag.startswith("json-ld ")
            and tag.endswith(".author.name")
            and not tag.startswith(_MEDIA_OBJECTS)
        )
    return tag == source


def _unglued(markup: Sequence[tuple[str, str]], name: str) -> list[str]:
    """``name``, or the two names it is glued from: trafilatura reads two author elements set
    side by side with no separator as one name ("Paul Wiseman Fatima Hussein" from a byline's
    two links). It is two when no author tag holds it whole, and its words split into two
    names of two words or more, each the first name another author tag lists (a photo's
    credit is none): a name found inside a tag's longer one ("Maria de" in "Maria Delgado")
    splits nothing."""
    words = name.split()
    if len(words) < 4 or _backing(markup, name) is not None:
        return [name]
    firsts: dict[str, str] = {}
    for tag, value in markup:
        if "author" in tag and not tag.startswith(_MEDIA_OBJECTS):
            listed = split_names(value)
            if listed:
                firsts.setdefault(_compact(listed[0]), value)
    for at in range(2, len(words) - 1):
        first = " ".join(words[:at]).strip(_CUT)
        second = " ".join(words[at:]).strip(_CUT)
        keys = _compact(first), _compact(second)
        if keys[0] != keys[1] and keys[0] in firsts and keys[1] in firsts:  # no name read twice
            return [first, second]
    return [name]


def _backing(markup: Sequence[tuple[str, str]], name: str) -> str | None:
    wanted = _compact(name)
    for tag, value in markup:
        if ("author" in tag or tag in ('meta[name="byl"]', 'meta[name="dc.creator"]')) and (
            wanted and wanted in _compact(value)
        ):
            return f"{tag}={value!r}"
    return None


def _is_credit_roll(names: Iterable[str]) -> bool:
    """Whether a list holds a credit ("X using Y", "Photo by X"): then it lists credits, not
    only bylines, and none of its names can be trusted as the page's author."""
    return any(_CREDIT.search(name) for name in names)


def _in_rejected_tag(markup: Sequence[tuple[str, str]], name: str) -> bool:
    """Whether ``name`` is read from an author tag's text, which ``structured_authors`` turned
    down (it is only asked when every such tag was): the guess gets no second chance."""
    wanted = _compact(name)
    return bool(wanted) and any(
        any(_is_source(tag, source) for source in _STRUCTURED)
        and " " in value.strip()  # a URL's slug backs a name (``/staff/ann-lee``)
        and wanted in _compact(value)
        for tag, value in markup
    )


def _in_author_url(markup: Sequence[tuple[str, str]], name: str) -> bool:
    """Whether ``name`` is one word of a URL an author tag holds (trafilatura splits those).

    A profile URL's slug (``/staff/ann-lee``) backs a name of several words; a one-word "name"
    equal to a host label or path segment is only the URL read as text.
    """
    if len(name.split()) != 1:
        return False
    wanted = name.casefold()
    return any(
        "author" in tag and _URLISH.search(value) and wanted in _URL_PARTS.split(value.casefold())
        for tag, value in markup
    )


def _dedup(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _compact(text: str) -> str:
    return _NONWORD.sub("", unicodedata.normalize("NFKC", text).casefold())
