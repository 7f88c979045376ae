"""Confirmation of candidate pairs by alignment, producing the evidence.

Bodies are compared as integer-coded tokens (:class:`Doc`); shared passages are found from
the shared ``n``-grams of the two bodies, the longest first as :mod:`difflib` does, but in
time linear in the body length. Each function returns the evidence as plain data, or
``None``/empty when the pair is not confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

import numpy as np

from archive.relations.model import RelationSettings
from archive.relations.signatures import gram_hashes, segment_grams
from archive.relations.text import (
    Sentence,
    TokenArrays,
    TokenBatch,
    Vocabulary,
    quote_ids,
)

# An n-gram repeated more often than this in one body is filler; it anchors no passage.
_MAX_REPEATS = 16
# Gaps between shared passages longer than this are rewrites, not word swaps.
_MAX_SWAP_GAP = 200

Block = tuple[int, int, int]  # (start in a, start in b, length)


@dataclass(frozen=True)
class Doc:
    """A body viewed as token arrays, with the derived views computed once when first used."""

    text: str | None  # None when rebuilt from stored token arrays (no quotation view then)
    tokens: TokenArrays
    vocab: Vocabulary

    @cached_property
    def hashes(self) -> np.ndarray:
        return self.vocab.hash[self.tokens.fold]

    @cached_property
    def skeleton(self) -> np.ndarray:
        """Hashes of the skeleton tokens (see :func:`archive.relations.text.skeleton_of`)."""
        return self.vocab.skeleton_hashes(self.tokens)[0]

    @cached_property
    def ids(self) -> list[int]:
        return self.tokens.fold.tolist()

    @cached_property
    def swappable(self) -> list[bool]:
        """Content words that are neither numbers nor names: what a spinner may swap."""
        fold = self.tokens.fold
        plain = ~self.vocab.function[fold] & ~self.vocab.digit[fold]
        return (plain & ~self.vocab.names(self.tokens)).tolist()

    @cached_property
    def names_or_numbers(self) -> list[bool]:
        return (self.vocab.digit[self.tokens.fold] | self.vocab.names(self.tokens)).tolist()

    @cached_property
    def function(self) -> list[bool]:
        return self.vocab.function[self.tokens.fold].tolist()

    @cached_property
    def sentences(self) -> list[Sentence]:
        return self.vocab.sentences(self.tokens)

    @cached_property
    def quoted(self) -> np.ndarray:
        """For each token, the index of the quotation holding it, or -1."""
        return quote_ids(self.text, self.tokens)

    def __len__(self) -> int:
        return len(self.tokens.raw)

    def span(self, first: int, last: int) -> list[int]:
        return [int(self.tokens.starts[first]), int(self.tokens.ends[last - 1])]


def doc_of(text: str, vocab: Vocabulary) -> Doc:
    """The aligned views of a body."""
    return Doc(text, vocab.view(text), vocab)


def matching_blocks(
    a: np.ndarray, b: np.ndarray, least: int, max_repeats: int = _MAX_REPEATS
) -> list[Block]:
    """Runs of at least ``least`` equal tokens shared by ``a`` and ``b`` (token hashes), in
    order in both and not overlapping: the longest first, then the longest in the parts
    left before and after it, as :class:`difflib.SequenceMatcher` chooses its blocks.
    """
    runs = diagonal_runs(a, b, least, max_repeats)
    return _non_crossing(runs, least, len(a), len(b))


def diagonal_runs(
    a: np.ndarray, b: np.ndarray, least: int, max_repeats: int = _MAX_REPEATS
) -> list[Block]:
    """Every maximal run of at least ``least`` tokens equal in ``a`` and ``b``."""
    ga, gb = gram_hashes(a, least), gram_hashes(b, least)
    ia, jb = _gram_matches(ga, gb, max_repeats)
    return _runs_of(ia, jb, least - 1)


def _gram_matches(
    ga: np.ndarray, gb: np.ndarray, max_repeats: int = _MAX_REPEATS
) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(i, j)`` with ``ga[i] == gb[j]``, repeated filler left out."""
    if len(ga) == 0 or len(gb) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    order = np.argsort(gb, kind="stable")
    sorted_b = gb[order]
    lo = np.searchsorted(sorted_b, ga, "left")
    count = np.searchsorted(sorted_b, ga, "right") - lo
    count[count > max_repeats] = 0
    ia = np.repeat(np.arange(len(ga)), count)
    within = np.arange(len(ia)) - np.repeat(np.cumsum(count) - count, count)
    return ia, order[np.repeat(lo, count) + within]


def _runs_of(ia: np.ndarray, jb: np.ndarray, extra: int) -> list[Block]:
    """Maximal diagonal runs of matching grams, as token blocks (a gram covers ``extra + 1``
    tokens)."""
    if len(ia) == 0:
        return []
    diagonal = jb - ia
    order = np.lexsort((ia, diagonal))
    ia, diagonal = ia[order], diagonal[order]
    new = np.r_[True, (diagonal[1:] != diagonal[:-1]) | (ia[1:] != ia[:-1] + 1)]
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, len(ia)]) + extra
    firsts = ia[starts]
    return list(
        zip(firsts.tolist(), (firsts + diagonal[starts]).tolist(), sizes.tolist(), strict=True)
    )


