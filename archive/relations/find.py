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
from dataclasses import dataclass
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
from archive.relations.signatures import (
    band_keys,
    gram_hashes,
    lsh_shape,
    minhash,
    segment_band_keys,
    segment_grams,
    segment_minhash,
    segment_window_minima,
    winnow,
)
from archive.relations.store import ArrayStore, Lru
from archive.relations.text import TokenBatch, Vocabulary, batch_quote_ids, word_hash

_ANCHOR_MIX = np.uint64(0x9E3779B97F4A7C15)
_PAIR_CHUNK = 16384

METHODS = {
    "exact-duplicate": "text-sha256",
    "near-duplicate": "minhash-lsh+token-alignment",
    "shares-quotation": "quote-winnowing+token-alignment",
    "paraphrase-of": "anchor-winnowing+sentence-alignment",
}


# Candidate kinds of a pair, as bits: it may be all three.
LSH, ANCHORED, QUOTED = 1, 2, 4
CANDIDATE_KINDS = (
    (LSH, "near-duplicate"),
    (ANCHORED, "paraphrase-of"),
    (QUOTED, "shares-quotation"),
)
KEY_NAMES = ("bands", "anchors", "quotes")  # the keys of each kind, as BodyKeys names them


@dataclass(frozen=True)
class BodyKeys:
    """What candidate search keeps of one distinct body: its LSH band keys, winnowed anchors
    and quotation n-grams (32-bit), and the hashes of its distinct folded words (for
    document frequency); with the quotation view they came from."""

    bands: np.ndarray
    anchors: np.ndarray
    quotes: np.ndarray
    words: np.ndarray
    quote_view: align.QuoteView


def body_keys(doc: align.Doc, settings: RelationSettings) -> BodyKeys:
    """The keys of one body (pure: they depend on its words alone)."""
    s = settings
    hashes = doc.hashes
    signature = minhash(gram_hashes(hashes, s.shingle_size), s.num_perm, s.seed)
    bands = _folded(band_keys(signature, *lsh_shape(s.lsh_threshold, s.num_perm)))
    skeleton, content = doc.vocab.skeleton_hashes(doc.tokens)
    anchors = _anchor_keys(skeleton, content, hashes, s)
    quotes = align.QuoteView.of(doc, s.min_quote_words)
    quote_keys = np.unique(_folded(winnow(quotes.grams[quotes.grams != 0], s.quote_window)))
    return BodyKeys(bands, anchors, quote_keys, np.unique(hashes), quotes)


def _anchor_keys(skeleton, content, hashes, s: RelationSettings) -> np.ndarray:
    """Winnowed keys of each content word in its skeleton context.

    A spun copy keeps a word with the probability it was not swapped and keeps the skeleton
    around it, so it shares many of these keys; an independent report on the same story
    rarely puts the same word in the same nine-token frame.
    """
    half = s.skeleton_context
    frames = gram_hashes(skeleton, 2 * half + 1)
    if len(frames) == 0:
        return np.empty(0, dtype=np.uint32)
    centers = slice(half, len(skeleton) - half)
    keys = (frames * _ANCHOR_MIX) ^ hashes[centers]
    return np.unique(_folded(winnow(keys[content[centers]], s.skeleton_window)))


@dataclass(frozen=True)
class ChunkKeys:
    """:func:`body_keys` of several bodies at once, concatenated: for each kind of key
    (``KEY_NAMES``) the keys and how many each body has, the hashes of each body's distinct
    folded words (``word_counts`` each, in no particular order), and the quotation views'
    columns with each body's bounds in them."""

    keys: dict[str, tuple[np.ndarray, np.ndarray]]
    words: np.ndarray
    word_counts: np.ndarray
    quote_words: list[str]
    quote_starts: np.ndarray
    quote_ends: np.ndarray
    quote_index: np.ndarray
    quote_grams: np.ndarray
    quote_bounds: np.ndarray

    def body(self, k: int) -> BodyKeys:
        """Body ``k``'s keys as :func:`body_keys` gives them."""
        cut = {}
        for name, (values, counts) in self.keys.items():
            first = int(counts[:k].sum())
            cut[name] = values[first : first + int(counts[k])]
        first = int(self.word_counts[:k].sum())
        words = np.sort(self.words[first : first + int(self.word_counts[k])])
        a, b = int(self.quote_bounds[k]), int(self.quote_bounds[k + 1])
        view = align.QuoteView(
            self.quote_words[a:b],
            self.quote_starts[a:b],
            self.quote_ends[a:b],
            self.quote_index[a:b],
            self.quote_grams[a:b],
        )
        return BodyKeys(cut["bands"], cut["anchors"], cut["quotes"], words, view)


