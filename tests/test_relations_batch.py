"""The batched paths of relation finding give what the per-body paths give, on any text.

Signing tokenizes a chunk of bodies in numpy passes over their UTF-8 bytes
(:meth:`Vocabulary.batch`) and computes their keys in numpy passes over all of them
(:func:`chunk_keys`); confirmation matches the quotation n-grams of a batch's pairs together
(:func:`quote_runs_of_pairs`). The per-body functions are the reference, so the pack's
relations stay byte for byte the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.relations import RelationSettings, align
from archive.relations.find import body_keys, chunk_keys
from archive.relations.text import Vocabulary

# Characters where a byte-level reading of words could part from Python's ``\w``: letters and
# digits of other scripts and lengths of UTF-8, titlecase, letter-like numbers, combining
# marks, quotation marks and apostrophes of both kinds, paragraph breaks; and now and then a
# NUL.
_TRICKY = "aZ9_é日ǅⅫ½٣\u0301𝟘ß'’\"“”«»‘.!?…:,() \n"
_WORDS = ["the", "said", "Bridge", "Monday", "it's", "won’t", "42", "Ärger", "日本", "_x"]

_pieces = st.one_of(
    st.sampled_from(_WORDS),
    st.text(alphabet=_TRICKY, max_size=6),
    st.sampled_from([" ", "  ", "\n\n", ". ", ', "', '" ', " “", "” ", "'", "’"]),
)
_texts = st.one_of(
    st.lists(_pieces, max_size=80).map("".join),
    st.text(max_size=60),
    st.integers(1, 3000).map(lambda n: "w" * n),  # one very long word
)
_bodies = st.lists(_texts, max_size=12) | st.lists(_texts, max_size=3).map(
    lambda texts: [*texts, "a\x00b"]
)
# Small windows and n-grams, so that short bodies reach every edge of the segment arithmetic.
_SETTINGS = st.builds(
    RelationSettings,
    shingle_size=st.integers(1, 6),
    num_perm=st.sampled_from([8, 16, 128]),
    skeleton_context=st.integers(0, 3),
    skeleton_window=st.integers(1, 5),
    min_quote_words=st.integers(1, 5),
    quote_window=st.integers(1, 4),
)
_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same_arrays(x: np.ndarray, y: np.ndarray) -> bool:
    return x.dtype == y.dtype and np.array_equal(x, y)


@_FAST
@given(_bodies, _bodies, st.integers(0, 12))
def test_batch_tokens_are_the_views_of_each_body(first, second, cut):
    """Of an array, and of slices of arrays (their values at an offset into their data) in
    chunks."""
    one, many = Vocabulary(), Vocabulary()
    expected = [one.view(text) for text in first + second]
    cut = min(cut, len(second))
    chunks = [
        pa.array(["it'", *second[:cut], "'s"], pa.large_string()).slice(1, cut),
        pa.array(["a’", *second[cut:]], pa.large_string()).slice(1),
    ]
    whole = pa.array(["x", *first, "y"], pa.string()).slice(1, len(first))
    got = many.views(whole) + many.views(pa.chunked_array(chunks))
    assert len(got) == len(expected)
    for a, b in zip(expected, got, strict=True):
        for name in ("raw", "fold", "starts", "ends", "sep"):
            assert _same_arrays(getattr(a, name), getattr(b, name)), name
    # the same ids, given in the same order: the vocabularies are the same
    assert (one._raw, one._seps, one.words) == (many._raw, many._seps, many.words)


def test_batch_tokens_pinned_on_tricky_text():
    """Words and code-point offsets, counted here by hand."""
    text = "ǅungla’s 𝟘1 e\u0301 “Ⅻ½” _x y it's"
    tokens = Vocabulary().views(pa.array([text, "", "  "]))
    starts, ends = tokens[0].starts.tolist(), tokens[0].ends.tolist()
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == [
        "ǅungla’s",
        "𝟘1",
        "e",
        "Ⅻ½",
        "_x",
        "y",
        "it's",
    ]
    assert starts == [0, 9, 12, 16, 20, 23, 25]
    assert [len(t.raw) for t in tokens[1:]] == [0, 0]


def test_an_apostrophe_joins_words_of_one_text_only():
    """Texts side by side in one batch: an apostrophe at a text's edge joins nothing."""
    texts = ["it'", "s", "x’", "y", "'", "a'b’c", "’d", "e’", "f'’g", ""]
    got = Vocabulary().views(pa.array(texts, pa.string()))
    words = [
        [text[s:e] for s, e in zip(t.starts, t.ends, strict=True)]
        for text, t in zip(texts, got, strict=True)
    ]
    assert words == [["it"], ["s"], ["x"], ["y"], [], ["a'b’c"], ["d"], ["e"], ["f", "g"], []]


