"""Photo captions and credits: lines that describe a picture, not the story.

A caption is recognised by a picture credit at its end (``(Name/Agency)``, ``... Stock
Photo``), a ``Pictured:`` marker, or an image file slug glued to its start. A line that is
only a credit (``Photo: Name/Agency``) is a ``credit``; so are end-of-story reporting notes.
"""

from __future__ import annotations

import re

from archive.extract.lines import wordset

_CREDIT_WORD = (
    r"(?:Photos?|Photograph(?:y|s)?|Pictures?|Images?|Wire|Press|Agency|Stock|Handout|"
    r"Collect|Archive|PA|AP|AFP|EPA|Reuters|Getty|Alamy|Shutterstock|photos?|pictures?)"
)
_PICTURED = re.compile(
    r"\bPictured:|^(?:Pictured|Above|Top|Main image|Below|Inset|File photo|FILE PHOTO)\s*:"
)
_CAPTION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("caption:credit-slash", re.compile(r"\([^()]{0,60}/[^()]{1,40}\)\s*(?:\([^()]{1,40}\))?$")),
    ("caption:credit-paren", re.compile(r"\([^()]*\b" + _CREDIT_WORD + r"\b[^()]*\)$")),
    (
        "caption:credit-tail",
        re.compile(
            r"(?:^|[.\s])(?:[A-Z][\w&'’-]*\s){0,3}(?:Stock Photo|Photo Agency|Pictures|Images|"
            r"Photography|Photos|via Getty Images)(?:\s+(?:[A-Z][\w&'’-]*\s){0,3}(?:Stock Photo|"
            r"Photo Agency|Pictures|Images|Photography|Photos))?$"
        ),
    ),
    ("caption:pictured-aside", re.compile(r"\(pictured\b")),
    # "... before dawn on Friday. Kaja Lunde / Meridian Press": a credit after the last stop,
    # labelled or not ("... the barrier failed. Photo: Tom Reed")
    (
        "caption:credit-after-stop",
        re.compile(
            r"(?:[a-z]{2}|[)”’])[.!?]\s+(?:(?:Photo(?:graph)?s?|Pictures?|Images?|Credit)\s?:\s?)?"
            r"(?:[A-Z][\w&'’.-]*\s?){1,5}(?:/\s?(?:[A-Z][\w&'’.-]*\s?){1,5})?$"
        ),
    ),
    # "Readers in the reading room (Harbour Courier)": a credit in brackets, no stop
    (
        "caption:credit-name-paren",
        re.compile(r"^\S.{20,}[^.!?\s]\s\((?:[A-Z][\w&'’.-]*\s?){1,4}\)$"),
    ),
    ("caption:slug", re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){3,}(?:\.(?:jpe?g|png|webp|gif))?\s")),
)
_AFTER_STOP = _CAPTION_RULES[4][1]
# what _AFTER_STOP needs somewhere: found by a scan that skips to the stops (the full pattern
# is tried at every position of the line)
_STOP_THEN_SPACE = re.compile(r"[.!?]\s")
_CREDIT_TAILS = ("Photo", "Agency", "Pictures", "Images", "Photography", "Photos")
_CREDIT_ONLY = re.compile(
    r"^(?:Photo(?:graph)?s?|Image|Picture|Illustration|Photo credit|Credit)\s*:\s*\S|"
    # the New York Times prints "Credit...Name/Agency" under a picture (its copied text)
    r"^Credit\s?(?:\.\.\.|…)\s?(?-i:[A-Z]).*(?<![.!?])$|"
    r"^(?:Photo(?:graph)?s?|Image|Picture|Illustration)s?\s+(?:by|courtesy of)\s+[A-Z]",
    re.IGNORECASE,
)
_CREDIT_NAMES_ONLY = re.compile(
    r"^\(?(?:[A-Z][\w&'’.-]*\s?){1,4}(?:/\s?(?:[A-Z][\w&'’.-]*\s?){1,4})?\)?$"
)
_REPORTING_NOTE = re.compile(
    r"^\(?(?:additional reporting|reporting by|editing by|writing by|compiled by|with reporting "
    r"(?:from|by))\b|contributed to this (?:report|story)\.?\)?$|^this (?:article|story) "
    r"(?:was )?(?:originally |first )?(?:appeared|published) (?:in|on|by)\b|"
    r"^this (?:article|story) (?:was|has been) (?:updated|amended|corrected)\b",
    re.IGNORECASE,
)


STORY_ENDS = frozenset('.?!:”"’,')
"""A line ending in one of these is no caption (unless it ends in one of ``CAPTION_STOPS`` or
holds "ictured"): callers may skip ``caption_rule`` for such a line."""
CAPTION_STOPS = (").", "Photo.", "Pictures.", "Images.")


def caption_rule(text: str) -> str | None:
    """Return the caption rule id matching this line, or None."""
    if len(text) > 600:
        return None
    if "ictured" in text and _PICTURED.search(text):
        return "caption:pictured"
    # story sentences end with a stop; captions and credits usually do not
    if text[-1] in STORY_ENDS and not text.endswith(CAPTION_STOPS):
        return None
    core = text[:-1] if text.endswith(".") else text
    # each pattern is tried only when the cheap shape test it implies holds
    if core.endswith(")"):
        for rule_id, pattern in _CAPTION_RULES[:2]:
            if pattern.search(core):
                return rule_id
        if core is text and len(text) <= 300 and _CAPTION_RULES[5][1].search(text):
            return _CAPTION_RULES[5][0]
    if core.endswith(_CREDIT_TAILS) and _CAPTION_RULES[2][1].search(core):
        return _CAPTION_RULES[2][0]
    if core is text and "(pictured" in text:
        return _CAPTION_RULES[3][0]
    if (text[0].islower() or text[0].isdigit()) and _CAPTION_RULES[6][1].search(text):
        return _CAPTION_RULES[6][0]
    if (
        core is text
        and len(text) <= 300
        and text[-1].isalpha()
        and _STOP_THEN_SPACE.search(text)
        and _AFTER_STOP.search(text)
    ):
        return _CAPTION_RULES[4][0]
    return None


CREDIT_WORDS = wordset(
    """
    photo photos photograph photographs image picture illustration credit reporting editing
    writing compiled contributed originally appeared updated amended corrected
    """
)
"""A line can be a credit only if it holds one of these (lower-case) words."""


def credit_rule(text: str) -> str | None:
    """Return a rule id when the line is only a picture credit or a reporting note."""
    if len(text) <= 160 and _CREDIT_ONLY.search(text):
        return "credit:label"
    if len(text) <= 240 and _REPORTING_NOTE.search(text):
        return "credit:reporting-note"
    return None


def is_bare_credit(text: str) -> bool:
    """True when a caption-classed line holds nothing but the credit names."""
    return (
        len(text) <= 60
        and _CREDIT_NAMES_ONLY.match(text) is not None
        and (re.search(_CREDIT_WORD, text) is not None)
    )
