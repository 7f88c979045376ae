"""Rule-based page furniture: which lines of a capture are prompts, pleas, widgets, not story.

Each rule has a stable id (``<kind-suffix>:<name>``) recorded in the span it produces. Rules
look at one line; runs that span several lines (a support plea, a comment section) are grown
from a triggering line in :mod:`archive.extract.spans`.

Speed matters (thousands of captures a second), and Python's regex engine is slow on long
alternations, so a rule is a set of short phrases, each *gated* by one word it contains: a
phrase is searched only in lines holding its word (a set lookup). Patterns anchored at the
line start are tried directly; most fail within the first few characters.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from archive.extract.lines import wordset

SHORT_LINE = 80
"""Lines up to this length are always checked against every rule (they are few and cheap)."""


@dataclass(frozen=True)
class Rule:
    """Lines up to ``max_len`` characters matching ``start`` (at the line start) or one of the
    ``phrases`` (``(gate word, pattern)``, searched anywhere) are of ``kind``. A ``start``
    pattern with ``needs`` is tried only on lines that hold one of those fragments.

    Patterns see the lower-cased line.
    """

    rule_id: str
    kind: str
    max_len: int
    start: re.Pattern[str] | None = None
    phrases: tuple[tuple[str, re.Pattern[str]], ...] = ()
    needs: tuple[str, ...] = ()  # ``start`` is tried only on lines holding one of these

    def matches(self, low: str, words: frozenset[str]) -> bool:
        """True when the lower-cased line ``low`` (whose words are ``words``) matches."""
        if self.start is not None and self.start.match(low):
            return True
        return any(w in words and p.search(low) for w, p in self.phrases)


def _phrases(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((word, re.compile(pattern)) for word, pattern in pairs)


RULES: tuple[Rule, ...] = (
    Rule(
        "notification:prompt",
        "furniture-notification",
        300,
        phrases=_phrases(
            (
                ("notifications", r"notifications from|notifications can be managed"),
                ("notifications", r"(?:turn on|enable|allow) (?:push |browser )?notifications"),
                ("alerts", r"get (?:breaking )?news alerts"),
                ("notified", r"want to get notified"),
                ("miss", r"never miss a (?:story|thing)"),
                # the control sentence that follows such a prompt
                ("alerts", r"(?:switch|turn) (?:these )?alerts (?:off|on)|alerts? off at any time"),
                ("notifications", r"(?:switch|turn) (?:these )?notifications (?:off|on)"),
                ("settings", r"in your (?:browser|device|notification) settings"),
            )
        ),
    ),
    Rule(
        "cookie:prompt",
        "furniture-cookie",
        600,
        # the prompt's button that no story line says, a line of its own in a browser's copy
        start=re.compile(r"no,? take me to (?:the )?(?:cookie )?settings$"),
        phrases=_phrases(
            (
                (
                    "cookies",
                    r"we use cookies|accept (?:all )?cookies|manage (?:your )?cookies|"
                    r"(?:site|website) uses cookies|"
                    r"(?:you|i) agree to (?:the use of |our |all )?cookies",
                ),
                ("cookie", r"cookie (?:policy|settings|preferences|notice)"),
            )
        ),
    ),
    Rule(
        "support:plea",
        "furniture-support",
        1200,
        start=re.compile(r"support us\b"),
        phrases=_phrases(
            (
                ("support", r"your support (?:helps|makes|means|keeps|allows|matters)"),
                ("journalism", r"support (?:our|independent|quality|local) journalism"),
                ("help", r"we need your help\b"),
                ("readers", r"readers like you\b"),
                ("contribution", r"make a (?:one-off |one-time |monthly |small )?contribution"),
                (
                    "donation",
                    r"make a (?:one-off |one-time |monthly |small )?donation|your donation\b",
                ),
                ("donate", r"donate (?:now|today)\b"),
                ("supporter", r"become a supporter\b"),
                ("contribute", r"contribute (?:now|today)\b"),
                ("chip", r"\bchip in\b"),
                ("contribution", r"every contribution\b|a contribution from you"),
                ("costs", r"(?:reporting|journalism) like this costs"),
                ("help", r"^help us (?:to )?(?:keep|continue) (?:reporting|going|our journalism)"),
                ("paywall", r"(?:not|never) (?:to )?put our journalism behind a paywall"),
                ("readers", r"(?:is|are) paid for by (?:its |our )?readers"),
                ("give", r"please give what you can|give what you can, so"),
            )
        ),
    ),
    Rule(
        "login:prompt",
        "furniture-login",
        400,
        start=re.compile(
            r"(?:log in|sign in|register|subscribe|sign up)(?:\s*[|/·]?\s*(?:log in|"
            r"sign in|register|subscribe|sign up|sign out|my account))*$"
        ),
        phrases=_phrases(
            (
                ("registering", r"thank you for registering"),
                ("signing", r"thank you for signing in|finish signing in|stay signed in"),
                ("reload", r"please reload (?:the|your) (?:page|browser)"),
                ("refresh", r"please refresh (?:the page|your browser)"),
                ("logged", r"to be (?:automatically )?logged in"),
                ("log", r"\blog in to (?:continue|comment|read)"),
                ("sign", r"\bsign in to (?:continue|comment|read)"),
                ("account", r"create a free account|already have an account"),
                ("subscriber", r"already a subscriber"),
                ("register", r"register (?:for free|now) to\b"),
                ("subscribe", r"subscribe to (?:continue|keep) reading"),
                ("limit", r"reached your (?:free )?article limit"),
            )
        ),
    ),
    Rule(
        "error:widget",
        "furniture-error",
        200,
        start=re.compile(r"[•·*\-\s]*oops\b"),
        phrases=_phrases(
            (
                ("wrong", r"something went wrong"),
                ("again", r"please try again later"),
                ("failed", r"failed to load"),
                ("javascript", r"javascript is (?:disabled|required)|enable javascript"),
                ("video", r"video is (?:unavailable|not available)"),
                ("browser", r"browser does not support"),
                ("content", r"content (?:is )?(?:not available|unavailable)"),
            )
        ),
    ),
    Rule(
        "share:read-time",
        "furniture-share",
        60,
        start=re.compile(r"[^\w]*\d+[- ]?min(?:ute)?s?\.? read\b"),
    ),
    Rule(
        "related:heading",
        "furniture-related",
        140,
        start=re.compile(
            r"(?:more about|more on this|read more|related(?: articles| stories| topics| "
            r"coverage| content)?:?$|related:|see also|recommended(?: for you| reading)?:?$|"
            r"more from|most (?:read|popular|viewed)|you may also like|trending(?: now)?:?$|"
            r"also read|more stories|read next|what to read next|latest (?:news|stories):?$|"
            r"[←→«»‹<>\s]*(?:previous|next|older|newer) (?:post|article|story)[←→«»›<>\s]*$)"
        ),
    ),
    Rule(
        "other:widget",
        "furniture-other",
        120,
        start=re.compile(
            r"(?:in this article:?$|advertisement|sponsored(?: content)?$|"
            # a page's skip links, run together when no style sheet sets them apart
            # ("Accessibility helpSkip to navigationSkip to content")
            r"(?:[a-z ]{0,30}?[a-z])?(?:skip|jump) to:? (?:the )?(?:main )?"
            r"(?:content|navigation|search|footer)|"
            r"from \w+, the free encyclopedia$|"
            r"listen to (?:this )?(?:article|story)|"
            r"keyboard shortcuts for (?:the )?(?:audio|video|media) player$|"
            r"scroll to continue|story continues below|"
            r"(?:open|close|toggle) (?:side )?(?:navigation|search) ?(?:menu|bar)"
            r"(?:$|open |close |toggle )|"
            r"continue reading|topics?:|tags?:|filed under:?|follow us\b|sign up to our \w+ "
            r"newsletter|get our \w+ newsletter|"
            r"\(button\))"  # a form's button as Lynx dumps it: "(BUTTON) Open Navigation Menu"
        ),
    ),
    Rule(
        "other:breadcrumb",
        "furniture-other",
        100,
        start=re.compile(r"[\w&' -]{1,30}(?:\s*[>›»]\s*[\w&' -]{1,30}){1,6}$"),
        needs=(">", "›", "»"),
    ),
    Rule(
        "other:affiliate",
        "furniture-other",
        240,
        phrases=_phrases(
            (
                ("commission", r"(?:may )?earn (?:a )?commission"),
                ("affiliate", r"affiliate (?:links?|commission)"),
            )
        ),
    ),
    Rule(
        "other:newsletter",
        "furniture-other",
        160,
        start=re.compile(
            r"(?:sign up|subscribe) (?:for|to) [^.]{1,50}$|enter your email(?: address)?$"
        ),
        needs=("sign up", "subscribe", "enter your"),
        phrases=_phrases(
            (
                ("newsletter", r"(?:sign up|subscribe|get|join)\b.{0,60}newsletter"),
                ("inbox", r"in your inbox\b"),
            )
        ),
    ),
    Rule(
        "other:nav-bar",
        "furniture-other",
        120,
        # a site menu: three or more short labels set apart by wide gaps or bars
        start=re.compile(
            r"(?!.*\d)[^\s|•·]{1,16}(?: [^\s|•·]{1,16}){0,2}"
            r"(?:(?: {2,}|\t+|\s*[|•·]\s*)[^\s|•·]{1,16}(?: [^\s|•·]{1,16}){0,2}){2,}$"
        ),
        needs=("  ", "\t", "|", "•", "·"),
    ),
    Rule(
        "other:gallery",
        "furniture-other",
        40,
        start=re.compile(
            r"(?:(?:view|open|see) (?:the )?(?:full )?gallery|\d+ (?:of|/) \d+|previous|prev|next|"
            r"back to top|close|expand|enlarge(?: image)?)$"
        ),
    ),
    Rule(
        "other:copyright",
        "furniture-other",
        200,
        start=re.compile(r"(?:©|\(c\) ?\d{4}|copyright\b)"),
        phrases=_phrases((("reserved", r"all rights reserved"),)),
    ),
)

_COMMENT_START = re.compile(
    r"(?:leave a (?:reply|comment)|post a comment|(?:readers?'? )?comments?(?: \(\d+\))?:?$|"
    r"\d+ comments?$|join the (?:conversation|discussion)|(?:show|view|load) comments|"
    r"add your comment|be the first to comment)"
)
_COMMENT_PHRASES = _phrases(
    (
        ("policy", r"comments? policy"),
        ("guidelines", r"community guidelines"),
        ("email", r"your email address will not be published"),
        ("commenting", r"(?:suspending|suspended|closed|disabled) (?:article )?commenting"),
        (
            "comments",
            r"comments (?:are|have been) (?:closed|disabled|suspended)|comments community",
        ),
    )
)

_COMMENT_GATES = frozenset(w for w, _ in _COMMENT_PHRASES)

SUPPORT_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our)\b")
_SUPPORT_VOCAB = wordset(
    """
    support supporting supporters donate donation donations contribute contribution
    journalism journalist journalists reporting paywall paywalls reader readers fund funded
    funding mission subscribe subscription subscribers membership afford independent story
    stories news documentary trusted truth advertising value
    """
)
_SHARE_WORDS = wordset(
    """
    share this article story on via copy link copied print email e mail facebook twitter x
    whatsapp linkedin reddit flipboard pinterest telegram messenger save gift comments
    comment bookmark tweet post min mins minute minutes read listen
    """
)
_WORD = re.compile(r"[a-z©]+")

# Fragments that every furniture, comment or credit line longer than SHORT_LINE contains.
# Scanning the capture once for them (str.find, in C) picks the few long lines worth checking;
# the first letter is left out so that a capitalised word is found too.
ANCHORS = (
    "otification", "ookie", "our support", "ournalism", "eed your help", "eaders like",
    "onation", "ontribut", "efresh", "ogged in", "egister", "ubscri", "ent wrong", "omment",
    "mail address", "©", "opyright", "eporting", "ead more", "ewsletter", "riginally",
    "ommission", "ffiliate",
)  # fmt: skip


def anchored_lines(capture_text: str, starts: list[int]) -> set[int]:
    """Indices of the lines (given by their start offsets) holding an anchor fragment."""
    hit: set[int] = set()
    find = capture_text.find
    for anchor in ANCHORS:
        pos = find(anchor)
        while pos >= 0:
            hit.add(bisect_right(starts, pos) - 1)
            pos = find(anchor, pos + 1)
    return hit


# each ASCII byte that is no word letter, made a space: an ASCII line's words are then what
# bytes.split finds, several times cheaper than the regex's findall
_ASCII_LETTERS = bytes(c if _WORD.fullmatch(chr(c)) else 32 for c in range(256))


def line_words(low: str) -> frozenset[str]:
    """The set of words of a lower-cased line (what rule gating looks at)."""
    if low.isascii():
        return frozenset(low.encode().translate(_ASCII_LETTERS).decode().split())
    return frozenset(_WORD.findall(low))


def line_rule(
    text: str, low: str | None = None, words: frozenset[str] | None = None
) -> Rule | None:
    """Return the first furniture rule that classes this (stripped) line, or None."""
    n = len(text)
    low = text.lower() if low is None else low
    words = line_words(low) if words is None else words
    best = len(RULES)
    for w in words & _GATE_WORDS:
        for ri, pattern in _BY_WORD[w]:
            if ri < best and n <= RULES[ri].max_len and pattern.search(low):
                best = ri
    # one C-level try of the ungated start patterns at once: most lines match none of them
    for ri, pattern, needs, max_len in _STARTS if _ANY_UNGATED_START.match(low) else _GATED_STARTS:
        if ri >= best:
            break
        if n <= max_len and _holds_one(low, needs) and pattern.match(low):
            best = ri
    if best < len(RULES):
        return RULES[best]
    if (
        n <= SHORT_LINE
        and words
        and words <= _SHARE_WORDS
        and ("share" in words or len(words) >= 2)
    ):
        return SHARE_BAR
    return None


SHARE_BAR = Rule("share:bar", "furniture-share", SHORT_LINE)


def _holds_one(low: str, needs: tuple[str, ...]) -> bool:
    """Whether ``low`` holds one of ``needs``, or nothing is needed. (A loop: for these few
    fragments, ``any(map(...))`` costs twice as much.)"""
    for need in needs:
        if need in low:
            return True
    return not needs


def is_share_item(text: str) -> bool:
    """True for a line made only of share-bar words (``Email``, ``Print``)."""
    if len(text) > 30:
        return False
    words = line_words(text.lower())
    return bool(words) and words <= _SHARE_WORDS


def _index() -> dict[str, list[tuple[int, re.Pattern[str]]]]:
    by_word: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
    for ri, rule in enumerate(RULES):
        for word, pattern in rule.phrases:
            by_word.setdefault(word, []).append((ri, pattern))
    return by_word


_BY_WORD = _index()
_GATE_WORDS = frozenset(_BY_WORD)
_STARTS = tuple(
    (ri, r.start, r.needs, r.max_len) for ri, r in enumerate(RULES) if r.start is not None
)
_GATED_STARTS = tuple(start for start in _STARTS if start[2])
# Matches at the start of a line where any ungated start pattern does (an alternation matches
# where one of its branches does), so a line it rejects is tried on the gated ones alone.
_ANY_UNGATED_START = re.compile(
    "|".join(f"(?:{pattern.pattern})" for _, pattern, needs, _ in _STARTS if not needs)
)


def is_comment_section(
    text: str, low: str | None = None, words: frozenset[str] | None = None
) -> bool:
    """True when the line opens (or states the policy of) a reader comment section."""
    if len(text) > 400:
        return False
    low = text.lower() if low is None else low
    words = line_words(low) if words is None else words
    if _COMMENT_START.match(low) is not None:
        return True
    return not words.isdisjoint(_COMMENT_GATES) and any(
        w in words and p.search(low) for w, p in _COMMENT_PHRASES
    )


def is_support_continuation(text: str) -> bool:
    """True for a paragraph that continues a support plea: the publisher speaking of itself."""
    return SUPPORT_PERSON.search(text) is not None and not _SUPPORT_VOCAB.isdisjoint(
        line_words(text.lower())
    )
