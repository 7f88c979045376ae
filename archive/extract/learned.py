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
from dataclasses import dataclass, replace

from archive.extract.text import body_from_spans
from archive.model import Extraction, Span

K = 32
"""Distinct documents remembered per key; ``min_docs`` may not exceed it."""
_FULL = 1 << 64
_SHARED = None
_QUOTE_OPENERS = ('"', "“", "‘", "'", "«", "„", "‹")
_LEARNABLE = ("body", "subheading")
RULE = "learned:outlet-recurring"


def paragraph_key(text: str) -> int | None:
    """The 64-bit key of a paragraph, or None for one that is never learned (a quotation)."""
    folded = " ".join(text.split()).casefold()
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


class FurnitureCounter:
    """Mergeable, bounded summary of which body paragraphs recur per outlet.

    >>> c = FurnitureCounter()
    >>> for n in range(3):
    ...     text = f"Story {n} is about the tide.\\n\\nRead the Tarn Gazette every morning."
    ...     c.add(text, (Span(0, 28, "body", "r"), Span(30, 66, "body", "r")), "Tarn Gazette")
    >>> len(c.learned(min_docs=3)), len(c.learned(min_docs=4))
    (1, 0)
    """

    def __init__(self, *, capacity: int = 200_000) -> None:
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

    def learned(self, *, min_docs: int = 10) -> LearnedFurniture:
        """Keys seen under exactly one known outlet in at least ``min_docs`` distinct stories."""
        if not 2 <= min_docs <= K:
            raise ValueError(f"min_docs must be between 2 and {K}, got {min_docs}")
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
