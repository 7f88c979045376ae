"""Token, sentence, skeleton and quotation views of a canonical body.

Every view keeps code-point offsets into the body, so evidence can point back at the text.
:class:`Vocabulary` interns words once per corpus, so a body is viewed as integer arrays with
one regex split and one dictionary look-up per word; the per-token Python objects of
:func:`tokens_of` are kept for callers that want them (and as the reference the tests hold
the arrays to).
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.format.parquetio import string_data, string_offsets

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_SPLIT = re.compile(r"(\w+(?:['’]\w+)*)")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s+)|\n\n+")
_QUOTE_PAIRS = {"“": "”", "‘": "’", "«": "»", "„": "“", '"': '"', "'": "'"}
_QUOTE_CHAR = re.compile(f"[{re.escape(''.join(sorted({*_QUOTE_PAIRS, *_QUOTE_PAIRS.values()})))}]")
# Whether each code point is a quotation mark, up to one past the last (which stands for all
# those above it).
_QUOTE_POINT = np.zeros(max(map(ord, {*_QUOTE_PAIRS, *_QUOTE_PAIRS.values()})) + 2, dtype=bool)
_QUOTE_POINT[[ord(mark) for mark in {*_QUOTE_PAIRS, *_QUOTE_PAIRS.values()}]] = True
# The closing mark of each code point that opens a quotation (0: none), up to one past the
# last (as for ``_QUOTE_POINT``).
_CLOSING_POINT = np.zeros(len(_QUOTE_POINT), dtype=np.uint32)
_CLOSING_POINT[[ord(mark) for mark in _QUOTE_PAIRS]] = [ord(c) for c in _QUOTE_PAIRS.values()]
_BEFORE_SENTENCE = " \"'“‘«("
_SENTENCE_MARKS = ".!?…\n:"

# Words a synonym spinner leaves alone: their order is the skeleton that survives a spin.
FUNCTION_WORDS = frozenset(
    (
        "a",
        "about",
        "above",
        "after",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "least",
        "less",
        "many",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "neither",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shall",
        "she",
        "should",
        "since",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "it's",
        "that's",
        "there's",
        "we're",
        "they're",
        "i'm",
        "we'll",
        "they'll",
        "he's",
        "she's",
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


def word_hash(word: str) -> int:
    """Stable 64-bit hash of a word (Python's salted ``hash`` is never used)."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


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
    while j >= 0 and text[j] in _BEFORE_SENTENCE:
        j -= 1
    return j < 0 or text[j] in _SENTENCE_MARKS


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of quoted passages (the text between the marks).

    A quotation left open runs to the end of its paragraph, as news copy does when a quote
    carries over several paragraphs. Apostrophes inside words are not taken as marks.
    """
    marks = [found.start() for found in _QUOTE_CHAR.finditer(text)]
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(marks):
        # the paragraph of this mark ends at the next break: no break is cut short before it
        # (a mark is no line break), so splitting the text at its breaks finds the same one
        end = text.find("\n\n", marks[k])
        end = len(text) if end < 0 else end
        stop = bisect_left(marks, end, k)
        out.extend(_quoted_in_paragraph(text, marks[k:stop], end))
        k = stop
    return out


def _quoted_in_paragraph(text: str, marks: list[int], end: int) -> list[tuple[int, int]]:
    """Scan only the quotation marks of the paragraph that ends at ``end``: the next mark
    after an opening one that may close it closes it, and scanning goes on after it. (The
    characters on either side of a paragraph are line breaks, which open and close as the
    paragraph's edges do.)"""
    out = []
    k = 0
    while k < len(marks):
        i = marks[k]
        k += 1
        if text[i] not in _QUOTE_PAIRS or not _opens(text, i):
            continue
        close = _QUOTE_PAIRS[text[i]]
        while k < len(marks) and not (text[marks[k]] == close and _closes(text, marks[k])):
            k += 1
        j = marks[k] if k < len(marks) else end
        if j - i > 1:
            out.append((i + 1, j))
        k += 1
    return out


def _opens(text: str, i: int) -> bool:
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return not before.isalnum() and not after.isspace()


def _closes(text: str, j: int) -> bool:
    after = text[j + 1] if j + 1 < len(text) else " "
    return not after.isalnum()


def _ids_of(items: list[str], known, add) -> list[int]:
    """Ids of ``items``: one C-level dictionary look-up each, Python only for new ones."""
    ids = list(map(known, items))
    if None in ids:
        ids = [add(item) if i is None else i for item, i in zip(items, ids, strict=True)]
    return ids


def _piece_ids(dictionary: pa.Array, pieces: np.ndarray, known, add) -> np.ndarray:
    """Ids of ``pieces`` (indices into ``dictionary``), new ones given in the order of first
    occurrence among them (as :func:`_ids_of` gives them): each distinct piece looked up
    once."""
    first = np.full(len(dictionary), len(pieces))
    np.minimum.at(first, pieces, np.arange(len(pieces)))
    held = np.flatnonzero(first < len(pieces))
    held = held[np.argsort(first[held])]
    ids = np.zeros(len(dictionary), dtype=np.int32)
    ids[held] = _ids_of(dictionary.take(pa.array(held)).to_pylist(), known, add)
    return ids[pieces]


_PY_WORD_CHAR = re.compile(r"\w")
_CURLY_APOSTROPHE = np.frombuffer("’".encode(), np.uint8)


def _ascii_word(data: np.ndarray) -> np.ndarray:
    """Python's ``\\w`` of each byte that is a character alone (ASCII: letters, digits, the
    underscore), by comparisons (a few times faster than a table look-up); the bytes of longer
    UTF-8 sequences are classed by the character they start (``_word_bytes``)."""
    letter = (data | 0x20) - ord("a") < 26  # bytes below "a" wrap round, above 128
    digit = data - ord("0") < 10
    return letter | digit | (data == ord("_"))


def _word_bytes(data: np.ndarray) -> np.ndarray:
    """Whether each byte of valid UTF-8 ``data`` belongs to a character Python's ``\\w``
    matches: a table look-up for ASCII, a match per distinct other character, decoded from
    its lead byte and given to its whole sequence."""
    word = _ascii_word(data)
    leads = np.flatnonzero(data >= 0xC0)
    if not len(leads):
        return word
    padded = np.concatenate((data, np.zeros(3, dtype=np.uint8)))
    b0, b1, b2, b3 = (padded[leads + k].astype(np.int32) for k in range(4))
    b1, b2, b3 = b1 & 0x3F, b2 & 0x3F, b3 & 0x3F
    two = ((b0 & 0x1F) << 6) | b1
    three = ((b0 & 0x0F) << 12) | (b1 << 6) | b2
    four = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
    points = np.where(b0 >= 0xF0, four, np.where(b0 >= 0xE0, three, two))
    others, which = np.unique(points, return_inverse=True)
    matched = np.array([bool(_PY_WORD_CHAR.match(chr(p))) for p in others.tolist()])[which]
    sizes = np.where(b0 >= 0xF0, 4, np.where(b0 >= 0xE0, 3, 2))
    for k in range(4):
        part = sizes > k
        word[leads[part] + k] = matched[part]
    return word


def _piece_offsets(
    data: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte offsets cutting each text (``bounds``: the texts' offsets into ``data``) into its
    separators and words, alternately (``sep, word, sep, ..., word, sep``), as ``_SPLIT``
    cuts it, the word count of each text, and where each word is among the pieces. A word is
    a run of word characters, joined across an apostrophe that has one on either side in the
    same text."""
    size = len(data)
    word = _word_bytes(data)
    token = word.copy()
    for at, width in _apostrophes(data):
        after = at + width
        inside = (at > 0) & (after < size)
        at, after = at[inside], after[inside]
        joins = at[~_opens_text(bounds, at) & ~_opens_text(bounds, after)]
        joins = joins[word[joins - 1] & word[joins + width]]
        for k in range(width):
            token[joins + k] = True
    starts, ends = _runs(token, bounds)
    texts = len(bounds) - 1
    counts = np.diff(np.searchsorted(starts, bounds))
    # text k's pieces start at 2 * (its first word) + k, so word w of text k is piece 2w + k + 1
    at_word = 2 * np.arange(len(starts)) + 1 + np.repeat(np.arange(texts), counts)
    offsets = np.empty(2 * len(starts) + texts + 1, dtype=np.int64)
    offsets[2 * (np.cumsum(counts) - counts) + np.arange(texts)] = bounds[:-1]
    offsets[-1] = bounds[-1]
    offsets[at_word] = starts
    offsets[at_word + 1] = ends
    return offsets, counts, at_word


def _opens_text(bounds: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each of ``at`` is where a text starts (or all end)."""
    found = np.minimum(np.searchsorted(bounds, at), len(bounds) - 1)
    return bounds[found] == at


def _runs(token: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[start, end)`` of each run of ``token`` bytes, cut where a text starts."""
    edges = np.flatnonzero(token[1:] != token[:-1]) + 1
    if len(token) and token[0]:
        edges = np.concatenate(([0], edges))
    if len(token) and token[-1]:
        edges = np.concatenate((edges, [len(token)]))
    starts, ends = edges[0::2], edges[1::2]
    # a run across the bound of two texts is a word of each: few bounds, so inserted after
    inner = np.unique(bounds[(bounds > 0) & (bounds < len(token))])
    cut = inner[token[inner - 1] & token[inner]]
    if len(cut):
        starts = np.insert(starts, np.searchsorted(starts, cut), cut)
        ends = np.insert(ends, np.searchsorted(ends, cut), cut)
    return starts, ends


def _apostrophes(data: np.ndarray) -> Iterator[tuple[np.ndarray, int]]:
    """(byte offsets, width) of the straight apostrophes, then of the curly ones."""
    yield np.flatnonzero(data == ord("'")), 1
    if len(data) >= 3:
        lead = np.flatnonzero(data[:-2] == _CURLY_APOSTROPHE[0])
        rest = (data[lead + 1] == _CURLY_APOSTROPHE[1]) & (data[lead + 2] == _CURLY_APOSTROPHE[2])
        yield lead[rest], 3


# Classes of the separator before a word, for telling names from sentence-initial capitals.
_SEP_OTHER, _SEP_AFTER_SENTENCE, _SEP_MARKS_ONLY = 0, 1, 2


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    if size <= len(array):
        return array
    out = np.zeros(max(size, 2 * len(array)), dtype=array.dtype)
    out[: len(array)] = array
    return out


class Vocabulary:
    """Words and separators interned once per corpus, with per-id facts as numpy arrays.

    Ids depend on the order words are first seen, so they are only ever compared for
    equality; whatever is hashed, ordered or written uses the words themselves or their
    stable hashes. Memory grows with the distinct words, not with the corpus.
    """

    def __init__(self) -> None:
        self._raw: dict[str, int] = {}
        self._folded: dict[str, int] = {}
        self._seps: dict[str, int] = {}
        self.words: list[str] = []  # folded word of each folded id
        self.raw_fold = np.zeros(1024, dtype=np.int32)
        self.raw_len = np.zeros(1024, dtype=np.int64)
        self.raw_capital = np.zeros(1024, dtype=bool)
        self.hash = np.zeros(1024, dtype=np.uint64)  # by folded id
        self.function = np.zeros(1024, dtype=bool)
        self.digit = np.zeros(1024, dtype=bool)
        self.sep_class = np.zeros(64, dtype=np.int8)
        self.sep_len = np.zeros(64, dtype=np.int64)
        self.sep_break = np.zeros(64, dtype=bool)

    def view(self, text: str) -> TokenArrays:
        """The body's words as ids with their offsets."""
        parts = _SPLIT.split(text)
        raw = np.array(_ids_of(parts[1::2], self._raw.get, self._raw_id), dtype=np.int32)
        sep = np.array(_ids_of(parts[0:-1:2], self._seps.get, self._sep_id), dtype=np.int32)
        return self.arrays(raw, sep)

    def views(self, texts: pa.Array | pa.ChunkedArray) -> list[TokenArrays]:
        """:meth:`view` of each of ``texts`` (non-null), the ids given in the same order."""
        return self.batch(texts).split()

    def batch(self, texts: pa.Array | pa.ChunkedArray) -> TokenBatch:
        """The token arrays of ``texts`` (non-null), concatenated, as :meth:`view` gives them
        one by one (the same ids, given in the same order), with the words split and
        interned for all of them at once: the texts are cut into separators and words in
        numpy passes over their UTF-8 bytes, and each distinct word and separator is looked
        up once."""
        return self._joined(*self._ids(texts))

    def id_lists(self, texts: pa.Array | pa.ChunkedArray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The word and separator ids of each of ``texts`` (non-null), as :meth:`views` gives
        them, without the offsets and folded ids."""
        raw, sep, words = self._ids(texts)
        bounds = np.concatenate(([0], np.cumsum(words))).tolist()
        return [(raw[a:b], sep[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]

    def _ids(self, texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The word and separator ids of ``texts``, concatenated, and each one's word count."""
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        bounds = string_offsets(texts).astype(np.int64)
        data = string_data(texts)[bounds[0] : bounds[-1]]
        cuts, words, at_word = _piece_offsets(data, bounds - bounds[0])
        flat = pa.LargeStringArray.from_buffers(
            len(cuts) - 1, pa.py_buffer(cuts), pa.py_buffer(np.ascontiguousarray(data))
        )
        # one dictionary of words and separators (a separator is never a word), not a copy of
        # each kind's pieces to encode; a word's separator is the piece before it (the text
        # after a text's last word is none)
        encoded = pc.dictionary_encode(flat)
        pieces = encoded.indices.to_numpy()
        raw = _piece_ids(encoded.dictionary, pieces[at_word], self._raw.get, self._raw_id)
        sep = _piece_ids(encoded.dictionary, pieces[at_word - 1], self._seps.get, self._sep_id)
        return raw, sep, words

    def ids_batch(self, ids: list[tuple[np.ndarray, np.ndarray]]) -> TokenBatch:
        """The token arrays of several bodies from their word and separator ids alone, as
        :meth:`arrays` gives each, concatenated."""
        sizes = np.array([len(raw) for raw, _ in ids], dtype=np.int64)
        raw = np.concatenate([raw for raw, _ in ids]) if ids else np.empty(0, np.int32)
        sep = np.concatenate([sep for _, sep in ids]) if ids else np.empty(0, np.int32)
        return self._joined(raw, sep, sizes)

    def _joined(self, raw: np.ndarray, sep: np.ndarray, sizes: np.ndarray) -> TokenBatch:
        """The token batch of the word and separator ids of bodies of ``sizes`` words."""
        lengths = self.raw_len[raw]
        ends = np.cumsum(self.sep_len[sep] + lengths)
        bounds = np.concatenate(([0], np.cumsum(sizes)))
        ends -= np.repeat(np.concatenate(([0], ends))[bounds[:-1]], sizes)
        tokens = TokenArrays(raw, self.raw_fold[raw], ends - lengths, ends, sep)
        return TokenBatch(tokens, bounds)

    def arrays(self, raw: np.ndarray, sep: np.ndarray) -> TokenArrays:
        """The token arrays of a body from its word and separator ids alone."""
        lengths = self.raw_len[raw]
        ends = np.cumsum(self.sep_len[sep] + lengths)
        return TokenArrays(raw, self.raw_fold[raw], ends - lengths, ends, sep)

    def _raw_id(self, word: str) -> int:
        found = self._raw.get(word)
        if found is not None:
            return found
        index = self._added(self._raw, word, ("raw_fold", "raw_len", "raw_capital"))
        self.raw_fold[index] = self._fold_id(fold(word))
        self.raw_len[index] = len(word)
        self.raw_capital[index] = word[0].isupper()
        return index

    def _fold_id(self, word: str) -> int:
        found = self._folded.get(word)
        if found is not None:
            return found
        index = self._added(self._folded, word, ("hash", "function", "digit"))
        self.words.append(word)
        self.hash[index] = word_hash(word)
        self.function[index] = word in FUNCTION_WORDS
        self.digit[index] = word[0].isdigit()
        return index

    def _added(self, ids: dict[str, int], key: str, arrays: tuple[str, ...]) -> int:
        """The next id, given to ``key`` in ``ids``; the named per-id arrays grow to hold it."""
        index = ids[key] = len(ids)
        for name in arrays:
            setattr(self, name, _grown(getattr(self, name), index + 1))
        return index

    def folded_id(self, word: str) -> int:
        """The id of a folded word already seen."""
        return self._folded[word]

    def _sep_id(self, sep: str) -> int:
        found = self._seps.get(sep)
        if found is not None:
            return found
        index = self._added(self._seps, sep, ("sep_class", "sep_len", "sep_break"))
        self.sep_len[index] = len(sep)
        kept = sep.rstrip(_BEFORE_SENTENCE)
        if not kept:
            self.sep_class[index] = _SEP_MARKS_ONLY
        elif kept[-1] in _SENTENCE_MARKS:
            self.sep_class[index] = _SEP_AFTER_SENTENCE
        # a sentence end lies wholly between two words, so looking at the separator suffices
        self.sep_break[index] = _SENTENCE_END.search(sep) is not None
        return index

    def names(self, tokens: TokenArrays, firsts: np.ndarray | None = None) -> np.ndarray:
        """Capitalised words not opening a sentence (what :func:`skeleton_of` keeps as names);
        ``firsts``: where each body's words start when ``tokens`` holds several."""
        cls = self.sep_class[tokens.sep]
        opening = cls == _SEP_AFTER_SENTENCE
        if firsts is None:
            firsts = np.zeros(min(1, len(opening)), dtype=np.int64)
        opening[firsts] |= cls[firsts] == _SEP_MARKS_ONLY
        return self.raw_capital[tokens.raw] & ~opening

    def skeleton_hashes(
        self, tokens: TokenArrays, firsts: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of :func:`skeleton_of`'s strings, and which tokens are plain content words
        (``firsts`` as for :meth:`names`)."""
        kept = self.function[tokens.fold] | self.names(tokens, firsts)
        digit = self.digit[tokens.fold] & ~self.function[tokens.fold]
        content = ~kept & ~digit
        out = np.where(kept, self.hash[tokens.fold], _BLANK_HASH)
        out[digit & ~kept] = _NUMBER_HASH
        return out, content

    def sentences(self, tokens: TokenArrays) -> list[Sentence]:
        """:func:`sentences_of` from the separators."""
        n = len(tokens.raw)
        if n == 0:
            return []
        breaks = np.flatnonzero(self.sep_break[tokens.sep[1:]]) + 1
        firsts = [0, *breaks.tolist()]
        lasts = [*breaks.tolist(), n]
        starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
        return [
            Sentence(f, la, starts[f], ends[la - 1]) for f, la in zip(firsts, lasts, strict=True)
        ]


_BLANK_HASH = np.uint64(word_hash("_"))
_NUMBER_HASH = np.uint64(word_hash("#"))


@dataclass(frozen=True)
class TokenArrays:
    """A body's words as parallel arrays: raw and folded ids (see :class:`Vocabulary`), their
    ``[start, end)`` offsets, and the id of the separator before each word."""

    raw: np.ndarray
    fold: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    sep: np.ndarray


@dataclass(frozen=True)
class TokenBatch:
    """The token arrays of several bodies, concatenated: body ``k`` holds the tokens
    ``bounds[k]:bounds[k + 1]``, its offsets counted from its own start."""

    tokens: TokenArrays
    bounds: np.ndarray

    @classmethod
    def of(cls, views: list[TokenArrays]) -> TokenBatch:
        sizes = [len(v.raw) for v in views]
        columns = [
            np.concatenate([getattr(v, name) for v in views]) if views else np.empty(0, dtype)
            for name, dtype in zip(
                ("raw", "fold", "starts", "ends", "sep"),
                (np.int32, np.int32, np.int64, np.int64, np.int32),
                strict=True,
            )
        ]
        return cls(TokenArrays(*columns), np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))

    def split(self) -> list[TokenArrays]:
        """Each body's token arrays (views of the concatenation)."""
        t = self.tokens
        return [
            TokenArrays(t.raw[a:b], t.fold[a:b], t.starts[a:b], t.ends[a:b], t.sep[a:b])
            for a, b in zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist(), strict=True)
        ]


def batch_quote_ids(texts: list[str], batch: TokenBatch) -> np.ndarray:
    """:func:`quote_ids` of each of ``texts`` (tokenized as ``batch``), concatenated: their
    quotation marks found and paired in numpy passes over all their characters and marks
    (no text scanned alone), and their quoted tokens in one search."""
    lengths = np.array([len(text) for text in texts], dtype=np.int64)
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    owner, index, spans = _quoted_spans(points, np.concatenate(([0], np.cumsum(lengths))))
    # a token's offsets made one ascending key over all the texts: its text's, then its own
    tokens, bounds = batch.tokens, batch.bounds
    width = int(lengths.max(initial=0)) + 1
    token_owner = np.repeat(np.arange(len(texts), dtype=np.int64), np.diff(bounds))
    lo = np.searchsorted(token_owner * width + tokens.starts, owner * width + spans[:, 0], "left")
    hi = np.searchsorted(token_owner * width + tokens.ends, owner * width + spans[:, 1], "right")
    sizes = np.maximum(hi - lo, 0)
    out = np.full(len(tokens.raw), -1, dtype=np.int32)
    out[np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))] = np.repeat(
        index, sizes
    )
    return out


def _quoted_spans(
    points: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`quoted_ranges` of every text (code ``points``, text ``k`` at
    ``bounds[k]:bounds[k + 1]``) in numpy passes over their quotation marks: each range's
    text, its index among that text's ranges, and its ``[start, end)`` in its text."""
    marks = np.flatnonzero(_QUOTE_POINT.take(points, mode="clip"))
    owner = np.searchsorted(bounds, marks, "right") - 1
    first, last = bounds[owner], bounds[owner + 1]
    space = ord(" ")  # what lies beyond either edge of a text
    before = np.where(marks > first, points[marks - 1], space)
    after = np.where(marks + 1 < last, points[np.minimum(marks + 1, len(points) - 1)], space)
    char = points[marks]
    close = _CLOSING_POINT[char]
    opens = (close > 0) & ~_points_are(before, str.isalnum) & ~_points_are(after, str.isspace)
    closes = ~_points_are(after, str.isalnum)
    ends = _paragraph_ends(points, bounds, marks, last)
    stop = np.searchsorted(ends, ends, "right")  # past the last mark of each one's paragraph
    # the mark closing each opening one: the next of its closing kind that closes
    shut = np.full(len(marks), len(marks))
    for kind in np.unique(close[opens]).tolist():
        closing = np.flatnonzero((char == kind) & closes)
        openers = np.flatnonzero(opens & (close == kind))
        found = np.searchsorted(closing, openers, "right")
        shut[openers] = np.append(closing, len(marks))[found]
    shut = np.where(shut < stop, shut, stop)
    scanned = _scanned_openers(opens, shut, stop, ends)
    i, shut = marks[scanned], shut[scanned]
    closed = shut < stop[scanned]
    j = np.where(closed, marks[np.minimum(shut, len(marks) - 1)], ends[scanned])
    kept = j - i > 1
    i, j, texts = i[kept], j[kept], owner[scanned][kept]
    base = bounds[texts]
    new_text = np.concatenate(([True], texts[1:] != texts[:-1])) if len(texts) else texts
    runs = np.flatnonzero(new_text)
    index = np.arange(len(texts)) - np.repeat(runs, np.diff(np.append(runs, len(texts))))
    spans = np.stack((i + 1 - base, j - base), axis=1).astype(np.int64).reshape(-1, 2)
    return texts.astype(np.int64), index.astype(np.int32), spans


def _scanned_openers(
    opens: np.ndarray, shut: np.ndarray, stop: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """The opening marks a scan of each paragraph's marks takes up, ascending: from its
    first mark, the next opening one, then the next after the mark closing it (``shut``;
    ``stop``, past the paragraph's last mark, when none does), all paragraphs a step at a
    time."""
    openers = np.flatnonzero(opens)
    firsts = np.flatnonzero(np.concatenate(([True], ends[1:] != ends[:-1]))) if len(ends) else ends
    taken = []
    at = firsts
    while len(at):
        nxt = np.searchsorted(openers, at)
        held = nxt < len(openers)
        at, nxt = at[held], openers[nxt[held]]
        nxt = nxt[nxt < stop[at]]
        taken.append(nxt)
        at = shut[nxt] + 1
        at = at[at < stop[nxt]]
    return np.sort(np.concatenate(taken)) if taken else np.empty(0, dtype=np.int64)


def _paragraph_ends(
    points: np.ndarray, bounds: np.ndarray, marks: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """Where the paragraph of each of ``marks`` ends (``last``: its text's end): the next
    paragraph break at or after it in its text, as ``str.find`` finds it."""
    lines = np.flatnonzero(points == ord("\n"))
    breaks = lines[:-1][lines[1:] == lines[:-1] + 1]
    breaks = breaks[~_opens_text(bounds, breaks + 1)]  # both line breaks in one text
    found = np.append(breaks, len(points))[np.searchsorted(breaks, marks)]
    return np.minimum(found, last)


def _points_are(points: np.ndarray, test) -> np.ndarray:
    """``test`` of the character of each code point, called once per distinct one."""
    distinct, which = np.unique(points, return_inverse=True)
    return np.array([test(chr(p)) for p in distinct.tolist()], dtype=bool)[which]


def quote_ids(text: str, tokens: TokenArrays) -> np.ndarray:
    """For each token, the index of the quotation holding it, or -1."""
    out = np.full(len(tokens.raw), -1, dtype=np.int32)
    for k, (start, end) in enumerate(quoted_ranges(text)):
        lo = int(np.searchsorted(tokens.starts, start, "left"))
        hi = int(np.searchsorted(tokens.ends, end, "right"))
        out[lo:hi] = k
    return out
