"""Relation finding on a generated corpus with planted copies (tests/relations/corpus.py)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from relations.corpus import generate  # tests/ is on sys.path, as for warcdata
from relations.scoring import score

from archive.relations import (
    RELATIONS_ARROW_SCHEMA,
    RelationInput,
    RelationSettings,
    align,
    find_relations,
    flags_for,
    relation_rows,
)
from archive.relations.signatures import gram_hashes, minhash, winnow
from archive.relations.text import (
    Vocabulary,
    quote_ids,
    quoted_ranges,
    sentences_of,
    skeleton_of,
    tokens_of,
    word_hash,
)

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
    evidence_def = {
        "near-duplicate": "near_duplicate_evidence",
        "shares-quotation": "shares_quotation_evidence",
        "paraphrase-of": "paraphrase_evidence",
    }
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


def test_candidate_search_compares_few_pairs(corpus):
    """Candidates are a small share of all pairs (the corpus has 8 reports per story)."""
    from archive.relations import RelationFinder

    finder = RelationFinder(RelationSettings())
    for record in corpus.records:
        finder.add(record)
    list(finder.relations())
    n = finder.stats["records"]
    for kind in ("near-duplicate", "paraphrase-of", "paraphrase-of:anchors"):
        assert finder.stats[f"candidates:{kind}"] < 0.01 * n * (n - 1) / 2, finder.stats


def test_quotations_are_not_restated_for_related_records(relations):
    related = {
        frozenset((r.source_id, r.target_id))
        for r in relations
        if r.kind in ("near-duplicate", "paraphrase-of")
    }
    quoted = {
        frozenset((r.source_id, r.target_id)) for r in relations if r.kind == "shares-quotation"
    }
    assert related and quoted and not related & quoted


STATEMENT = "the harbour board will close the eastern pier to every ferry from Tuesday"
_ONE = (
    "Ferries to Oskeby stop next week, leaving island families with one slow bus. "
    "Shopkeepers fear losing summer visitors."
)
_TWO = (
    "Night crossings end in Varnholt after years of losses, officials confirmed, "
    "while fishermen asked for compensation."
)


def _report(rid: str, opening: str, quote: str) -> RelationInput:
    """A short report around one quotation; the two openings used differ in every word, so
    the reports are related by the quotation alone."""
    text = f"{opening}\n\n“{quote},” Petra Quayle said."
    return RelationInput(rid, text, rid)


def _quotes_between(*records: RelationInput) -> list[dict]:
    rels = [r for r in find_relations(records) if r.kind == "shares-quotation"]
    return [q for r in rels for q in json.loads(r.evidence)["quotations"]]


def test_a_statement_quoted_whole_by_two_reports_is_shared():
    one = _report("a", _ONE, STATEMENT.capitalize())
    two = _report("b", _TWO, STATEMENT.capitalize())
    (quote,) = _quotes_between(one, two)
    assert quote["quotation"] == STATEMENT.lower() and quote["words"] == 13


def test_a_partial_quote_of_a_longer_statement_is_shared():
    longer = STATEMENT.capitalize() + " and it will stay closed until the summer"
    part = "The eastern pier to every ferry from Tuesday and it will stay closed"
    (quote,) = _quotes_between(_report("a", _ONE, longer), _report("b", _TWO, part))
    assert quote["quotation"] == part.lower()


def test_stock_phrases_inside_two_different_statements_are_not_shared():
    one = "We told the council that the harbour board will close the eastern pier soon"
    two = "Nobody expected that the harbour board will close the eastern pier this year"
    assert _quotes_between(_report("a", _ONE, one), _report("b", _TWO, two)) == []


# Text with the marks, capitals and breaks the views must agree on.
_TEXTS = st.lists(
    st.sampled_from([*"ab Ab.:!?\n’'“”‘«»„\"(—", "The", "9", "\n\n"]), max_size=60
).map("".join)


@settings(derandomize=True, database=None, max_examples=150)
@given(_TEXTS)
def test_array_views_agree_with_the_token_objects(text):
    vocab = Vocabulary()
    tokens, view = tokens_of(text), vocab.view(text)
    assert [vocab.words[i] for i in view.fold.tolist()] == [t.norm for t in tokens]
    assert view.starts.tolist() == [t.start for t in tokens]
    assert view.ends.tolist() == [t.end for t in tokens]
    skeleton, content = vocab.skeleton_hashes(view)
    assert skeleton.tolist() == [word_hash(w) for w in skeleton_of(text, tokens)]
    assert content.tolist() == [w == "_" for w in skeleton_of(text, tokens)]
    assert vocab.sentences(view) == sentences_of(text, tokens)
    inside = {
        i
        for i, t in enumerate(tokens)
        if any(s <= t.start and t.end <= e for s, e in _quoted_by_scan(text))
    }
    assert {i for i, q in enumerate(quote_ids(text, view).tolist()) if q >= 0} == inside


@settings(derandomize=True, database=None, max_examples=300)
@given(_TEXTS)
def test_quoted_ranges_match_a_character_scan(text):
    assert quoted_ranges(text) == _quoted_by_scan(text)


_PAIRS = {"“": "”", "‘": "’", "«": "»", "„": "“", '"': '"', "'": "'"}


def _quoted_by_scan(text: str) -> list[tuple[int, int]]:
    """The reference: every character looked at, a quotation left open ends its paragraph."""
    out, offset = [], 0
    for para in text.split("\n\n"):
        i, n = 0, len(para)
        while i < n:
            before = para[i - 1] if i else " "
            after = para[i + 1] if i + 1 < n else " "
            if para[i] in _PAIRS and not before.isalnum() and not after.isspace():
                j = i + 1
                while j < n and not (
                    para[j] == _PAIRS[para[i]] and not (para[j + 1] if j + 1 < n else " ").isalnum()
                ):
                    j += 1
                if j - i > 1:
                    out.append((offset + i + 1, offset + j))
                i = j + 1
            else:
                i += 1
        offset += len(para) + 2
    return out


@settings(derandomize=True, database=None, max_examples=200)
@given(
    st.lists(st.sampled_from("abcd"), max_size=40),
    st.lists(st.sampled_from("abcd"), max_size=40),
    st.integers(2, 5),
)
def test_matching_blocks_are_difflibs_long_blocks(a, b, least):
    from difflib import SequenceMatcher

    expected = [
        tuple(m)
        for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
        if m.size >= least
    ]
    hashes = [np.array([word_hash(w) for w in x], dtype=np.uint64) for x in (a, b)]
    assert align.matching_blocks(*hashes, least, max_repeats=len(a) + 1) == expected


@settings(derandomize=True, database=None, max_examples=100)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=30), st.integers(1, 6))
def test_gram_hashes_depend_only_on_the_words_in_the_window(words, n):
    hashes = np.array([word_hash(str(w)) for w in words], dtype=np.uint64)
    grams = gram_hashes(hashes, n).tolist()
    assert len(grams) == max(0, len(words) - n + 1)
    for i in range(len(grams)):
        for j in range(len(grams)):
            assert (grams[i] == grams[j]) == (words[i : i + n] == words[j : j + n])


@pytest.mark.parametrize("size", [40, 400])
@pytest.mark.parametrize("jaccard", [0.2, 0.5, 0.8])
def test_one_permutation_minhash_estimates_jaccard(size, jaccard):
    rng = np.random.default_rng(size)
    estimates = []
    for _ in range(30):
        shared = round(2 * size * jaccard / (1 + jaccard))
        pool = rng.integers(0, 2**63, size=2 * size, dtype=np.uint64)
        one, two = pool[:size], np.concatenate([pool[:shared], pool[size : 2 * size - shared]])
        estimates.append(float(np.mean(minhash(one, 128, 1) == minhash(two, 128, 1))))
    assert abs(np.mean(estimates) - jaccard) < 0.03
    assert np.std(estimates) < 0.1


def test_shared_key_pairs_count_distinct_shared_keys():
    from archive.relations.candidates import shared_key_pairs

    keys = np.array([7, 7, 7, 9, 9, 5, 5, 5, 3], dtype=np.uint32)
    docs = np.array([0, 1, 2, 0, 1, 3, 3, 4, 4], dtype=np.int32)  # doc 3 holds key 5 twice
    found = shared_key_pairs(keys, docs, max_bucket=3, min_shared=1)
    ends = zip(found.left.tolist(), found.right.tolist(), strict=True)
    pairs = dict(zip(ends, found.shared.tolist(), strict=True))
    assert pairs.keys() == {(0, 1), (0, 2), (1, 2), (3, 4)}  # never (3, 3)
    assert pairs[(0, 1)] == 2 and pairs[(0, 2)] == pairs[(1, 2)] == 1
    assert shared_key_pairs(keys, docs, max_bucket=2, min_shared=1).skipped_keys == 2
    strict = shared_key_pairs(keys[:5], docs[:5], max_bucket=3, min_shared=2)
    assert (strict.left.tolist(), strict.right.tolist()) == ([0], [1])


@settings(derandomize=True, database=None, max_examples=60)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 15)), max_size=80),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from([1, 2, 3, 7, 1 << 21]),
)
def test_shared_key_pairs_match_a_count_of_every_pair(entries, max_bucket, min_shared, chunk):
    """Whatever the slice size, the pairs are those a count over every pair of docs gives."""
    from unittest import mock

    from archive.relations import candidates

    entries = sorted(set(entries))
    holders: dict[int, set[int]] = {}
    for key, doc in entries:
        holders.setdefault(key, set()).add(doc)
    expected: dict[tuple[int, int], int] = {}
    for docs in holders.values():
        if len(docs) <= max_bucket:
            for a in docs:
                for b in docs:
                    if a < b:
                        expected[(a, b)] = expected.get((a, b), 0) + 1
    expected = {pair: n for pair, n in expected.items() if n >= min_shared}
    keys = np.array([k for k, _ in entries], dtype=np.uint32)
    docs = np.array([d for _, d in entries], dtype=np.int32)
    with mock.patch.object(candidates, "_CHUNK_PAIRS", chunk):
        found = candidates.shared_key_pairs(keys, docs, max_bucket, min_shared)
    pairs = zip(found.left.tolist(), found.right.tolist(), strict=True)
    assert dict(zip(pairs, found.shared.tolist(), strict=True)) == expected
    assert found.skipped_keys == sum(len(d) > max_bucket for d in holders.values())


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A pack of a generated corpus with planted copies, in 5 shards: with 2 jobs as it is
    (its keys paired in one range); with 1 job (all in this process), in 3 ranges, read and
    merged a few rows at a time, candidates confirmed 50 at a time."""
    from conftest import CREATED

    from archive import PackSettings, pack
    from archive.release import relation_stages as relation_tasks

    root = tmp_path_factory.mktemp("planted") / "captures"
    root.mkdir()
    for record in generate(240, seed=5, syndicated=0.08, spun=0.05, exact=0.03).records:
        (root / f"{record.record_id}.txt").write_text(record.text + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("dist")
    settings = PackSettings("planted", "1.0.0", CREATED, shards=5)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("PAIRING_SHARDS", 2),
            ("ENTRY_BATCH", 5),
            ("RUN_BATCH", 7),
            ("BATCH_PAIRS", 50),
        ):
            patch.setattr(relation_tasks, name, value)
        one = pack([root], out / "one", settings)
    two = pack([root], out / "two", replace(settings, jobs=2))
    return one.path, two.path