@_FAST
@given(_bodies, _SETTINGS)
def test_chunk_keys_are_the_keys_of_each_body(texts, relation_settings):
    one, many = Vocabulary(), Vocabulary()
    expected = [body_keys(align.doc_of(text, one), relation_settings) for text in texts]
    found = chunk_keys(texts, many.batch(pa.array(texts, pa.string())), many, relation_settings)
    for k, want in enumerate(expected):
        got = found.body(k)
        for name in ("bands", "anchors", "quotes", "words"):
            assert _same_arrays(getattr(want, name), getattr(got, name)), name
        assert want.quote_view.words == got.quote_view.words
        for name in ("starts", "ends", "quote", "grams"):
            assert _same_arrays(getattr(want.quote_view, name), getattr(got.quote_view, name))


_QUOTES = st.lists(
    st.lists(st.sampled_from(["we", "will", "rebuild", "the", "bridge", "soon"]), max_size=12),
    max_size=4,
).map(lambda quotes: " ".join(f"“{' '.join(q)}” he said." for q in quotes))


@_FAST
@given(st.lists(_QUOTES, min_size=1, max_size=6), st.data(), st.integers(1, 4), st.integers(1, 9))
def test_quote_runs_of_pairs_are_each_pairs_runs(texts, data, n, partial):
    vocab = Vocabulary()
    views = {k: align.QuoteView.of(align.doc_of(text, vocab), n) for k, text in enumerate(texts)}
    index = st.integers(0, len(texts) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=10))
    left = np.array([u for u, _ in pairs], dtype=np.int64)
    right = np.array([v for _, v in pairs], dtype=np.int64)
    relation_settings = RelationSettings(min_quote_words=n, min_partial_quote_words=partial)
    runs = align.quote_runs_of_pairs(views, left, right, relation_settings)
    for (u, v), found in zip(pairs, runs, strict=True):
        a, b = views[u], views[v]
        # the runs each pair finds alone, less those shared_quotations passes over
        assert found == [
            (i, j, size, a.starts[i], a.ends[i + size - 1], b.starts[j], b.ends[j + size - 1])
            for i, j, size in align.quote_runs(a, b, n)
            if size >= partial or size in (a.quote_sizes[i], b.quote_sizes[j])
        ]
        assert align.shared_quotations(a, b, relation_settings, found) == (
            align.shared_quotations(a, b, relation_settings)
        )


def test_pairs_whose_grams_match_many_times_go_a_few_at_a_time(monkeypatch):
    """Repeated words match pairwise: past ``_PAIR_MATCHES`` matches the pairs are split, and
    each pair's runs (and whether it may share passages) are what it finds alone."""
    texts = [
        "He said “" + " ".join(["no"] * (20 + k)) + f"” and left the pier {k}." for k in range(6)
    ]
    vocab = Vocabulary()
    relation_settings = RelationSettings(min_quote_words=3, min_partial_quote_words=4)
    views = {k: align.QuoteView.of(align.doc_of(t, vocab), 3) for k, t in enumerate(texts)}
    docs = {k: align.doc_of(t, vocab) for k, t in enumerate(texts)}
    hashes = {k: doc.hashes for k, doc in docs.items()}
    left = np.array([0, 0, 1, 2, 3, 4], dtype=np.int64)
    right = np.array([1, 2, 3, 4, 5, 5], dtype=np.int64)
    whole = align.quote_runs_of_pairs(views, left, right, relation_settings)
    may = align.may_share_passages(hashes, left, right, relation_settings)
    monkeypatch.setattr(align, "_PAIR_MATCHES", 3)
    parts = list(align.iter_quote_runs_of_pairs(views, left, right, relation_settings))
    assert len(parts) == len(left)  # every pair alone
    assert [runs for part in parts for runs in part] == whole
    assert np.array_equal(align.may_share_passages(hashes, left, right, relation_settings), may)
    for (u, v), found in zip(zip(left.tolist(), right.tolist(), strict=True), whole, strict=True):
        assert align.shared_quotations(views[u], views[v], relation_settings, found) == (
            align.shared_quotations(views[u], views[v], relation_settings)
        )
        assert found  # the repeated quotation is shared


