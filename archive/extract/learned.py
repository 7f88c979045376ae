"""Furniture learned from the corpus: body paragraphs one outlet repeats across many stories.

``FurnitureCounter`` is filled in one streaming pass and holds a bounded summary, not the
corpus. For each paragraph key (case-folded, whitespace folded, hashed to 64 bits; digits are
kept, so two story paragraphs differing in a number stay apart) it keeps the outlet it was seen
under and the ``K`` smallest hashes of the *distinct documents* that contain it (a bottom-k
sketch, so re-captures of one story count once). A key seen under two outlets (or under an
outlet and in a capture of unknown outlet) is marked *shared* and never learned: a quotation
that several outlets carry is story, not furniture.

Memory is bounded by ``capacity`` keys: when exceeded, only keys whose hash falls below a
threshold are kept and the threshold halves until the summary fits (hash sampling). Every part
of the state (bottom-k sets, shared marks, the threshold) depends only on the *set* of inputs,
so ``learned()`` is the same whatever the order of ``add`` and ``merge`` calls.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from archive.extract.text import body_from_spans
from archive.model import Extraction, Span

K = 32
"""Distinct documents remembered per key; ``min_docs`` may not exceed it."""
_FULL = 1 << 64
CAPACITY = 200_000
"""Keys a summary holds at most (hash sampling keeps it there)."""
MIN_DOCS = 10
"""Distinct stories a paragraph must recur in, under one outlet, to be learned."""
_SHARED = None
_QUOTE_OPENERS = ('"', "“", "‘", "'", "«", "„", "‹")
_LEARNABLE = ("body", "subheading")
RULE = "learned:outlet-recurring"


def paragraph_key(text: str) -> int | None:
    """The 64-bit key of a paragraph, or None for one that is never learned (a quotation)."""
    # a printable paragraph holds no whitespace but the space (most are one line): with no
    # double space and none at an end, it has nothing to fold, and splitting costs more
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    folded = text.casefold()
    if not 8 <= len(folded) <= 1000 or folded.startswith(_QUOTE_OPENERS):
        return None
    return _hash64(folded)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class LearnedFurniture:
    """Paragraph keys learned as furniture, per outlet: ``entries`` holds
    ``(outlet, key, distinct_docs)`` sorted; small and picklable.
    """

    entries: tuple[tuple[str, int, int], ...]
    min_docs: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset((o, k) for o, k, _ in self.entries))

    def __contains__(self, item: tuple[str, int]) -> bool:
        return item in self._keys  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.entries)

    def keys_of(self, outlet: str) -> frozenset[int]:
        """The paragraph keys learned for ``outlet``."""
        return frozenset(k for o, k, _ in self.entries if o == outlet)

    def outlets_changed(self, other: LearnedFurniture) -> frozenset[str]:
        """Outlets whose learned keys differ between ``self`` and ``other``."""
        outlets = {o for o, _, _ in self.entries} | {o for o, _, _ in other.entries}
        return frozenset(o for o in outlets if self.keys_of(o) != other.keys_of(o))

    def __reduce__(self):  # the cached key set is rebuilt, not pickled
        return (LearnedFurniture, (self.entries, self.min_docs))


def contribution(
    capture_text: str, spans: tuple[Span, ...], outlet: str | None
) -> tuple[str, int, tuple[int, ...]] | None:
    """What one capture adds to a ``FurnitureCounter``: (outlet bucket, document hash, sorted
    paragraph keys); None when it has no learnable paragraph. A pure function of the capture,
    so it can be kept and reused while the capture is unchanged."""
    texts = [capture_text[s.start : s.end] for s in spans if s.kind in _LEARNABLE]
    if not texts:
        return None
    keys = tuple(sorted({k for k in map(paragraph_key, texts) if k is not None}))
    return outlet or "", _hash64("\n\n".join(texts)), keys


def extraction_contribution(
    capture_text: str, spans: tuple[Span, ...], outlet: str | None
) -> tuple[str, int, tuple[int, ...]] | None:
    """``contribution`` on the spans as extraction left them: any learned furniture among
    ``spans`` (a row of an earlier pack) reverted first, so a capture counts the same whether
    it was extracted now or reused."""
    if any(s.kind == "furniture-learned" for s in spans):
        spans = revert_learned(spans)
    return contribution(capture_text, spans, outlet)


class FurnitureCounter:
    """Mergeable, bounded summary of which body paragraphs recur per outlet.

    >>> c = FurnitureCounter()
    >>> for n in range(3):
    ...     text = f"Story {n} is about the tide.\\n\\nRead the Tarn Gazette every morning."
    ...     c.add(text, (Span(0, 28, "body", "r"), Span(30, 66, "body", "r")), "Tarn Gazette")
    >>> len(c.learned(min_docs=3)), len(c.learned(min_docs=4))
    (1, 0)
    """

    def __init__(self, *, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.threshold = _FULL
        self.documents = 0
        self._keys: dict[int, tuple[str, tuple[int, ...]] | None] = {}

    def add(self, capture_text: str, spans: tuple[Span, ...], outlet: str | None) -> None:
        """Count the body paragraphs of one capture, under ``outlet`` (None: unknown)."""
        found = contribution(capture_text, spans, outlet)
        if found is not None:
            self.add_contribution(*found)

    def add_contribution(self, bucket: str, doc: int, keys: tuple[int, ...]) -> None:
        """Count one capture from its ``contribution`` (kept from an earlier pack, say)."""
        self.documents += 1
        for key in keys:
            if key < self.threshold:
                self._absorb(key, bucket, (doc,))
        self._shrink()

    def merge(self, other: FurnitureCounter) -> None:
        """Fold ``other`` into this counter (the result does not depend on merge order)."""
        self.documents += other.documents
        if other.threshold < self.threshold:
            self.threshold = other.threshold
            self._keys = {k: v for k, v in self._keys.items() if k < self.threshold}
        for key, entry in other._keys.items():
            if key >= self.threshold:
                continue
            if entry is _SHARED:
                self._keys[key] = _SHARED
            else:
                self._absorb(key, entry[0], entry[1])
        self._shrink()

    def learned(self, *, min_docs: int = MIN_DOCS) -> LearnedFurniture:
        """Keys seen under exactly one known outlet in at least ``min_docs`` distinct stories."""
        _check_min_docs(min_docs)
        entries = sorted(
            (bucket, key, len(docs))
            for key, entry in self._keys.items()
            if entry is not _SHARED
            for bucket, docs in (entry,)
            if bucket and len(docs) >= min_docs
        )
        return LearnedFurniture(tuple(entries), min_docs)

    def __len__(self) -> int:
        return len(self._keys)

    def _absorb(self, key: int, bucket: str, docs: tuple[int, ...]) -> None:
        if key not in self._keys:
            self._keys[key] = (bucket, docs)
            return
        entry = self._keys[key]
        if entry is _SHARED:
            return
        if entry[0] != bucket:
            self._keys[key] = _SHARED
            return
        merged = tuple(sorted(set(entry[1]).union(docs)))[:K]
        if merged != entry[1]:
            self._keys[key] = (bucket, merged)

    def _shrink(self) -> None:
        while len(self._keys) > self.capacity:
            self.threshold //= 2
            self._keys = {k: v for k, v in self._keys.items() if k < self.threshold}


def apply_learned(
    capture_text: str, extraction: Extraction, learned: LearnedFurniture
) -> Extraction:
    """Re-class body paragraphs that are learned furniture of the record's outlet.

    The record's ``text`` is recomputed from the spans; nothing changes without an outlet.
    """
    outlet = extraction.outlet
    if outlet is None or not learned:
        return extraction
    changed = False
    out: list[Span] = []
    for span in extraction.spans:
        if span.kind in _LEARNABLE:
            key = paragraph_key(capture_text[span.start : span.end])
            if key is not None and (outlet, key) in learned:
                rule = f"{RULE}:{span.kind}:{span.rule}"  # keeps what it was, for revert_learned
                span = Span(span.start, span.end, "furniture-learned", rule)
                changed = True
        out.append(span)
    if not changed:
        return extraction
    spans = tuple(out)
    return replace(extraction, spans=spans, text=body_from_spans(capture_text, spans))


def revert_learned(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """``spans`` as they were before ``apply_learned``, whose rule keeps the original kind and
    rule (``learned:outlet-recurring:<kind>:<rule>``)."""
    prefix = RULE + ":"
    return tuple(_reverted(s, prefix) for s in spans)


def _reverted(span: Span, prefix: str) -> Span:
    if span.kind != "furniture-learned" or not span.rule.startswith(prefix):
        return span
    kind, _, rule = span.rule[len(prefix) :].partition(":")
    return Span(span.start, span.end, kind, rule)


def _check_min_docs(min_docs: int) -> None:
    if not 2 <= min_docs <= K:
        raise ValueError(f"min_docs must be between 2 and {K}, got {min_docs}")


# --- the same counts over arrays, for a pack's contributions ----------------------------------


# (key, document) pairs folded into the counts at once. A fold holds several copies of their
# arrays (joined, filtered, sorted, ranked): folding 1,000,000 captures' contributions peaked at
# 235 MiB with 2**21 of them at once, 184 MiB with 2**20, in the same CPU time.
_FOLD_ROWS = 1 << 20


def learned_of_contributions(
    tables: Iterable[pa.Table], *, capacity: int = CAPACITY, min_docs: int = MIN_DOCS
) -> LearnedFurniture:
    """What ``FurnitureCounter`` (``capacity`` keys, default its own) learns from the
    contributions in ``tables`` (``bucket``, ``doc``, ``keys``), with ``learned(min_docs)``
    (default its own): the same entries, computed over arrays of (key, bucket, document)
    rather than one key at a time in Python. Its state is the counter's: per key below the
    threshold, the outlet bucket (or shared) and the ``K`` smallest document hashes."""
    _check_min_docs(min_docs)
    codes: dict[str, int] = {}
    state = _Folded(np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.uint64))
    threshold = _FULL
    pending: list[_Folded] = []
    held = 0
    for table in tables:
        for batch in table.to_batches():
            rows = _pairs_of(batch, codes)
            pending.append(rows)
            held += len(rows.key)
            if held >= _FOLD_ROWS:
                state, threshold = _fold([state, *pending], threshold, capacity)
                pending, held = [], 0
    state, threshold = _fold([state, *pending], threshold, capacity)
    names = {code: name for name, code in codes.items()}
    order = np.argsort(state.key, kind="stable")
    key, bucket = state.key[order], state.bucket[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else []
    counts = np.diff(np.r_[starts, len(key)]).tolist()
    entries = sorted(
        (names[code], k, n)
        for k, code, n in zip(key[starts].tolist(), bucket[starts].tolist(), counts, strict=True)
        if code >= 0 and names[code] and n >= min_docs
    )
    return LearnedFurniture(tuple(entries), min_docs)


@dataclass(frozen=True)
class _Folded:
    """(key, bucket code, document hash) rows; bucket -1 marks a shared key (one row)."""

    key: np.ndarray
    bucket: np.ndarray
    doc: np.ndarray


def _pairs_of(batch: pa.RecordBatch, codes: dict[str, int]) -> _Folded:
    """One row per (paragraph key, contribution) of ``batch``, its bucket as a code."""
    keys = batch.column("keys")
    parents = pc.list_parent_indices(keys).to_numpy()
    encoded = pc.dictionary_encode(batch.column("bucket"))
    for name in encoded.dictionary.to_pylist():
        codes.setdefault(name, len(codes))
    recoded = np.array([codes[n] for n in encoded.dictionary.to_pylist()], dtype=np.int64)
    bucket = recoded[encoded.indices.to_numpy(zero_copy_only=False)]
    key = pc.list_flatten(keys).to_numpy(zero_copy_only=False).astype(np.uint64)
    doc = batch.column("doc").to_numpy(zero_copy_only=False).astype(np.uint64)
    return _Folded(key, bucket[parents], doc[parents])


def _fold(parts: list[_Folded], threshold: int, capacity: int) -> tuple[_Folded, int]:
    """The counter's state after taking in every row of ``parts``: keys below the threshold
    (halved until at most ``capacity`` keys remain), each shared (seen under two buckets) or
    with its bucket and its ``K`` smallest distinct documents; sorted by key, bucket, doc."""
    key = np.concatenate([p.key for p in parts])
    bucket = np.concatenate([p.bucket for p in parts])
    doc = np.concatenate([p.doc for p in parts])
    # The threshold first, from the distinct keys alone (sorted: np.unique is far slower).
    unique = np.sort(key if threshold == _FULL else key[key < np.uint64(threshold)])
    unique = unique[np.r_[True, unique[1:] != unique[:-1]]] if len(unique) else unique
    while len(unique) > capacity:
        threshold //= 2
        unique = unique[: np.searchsorted(unique, np.uint64(threshold))]
    if threshold < _FULL:
        below = key < np.uint64(threshold)
        key, bucket, doc = key[below], bucket[below], doc[below]
    if not len(key):
        return _Folded(key, bucket, doc), threshold
    order = np.lexsort((doc, bucket, key))
    key, bucket, doc = key[order], bucket[order], doc[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    # Sorted by bucket within a key, and -1 first: a key is shared when its first and last
    # rows' buckets differ, or it was shared already.
    ends = np.r_[starts[1:], len(key)] - 1
    shared = (bucket[starts] < 0) | (bucket[starts] != bucket[ends])
    group = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    new_doc = np.r_[True, (key[1:] != key[:-1]) | (doc[1:] != doc[:-1])]
    kept = ~shared[group] & new_doc
    rank = np.cumsum(kept) - 1
    rank -= (np.cumsum(kept) - kept)[starts][group]  # rows kept before this one, in its key
    kept &= rank < K
    shared_at = starts[shared]
    return (
        _Folded(
            np.concatenate([key[shared_at], key[kept]]),
            np.concatenate([np.full(len(shared_at), -1, np.int64), bucket[kept]]),
            np.concatenate([np.zeros(len(shared_at), np.uint64), doc[kept]]),
        ),
        threshold,
    )
