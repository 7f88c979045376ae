"""Token, sentence, skeleton and quotation views of a canonical body.

Every view keeps code-point offsets into the body, so evidence can point back at the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+)|\n\n+")
_QUOTE_PAIRS = {"“": "”", "‘": "’", "«": "»", "„": "“", '"': '"', "'": "'"}

# Words a synonym spinner leaves alone: their order is the skeleton that survives a spin.
FUNCTION_WORDS = frozenset(
    (
        "a", "about", "above", "after", "against", "all", "also", "am", "an", "and", "any", "are",
        "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but",
        "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "either",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here",
        "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
        "its", "itself", "just", "least", "less", "many", "may", "me", "might", "more", "most",
        "much", "must", "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "on",
        "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same",
        "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their",
        "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those",
        "though", "through", "to", "too", "under", "until", "up", "upon", "us", "very", "was",
        "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom", "whose",
        "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours",
        "yourself", "isn't", "aren't", "wasn't", "weren't", "don't", "doesn't", "didn't", "won't",
        "wouldn't", "can't", "couldn't", "shouldn't", "it's", "that's", "there's", "we're",
        "they're", "i'm", "we'll", "they'll", "he's", "she's",
    )
)


@dataclass(frozen=True)
class Token:
    """A word of the body: its folded form and ``[start, end)`` in the body."""

    norm: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """A sentence as the range ``tokens[first:last]`` and ``[start, end)`` in the body."""

    first: int
    last: int
    start: int
    end: int


def fold(word: str) -> str:
    """Case- and apostrophe-folded form of a word."""
    return word.lower().replace("’", "'")


def tokens_of(text: str) -> list[Token]:
    """Words of ``text`` in order, with their offsets."""
    return [Token(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def sentences_of(text: str, tokens: list[Token]) -> list[Sentence]:
    """Sentences of ``text`` (split at end punctuation and at paragraph breaks)."""
    bounds = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    out: list[Sentence] = []
    i = 0
    for bound in bounds:
        first = i
        while i < len(tokens) and tokens[i].start < bound:
            i += 1
        if i > first:
            out.append(Sentence(first, i, tokens[first].start, tokens[i - 1].end))
    return out


def skeleton_of(text: str, tokens: list[Token]) -> list[str]:
    """The spin-resistant form of each token.

    Function words stay as they are, numbers become ``#``, capitalised words inside a
    sentence (names) stay, every other content word becomes ``_``: a spinner swaps content
    words one for one, so this sequence survives it while the words do not.
    """
    out = []
    for tok in tokens:
        if tok.norm in FUNCTION_WORDS:
            out.append(tok.norm)
        elif tok.norm[0].isdigit():
            out.append("#")
        elif text[tok.start].isupper() and not _starts_sentence(text, tok.start):
            out.append(tok.norm)
        else:
            out.append("_")
    return out


def _starts_sentence(text: str, at: int) -> bool:
    j = at - 1
    while j >= 0 and text[j] in " \"'“‘«(":
        j -= 1
    return j < 0 or text[j] in ".!?…\n:"


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of quoted passages (the text between the marks).

    A quotation left open runs to the end of its paragraph, as news copy does when a quote
    carries over several paragraphs. Apostrophes inside words are not taken as marks.
    """
    out: list[tuple[int, int]] = []
    offset = 0
    for para in text.split("\n\n"):
        out.extend((offset + s, offset + e) for s, e in _quoted_in_paragraph(para))
        offset += len(para) + 2
    return out


def _quoted_in_paragraph(para: str) -> list[tuple[int, int]]:
    out = []
    i = 0
    n = len(para)
    while i < n:
        ch = para[i]
        if ch in _QUOTE_PAIRS and _opens(para, i):
            close = _QUOTE_PAIRS[ch]
            j = i + 1
            while j < n and not (para[j] == close and _closes(para, j)):
                j += 1
            if j - i > 1:
                out.append((i + 1, j))
            i = j + 1
        else:
            i += 1
    return out


def _opens(para: str, i: int) -> bool:
    before = para[i - 1] if i else " "
    after = para[i + 1] if i + 1 < len(para) else " "
    return not before.isalnum() and not after.isspace()


def _closes(para: str, j: int) -> bool:
    after = para[j + 1] if j + 1 < len(para) else " "
    return not after.isalnum()
