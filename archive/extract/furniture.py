"""Rule-based page furniture: which lines of a capture are prompts, pleas, widgets, not story.

Each rule has a stable id (``<kind-suffix>:<name>``) recorded in the span it produces. Rules
look at one line; runs that span several lines (a support plea, a comment section) are grown
from a triggering line in :mod:`archive.extract.spans`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_I = re.IGNORECASE


@dataclass(frozen=True)
class Rule:
    """A line pattern that classes a line as ``kind``; ``max_len`` bounds the line length."""

    rule_id: str
    kind: str
    pattern: re.Pattern[str]
    max_len: int = 10_000


RULES: tuple[Rule, ...] = (
    Rule(
        "notification:prompt",
        "furniture-notification",
        re.compile(
            r"notifications from\b|notifications can be managed|turn on (?:push |browser )?"
            r"notifications|enable (?:push |browser )?notifications|allow notifications|"
            r"get (?:breaking )?news alerts|want to get notified|never miss a (?:story|thing)",
            _I,
        ),
        300,
    ),
    Rule(
        "cookie:prompt",
        "furniture-cookie",
        re.compile(
            r"we use cookies|cookie (?:policy|settings|preferences|notice)|accept (?:all )?cookies|"
            r"manage (?:your )?cookies|(?:site|website) uses cookies",
            _I,
        ),
        600,
    ),
    Rule(
        "support:plea",
        "furniture-support",
        re.compile(
            r"\byour support (?:helps|makes|means|keeps|allows|matters)|support (?:our|independent|"
            r"quality|local) journalism|\bwe need your help\b|\breaders like you\b|"
            r"\bmake a (?:one-off |one-time |monthly |small )?(?:contribution|donation)|"
            r"\bdonate (?:now|today)\b|\byour donation\b|\bbecome a supporter\b|"
            r"^support us\b|\bcontribute (?:now|today)\b|\bchip in\b",
            _I,
        ),
        1200,
    ),
    Rule(
        "login:prompt",
        "furniture-login",
        re.compile(
            r"thank you for registering|please refresh (?:the page|your browser)|"
            r"to be (?:automatically )?logged in|\b(?:log|sign) in to (?:continue|comment|read)|"
            r"create a free account|already (?:have an account|a subscriber)|register (?:for free|"
            r"now) to\b|subscribe to (?:continue|keep) reading|reached your (?:free )?article limit|"
            r"^(?:log in|sign in|register|subscribe|sign up)(?:\s*[|/·]\s*(?:log in|sign in|"
            r"register|subscribe|sign up))*$",
            _I,
        ),
        400,
    ),
    Rule(
        "error:widget",
        "furniture-error",
        re.compile(
            r"^[•·*\-\s]*oops\b|something went wrong|please try again later|failed to load|"
            r"javascript is (?:disabled|required)|enable javascript|video is (?:unavailable|not "
            r"available)|browser does not support|content (?:is )?(?:not available|unavailable)",
            _I,
        ),
        200,
    ),
    Rule(
        "share:read-time",
        "furniture-share",
        re.compile(r"^[^\w]*\d+[- ]?min(?:ute)?s?\.? read\b", _I),
        60,
    ),
    Rule(
        "related:heading",
        "furniture-related",
        re.compile(
            r"^(?:more about|more on this|read more|related(?: articles| stories| topics| "
            r"coverage| content)?:?$|related:|see also|recommended(?: for you| reading)?:?$|"
            r"more from|most (?:read|popular|viewed)|you may also like|trending(?: now)?:?$|"
            r"also read|more stories|read next|what to read next|latest (?:news|stories):?$)",
            _I,
        ),
        140,
    ),
    Rule(
        "other:widget",
        "furniture-other",
        re.compile(
            r"^(?:in this article:?$|advertisement|sponsored(?: content)?$|skip to (?:main )?"
            r"content|listen to (?:this )?(?:article|story)|scroll to continue|story continues "
            r"below|continue reading|topics?:|tags?:|filed under:?|follow us\b|sign up to our "
            r"\w+ newsletter|get our \w+ newsletter)",
            _I,
        ),
        120,
    ),
    Rule(
        "other:copyright",
        "furniture-other",
        re.compile(r"^(?:©|\(c\) ?\d{4}|copyright\b)|all rights reserved", _I),
        200,
    ),
)

COMMENT_SECTION = re.compile(
    r"^leave a (?:reply|comment)|^post a comment|^(?:readers?'? )?comments?(?: \(\d+\))?:?$|"
    r"^\d+ comments?$|comments? policy|community guidelines|^join the (?:conversation|discussion)|"
    r"your email address will not be published|(?:suspending|suspended|closed|disabled) "
    r"(?:article )?comment|comments (?:are|have been) (?:closed|disabled|suspended)|"
    r"^(?:show|view|load) comments|comments community|^add your comment",
    _I,
)

SUPPORT_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our)\b")
SUPPORT_VOCAB = re.compile(
    r"\b(?:support\w*|donat\w*|contribut\w*|journalis\w*|reporting|paywall\w*|readers?|fund\w*|"
    r"mission|subscri\w*|membership|afford|independent|story|stories|news|documentary|trusted|"
    r"truth|advertising|value)\b",
    _I,
)

_SHARE_WORDS = frozenset(
    "share this article story on via copy link copied print email e mail facebook twitter x "
    "whatsapp linkedin reddit flipboard pinterest telegram messenger save gift comments comment "
    "bookmark tweet post".split()
)
_WORD = re.compile(r"[a-z]+")


def line_rule(text: str) -> Rule | None:
    """Return the first furniture rule that classes this (stripped) line, or None."""
    n = len(text)
    for rule in RULES:
        if n <= rule.max_len and rule.pattern.search(text):
            return rule
    if n <= 80 and _is_share_bar(text):
        return SHARE_BAR
    return None


SHARE_BAR = Rule("share:bar", "furniture-share", re.compile(r"$^"), 80)


def _is_share_bar(text: str) -> bool:
    words = _WORD.findall(text.lower())
    return bool(words) and all(w in _SHARE_WORDS for w in words) and (
        "share" in words or len(words) >= 2
    )


def is_comment_section(text: str) -> bool:
    """True when the line opens (or states the policy of) a reader comment section."""
    return len(text) <= 400 and COMMENT_SECTION.search(text) is not None


def is_support_continuation(text: str) -> bool:
    """True for a paragraph that continues a support plea: the publisher speaking of itself."""
    return SUPPORT_PERSON.search(text) is not None and SUPPORT_VOCAB.search(text) is not None