def chunk_keys(
    texts: list[str], batch: TokenBatch, vocab: Vocabulary, settings: RelationSettings
) -> ChunkKeys:
    """:func:`body_keys` of the bodies ``texts`` (tokenized as ``batch`` in ``vocab``), in a
    few numpy passes over all of them: only finding quotations looks at each text alone."""
    s = settings
    tokens, bounds = batch.tokens, batch.bounds
    sizes = np.diff(bounds)
    hashes = vocab.hash[tokens.fold]
    shingles, shingle_bounds, _ = segment_grams(hashes, bounds, s.shingle_size)
    signatures = segment_minhash(shingles, shingle_bounds, s.num_perm, s.seed)
    bands = _folded(segment_band_keys(signatures, *lsh_shape(s.lsh_threshold, s.num_perm)))
    band_counts = np.full(len(sizes), bands.shape[1] if bands.ndim == 2 else 0, np.int64)
    skeleton, content = vocab.skeleton_hashes(tokens, bounds[:-1][sizes > 0])
    anchors = _segment_anchor_keys(skeleton, content, hashes, bounds, s)
    quoted_all = batch_quote_ids(texts, batch)
    at = np.flatnonzero(quoted_all >= 0)
    quote_bounds = np.searchsorted(at, bounds)
    quote = quoted_all[at]
    n = s.min_quote_words
    whole, _, firsts = segment_grams(hashes[at], quote_bounds, n)
    grams = np.zeros(len(at), dtype=np.uint64)
    inside = (quote[firsts + n - 1] == quote[firsts]) & (at[firsts + n - 1] - at[firsts] == n - 1)
    grams[firsts[inside]] = whole[inside]
    held = grams != 0
    minima, minima_bounds = segment_window_minima(
        grams[held], np.searchsorted(np.flatnonzero(held), quote_bounds), s.quote_window
    )
    quotes = _segment_unique(_folded(minima), minima_bounds)
    words, word_counts = _distinct_words(tokens.fold, sizes, vocab)
    names = vocab.words
    return ChunkKeys(
        {"bands": (bands.ravel(), band_counts), "anchors": anchors, "quotes": quotes},
        words,
        word_counts,
        [names[f] for f in tokens.fold[at].tolist()],
        tokens.starts[at],
        tokens.ends[at],
        quote,
        grams,
        quote_bounds,
    )


def _distinct_words(
    fold: np.ndarray, sizes: np.ndarray, vocab: Vocabulary
) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of each body's distinct folded words, ascending, and how many each body
    has."""
    present = np.zeros(len(vocab.words), dtype=bool)
    present[fold] = True
    used = np.flatnonzero(present)
    hashes = np.sort(vocab.hash[used])
    # two words of one body with one hash count once, as np.unique of its hashes has them:
    # each word is known by the rank of its hash, so one sort orders a body's words by hash
    # and puts such words side by side
    distinct = np.concatenate((hashes[:1] == hashes[:1], hashes[1:] != hashes[:-1]))
    rank = np.zeros(len(vocab.words), dtype=np.int64)
    rank[used] = np.searchsorted(hashes[distinct], vocab.hash[used])
    width = max(1, int(np.count_nonzero(distinct)))
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    keys = _distinct_below(owner * width + rank[fold], len(sizes) * width)
    words = hashes[distinct][keys % width]
    return words, np.bincount(keys // width, minlength=len(sizes)).astype(np.int64)


def _segment_anchor_keys(skeleton, content, hashes, bounds, s: RelationSettings):
    """:func:`_anchor_keys` of every body, as keys and counts."""
    half = s.skeleton_context
    frames, frame_bounds, firsts = segment_grams(skeleton, bounds, 2 * half + 1)
    centers = firsts + half
    keep = content[centers]
    keys = ((frames * _ANCHOR_MIX) ^ hashes[centers])[keep]
    kept_bounds = np.searchsorted(np.flatnonzero(keep), frame_bounds)
    minima, minima_bounds = segment_window_minima(keys, kept_bounds, s.skeleton_window)
    return _segment_unique(_folded(minima), minima_bounds)


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by sorting (numpy 2's hashing unique is many times slower on
    the large arrays of a batch)."""
    values = np.sort(values)
    return values[np.concatenate((values[:1] == values[:1], values[1:] != values[:-1]))]