def test_shared_quotation_pinned():
    """A whole eight-word quotation shared by two bodies, offsets counted by hand."""
    a = "He said “we will rebuild the bridge by next spring” on Monday."
    b = "“We will rebuild the bridge by next spring,” the mayor said."
    vocab = Vocabulary()
    views = {k: align.QuoteView.of(align.doc_of(t, vocab), 8) for k, t in enumerate((a, b))}
    runs = align.quote_runs_of_pairs(views, np.array([0]), np.array([1]), RelationSettings())
    assert runs == [[(0, 0, 8, 9, 50, 1, 42)]]
    found = align.shared_quotations(views[0], views[1], RelationSettings(), runs[0])
    assert found == [
        {
            "quotation": "we will rebuild the bridge by next spring",
            "source": [9, 50],
            "target": [1, 42],
            "words": 8,
        }
    ]


def test_a_pack_in_small_slices_states_the_same_relations(tmp_path):
    """Signing and confirmation in slices of a few bodies (and pairs), over several shards,
    write the relations file byte for byte as the default sizes do: no slice boundary, no
    batch of the signature files (a shard's in one batch, or in several), and no shard read
    after another in one batch, changes a key, a number or a run."""
    from conftest import CREATED
    from relations.corpus import generate  # tests/ is on sys.path

    from archive import PackSettings, pack
    from archive.release import relation_stages as relation_tasks

    root = tmp_path / "captures"
    root.mkdir()
    for record in generate(120, seed=7, syndicated=0.1, spun=0.05, exact=0.03).records:
        (root / f"{record.record_id}.txt").write_text(record.text + "\n", encoding="utf-8")
    settings = PackSettings("planted", "1.0.0", CREATED, shards=3)
    whole = pack([root], tmp_path / "whole", settings).path
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (
            ("_TOKENIZE_BYTES", 3000),
            ("_SIGN_CHUNK", 7),
            ("_SIGNED_TEXT_BYTES", 50_000),  # batches of 14 bodies: two chunks
            ("BATCH_PAIRS", 9),
        ):
            patch.setattr(relation_tasks, name, value)
        patch.setattr(align, "_PAIR_WORDS", 300)
        sliced = pack([root], tmp_path / "sliced", settings).path
    path = Path("relations") / "relations.parquet"
    assert (sliced / path).read_bytes() == (whole / path).read_bytes()
    assert {"near-duplicate", "shares-quotation"} <= set(
        pq.read_table(whole / path)["kind"].to_pylist()
    )


_COPIES = st.lists(
    st.lists(
        st.sampled_from(["the", "bridge", "will", "reopen", "on", "Monday", "."]), max_size=40
    ),
    min_size=1,
    max_size=6,
)


@_FAST
@given(_COPIES, st.data(), st.integers(1, 6), st.floats(0, 1), st.integers(1, 4))
def test_may_share_passages_is_shared_passages_first_checks(bodies, data, least, cover, chunk):
    """Where the batch says no, shared_passages finds nothing; where it says yes, the runs
    diagonal_runs finds cover enough of the shorter body (repeats above the cap left out)."""
    _check_may_share(bodies, data, least, cover, chunk)


# Bodies of passages copied among them between words of their own: most of their grams are
# held once in a chunk, and left out of the screen between the runs of copied ones.
_PASSAGES = st.lists(
    st.lists(st.sampled_from([f"p{k}" for k in range(12)]), min_size=1, max_size=12),
    min_size=1,
    max_size=3,
)
_OWN_WORDS = st.lists(st.sampled_from([f"w{k}" for k in range(400)]), max_size=6)


@_FAST
@given(_PASSAGES, st.data(), st.integers(1, 6), st.integers(-1, 1), st.integers(1, 4))
def test_may_share_passages_leaves_out_grams_held_once(passages, data, least, step, chunk):
    """The same checks on bodies whose copied passages sit between words held once, the
    coverage asked for at a word of what the first pair's runs cover: a run counted once too
    often or too few flips the answer."""
    layout = st.lists(st.one_of(st.none(), st.integers(0, len(passages) - 1)), max_size=6)
    layouts = data.draw(st.lists(layout, min_size=1, max_size=5))
    # the first two bodies copy the same passages in the same order, between words of their own
    bodies = [
        sum((passages[k] if k is not None else data.draw(_OWN_WORDS) for k in pieces), [])
        for pieces in [layouts[0], *layouts]
    ]
    a, b = (np.array(align.doc_of(" ".join(bodies[k]), Vocabulary()).hashes) for k in (0, 1))
    covered = sum(size for _, _, size in align.diagonal_runs(a, b, least, align._MAX_REPEATS))
    cover = max(0, covered + step) / max(1, min(len(a), len(b)))
    _check_may_share(bodies, data, least, cover, chunk, first=(0, 1))


