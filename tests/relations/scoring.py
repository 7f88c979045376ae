"""Precision and recall of found relations against the planted ground truth.

Pairs are counted between distinct bodies (exact duplicates collapse onto their smallest
record id), since relation finding states near duplicates and paraphrases between those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from archive.relations import Relation

from .corpus import Corpus

KINDS = ("exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of")


@dataclass(frozen=True)
class KindScore:
    kind: str
    found: int
    correct: int
    expected: int
    recalled: int
    directed: int
    directed_right: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.expected if self.expected else 1.0


def score(corpus: Corpus, relations: Iterable[Relation]) -> dict[str, KindScore]:
    """Per kind: how many found relations are right, and how many planted ones were found."""
    truth = corpus.truth
    rep_of = _reps(corpus)
    found: dict[str, list[Relation]] = defaultdict(list)
    for rel in relations:
        found[rel.kind].append(rel)
    expected = _expected(corpus, rep_of)
    out = {}
    for kind in KINDS:
        rels = found[kind]
        pairs = {frozenset((r.source_id, r.target_id)) for r in rels}
        right = [r for r in rels if _correct(kind, r, truth, corpus)]
        directed = [r for r in rels if r.directed and _involves_root(r, truth, rep_of)]
        out[kind] = KindScore(
            kind,
            len(rels),
            len(right),
            len(expected[kind]),
            len(expected[kind] & pairs),
            len(directed),
            sum(1 for r in directed if rep_of[truth[r.source_id].root] != r.source_id),
        )
    return out


def _reps(corpus: Corpus) -> dict[str, str]:
    by_sha: dict[str, list[str]] = defaultdict(list)
    for planted in corpus.truth.values():
        by_sha[planted.text_sha256].append(planted.record_id)
    return {rid: min(ids) for ids in by_sha.values() for rid in ids}


def _correct(kind: str, rel: Relation, truth, corpus: Corpus) -> bool:
    a, b = truth[rel.source_id], truth[rel.target_id]
    same_line = a.root == b.root
    if kind == "exact-duplicate":
        return a.text_sha256 == b.text_sha256
    if kind == "near-duplicate":
        return same_line and "spun" not in (a.role, b.role)
    if kind == "paraphrase-of":
        return same_line and "spun" in (a.role, b.role)
    return same_line or bool(set(a.statements) & set(b.statements))


def _involves_root(rel: Relation, truth, rep_of) -> bool:
    root = rep_of[truth[rel.source_id].root]
    return root in (rel.source_id, rel.target_id)


def _expected(corpus: Corpus, rep_of: dict[str, str]) -> dict[str, set[frozenset[str]]]:
    truth = corpus.truth
    reps = sorted(set(rep_of.values()))
    lines: dict[str, list[str]] = defaultdict(list)
    by_statement: dict[int, list[str]] = defaultdict(list)
    for rid in reps:
        lines[truth[rid].root].append(rid)
        for sid in truth[rid].statements if truth[rid].role != "spun" else ():
            by_statement[sid].append(rid)
    out: dict[str, set[frozenset[str]]] = {k: set() for k in KINDS}
    for rid, rep in rep_of.items():
        if rid != rep:
            out["exact-duplicate"].add(frozenset((rid, rep)))
    for members in lines.values():
        plain = [m for m in members if truth[m].role != "spun"]
        out["near-duplicate"].update(frozenset(p) for p in combinations(plain, 2))
    for rid in reps:
        if truth[rid].role == "spun":
            out["paraphrase-of"].add(frozenset((rid, rep_of[truth[rid].root])))
    for members in by_statement.values():
        out["shares-quotation"].update(
            frozenset((x, y)) for x, y in combinations(members, 2) if truth[x].root != truth[y].root
        )
    return out
