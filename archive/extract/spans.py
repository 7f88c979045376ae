"""Class every line of a capture: furniture, captions, header elements, story body.

The layout is decided in a fixed order, each step recording the rule that fired:

1. single-line rules (furniture kinds, captions, credits);
2. runs grown from a trigger (a support plea continues while the publisher speaks of itself;
   an error widget's indented lines; a comment section runs to the end of the capture); the
   list of a page's ``<link>`` elements that opens a Lynx dump;
3. the header: kicker, headline, standfirst, byline, dateline, up to the story's first line;
   where the capture's URL has a slug and the headline found by position does not say what
   it says (and has no byline or date below it, or shares no word with the slug), the line
   that does is the headline (a saved page's menus come first); a lone headline sharing no
   word with a slug of four words or more is none; a headline that is the page's title
   (``Story | Site``) gives way to the line below it that repeats its story part; in a
   capture hard-wrapped at a fixed width, the headline runs on to the lines it is wrapped on;
4. the rest is story body (with subheadings), except short trailing lines after it.

Body lines of one block are joined into one paragraph until a line ends a sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from itertools import compress

from archive.extract import captions, furniture, header
from archive.extract.dates import (
    DateFound,
    dateline,
    has_label,
    has_year,
    is_publication_label,
    is_update_label,
    relative_only,
    says_modified,
    says_published,
)
from archive.extract.lines import UNSPACED, Line, wordset
from archive.extract.outlets import NO_SITE_NAMES, SITE_NAME_CHARS, name_keys
from archive.model import Span

_HEADER_WINDOW = 14
_HAS_DIGIT = re.compile(r"\d")
_CLUSTER_WINDOW = 7  # content lines searched for a byline/dateline cluster
_STANDFIRST_MAX_WORDS = 60
_COMMENT_OVERRIDES = (None, "furniture-other", "furniture-share", "furniture-login")


@dataclass
class Layout:
    """The classification of a capture's lines, plus what the header yielded."""

    kinds: list[str | None]
    rules: list[str | None]
    headline: int | None = None
    standfirst: int | None = None
    body_start: int | None = None
    bylines: list[tuple[int, header.Byline]] = field(default_factory=list)
    dates: list[tuple[int, DateFound]] = field(default_factory=list)
    date_flags: list[str] = field(default_factory=list)


def layout(
    capture_text: str,
    lines: tuple[Line, ...],
    not_authors: Collection[str] = (),
    slug: frozenset[str] = frozenset(),
    site: frozenset[str] = frozenset(),
) -> Layout:
    """Class every line (see the module docstring for the order of rules). ``slug``: the
    words of the capture's URL slug (``header.slug_words``), which name its headline;
    ``site``: the keys of the names its address gives the site (``titles.domain_keys``), which
    no headline is."""
    n = len(lines)
    lay = Layout([None] * n, [None] * n)
    anchored = furniture.anchored_lines(capture_text, [ln.start for ln in lines])
    _single_line_rules(lines, lay, anchored)
    _grow_runs(lines, lay)
    _browser_links(lines, lay)
    _header(lines, lay, not_authors, slug, site)
    _wrapped_headline(lines, lay)
    _comments_tail(lines, lay)
    _body(lines, lay)
    return lay


_CACHED_LINE = 300  # longer lines (story paragraphs) rarely recur: not worth their memory


@lru_cache(maxsize=1 << 14)
def _line_class(text: str, checked: bool) -> tuple[str, str] | None:
    """(kind, rule) of a line by the single-line rules alone, or None; ``checked``: the line is
    short or holds an anchor, so the furniture and comment rules apply. Pure, so cached:
    furniture lines recur from capture to capture of an outlet."""
    found = None
    if checked:
        low = text.lower()
        words = furniture.line_words(low)
        rule = furniture.line_rule(text, low, words)
    else:
        low, words, rule = "", _NO_WORDS, None
    if rule is not None:
        found = (rule.kind, rule.rule_id)
    else:
        cap = captions.caption_rule(text)
        if cap is not None:
            found = ("credit" if captions.is_bare_credit(text) else "caption", cap)
        elif not captions.CREDIT_WORDS.isdisjoint(words):
            cred = captions.credit_rule(text)
            if cred is not None:
                found = ("credit", cred)
    if (
        low
        and (found[0] if found else None) in _COMMENT_OVERRIDES
        and furniture.is_comment_section(text, low, words)
    ):
        found = ("furniture-comments", "comments:line")
    return found


_NO_WORDS: frozenset[str] = frozenset()


# The header rules read the same few lines again and again (each candidate cluster start looks
# at its neighbours), and datelines and bylines recur across an outlet's captures: the readers
# are pure, so their answers are cached by line (and, for bylines, by the names that are not
# authors, when those can be a key).
_dateline = lru_cache(maxsize=1 << 14)(dateline)
_cached_byline = lru_cache(maxsize=1 << 14)(header.byline)
_cached_bare_byline = lru_cache(maxsize=1 << 14)(header.bare_byline)


_HASHABLE = (tuple, frozenset)  # the collections of names that can key a cache
_NO_DATES: tuple[tuple[DateFound, ...], tuple[str, ...]] = ((), ())


def _byline(text: str, not_authors: Collection[str]) -> header.Byline | None:
    if not header.may_be_byline(text):  # most header lines: tested before the caches
        return None
    if isinstance(not_authors, _HASHABLE):
        return _cached_byline(text, not_authors)
    return header.byline(text, not_authors)


def _bare_byline(text: str, not_authors: Collection[str]) -> header.Byline | None:
    if not header.may_be_bare_byline(text):
        return None
    if isinstance(not_authors, _HASHABLE):
        return _cached_bare_byline(text, not_authors)
    return header.bare_byline(text, not_authors)


def _set(lay: Layout, i: int, kind: str, rule: str) -> None:
    lay.kinds[i] = kind
    lay.rules[i] = rule


def _single_line_rules(lines: tuple[Line, ...], lay: Layout, anchored: set[int]) -> None:
    short = furniture.SHORT_LINE
    story_ends, stops = captions.STORY_ENDS, captions.CAPTION_STOPS
    kinds, rules = lay.kinds, lay.rules
    for i, ln in enumerate(lines):
        text = ln.text
        n = len(text)
        checked = n <= short or i in anchored
        if (
            not checked
            and text[-1] in story_ends
            and "ictured" not in text
            and not text.endswith(stops)
        ):
            continue  # a story sentence, which caption_rule turns away by its ending
        # a long line without an anchor meets only the caption rules; one that ends no
        # sentence recurs as often as a short one (a sign-in prompt run together), so it is
        # cached too
        classify = _line_class if n <= _CACHED_LINE else _line_class.__wrapped__
        found = classify(text, checked)
        if found is not None:
            kinds[i], rules[i] = found
    n = len(lines)
    if "furniture-share" in kinds:
        for i in range(1, n):
            # the rest of a share bar printed one item a line ("Share this article / Copy link /
            # Email")
            if _joins_share_bar(lines, kinds, i, i - 1):
                _set(lay, i, "furniture-share", "share:bar-item")
        for i in range(n - 2, -1, -1):
            # and its items above the line it is known by ("* Print / * E-mail / Share"); not
            # a line of the story ending a sentence ('"Listen."' above "Share this story")
            if lines[i].text[-1] not in story_ends and _joins_share_bar(lines, kinds, i, i + 1):
                _set(lay, i, "furniture-share", "share:bar-item")
    if "caption" in kinds:
        # a caption printed twice, the second time with a longer credit
        for i in range(n - 1):
            if (
                kinds[i] is None
                and kinds[i + 1] == "caption"
                and len(lines[i].text) >= 20
                and lines[i + 1].text.startswith(lines[i].text)
            ):
                _set(lay, i, "caption", "caption:repeated")


# the kinds a run grows from
_RUN_STARTS = frozenset({"furniture-error", "furniture-related", "furniture-support"})


def _joins_share_bar(lines: tuple[Line, ...], kinds: list[str | None], i: int, beside: int) -> bool:
    """Whether unclassed line ``i`` is an item of the share bar line ``beside`` belongs to, in
    its block."""
    return (
        kinds[i] is None
        and kinds[beside] == "furniture-share"
        and lines[i].block == lines[beside].block
        and furniture.is_share_item(lines[i].text)
    )


def _grow_runs(lines: tuple[Line, ...], lay: Layout) -> None:
    kinds = lay.kinds
    # the lines of those kinds, picked in C; ``kinds`` is read as the loop goes, so a line a
    # run took is seen with its new kind, as when every line was visited
    for i in compress(range(len(lines)), map(_RUN_STARTS.__contains__, kinds)):
        ln, kind = lines[i], kinds[i]
        if kind == "furniture-error":
            # the widget's further lines sit indented in the same block
            j = i + 1
            while (
                j < len(lines)
                and kinds[j] is None
                and lines[j].block == ln.block
                and (lines[j].indent > 0 and header.words(lines[j].text) <= 8)
            ):
                _set(lay, j, kind, "error:widget-line")
                j += 1
        elif kind == "furniture-related" and lay.rules[i] == "related:heading":
            # the list of links under the heading: short lines of the same block
            j = i + 1
            while (
                j < len(lines)
                and kinds[j] is None
                and lines[j].block == ln.block
                and header.words(lines[j].text) <= 20
                and not lines[j].text.endswith(".")
            ):
                _set(lay, j, kind, "related:link")
                j += 1
        elif kind == "furniture-support" and (i == 0 or kinds[i - 1] != "furniture-support"):
            j = i + 1
            while j < len(lines) and (
                kinds[j] == "furniture-support"
                or kinds[j] is None
                and furniture.is_support_continuation(lines[j].text)
            ):
                if kinds[j] is None:
                    _set(lay, j, kind, "support:continuation")
                j += 1
            if i > 0 and kinds[i - 1] is None and _is_run_heading(lines[i - 1], ln):
                _set(lay, i - 1, kind, "support:heading")