def test_a_pack_states_the_relations_find_relations_finds(packed):
    """The pack runs relation finding as tasks over shards; the result is exactly what the
    in-process finder gives over the same records (and the same with 2 jobs)."""
    import pyarrow.parquet as pq

    one, two = packed
    records = pq.read_table(one / "data").to_pylist()
    inputs = [
        RelationInput(
            r["record_id"],
            r["text"],
            r["text_sha256"],
            r["published_at"],
            r["capture"]["retrieved_at"],
        )
        for r in records
        if r["text"]
    ]
    expected = relation_rows(find_relations(reversed(inputs)))
    stated = pq.read_table(one / "relations" / "relations.parquet")
    assert {"exact-duplicate", "near-duplicate", "paraphrase-of", "shares-quotation"} <= set(
        stated["kind"].to_pylist()
    )
    assert stated.equals(expected)
    assert (two / "relations" / "relations.parquet").read_bytes() == (
        one / "relations" / "relations.parquet"
    ).read_bytes()
    spun = {r["record_id"] for r in records if "spun-suspected" in r["flags"]}
    assert spun == set(flags_for(find_relations(inputs)))


def test_the_manifest_counts_what_the_finder_counts(packed):
    import pyarrow.parquet as pq

    from archive.relations import RelationFinder

    one, two = packed
    summary = json.loads((one / "manifest.json").read_text())["relations"]
    assert json.loads((two / "manifest.json").read_text())["relations"] == summary
    finder = RelationFinder(RelationSettings())
    for r in pq.read_table(one / "data").to_pylist():
        if r["text"]:
            finder.add(
                RelationInput(
                    r["record_id"],
                    r["text"],
                    r["text_sha256"],
                    r["published_at"],
                    r["capture"]["retrieved_at"],
                )
            )
    kinds = {}
    for rel in finder.relations():
        kinds[rel.kind] = kinds.get(rel.kind, 0) + 1
    assert summary["stats"] == dict(sorted(finder.stats.items()))
    assert summary["counts"] == dict(sorted(kinds.items()))


