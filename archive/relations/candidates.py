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
    order and one code per pair of every bucket kept.
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
    """Distinct pair codes ``left << 32 | right`` held at least ``min_shared`` times, and how
    often each is held. Every pair of every bucket is written once into one preallocated
    array, sorted in place; nothing else of that size is ever made."""
    usable = (sizes >= 2) & (sizes <= max_bucket)
    groups = [(size, starts[sizes == size]) for size in np.unique(sizes[usable]).tolist()]
    total = sum(len(firsts) * size * (size - 1) // 2 for size, firsts in groups)
    codes = np.empty(total, dtype=np.int64)
    at = 0
    for size, firsts in groups:
        i, j = np.triu_indices(size, k=1)
        step = max(1, _CHUNK_PAIRS // len(i))
        for k in range(0, len(firsts), step):
            first = firsts[k : k + step, None]
            left = docs[first + i].astype(np.int64)
            chunk = ((left << 32) | docs[first + j]).ravel()
            codes[at : at + len(chunk)] = chunk
            at += len(chunk)
    codes.sort()
    if min_shared > 1:
        # sorted: a code held m times has itself m - 1 places further on
        held = codes[min_shared - 1 :][codes[min_shared - 1 :] == codes[: 1 - min_shared]]
        distinct = held[np.concatenate(([True], held[1:] != held[:-1]))] if len(held) else held
    else:
        distinct = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if total else codes
    counts = np.searchsorted(codes, distinct, "right") - np.searchsorted(codes, distinct, "left")
    return distinct, counts.astype(np.int64)
