"""Compact per-record signatures: stable 64-bit hashes, MinHash, LSH band keys, winnowing.

All hashing is vectorised with numpy and seeded, so signatures are the same on every run
and machine (Python's ``hash`` is salted per process and is never used).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """Stable 64-bit hash of each word."""
    return np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))


@lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def gram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of every run of ``n`` consecutive word hashes (empty when there are fewer)."""
    count = len(hashes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    acc = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):
            acc = (acc ^ hashes[j : j + count]) * _MIX
            acc ^= acc >> np.uint64(29)
        acc *= _MIX2
        acc ^= acc >> np.uint64(32)
    return acc


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def minhash(shingles: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signature (``uint32[num_perm]``) of a set of 64-bit shingle hashes.

    Each permutation is a multiply-shift hash ``(a*x + b) mod 2**64 >> 32`` with odd ``a``;
    an empty set gets the all-ones signature, which collides with nothing in practice.
    """
    if len(shingles) == 0:
        return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    a, b = _permutations(num_perm, seed)
    with np.errstate(over="ignore"):
        hashed = (shingles[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)
    return hashed.min(axis=0).astype(np.uint32)


def band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per LSH band; the band number is mixed in so bands never collide."""
    rows_of = signature[: bands * rows].astype(np.uint64).reshape(bands, rows)
    acc = np.arange(1, bands + 1, dtype=np.uint64) * _MIX2
    with np.errstate(over="ignore"):
        for j in range(rows):
            acc = (acc ^ rows_of[:, j]) * _MIX
            acc ^= acc >> np.uint64(31)
    return acc


def lsh_shape(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows minimising equally weighted false positive and negative areas."""
    xs = np.linspace(0.0, 1.0, 201)
    best = (float("inf"), 1, num_perm)
    for bands in range(1, num_perm + 1):
        rows = num_perm // bands
        p = 1.0 - (1.0 - xs**rows) ** bands
        below = xs <= threshold
        error = float(np.trapezoid(np.where(below, p, 1.0 - p), xs))
        best = min(best, (error, bands, rows))
    return best[1], best[2]


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Winnowing fingerprints: the smallest hash of every ``window`` consecutive hashes.

    Two texts sharing a run of ``window`` gram hashes share at least one fingerprint.
    """
    if len(hashes) == 0:
        return hashes
    if len(hashes) <= window:
        return np.unique(hashes[[int(np.argmin(hashes))]])
    view = np.lib.stride_tricks.sliding_window_view(hashes, window)
    return np.unique(view.min(axis=1))
