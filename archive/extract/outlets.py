"""Which outlet published a capture, and the evidence for it.

Order of authority: the capture log (``Hints.outlet``), then the URL's registrable domain looked
up in a configurable domain-to-outlet table, then the capture's own explicit self-references
(a notification prompt or support plea naming the publication, a masthead line), then the
site's name where the capture's address spells it too: a masthead line above the story
(``Slate`` at slate.com), the site's part of its title line (``Story | Slate``). A name merely
mentioned in the story is never evidence. A copyright line names a company, not a publication:
it counts only when it names a known outlet (of the domain table) and nothing stronger speaks.
Conflicting self-references give no outlet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from unicodedata import combining, normalize
from urllib.parse import urlsplit

import publicsuffixlist

from archive.extract.caches import cached_when_short
from archive.extract.lines import wordset

PSL_VERSION: str = publicsuffixlist.__version__
"""Version of the bundled Public Suffix List (its date is the last dotted part)."""

_WORD = r"[A-Z][\w&'’-]*(?:\.\w+)*"
_NAME = r"(?P<name>(?:[Tt]he\s+)?" + _WORD + r"(?:\s+(?:of\s+|on\s+|&\s+)?" + _WORD + r"){0,4})"
_SELF_REFERENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "self-reference:notifications-from",
        re.compile(r"\b(?:notifications|alerts|updates) from " + _NAME),
    ),
    (
        "self-reference:keeps-open",
        re.compile(r"\bkeeps? " + _NAME + r" (?:open|independent|free|going|alive)\b"),
    ),
    ("self-reference:is-trusted", re.compile(r"(?:^|\.\s+)" + _NAME + r" is trusted by\b")),
    (
        "self-reference:support-name",
        re.compile(
            r"\b(?:[Ss]upport|[Ss]ubscribe to|[Dd]onate to|[Ss]ign up to|[Rr]egister with|"
            r"[Tt]hank you for reading|[Tt]hanks for reading|[Ww]elcome to) " + _NAME
        ),
    ),
    (
        "self-reference:copyright",
        re.compile(r"(?:©|\([Cc]\)|[Cc]opyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?\s+)?" + _NAME),
    ),
    (
        "self-reference:paid-by-readers",
        re.compile(
            r"(?:^|\.\s+)" + _NAME + r" is (?:paid for|funded|supported) by (?:its |our )?readers"
        ),
    ),
    (
        "self-reference:commission",
        re.compile(r"(?:^|\.\s+)" + _NAME + r" (?:may )?earns? (?:a )?commission"),
    ),
    (
        "self-reference:possessive",
        re.compile(_NAME + r"['’]s (?:journalism|reporting|newsroom|journalists)\b"),
    ),
)
# words each pattern needs: the pattern runs only on lines holding one (set test, not regex)
_GATES = (
    frozenset({"notifications", "alerts", "updates"}),
    frozenset({"keep", "keeps"}),
    frozenset({"trusted"}),
    frozenset({"support", "subscribe", "donate", "sign", "register", "reading", "welcome"}),
    frozenset({"©", "c", "copyright"}),
    frozenset({"readers"}),
    frozenset({"commission"}),
    frozenset({"journalism", "reporting", "newsroom", "journalists"}),
)
_WORD = re.compile(r"[a-z©]+")
# What the page offers or asks for, in its own words ("Subscribe to Our Newsletter", "Support
# Our Journalism"), names no publication; "Your Local Guardian" and "My Modern Met" do.
_OWN_PRODUCT = re.compile(
    r"(?:our|your|my)\s+(?:[\w-]+\s+){0,3}(?:newsletters?|podcasts?|apps?|e-?mails?|"
    r"briefings?|bulletins?|digests?|updates|alerts|(?:mailing\s+)?list|channels?|feeds?|"
    r"editions?|magazines?|journalism|reporting|newsroom|work|mission|(?:web)?site|page)",
    re.IGNORECASE,
)
_NOT_NAMES = wordset(
    """
    us our we you your the this it readers notifications today journalism our journalism
    local journalism
    """
)


@lru_cache(maxsize=1)
def _psl() -> publicsuffixlist.PublicSuffixList:
    return publicsuffixlist.PublicSuffixList()


@lru_cache(maxsize=256)  # asked several times for each page's address
def host_of(url: str) -> str | None:
    """The lower-cased host name of ``url`` (no port, no trailing dot), or None."""
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def registrable_domain(url: str) -> str | None:
    """The registrable domain (public suffix + one label) of ``url``'s host.

    >>> registrable_domain("https://www.harbour-courier.co.uk/news/1")
    'harbour-courier.co.uk'
    """
    host = host_of(url)
    return _registrable(host) if host else None


def is_domain_name(text: str) -> bool:
    """Whether ``text`` is written as a host name under a known public suffix: a site's name
    as some sites write it (``whitehouse.gov``, ``Booking.com``), not ``U.S.`` or ``Node.js``.

    >>> is_domain_name("whitehouse.gov"), is_domain_name("U.S."), is_domain_name("Node.js")
    (True, False, False)
    >>> is_domain_name("bücher.de"), is_domain_name("a..de")
    (True, False)
    """
    try:
        text = text.encode("idna").decode("ascii")  # "bücher.de" as its address spells it
    except UnicodeError:  # an empty or overlong label
        return False
    if _HOST_NAME.fullmatch(text) is None:
        return False
    return _psl().privatesuffix(text.lower(), accept_unknown=False) is not None


_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+", re.I)


@lru_cache(maxsize=4096)  # the pages of a corpus share a few thousand hosts at most
def _registrable(host: str) -> str | None:
    if re.fullmatch(r"[\d.]+|\[?[0-9a-f:]+\]?", host):
        return None
    return _psl().privatesuffix(host)


_NOT_ALNUM = re.compile(r"[\W_]+")  # exactly the characters ``str.isalnum`` rejects


@cached_when_short(4096)  # a page asks for the same few names many times
def name_key(name: str) -> str:
    """``name`` folded for comparing site names: case, spaces, punctuation and a leading
    ``The`` do not count, so a site name and its domain label can meet.

    >>> name_key("The Harbour-Courier") == name_key("harbourcourier.") == "harbourcourier"
    True
    """
    folded = " ".join(name.casefold().split()).removeprefix("the ")
    if folded.isascii():
        return _NOT_ALNUM.sub("", folded)
    # An address spells "Libération" liberation: the marks on a Latin letter go (a kana's
    # voicing mark stays, "ガ" is no "カ"), after the signs (™), before the case is folded again.
    kept, base = [], ""
    for c in normalize("NFKD", _NOT_ALNUM.sub("", folded)):
        if not combining(c):
            base = c
        elif base.isascii():
            continue
        kept.append(c)
    return _NOT_ALNUM.sub("", normalize("NFC", "".join(kept)).casefold())


def name_keys(name: str) -> tuple[str, ...]:
    """``name_key`` of ``name``, then the keys of the ways an address shortens a name of three
    words or more: two or more of its leading words by their initials, the rest whole, a word
    that names a site and not a section or a day (``nytimes`` for "The New York Times",
    ``sfchronicle`` for "San Francisco Chronicle"). Never initials alone ("Free Trial" is no
    name of ft.com), one ("Music Live" of mlive.com), or before a word any line may end with
    ("Asia Pacific News" of apnews.com, "Unions Strike Again Today" of usatoday.com).

    >>> name_keys("The New York Times")
    ('newyorktimes', 'nytimes')
    >>> name_keys("Financial Times")
    ('financialtimes',)
    """
    key = name_key(name)
    if not key:
        return ()
    words = name.split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    if not 3 <= len(words) <= _NAME_WORDS:
        return (key,)
    keys = [key]
    initials = ""
    for at in range(1, len(words)):
        letter = name_key(words[at - 1])[:1]
        if not letter:
            break  # a sign ("&") has no initial: nothing from here on is an initial
        initials += letter
        rest = name_key(" ".join(words[at:]))
        if at >= 2 and len(rest) >= 4 and rest not in _NO_SHORTENED_REST:
            keys.append(initials + rest)
    return tuple(dict.fromkeys(keys))


SITE_NAME_CHARS = 40
"""The longest a site's name is as a masthead or a title's part writes it: a few words; a
longer line is a tagline or a story's."""

