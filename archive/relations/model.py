"""The values going into and coming out of relation finding."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import datetime

KINDS = ("exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of")
SPUN_FLAG = "spun-suspected"
# The kinds whose evidence quotes the bodies' words (a shared quotation, substituted words).
QUOTING_KINDS = ("shares-quotation", "paraphrase-of")
WITHHELD_KEY = "evidence_sha256"


@dataclass(frozen=True)
class RelationInput:
    """What relation finding reads of a record.

    ``text`` is the canonical body (paragraphs separated by a blank line) and
    ``text_sha256`` its hash; the dates are only used to decide which record came first.
    """

    record_id: str
    text: str
    text_sha256: str
    published_at: datetime | None = None
    retrieved_at: datetime | None = None


@dataclass(frozen=True)
class RelationSettings:
    """Thresholds of relation finding; every default is the documented one.

    Candidates (never all pairs):

    * ``shingle_size`` words per shingle, ``num_perm`` MinHash permutations and
      ``lsh_threshold`` (estimated Jaccard similarity at which band collisions become likely)
      find near-duplicate candidates; ``seed`` fixes the hash functions.
    * ``skeleton_context``/``skeleton_window``: paraphrase candidates share at least
      ``min_shared_skeleton`` winnowed anchors: a content word with ``skeleton_context``
      tokens of skeleton (function words, names, numbers, ``_`` for other words) either
      side. A spinner swaps words one for one, so a spun copy keeps most of its original's
      anchors, even when only part of a page is spun; independent reports on one story share
      a few. An anchor held by more than ``max_anchor_bucket`` bodies is stock phrasing and
      skipped (counted), which bounds the pairs counted by the corpus size. Anchor
      candidates are checked for near-duplicates too, whatever LSH missed.
    * ``min_quote_words``/``quote_window``: quotation candidates share a winnowed n-gram of
      words inside one quotation (a window of 1 keeps every n-gram, so a shared quotation
      of exactly ``min_quote_words`` words is never missed); an n-gram quoted by more than
      ``max_quote_bucket`` bodies is a stock phrase (or a statement everyone ran, whose
      pairs would grow with the square of its reach) and is skipped, counted.
    * ``max_bucket``: an LSH bucket or fingerprint held by more records than this is
      skipped as boilerplate (counted in :func:`find_relations`'s stats, never silent).

    Confirmation:

    * near-duplicate: shared passages of at least ``min_passage_words`` words cover at least
      ``near_min_coverage`` of the shorter body and ``near_min_coverage_longer`` of the longer;
      unless the gaps hold at least ``spun_min_swaps`` scattered one-word swaps, at least
      ``spun_min_swap_rate`` of the shared words: then the pair is judged as a paraphrase.
    * shares-quotation: at least ``min_quote_words`` words in a row, inside one quotation in
      both bodies, forming a whole quotation in one of them or at least
      ``min_partial_quote_words`` long; pairs already related as near-duplicates or
      paraphrases are not stated again.
    * paraphrase-of: at least ``min_aligned_sentences`` sentence pairs of at least
      ``min_sentence_words`` words align in order, half of the shorter sentence lying on a
      run of at least ``min_skeleton_run`` skeleton tokens the two share; in each,
      ``sentence_min_kept`` of the words match or are swapped one for one, at least
      ``sentence_min_same_content`` of the content words are the same, and at least
      ``min_sentence_substitutions`` words are swapped (0: a spinner leaves some sentences
      as they were); over all pairs, the share of swapped words lies in
      [``min_substitution_rate``, ``max_substitution_rate``] and at least
      ``min_substitutions`` words are swapped.
    * direction: dates first, else substitutions moving from common to rare words
      (document frequency at least ``direction_df_ratio`` times higher) in at least
      ``direction_min_share`` of at least ``direction_min_votes`` substitutions.
    """

    shingle_size: int = 5
    num_perm: int = 128
    lsh_threshold: float = 0.4
    seed: int = 1
    skeleton_context: int = 4
    skeleton_window: int = 4
    min_shared_skeleton: int = 3
    max_anchor_bucket: int = 8
    min_quote_words: int = 8
    min_partial_quote_words: int = 15
    max_quote_bucket: int = 50
    quote_window: int = 1
    max_bucket: int = 200
    min_passage_words: int = 8
    near_min_coverage: float = 0.6
    near_min_coverage_longer: float = 0.2
    spun_min_swaps: int = 8
    spun_min_swap_rate: float = 0.01
    min_sentence_words: int = 8
    min_skeleton_run: int = 6
    min_aligned_sentences: int = 3
    sentence_min_kept: float = 0.75
    sentence_min_same_content: float = 0.4
    min_sentence_substitutions: int = 0
    min_substitutions: int = 3
    min_substitution_rate: float = 0.02
    max_substitution_rate: float = 0.7
    direction_df_ratio: float = 2.0
    direction_min_votes: int = 3
    direction_min_share: float = 0.8

    def __post_init__(self) -> None:
        for name in _AT_LEAST_ONE:
            if getattr(self, name) < 1:
                raise ValueError(f"RelationSettings.{name} must be at least 1")

    def params_json(self) -> str:
        """The settings as canonical JSON (what a relation's ``params`` holds)."""
        return canonical_json(asdict(self))


# Counts of words, tokens, sentences or permutations: 0 has no meaning (a run of no skeleton
# tokens, a signature of no permutation) and the array code finding them assumes at least 1.
_AT_LEAST_ONE = (
    "shingle_size",
    "num_perm",
    "min_shared_skeleton",
    "min_quote_words",
    "quote_window",
    "skeleton_window",
    "min_passage_words",
    "min_sentence_words",
    "min_skeleton_run",
    "min_aligned_sentences",
)


@dataclass(frozen=True, slots=True)
class Relation:
    """A relation between two records, with the evidence a person can check.

    ``directed`` relations read "source is a <kind> of target" (target is the original);
    undirected ones have ``source_id < target_id``. ``params`` and ``evidence`` are canonical
    JSON; offsets in the evidence are code-point offsets ``[start, end)`` into the bodies.
    ``group_id`` names the near-duplicate family (exact and near duplicates) and is the
    smallest record id of the family, so it does not depend on input order; it is ``None``
    for the other kinds.
    """

    source_id: str
    target_id: str
    kind: str
    score: float
    directed: bool
    method: str
    params: str
    evidence: str
    group_id: str | None = None

    def sort_key(self) -> tuple[str, str, int]:
        return (self.source_id, self.target_id, KINDS.index(self.kind))


def canonical_json(value: object) -> str:
    """Sorted keys, no whitespace, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flags_for(relations: Iterable[Relation]) -> dict[str, tuple[str, ...]]:
    """Flags each record earns from its relations: ``spun-suspected`` for paraphrases.

    A directed paraphrase flags only its source (the rewrite); an undirected one flags both.
    """
    flagged: set[str] = set()
    for rel in relations:
        if rel.kind == "paraphrase-of":
            flagged.add(rel.source_id)
            if not rel.directed:
                flagged.add(rel.target_id)
    return {rid: (SPUN_FLAG,) for rid in sorted(flagged)}


def withheld_relation(relation: Relation) -> Relation:
    """The relation as a dehydrated release keeps it: its evidence's words withheld (see
    :func:`withheld_evidence`), everything else as it is."""
    if relation.kind not in QUOTING_KINDS:
        return relation
    return replace(relation, evidence=withheld_evidence(relation.evidence))


def withheld_evidence(evidence: str) -> str:
    """``evidence`` (canonical JSON) with every word taken from the bodies replaced by null:
    each shared quotation's ``quotation``, and the words of every ``substitutions`` pair. The
    offsets, counts, shares and direction stay, and ``evidence_sha256`` holds the SHA-256 of the
    full evidence (its UTF-8 bytes), so rehydration can restore it and prove it restored."""
    value = json.loads(evidence)
    kept = _without_words(value)
    if kept == value:
        return evidence
    kept[WITHHELD_KEY] = evidence_sha256(evidence)
    return canonical_json(kept)


def evidence_sha256(evidence: str) -> str:
    return hashlib.sha256(evidence.encode("utf-8")).hexdigest()


def is_withheld(evidence: str) -> bool:
    """Whether ``evidence`` is withheld: in canonical JSON the key can occur only as a key."""
    return f'"{WITHHELD_KEY}":' in evidence


def _without_words(value):
    if isinstance(value, list):
        return [_without_words(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key == "quotation":
            item = None
        elif key == "substitutions":
            item = [[None if isinstance(w, str) else w for w in pair] for pair in item]
        else:
            item = _without_words(item)
        out[key] = item
    return out
