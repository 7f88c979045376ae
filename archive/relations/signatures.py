"""Compact per-record signatures: stable 64-bit hashes, MinHash, LSH band keys, winnowing.

All hashing is vectorised with numpy and seeded, so signatures are the same on every run
and machine (Python's ``hash`` is salted per process and is never used). Arithmetic is on
``uint64`` arrays, which wrap modulo 2**64 without a warning (numpy warns only for scalars).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX3 = np.uint64(0x94D049BB133111EB)


def gram_hashes(hashes: np.ndarray, n: int) -> np.ndarray:
    """Hash of every run of ``n`` consecutive word hashes (empty when there are fewer).

    A polynomial hash ``sum(h[p + j] * B**(n - 1 - j))`` (mod 2**64) from one prefix sum,
    so its cost does not grow with ``n``, then mixed so that every bit depends on every word.
    """
    count = len(hashes) - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    powers, inverses = _powers(len(hashes))
    prefix = np.empty(len(hashes) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.cumsum(hashes * inverses[: len(hashes)], out=prefix[1:])
    acc = (prefix[n:] - prefix[:count]) * powers[n - 1 : n - 1 + count]
    return _mixed(acc)


def _mixed(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijection spreading every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x *= _MIX2
    x ^= x >> np.uint64(27)
    x *= _MIX3
    x ^= x >> np.uint64(31)
    return x


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``B**k`` and ``B**-k`` (mod 2**64) for ``k < size``, grown by doubling and kept."""
    global _POWERS
    if len(_POWERS[0]) < size:
        length = max(size, 2 * len(_POWERS[0]))
        powers = np.cumprod(np.full(length, _BASE, dtype=np.uint64))
        inverses = np.cumprod(np.full(length, _BASE_INVERSE, dtype=np.uint64))
        # cumprod starts at B**1: shift so that index k holds the k-th power
        _POWERS = (np.r_[np.uint64(1), powers[:-1]], np.r_[np.uint64(1), inverses[:-1]])
    return _POWERS


def _inverse(odd: int) -> int:
    inverse = odd  # Newton's iteration doubles the correct low bits each step
    for _ in range(6):
        inverse = inverse * (2 - odd * inverse) % 2**64
    return inverse


