"""Candidate pairs from shared keys, found by sorting: never by comparing all pairs.

Keys are LSH band keys or fingerprints; a key held by more than ``max_bucket`` records is
boilerplate (or a hash collision storm) and is skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CHUNK_PAIRS = 1 << 21


@dataclass(frozen=True)
class PairCounts:
    """Candidate pairs ``(left < right)`` as record indexes, with how many keys each shares."""

    left: np.ndarray
    right: np.ndarray
    shared: np.ndarray
    skipped_keys: int


def shared_key_pairs(
    keys: np.ndarray, docs: np.ndarray, max_bucket: int, min_shared: int = 1
) -> PairCounts:
    """Pairs of records holding a common key (at least ``min_shared`` distinct keys).

    ``keys`` (``uint32``) and ``docs`` are parallel arrays with each ``(key, doc)`` at most
    once; see :func:`pairs_of_entries` for the form that spares the copies.
    """
    return pairs_of_entries(entries(keys, docs), max_bucket, min_shared)


def entries(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """``key << 32 | doc`` for every entry: one array, sorted as it is, is the whole index."""
    out = keys.astype(np.uint64)
    out <<= np.uint64(32)
    out |= docs.astype(np.uint32, copy=False)
    return out


def pairs_of_entries(combined: np.ndarray, max_bucket: int, min_shared: int = 1) -> PairCounts:
    """:func:`shared_key_pairs` over entries ``key << 32 | doc``, sorted here in place.

    Memory is the entries and at most ``_CHUNK_PAIRS`` pair codes (or bucket bounds) at a
    time: buckets are found a slice of entries at a time, keeping only those that pair, and
    pairs are counted for one range of left records after another.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(combined) == 0:
        return PairCounts(empty, empty, empty, 0)
    combined.sort()
    starts, sizes, skipped = _pairing_buckets(combined, max_bucket)
    # the low halves, read in place: the docs in key order
    docs = combined.view(np.uint32)[0 if np.little_endian else 1 :: 2]
    groups = [(size, starts[sizes == size]) for size in np.unique(sizes).tolist()]
    del starts, sizes
    total = sum(len(firsts) * size * (size - 1) // 2 for size, firsts in groups)
    parts = -(-total // _CHUNK_PAIRS) or 1
    bounds = np.linspace(0, int(docs.max()) + 1, parts + 1).astype(np.int64)
    found = [
        _pair_counts(docs, groups, lo, hi, min_shared)
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]
    codes = np.concatenate([c for c, _ in found])
    counts = np.concatenate([n for _, n in found])
    return PairCounts(codes >> 32, codes & 0xFFFFFFFF, counts, skipped)


def _pairing_buckets(combined: np.ndarray, max_bucket: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Start and size of each run of equal keys holding 2 to ``max_bucket`` entries, and how
    many runs were larger (skipped), found a slice at a time (no full-size temporaries)."""
    kept_starts, kept_sizes = [], []
    skipped = 0
    first = 0  # start of the run still open
    n = len(combined)
    for at in range(1, n + 1, _CHUNK_PAIRS):
        end = min(at + _CHUNK_PAIRS, n)
        here = combined[at:end] >> np.uint64(32)
        before = combined[at - 1 : end - 1] >> np.uint64(32)
        changes = np.flatnonzero(here != before) + at
        if end == n:
            changes = np.append(changes, n)  # the last run closes at the end
        if not len(changes):
            continue
        starts = np.concatenate(([first], changes[:-1]))
        sizes = changes - starts
        skipped += int(np.count_nonzero(sizes > max_bucket))
        pairing = (sizes >= 2) & (sizes <= max_bucket)
        kept_starts.append(starts[pairing])
        kept_sizes.append(sizes[pairing])
        first = int(changes[-1])
    if not kept_starts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, skipped
    return np.concatenate(kept_starts), np.concatenate(kept_sizes), skipped


def _pair_counts(docs, groups, lo, hi, min_shared) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pair codes ``left << 32 | right`` with ``lo <= left < hi``, held at least
    ``min_shared`` times, and how often each is held. Within a bucket docs ascend, so the
    left of a pair is its smaller record."""
    chunks = []
    for size, firsts in groups:
        i, j = np.triu_indices(size, k=1)
        step = max(1, _CHUNK_PAIRS // len(i))
        for k in range(0, len(firsts), step):
            first = firsts[k : k + step, None]
            left = docs[first + i].astype(np.int64).ravel()
            mine = (left >= lo) & (left < hi)
            right = docs[first + j].ravel()[mine]
            chunks.append((left[mine] << 32) | right)
    codes = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)
    del chunks
    codes.sort()
    if min_shared > 1:
        # sorted: a code held m times has itself m - 1 places further on
        held = codes[min_shared - 1 :][codes[min_shared - 1 :] == codes[: 1 - min_shared]]
        distinct = held[np.concatenate(([True], held[1:] != held[:-1]))] if len(held) else held
    else:
        distinct = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes
    # a body holding one (folded) key twice would pair with itself
    distinct = distinct[(distinct >> 32) != (distinct & 0xFFFFFFFF)]
    counts = np.searchsorted(codes, distinct, "right") - np.searchsorted(codes, distinct, "left")
    return distinct, counts.astype(np.int64)
