"""Finding relations across a corpus: signatures in one streaming pass, then candidates by
sorting shared keys, then confirmation by alignment.

Memory holds per distinct body a MinHash signature, its winnowed fingerprints and 16 bytes
of text-store index; the bodies themselves wait in a temporary file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from archive.relations import align
from archive.relations.candidates import shared_key_pairs
from archive.relations.model import (
    Relation,
    RelationInput,
    RelationSettings,
    canonical_json,
)
from archive.relations.signatures import (
    band_keys,
    gram_hashes,
    lsh_shape,
    minhash,
    winnow,
    word_hashes,
)
from archive.relations.store import Lru, TextStore
from archive.relations.text import skeleton_of, tokens_of

_ANCHOR_MIX = np.uint64(0x9E3779B97F4A7C15)

METHODS = {
    "exact-duplicate": "text-sha256",
    "near-duplicate": "minhash-lsh+token-alignment",
    "shares-quotation": "quote-winnowing+token-alignment",
    "paraphrase-of": "anchor-winnowing+sentence-alignment",
}


@dataclass
class _Body:
    """One distinct body and the records carrying it."""

    record_ids: list[str] = field(default_factory=list)
    published: list[datetime] = field(default_factory=list)
    retrieved: list[datetime] = field(default_factory=list)

    @property
    def rep(self) -> str:
        return min(self.record_ids)


class RelationFinder:
    """Accumulates records with :meth:`add`, then yields sorted relations from :meth:`relations`.

    ``stats`` counts candidates, confirmations and skipped buckets, so nothing is dropped
    without a trace.

    >>> finder = RelationFinder(RelationSettings())
    >>> finder.add(RelationInput("a", "Same words.", "h1"))
    >>> finder.add(RelationInput("b", "Same words.", "h1"))
    >>> [r.kind for r in finder.relations()]
    ['exact-duplicate']
    """

    def __init__(self, settings: RelationSettings) -> None:
        self.settings = settings
        self.stats: Counter[str] = Counter()
        self._bands, self._rows = lsh_shape(settings.lsh_threshold, settings.num_perm)
        self._by_sha: dict[str, int] = {}
        self._bodies: list[_Body] = []
        self._signatures: list[np.ndarray] = []
        self._skeleton: list[np.ndarray] = []
        self._quote: list[np.ndarray] = []
        self._df: Counter[str] = Counter()
        self._store = TextStore()

    def add(self, record: RelationInput) -> None:
        """Take one record; its body is read once here and kept only in the text store."""
        self.stats["records"] += 1
        index = self._by_sha.get(record.text_sha256)
        if index is None:
            index = self._add_body(record.text)
            self._by_sha[record.text_sha256] = index
        body = self._bodies[index]
        body.record_ids.append(record.record_id)
        if record.published_at is not None:
            body.published.append(record.published_at)
        if record.retrieved_at is not None:
            body.retrieved.append(record.retrieved_at)

    def _add_body(self, text: str) -> int:
        s = self.settings
        tokens = tokens_of(text)
        words = [t.norm for t in tokens]
        self._df.update(set(words))
        hashes = word_hashes(words)
        shingles = np.unique(gram_hashes(hashes, s.shingle_size))
        self._signatures.append(minhash(shingles, s.num_perm, s.seed))
        self._skeleton.append(self._anchor_keys(text, tokens, hashes))
        self._quote.append(self._quote_keys(tokens, text, hashes))
        self._bodies.append(_Body())
        return self._store.append(text)

    def _anchor_keys(self, text, tokens, hashes) -> np.ndarray:
        """Winnowed keys of each content word in its skeleton context.

        A spun copy keeps a word with the probability it was not swapped and keeps the
        skeleton around it, so it shares many of these keys; an independent report on the
        same story rarely puts the same word in the same nine-token frame.
        """
        s = self.settings
        skeleton = skeleton_of(text, tokens)
        half = s.skeleton_context
        frames = gram_hashes(word_hashes(skeleton), 2 * half + 1)
        if len(frames) == 0:
            return frames
        centers = np.arange(half, len(tokens) - half)
        content = np.fromiter((skeleton[i] == "_" for i in centers), dtype=bool, count=len(centers))
        with np.errstate(over="ignore"):
            keys = (frames * _ANCHOR_MIX) ^ hashes[centers]
        return winnow(keys[content], s.skeleton_window)

    def _quote_keys(self, tokens, text, hashes) -> np.ndarray:
        s = self.settings
        quoted = sorted(align.quoted_token_indexes(tokens, text))
        keys = []
        run: list[int] = []
        for i in [*quoted, -2]:
            if run and i != run[-1] + 1:
                grams = gram_hashes(hashes[run[0] : run[-1] + 1], s.min_quote_words)
                keys.append(winnow(grams, s.quote_window))
                run = []
            run.append(i)
        return np.unique(np.concatenate(keys)) if keys else np.empty(0, dtype=np.uint64)

    def relations(self) -> Iterator[Relation]:
        """All relations, sorted by ``(source_id, target_id, kind)``."""
        try:
            found = self._confirmed()
        finally:
            self._store.close()
        yield from sorted(found, key=Relation.sort_key)

    def _confirmed(self) -> list[Relation]:
        s = self.settings
        docs = Lru(lambda i: align.doc_of(self._store.get(i)))
        reps = [b.rep for b in self._bodies]
        near: dict[tuple[int, int], dict] = {}
        for u, v in self._pairs("near-duplicate", self._band_key_arrays(), 1, reps):
            evidence = align.shared_passages(docs(u), docs(v), s)
            if evidence is not None and not self._spun(evidence):
                near[(u, v)] = evidence
        families = self._families(near)
        out = self._exact(families)
        out += [self._near(u, v, ev, families) for (u, v), ev in near.items()]
        skel = _key_arrays(self._skeleton)
        for u, v in self._pairs("paraphrase-of", skel, s.min_shared_skeleton, reps):
            if (u, v) not in near:
                pairs = align.paraphrase_alignment(docs(u), docs(v), s)
                rel = self._paraphrase(u, v, pairs, docs)
                if rel is not None:
                    out.append(rel)
        for u, v in self._pairs("shares-quotation", _key_arrays(self._quote), 1, reps):
            if (u, v) not in near:
                quotes = align.shared_quotations(docs(u), docs(v), s)
                if quotes:
                    out.append(self._quotation(u, v, quotes, docs))
        for rel in out:
            self.stats[f"relations:{rel.kind}"] += 1
        return out

    def _spun(self, evidence: dict) -> bool:
        """A near-duplicate whose differences are scattered word swaps is a spun copy; it is
        left to the paraphrase check (its anchors are candidates there too)."""
        swaps = evidence.pop("scattered_swaps")
        covered = sum(p["words"] for p in evidence["passages"])
        s = self.settings
        return swaps >= s.spun_min_swaps and swaps >= s.spun_min_swap_rate * covered

    def _band_key_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._signatures:
            return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        keys = np.concatenate([band_keys(sig, self._bands, self._rows) for sig in self._signatures])
        docs = np.repeat(np.arange(len(self._signatures)), self._bands)
        return keys, docs

    def _pairs(self, kind, arrays, min_shared, reps) -> list[tuple[int, int]]:
        """Candidate pairs ordered by representative record id, so results ignore input order."""
        found = shared_key_pairs(arrays[0], arrays[1], self.settings.max_bucket)
        self.stats[f"skipped-buckets:{kind}"] += found.skipped_keys
        keep = found.shared >= min_shared
        pairs = [
            (u, v) if reps[u] < reps[v] else (v, u)
            for u, v in zip(found.left[keep].tolist(), found.right[keep].tolist(), strict=True)
        ]
        self.stats[f"candidates:{kind}"] += len(pairs)
        return sorted(pairs, key=lambda p: (reps[p[0]], reps[p[1]]))

    def _families(self, near) -> list[str]:
        """Near-duplicate family id of each body: the smallest record id in the family."""
        parent = list(range(len(self._bodies)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for u, v in near:
            parent[root(u)] = root(v)
        smallest: dict[int, str] = {}
        for i, body in enumerate(self._bodies):
            r = root(i)
            smallest[r] = min(smallest.get(r, body.rep), body.rep)
        return [smallest[root(i)] for i in range(len(self._bodies))]

    def _relation(self, kind, src, tgt, score, directed, evidence, group=None) -> Relation:
        if not directed and tgt < src:
            src, tgt = tgt, src
        return Relation(src, tgt, kind, round(score, 4), directed, METHODS[kind],
                        self.settings.params_json(), canonical_json(evidence), group)

    def _exact(self, families) -> list[Relation]:
        out = []
        for i, body in enumerate(self._bodies):
            rep = body.rep
            for rid in sorted(set(body.record_ids) - {rep}):
                out.append(self._relation("exact-duplicate", rid, rep, 1.0, False,
                                          {"text_sha256_equal": True}, families[i]))
        return out

    def _near(self, u, v, evidence, families) -> Relation:
        copy, basis = self._dated_copy(u, v)
        score = max(evidence["source_coverage"], evidence["target_coverage"])
        evidence = {**evidence, "direction_basis": basis}
        if copy == v:
            evidence = _swapped(evidence)
        src, tgt = (u, v) if copy in (u, None) else (v, u)
        return self._relation("near-duplicate", self._bodies[src].rep, self._bodies[tgt].rep,
                              score, copy is not None, evidence, families[u])

    def _dated_copy(self, u: int, v: int) -> tuple[int | None, str | None]:
        """The later of two bodies by first publication, else by first capture."""
        for attr in ("published", "retrieved"):
            a, b = getattr(self._bodies[u], attr), getattr(self._bodies[v], attr)
            if a and b and min(a) != min(b):
                return (v if min(a) < min(b) else u), f"{attr}_at"
        return None, None

    def _paraphrase(self, u, v, pairs, docs) -> Relation | None:
        s = self.settings
        swaps = [sw for p in pairs for sw in p.swaps]
        aligned = sum(p.same + len(p.swaps) for p in pairs)
        if len(pairs) < s.min_aligned_sentences or len(swaps) < s.min_substitutions:
            return None
        rate = len(swaps) / aligned
        if not s.min_substitution_rate <= rate <= s.max_substitution_rate:
            return None
        copy, basis = self._dated_copy(u, v)
        if copy is None:
            copy, basis = self._frequency_copy(u, v, swaps)
        a, b = docs(u), docs(v)
        if copy == v:
            pairs = [align.SentencePair(p.b, p.a, p.same, tuple((y, x) for x, y in p.swaps),
                                        p.other) for p in pairs]
            swaps = [(y, x) for x, y in swaps]
        evidence = {
            "sentence_pairs": [
                {"source": [p.a.start, p.a.end], "target": [p.b.start, p.b.end],
                 "same_words": p.same, "substitutions": [list(x) for x in p.swaps]}
                for p in pairs
            ],
            "substitutions": [[x, y, n] for (x, y), n in sorted(Counter(swaps).items())],
            "substitution_rate": round(rate, 4),
            "direction_basis": basis,
        }
        src, tgt = (u, v) if copy in (u, None) else (v, u)
        score = aligned / min(len(a.tokens), len(b.tokens))
        return self._relation("paraphrase-of", self._bodies[src].rep, self._bodies[tgt].rep,
                              min(score, 1.0), copy is not None, evidence)

    def _frequency_copy(self, u, v, swaps) -> tuple[int | None, str | None]:
        """The body whose swapped-in words are the rarer ones, when the votes agree."""
        s = self.settings
        to_v = to_u = 0
        for x, y in swaps:
            if self._df[x] >= s.direction_df_ratio * self._df[y]:
                to_v += 1  # common word in u became a rare one in v: v is the rewrite
            elif self._df[y] >= s.direction_df_ratio * self._df[x]:
                to_u += 1
        votes = to_u + to_v
        if votes < s.direction_min_votes:
            return None, None
        if to_v >= s.direction_min_share * votes:
            return v, "word-frequency"
        if to_u >= s.direction_min_share * votes:
            return u, "word-frequency"
        return None, None

    def _quotation(self, u, v, quotes, docs) -> Relation:
        a, b = docs(u), docs(v)
        shared = sum(q["words"] for q in quotes)
        score = shared / max(1, min(len(a.quoted), len(b.quoted)))
        return self._relation("shares-quotation", self._bodies[u].rep, self._bodies[v].rep,
                              min(score, 1.0), False, {"quotations": quotes})


def _key_arrays(per_body: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    if not per_body:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    docs = np.repeat(np.arange(len(per_body)), [len(k) for k in per_body])
    return np.concatenate(per_body), docs


def _swapped(evidence: dict) -> dict:
    """The same evidence read from the other body: source and target exchanged."""
    out = {}
    for key, value in evidence.items():
        if key in ("source", "target"):
            key = "target" if key == "source" else "source"
        elif key.startswith("source_"):
            key = "target_" + key[len("source_"):]
        elif key.startswith("target_"):
            key = "source_" + key[len("target_"):]
        if isinstance(value, dict):
            value = _swapped(value)
        elif isinstance(value, list):
            value = [_swapped(x) if isinstance(x, dict) else x for x in value]
        out[key] = value
    return out


def find_relations(
    records: Iterable[RelationInput], settings: RelationSettings | None = None
) -> Iterator[Relation]:
    """Relations between ``records``, sorted by ``(source_id, target_id, kind)``.

    The result does not depend on the order of ``records``. Memory grows with the number of
    distinct bodies (one signature each), never with the number of pairs compared.

    >>> body = "Officials in Varnholt said the bridge would reopen on Monday."
    >>> rels = find_relations([RelationInput("r2", body, "x"), RelationInput("r1", body, "x")])
    >>> [(r.source_id, r.target_id, r.kind) for r in rels]
    [('r1', 'r2', 'exact-duplicate')]
    """
    finder = RelationFinder(settings or RelationSettings())
    for record in records:
        finder.add(record)
    yield from finder.relations()
