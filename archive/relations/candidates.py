"""Candidate pairs from shared keys, found by sorting: never by comparing all pairs.

Keys are LSH band keys or fingerprints; a key held by more than ``max_bucket`` records is
boilerplate (or a hash collision storm) and is skipped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairCounts:
    """Candidate pairs ``(left < right)`` as record indexes, with how many keys each shares."""

    left: np.ndarray
    right: np.ndarray
    shared: np.ndarray
    skipped_keys: int


def shared_key_pairs(keys: np.ndarray, docs: np.ndarray, max_bucket: int) -> PairCounts:
    """Pairs of records holding a common key, and how many distinct keys they share.

    ``keys``/``docs`` are parallel arrays with each ``(key, doc)`` at most once. Memory is
    the key arrays plus the emitted pairs.
    """
    empty = np.empty(0, dtype=np.int64)
    if len(keys) == 0:
        return PairCounts(empty, empty, empty, 0)
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    skipped = int(np.count_nonzero(sizes > max_bucket))
    pair_codes = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]):
        first = starts[sizes == size]
        i, j = np.triu_indices(int(size), k=1)
        left = docs[first[:, None] + i[None, :]].astype(np.int64)
        right = docs[first[:, None] + j[None, :]].astype(np.int64)
        pair_codes.append(((left << 32) | right).ravel())
    if not pair_codes:
        return PairCounts(empty, empty, empty, skipped)
    codes, counts = np.unique(np.concatenate(pair_codes), return_counts=True)
    return PairCounts(codes >> 32, codes & 0xFFFFFFFF, counts, skipped)
