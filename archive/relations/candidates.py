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
    """Candidate pairs ``(left < right)`` as record indexes, with how many keys each shares.

    ``usable[d]`` counts the keys of record ``d`` lying in buckets that were not skipped
    (singletons included): the most keys ``d`` could share with anyone.
    """

    left: np.ndarray
    right: np.ndarray
    shared: np.ndarray
    skipped_keys: int
    usable: np.ndarray


def shared_key_pairs(
    keys: np.ndarray, docs: np.ndarray, max_bucket: int, min_shared: int = 1
) -> PairCounts:
    """Pairs of records holding a common key (at least ``min_shared`` distinct keys).

    ``keys``/``docs`` are parallel arrays with each ``(key, doc)`` at most once and ``docs``
    never decreasing (keys are appended body by body). Memory is the key arrays, one sort
    order and the distinct pairs counted so far.
    """
    empty = np.empty(0, dtype=np.int64)
    count = int(docs[-1]) + 1 if len(docs) else 0
    if len(keys) == 0:
        return PairCounts(empty, empty, empty, 0, np.zeros(count, dtype=np.int64))
    order = np.argsort(keys, kind="stable")  # stable: docs stay ordered within a key
    keys = keys[order]
    docs = docs[order]
    del order
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    del keys
    sizes = np.diff(np.r_[starts, len(docs)])
    skipped = int(np.count_nonzero(sizes > max_bucket))
    small = np.repeat(sizes <= max_bucket, sizes)
    usable = np.bincount(docs[small], minlength=count)
    codes, counts = _pair_counts(docs, starts, sizes, max_bucket, min_shared)
    return PairCounts(codes >> 32, codes & 0xFFFFFFFF, counts, skipped, usable)


def _pair_counts(docs, starts, sizes, max_bucket, min_shared) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pair codes ``left << 32 | right`` and how often each occurs, merged chunk by
    chunk so the pairs of all buckets never sit in memory at once before counting."""
    codes = np.empty(0, dtype=np.int64)
    counts = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    held = 0
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]).tolist():
        i, j = np.triu_indices(size, k=1)
        firsts = starts[sizes == size]
        step = max(1, _CHUNK_PAIRS // len(i))
        for k in range(0, len(firsts), step):
            first = firsts[k : k + step, None]
            left = docs[first + i].astype(np.int64)
            pending.append(((left << 32) | docs[first + j]).ravel())
            held += pending[-1].size
            if held >= _CHUNK_PAIRS:
                codes, counts = _merged(codes, counts, pending)
                pending, held = [], 0
    codes, counts = _merged(codes, counts, pending)
    keep = counts >= min_shared
    return codes[keep], counts[keep]


def _merged(codes, counts, pending) -> tuple[np.ndarray, np.ndarray]:
    if not pending:
        return codes, counts
    new, new_counts = np.unique(np.concatenate(pending), return_counts=True)
    both = np.concatenate([codes, new])
    merged, where = np.unique(both, return_inverse=True)
    total = np.bincount(where, weights=np.concatenate([counts, new_counts]),
                        minlength=len(merged)).astype(np.int64)
    return merged, total
