"""The labelled set in tests/extraction: every asserted outlet and date must be right."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from pathlib import Path

import pytest

from archive.extract import BODY_KINDS, EXTRACTOR_VERSION, extract_text_capture, furniture_chars
from archive.model import SPAN_KINDS
from archive.text.normalize import body_text, normalize_text

HERE = Path(__file__).parent
LABELLED = HERE / "extraction"
LABELS = json.loads((LABELLED / "labels.json").read_text(encoding="utf-8"))
CAPTURES = sorted((LABELLED / "captures").glob("*.txt"))


def _scorer():
    path = HERE.parent / "benchmarks" / "score_extraction.py"
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


SCORE = _scorer()


def _extract(path: Path):
    label = LABELS[path.stem]
    text = normalize_text(path.read_text(encoding="utf-8"))
    return text, label, extract_text_capture(text, SCORE.hints_from(label))


def test_set_is_large_enough_and_fully_labelled():
    assert len(CAPTURES) >= 40
    assert sorted(p.stem for p in CAPTURES) == sorted(LABELS)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_outlet_and_dates_are_right_or_null(path):
    _, label, x = _extract(path)
    assert x.outlet == label["outlet"] or (x.outlet is None and "outlet-unknown" in x.flags)
    want = label.get("published_at")
    if x.published_at is not None:
        assert x.published_at == datetime.fromisoformat(want)
        assert x.published_precision == label["published_precision"]
        assert x.published_at.utcoffset().total_seconds() == 0
    else:
        assert want is None, f"missed {want}"
    want_mod = label.get("modified_at")
    got_mod = x.modified_at.isoformat() if x.modified_at else None
    assert got_mod == want_mod


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_header_fields(path):
    _, label, x = _extract(path)
    assert x.title == label["title"]
    assert list(x.authors) == label["authors"]
    if "standfirst" in label:
        assert x.standfirst == label["standfirst"]
    assert x.language == label.get("language", "en")


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_body_bounds_and_furniture(path):
    _, label, x = _extract(path)
    assert x.text.startswith(label["body_start"])
    assert x.text.endswith(label["body_end"])
    for phrase in label.get("furniture", []) + label.get("exclude", []):
        assert phrase not in x.text
    for flag in label.get("flags", []):
        assert flag in x.flags


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_spans_tile_the_capture_and_derive_the_text(path):
    text, _, x = _extract(path)
    ends = [0]
    for span in x.spans:
        assert span.kind in SPAN_KINDS and span.rule
        assert ends[-1] <= span.start < span.end <= len(text)
        assert text[ends[-1] : span.start].strip() == ""  # nothing unclassed between spans
        ends.append(span.end)
    assert text[ends[-1] :].strip() == ""
    paragraphs = [text[s.start : s.end] for s in x.spans if s.kind in BODY_KINDS]
    assert x.text == body_text(paragraphs)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_every_field_has_evidence(path):
    text, _, x = _extract(path)
    named = {p.field for p in x.provenance}
    for field in ("title", "standfirst", "outlet", "published_at", "modified_at", "language"):
        if getattr(x, field) is not None:
            assert field in named
    if x.authors:
        assert "authors" in named
    for p in x.provenance:
        if p.start is not None:
            assert text[p.start : p.end] in p.evidence or p.field == "published_at"


def test_scores_on_the_labelled_set():
    report = SCORE.score(LABELLED)
    fields = report["fields"]
    assert fields["outlet"]["precision"] == 1.0
    assert fields["published_at"]["precision"] == 1.0
    assert fields["modified_at"]["precision"] == 1.0
    assert fields["published_at"]["coverage"] >= 0.9
    assert fields["authors"]["precision"] >= 0.95
    assert report["body"]["f1"] >= 0.97
    assert report["wrong"] == []


def test_furniture_chars_counts_what_left_the_body():
    text, _, x = _extract(LABELLED / "captures" / "05_plea_top_caps_leadin_comments.txt")
    removed = furniture_chars(x.spans)
    assert set(removed) == {"caption", "furniture-comments", "furniture-support"}
    assert removed["furniture-support"] == sum(
        s.end - s.start for s in x.spans if s.kind == "furniture-support"
    )


def test_extractor_version_is_recorded():
    assert EXTRACTOR_VERSION.startswith("text-")