# Words of the longest name whose shortened keys are tried: a site's name is a few words; a
# longer line is a headline or a tagline.
_NAME_WORDS = 6

# A word that names no site, though an address may be spelt with it (news.com.au, home.example):
# a page's own furniture or a section's name
NO_SITE_NAMES = wordset(
    """
    blog blogs business culture entertainment finance football health home index lifestyle live
    main menu money news online opinion politics science search sport sports tech technology
    travel weather web world
    """
)
# What a shortened name never ends with: those, and a word of any day's news
_NO_SHORTENED_REST = NO_SITE_NAMES | wordset("daily now today")


@lru_cache(maxsize=256)  # asked several times for each page's address
def domain_names(url: str) -> tuple[str, ...]:
    """What ``url``'s address calls its site: the host, the registrable domain and that
    domain's first label (each written as in the address), or nothing for an IP address.

    >>> domain_names("https://www.harbour-courier.co.uk/news/1")
    ('www.harbour-courier.co.uk', 'harbour-courier.co.uk', 'harbour-courier')
    """
    host = host_of(url)
    domain = registrable_domain(url)
    if not host or not domain:
        return ()
    return tuple(dict.fromkeys((host, domain, domain.split(".")[0])))


def outlet_from_domain(
    url: str, table: Mapping[str, str] | Iterable[tuple[str, str]]
) -> tuple[str, str] | None:
    """Look ``url`` up in a domain-to-outlet table: ``(outlet, evidence)`` or None.

    Table keys may be registrable domains or longer host names; the most specific key that the
    host equals or ends with wins, down to the registrable domain (never a bare suffix).

    >>> outlet_from_domain("https://news.harbour-courier.example/a", {"harbour-courier.example": "Harbour Courier"})
    ('Harbour Courier', 'news.harbour-courier.example -> harbour-courier.example')
    """  # noqa: E501
    host = host_of(url)
    domain = registrable_domain(url)
    if not host or not domain:
        return None
    mapping = table if isinstance(table, Mapping) else dict(table)
    labels = host.split(".")
    for i in range(len(labels) - domain.count(".")):
        key = ".".join(labels[i:])
        if key in mapping:
            return mapping[key], f"{host} -> {key}"
    return None


