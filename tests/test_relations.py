"""Relation finding on a generated corpus with planted copies (tests/relations/corpus.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from archive.relations import (
    RELATIONS_ARROW_SCHEMA,
    RelationInput,
    RelationSettings,
    find_relations,
    flags_for,
    relation_rows,
)
from archive.relations.text import tokens_of
from tests.relations.corpus import generate
from tests.relations.scoring import score

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "schemas" / "relations.schema.json").read_text()
)


@pytest.fixture(scope="module")
def corpus():
    return generate(360, seed=11, syndicated=0.06, spun=0.04, exact=0.02)


@pytest.fixture(scope="module")
def relations(corpus):
    return list(find_relations(corpus.records, RelationSettings()))


def test_precision_and_recall_on_planted_copies(corpus, relations):
    scores = score(corpus, relations)
    for kind in ("near-duplicate", "paraphrase-of"):
        assert scores[kind].found > 5, kind
        assert scores[kind].precision >= 0.99, scores[kind]
        assert scores[kind].recall >= 0.8, scores[kind]
    assert scores["exact-duplicate"].precision == scores["exact-duplicate"].recall == 1.0
    assert scores["shares-quotation"].recall >= 0.9
    para = scores["paraphrase-of"]
    assert para.directed_right == para.directed > 0


def test_output_ignores_input_order(corpus, relations):
    shuffled = list(corpus.records)
    random.Random(3).shuffle(shuffled)
    assert list(find_relations(shuffled, RelationSettings())) == relations
    keys = [(r.source_id, r.target_id, r.kind) for r in relations]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], _KIND_ORDER.index(k[2])))


_KIND_ORDER = ("exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of")


def test_group_id_is_smallest_record_of_the_family(corpus, relations):
    families: dict[str, set[str]] = {}
    for rel in relations:
        if rel.kind in ("exact-duplicate", "near-duplicate"):
            families.setdefault(rel.group_id, set()).update((rel.source_id, rel.target_id))
        else:
            assert rel.group_id is None
    assert families
    for group_id, members in families.items():
        assert group_id == min(members)
        roots = {corpus.truth[m].root for m in members}
        assert len(roots) == 1


def test_evidence_offsets_point_at_the_stated_text(corpus, relations):
    texts = {r.record_id: r.text for r in corpus.records}
    seen = set()
    for rel in relations:
        ev = json.loads(rel.evidence)
        src, tgt = texts[rel.source_id], texts[rel.target_id]
        seen.add(rel.kind)
        for item in ev.get("passages", []) + ev.get("quotations", []):
            a, b = _words(src, item["source"]), _words(tgt, item["target"])
            assert a == b and len(a) == item["words"]
            if "quotation" in item:
                assert " ".join(a) == item["quotation"]
        for pair in ev.get("sentence_pairs", []):
            a, b = _words(src, pair["source"]), _words(tgt, pair["target"])
            for x, y in pair["substitutions"]:
                assert x in a and y in b and x not in b
    assert seen == set(_KIND_ORDER)


def _words(text: str, span: list[int]) -> list[str]:
    return [t.norm for t in tokens_of(text[span[0] : span[1]])]


def test_rows_match_the_arrow_and_json_schemas(relations):
    table = relation_rows(relations)
    assert table.schema.equals(RELATIONS_ARROW_SCHEMA, check_metadata=True)
    assert table.num_rows == len(relations)
    validator = Draft202012Validator(SCHEMA)
    evidence_def = {"near-duplicate": "near_duplicate_evidence",
                    "shares-quotation": "shares_quotation_evidence",
                    "paraphrase-of": "paraphrase_evidence"}
    for row in table.to_pylist():
        validator.validate(row)
        if row["kind"] in evidence_def:
            sub = {**SCHEMA["$defs"][evidence_def[row["kind"]]], "$defs": SCHEMA["$defs"]}
            Draft202012Validator(sub).validate(json.loads(row["evidence"]))
        assert json.loads(row["params"]) == json.loads(RelationSettings().params_json())


def test_spun_records_are_flagged(corpus, relations):
    flags = flags_for(relations)
    spun = {rid for rid, p in corpus.truth.items() if p.role == "spun"}
    assert len(spun & set(flags)) >= 0.8 * len(spun) > 0
    assert all(corpus.truth[rid].role == "spun" for rid in flags)


def test_undated_spin_is_directed_by_word_frequency_or_not_at_all(corpus, relations):
    for rel in relations:
        if rel.kind == "paraphrase-of" and rel.directed:
            basis = json.loads(rel.evidence)["direction_basis"]
            assert basis in ("published_at", "retrieved_at", "word-frequency")
            assert corpus.truth[rel.source_id].role == "spun"


def test_independent_reports_are_not_related():
    one = "The ferry council met in Oskeby on Monday. It agreed nothing about the pier repairs."
    two = "Harbour workers in Varnholt walked out on Friday over a dispute about night shifts."
    records = [RelationInput(str(i), t, str(i)) for i, t in enumerate((one, two))]
    assert list(find_relations(records)) == []


@settings(derandomize=True, database=None, max_examples=60)
@given(st.text(alphabet=st.sampled_from("ab’' “”‘.\n"), max_size=80))
def test_token_offsets_reproduce_the_words(text):
    for tok in tokens_of(text):
        assert tok.norm == text[tok.start : tok.end].lower().replace("’", "'")
