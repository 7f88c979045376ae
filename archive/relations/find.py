"""Finding relations across a corpus: signatures in one streaming pass, then candidates by
sorting shared keys, then confirmation by alignment.

Memory holds per distinct body its LSH band keys, winnowed anchors and quotation n-grams and
32 bytes of store index; the bodies wait in a temporary file as word and separator ids (the
vocabulary turns them back into words and offsets), with the quoted words beside them.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime

import numpy as np

from archive.relations import align
from archive.relations.candidates import pairs_of_entries
from archive.relations.model import (
    Relation,
    RelationInput,
    RelationSettings,
    canonical_json,
)
from archive.relations.signatures import band_keys, gram_hashes, lsh_shape, minhash, winnow
from archive.relations.store import ArrayStore, Lru
from archive.relations.text import Vocabulary

_ANCHOR_MIX = np.uint64(0x9E3779B97F4A7C15)
_PAIR_CHUNK = 16384

METHODS = {
    "exact-duplicate": "text-sha256",
    "near-duplicate": "minhash-lsh+token-alignment",
    "shares-quotation": "quote-winnowing+token-alignment",
    "paraphrase-of": "anchor-winnowing+sentence-alignment",
}


class RelationFinder:
    """Accumulates records with :meth:`add`, then yields sorted relations from :meth:`relations`
    (once: it releases what it held as it goes).

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
        self._params = settings.params_json()
        self.stats: Counter[str] = Counter()
        self._bands, self._rows = lsh_shape(settings.lsh_threshold, settings.num_perm)
        self._vocab = Vocabulary()
        self._df = np.zeros(1024, dtype=np.int64)  # bodies holding each folded word
        self._by_sha: dict[str, int] = {}
        # per distinct body: its smallest record id, all its ids when it has several, and its
        # earliest dates
        self._rep: list[str] = []
        self._more_ids: dict[int, list[str]] = {}
        self._published: list[datetime | None] = []
        self._retrieved: list[datetime | None] = []
        # per distinct body, flat: LSH band keys, winnowed anchors, quotation n-grams
        self._band_keys = array("I")
        self._anchors, self._anchor_counts = array("I"), array("q")
        self._quote_keys, self._quote_counts = array("I"), array("q")
        self._tokens = ArrayStore()  # word and separator ids: the body without re-reading it
        self._quotes = ArrayStore()

    def add(self, record: RelationInput) -> None:
        """Take one record; its body is read once here and kept only in the text store."""
        self.stats["records"] += 1
        index = self._by_sha.get(record.text_sha256)
        if index is None:
            index = self._add_body(record.text)
            self._by_sha[record.text_sha256] = index
            self._rep.append(record.record_id)
            self._published.append(record.published_at)
            self._retrieved.append(record.retrieved_at)
        else:
            self._more_ids.setdefault(index, [self._rep[index]]).append(record.record_id)
            self._rep[index] = min(self._rep[index], record.record_id)
            self._published[index] = _earliest(self._published[index], record.published_at)
            self._retrieved[index] = _earliest(self._retrieved[index], record.retrieved_at)

    def _add_body(self, text: str) -> int:
        s = self.settings
        doc = align.doc_of(text, self._vocab)
        self._count_words(doc.tokens.fold)
        hashes = doc.hashes
        signature = minhash(gram_hashes(hashes, s.shingle_size), s.num_perm, s.seed)
        self._band_keys.frombytes(_folded(band_keys(signature, self._bands, self._rows)).tobytes())
        skeleton, content = self._vocab.skeleton_hashes(doc.tokens)
        anchors = self._anchor_keys(skeleton, content, hashes)
        self._anchors.frombytes(anchors.tobytes())
        self._anchor_counts.append(len(anchors))
        quotes = align.QuoteView.of(doc, s.min_quote_words)
        keys = np.unique(_folded(winnow(quotes.grams[quotes.grams != 0], s.quote_window)))
        self._quote_keys.frombytes(keys.tobytes())
        self._quote_counts.append(len(keys))
        self._quotes.append_arrays(*quotes.columns())
        return self._tokens.append_arrays(doc.tokens.raw, doc.tokens.sep)

    def _count_words(self, fold: np.ndarray) -> None:
        if len(self._df) < len(self._vocab.words):
            grown = np.zeros(2 * len(self._vocab.words), dtype=np.int64)
            grown[: len(self._df)] = self._df
            self._df = grown
        self._df[fold] += 1  # a repeated index is incremented once: one count per body

    def _anchor_keys(self, skeleton, content, hashes) -> np.ndarray:
        """Winnowed keys of each content word in its skeleton context.

        A spun copy keeps a word with the probability it was not swapped and keeps the
        skeleton around it, so it shares many of these keys; an independent report on the
        same story rarely puts the same word in the same nine-token frame.
        """
        s = self.settings
        half = s.skeleton_context
        frames = gram_hashes(skeleton, 2 * half + 1)
        if len(frames) == 0:
            return np.empty(0, dtype=np.uint32)
        centers = slice(half, len(skeleton) - half)
        keys = (frames * _ANCHOR_MIX) ^ hashes[centers]
        return np.unique(_folded(winnow(keys[content[centers]], s.skeleton_window)))

    def relations(self) -> Iterator[Relation]:
        """All relations, sorted by ``(source_id, target_id, kind)``."""
        try:
            found = self._confirmed()
        finally:
            self._tokens.close()
            self._quotes.close()
        yield from sorted(found, key=Relation.sort_key)

    def _doc(self, index: int) -> align.Doc:
        raw, sep = self._tokens.get_arrays(index, 2)
        return align.Doc(None, self._vocab.arrays(raw, sep), self._vocab)

    def _confirmed(self) -> list[Relation]:
        s = self.settings
        docs = Lru(self._doc)
        lsh = self._pairs("near-duplicate", self._take_entries("_band_keys", None))
        anchored = self._pairs("paraphrase-of", self._take_entries("_anchors", self._anchor_counts),
                               s.min_shared_skeleton, s.max_anchor_bucket)
        near: dict[tuple[int, int], dict] = {}
        # a copy keeps its original's anchors: a candidate there too, whatever LSH missed
        for u, v in sorted({*lsh, *anchored}, key=_by_body):
            evidence = align.shared_passages(docs(u), docs(v), s)
            if evidence is not None and not self._spun(evidence):
                near[(u, v)] = evidence
        families = self._families(near)
        out = self._exact(families)
        out += [self._near(u, v, ev, families) for (u, v), ev in near.items()]
        related = set(near)
        for u, v in anchored:
            if (u, v) in related:
                continue
            pairs = align.paraphrase_alignment(docs(u), docs(v), s)
            rel = self._paraphrase(u, v, pairs, docs)
            if rel is not None:
                out.append(rel)
                related.add((u, v))
        views = Lru(self._quote_view, size=4096)
        quoting = self._iter_pairs("shares-quotation",
                                   self._take_entries("_quote_keys", self._quote_counts),
                                   1, s.max_quote_bucket)
        for u, v in quoting:
            if (u, v) in related:
                self.stats["skipped-related:shares-quotation"] += 1
                continue
            shared = align.shared_quotations(views(u), views(v), self._vocab, s)
            if shared:
                out.append(self._quotation(u, v, shared, views))
        for rel in out:
            self.stats[f"relations:{rel.kind}"] += 1
        return out

    def _quote_view(self, index: int) -> align.QuoteView:
        return align.QuoteView.from_columns(self._quotes.get_arrays(index, align.QUOTE_COLUMNS))

    def _spun(self, evidence: dict) -> bool:
        """A near-duplicate whose differences are scattered word swaps is a spun copy; it is
        left to the paraphrase check (its anchors are candidates there too)."""
        swaps = evidence.pop("scattered_swaps")
        covered = sum(p["words"] for p in evidence["passages"])
        s = self.settings
        return swaps >= s.spun_min_swaps and swaps >= s.spun_min_swap_rate * covered

    def _take_entries(self, name: str, counts: array | None) -> np.ndarray:
        """The keys kept under ``name`` as entries ``key << 32 | body`` (see
        :func:`~archive.relations.candidates.entries`); the keys themselves are dropped, so
        each key set is held once, and only until its pairs are found."""
        keys = np.frombuffer(getattr(self, name), dtype=np.uint32)
        out = keys.astype(np.uint64)
        del keys
        setattr(self, name, array("I"))
        out <<= np.uint64(32)
        per_body = (np.full(len(self._rep), self._bands, dtype=np.int64) if counts is None
                    else np.frombuffer(counts, dtype=np.int64))
        ends = np.cumsum(per_body)
        step = 1 << 14  # bodies at a time, so the body numbers are never spelled out at once
        for first in range(0, len(per_body), step):
            last = min(first + step, len(per_body))
            lo = int(ends[first - 1]) if first else 0
            bodies = np.arange(first, last, dtype=np.uint64)
            out[lo : int(ends[last - 1])] |= np.repeat(bodies, per_body[first:last])
        return out

    def _pairs(self, kind, entries, min_shared=1, max_bucket=None) -> list[tuple[int, int]]:
        return list(self._iter_pairs(kind, entries, min_shared, max_bucket))

    def _iter_pairs(self, kind, entries, min_shared=1, max_bucket=None) -> Iterator[
        tuple[int, int]
    ]:
        """Candidate pairs sharing ``min_shared`` keys, oriented by representative record id
        (so alignment never depends on input order) and ordered by body for the caches; made
        as arrays and handed out a chunk at a time (there may be several per body)."""
        found = pairs_of_entries(entries, max_bucket or self.settings.max_bucket, min_shared)
        del entries
        self.stats[f"skipped-buckets:{kind}"] += found.skipped_keys
        self.stats[f"candidates:{kind}"] += len(found.left)
        rank = self._rep_rank()
        swap = rank[found.left] > rank[found.right]
        first = np.where(swap, found.right, found.left)
        second = np.where(swap, found.left, found.right)
        del found, swap
        order = np.lexsort((np.maximum(first, second), np.minimum(first, second)))
        for at in range(0, len(order), _PAIR_CHUNK):
            part = order[at : at + _PAIR_CHUNK]
            yield from zip(first[part].tolist(), second[part].tolist(), strict=True)

    def _rep_rank(self) -> np.ndarray:
        """Each body's place in the order of representative record ids."""
        order = sorted(range(len(self._rep)), key=self._rep.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    def _families(self, near) -> list[str]:
        """Near-duplicate family id of each body: the smallest record id in the family."""
        parent = list(range(len(self._rep)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for u, v in near:
            parent[root(u)] = root(v)
        smallest: dict[int, str] = {}
        for i, rep in enumerate(self._rep):
            r = root(i)
            smallest[r] = min(smallest.get(r, rep), rep)
        return [smallest[root(i)] for i in range(len(self._rep))]

    def _relation(self, kind, src, tgt, score, directed, evidence, group=None) -> Relation:
        if not directed and tgt < src:
            src, tgt = tgt, src
        return Relation(src, tgt, kind, round(score, 4), directed, METHODS[kind],
                        self._params, canonical_json(evidence), group)

    def _exact(self, families) -> list[Relation]:
        out = []
        for i, more in sorted(self._more_ids.items()):
            rep = self._rep[i]
            for rid in sorted(set(more) - {rep}):
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
        return self._relation("near-duplicate", self._rep[src], self._rep[tgt],
                              score, copy is not None, evidence, families[u])

    def _dated_copy(self, u: int, v: int) -> tuple[int | None, str | None]:
        """The later of two bodies by first publication, else by first capture."""
        for dates, attr in ((self._published, "published"), (self._retrieved, "retrieved")):
            a, b = dates[u], dates[v]
            if a is not None and b is not None and a != b:
                return (v if a < b else u), f"{attr}_at"
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
        score = aligned / min(len(a), len(b))
        return self._relation("paraphrase-of", self._rep[src], self._rep[tgt],
                              min(score, 1.0), copy is not None, evidence)

    def _frequency_copy(self, u, v, swaps) -> tuple[int | None, str | None]:
        """The body whose swapped-in words are the rarer ones, when the votes agree."""
        s = self.settings
        df = self._word_df
        to_v = to_u = 0
        for x, y in swaps:
            if df(x) >= s.direction_df_ratio * df(y):
                to_v += 1  # common word in u became a rare one in v: v is the rewrite
            elif df(y) >= s.direction_df_ratio * df(x):
                to_u += 1
        votes = to_u + to_v
        if votes < s.direction_min_votes:
            return None, None
        if to_v >= s.direction_min_share * votes:
            return v, "word-frequency"
        if to_u >= s.direction_min_share * votes:
            return u, "word-frequency"
        return None, None

    def _word_df(self, word: str) -> int:
        return int(self._df[self._vocab.folded_id(word)])

    def _quotation(self, u, v, quotes, views) -> Relation:
        shared = sum(q["words"] for q in quotes)
        score = shared / max(1, min(len(views(u)), len(views(v))))
        return self._relation("shares-quotation", self._rep[u], self._rep[v],
                              min(score, 1.0), False, {"quotations": quotes})


def _by_body(pair: tuple[int, int]) -> tuple[int, int]:
    return min(pair), max(pair)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _folded(keys: np.ndarray) -> np.ndarray:
    """64-bit keys folded to 32 bits: a chance collision only adds a candidate, which its
    alignment then rejects, and the keys take half the memory."""
    return (keys ^ (keys >> np.uint64(32))).astype(np.uint32)


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