def _is_run_heading(prev: Line, first: Line) -> bool:
    return (
        header.words(prev.text) <= 8
        and not _HAS_DIGIT.search(prev.text)  # a dateline above a plea is no heading
        and not prev.text.startswith(("By ", "by "))
        and not prev.text.endswith((".", ",", ";"))
        and first.block - prev.block <= 1
    )


def _content(lay: Layout, start: int, stop: int) -> list[int]:
    return [i for i, kind in enumerate(lay.kinds[start:stop], start) if kind is None]


def _header(
    lines: tuple[Line, ...],
    lay: Layout,
    not_authors: Collection[str],
    slug: frozenset[str],
    site: frozenset[str],
) -> None:
    todo = _content(lay, 0, len(lines))
    if not todo:
        return
    before = _copy(lay)
    _header_read(lines, lay, todo, _header_start(lines, lay, todo, not_authors, site), not_authors)
    _header_named(lines, lay, todo, not_authors, slug, before)
    title = lay.headline if lay.headline is not None else todo[0]
    named = _repeating(lines, todo, title, not_authors, site)
    if named is not None:
        # The headline read, or the first line of a capture read with none, is the page's
        # title ("Story | Site") over the story's own headline: the line repeating its start.
        _restore(lay, before)
        pos = _named_header(lines, lay, todo, named, not_authors, "headline:page-title")
        _set(lay, title, "furniture-other", "header:page-title")  # not running text
        _header_read(lines, lay, todo, pos, not_authors)


# Lynx's dump starts with the page's ``<link>`` elements, after a ``#`` (an image's alt text
# in brackets may come first), indented: feeds, "alternate", "Site » Comments Feed".
_LINK_LIST = re.compile(r"(?:\[[^\]]*\]\s*)*#[^\s#]")
# what only such a list holds: a feed's name, a link's rel for want of a title ("alternate" at
# the end of a line, "#alternate"), Lynx's "»" between a site and a feed; not "feeds" or an
# "alternate route" in a headline
_LINK_WORDS = re.compile(
    r"\b(?:RSS|Atom|Feed|feed)\b|\balternate$|\balternate alternate\b|»|"
    r"^(?:\[[^\]]*\]\s*)*#(?:alternate|publisher|next|start)\b"
)


def _browser_links(lines: tuple[Line, ...], lay: Layout) -> None:
    """The first block of a page as Lynx dumps it, when it is its list of the page's
    ``<link>`` elements (``   #Site » Feed Site » Comments Feed alternate``): no part of the
    story, though it may repeat its title. An indented line opening with a hashtag, with no
    feed or "alternate" in its block, is left as it is."""
    if not lines or lines[0].indent < 3 or not _LINK_LIST.match(lines[0].text):
        return
    block = [i for i, ln in enumerate(lines) if ln.block == lines[0].block]
    if any(_LINK_WORDS.search(lines[i].text) for i in block):
        for i in block:
            _set(lay, i, "furniture-other", "header:link-list")


# A capture hard-wrapped at a fixed width (a text browser's dump, 72-80 columns): its lines
# that a paragraph goes on from nearly all end within this many columns of the widest.
_WRAP_SLACK = 15
_WRAP_MAX = 100  # wider lines are no terminal's or mail's wrapping
_WRAP_LINES = 5  # such lines needed to tell the width
_WRAP_OUTLIER = 8  # columns past the width nine in ten such lines stay within
_WRAP_FIT = 3  # columns the width read off the other lines may be off the true one
_WRAP_BLOCKS = 2  # blocks they must come from: one poem, address or timetable is no wrapping
# a list item's marker: an item's lines are no paragraph's
_LIST_ITEM = re.compile(r"(?:[-*•+·▪◦□o–]|\d{1,3}[.)]|\(\w{1,3}\)|\[\d{1,3}\])\s")


def _wrapped_headline(lines: tuple[Line, ...], lay: Layout) -> None:
    """In a capture hard-wrapped at a fixed width, the lines right below the headline that it
    runs on to are the headline's too, in its span (``headline:...``, its rule): the next
    lines of its block that may carry it on (``_may_run_on``) and whose first word would not
    have fit on the line above (``_wrapped_at``). The body then starts below them. A line whose
    rest, left unclassed by the header, makes a sentence in lower case is a paragraph's first
    line, and no headline."""
    h = lay.headline
    if h is None or not _may_run_on(lines, lay, h, h + 1):
        return
    width = wrap_width(lines, skip=h)
    if width is None:
        return
    last = h
    while _may_run_on(lines, lay, h, last + 1) and _wrapped_at(lines[last], lines[last + 1], width):
        last += 1
    if last == h:
        return
    joined = " ".join(ln.text for ln in lines[h : last + 1])
    if not header.is_headline_like(joined) or _full_stop(joined):
        rest = lines[h + 1].text.split(None, 1)[0]
        if (
            _full_stop(joined)
            and rest.islower()  # not "eBay", "iPhone": a standfirst may start so
            and all(lay.kinds[i] is None for i in range(h + 1, last + 1))
        ):
            # what the line runs on to, which the header left unclassed, is the rest of a
            # sentence, so its first line, cut at the width, is a paragraph's, no headline
            lay.kinds[h] = lay.rules[h] = None
            lay.headline = None
            if lay.body_start == h + 1:
                lay.body_start = h
        return
    for i in range(h + 1, last + 1):
        _set(lay, i, "headline", lay.rules[h])
        if lay.standfirst == i:
            lay.standfirst = None
    if lay.body_start is not None and h < lay.body_start <= last:
        below = range(last + 1, len(lines))
        lay.body_start = next((i for i in below if lay.kinds[i] is None), None)


def _may_run_on(lines: tuple[Line, ...], lay: Layout, h: int, i: int) -> bool:
    """Whether line ``i`` may carry on the headline ``h`` (which ends at line ``i - 1``): the
    next line of its block, as indented, after a line that ends no sentence; unclassed (or
    taken for the standfirst or put above a byline, when it starts in lower case); no byline
    or dateline; in the case the headline is written in (``_goes_on``)."""
    if i >= len(lines) or lines[i].block != lines[h].block or lines[i].indent != lines[h].indent:
        return False
    text = lines[i].text
    if header.ends_sentence(lines[i - 1].text) or not _goes_on(lines[h].text, text):
        return False
    # a line the header took for its standfirst, or put above the byline, goes on with the
    # headline only when it starts in lower case, as no standfirst does
    if lay.kinds[i] is not None and not (
        (lay.kinds[i] == "standfirst" or lay.rules[i] == "header:above-byline")
        and text[0].islower()
    ):
        return False
    # (a name alone is no byline here: "Mountain Peak" reads as one; the header classes a
    # bare name as a byline beside a date)
    return not _dated_or_by(text, ())


_LEADING_QUOTES = "\"'‘“ʼ«"


def _goes_on(headline: str, text: str) -> bool:
    """Whether ``text`` is written in the case of ``headline`` as its continuation would be:
    every word of four letters or more capitalised, when the headline's are (``Lost City
    Atop a Greek`` / ``Mountain Peak``); else starting in lower case (``workers, who`` /
    ``remain worried``). A label below a headline (``Opinion``, ``Staff reporter``) seldom
    is."""
    if _title_cased(headline):
        return _title_cased(text)
    first = text.lstrip(_LEADING_QUOTES)[:1]
    return first.islower() or first.isdigit()


# words a title-cased headline may leave in lower case (Chicago's prepositions and the like)
_TITLE_LOWER = wordset(
    """
    with from into onto over upon than that after about under while without within between
    through across against during among until toward towards
    """
)


def _title_cased(text: str) -> bool:
    long = [w.lstrip(_LEADING_QUOTES) for w in text.split()]
    long = [w for w in long if len(w) >= 4 and w[0].isalpha() and w not in _TITLE_LOWER]
    return bool(long) and all(w[0].isupper() for w in long)


def _wrapped_at(line: Line, following: Line, width: int) -> bool:
    """Whether ``following`` goes on with ``line`` in text wrapped at ``width``: ``line`` fits
    the width, and the first word of ``following`` would have taken it past it. Read off the
    other lines, the width may be a column or two off the true one: both tests allow
    ``_WRAP_FIT`` columns for it."""
    end = line.indent + len(line.text)
    after = end + 1 + len(following.text.split(None, 1)[0])
    return end <= width + _WRAP_FIT and after > width - _WRAP_FIT


