"""Header lines: what a headline, a standfirst, a story lead-in and a byline look like.

Bylines yield people only: an outlet, a news agency, a desk ("Staff reporter"), a role or a
place is dropped, so an outlet name, a photo agency or a furniture phrase is never an author.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from urllib.parse import unquote, urlsplit

from archive.extract.dates import LEAD_IN_DATE, dateline, has_year
from archive.extract.lines import UNSPACED, wordset

_ORG_WORDS = wordset(
    """
    news times post press wire agency agencies media daily herald journal tribune gazette
    staff reporters reporter desk team service services pictures picture images image photo
    photos photography network online radio tv television broadcasting group correspondents
    editorial newsroom bureau courier chronicle observer mail express telegraph guardian
    independent standard mirror sentinel dispatch bulletin weekly magazine digital live
    today stock associated foundation institute ltd inc plc council ministry police
    university newsletter community comments comment share notifications support readers
    subscribe register login sign
    """
)
# A page's controls and menu words ("Show More", "More Activity", "Smarter Ideas More"): no
# bare name, unmarked by "By", is one, though a few are surnames that a "By" byline keeps
# ("By Thomas More", "By Lisa See")
_CONTROL_WORDS = wordset(
    """
    more show see load discover explore tell menu search ideas edition activity videos stories
    """
)
_ROLE_WORDS = wordset(
    """
    editor correspondent reporter writer columnist contributor producer analyst critic
    director chief senior deputy political health home affairs business science economics
    sports sport world foreign diplomatic security technology culture arts environment
    education crime legal investigations data opinion features
    """
)
_AGENCIES = wordset(
    """
    reuters afp ap pa bloomberg getty alamy epa shutterstock dpa ansa efe xinhua tass upi
    """
)
_PARTICLES = wordset(
    """
    de da del della der den di du la le van von bin al el st. ter ten
    """
)
_WEEKDAY_OR_MONTH = wordset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """
)
_SENTENCE_OPENERS = wordset(
    """
    in at on of for from after before under over since until during according last this that
    these those when while where what why how if as then there here it its our we they he she
    """
)
_TOKEN = re.compile(
    r"^(?:[A-Z][A-Za-zÀ-ÖØ-öø-ÿ'’-]*\.?|[A-Z]\.(?:[A-Z]\.)*|(?:Mc|Mac|O['’])[A-Z]\w+)$"
)
# (a page's text run together may hold "By" twice: "Byby Ada Quill", a label the style sheet
# added before a name that says "by" itself)
_BY = re.compile(
    r"^(?:by ?by|by|words by|written by|report by|story by|posted by|von|par|por|door|di)\s*:?\s+"
    r"(?P<rest>\S.*)$",
    re.I,
)
_SPLIT_NAMES = re.compile(r"\s*,\s*|\s+(?:and|und|et|y|en|e)\s+|\s*&\s*|\s+with\s+")
_IN_PLACE = re.compile(r"\s+(?:in|at|from)\s+[A-Z][\w .'’-]*$")
# after a byline's names, where the line goes on to a year (a date, as a rule): who they wrote
# for ("By Jane Holm for Tarn Valley Echo | 3 May 2021"); a line "By ... for ..." with no year
# may be a headline ("By Royal Appointment for Tarn Bakery | Tarn Valley Echo")
_FOR_OUTLET = re.compile(r"\s+for\s+[A-Z][\w .'’-]*$")
_SEPARATORS = re.compile(r"\s*[|·•]\s*|\s+[—–-]\s+")
_SENTENCE_BREAK = re.compile(r"[a-z]{3,}[.!?][”\"’']?\s+[A-Z]")
_CAPS_LEAD = re.compile(r"^[\"“‘']?(?:[A-Z][A-Z'’.&-]+,?\s+){2,}")
_PLACE_LEAD = re.compile(
    r"^[A-Z][A-Z .'’-]{2,40}(?:,\s*[A-Z][\w .'’-]{1,40})?\s*(?:\([^()]{2,40}\))?\s*"
    r"(?:—|–|--| - )\s*\S"
)
# (a page's text run together, "By Ada QuillUpdated 3 March 2021", where its style sheet set
# the name and the date apart, ends the names too)
_DATE_AFTER_NAMES = re.compile(
    r"\s+(?:[Pp]ublished|[Uu]pdated|[Pp]osted|[Ll]ast updated|[Oo]n)\b|"
    r"(?<=[a-z])(?:Published|Updated|Posted|Last updated)\b|"
    r"\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+)?\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\.?\s+\d{4}|"
    r"\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}|\s+\d{4}-\d\d-\d\d|\s+\d{1,2}[/.]\d{1,2}[/.]\d{4}"
)
# A social-media handle a page prints after its author's name, run into it or not ("By Ada
# Quill@adaquill  3 May 2021"): a letter in it, and no domain after it (an address's
# "ada@tve.example", "ada@tve-news.example"). One that no joiner follows (a comma, "and", "&")
# ends the names, and the line goes on after it ("By Ada Quill @adaquill and Bo Chen @bochen |
# 3 May 2021").
_HANDLE = re.compile(r"\s*@(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{1,30}(?![\w@-]|\.\w)")
_HANDLE_ENDING = re.compile(_HANDLE.pattern + r"(?!\s*(?:[,&]|(?:and|und|et|y|en|e|with)\b))")
# A dateline, then "by" and the names: the date part must read as a dateline on its own.
_DATE_BY = re.compile(r"^(?P<date>[^\d]*\d.*?),?\s+by\s+(?P<rest>\S.*)$", re.I)
_FOREIGN_BY = ("von ", "par ", "por ", "door ", "di ")
_DIGIT = re.compile(r"\d")
_LIST_JOINER = re.compile(r" (?:and|und|et|y|en|e) |&")
_NAME_JOINERS = re.compile(r",| (?:and|und|et|y|en|e|with) |&")
_SEPARATOR_CHARS = frozenset("|·•—–-")