def test_sorted_runs_merge_in_levels_and_lose_nothing(tmp_path, monkeypatch):
    """Thousands of runs are merged a bounded number at a time (the open-file limit)."""
    from archive.relations import Relation
    from archive.release import relation_stages as relation_tasks
    from archive.release.workdir import TaskDir

    monkeypatch.setattr(relation_tasks, "_FAN_IN", 3)
    monkeypatch.setattr(relation_tasks, "_RUN_ROWS", 4)
    rng = random.Random(3)
    made = [
        Relation(
            f"{rng.randrange(10**6):06d}",
            f"{k:06d}",
            "shares-quotation",
            0.5,
            False,
            "m",
            "{}",
            "{}",
        )
        for k in range(50)
    ]
    work = TaskDir(tmp_path)
    runs = relation_tasks._SortedRuns(work)
    for relation in made:
        runs.add(relation)
    merged = [r for chunk in runs.merged(7) for r in chunk]
    assert merged == sorted(made, key=Relation.sort_key)
    assert len(list(work.relation_spill(0).parent.glob("*.arrow"))) <= 3


@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=60),
    st.integers(1, 9),
)
def test_winnow_keeps_the_least_hash_of_every_window(values, window):
    hashes = np.array(values, dtype=np.uint64)
    expected = sorted(
        {min(values[k : k + window]) for k in range(max(1, len(values) - window + 1))}
        if values
        else set()
    )
    assert winnow(hashes, window).tolist() == expected