def _check_may_share(bodies, data, least, cover, chunk, first=None) -> None:
    vocab = Vocabulary()
    docs = {k: align.doc_of(" ".join(words), vocab) for k, words in enumerate(bodies)}
    index = st.integers(0, len(bodies) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index).filter(lambda p: p[0] != p[1]), max_size=8))
    pairs = [first, *pairs] if first else pairs
    cap = data.draw(st.sampled_from([2, align._MAX_REPEATS]))
    relation_settings = RelationSettings(min_passage_words=least, near_min_coverage=cover)
    hashes = {k: doc.hashes for k, doc in docs.items()}
    left = np.array([u for u, _ in pairs], dtype=np.int64)
    right = np.array([v for _, v in pairs], dtype=np.int64)
    may = align.may_share_passages(hashes, left, right, relation_settings, cap, chunk)
    for (u, v), found in zip(pairs, may.tolist(), strict=True):
        a, b = docs[u], docs[v]
        runs = align.diagonal_runs(a.hashes, b.hashes, least, cap)
        covered = sum(size for _, _, size in runs)
        assert found == (len(a) > 0 and len(b) > 0 and not covered < cover * min(len(a), len(b)))
        if not found and cap == align._MAX_REPEATS:
            assert align.shared_passages(a, b, relation_settings) is None


@_FAST
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=12),
    st.lists(st.integers(0, 11), max_size=60),
    st.sampled_from([None, 1, 2, 5]),
)
def test_repeated_positions_keep_every_value_held_twice(pool, picks, bits):
    """Every position of a value held more than once is kept (so no gram that could match is
    left out of the screen), in ascending order, whatever the count cells share."""
    values = np.array([pool[k] for k in picks if k < len(pool)], dtype=np.uint64)
    kept = align.repeated_positions(values, bits)
    held = {}
    for value in values.tolist():
        held[value] = held.get(value, 0) + 1
    twice = [k for k, value in enumerate(values.tolist()) if held[value] > 1]
    assert set(twice) <= set(kept.tolist())
    assert kept.tolist() == sorted(set(kept.tolist()))
    assert all(0 <= k < len(values) for k in kept.tolist())


def test_repeated_positions_leave_out_most_values_held_once():
    """What the screen saves: of 100,000 distinct hashes and 1,000 held twice, the values
    kept are the repeated ones and a few dozen others, not all."""
    rng = np.random.default_rng(5)
    values = rng.integers(0, 2**63, 100_000, dtype=np.uint64)
    values[-1000:] = values[:1000]
    kept = align.repeated_positions(values)
    assert set(range(1000)) | set(range(99_000, 100_000)) <= set(kept.tolist())
    assert len(kept) < 2_000 + 200


def test_may_share_passages_count_two_runs_split_by_words_held_once():
    """Two copied passages split by a word of each body's own: two runs on one diagonal, each
    of its grams plus ``least - 1`` words (20 of 21), not one run of them all (18): the grams
    held once between them are left out of the screen, not out of the positions."""
    first = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    second = "lambda mu nu xi omicron pi rho sigma tau upsilon"
    vocab = Vocabulary()
    docs = [align.doc_of(f"{first} {own} {second}", vocab) for own in ("north", "south")]
    hashes = {k: doc.hashes for k, doc in enumerate(docs)}
    assert [len(doc) for doc in docs] == [21, 21]
    one, two = np.array([0]), np.array([1])
    for cover, found in ((19 / 21, True), (20 / 21, True), (20.5 / 21, False)):
        relation_settings = RelationSettings(min_passage_words=3, near_min_coverage=cover)
        assert align.may_share_passages(hashes, one, two, relation_settings).tolist() == [found]


@pytest.mark.parametrize("name", ["num_perm", "min_skeleton_run", "min_aligned_sentences"])
def test_settings_refuse_a_count_of_zero(name):
    # the array code behind each assumes at least one permutation, token or sentence: with 0,
    # signing failed on an index and alignment took every lone sentence pair for a paraphrase
    with pytest.raises(ValueError, match=f"{name} must be at least 1"):
        RelationSettings(**{name: 0})