def split_parts(text: str) -> list[str]:
    """The line cut at its separators (``|``, ``·``, dashes between spaces)."""
    if _SEPARATOR_CHARS.isdisjoint(text):
        return [text]
    return _SEPARATORS.split(text)


_TERMINAL = (".", "!", "?", "…", '"', "”", "’", "'", ")")


@dataclass(frozen=True)
class Byline:
    """People named by a byline line; ``start``/``end`` locate the names' evidence in the line."""

    authors: tuple[str, ...]
    rule: str
    start: int
    end: int
    flags: tuple[str, ...] = ()
    rest_from: int = -1  # where the line goes on after the byline part (dates may follow)


def words(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def is_headline_like(text: str) -> bool:
    """A single sentence of 4-30 words that is no list item and does not trail off like a
    label, and does not read like a story sentence (a long one ending in a full stop)."""
    n = words(text)
    if not 4 <= n <= 30 or len(text) > 220 or text[0].islower():
        return False
    if text.startswith(BULLETS) or text.endswith((",", ";", ":", "-")) or is_lead_in(text):
        return False
    if " › " in text or " > " in text:  # a breadcrumb trail ("Home › Section › Story")
        return False
    if is_cell_row(text):
        return False
    if text.endswith(".") and (n >= 15 or n >= 10 and ", " in text):
        return False
    return not _has_stop(text) or _SENTENCE_BREAK.search(text) is None


def _has_stop(text: str) -> bool:
    """Whether ``text`` holds a full stop, "!" or "?": a sentence break needs one, and most
    headlines have none (three substring tests cost a tenth of the pattern's search)."""
    return "." in text or "!" in text or "?" in text


# Words set apart by three spaces or more: a text rendering lays a table's cells, or a row of
# links, out so; a heading's words it runs together with one space
_CELLS = re.compile(r"\S {3,}\S")


def is_cell_row(text: str) -> bool:
    """Whether ``text`` is a row of links or cells, its parts set three spaces apart."""
    return "   " in text and _CELLS.search(text) is not None


# A list item's marker, as a saved page's menus and link lists show them: no headline has one
BULLETS = ("* ", "• ", "+ ", "- ", "· ")

# The full stop, exclamation and question marks of Japanese and Chinese text
CJK_STOPS = ("。", "！", "？")
_UNSPACED_STOPS = (*CJK_STOPS, "、", "，", "：", ":", ",", "；", "…", "」", "”")


def unspaced_headline_like(text: str) -> bool:
    """A Japanese or Chinese line that may be a headline, as far as its words show: 6-60
    characters, mostly kana or ideographs, no space (a menu), no sentence stop in or after it,
    no ``＝`` (a photo caption's place and date). Where it stands decides more: only the line
    below a capture's dateline is taken on this alone (``spans._headline_below_meta``)."""
    if not 6 <= len(text) <= 60 or " " in text or "＝" in text or "。" in text:
        return False
    if _BRACKETED_LABEL.fullmatch(text):  # labels alone, a section's or a link's ("【活用ガイド】")
        return False
    if text.endswith(_UNSPACED_STOPS):
        return False
    return len(UNSPACED.findall(text)) * 2 >= len(text)


_BRACKETED_LABEL = re.compile(r"(?:【[^【】]*】)+")
_KICKER_NEVER_ENDS = (*_TERMINAL[:3], *CJK_STOPS)


def masthead_name(text: str, outlets: Collection[str]) -> str | None:
    """The known outlet whose name the line is, alone or before a tagline or menu
    (``Saltmarsh Gazette – News for the coast``); None otherwise."""
    if len(text) > 120 or not outlets:
        return None
    low = text.casefold()
    forms = _name_forms(outlets if isinstance(outlets, tuple) else tuple(outlets))
    if low[:2] not in forms[0]:
        return None
    for form, name in forms[1]:
        if low.startswith(form) and (len(low) == len(form) or _MASTHEAD_TAIL.match(low, len(form))):
            return name
    return None


@lru_cache(maxsize=16)
def _name_forms(outlets: tuple[str, ...]) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """Case-folded forms of outlet names (with and without ``The``) and their first letters."""
    forms = []
    for name in outlets:
        key = name.casefold()
        forms.extend((form, name) for form in dict.fromkeys((key, key.removeprefix("the "))))
    return frozenset(f[:2] for f, _ in forms), tuple(forms)


_MASTHEAD_TAIL = re.compile(r"\s*(?:[|·•:—–-]|\s{2})")


def is_lead_in(text: str) -> bool:
    """True when the line opens a story: an ALL-CAPS lead-in or a PLACE — dateline."""
    if words(text) < 12:
        return False
    if _CAPS_LEAD.match(text):
        return True
    # a place's dateline ends in a dash, which most lines lack
    if "-" not in text and "—" not in text and "–" not in text:
        return False
    return bool(_PLACE_LEAD.match(text) or LEAD_IN_DATE.match(text))


def is_kicker(text: str) -> bool:
    """A short section label above a headline (``World``, ``Local politics``): never a
    sentence, and a Japanese or Chinese one ends in ``。`` however long (a paragraph there is one
    "word": the first of every such capture was taken for a kicker)."""
    return words(text) <= 3 and not text.endswith(_KICKER_NEVER_ENDS)


def is_standfirst_like(text: str) -> bool:
    """A summary paragraph: 6-60 words."""
    return 6 <= words(text) <= 60


def is_subheading_like(text: str) -> bool:
    """A short line inside a story that does not end a sentence."""
    return (
        len(text) <= 90
        and not text.rstrip("\"”’'").endswith((".", "!", "?", ",", ";", ":"))
        and not text[0].islower()
        and words(text) <= 10
    )


def ends_sentence(text: str) -> bool:
    """True when the line ends with a sentence terminator (possibly inside quotes)."""
    return text.endswith(_TERMINAL)


def byline(text: str, not_authors: Collection[str] = ()) -> Byline | None:
    """Parse a "By ..." line (possibly with dates or the outlet after a separator)."""
    if len(text) > 200:
        return None
    return _byline(text, not_authors if isinstance(not_authors, tuple) else tuple(not_authors))


def may_be_byline(text: str) -> bool:
    """Whether ``text`` holds "by" or opens with a foreign word for it: no other line is a
    "By ..." byline (the first test of ``byline``, cheap enough to make before any cache)."""
    return "by" in text.lower() or text[:12].lower().startswith(_FOREIGN_BY)


@lru_cache(maxsize=1024)
def _byline(text: str, not_authors: tuple[str, ...]) -> Byline | None:
    if not may_be_byline(text):
        return None
    pos = 0
    for part in split_parts(text):
        start = text.find(part, pos)
        pos = start + len(part)
        m = _BY.match(part)
        rule = "byline:by"
        if m is None:  # "Posted on 3 June 2024 by Jane Holm": the date first
            # (a part with no digit has no date: a story's sentence "... by X" is turned away
            # before the pattern tries every "by" in it)
            m = _DATE_BY.match(part) if _DIGIT.search(part) else None
            dates = dateline(m["date"])[0] if m is not None else ()
            # "Last edited 4 June 2024 by X": who changed the page, not who wrote it
            if not dates or any(d.role == "modified" for d in dates):
                continue
            rule = "byline:after-date"
        rest = m["rest"]
        offset = start + m.start("rest")
        tail = _DATE_AFTER_NAMES.search(rest)
        handle = _HANDLE_ENDING.search(rest) if "@" in rest else None
        if handle is not None and (tail is None or handle.start() < tail.start()):
            rest = rest[: handle.start()]
            pos = offset + handle.end()
        elif tail is not None:  # "By Jane Holm Published 3 March 2021": the names stop there
            rest = rest[: tail.start()]
            pos = offset + tail.start()
        said = _HANDLE.sub("", rest)
        if has_year(text[offset + len(rest) :]):
            said = _FOR_OUTLET.sub("", said)
        names, flags = _people(said, not_authors)
        if names is None:
            return None
        return Byline(names, rule, offset, offset + len(rest), flags, pos)
    return None


def may_be_bare_byline(text: str) -> bool:
    """Whether ``text`` is short and starts upper case: no other line is a bare byline (the
    first tests of ``bare_byline``)."""
    return len(text) <= 120 and text[0].isupper()


def bare_byline(text: str, not_authors: Collection[str] = ()) -> Byline | None:
    """Parse a line that is only names (``Jane Doe``, ``Jane Doe, Health Editor``)."""
    if len(text) > 120:
        return None
    return _bare_byline(text, not_authors if isinstance(not_authors, tuple) else tuple(not_authors))


# the header is probed line by line more than once (cluster search, then classing): the
# parses are memoized, as the datelines are
@lru_cache(maxsize=1024)
def _bare_byline(text: str, not_authors: tuple[str, ...]) -> Byline | None:
    if (
        len(text) > 120
        or words(text) > 12
        or not text[0].isupper()
        or ends_sentence(text)
        and not text.endswith(".")
        or _DIGIT.search(text)
    ):
        return None
    head = split_parts(text)[0]
    if not _CONTROL_WORDS.isdisjoint(head.lower().split()):
        return None
    if _POSSESSIVE.search(head.partition(",")[0]):
        return None  # "Ann Lee and Bo Chen's long goodbye": a headline naming people
    names, flags = _people(head, not_authors)
    if not names:
        return None
    return Byline(names, "byline:bare-name", 0, len(head), flags)


_POSSESSIVE = re.compile(r"\w['’]s\b")


def _people(
    rest: str, not_authors: tuple[str, ...]
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """Names in a byline remainder; None when a part is neither a person nor a known non-person."""
    blocked = _folded_names(not_authors) if not_authors else frozenset()
    people: list[str] = []
    flags: list[str] = []
    rest = rest.strip().rstrip(".")
    if "," in rest and not _LIST_JOINER.search(rest):
        # "Jane Holm, Tarn Valley Echo": after a lone comma comes a role or an affiliation
        rest, _, affiliation = rest.partition(",")
        flags.append("byline-affiliation-dropped")
    parts = _SPLIT_NAMES.split(rest) if _NAME_JOINERS.search(rest) else [rest]
    for k, raw in enumerate(parts):
        part = _once_by(_IN_PLACE.sub("", raw.strip()), k > 0)
        if not part or _display(part) in people:
            continue
        if part.casefold() in blocked or part.casefold().removeprefix("the ") in blocked:
            flags.append("byline-outlet-dropped")
            continue
        tokens = part.split()
        lowered = {t.lower().strip(".,") for t in tokens}
        if lowered & _AGENCIES or lowered & _ORG_WORDS:
            flags.append("byline-organisation-dropped")
            continue
        if lowered & _ROLE_WORDS:
            continue
        if _is_person(tokens):
            people.append(_display(part))
        elif not people:
            return None, ()
        elif len(tokens) == 1 and len(parts) > 1:
            # "Pellworth Fire and Rescue": the joiner sits inside one name, an organisation's
            return (), tuple(sorted({*flags, "byline-organisation-dropped"}))
    if not people and not flags:
        return None, ()
    return tuple(people), tuple(sorted(set(flags)))


def _once_by(part: str, joined: bool) -> str:
    """A name as a byline part holds it: "By" before a name ``joined`` to another dropped
    ("Ada Quill and By Jonas Pell"), and a name run into a byline of itself made one ("Jane
    Holm By Jane Holm": a picture's name, then the byline). Any other "By" stays, and no name
    holds one (``_is_person``): "Council Stands By Mayor" is no name."""
    if joined:
        part = part.removeprefix("By ")
    left, by, right = part.partition(" By ")
    return left if by and left == right else part


@lru_cache(maxsize=16)  # one collection's outlet names, asked for at every byline
def _folded_names(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


def _is_person(tokens: list[str]) -> bool:
    if not 2 <= len(tokens) <= 5 or all(t.lower() in _PARTICLES for t in tokens):
        return False
    if tokens[0].lower() in _SENTENCE_OPENERS:  # "In Ashcombe, the council ..."
        return False
    if any(t.lower().strip(".,") in _WEEKDAY_OR_MONTH for t in tokens):
        return False
    if "By" in tokens:  # "Jane Holm By Jane Holm": a name, then a byline; no one name
        return False
    if _sentence_ends_inside(tokens):
        return False
    return all(t.lower() in _PARTICLES or _TOKEN.match(t) for t in tokens)


def _sentence_ends_inside(tokens: list[str]) -> bool:
    """Whether a word's full stop ends a sentence among ``tokens``, the next word one that
    opens another ("Crews. In der Nacht", a wrapped paragraph's line); an initial's ("W.E.B.
    Du Bois") or an abbreviation's ("Capt. Bo Chen", "Mary St. John") full stop ends none."""
    return any(
        len(word) > 2  # an initial's ("Ursula K. Le Guin")
        and word.endswith(".")
        and "." not in word[:-1]
        and word.lower() not in _PARTICLES
        and following.lower() in _OPENS_AFTER_STOP
        for word, following in pairwise(tokens)
    )


# a word that opens a sentence: one a name's word never is, or an article no name holds ("Le
# Guin", "van der Berg")
_OPENS_AFTER_STOP = (
    _SENTENCE_OPENERS | wordset("the a an der die das le la les el los las il")
) - _PARTICLES


def _display(name: str) -> str:
    if name.isupper():
        return " ".join(
            t if len(t) <= 2 and t.endswith(".") else t.capitalize() for t in name.split()
        )
    return " ".join(name.split())


# --- the URL's slug -----------------------------------------------------------------------------

_SLUG_WORD = re.compile(r"[^\W\d_]+")
_SLUG_PARTS = re.compile(r"[-_+.~,\s]+")
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cms)$", re.IGNORECASE)


def slug_words(url: str | None) -> frozenset[str]:
    """The words of a URL's slug, folded (``_folded``): the letters-only parts of the path
    segment with the most (``/2024/06/ferry-returns-on-sundays.html``: ferry, returns, on,
    sundays; an id like ``5850a8e4`` is no word); none when no segment has three
    (``/story?id=4423``)."""
    if not url:
        return frozenset()
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:  # not a URL ("http://[host/..."): no slug to read
        return frozenset()
    best: frozenset[str] = frozenset()
    for segment in path.split("/"):
        parts = _SLUG_PARTS.split(_folded(_PAGE_SUFFIX.sub("", segment)))
        found = frozenset(part for part in parts if part.isalpha())
        if len(found) >= len(best):  # a tie: the later segment (a section comes first)
            best = found
    return best if len(best) >= 3 else frozenset()


def slug_agrees(text: str, slug: frozenset[str]) -> bool:
    """Whether a line says what the URL slug says: it holds at least 60% of the slug's words,
    and they are at least half of its own (a slug leaves out some small words; a menu or a
    related story's headline shares a word or two)."""
    return slug_share(text, slug) > 0


def slug_share(text: str, slug: frozenset[str]) -> float:
    """The share of the URL slug's words a line holds, when it says what the slug says
    (``slug_agrees``); else 0."""
    if not slug:
        return 0.0
    words = set(_SLUG_WORD.findall(_folded(text)))
    common = len(words & slug)
    if common >= 0.6 * len(slug) and common >= 0.5 * len(words):
        return common / len(slug)
    return 0.0


def slug_denies(text: str, slug: frozenset[str]) -> bool:
    """Whether a line in Latin letters shares none of a URL slug's words of four letters or
    more, when the slug has three: a headline the address does not name (a menu, a sign-in
    prompt, a cookie notice at the top of a saved page). A slug of fewer may be a section's
    code (``uk-england-cornwall-5629``); a headline in another script may be transliterated
    in its slug."""
    named = {word for word in slug if len(word) >= 4}
    folded = _folded(text)
    letters = [c for c in folded if c.isalpha()]
    if len(named) < 3 or 2 * sum(c.isascii() for c in letters) < len(letters):
        return False
    return named.isdisjoint(_SLUG_WORD.findall(folded))


# Latin letters that no decomposition takes to a base letter, as slugs spell them
_UNFOLDED = str.maketrans(
    {"đ": "d", "ð": "d", "ı": "i", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th"}
)


def _folded(text: str) -> str:
    """``text`` case-folded and without accents, as a URL's slug writes it ("Đảo Tây" and
    "dao-tay", "Fähre" and "fahre")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNFOLDED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))