_BASE = np.uint64(0x9E3779B97F4A7C15)
_BASE_INVERSE = np.uint64(_inverse(int(_BASE)))
_POWERS = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def minhash(shingles: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signature (``uint32[num_perm]``) of a set of 64-bit shingle hashes.

    One-permutation MinHash: each shingle is hashed once (seeded), its high bits choose one
    of ``num_perm`` bins and its low 32 bits are its value; each bin keeps its smallest
    value. An empty bin borrows the value of the next non-empty bin (circularly) plus an
    offset per step, so two bodies agree on a bin with probability close to their Jaccard
    similarity, as with ``num_perm`` independent permutations, at the cost of one hash per
    shingle instead of ``num_perm``. Duplicate shingles change nothing. An empty set gets
    the all-ones signature, which collides with nothing in practice.
    """
    if len(shingles) == 0:
        return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
    h = _mixed(shingles ^ _seed_salt(seed))
    bins = ((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
    keys = np.sort((bins << np.uint64(32)) | (h & np.uint64(0xFFFFFFFF)))
    bins = keys >> np.uint64(32)
    first = np.flatnonzero(np.concatenate(([True], bins[1:] != bins[:-1])))
    filled = bins[first].astype(np.int64)
    values = keys[first] & np.uint64(0xFFFFFFFF)
    # for each bin, the first filled bin at or after it, going round
    at = np.searchsorted(filled, np.arange(num_perm), "left")
    at[at == len(filled)] = 0
    steps = (filled[at] - np.arange(num_perm)) % num_perm
    out = values[at] + steps.astype(np.uint64) * _BORROW_STEP
    return (out & np.uint64(0xFFFFFFFF)).astype(np.uint32)


_BORROW_STEP = np.uint64(0x9E3779B1)


@lru_cache(maxsize=8)
def _seed_salt(seed: int) -> np.uint64:
    return np.uint64(
        int.from_bytes(
            hashlib.blake2b(seed.to_bytes(8, "little"), digest_size=8).digest(), "little"
        )
    )


def band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per LSH band; the band number is mixed in so bands never collide."""
    rows_of = signature[: bands * rows].astype(np.uint64).reshape(bands, rows)
    acc = np.arange(1, bands + 1, dtype=np.uint64) * _MIX2
    for j in range(rows):
        acc = (acc ^ rows_of[:, j]) * _MIX
        acc ^= acc >> np.uint64(31)
    return acc


@lru_cache
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
    if window == 1:
        return np.unique(hashes)
    if len(hashes) <= window:
        return np.unique(hashes[[int(np.argmin(hashes))]])
    # the running minimum by shifted slices: a few C loops, without sliding_window_view's
    # Python set-up, which costs more than the minima on a body's few hundred hashes
    count = len(hashes) - window + 1
    least = hashes[:count].copy()
    for k in range(1, window):
        np.minimum(least, hashes[k : k + count], out=least)
    return np.unique(least)


# Many bodies at once: the functions above applied to each segment ``x[bounds[k]:bounds[k + 1]]``
# of concatenated arrays, with the same values, in a few numpy passes per batch of bodies
# instead of a few per body.


def segment_grams(
    hashes: np.ndarray, bounds: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`gram_hashes` of every segment: the grams concatenated, the bounds of each
    segment's grams, and the position in ``hashes`` of each gram's first word."""
    sizes = np.diff(bounds)
    counts = np.maximum(sizes - n + 1, 0)
    gram_bounds = np.concatenate(([0], np.cumsum(counts)))
    total = int(gram_bounds[-1])
    if total == 0:
        return np.empty(0, dtype=np.uint64), gram_bounds, np.empty(0, dtype=np.int64)
    firsts = np.arange(total) + np.repeat(bounds[:-1] - gram_bounds[:-1], counts)
    if n <= _HORNER_MOST:
        return _mixed(_window_sums(hashes, n)[firsts]), gram_bounds, firsts
    # positions within each segment: B**-k and B**k depend on them only, so a gram's value
    # is the one its body alone gives
    local = np.arange(len(hashes)) - np.repeat(bounds[:-1], sizes)
    powers, inverses = _powers(int(sizes.max()))
    prefix = np.empty(len(hashes) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.cumsum(hashes * inverses[local], out=prefix[1:])
    acc = (prefix[firsts + n] - prefix[firsts]) * powers[local[firsts] + n - 1]
    return _mixed(acc), gram_bounds, firsts


# Up to this many words a gram, its polynomial is summed in a pass per word over the whole
# array (a window across two segments is summed too, and dropped) rather than by gathering.
_HORNER_MOST = 16


def _window_sums(hashes: np.ndarray, n: int) -> np.ndarray:
    """``sum(hashes[i + k] * B**(n - 1 - k) for k < n)`` (mod 2**64) of every window of ``n``
    (at least one): the value :func:`gram_hashes`' prefix sums give, as arithmetic modulo
    2**64 is exact whichever way it is summed."""
    count = len(hashes) - n + 1
    acc = hashes[:count].copy()
    for k in range(1, n):
        acc *= _BASE
        acc += hashes[k : k + count]
    return acc


def segment_minhash(
    shingles: np.ndarray, bounds: np.ndarray, num_perm: int, seed: int
) -> np.ndarray:
    """:func:`minhash` of every segment, as the rows of a ``(segments, num_perm)`` array."""
    segments = len(bounds) - 1
    out = np.full((segments, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    if len(shingles) == 0:
        return out
    counts = np.diff(bounds)
    h = _mixed(shingles ^ _seed_salt(seed))
    bins = (((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)).astype(np.intp)
    owner = np.repeat(np.arange(segments, dtype=np.intp), counts)
    # each bin's least value; 2**32, above any, where the bin is empty
    least = np.full((segments, num_perm), 1 << 32, dtype=np.uint64)
    np.minimum.at(least.ravel(), owner * num_perm + bins, h & np.uint64(0xFFFFFFFF))
    held = np.flatnonzero(counts)
    least = least[held]
    filled = least >> np.uint64(32) == 0
    # for each bin, the first filled bin at or after it in its row, else the row's first
    bin_of = np.arange(num_perm)
    after = np.where(filled, bin_of, 2 * num_perm)
    after = np.minimum.accumulate(after[:, ::-1], axis=1)[:, ::-1]
    at = np.where(after < num_perm, after, after[:, :1] + num_perm)
    found = np.take_along_axis(least, at % num_perm, axis=1)
    steps = (at - bin_of).astype(np.uint64)
    out[held] = ((found + steps * _BORROW_STEP) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return out


def segment_band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """:func:`band_keys` of every row of ``signatures``, as the rows of the result."""
    rows_of = signatures[:, : bands * rows].astype(np.uint64).reshape(len(signatures), bands, rows)
    acc = np.broadcast_to(
        np.arange(1, bands + 1, dtype=np.uint64) * _MIX2, (len(signatures), bands)
    ).copy()
    for j in range(rows):
        acc = (acc ^ rows_of[:, :, j]) * _MIX
        acc ^= acc >> np.uint64(31)
    return acc


def segment_window_minima(
    hashes: np.ndarray, bounds: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """The hashes :func:`winnow` keeps of every segment, not made unique (with their
    segments' bounds): the least of every ``window`` consecutive hashes inside a segment, or
    of the whole segment when it is shorter."""
    sizes = np.diff(bounds)
    if window == 1 or len(hashes) == 0:
        return hashes, bounds
    count = max(0, len(hashes) - window + 1)
    least = hashes[:count].copy()
    for k in range(1, window):
        np.minimum(least, hashes[k : k + count], out=least)
    ends = np.repeat(bounds[1:], np.maximum(sizes, 0))[:count]
    starts_ok = np.arange(count) + window <= ends
    # a segment of exactly ``window`` hashes has one window: its least, as winnow keeps
    short = (sizes > 0) & (sizes < window)
    owner = np.repeat(np.arange(len(sizes)), sizes)[:count][starts_ok]
    kept_long = np.bincount(owner, minlength=len(sizes))
    short_min = np.empty(0, dtype=hashes.dtype)
    if short.any():
        short_sizes = sizes[short]
        short_min = np.minimum.reduceat(
            hashes[np.repeat(short, sizes)], np.cumsum(short_sizes) - short_sizes
        )
    per = np.where(short, 1, kept_long)
    out = np.empty(int(per.sum()), dtype=hashes.dtype)
    out_bounds = np.concatenate(([0], np.cumsum(per)))
    is_short = np.repeat(short, per)
    out[is_short] = short_min
    out[~is_short] = least[starts_ok]
    return out, out_bounds
