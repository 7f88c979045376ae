"""Corpus-learned furniture: one streaming pass, a small summary, order-independent."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import (
    FurnitureCounter,
    LearnedFurniture,
    apply_learned,
    extract_text_capture,
    revert_learned,
)
from archive.model import Hints

TAGLINE = "Read the Tarn Gazette every morning for the news from the valley and the coast."
QUOTE = "The minister said the new bridge would be finished before the winter storms arrived."


def _capture(n: int, extra: str) -> str:
    return (
        f"Story number {n} from the valley\n\n"
        f"Residents of village {n} met on Tuesday evening to discuss the plans for road {n}.\n\n"
        f"{extra}\n\n"
        f"The meeting for village {n} ended after two hours without a vote on road {n}."
    )


def _corpus() -> list[tuple[str, str]]:
    docs = [(_capture(n, TAGLINE), "Tarn Gazette") for n in range(6)]
    # the same quotation carried by two outlets, many times each: story, not furniture
    docs += [(_capture(100 + n, QUOTE), "Tarn Gazette") for n in range(6)]
    docs += [(_capture(200 + n, QUOTE), "Meridian Ledger") for n in range(6)]
    return docs


def _counter(docs) -> FurnitureCounter:
    counter = FurnitureCounter()
    for text, outlet in docs:
        x = extract_text_capture(text, Hints(outlet=outlet), language=False)
        counter.add(text, x.spans, x.outlet)
    return counter


def test_learns_an_outlets_recurring_line_but_not_a_shared_quotation():
    learned = _counter(_corpus()).learned(min_docs=5)
    assert len(learned) == 1
    text = _capture(999, TAGLINE)
    x = extract_text_capture(text, Hints(outlet="Tarn Gazette"), language=False)
    assert TAGLINE in x.text
    y = apply_learned(text, x, learned)
    assert TAGLINE not in y.text
    assert [s.rule for s in y.spans if s.kind == "furniture-learned"] == [
        "learned:outlet-recurring:body:body:story"
    ]
    assert revert_learned(y.spans) == x.spans
    quoted = _capture(998, QUOTE)
    qx = extract_text_capture(quoted, Hints(outlet="Tarn Gazette"), language=False)
    assert apply_learned(quoted, qx, learned) == qx


def test_learned_furniture_only_applies_to_its_outlet():
    learned = _counter(_corpus()).learned(min_docs=5)
    text = _capture(999, TAGLINE)
    for hints in (Hints(outlet="Meridian Ledger"), Hints()):
        x = extract_text_capture(text, hints, language=False)
        assert apply_learned(text, x, learned) == x


def test_recaptures_of_one_story_count_once():
    text = _capture(1, TAGLINE)
    docs = [(text, "Tarn Gazette")] * 10
    assert len(_counter(docs).learned(min_docs=2)) == 0


def test_threshold_is_respected_and_bounded():
    counter = _counter(_corpus())
    assert len(counter.learned(min_docs=6)) == 1
    assert len(counter.learned(min_docs=7)) == 0
    with pytest.raises(ValueError):
        counter.learned(min_docs=1000)


def test_summary_is_small_and_picklable():
    learned = _counter(_corpus()).learned(min_docs=5)
    again = pickle.loads(pickle.dumps(learned))
    assert isinstance(again, LearnedFurniture) and again == learned
    assert (learned.entries[0][0], learned.entries[0][1]) in again


def test_capacity_bounds_memory():
    counter = FurnitureCounter(capacity=50)
    for text, outlet in _corpus() * 3:
        x = extract_text_capture(text, Hints(outlet=outlet), language=False)
        counter.add(text, x.spans, outlet)
    assert len(counter) <= 50


@settings(derandomize=True, database=None, max_examples=25, deadline=None)
@given(
    order=st.permutations(range(18)),
    cut=st.integers(0, 18),
    capacity=st.sampled_from([8, 40, 10_000]),
)
def test_result_does_not_depend_on_order_or_merging(order, cut, capacity):
    docs = _corpus()
    extracted = [
        (t, extract_text_capture(t, Hints(outlet=o), language=False).spans, o) for t, o in docs
    ]
    whole = FurnitureCounter(capacity=capacity)
    for t, spans, o in extracted:
        whole.add(t, spans, o)
    left, right = FurnitureCounter(capacity=capacity), FurnitureCounter(capacity=capacity)
    for k, i in enumerate(order):
        (left if k < cut else right).add(*extracted[i])
    right.merge(left)
    assert right.learned(min_docs=3) == whole.learned(min_docs=3)
    assert right.threshold == whole.threshold