def _non_crossing(runs: list[Block], least: int, n_a: int, n_b: int) -> list[Block]:
    out: list[Block] = []
    stack = [(0, n_a, 0, n_b, runs)]
    while stack:
        alo, ahi, blo, bhi, inside = stack.pop()
        best, kept = None, []
        for i, j, size in inside:
            d = j - i
            first, last = max(i, alo, blo - d), min(i + size, ahi, bhi - d)
            if last - first >= least:
                kept.append((first, first + d, last - first))
                if best is None or (last - first, -first, -first - d) > (
                    best[2],
                    -best[0],
                    -best[1],
                ):
                    best = kept[-1]
        if best is None:
            continue
        out.append(best)
        i, j, size = best
        stack.append((i + size, ahi, j + size, bhi, kept))
        stack.append((alo, i, blo, j, kept))
    return sorted(out)


def shared_passages(a: Doc, b: Doc, settings: RelationSettings) -> dict | None:
    """Near-duplicate evidence: passages shared word for word and the share they cover."""
    if not len(a) or not len(b):
        return None
    runs = diagonal_runs(a.hashes, b.hashes, settings.min_passage_words)
    if sum(size for _, _, size in runs) < settings.near_min_coverage * min(len(a), len(b)):
        return None  # the runs, overlapping or not, could not cover enough
    blocks = _non_crossing(runs, settings.min_passage_words, len(a), len(b))
    covered = sum(size for _, _, size in blocks)
    cover_a, cover_b = covered / len(a), covered / len(b)
    shorter, longer = (cover_a, cover_b) if len(a) <= len(b) else (cover_b, cover_a)
    if shorter < settings.near_min_coverage or longer < settings.near_min_coverage_longer:
        return None
    passages = [
        {"source": a.span(i, i + size), "target": b.span(j, j + size), "words": size}
        for i, j, size in blocks
    ]
    return {
        "passages": passages,
        "source_coverage": round(cover_a, 4),
        "target_coverage": round(cover_b, 4),
        "scattered_swaps": _scattered_swaps(a, b, blocks),
    }


def may_share_passages(
    hashes: Mapping[int, np.ndarray],
    left: np.ndarray,
    right: np.ndarray,
    settings: RelationSettings,
    max_repeats: int = _MAX_REPEATS,
    chunk: int = 2048,
) -> np.ndarray:
    """For each pair ``(left[k], right[k])`` of two distinct bodies (their token ``hashes``;
    a body paired with itself would not match its grams held once), whether
    :func:`shared_passages` goes past its first checks: both bodies have words, and the
    runs :func:`diagonal_runs` finds could cover enough. Found for ``chunk`` pairs at a time
    in a few numpy passes; where it is False, ``shared_passages`` returns None."""
    out = np.zeros(len(left), dtype=bool)
    for part in _pair_slices(lambda u: len(hashes[u]), left, right, chunk):
        out[part] = _may_share(hashes, left[part], right[part], settings, max_repeats)
    return out


_PAIR_WORDS = 1 << 20  # words of the pairs matched at once
_COUNT_BITS = 21  # at most 2**21 count cells (16 MiB) when finding repeated grams
# Gram matches of the pairs matched at once. Repeated words match pairwise (a thousand-fold
# "no no no" in two bodies is a million matches): such pairs go a few at a time.
_PAIR_MATCHES = 1 << 20


def _pair_slices(
    size: Callable[[int], int], left: np.ndarray, right: np.ndarray, most: int
) -> list[slice]:
    """Consecutive slices of the pairs ``(left[k], right[k])``, each of at most ``most`` pairs
    and ``_PAIR_WORDS`` words (or one pair), a body having ``size(body)`` words."""
    words = np.array(
        [size(u) + size(v) for u, v in zip(left.tolist(), right.tolist(), strict=True)]
    )
    out = []
    ends = np.cumsum(words)
    at = 0
    while at < len(words):
        done = int(ends[at - 1]) if at else 0
        stop = max(at + 1, int(np.searchsorted(ends, done + _PAIR_WORDS, "right")))
        stop = min(stop, at + most, len(words))
        out.append(slice(at, stop))
        at = stop
    return out


def _may_share(hashes, left, right, settings: RelationSettings, max_repeats: int) -> np.ndarray:
    pair, _, _, sizes = pair_runs(hashes, left, right, settings.min_passage_words, max_repeats)
    covered = np.zeros(len(left), dtype=np.int64)
    np.add.at(covered, pair, sizes)
    a_len = np.array([len(hashes[u]) for u in left.tolist()], dtype=np.int64)
    b_len = np.array([len(hashes[v]) for v in right.tolist()], dtype=np.int64)
    shorter = np.minimum(a_len, b_len)
    # as Python compares an int with a float: exactly (the sums are far below 2**53)
    enough = ~(covered.astype(np.float64) < settings.near_min_coverage * shorter)
    return (a_len > 0) & (b_len > 0) & enough