def wrap_width(lines: tuple[Line, ...], skip: int | None = None) -> int | None:
    """The width a capture is hard-wrapped at, or None when it is not. Read off the lines of
    running text (eight words or more, no list item) that the next line of their block goes
    on from, in two blocks or more: the width nine in ten of them stay within (or the widest
    of them a few columns past it), when at most ``_WRAP_MAX`` and when most of them end
    within ``_WRAP_SLACK`` columns of it. Line ``skip`` (the headline under question) is not
    counted. Text with a paragraph a line has no such lines."""
    wrapped = [
        i
        for i, ln in enumerate(lines[:-1])
        if i != skip
        and lines[i + 1].block == ln.block
        and ln.text.count(" ") >= 7
        and len(ln.text) >= 40
        and not _LIST_ITEM.match(ln.text)
        and not _LIST_ITEM.match(lines[i + 1].text)
    ]
    if len(wrapped) < _WRAP_LINES or len({lines[i].block for i in wrapped}) < _WRAP_BLOCKS:
        return None
    widths = sorted(lines[i].indent + len(lines[i].text) for i in wrapped)
    width = widths[(len(widths) - 1) * 9 // 10]
    if width > _WRAP_MAX:
        return None
    full = len(widths) - bisect_left(widths, width - _WRAP_SLACK)
    if 2 * full < len(widths):
        return None
    # the widest line near the tenth from the top: a wrap leaves its fullest lines a column or
    # two short of the width, a table row or a link may stand far past it
    return widths[bisect_left(widths, width + _WRAP_OUTLIER) - 1]


def _header_named(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    not_authors: Collection[str],
    slug: frozenset[str],
    before: Layout,
) -> None:
    """Where the URL's slug names another headline than the one read (``lay``; ``before`` it
    was read), read the header from the line it names."""
    if not slug:
        return
    taken = lines[lay.headline].text if lay.headline is not None else None
    if taken is not None and header.slug_agrees(taken, slug):
        return
    denied = taken is not None and header.slug_denies(taken, slug)
    dated = bool(lay.bylines or lay.dates)
    if taken is not None and dated and not denied:
        return  # a headline read with its byline or date, which the URL does not contradict
    named = _slug_headline(lines, lay, todo, slug, denied)
    if named is None:
        if denied and not dated:  # a menu item or a prompt, alone
            _set(lay, lay.headline, "furniture-other", "header:not-in-url")
            lay.headline = None
        return
    # The URL names another line than the one the layout took (a saved page's menus come
    # first): that line is the headline, and what stands above it the page's top.
    _restore(lay, before)
    pos = _named_header(lines, lay, todo, named, not_authors, "headline:url-slug")
    _header_read(lines, lay, todo, pos, not_authors)


# Content lines below a page's title searched for the line repeating its story part: a page
# saved with its title first may hold its whole navigation (a news site's menus, two or three
# hundred lines) above the story's headline. Only lines of the page's top may stand between.
_PAGE_TITLE_WINDOW = 1000
_TOP_SENTENCE_WORDS = 60  # words of sentences a far page's top may hold

# What separates the parts of a page's title ("Story | Site", "Story — Site", "Story : Show :
# Site"): a saved page may start with its title, above the story's own headline
_TITLE_PARTS = re.compile(r"\s+(?:[|·•:»—–-]|::)\s+|\s*\|\s*")
# a Japanese or Chinese title sets its site apart by a full-width bar or colon too ("記事｜Site",
# "記事：朝日新聞デジタル")
_UNSPACED_TITLE_PARTS = re.compile(_TITLE_PARTS.pattern + r"|\s*｜\s*|\s*：\s*")
_TITLE_PART_MARKS = frozenset("|·•:»—–-：｜")  # a title without one has one part
_QUOTES = str.maketrans("‘’“”", "''\"\"")


def _repeating(
    lines: tuple[Line, ...],
    todo: list[int],
    title: int,
    not_authors: Collection[str],
    site: frozenset[str],
) -> int | None:
    """The position (in ``todo``) of the line that repeats the story's part of the page title
    ``title`` (``Story | Site``, ``Story – Dek | Site``), one of the first ``_SLUG_WINDOW``
    content lines, below it among the next ``_PAGE_TITLE_WINDOW``, with no byline or paragraph
    of the story above it (a line of the story repeating the title is no headline); None if
    ``title`` is no such title or none repeats it. The story's part is what stands before a
    separator, the longest first, that could be a headline (``_story_part``). A date between
    them may be the site's banner of the day: ``_named_header`` reads one right above the
    headline as the story's, and one farther up as the page's top."""
    text = lines[title].text
    pos = bisect_left(todo, title)
    if pos >= _SLUG_WINDOW or len(text) > 300 or _TITLE_PART_MARKS.isdisjoint(text):
        return None
    stop = min(len(todo), pos + _PAGE_TITLE_WINDOW)
    cuts = _UNSPACED_TITLE_PARTS if UNSPACED.search(text) else _TITLE_PARTS
    for cut in reversed([*cuts.finditer(text)]):
        part, tail = text[: cut.start()].rstrip(), text[cut.end() :]
        if not _site_part(tail) or not _story_part(part, not_authors, site):
            continue
        if "：" in cut.group() and _UNSPACED_TITLE_PARTS.search(tail):
            continue  # "会社名：黒字転換 - Site": after a colon, what a name did, then the site
        key = _compared(part)
        named = next(
            (
                below
                for below in range(pos + 1, stop)
                if abs(len(lines[todo[below]].text) - len(part)) <= 2
                and _compared(lines[todo[below]].text) == key
            ),
            None,
        )
        if named is not None:
            unspaced = UNSPACED.search(part) is not None
            between = _only_top_between(lines, todo, pos, named, not_authors, unspaced)
            return named if between else None
    return None


def _site_part(tail: str) -> bool:
    """Whether what follows a page title's separator reads as the site's part (``Site``,
    ``Section | Site``, ``Show : Site``, ``by Author | Site``): a few words, the first
    capitalised; not the rest of a headline (``Name – why I left the board``)."""
    if not tail or header.words(tail) > 8:
        return False
    if UNSPACED.search(tail):  # no capitals to tell: the site's name by its words
        return _unspaced_site_part(tail)
    return tail[0].isupper() or tail[0].isdigit() or tail.startswith("by ")


_UNSPACED_SITE_CHARS = 25
# Words that end a Japanese or Chinese publication's name ("朝日新聞デジタル", "潮見台日報"), or
# open it ("週刊アスキー"); a brand in Latin letters, with its reading in brackets
# ("TECH+（テックプラス）", "BUZZAP！（バザップ！）")
_SITE_ENDINGS = re.compile(
    r"(?:新聞|新報|日報|時報|通信|デジタル|オンライン|ジャパン|日本版|新闻|日报|晚报|时报|新聞網|新闻网|中文网)"
    r"[\]］)）」]*(?:\s+[A-Za-z][\w.+-]*)*$"
)
_SITE_OPENINGS = re.compile(r"^(?:週刊|月刊)")
_LATIN_BRAND = re.compile(r"[A-Za-z][A-Za-z0-9 .+&'’!！?？-]*(?:[（(][^（）()]{1,20}[）)])?")


def _unspaced_site_part(tail: str) -> bool:
    """Whether a page title's part in kana or ideographs is its site's: one publication's
    name alone, with no kana particle of a phrase (hiragana), ending in a publication's word
    ("朝日新聞デジタル", "ガジェット通信 GetNews") or opening with 週刊 or 月刊 ("週刊アスキー"),
    or a brand in Latin letters with its reading ("TECH+（テックプラス）"). A headline's rest, a
    speaker's words after a colon, a series' episode or an author are none ("第3回 日曜運航の
    再開｜潮見台新報", "JR線の運休で利用者が過去最多", "山田花子｜潮見台新報")."""
    if len(tail) > _UNSPACED_SITE_CHARS or _UNSPACED_TITLE_PARTS.search(tail):
        return False
    if _LATIN_BRAND.fullmatch(tail):
        return True
    if _HIRAGANA.search(tail):
        return False
    return bool(_SITE_ENDINGS.search(tail) or _SITE_OPENINGS.match(tail))


_HIRAGANA = re.compile(r"[\u3041-\u309f]")


def _spaced_story_part(part: str) -> bool:
    return header.words(part) >= 3 and part[0].isupper() and not _full_stop(part)


def _unspaced_story_part(part: str) -> bool:
    """Japanese or Chinese, words without spaces: as long as a headline, a third of it kana or
    ideographs, no sentence's end."""
    return (
        8 <= len(part) <= 100
        and 3 * len(UNSPACED.findall(part)) >= len(part)
        and not part.endswith(header.CJK_STOPS)
        and not _unspaced_site_part(part)  # "潮見台新報デジタル｜…": the site's name first
    )


def _story_part(part: str, not_authors: Collection[str], site: frozenset[str]) -> bool:
    """Whether a page title's ``part`` could be the story's headline: three words or more, no
    full stop (or, Japanese or Chinese, as long as a headline), no date or byline, no name of
    the site or of a known outlet (``Tarn Valley Echo - Story`` has its logo line below it
    too; a date may stand where a headline does)."""
    if not (_spaced_story_part(part) or _unspaced_story_part(part)):
        return False
    if _dated_or_by(part, not_authors):
        return False
    return not _names_site(part, not_authors, site, shortened=True)


def _only_top_between(
    lines: tuple[Line, ...],
    todo: list[int],
    pos: int,
    named: int,
    not_authors: Collection[str],
    unspaced: bool = False,
) -> bool:
    """Whether only a page's top stands between ``todo[pos]`` and ``todo[named]``: no
    paragraph of the story (with ``unspaced``, a Japanese or Chinese title's, none in those
    scripts either), no "By" line (a bare name is not told from a menu's item)."""
    far, said, paragraphs, dated = named - pos > _SLUG_WINDOW, 0, 0, False
    for below in range(pos + 1, named):
        text = lines[todo[below]].text
        if header.ends_sentence(text) and _story_paragraph(lines, todo, below):
            return False
        if unspaced:
            # a notice in the menus is one paragraph; a story's are more, or one under a date
            dated = dated or bool(_dateline(text)[0])
            if _unspaced_paragraph(text):
                paragraphs += 1
                if paragraphs > 1 or dated:
                    return False
        # past the slug's window, a page's menus hold a few sentences at most (a prompt, a
        # notice); a story of short paragraphs holds many
        if far:
            said += _sentence_words(text)
            if said > _TOP_SENTENCE_WORDS:
                return False
        if len(text) <= 200 and _byline(text, not_authors) is not None:
            return False
    return True


def _unspaced_paragraph(text: str) -> bool:
    """A Japanese or Chinese paragraph of the story: a line of :data:`_UNSPACED_PARAGRAPH`
    characters or more that ends a sentence (。！？), mostly kana or ideographs."""
    return (
        len(text) >= _UNSPACED_PARAGRAPH
        and _CLOSING.sub("", text).endswith(header.CJK_STOPS)
        and 2 * len(UNSPACED.findall(text)) >= len(text)
    )


_UNSPACED_PARAGRAPH = 8
# what may close a sentence after its stop: quotation marks, brackets, a source ("（共同）")
_CLOSING = re.compile(r"(?:[（(][^（）()]{1,12}[）)]|[」』”’）)\s])+$")


def _sentence_words(text: str) -> int:
    """The words of a line that is a sentence of prose (a page's top holds few), else 0."""
    return header.words(text) if header.ends_sentence(text) and _prose(text) else 0


def _compared(text: str) -> str:
    return " ".join(text.translate(_QUOTES).casefold().split())


def _header_start(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    not_authors: Collection[str],
    site: frozenset[str],
) -> int:
    """Class the top of the capture (headline, or what stands above the byline cluster); the
    position in ``todo`` where the header reading goes on."""
    cluster = _cluster_start(lines, lay.kinds, todo, not_authors)
    pos = None
    if cluster:
        pos = _header_before_cluster(lines, lay, todo, cluster, not_authors, site)
    if pos is None:
        pos = _header_from_top(lines, lay, todo, not_authors, site)
    return pos


def _masthead(
    text: str, not_authors: Collection[str], site: frozenset[str], below: str | None
) -> bool:
    """Whether a line of the page's top is the site's name (``_names_site``), which no
    headline is. A name the address shortens only over a line ``below`` that is neither a
    sentence nor a byline or dateline: a headline that happens to spell the address's
    initials and last word has its byline or its story below it, a masthead the headline or
    the site's menus."""
    shortened = (
        bool(site)  # no address, no name it shortens: the line below is not read
        and below is not None
        and not header.ends_sentence(below)
        and not _dated_or_by(below, not_authors)
    )
    return _names_site(text, not_authors, site, shortened=shortened)


def _names_site(
    text: str, not_authors: Collection[str], site: frozenset[str], *, shortened: bool
) -> bool:
    """Whether ``text`` is a known outlet's name (``header.masthead_name``) or one the address
    spells (``site``: ``slate`` for "Slate"); with ``shortened``, also one it shortens ("The
    New York Times" at nytimes.com, ``outlets.name_keys``)."""
    if header.masthead_name(text, not_authors):
        return True
    if not site:
        return False
    keys = name_keys(text)
    if keys and keys[0] in site and keys[0] not in NO_SITE_NAMES:  # "News" at news.com.au
        return True
    return shortened and len(text) <= SITE_NAME_CHARS and not site.isdisjoint(keys[1:])


# Content lines searched for the one the URL's slug names: a saved page's menus can fill
# dozens of lines above its headline.
_SLUG_WINDOW = 80


def _slug_headline(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    slug: frozenset[str],
    denied: bool,
) -> int | None:
    """The position (in ``todo``) of the line that says most of what the URL slug says
    (``header.slug_share``; of two saying as much, the first) and reads as a headline (no full
    stop at its end: a lede's first sentence may say what the slug says): a line of its own
    (no paragraph's first line, wrapped), among the first ``_SLUG_WINDOW``, above the story's
    first paragraph (``_story_paragraph``). None if there is none, or if it is the standfirst
    or the line below the headline the layout took, and the URL did not deny that headline
    (``denied``). A teaser of a related story above the headline says less of the slug."""
    best, best_share = None, 0.0
    for pos, i in enumerate(todo[:_SLUG_WINDOW]):
        line = lines[i]
        share = header.slug_share(line.text, slug)
        if (
            share > best_share
            and header.is_headline_like(line.text)
            and not _full_stop(line.text)
            and not _continued(lines, todo, pos)
            and not _player_label(lines, todo, pos)
        ):
            best, best_share = pos, share
        if header.ends_sentence(line.text) and _story_paragraph(lines, todo, pos):
            break  # the story has begun: a line below it is no headline
    under = best is not None and lay.headline is not None and _under_headline(lay, todo, best)
    return None if under and not denied else best


def _player_label(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """Whether ``todo[pos]`` is a recording's name and length ("Fork The Government 24:37")
    beside an audio player's "Transcript" or "Embed": a player's label, not the story's
    headline. A score or a race time ends a headline too ("... 31:28"), with a video's "Play"
    or "Download" beside it."""
    if _LENGTH_AT_END.search(lines[todo[pos]].text) is None:
        return False
    near = (todo[k] for k in (pos - 1, pos + 1) if 0 <= k < len(todo))
    return any(lines[i].text.lstrip("*•-· ").casefold() in _PLAYER_WORDS for i in near)


_LENGTH_AT_END = re.compile(r"\s\d{1,3}:[0-5]\d(?::[0-5]\d)?$")
_PLAYER_WORDS = frozenset({"transcript", "embed"})


def _full_stop(text: str) -> bool:
    """Whether a line ends in a full stop, not an abbreviation's ("... With U.S.")."""
    return text.endswith(".") and "." not in text.rsplit(None, 1)[-1][:-1]


def _continued(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """Whether the next line goes on with ``todo[pos]``: a paragraph wrapped over lines, its
    next line in the same block starting in lower case."""
    return _block_goes_on(lines, todo, pos) and lines[todo[pos + 1]].text[:1].islower()


def _under_headline(lay: Layout, todo: list[int], pos: int) -> bool:
    """Whether ``todo[pos]`` is part of what the layout read under its headline: the line
    right below it, or a line above where the body starts."""
    i = todo[pos]
    if pos > 0 and todo[pos - 1] == lay.headline:
        return True
    return lay.body_start is not None and lay.headline < i < lay.body_start


def _block_lines(lines: tuple[Line, ...], todo: list[int], pos: int) -> list[str]:
    """The lines of ``todo[pos]``'s block, up to it."""
    block = lines[todo[pos]].block
    first = pos
    while first > 0 and lines[todo[first - 1]].block == block:
        first -= 1
    return [lines[todo[k]].text for k in range(first, pos + 1)]


def _prose(text: str) -> bool:
    """A line of running text: a sentence of a few words, or a long line (a paragraph wrapped
    over lines); no list item, no teaser cut off with an ellipsis."""
    if text.startswith(header.BULLETS) or text.endswith(("…", "...")):
        return False
    n = header.words(text)
    return n >= _PROSE_LINE or n >= _SENTENCE_WORDS and header.ends_sentence(text)


def _listing(texts: list[str]) -> bool:
    """Whether a block holds a list item (a menu's, a page's links)."""
    return any(text.startswith(header.BULLETS) for text in texts)


def _prose_block(texts: list[str]) -> bool:
    """A block of running text: no list item in it, and mostly prose lines, or a sentence
    wrapped over short lines (a narrow column); a menu's items, set one a line, are not."""
    if _listing(texts):
        return False
    if 2 * sum(_prose(text) for text in texts) >= len(texts):
        return True
    words = sum(header.words(text) for text in texts)
    ends = any(header.ends_sentence(t) and header.words(t) >= _SENTENCE_WORDS for t in texts)
    return ends and words >= _NARROW_LINE * len(texts)


def _story_paragraph(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """Whether ``todo[pos]`` (which ends a sentence) ends a paragraph of the story: a line of
    ``_STORY_WORDS`` words or more, or a paragraph of as many wrapped over lines (each line
    above it in its block long, ending no sentence, no list item). A short line with no long
    line above it is told at once: the block is read only otherwise, and a dump may hold
    thousands of short lines in one."""
    if header.words(lines[todo[pos]].text) < _STORY_WORDS and not (
        pos > 0
        and lines[todo[pos - 1]].block == lines[todo[pos]].block
        and header.words(lines[todo[pos - 1]].text) >= _PROSE_LINE
    ):
        return False
    texts = _block_lines(lines, todo, pos)
    if _listing(texts):
        return False
    wrapped = []
    for text in reversed(texts[:-1]):
        if header.words(text) < _PROSE_LINE or header.ends_sentence(text) or not _prose(text):
            break
        wrapped.append(text)
    return sum(header.words(t) for t in [texts[-1], *wrapped]) >= _STORY_WORDS


# Words of a paragraph that shows the story has begun (a page's notices and prompts above a
# headline are shorter, or are furniture already); of a line of running text; of a sentence
_STORY_WORDS = 20
_PROSE_LINE = 8
_SENTENCE_WORDS = 3
_NARROW_LINE = 4  # words a line, on average, of a paragraph set in a narrow column


def _named_header(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    named: int,
    not_authors: Collection[str],
    headline_rule: str,
) -> int:
    """Class ``todo[named]`` as the headline (by ``headline_rule``); above it, a byline or
    date on the two lines right above is read as such, a block of running text stays in the
    body (the line the URL names may be a subheading of a story of short paragraphs: nothing
    of the story is lost), the rest is the page's top (furniture). Returns the position after
    the headline."""
    running: dict[int, bool] = {}  # block -> whether it is running text, judged once
    for pos in range(named):
        i = todo[pos]
        text = lines[i].text
        if pos >= named - 2 and _meta(lines, lay, i, not_authors, todo, pos) is not None:
            continue
        block = lines[i].block
        if block not in running:
            running[block] = _prose_block(_whole_block(lines, todo, pos, named))
        if running[block]:
            _set(lay, i, "body", "body:above-headline")
            continue
        rule = "header:masthead" if header.masthead_name(text, not_authors) else None
        _set(lay, i, "furniture-other", rule or "header:above-headline")
    _set(lay, todo[named], "headline", headline_rule)
    lay.headline = todo[named]
    return named + 1


def _whole_block(lines: tuple[Line, ...], todo: list[int], pos: int, stop: int) -> list[str]:
    """The lines of ``todo[pos]``'s block, above position ``stop``."""
    block = lines[todo[pos]].block
    last = pos
    while last + 1 < stop and lines[todo[last + 1]].block == block:
        last += 1
    return _block_lines(lines, todo, last)


def _copy(lay: Layout) -> Layout:
    """A copy of ``lay`` that later changes to it do not reach (made for every capture: its
    fields are named, not looked up)."""
    return Layout(
        list(lay.kinds),
        list(lay.rules),
        lay.headline,
        lay.standfirst,
        lay.body_start,
        list(lay.bylines),
        list(lay.dates),
        list(lay.date_flags),
    )


def _restore(lay: Layout, saved: Layout) -> None:
    """Put every field of ``lay`` back as ``saved`` holds it (lists copied)."""
    for name in _LAYOUT_FIELDS:
        value = getattr(saved, name)
        setattr(lay, name, list(value) if isinstance(value, list) else value)


_LAYOUT_FIELDS = tuple(f.name for f in fields(Layout))


def _header_read(
    lines: tuple[Line, ...], lay: Layout, todo: list[int], pos: int, not_authors: Collection[str]
) -> None:
    """Read the header on from ``todo[pos]``: bylines, datelines, a kicker, the headline below
    them, the standfirst; the body starts where it ends."""
    limit = min(len(todo), pos + _HEADER_WINDOW)
    seen_meta = False
    while pos < limit:
        i = todo[pos]
        kind = _meta(lines, lay, i, not_authors, todo, pos)
        if kind is not None:
            seen_meta = True
            pos += 1
            continue
        text = lines[i].text
        if header.is_lead_in(text):
            break
        if lay.headline is None and seen_meta:
            if _headline_below_meta(lines, lay, todo, pos, not_authors):
                _set(lay, i, "headline", "headline:below-dateline")
                lay.headline = i
                pos += 1
                continue
            if header.is_kicker(text):  # a section's label between the date and the headline
                _set(lay, i, "furniture-other", "header:kicker")
                if _headline_below_meta(lines, lay, todo, pos + 1, not_authors):
                    pos += 1
                    continue
                lay.kinds[i] = lay.rules[i] = None
        if (
            lay.headline is not None
            and lay.standfirst is None
            and not seen_meta
            and pos > 0
            and todo[pos - 1] == lay.headline
            and header.is_standfirst_like(text)
            # "Most read" between: the line is a related story's headline
            and _OTHER_STORIES.isdisjoint(lay.kinds[lay.headline : i])
            and _header_follows(lines, lay, todo, pos, not_authors)
            and not _footer(lines, todo, pos + 1, not_authors)
        ):
            _set(lay, i, "standfirst", "standfirst:after-headline")
            lay.standfirst = i
            pos += 1
            continue
        below = _meta_below(lines, lay, todo, pos, limit, not_authors)
        if below is not None:
            _passed_to_meta(lines, lay, todo, pos, below)
            pos = below
            continue
        break
    if pos < len(todo):
        lay.body_start = todo[pos]


# Lines the header is read past, under a headline, to the byline or date below them: one line (a
# dek, a label such as "Published", the newsroom's name under its reporter's), and comment
# counts ("New, 203 comments") and a byline's "By" set apart from its names; two lines are as
# often a list of other stories ("Latest" and a teaser's headline, over the teaser's byline)
_PASSED_LINES = 1
_PASSED_WORDS = 60
_UNCOUNTED = re.compile(
    r"^(?:by|von|par|por|door|di)$|\d[\d,.]*\s*(?:comments?|replies|responses)\b", re.IGNORECASE
)


def _meta_below(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    pos: int,
    limit: int,
    not_authors: Collection[str],
) -> int | None:
    """The position of the header's "By" byline or dated line (``_header_meta``) a few lines
    below ``todo[pos]``, where the header's reading under a headline stopped with nothing dated
    read: a page sets its dek, a comment count ("New, 203 comments") or a label ("Published")
    between its headline and its byline. The lines passed are comment counts, a "By" alone, and
    one other line, which may end a sentence or be long (the dek) only above the byline; none
    goes on with the headline's block or on to a next line of its own (a wrapped headline or
    paragraph), none is a story's lead-in ("PLACE —"), says a change ("Updated", whose date
    would be taken for the publication's) or holds a date that is not read ("2 hours ago");
    only a picture's caption or sharing buttons stand among them."""
    if lay.headline is None or lay.dates or lay.date_flags:
        return None
    if lines[todo[pos]].block == lines[lay.headline].block:
        return None  # the headline wrapped over lines
    said = deks = passed = 0
    for ahead in range(pos, limit):
        i = todo[ahead]
        if not _only_pictures_between(lay, todo[ahead - 1], i):
            return None  # "Most read" and its list, "12 comments": dates of other things
        text = lines[i].text
        if ahead > pos and _dated_or_by(text, not_authors):
            return ahead if _header_meta(lines, lay, todo, pos, ahead, not_authors) else None
        nxt = _text_at(lines, todo, ahead + 1)
        if _block_goes_on(lines, todo, ahead) and not _dated_or_by(nxt or "", not_authors):
            return None  # a paragraph or a headline wrapped over lines
        if header.is_lead_in(text) or says_modified(text) or _undated(text):
            return None
        passed += _UNCOUNTED.search(text.strip()) is None
        if passed > _PASSED_LINES:
            return None
        n = header.words(text)
        said += n
        deks += n >= _PROSE_LINE or header.ends_sentence(text)
        if deks > (0 if lay.bylines else 1) or said > _PASSED_WORDS:
            return None
    return None


def _undated(text: str) -> bool:
    """A line that gives a date the header cannot read: a relative one ("2 hours ago"), or one
    whose words are not all a date's."""
    if relative_only(text):
        return True
    return bool(_HAS_DIGIT.search(text)) and bool(_dateline(text)[1])


def _header_meta(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    pos: int,
    found: int,
    not_authors: Collection[str],
) -> bool:
    """Whether the byline or dated line ``todo[found]``, below lines the header passed from
    ``todo[pos]``, is the story's: a "By" byline, not a post's footer ("Posted on 3 June 2024
    by X"); a date said to be the publication's ("Published 3 May 2021", or under "Published"
    alone); or a date under the byline read and one line between, its reporter's newsroom
    (``_newsroom_like``). A date under any other line is that line's ("Event date:", "Born",
    "Timeline": an event's, a life's, a story's own; a name and a handle: an embedded post's).
    Never a line with a comment section right below it (a post's footer) nor the capture's
    last."""
    i = todo[found]
    if found + 1 >= len(todo) or "furniture-comments" in lay.kinds[i + 1 : todo[found + 1]]:
        return False
    text = lines[i].text
    by = _byline(text, not_authors)
    if by is not None:
        return by.rule != "byline:after-date"
    above = lines[todo[found - 1]].text
    if says_published(text) or is_publication_label(above):
        return True
    under_byline = lay.kinds[todo[pos - 1]] == "byline"
    return under_byline and found == pos + 1 and _newsroom_like(above)


def _newsroom_like(text: str) -> bool:
    """A newsroom's name, as a page prints it under its reporter's: two to six capitalised
    words, the last a newspaper's ("Washington Post", "TARN VALLEY HERALD"; not "Press Night",
    "Times Square"), no colon."""
    words = text.split()
    return (
        2 <= len(words) <= 6
        and ":" not in text
        and all(w[:1].isupper() or w.lower() in _NEWSROOM_JOINERS for w in words)
        and words[-1].lower() in _NEWSPAPER_WORDS
    )


_NEWSROOM_JOINERS = frozenset(("of", "the", "and", "&", "de", "la", "le", "der", "die"))
_NEWSPAPER_WORDS = wordset(
    """
    news times post herald tribune journal gazette chronicle daily observer mail express
    telegraph guardian independent standard mirror sentinel dispatch bulletin courier echo
    press record register star sun inquirer examiner
    """
)
# what holds other stories, not the one below the headline: a related list, a comment count
_OTHER_STORIES = frozenset(("furniture-comments", "furniture-related"))


def _block_goes_on(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """Whether the next content line after ``todo[pos]`` is of its block."""
    return pos + 1 < len(todo) and lines[todo[pos + 1]].block == lines[todo[pos]].block


def _only_pictures_between(lay: Layout, above: int, below: int) -> bool:
    """Whether the lines between ``above`` and ``below`` are only a picture's caption or credit
    and sharing buttons, as a page sets between a headline and its byline."""
    return all(kind in _BESIDE_PICTURES for kind in lay.kinds[above + 1 : below])


_BESIDE_PICTURES = frozenset(("caption", "credit", "furniture-share"))


def _passed_to_meta(
    lines: tuple[Line, ...], lay: Layout, todo: list[int], pos: int, below: int
) -> None:
    """Class the lines the header was read past (``_meta_below``). One line alone between the
    headline and the byline, reading as a summary, is the standfirst (the dek); one alone under
    the byline, a newsroom's name (``_newsroom_like``), is the header's. The rest stay the
    story's, as they were: a label or a count is not told from a short post's line or a
    poem's."""
    alone = below == pos + 1
    for k in range(pos, below):
        i = todo[k]
        text = lines[i].text
        if alone and todo[k - 1] == lay.headline and header.is_standfirst_like(text):
            _set(lay, i, "standfirst", "standfirst:under-headline")
            lay.standfirst = i
        elif alone and lay.kinds[todo[k - 1]] == "byline" and _newsroom_like(text):
            _set(lay, i, "furniture-other", "header:newsroom")
        else:
            _set(lay, i, "body", "body:above-byline")


def _headline_below_meta(
    lines: tuple[Line, ...], lay: Layout, todo: list[int], pos: int, not_authors: Collection[str]
) -> bool:
    """Whether ``todo[pos]`` is the headline of a capture that prints its date (or byline)
    above it (``Montag, 3. Juni 2024`` / headline / story): only such lines, a kicker and
    furniture come before it, it reads as a headline of at most 15 words, ends no sentence (a
    story's first sentence does, a quotation or a cry too) and says no "..., said", and what
    follows is no wrapped rest of it but a longer paragraph, a sentence or more header."""
    if lay.standfirst is not None or pos + 1 >= len(todo):
        return False
    line, next_line = lines[todo[pos]], lines[todo[pos + 1]]
    text = line.text
    # a paragraph's first line, wrapped: the next line in its block goes on with it, unless
    # that line is a byline or date ("Headline\nBy Jane Holm")
    if line.block == next_line.block and not _header_follows(lines, lay, todo, pos, not_authors):
        return False
    if header.ends_sentence(text) or text.endswith((*header.CJK_STOPS, "」")):
        return False
    if _QUOTED.search(text) or _unclosed_quote(text) or header.words(text) > 15:
        return False  # a quotation with its speaker, or a paragraph that does not end
    if any(lay.kinds[todo[k]] not in _ABOVE_HEADLINE for k in range(pos)):
        return False
    if not (header.is_headline_like(text) or header.unspaced_headline_like(text)):
        return False
    return _story_follows(lines, lay, todo, pos, not_authors)


_ABOVE_HEADLINE = ("dateline", "byline", "furniture-other")
# '"We have lost everything," Mary Ellis said', '«Lo hemos perdido todo», dijo', ', said X'
_QUOTED = re.compile(r"[,，][”\"’'»]|[”\"’'»][,，]|,\s+said\b")
_OPENING_QUOTES = ('"', "“", "‘", "«", "„", "「")


def _unclosed_quote(text: str) -> bool:
    """A line that opens a quotation and never closes it: a quotation cut off, no headline."""
    if not text.startswith(_OPENING_QUOTES):
        return False
    return not any(mark in text[1:] for mark in ('"', "”", "’", "»", "“", "」"))


def _short_date(text: str) -> bool:
    """A date of three words at most, in a script written with spaces ("3 June 2024",
    "2024-06-03"): it stands where a kicker would, and the line below is judged as below a
    kicker. (A Japanese date is one word by its spaces; the line below it is judged as below a
    dateline.)"""
    return header.is_kicker(text) and UNSPACED.search(text) is None and bool(_dateline(text)[0])


def _dated_or_by(text: str, not_authors: Collection[str]) -> bool:
    """A dateline, or a "By ..." byline: what stops the top of a capture from being read as
    kickers (a bare name beside a date is not one here: ``Climate Crisis`` over a date is a
    section's label)."""
    if len(text) > 200:
        return False
    if _HAS_DIGIT.search(text) and _dateline(text)[0]:
        return True
    return _byline(text, not_authors) is not None


def _header_from_top(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    not_authors: Collection[str],
    site: frozenset[str],
) -> int:
    """Headline = the first line after kickers and mastheads; the position after it."""
    pos = 0
    while pos < len(todo) - 1 and pos < 3:
        text = lines[todo[pos]].text
        if _masthead(text, not_authors, site, lines[todo[pos + 1]].text):
            _set(lay, todo[pos], "furniture-other", "header:masthead")
        elif _dated_or_by(text, not_authors):
            if _masthead(
                lines[todo[pos + 1]].text, not_authors, site, _text_at(lines, todo, pos + 2)
            ) or _over_menu(lines, todo, pos, not_authors):
                # a date over the masthead or the site's menu is the day the page was shown,
                # not the story's
                _set(lay, todo[pos], "furniture-other", "header:date-banner")
            elif pos < 2 and _short_date(text):
                # a short date where a kicker stands ("3 June 2024"): its date is read, and
                # the headline looked for below it as below a kicker
                _meta(lines, lay, todo[pos], not_authors, todo, pos)
            else:
                break  # a dateline or byline above the headline: ``_header`` reads it
        elif pos < 2 and (header.is_kicker(text) or _labels_over_headline(lines, todo, pos)):
            _set(lay, todo[pos], "furniture-other", "header:kicker")
        elif pos < 2 and header.is_cell_row(text):  # a row of links over the headline
            _set(lay, todo[pos], "furniture-other", "header:above-headline")
        else:
            break
        pos += 1
    first = todo[pos]
    if (
        _meta(lines, lay, first, not_authors, todo, pos) is None
        and header.is_headline_like(lines[first].text)
        and _story_follows(lines, lay, todo, pos, not_authors)
    ):
        _set(lay, first, "headline", "headline:first-line")
        lay.headline = first
        pos += 1
    return pos


def _over_menu(
    lines: tuple[Line, ...], todo: list[int], pos: int, not_authors: Collection[str]
) -> bool:
    """Whether ``todo[pos]`` is a date alone (no label, no time: "2022.08.11（木）") over a
    site's menu, as a page's banner shows the day it is viewed: the next :data:`_MENU_ITEMS`
    lines are each a few words, none a byline, a date or a sentence, and either all bulleted
    ("* HOME", "・国際"), or the first the home page's link ("HOME", "ホーム >"), or each a single
    short word ("ニュース", "国際", "経済"). A story's date has its headline, its byline or a
    label by it, and its share bar is no list of sections. Asked only at a page's top, with no
    Japanese or Chinese headline above (one is short as a kicker)."""
    text = lines[todo[pos]].text
    found, flags = _dateline(text)
    if not found or flags or found[0].start or found[-1].end < len(text):
        return False
    if found[0].precision != "day":
        return False
    if any(header.unspaced_headline_like(lines[todo[k]].text) for k in range(pos)):
        return False
    menu = [lines[i].text for i in todo[pos + 1 : pos + 1 + _MENU_ITEMS]]
    if len(menu) < _MENU_ITEMS or not all(_menu_item(t, not_authors) for t in menu):
        return False
    return (
        all(_bulleted(t) for t in menu)
        or _item(menu[0]).rstrip(" >›»").casefold() in _HOME_LINKS
        or all(_one_short_word(t) for t in menu)
    )


def _bulleted(text: str) -> bool:
    return text[:1] in _TIGHT_BULLETS or (text[:1] in _MENU_BULLETS and text[1:2] == " ")


def _item(text: str) -> str:
    return text.lstrip(_MENU_BULLETS + _TIGHT_BULLETS + " ")


def _one_short_word(text: str) -> bool:
    """A single word: a section's name in a menu ("World", "スポーツ"), shorter than a
    headline, a name or a desk's ("渡し船が再開へ", "Cass Whitlow")."""
    item = _item(text)
    longest = _MENU_WORD_CHARS if UNSPACED.search(item) is None else _MENU_WORD_CHARS_UNSPACED
    return " " not in item and len(item) <= longest and not _HAS_DIGIT.search(item)


def _menu_item(text: str, not_authors: Collection[str]) -> bool:
    item = _item(text)
    return (
        len(item) <= _MENU_ITEM_CHARS
        and header.words(item) <= 3
        and not header.ends_sentence(item)
        and not _dated_or_by(item, not_authors)
    )


_MENU_ITEMS = 3
_MENU_ITEM_CHARS = 20
_MENU_BULLETS = "*+-o"  # set apart from the item by a space
_TIGHT_BULLETS = "・•◦·□■●◆▶"  # with a space or not
_MENU_WORD_CHARS = 12
_MENU_WORD_CHARS_UNSPACED = 6
_HOME_LINKS = frozenset(
    {"home", "home page", "top", "menu", "startseite", "accueil", "inicio", "ホーム", "トップ"}
    | {"トップページ", "topページ", "メニュー", "首页", "首頁", "홈"}
)


def _labels(text: str, below: str) -> bool:
    """Whether a short line is labels of a few words each, set apart by a middle dot or a
    bullet, over a line that reads as a headline, as a kicker names a section and its authors,
    or a show and its episode, above it ("Politik · Ann Lee, Bo Chen", "Harbour Talk • Episode
    32"). Over the story, such a line is a section and the headline on one line ("Opinion ·
    Council Stands Firm", as a browser's copy runs them together); a headline's words are more
    than a label's ("Live • Election results as counting goes on")."""
    return (
        header.words(text) <= _LABEL_WORDS
        and _LABEL_SEPARATOR.search(text) is not None
        and all(header.words(part) <= _LABEL_PART_WORDS for part in _LABEL_SEPARATOR.split(text))
        and header.is_headline_like(below)
        and not _full_stop(below)
    )


def _labels_over_headline(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """``_labels`` of ``todo[pos]`` over the next line, unless that line is a paragraph's
    first, wrapped (a text browser's dump)."""
    below = lines[todo[pos + 1]].text
    return _labels(lines[todo[pos]].text, below) and not _continued(lines, todo, pos + 1)


_LABEL_SEPARATOR = re.compile(r"(?<=\S) [\u00b7\u2022] (?=\S)")
_LABEL_WORDS = 8
_LABEL_PART_WORDS = 4


def _text_at(lines: tuple[Line, ...], todo: list[int], pos: int) -> str | None:
    return lines[todo[pos]].text if pos < len(todo) else None


def _story_follows(
    lines: tuple[Line, ...], lay: Layout, todo: list[int], pos: int, not_authors: Collection[str]
) -> bool:
    """Whether what follows ``todo[pos]`` is what follows a headline: a longer line, a
    sentence, a story's lead-in or more header; not the next of a page's menu items, sign-in
    prompts and section names, each as short as the one before (a saved page's top)."""
    if pos + 1 >= len(todo):
        return True
    text, following = lines[todo[pos]].text, lines[todo[pos + 1]].text
    return (
        len(following) > len(text)
        or header.ends_sentence(following)
        or header.is_lead_in(following)
        or _header_follows(lines, lay, todo, pos, not_authors)
    )


def _cluster_start(
    lines: tuple[Line, ...], kinds: list[str | None], todo: list[int], not_authors: Collection[str]
) -> int | None:
    """Position (in ``todo``) of the first byline or dateline near the top, when only short
    header-sized lines come before it; None otherwise."""
    sentences = 0
    top = True  # only kickers so far: this line may be the headline, ending in a stop or not
    for pos in range(min(len(todo), _CLUSTER_WINDOW)):
        text = lines[todo[pos]].text
        if header.words(text) > _STANDFIRST_MAX_WORDS:
            return None
        if pos and "furniture-comments" in kinds[todo[pos - 1] : todo[pos]]:
            return None
        if _is_meta_line(lines, todo, pos, not_authors):
            if _footer(lines, todo, pos, not_authors):
                return None
            if top and _over_menu(lines, todo, pos, not_authors):
                continue  # a page's banner, only kickers above it: the cluster is further
            return pos
        # a standfirst; a second sentence is the story itself, even one short enough for a
        # headline
        if header.ends_sentence(text) and not (top and header.is_headline_like(text)):
            sentences += 1
            if sentences > 1:
                return None
        top = top and header.is_kicker(text)
    return None


def _footer(lines: tuple[Line, ...], todo: list[int], pos: int, not_authors) -> bool:
    """Whether ``todo[pos]`` is a blog's footer ("Posted on 3 June 2024 by X" as the last
    line below a one-paragraph post), not a header. Only that form: a "By X" or a date as the
    last line is also a paywalled capture's header ("By X | 3 June 2024" over "Subscribe to
    continue reading")."""
    if pos + 1 < len(todo):
        return False
    by = _byline(lines[todo[pos]].text, not_authors)
    return by is not None and by.rule == "byline:after-date"


def _is_meta_line(
    lines: tuple[Line, ...], todo: list[int], pos: int, not_authors: Collection[str]
) -> bool:
    """What ``_meta`` would class as byline or dateline, without classing anything."""
    text = lines[todo[pos]].text
    if len(text) > 200:
        return False
    n = header.words(text)
    if _HAS_DIGIT.search(text):
        found, flags = _dateline(text)
        if found or flags and n <= 8:
            return True
    elif n <= 6 and relative_only(text):
        return True
    if _byline(text, not_authors) is not None:
        return True
    # a bare name is a byline only beside a dateline; whether a neighbour is one is asked
    # first: the header reads those lines anyway (their answers cached), while whether a line
    # is a name is a parse of its own, new for most lines (a capture's headline is its own)
    return (
        n <= 12
        and _next_to_dateline(lines, todo, pos)
        and _bare_byline(text, not_authors) is not None
    )


def _header_before_cluster(
    lines: tuple[Line, ...],
    lay: Layout,
    todo: list[int],
    cluster: int,
    not_authors: Collection[str],
    site: frozenset[str],
) -> int | None:
    """Headline and standfirst = the last substantial lines above the byline/dateline
    cluster; what comes above them (mastheads, menus, section labels) is furniture. Returns
    the cluster's position, or None when no headline or standfirst stands above it."""
    pre = [lines[todo[k]].text for k in range(cluster)]
    end = cluster
    # short lines right above the cluster that are not a headline: agency credits, labels
    while (
        end > 0
        and (header.words(pre[end - 1]) <= 6 or header.is_cell_row(pre[end - 1]))
        and not header.is_headline_like(pre[end - 1])
    ):
        end -= 1
    head = stand = None

    def headline_at(k: int) -> bool:
        below = pre[k + 1] if k + 1 < end else None  # none: the byline cluster's labels below
        if below is not None and _labels(pre[k], below):
            return False  # a kicker's labels over the headline ("Section · Author")
        return header.is_headline_like(pre[k]) and not _masthead(pre[k], not_authors, site, below)

    if end >= 2 and headline_at(end - 2) and _is_standfirst_for(pre[end - 2], pre[end - 1]):
        head, stand = end - 2, end - 1
    elif end >= 1 and headline_at(end - 1):
        head = end - 1
    elif (
        end >= 1 and header.is_standfirst_like(pre[end - 1]) and header.ends_sentence(pre[end - 1])
    ):
        stand = end - 1
    else:
        return None
    top = head if head is not None else stand
    for k in range(cluster):
        i = todo[k]
        if k == head:
            _set(lay, i, "headline", "headline:first-line" if k == 0 else "headline:above-byline")
            lay.headline = i
        elif k == stand:
            rule = "standfirst:after-headline" if head is not None else "standfirst:above-byline"
            _set(lay, i, "standfirst", rule)
            lay.standfirst = i
        elif k < top and _masthead(pre[k], not_authors, site, pre[k + 1]):
            _set(lay, i, "furniture-other", "header:masthead")
        elif k < top:
            _set(lay, i, "furniture-other", "header:above-headline")
        else:
            _set(lay, i, "furniture-other", "header:above-byline")
    return cluster


def _is_standfirst_for(headline: str, text: str) -> bool:
    """A summary under a headline: longer than it, or a full sentence."""
    return header.is_standfirst_like(text) and (
        len(text) > len(headline) or header.ends_sentence(text)
    )


def _header_follows(
    lines: tuple[Line, ...], lay: Layout, todo: list[int], pos: int, not_authors: Collection[str]
) -> bool:
    """True when a header element (not story text) comes right after ``todo[pos]``."""
    if pos + 1 >= len(todo):
        return False
    i, nxt = todo[pos], todo[pos + 1]
    if any(lay.kinds[k] is not None for k in range(i + 1, nxt)):
        return True
    text = lines[nxt].text
    return (
        header.is_lead_in(text)
        or bool(_HAS_DIGIT.search(text) and _dateline(text)[0])
        or _byline(text, not_authors) is not None
        or _bare_byline(text, not_authors) is not None
    )


def _meta(
    lines: tuple[Line, ...],
    lay: Layout,
    i: int,
    not_authors: Collection[str],
    todo: list[int],
    pos: int,
) -> str | None:
    """Class line ``i`` as dateline or byline when it is one; the kind set, or None."""
    text = lines[i].text
    if len(text) > 200:
        return None
    by = _byline(text, not_authors)
    if by is not None:
        _set(lay, i, "byline", by.rule)
        lay.bylines.append((i, by))
        lay.dates.extend((i, d) for d in _dates_beside_byline(text, by))
        return "byline"
    # every date holds a digit: a line without one can only be a relative dateline
    found, flags = _dateline(text) if _HAS_DIGIT.search(text) else _NO_DATES
    if found:
        if _labelled_updated(lines, todo, pos) and not has_label(text):
            # "Updated:" over the date, as a rendering splits a label from its value
            found = tuple(replace(d, role="modified") for d in found)
        _set(lay, i, "dateline", "dateline:" + found[0].rule.split(":")[1])
        lay.dates.extend((i, d) for d in found)
        lay.date_flags.extend(flags)
        return "dateline"
    relative = relative_only(text)
    if relative or flags:
        lay.date_flags.extend((relative,) if relative else flags)
        if relative or header.words(text) <= 8:
            _set(lay, i, "dateline", "dateline:unreadable")
            return "dateline"
    if not _next_to_dateline(lines, todo, pos):  # asked first, as in _is_meta_line
        return None
    if any(by.rule != "byline:bare-name" for _, by in lay.bylines):
        return _under_byline(lines, lay, i, todo, pos, not_authors)
    bare = _bare_byline(text, not_authors)
    if bare is not None:
        _set(lay, i, "byline", bare.rule)
        lay.bylines.append((i, bare))
        return "byline"
    return None


def _under_byline(
    lines: tuple[Line, ...],
    lay: Layout,
    i: int,
    todo: list[int],
    pos: int,
    not_authors: Collection[str],
) -> str | None:
    """Class a line of names beside a date, once a byline that is not a bare name was read (a
    "By" byline, "Posted by X"): a newsroom's name ("Tarn Valley Herald") is the header's, and
    the header goes on; a name right between that byline and a date below is a second
    reporter's ("By Ann Lee" / "Bo Chen" / "3 May 2021"); any other (a picture's caption below
    the date, "Ann Lee and Bo Chen") is none."""
    text = lines[i].text
    if _newsroom_like(text):
        _set(lay, i, "furniture-other", "header:newsroom")
        return "newsroom"
    between = lay.kinds[todo[pos - 1]] == "byline" and pos + 1 < len(todo)
    if not between or not _dated_or_by(lines[todo[pos + 1]].text, not_authors):
        return None
    bare = _bare_byline(text, not_authors)
    if bare is None:
        return None
    _set(lay, i, "byline", bare.rule)
    lay.bylines.append((i, bare))
    return "byline"


def _labelled_updated(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """Whether a change's label alone stands right over ``todo[pos]`` ("Updated:"), and no other
    label alone over it: labels set one under another ("Published", "Updated") name the dates
    below them in their order, not each the one under it."""
    if not pos or not is_update_label(lines[todo[pos - 1]].text):
        return False
    above = lines[todo[pos - 2]].text if pos >= 2 else ""
    return not (is_update_label(above) or is_publication_label(above))


def _dates_beside_byline(text: str, by: header.Byline) -> list[DateFound]:
    """Dates printed on the byline's line after the names (``By X | 3 May 2021 | 10:30 GMT``),
    or before them (``Posted on 3 May 2021 by X``)."""
    if by.rule == "byline:after-date":
        return list(_dateline(_BY_AT_END.sub("", text[: by.start]))[0])
    if by.rest_from < 0 or by.rest_from >= len(text):
        return []
    offset = by.rest_from
    while offset < len(text) and not text[offset].isalnum():
        offset += 1
    rest = text[offset:]
    if not _HAS_DIGIT.search(rest):
        return []
    found, _ = _dateline(rest)
    if not found:
        # "By X | 3 May 2021 | 4 comments": the part right after the names is the date, set
        # off by a bar or a dot, when no other part holds a year (a dash may join a range,
        # "12 June 2021 – 14 June", an event's dates)
        first = header.split_parts(rest)[0]
        after = rest[len(first) :]
        if _FIELD_BREAK.match(after) and _HAS_DIGIT.search(first) and not has_year(after):
            found, _ = _dateline(first)
    return [d.shifted(offset) for d in found]


_FIELD_BREAK = re.compile(r"\s*[|·•]")
_BY_AT_END = re.compile(r",?\s+by\s+$", re.I)


def _next_to_dateline(lines: tuple[Line, ...], todo: list[int], pos: int) -> bool:
    """A bare name counts as a byline only beside a dateline (before or after it)."""
    for k in (pos - 1, pos + 1):
        if 0 <= k < len(todo):
            text = lines[todo[k]].text
            if len(text) > 200:
                continue
            # every dateline holds a digit; a relative one ("Yesterday") is a few words
            if (
                _HAS_DIGIT.search(text)
                and _dateline(text)[0]
                or header.words(text) <= 6
                and relative_only(text)
            ):
                return True
    return False


def _comments_tail(lines: tuple[Line, ...], lay: Layout) -> None:
    """From the line that opens the reader comment section (``_section_start``), the rest is
    comments."""
    if "comments:line" not in lay.rules:
        return
    start = lay.body_start if lay.body_start is not None else len(lines)
    first = _section_start(lines, lay, start)
    if first is None:
        return
    for j in range(first + 1, len(lines)):
        if lay.rules[j] == "other:copyright":  # the page footer after the comments
            continue
        if lay.kinds[j] is None or lay.kinds[j].startswith("furniture-"):
            _set(lay, j, "furniture-comments", "comments:section")
    k = first - 1
    while (
        k > start
        and lay.kinds[k] is None
        and lines[k].block == lines[first].block
        and (header.words(lines[k].text) <= 5 and not header.ends_sentence(lines[k].text))
    ):
        _set(lay, k, "furniture-comments", "comments:heading")
        k -= 1


def _section_start(lines: tuple[Line, ...], lay: Layout, start: int) -> int | None:
    """The comment line that opens the comment section: the first after the story began
    (``start``), unless the story's top holds no more than a few sentences above it and a
    paragraph of the story comes below it. That line is then the story's own count of comments
    or link to them, among its byline and share buttons ("56 comments", "Comments (27)",
    "reader comments"), and the section opens at the first comment line below the story's
    first paragraph; with none there, at that line only when a sentence of the story stands
    above it (a video's page: a short description, then the comments), else nowhere (the
    comments were not saved, only their link). None: no section opens."""
    first = _comment_line(lay, start)
    if first is None:
        return None
    said = sum(_sentence_words(lines[i].text) for i in _content(lay, start, first))
    if said > _TOP_SENTENCE_WORDS:
        return first  # the story began above it: a story of short paragraphs, then comments
    todo = _content(lay, first, len(lines))
    story = next(
        (
            i
            for pos, i in enumerate(todo)
            if header.ends_sentence(lines[i].text) and _story_paragraph(lines, todo, pos)
        ),
        None,
    )
    if story is None:
        return first
    below = _comment_line(lay, story)
    if below is not None:
        return below
    return first if said else None


def _comment_line(lay: Layout, start: int) -> int | None:
    """The first line from ``start`` on that reads as a comment section's, or None."""
    try:
        return lay.rules.index("comments:line", start)
    except ValueError:
        return None


def _body(lines: tuple[Line, ...], lay: Layout) -> None:
    kinds, rules = lay.kinds, lay.rules
    if lay.body_start is None:
        for i in range(len(lines)):
            if kinds[i] is None:
                _set(lay, i, "furniture-other", "header:unclassified")
        return
    todo = _content(lay, lay.body_start, len(lines))
    last_sentence = next(
        (
            i
            for i in reversed(todo)
            if header.ends_sentence(lines[i].text) or header.words(lines[i].text) > 12
        ),
        None,
    )
    # past the last sentence, no line is story
    tail = last_sentence if last_sentence is not None else len(lines)
    for pos, i in enumerate(todo):
        text = lines[i].text
        if i > tail and header.words(text) <= 6:
            kinds[i], rules[i] = "furniture-other", "tail:short-line"
        elif (
            pos + 1 < len(todo)
            and i != lay.body_start
            and header.is_subheading_like(text)
            and (pos == 0 or lines[todo[pos - 1]].block != lines[i].block)
            and lines[todo[pos + 1]].block != lines[i].block
        ):
            kinds[i], rules[i] = "subheading", "subheading:short-line"
        else:
            kinds[i], rules[i] = "body", "body:story"
    for i in range(lay.body_start):
        if kinds[i] is None:
            _set(lay, i, "furniture-other", "header:unclassified")


def spans(lines: tuple[Line, ...], lay: Layout) -> tuple[Span, ...]:
    """Spans over the capture: body lines joined into paragraphs, other runs merged per block."""
    out: list[Span] = []
    # the open span: its first line's kind and rule, its start and its end so far
    kind = rule = None
    start = end = 0
    prev: Line | None = None
    for ln, kind_i, rule_i in zip(lines, lay.kinds, lay.rules, strict=True):
        assert kind_i is not None and rule_i is not None
        if (
            prev is not None
            and kind == kind_i
            and prev.block == ln.block
            and (
                kind_i != "body"
                and rule == rule_i
                or kind_i == "body"
                and not header.ends_sentence(prev.text)
            )
        ):
            end = ln.end
        else:
            if prev is not None:
                out.append(Span(start, end, kind, rule))
            kind, rule, start, end = kind_i, rule_i, ln.start, ln.end
        prev = ln
    if prev is not None:
        out.append(Span(start, end, kind, rule))
    return tuple(out)