def _distinct_below(values: np.ndarray, bound: int) -> np.ndarray:
    """:func:`_distinct` of non-negative ``values`` below ``bound``: marked in a table of
    ``bound`` flags when that is small beside them, else sorted (as 32-bit numbers when they
    fit, which sort faster)."""
    if bound <= 8 * len(values):
        marks = np.zeros(bound, dtype=bool)
        marks[values] = True
        return np.flatnonzero(marks)
    if bound <= 1 << 32:
        return _distinct(values.astype(np.uint32)).astype(np.int64)
    return _distinct(values)


def _segment_unique(values: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's distinct 32-bit values, ascending, concatenated; and their counts."""
    sizes = np.diff(bounds)
    owner = np.repeat(np.arange(len(sizes), dtype=np.uint64), sizes)
    distinct = _distinct((owner << np.uint64(32)) | values.astype(np.uint64))
    counts = np.bincount((distinct >> np.uint64(32)).astype(np.int64), minlength=len(sizes))
    return (distinct & np.uint64(0xFFFFFFFF)).astype(np.uint32), counts.astype(np.int64)


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs ``first << 32 | second`` (``first`` the body whose representative
    record id sorts first), ascending, with the bits of the kinds that proposed each."""

    codes: np.ndarray
    bits: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)


def candidates(
    entries_of, settings: RelationSettings, stats: Counter, rank: np.ndarray | None = None
) -> Candidates:
    """The pairs sharing keys of each kind, oriented by ``rank`` (each body's place in
    representative record id order; ``None``: bodies are numbered in it).

    ``entries_of(name)`` gives the entries (as in
    :func:`~archive.relations.candidates.entries`) of the keys ``"bands"``, ``"anchors"`` and
    ``"quotes"``; each set is asked for, paired and dropped before the next.
    """
    limits = key_limits(settings)
    found = [
        _pair_codes(kind, entries_of(name), *limits[name], stats, rank)
        for name, (_, kind) in zip(KEY_NAMES, CANDIDATE_KINDS, strict=True)
    ]
    codes = np.concatenate(found)
    bits = np.concatenate(
        [
            np.full(len(c), bit, dtype=np.uint8)
            for c, (bit, _) in zip(found, CANDIDATE_KINDS, strict=True)
        ]
    )
    del found
    order = np.argsort(codes, kind="stable")
    codes, bits = codes[order], bits[order]
    del order
    if not len(codes):
        return Candidates(codes, bits)
    starts = np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))
    return Candidates(codes[starts], np.bitwise_or.reduceat(bits, starts))


def key_limits(settings: RelationSettings) -> dict[str, tuple[int, int]]:
    """For each kind of key: how many keys a pair must share, and how many bodies a key may
    hold before it is skipped as boilerplate."""
    s = settings
    return {
        "bands": (1, s.max_bucket),
        "anchors": (s.min_shared_skeleton, s.max_anchor_bucket),
        "quotes": (1, s.max_quote_bucket),
    }


def _pair_codes(kind, entries, min_shared, max_bucket, stats, rank) -> np.ndarray:
    found = pairs_of_entries(entries, max_bucket, min_shared)
    del entries
    stats[f"skipped-buckets:{kind}"] += found.skipped_keys
    stats[f"candidates:{kind}"] += len(found.left)
    left, right = found.left, found.right
    if rank is not None:
        swap = rank[left] > rank[right]
        left, right = np.where(swap, right, left), np.where(swap, left, right)
    return (left.astype(np.uint64) << np.uint64(32)) | right.astype(np.uint64)


def pairs_of(codes: np.ndarray) -> Iterator[tuple[int, int]]:
    """The ``(first, second)`` bodies of pair codes."""
    return zip(
        (codes >> np.uint64(32)).tolist(), (codes & np.uint64(0xFFFFFFFF)).tolist(), strict=True
    )


@dataclass(frozen=True)
class Confirmed:
    """A confirmed pair of bodies before it is stated: the kind, its evidence and score
    (read from ``u`` to ``v``), and for a paraphrase its aligned sentence pairs (the evidence
    is written once its direction is known)."""

    u: int
    v: int
    kind: str
    score: float
    evidence: dict
    sentence_pairs: tuple[align.SentencePair, ...] = ()

    @property
    def swaps(self) -> list[tuple[str, str]]:
        return [sw for p in self.sentence_pairs for sw in p.swaps]


def confirm_pair(
    u: int,
    v: int,
    bits: int,
    docs,
    views,
    settings: RelationSettings,
    stats: Counter,
    quote_runs=None,
    may_copy=None,
    rewrites=None,
) -> Confirmed | None:
    """The relation, if any, of bodies ``u`` and ``v`` (``docs``/``views`` give each body's
    :class:`~archive.relations.align.Doc` and quotation view): a near-duplicate first, else a
    paraphrase, else shared quotations, which are not stated for a pair related as a copy.
    ``quote_runs(u, v)``, when given, is the pair's :func:`~archive.relations.align.quote_runs`
    found beforehand, ``may_copy(u, v)`` whether the pair passes the first checks of
    :func:`~archive.relations.align.shared_passages` (see ``may_share_passages``), and
    ``rewrites(u, v)`` the pair's :func:`~archive.relations.align.rewrite_candidates`."""
    s = settings
    found = None
    if bits & (LSH | ANCHORED):
        # a copy keeps its original's anchors: a candidate here too, whatever LSH missed
        aligned = may_copy is None or may_copy(u, v)
        evidence = align.shared_passages(docs(u), docs(v), s) if aligned else None
        if evidence is not None and not _spun(evidence, s):
            score = max(evidence["source_coverage"], evidence["target_coverage"])
            found = Confirmed(u, v, "near-duplicate", score, evidence)
    if found is None and bits & ANCHORED:
        candidates = rewrites(u, v) if rewrites is not None else None
        pairs = align.paraphrase_alignment(docs(u), docs(v), s, candidates)
        found = _paraphrase(u, v, pairs, docs, s)
    if quotation_skipped(found.kind if found is not None else None, bits):
        stats["skipped-related:shares-quotation"] += 1
        return found
    if bits & QUOTED:
        a, b = views(u), views(v)
        runs = quote_runs(u, v) if quote_runs is not None else None
        shared = align.shared_quotations(a, b, s, runs)
        if shared:
            words = sum(q["words"] for q in shared)
            score = min(words / max(1, min(len(a), len(b))), 1.0)
            found = Confirmed(u, v, "shares-quotation", score, {"quotations": shared})
    return found


def quotation_skipped(kind: str | None, bits: int) -> bool:
    """Whether a candidate pair of ``bits`` confirmed as ``kind`` (None: not related) passed
    over its quotation check, as :func:`confirm_pair` counts it: a pair related as a copy or
    rewrite states no shared quotation."""
    return bool(bits & QUOTED) and kind is not None and kind != "shares-quotation"


def _spun(evidence: dict, s: RelationSettings) -> bool:
    """A near-duplicate whose differences are scattered word swaps is a spun copy; it is left
    to the paraphrase check (its anchors are candidates there too)."""
    swaps = evidence.pop("scattered_swaps")
    covered = sum(p["words"] for p in evidence["passages"])
    return swaps >= s.spun_min_swaps and swaps >= s.spun_min_swap_rate * covered


def _paraphrase(u, v, pairs, docs, s: RelationSettings) -> Confirmed | None:
    swaps = sum(len(p.swaps) for p in pairs)
    aligned = sum(p.same + len(p.swaps) for p in pairs)
    if len(pairs) < s.min_aligned_sentences or swaps < s.min_substitutions:
        return None
    rate = swaps / aligned
    if not s.min_substitution_rate <= rate <= s.max_substitution_rate:
        return None
    score = min(aligned / min(len(docs(u)), len(docs(v))), 1.0)
    return Confirmed(
        u, v, "paraphrase-of", score, {"substitution_rate": round(rate, 4)}, tuple(pairs)
    )


_EXACT_EVIDENCE = canonical_json({"text_sha256_equal": True})
Dates = tuple  # (earliest published_at, earliest retrieved_at) of a body; either may be None


class Statements:
    """Turns confirmed pairs into :class:`Relation` rows: record ids, direction, group ids.

    ``rep(i)`` is the representative record id of body ``i``, ``dates(i)`` its
    :data:`Dates`, and ``df(word)`` the number of bodies holding a folded word.
    """

    def __init__(self, settings: RelationSettings, rep, dates, df) -> None:
        self.settings = settings
        self._params = settings.params_json()
        self._rep, self._dates, self._df = rep, dates, df

    def relation(self, found: Confirmed, group: str | None = None) -> Relation:
        u, v = found.u, found.v
        if found.kind == "shares-quotation":
            return self.quotation(u, v, found.score, canonical_json(found.evidence))
        copy, basis = self._dated_copy(u, v)
        if copy is None and found.kind == "paraphrase-of":
            copy, basis = self._frequency_copy(u, v, found.swaps)
        evidence = (
            self._near_evidence(found, copy, basis)
            if found.kind == "near-duplicate"
            else self._paraphrase_evidence(found, copy, basis)
        )
        src, tgt = (u, v) if copy in (u, None) else (v, u)
        return self._relation(
            found.kind,
            self._rep(src),
            self._rep(tgt),
            found.score,
            copy is not None,
            canonical_json(evidence),
            group,
        )

    def quotation(self, u: int, v: int, score: float, evidence: str) -> Relation:
        """The shared quotations of bodies ``u`` and ``v`` (undirected: nothing in them but
        the record ids depends on this pack), their evidence already in canonical JSON."""
        rep = self._rep
        return self._relation("shares-quotation", rep(u), rep(v), score, False, evidence)

    def exact(self, record_id: str, rep: str, group: str) -> Relation:
        return self._relation("exact-duplicate", record_id, rep, 1.0, False, _EXACT_EVIDENCE, group)

    def _relation(self, kind, src, tgt, score, directed, evidence: str, group=None) -> Relation:
        if not directed and tgt < src:
            src, tgt = tgt, src
        return Relation(
            src,
            tgt,
            kind,
            round(score, 4),
            directed,
            METHODS[kind],
            self._params,
            evidence,
            group,
        )

    def _near_evidence(self, found: Confirmed, copy, basis) -> dict:
        evidence = {**found.evidence, "direction_basis": basis}
        return _swapped(evidence) if copy == found.v else evidence

    def _paraphrase_evidence(self, found: Confirmed, copy, basis) -> dict:
        pairs, swaps = found.sentence_pairs, found.swaps
        if copy == found.v:
            pairs = [
                align.SentencePair(p.b, p.a, p.same, tuple((y, x) for x, y in p.swaps), p.other)
                for p in pairs
            ]
            swaps = [(y, x) for x, y in swaps]
        return {
            "sentence_pairs": [
                {
                    "source": [p.a.start, p.a.end],
                    "target": [p.b.start, p.b.end],
                    "same_words": p.same,
                    "substitutions": [list(x) for x in p.swaps],
                }
                for p in pairs
            ],
            "substitutions": [[x, y, n] for (x, y), n in sorted(Counter(swaps).items())],
            **found.evidence,
            "direction_basis": basis,
        }

    def _dated_copy(self, u: int, v: int) -> tuple[int | None, str | None]:
        """The later of two bodies by first publication, else by first capture."""
        for a, b, attr in zip(
            self._dates(u), self._dates(v), ("published", "retrieved"), strict=True
        ):
            if a is not None and b is not None and a != b:
                return (v if a < b else u), f"{attr}_at"
        return None, None

    def _frequency_copy(self, u, v, swaps) -> tuple[int | None, str | None]:
        """The body whose swapped-in words are the rarer ones, when the votes agree."""
        s = self.settings
        df = self._df
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


class Families:
    """Near-duplicate families: union-find over the representative record ids of confirmed
    near-duplicates. A family is named by its smallest record id, so the name does not
    depend on input order."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._parent: dict[str, str] = {}
        for a, b in pairs:
            ra, rb = self.first(a), self.first(b)
            if ra != rb:  # the smaller id stays the root
                self._parent[max(ra, rb)] = min(ra, rb)

    def first(self, rid: str) -> str:
        """The name of ``rid``'s family (``rid`` itself when it has none)."""
        parent = self._parent
        root = rid
        while root in parent:
            root = parent[root]
        while rid in parent and parent[rid] != root:
            parent[rid], rid = root, parent[rid]
        return root


class RelationFinder:
    """Accumulates records with :meth:`add`, then yields sorted relations from :meth:`relations`
    (once: it releases what it held as it goes). The in-process form of what a pack runs as
    tasks (:mod:`archive.release.relation_stages`), with the same functions and the same result.

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
        self._vocab = Vocabulary()
        self._df: Counter[int] = Counter()  # bodies holding each folded word, by its hash
        self._by_sha: dict[str, int] = {}
        # per distinct body: its smallest record id, all its ids when it has several, and its
        # earliest dates
        self._rep: list[str] = []
        self._more_ids: dict[int, list[str]] = {}
        self._published: list[datetime | None] = []
        self._retrieved: list[datetime | None] = []
        # per distinct body, flat: LSH band keys, winnowed anchors, quotation n-grams
        self._keys = {name: (array("I"), array("q")) for name in KEY_NAMES}
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
        doc = align.doc_of(text, self._vocab)
        keys = body_keys(doc, self.settings)
        self._df.update(keys.words.tolist())
        for name, (values, counts) in self._keys.items():
            found = getattr(keys, name)
            values.frombytes(found.tobytes())
            counts.append(len(found))
        view = keys.quote_view
        ids = np.array([self._vocab.folded_id(w) for w in view.words], dtype=np.int32)
        halves = view.grams.view(np.uint32).reshape(-1, 2).T.view(np.int32)
        self._quotes.append_arrays(ids, view.starts, view.ends, view.quote, *halves)
        return self._tokens.append_arrays(doc.tokens.raw, doc.tokens.sep)

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

    def _quote_view(self, index: int) -> align.QuoteView:
        rows = self._quotes.get_arrays(index, 6)
        grams = np.ascontiguousarray(rows[4:6].T).view(np.uint64).ravel()
        words = self._vocab.words
        return align.QuoteView(
            [words[i] for i in rows[0].tolist()], rows[1], rows[2], rows[3], grams
        )

    def _confirmed(self) -> list[Relation]:
        rank = self._rep_rank()
        found = candidates(self._take_entries, self.settings, self.stats, rank)
        docs, views = Lru(self._doc), Lru(self._quote_view, size=4096)
        confirmed = []
        for at in range(0, len(found), _PAIR_CHUNK):
            part = slice(at, at + _PAIR_CHUNK)
            for (u, v), bits in zip(
                pairs_of(found.codes[part]), found.bits[part].tolist(), strict=True
            ):
                pair = confirm_pair(u, v, bits, docs, views, self.settings, self.stats)
                if pair is not None:
                    confirmed.append(pair)
        del found
        rep = self._rep
        families = Families((rep[c.u], rep[c.v]) for c in confirmed if c.kind == "near-duplicate")
        state = Statements(self.settings, rep.__getitem__, self._dates, self._word_df)
        out = [
            state.exact(rid, rep[i], families.first(rep[i]))
            for i, more in sorted(self._more_ids.items())
            for rid in sorted(set(more) - {rep[i]})
        ]
        out += [
            state.relation(c, families.first(rep[c.u]) if c.kind == "near-duplicate" else None)
            for c in confirmed
        ]
        for rel in out:
            self.stats[f"relations:{rel.kind}"] += 1
        return out

    def _dates(self, index: int) -> Dates:
        return self._published[index], self._retrieved[index]

    def _word_df(self, word: str) -> int:
        return self._df[word_hash(word)]

    def _take_entries(self, name: str) -> np.ndarray:
        """The keys kept under ``name`` as entries ``key << 32 | body``; the keys themselves
        are dropped, so each key set is held once."""
        values, counts = self._keys[name]
        self._keys[name] = (array("I"), array("q"))
        return keyed_entries(
            np.frombuffer(values, dtype=np.uint32), np.frombuffer(counts, dtype=np.int64), 0
        )

    def _rep_rank(self) -> np.ndarray:
        """Each body's place in the order of representative record ids."""
        order = sorted(range(len(self._rep)), key=self._rep.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank


def keyed_entries(keys: np.ndarray, per_body: np.ndarray, first_body: int) -> np.ndarray:
    """Entries ``key << 32 | body`` of bodies ``first_body, first_body + 1, ...`` holding
    ``per_body`` of ``keys`` each (in order), built a slice of bodies at a time so the body
    numbers are never spelled out at once."""
    out = keys.astype(np.uint64)
    out <<= np.uint64(32)
    ends = np.cumsum(per_body)
    step = 1 << 14
    for first in range(0, len(per_body), step):
        last = min(first + step, len(per_body))
        lo = int(ends[first - 1]) if first else 0
        bodies = np.arange(first_body + first, first_body + last, dtype=np.uint64)
        out[lo : int(ends[last - 1])] |= np.repeat(bodies, per_body[first:last])
    return out


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
            key = "target_" + key[len("source_") :]
        elif key.startswith("target_"):
            key = "source_" + key[len("target_") :]
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