def pair_runs(
    hashes: Mapping[int, np.ndarray],
    left: np.ndarray,
    right: np.ndarray,
    least: int,
    max_repeats: int = _MAX_REPEATS,
    screen: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`diagonal_runs` of the token ``hashes`` of each pair ``(left[k], right[k])`` of
    two distinct bodies, found for all the pairs in a few numpy passes: each run's pair ``k``,
    where it starts in either body and its length, by pair, diagonal and start. ``screen``:
    whether most grams are held once, so leaving them out first saves sorting them."""
    numbers = np.union1d(left, right)
    held = [hashes[i] for i in numbers.tolist()]
    lengths = np.array([len(h) for h in held], dtype=np.int64)
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    grams, gram_bounds, _ = segment_grams(
        np.concatenate(held) if held else np.empty(0, np.uint64), bounds, least
    )
    firsts = gram_bounds[:-1]
    # a gram held once among all these bodies matches nothing: most are, and go unsorted
    kept = repeated_positions(grams) if screen else np.arange(len(grams))
    sizes = np.bincount(np.searchsorted(gram_bounds, kept, "right") - 1, minlength=len(held))
    dense, at = _grams_by_body(grams[kept], sizes)
    at = kept[at]
    a_slot, b_slot = np.searchsorted(numbers, left), np.searchsorted(numbers, right)
    # each body's grams in the order of their ids: a side's keys ascend with no sort of their own
    held_firsts = np.cumsum(sizes) - sizes
    a_key, a_at = _pair_entries(a_slot, sizes, held_firsts, dense)
    b_key, b_at = _pair_entries(b_slot, sizes, held_firsts, dense)
    lo, count = _equal_ranges(b_key, a_key)
    count[count > max_repeats] = 0  # filler, as _gram_matches leaves it out
    if len(left) > 1 and int(count.sum()) > _PAIR_MATCHES:  # repetitive bodies: fewer at once
        half = len(left) // 2
        first = pair_runs(hashes, left[:half], right[:half], least, max_repeats, screen)
        second = pair_runs(hashes, left[half:], right[half:], least, max_repeats, screen)
        return (np.concatenate((first[0], second[0] + half)),) + tuple(
            np.concatenate(columns) for columns in zip(first[1:], second[1:], strict=True)
        )
    ia, jb = _matches(lo, count)
    pair = (a_key[ia] >> np.uint64(32)).astype(np.int64)
    i = at[a_at[ia]] - firsts[a_slot[pair]]
    d = (at[b_at[jb]] - firsts[b_slot[pair]]) - i
    pair, i, d, starts = _diagonal_runs(pair, i, d)
    run_sizes = np.diff(np.append(starts, len(i))) + least - 1
    return pair[starts], i[starts], i[starts] + d[starts], run_sizes


def repeated_positions(values: np.ndarray, bits: int | None = None) -> np.ndarray:
    """Ascending positions in ``values`` (well-mixed 64-bit hashes) of every value held more
    than once there, and of some held once: those that share a count cell (``bits`` of the
    value, 2**bits cells, about twice as many as values by default) with another in each of
    three passes over other bits. Counting takes a few linear passes where sorting them all
    took most of :func:`may_share_passages`' time."""
    kept = np.arange(len(values))
    if not len(values):
        return kept
    bits = bits or min(_COUNT_BITS, int(len(values) - 1).bit_length() + 1)
    mask = np.uint64((1 << bits) - 1)
    for shift in (0, 21, 42):
        cells = ((values[kept] >> np.uint64(shift)) & mask).astype(np.intp)
        kept = kept[np.bincount(cells, minlength=1 << bits)[cells] > 1]
    return kept


def _equal_ranges(ranked: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` would go in the ascending ``ranked``, and how many equal it
    there: one search, the ends of the runs of equal values found in a pass."""
    lo = np.searchsorted(ranked, keys, "left")
    if not len(ranked):
        return lo, np.zeros(len(keys), dtype=np.int64)
    ends = np.append(np.flatnonzero(ranked[1:] != ranked[:-1]) + 1, len(ranked))
    run_end = np.repeat(ends, np.diff(np.concatenate(([0], ends))))
    at = np.minimum(lo, len(ranked) - 1)
    found = (lo < len(ranked)) & (ranked[at] == keys)
    return lo, np.where(found, run_end[at] - lo, 0)


def _grams_by_body(grams: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ids of the distinct ``grams`` (32 bits: a pair's key fits 64), each body's (``sizes``
    consecutive grams) ordered by id, and the position of each in ``grams``."""
    order = np.argsort(grams)
    ranked = grams[order]
    dense = np.zeros(len(grams), dtype=np.int64)
    np.cumsum(ranked[1:] != ranked[:-1], out=dense[1:])
    body = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)[order]
    # a stable sort by body keeps the ids ascending within each (a radix sort when they fit)
    small = body.astype(np.uint16) if len(sizes) <= 1 << 16 else body
    by_body = np.argsort(small, kind="stable")
    return dense[by_body], order[by_body]


def _scattered_swaps(a: Doc, b: Doc, blocks: list[Block]) -> int:
    """One-for-one swaps of single content words between verbatim runs: a spinner's mark.

    An edited syndicated copy differs in whole sentences or paragraphs, not word by word.
    """
    count = 0
    ends = [(0, 0), *((i + size, j + size) for i, j, size in blocks)]
    begins = [*((i, j) for i, j, _ in blocks), (len(a), len(b))]
    for (a0, b0), (a1, b1) in zip(ends, begins, strict=True):
        if 0 < a1 - a0 <= _MAX_SWAP_GAP and 0 < b1 - b0 <= _MAX_SWAP_GAP:
            count += _gap_swaps(a, b, a0, a1, b0, b1)
    return count


def _gap_swaps(a: Doc, b: Doc, a0: int, a1: int, b0: int, b1: int) -> int:
    if a1 - a0 == b1 - b0:
        ops = _positionwise(a.ids[a0:a1], b.ids[b0:b1])
    else:
        ops = SequenceMatcher(None, a.ids[a0:a1], b.ids[b0:b1], autojunk=False).get_opcodes()
    count = 0
    for op, i1, i2, j1, j2 in ops:
        if op == "replace" and i2 - i1 == j2 - j1 <= 2:
            count += sum(
                1 for k in range(i2 - i1) if a.swappable[a0 + i1 + k] and b.swappable[b0 + j1 + k]
            )
    return count


def _positionwise(x: list[int], y: list[int]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes of two equally long sequences compared word by word."""
    ops = []
    start = 0
    for k in range(1, len(x) + 1):
        if k == len(x) or (x[k] == y[k]) != (x[start] == y[start]):
            op = "equal" if x[start] == y[start] else "replace"
            ops.append((op, start, k, start, k))
            start = k
    return ops


@dataclass(frozen=True)
class QuoteView:
    """The quoted words of a body: each folded word, its offsets and the index of its
    quotation, and the hash of the ``min_quote_words`` words starting at it that lie in one
    quotation (0 where they do not). Words, not vocabulary ids: a view made in one process
    is compared in another."""

    words: list[str]
    starts: np.ndarray
    ends: np.ndarray
    quote: np.ndarray
    grams: np.ndarray

    @classmethod
    def of(cls, doc: Doc, n: int) -> QuoteView:
        at = np.flatnonzero(doc.quoted >= 0)
        tokens, quote = doc.tokens, doc.quoted[at]
        grams = np.zeros(len(at), dtype=np.uint64)
        whole = gram_hashes(doc.hashes[at], n)
        if len(whole):
            inside = (quote[n - 1 :] == quote[: len(whole)]) & (
                at[n - 1 :] - at[: len(whole)] == n - 1
            )
            grams[: len(whole)][inside] = whole[inside]
        words = doc.vocab.words
        return cls(
            [words[f] for f in tokens.fold[at].tolist()],
            tokens.starts[at],
            tokens.ends[at],
            quote,
            grams,
        )

    @cached_property
    def gram_positions(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        at = np.flatnonzero(self.grams)
        for p, g in zip(at.tolist(), self.grams[at].tolist(), strict=True):
            out.setdefault(g, []).append(p)
        return out

    @cached_property
    def quote_sizes(self) -> list[int]:
        """For each word, how many words its quotation has."""
        # words of one quotation are adjacent: the sizes are the lengths of the runs
        quote = self.quote
        starts = np.flatnonzero(np.concatenate(([True], quote[1:] != quote[:-1])))
        sizes = np.diff(np.append(starts, len(quote)))
        return np.repeat(sizes, sizes).tolist()

    def __len__(self) -> int:
        return len(self.words)


QuoteRun = tuple[int, int, int, int, int, int, int]  # a Block, then its offsets in a and b


def shared_quotations(
    a: QuoteView, b: QuoteView, settings: RelationSettings, runs: list[QuoteRun] | None = None
) -> list[dict]:
    """Runs of at least ``min_quote_words`` words inside one quotation in both bodies.

    A run counts when it is a whole quotation in one of the bodies (a partial quote of the
    other's statement) or at least ``min_partial_quote_words`` long: shorter pieces of two
    quotations are the stock phrases any two statements may share. ``runs``: the pair's
    :func:`quote_runs` that count so, with their offsets, when they were found with other
    pairs' (see :func:`quote_runs_of_pairs`); the others would be passed over anyway.
    """
    if runs is None:
        runs = [
            (i, j, size, *_run_offsets(a, i, size), *_run_offsets(b, j, size))
            for i, j, size in quote_runs(a, b, settings.min_quote_words)
            if _whole_or_long(a, b, i, j, size, settings)
        ]
    if not runs:
        return []
    runs = list(runs)
    if len(runs) > 1:
        runs.sort(key=lambda x: (-x[2], x[0], x[1]))
    out = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    alone = len(runs) == 1  # nothing to overlap: the sets stay out of the common case
    for i, j, size, a_start, a_end, b_start, b_end in runs:
        if not alone:
            if used_a.intersection(range(i, i + size)) or used_b.intersection(range(j, j + size)):
                continue
            used_a.update(range(i, i + size))
            used_b.update(range(j, j + size))
        out.append(
            {
                "quotation": " ".join(a.words[i : i + size]),
                "source": [a_start, a_end],
                "target": [b_start, b_end],
                "words": size,
            }
        )
    if len(out) > 1:
        out.sort(key=lambda q: (q["source"], q["target"]))
    return out


def _run_offsets(view: QuoteView, first: int, size: int) -> tuple[int, int]:
    return int(view.starts[first]), int(view.ends[first + size - 1])


def quote_runs(a: QuoteView, b: QuoteView, n: int) -> list[Block]:
    """Maximal runs of quotation ``n``-grams the two views share, by diagonal then start."""
    in_a, in_b = a.gram_positions, b.gram_positions
    common = in_a.keys() & in_b.keys()
    if not common:
        return []
    return _quote_runs([(q - p, p) for g in common for p in in_a[g] for q in in_b[g]], n)


def quote_runs_of_pairs(
    views: Mapping[int, QuoteView],
    left: np.ndarray,
    right: np.ndarray,
    settings: RelationSettings,
) -> list[list[QuoteRun]]:
    """:func:`quote_runs` of the views of each pair ``(left[k], right[k])`` that
    :func:`shared_quotations` counts (a whole quotation in either body, or long enough), with
    their offsets in both bodies, found for all the pairs in a few numpy passes."""
    parts = iter_quote_runs_of_pairs(views, left, right, settings)
    return [runs for part in parts for runs in part]


def iter_quote_runs_of_pairs(
    views: Mapping[int, QuoteView],
    left: np.ndarray,
    right: np.ndarray,
    settings: RelationSettings,
) -> Iterator[list[list[QuoteRun]]]:
    """:func:`quote_runs_of_pairs` a run of consecutive pairs at a time, in order: what is held
    at once is bounded by the pairs' words and their grams' matches, not by how many pairs."""
    for part in _pair_slices(lambda u: len(views[u]), left, right, 8192):
        yield from _quote_runs_of(views, left[part], right[part], settings)


def _quote_runs_of(
    views, left, right, settings: RelationSettings
) -> Iterator[list[list[QuoteRun]]]:
    n = settings.min_quote_words
    out: list[list[QuoteRun]] = [[] for _ in range(len(left))]
    if not len(left):
        yield out
        return
    numbers = np.union1d(left, right)
    grams = [views[i].grams for i in numbers.tolist()]
    held = [np.flatnonzero(g) for g in grams]
    sizes = np.array([len(h) for h in held], dtype=np.int64)
    firsts = np.cumsum(sizes) - sizes
    positions = np.concatenate(held)
    values = np.concatenate([g[h] for g, h in zip(grams, held, strict=True)])
    dense, at = _grams_by_body(values, sizes)
    a_key, a_at = _pair_entries(np.searchsorted(numbers, left), sizes, firsts, dense)
    b_key, b_at = _pair_entries(np.searchsorted(numbers, right), sizes, firsts, dense)
    lo, count = _equal_ranges(b_key, a_key)
    if len(left) > 1 and int(count.sum()) > _PAIR_MATCHES:
        half = len(left) // 2
        yield from _quote_runs_of(views, left[:half], right[:half], settings)
        yield from _quote_runs_of(views, left[half:], right[half:], settings)
        return
    ia, jb = _matches(lo, count)
    pair = (a_key[ia] >> np.uint64(32)).astype(np.int64)
    p = positions[at[a_at[ia]]]
    pair, p, d, starts = _diagonal_runs(pair, p, positions[at[b_at[jb]]] - p)
    lengths = np.diff(np.append(starts, len(p))) + n - 1
    pair, i, j = pair[starts], p[starts], p[starts] + d[starts]
    quotes = [views[number].quote for number in numbers.tolist()]
    words = np.array([len(q) for q in quotes], dtype=np.int64)
    firsts_of = np.cumsum(words) - words  # of each body's words, in the concatenated sizes
    sizes_of = _quote_sizes_of(quotes)
    whole_a = sizes_of[firsts_of[np.searchsorted(numbers, left)][pair] + i] == lengths
    whole_b = sizes_of[firsts_of[np.searchsorted(numbers, right)][pair] + j] == lengths
    kept = (lengths >= settings.min_partial_quote_words) | whole_a | whole_b
    pair, i, j, lengths = pair[kept], i[kept], j[kept], lengths[kept]
    starts = np.concatenate([views[number].starts for number in numbers.tolist()])
    ends = np.concatenate([views[number].ends for number in numbers.tolist()])
    at_a = firsts_of[np.searchsorted(numbers, left)][pair] + i
    at_b = firsts_of[np.searchsorted(numbers, right)][pair] + j
    columns = (
        i,
        j,
        lengths,
        starts[at_a],
        ends[at_a + lengths - 1],
        starts[at_b],
        ends[at_b + lengths - 1],
    )
    for k, run in zip(pair.tolist(), zip(*(c.tolist() for c in columns), strict=True), strict=True):
        out[k].append(run)
    yield out


def _matches(lo: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every match as (an entry of the first side, one of the second): entry ``k`` meets the
    second side's ``lo[k]`` to ``lo[k] + count[k] - 1``."""
    ia = np.repeat(np.arange(len(lo)), count)
    jb = np.repeat(lo, count) + (np.arange(len(ia)) - np.repeat(np.cumsum(count) - count, count))
    return ia, jb


def _diagonal_runs(pair: np.ndarray, at: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """The matches (pair, position ``at`` in the first body, diagonal ``d``) sorted by pair,
    diagonal and position, and where each run of consecutive positions on one diagonal
    starts."""
    order = _match_order(pair, at, d)
    pair, at, d = pair[order], at[order], d[order]
    new = np.ones(len(at), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (d[1:] != d[:-1]) | (at[1:] != at[:-1] + 1)
    return pair, at, d, np.flatnonzero(new)


def _match_order(pair: np.ndarray, at: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The order of the matches by pair, diagonal and position: one sort of a key made of
    the three where it fits 63 bits (matches with one key are one match, so the order
    between them changes nothing), else a lexsort of them."""
    if not len(at):
        return np.empty(0, dtype=np.intp)
    d_low, at_low = int(d.min()), int(at.min())
    d_span, at_span = int(d.max()) - d_low + 1, int(at.max()) - at_low + 1
    if (int(pair.max()) + 1) * d_span * at_span >= 1 << 63:
        return np.lexsort((at, d, pair))
    return np.argsort((pair * d_span + (d - d_low)) * at_span + (at - at_low))


def _quote_sizes_of(quotes: list[np.ndarray]) -> np.ndarray:
    """:attr:`QuoteView.quote_sizes` of each view, concatenated."""
    owner = np.repeat(np.arange(len(quotes), dtype=np.int64), [len(q) for q in quotes])
    quote = np.concatenate(quotes).astype(np.int64)
    new = np.ones(len(quote), dtype=bool)
    new[1:] = (quote[1:] != quote[:-1]) | (owner[1:] != owner[:-1])
    starts = np.flatnonzero(new)
    sizes = np.diff(np.append(starts, len(quote)))
    return np.repeat(sizes, sizes)


def _pair_entries(
    slots: np.ndarray, sizes: np.ndarray, firsts: np.ndarray, dense: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair ``k``, the held grams of the body in slot ``slots[k]``: their keys
    ``k << 32 | gram id`` and where they are in the concatenated grams."""
    counts = sizes[slots]
    total = int(counts.sum())
    at = np.arange(total) + np.repeat(firsts[slots] - (np.cumsum(counts) - counts), counts)
    pair = np.repeat(np.arange(len(slots), dtype=np.uint64), counts)
    return (pair << np.uint64(32)) | dense[at].astype(np.uint64), at


def _quote_runs(matches: list[tuple[int, int]], n: int) -> list[Block]:
    """Maximal runs of matching grams on one diagonal (grams never straddle quotations, so
    consecutive grams of a run lie in one quotation in both bodies)."""
    runs: list[Block] = []
    diagonal = following = None
    start = count = 0
    for d, p in sorted(matches):
        if d == diagonal and p == following:
            count += 1
            following += 1
            continue
        if diagonal is not None:
            runs.append((start, start + diagonal, count + n - 1))
        diagonal, start, count, following = d, p, 1, p + 1
    if diagonal is not None:
        runs.append((start, start + diagonal, count + n - 1))
    return runs


def _whole_or_long(
    a: QuoteView, b: QuoteView, i: int, j: int, size: int, settings: RelationSettings
) -> bool:
    if size >= settings.min_partial_quote_words:
        return True
    return size in (a.quote_sizes[i], b.quote_sizes[j])


@dataclass(frozen=True)
class SentencePair:
    """Two sentences aligned as a rewrite: matched words, one-for-one swaps, other edits."""

    a: Sentence
    b: Sentence
    same: int
    swaps: tuple[tuple[str, str], ...]
    other: int


def paraphrase_alignment(
    a: Doc,
    b: Doc,
    settings: RelationSettings,
    candidates: list[RewriteCandidate] | None = None,
) -> list[SentencePair]:
    """Sentence pairs of ``a`` and ``b`` that align in order as word-swapped rewrites.

    Only sentences lying over the same run of at least ``min_skeleton_run`` skeleton tokens
    in both bodies are compared (a
    spinner swaps words one for one, so the skeleton of a rewrite is the original's), and
    only runs of at least ``min_aligned_sentences`` pairs adjacent in both bodies count: a
    spun copy keeps the order of its original, while two formulaic sentences of independent
    reports may look alike one at a time. ``candidates``: the pair's
    :func:`rewrite_candidates`, when they were found with other pairs'.
    """
    if candidates is None:
        ids = [(a.tokens.raw, a.tokens.sep), (b.tokens.raw, b.tokens.sep)].__getitem__
        candidates = rewrite_candidates(ids, a.vocab, np.array([0]), np.array([1]), settings)[0]
    found: list[tuple[int, int, SentencePair]] = []
    for i, j, sa, sb in candidates:
        pair = _rewrite_pair(a, b, sa, sb, settings)
        if pair is not None:
            found.append((i, j, pair))
    return _in_runs(_in_order(found), settings.min_aligned_sentences)


# A sentence pair worth aligning word by word: the indices of the two among their bodies'
# sentences long enough to align, and the two sentences.
RewriteCandidate = tuple[int, int, Sentence, Sentence]


def rewrite_candidates(
    ids: Callable[[int], tuple[np.ndarray, np.ndarray]],
    vocab: Vocabulary,
    left: np.ndarray,
    right: np.ndarray,
    settings: RelationSettings,
) -> list[list[RewriteCandidate]]:
    """For each pair ``(left[k], right[k])`` of two distinct bodies (``ids`` gives each
    body's word and separator ids in ``vocab``), the sentence pairs
    :func:`paraphrase_alignment` aligns word by word, in order: for each sentence of the first
    body, the sentence of the second sharing most of its skeleton tokens on runs of at least
    ``min_skeleton_run`` (when they cover half of the shorter of the two and their lengths
    allow a one-for-one rewrite), kept where at least ``min_aligned_sentences`` of them are
    adjacent in both bodies: no other pair can end in the result. Found for a slice of pairs
    at a time in a few numpy passes."""
    out: list[list[RewriteCandidate]] = []
    for part in _pair_slices(lambda u: len(ids(u)[0]), left, right, 2048):
        out += _rewrite_candidates(ids, vocab, left[part], right[part], settings)
    return out


def _rewrite_candidates(ids, vocab, left, right, settings: RelationSettings) -> list[list]:
    out: list[list[RewriteCandidate]] = [[] for _ in range(len(left))]
    numbers = np.union1d(left, right)
    if not len(numbers):
        return out
    batch = vocab.ids_batch([ids(i) for i in numbers.tolist()])
    sentences = _KeptSentences.of(vocab, batch, settings.min_sentence_words)
    slots = np.searchsorted(numbers, left), np.searchsorted(numbers, right)
    runs = _skeleton_run_tokens(vocab, batch, sentences, slots, settings.min_skeleton_run)
    pair, i, j, sa, sb, shared = _sentence_pairs_counted(sentences, slots, *runs)
    na, nb = sentences.sizes[sa], sentences.sizes[sb]
    shorter, longer = np.minimum(na, nb), np.maximum(na, nb)
    # half the shorter covered, and lengths close enough for a one-for-one rewrite (what
    # _rewrite_pair requires)
    fit = (2 * shared >= shorter) & (shorter >= 0.6 * longer)
    pair, i, j, sa, sb, shared = pair[fit], i[fit], j[fit], sa[fit], sb[fit], shared[fit]
    # the most shared for each sentence of a; codes ascend, so a stable sort keeps the first
    # sentence of b on a tie
    order = np.lexsort((-shared, i, pair))
    pair, i, j, sa, sb = pair[order], i[order], j[order], sa[order], sb[order]
    best = np.ones(len(pair), dtype=bool)
    best[1:] = (pair[1:] != pair[:-1]) | (i[1:] != i[:-1])
    pair, i, j, sa, sb = pair[best], i[best], j[best], sa[best], sb[best]
    kept = _in_diagonal_runs(pair, i, j, settings.min_aligned_sentences)
    a_of = sentences.at(batch, slots[0][pair[kept]], sa[kept])
    b_of = sentences.at(batch, slots[1][pair[kept]], sb[kept])
    rows = zip(pair[kept].tolist(), i[kept].tolist(), j[kept].tolist(), a_of, b_of, strict=True)
    for k, *candidate in rows:
        out[k].append(tuple(candidate))
    return out


def _skeleton_run_tokens(
    vocab: Vocabulary,
    batch: TokenBatch,
    sentences: _KeptSentences,
    slots: tuple[np.ndarray, np.ndarray],
    least: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every token of every run of at least ``least`` skeleton tokens the two bodies of each
    pair share (their places in ``batch``: ``slots``), with its partner, where both lie in
    kept sentences: the pair, and the two tokens' sentences. A token on several runs counts
    for each."""
    tokens, bounds = batch.tokens, batch.bounds
    skeleton = vocab.skeleton_hashes(tokens, bounds[:-1][np.diff(bounds) > 0])[0]
    skeletons = [
        skeleton[x:y] for x, y in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]
    # a skeleton is made of few tokens: its grams are mostly held more than once
    pair, i, j, sizes = pair_runs(skeletons, *slots, least, screen=False)
    step = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    pair = np.repeat(pair, sizes)
    sa = sentences.where[bounds[slots[0][pair]] + np.repeat(i, sizes) + step]
    sb = sentences.where[bounds[slots[1][pair]] + np.repeat(j, sizes) + step]
    both = (sa >= 0) & (sb >= 0)
    return pair[both], sa[both], sb[both]


def _sentence_pairs_counted(
    sentences: _KeptSentences,
    slots: tuple[np.ndarray, np.ndarray],
    pair: np.ndarray,
    sa: np.ndarray,
    sb: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The distinct ``(pair, sa, sb)`` (kept sentences of the pair's bodies) ordered by pair
    and by the sentences' places in their bodies, with those places (``i``, ``j``) and how
    many times each is held."""
    first_a, first_b = sentences.first[slots[0]], sentences.first[slots[1]]
    count_a = sentences.first[slots[0] + 1] - first_a
    count_b = sentences.first[slots[1] + 1] - first_b
    # each pair's sentence pairs numbered as a's sentence times b's count plus b's, after
    # the pairs before it: one number orders them by pair, then as the bodies have them
    base = np.cumsum(count_a * count_b) - count_a * count_b
    codes = base[pair] + (sa - first_a[pair]) * count_b[pair] + (sb - first_b[pair])
    codes, shared = _counted(codes, int((count_a * count_b).sum()))
    pair = np.searchsorted(base, codes, "right") - 1
    i, j = np.divmod(codes - base[pair], count_b[pair])
    return pair, i, j, first_a[pair] + i, first_b[pair] + j, shared


def _counted(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` of non-negative ``values`` below ``bound``:
    counted in a table of ``bound`` cells when that is small beside them."""
    if bound > 4 * len(values):
        return np.unique(values, return_counts=True)
    counts = np.bincount(values, minlength=bound)
    held = np.flatnonzero(counts)
    return held, counts[held]


def _in_diagonal_runs(pair: np.ndarray, i: np.ndarray, j: np.ndarray, least: int) -> np.ndarray:
    """Which sentence pairs ``(i[k], j[k])`` of the pair of bodies ``pair[k]`` (ordered by
    pair and ``i``, each ``i`` once) lie in a run of at least ``least`` adjacent in both
    bodies."""
    if not len(i):
        return np.zeros(0, dtype=bool)
    # a sentence pair's predecessor on its diagonal can only be the one before it
    new = np.ones(len(i), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (i[1:] != i[:-1] + 1) | (j[1:] != j[:-1] + 1)
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, len(i)))
    return np.repeat(lengths >= least, lengths)


@dataclass(frozen=True)
class _KeptSentences:
    """The sentences long enough to align of bodies tokenized together (see
    :meth:`~archive.relations.text.Vocabulary.sentences`): where each starts and how many
    tokens it has, for each token the sentence holding it (-1: one too short), and for each
    body the first of its sentences (one more: their count)."""

    starts: np.ndarray
    sizes: np.ndarray
    where: np.ndarray
    first: np.ndarray

    @classmethod
    def of(cls, vocab: Vocabulary, batch: TokenBatch, least: int) -> _KeptSentences:
        opens = vocab.sep_break[batch.tokens.sep]
        opens[batch.bounds[:-1][np.diff(batch.bounds) > 0]] = True  # each body's first word
        starts = np.flatnonzero(opens)
        sizes = np.diff(np.append(starts, len(opens)))
        kept = sizes >= least
        rank = np.where(kept, np.cumsum(kept) - 1, -1)
        starts = starts[kept]
        return cls(
            starts, sizes[kept], np.repeat(rank, sizes), np.searchsorted(starts, batch.bounds)
        )

    def at(self, batch: TokenBatch, slots: np.ndarray, kept: np.ndarray) -> list[Sentence]:
        """The kept sentences ``kept`` of the bodies in ``slots``, each as its body has it."""
        tokens, bounds = batch.tokens, batch.bounds
        first, last = self.starts[kept], self.starts[kept] + self.sizes[kept]
        columns = (
            first - bounds[slots],
            last - bounds[slots],
            tokens.starts[first],
            tokens.ends[last - 1],
        )
        return list(map(Sentence, *(c.tolist() for c in columns)))


def _rewrite_pair(a: Doc, b: Doc, sa, sb, settings) -> SentencePair | None:
    a_words, b_words = a.ids[sa.first : sa.last], b.ids[sb.first : sb.last]
    longest = max(len(a_words), len(b_words))
    if min(len(a_words), len(b_words)) < 0.6 * longest:
        return None
    same = same_content = kept = other = 0
    swaps = []
    words = a.vocab.words
    opcodes = SequenceMatcher(None, a_words, b_words, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            same += i2 - i1
            same_content += sum(1 for k in range(i1, i2) if not a.function[sa.first + k])
        elif op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                ka, kb = sa.first + i1 + k, sb.first + j1 + k
                if a.names_or_numbers[ka] or b.names_or_numbers[kb]:
                    other += 1
                elif a.function[ka] and b.function[kb]:
                    kept += 1
                else:
                    swaps.append((words[a_words[i1 + k]], words[b_words[j1 + k]]))
        else:
            other += max(i2 - i1, j2 - j1)
    content = sum(1 for k in range(sa.first, sa.last) if not a.function[k])
    if (
        len(swaps) < settings.min_sentence_substitutions
        or same + kept + len(swaps) < settings.sentence_min_kept * longest
        or same_content < max(3, settings.sentence_min_same_content * content)
    ):
        return None
    return SentencePair(sa, sb, same, tuple(swaps), other)


def _in_runs(chain: list[tuple[int, int, SentencePair]], least: int) -> list[SentencePair]:
    """Pairs of the chain lying in runs of at least ``least`` pairs adjacent in both bodies."""
    out: list[SentencePair] = []
    run: list[tuple[int, int, SentencePair]] = []
    for item in [*chain, (-9, -9, None)]:
        if run and (item[0] != run[-1][0] + 1 or item[1] != run[-1][1] + 1):
            if len(run) >= least:
                out.extend(p for _, _, p in run)
            run = []
        run.append(item)
    return out


def _in_order(found: list[tuple[int, int, SentencePair]]) -> list[tuple[int, int, SentencePair]]:
    """The heaviest chain of pairs increasing in both bodies (each sentence used once)."""
    found.sort(key=lambda f: (f[0], f[1]))
    best: list[tuple[int, int]] = []  # (weight, previous index)
    for k, (i, j, pair) in enumerate(found):
        weight, prev = pair.same + len(pair.swaps), -1
        for m in range(k):
            gain = best[m][0] + pair.same + len(pair.swaps)
            if found[m][0] < i and found[m][1] < j and gain > weight:
                weight, prev = gain, m
        best.append((weight, prev))
    if not best:
        return []
    k = max(range(len(best)), key=lambda m: (best[m][0], -m))
    chain = []
    while k >= 0:
        chain.append(found[k])
        k = best[k][1]
    return chain[::-1]
