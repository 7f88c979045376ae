"""HTML extraction on 303 real pages (benchmarks/realpages) holds its measured figures.

The labels were made from upstream test expectations and by reading the pages, not by running
archive (see benchmarks/realpages/PROVENANCE.md). The floors are the figures measured when the
set was built, less a small margin: a change that loses precision or coverage fails here, and
one that gains should raise the floor.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _benchmark_module(name: str):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


score_realpages = _benchmark_module("score_realpages")

MARGIN = 0.02
# field -> (precision, coverage) measured on 2026-12-03 after the issue 16 changes (date: the
# published_date column, the day the publisher states). Before them: title 0.877/0.877,
# authors 0.817/0.730, outlet 0.975/0.971, date 0.850/0.901 as the UTC day, with 15 dates on
# the 18 pages that have none. Title and date raised on 2026-12-03 (dates by the headline,
# publication meta names; 18 title labels that kept the outlet's name corrected): title was
# 0.877/0.877, date 0.979/0.750, publisher day 0.969 (titles: 0.930 on the corrected labels).
# Title and outlet raised on 2026-12-06 (the title part the <h1> shows; site names the address
# agrees with; Google Translate's tooltip dropped): title was 0.950/0.950, outlet 0.975/0.967;
# date coverage 0.817 (Japanese visible datelines, 2019年4月4日, read).
MEASURED = {
    "title": (0.967, 0.967),
    "authors": (0.953, 0.805),
    "outlet": (0.988, 0.980),
    "published": (0.986, 0.821),
}
MEASURED_PUBLISHER_DAY_PRECISION = 0.971
MEASURED_DATES_ON_NO_DATE_PAGES = 0
MEASURED_BODY_OPENING_RECALL = 0.973


pytestmark = pytest.mark.slow  # packs 303 pages: about a minute on two idle cores


@pytest.fixture(scope="module")
def report() -> dict:
    return score_realpages.score(baseline=False, jobs=2)


def test_every_page_is_a_record_or_a_quarantine_entry(report):
    assert report["pages"] == 303
    assert report["unaccounted"] == []
    assert report["records"] + len(report["quarantined"]) == report["pages"]


@pytest.mark.parametrize("field", sorted(MEASURED))
def test_field_precision_and_coverage_hold(report, field):
    precision, coverage = MEASURED[field]
    got = report["fields"][field]
    assert got["precision"] >= precision - MARGIN, got
    assert got["coverage"] >= coverage - MARGIN, got


def test_dates_hold_as_the_publisher_wrote_them_and_none_are_added_to_dateless_pages(report):
    dates = report["fields"]["published"]
    assert dates["precision_publisher_day"] >= MEASURED_PUBLISHER_DAY_PRECISION - MARGIN
    assert dates["asserted_on_no_date"] <= MEASURED_DATES_ON_NO_DATE_PAGES


def test_body_keeps_the_article_opening(report):
    assert report["body"]["archive"]["recall"] >= MEASURED_BODY_OPENING_RECALL - MARGIN


def test_labels_are_well_formed():
    labels = score_realpages.read_labels()
    assert len({lb["id"] for lb in labels}) == len(labels) == 303
    assert len({lb["site"] for lb in labels}) >= 50
    assert len({lb["language"] for lb in labels}) >= 5
    no_date = [lb for lb in labels if lb["published"] is None and "published" not in lb["unscored"]]
    assert len(no_date) >= 10
    for lb in labels:
        assert (score_realpages.HERE / lb["file"]).is_file(), lb["id"]
        assert set(lb["unscored"]) <= {"title", "authors", "published"}, lb["id"]
        if lb["published"] is not None:
            assert len(lb["published"]["date"]) == 10, lb["id"]


def test_matching_rules():
    assert (
        score_realpages.norm("  Why Donald Trump won’t  change!") == "why donald trump won t change"
    )
    assert score_realpages.norm_outlet("The Bloomberg.com") == score_realpages.norm_outlet(
        "Bloomberg"
    )
    assert score_realpages.norm_outlet("Le Monde.fr") == "le monde"
    assert score_realpages.norm_outlet("CNN") != score_realpages.norm_outlet("CNNMoney")