def self_references(text: str) -> list[tuple[str, str, int, int]]:
    """Outlet names a furniture line uses for its own publication: (name, rule, start, end)."""
    if len(text) <= _CACHED_LINE:
        return list(_cached_self_references(text))
    return _self_references(text)


_CACHED_LINE = 1200  # the longest furniture line (a support plea)


# Furniture lines recur from capture to capture of an outlet (the same plea, the same
# copyright line): their answers are cached by line.
@lru_cache(maxsize=4096)
def _cached_self_references(text: str) -> tuple[tuple[str, str, int, int], ...]:
    return tuple(_self_references(text))


def _self_references(text: str) -> list[tuple[str, str, int, int]]:
    found = []
    words = frozenset(_WORD.findall(text.lower()))
    for (rule, pattern), gate in zip(_SELF_REFERENCES, _GATES, strict=True):
        if gate.isdisjoint(words):
            continue
        for m in pattern.finditer(text):
            name = _clean_name(m["name"])
            if name and not (rule == _SUPPORT and _PRODUCT.match(text, m.end("name"))):
                found.append((name, rule, m.start("name"), m.end("name")))
    return found


_SUPPORT = "self-reference:support-name"
# What one signs up or subscribes to that is no publication, said right after its name: "Sign
# up to First Edition, our free morning newsletter", "Subscribe to Data Sheet, Fortune's daily
# newsletter", "Subscribe to The Daily Brief podcast". (Words and the spaces between them are
# told apart by disjoint classes: no backtracking.)
_PRODUCT = re.compile(
    r",?\s+(?:(?:our|the|a|an|its|(?:the\s+)?[A-Z][\w&.-]*['’]s)\s+(?:[a-z][a-z-]*\s+){0,3}"
    r"(?:newsletter|podcast|briefing|"
    r"bulletin|digest|e-?mail|app)|(?:newsletter|podcast|briefing|bulletin|e-?mail))s?\b",
    re.IGNORECASE,
)


def known_outlet(name: str, outlets: Iterable[str]) -> str | None:
    """The known outlet a self-reference names: the same name (``The`` optional), or a
    company name that starts with it (``Northgate Ledger Media Co``); None otherwise.

    >>> known_outlet("Northgate Ledger Media Co", ["Northgate Ledger", "Bramble News"])
    'Northgate Ledger'
    """
    low = name.casefold().removeprefix("the ")
    best = None
    for outlet in outlets:
        key = outlet.casefold().removeprefix("the ")
        if (low == key or low.startswith(key + " ")) and (best is None or len(outlet) > len(best)):
            best = outlet
    return best


def _clean_name(name: str) -> str | None:
    name = " ".join(name.rstrip(".’'").split())
    if name[:4].lower() == "the ":
        name = "The " + name[4:]
    if name.lower() in _NOT_NAMES or name.lower().removeprefix("the ") in _NOT_NAMES:
        return None
    if _OWN_PRODUCT.fullmatch(name):
        return None
    return name


# A cause one is asked to support, not a publication's name: "Support Public Radio" (a menu
# link of npr.org), "Support Local News". Every word is a common one and the last is a medium.
# ("Press" is left out: The Free Press is a publication.) Only a support plea is read so: a
# copyright line or a prompt naming such words names a company.
_CAUSE_WORDS = wordset(
    """
    public local independent quality free nonprofit non-profit community investigative
    trusted student
    """
)
_MEDIUMS = wordset("radio journalism news media television tv broadcasting reporting")


def is_cause(name: str, rule: str) -> bool:
    """Whether ``name``, read by ``rule``, is a cause one is asked to support (``Support
    Public Radio``), not a publication: the caller keeps a name of a known outlet."""
    return rule == _SUPPORT and _a_cause(name)


def _a_cause(name: str) -> bool:
    words = name.lower().removeprefix("the ").split()
    return words[-1] in _MEDIUMS and all(w in _CAUSE_WORDS for w in words[:-1])
