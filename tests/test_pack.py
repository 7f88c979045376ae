"""End-to-end packs of a small fictional corpus through the Python API."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CREATED
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import PackSettings, ReleaseExistsError, UsageError, pack, verify
from archive.capture import capturelog
from archive.capture.capturelog import CaptureLog, entry_from_stored
from archive.extract.text import extract_text_capture
from archive.format.manifest import release_files
from archive.model import Hints, QuarantineEntry
from archive.records import held_weight, text_record
from archive.release import stages
from archive.release.cache import indexed_log
from archive.release.workdir import CacheDir

SETTINGS = PackSettings("corpus", "1.0.0", CREATED, extract="none")


def rows(release: Path) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


def quarantine(release: Path) -> list[dict]:
    lines = (release / "quarantine.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_every_input_is_a_record_or_quarantined(corpus, tmp_path):
    result = pack([corpus], tmp_path / "dist", SETTINGS)
    records, held = rows(result.path), quarantine(result.path)
    counts = result.manifest["counts"]
    inputs = sorted(str(p.relative_to(corpus.parent)) for p in corpus.rglob("*") if p.is_file())
    accounted = sorted(
        [r["capture"]["source_path"] for r in records] + [q["source_path"] for q in held]
    )
    assert accounted == inputs
    assert counts["inputs"] == len(inputs) == counts["records"] + counts["quarantined"]
    assert {q["source_path"].rsplit("/", 1)[1]: q["reason"] for q in held} == {
        "empty.txt": "empty",
        "blank.txt": "empty",
        "scan.txt": "binary",
        "notes.pdf": "unsupported",
    }
    assert all(q["sha256"] and q["bytes"] is not None for q in held)
    # extract = "none" reads nothing out of the text, its language neither
    assert all(r["language"] is None for r in records)
    assert not any(p["field"] == "language" for r in records for p in r["provenance"])
    verify(result.path)


def test_each_encoding_gives_the_same_text_hash(corpus, tmp_path):
    result = pack([corpus], tmp_path / "dist", SETTINGS)
    ferries = {
        r["capture"]["source_path"].rsplit("/", 1)[1]: r
        for r in rows(result.path)
        if "ferry" in r["capture"]["source_path"]
    }
    assert len(ferries) == 5
    assert len({r["text_sha256"] for r in ferries.values()}) == 1
    assert len({r["raw_sha256"] for r in ferries.values()}) == 5
    encodings = {name: (r["raw_encoding"], r["raw_encoding_method"]) for name, r in ferries.items()}
    assert encodings == {
        "ferry-utf8.txt": ("utf-8", "utf-8"),
        "ferry-bom.txt": ("utf-8", "bom"),
        "ferry-utf16.txt": ("utf-16-le", "bom"),
        "ferry-crlf.txt": ("utf-8", "utf-8"),
        "ferry-cp1252.txt": ("cp1252", "detected"),
    }
    assert "encoding-detected" in ferries["ferry-cp1252.txt"]["flags"]
    text = ferries["ferry-utf8.txt"]["text"]
    assert "“Corrie Lantern”" in text and "très" in text and "\r" not in text


def test_duplicates_point_at_the_first_record_in_id_order(corpus, tmp_path):
    result = pack([corpus], tmp_path / "dist", SETTINGS)
    ferries = sorted(
        (r for r in rows(result.path) if "ferry" in r["capture"]["source_path"]),
        key=lambda r: r["record_id"],
    )
    first = ferries[0]
    assert first["duplicate_of"] is None
    assert all(r["duplicate_of"] == first["record_id"] for r in ferries[1:])
    assert result.manifest["counts"]["duplicates"] == 4


def test_capture_log_fields_carry_provenance(corpus, capture_log, tmp_path):
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=capture_log)
    by_path = {r["capture"]["source_path"]: r for r in rows(result.path)}
    ferry = by_path["captures/coast/ferry-utf8.txt"]
    assert ferry["outlet"] == "The Harbour Courier"
    assert ferry["published_at"].isoformat() == "2026-03-03T07:15:00+00:00"
    assert ferry["capture"]["url"] == "https://www.harbourcourier.example/news/lantern-ferry"
    assert ferry["capture"]["agent"] == "fictional-crawler/1.0"
    assert json.loads(ferry["capture"]["extra"]) == {"collection": "ferries"}
    provenance = {p["field"]: p for p in ferry["provenance"]}
    assert provenance["outlet"]["method"] == "capture-log"
    assert provenance["outlet"]["evidence"] == "captures.jsonl line 1"
    unlogged = by_path["captures/coast/ferry-bom.txt"]
    assert unlogged["outlet"] is None and unlogged["capture"]["url"] is None
    assert result.manifest["capture_log"]["entries"] == 2
    assert result.manifest["capture_log"]["unmatched"] == 0


def test_each_right_names_where_it_was_stated(corpus, tmp_path):
    """A line stating only redistribution once credited archive.toml's rights holder to the
    line too."""
    log = tmp_path / "log.jsonl"
    lines = [
        {"path": "coast/ferry-utf8.txt", "redistribution": "metadata-only"},
        {"path": "coast/ferry-bom.txt", "rights_holder": "Harbour Courier Ltd"},
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    settings = replace(SETTINGS, rights_holder="Coastal Archive Trust")
    result = pack([corpus], tmp_path / "dist", settings, capture_log=log)
    by_path = {r["capture"]["source_path"]: r for r in rows(result.path)}

    def rights(path: str) -> dict:
        row = by_path[f"captures/coast/{path}"]
        stated = {p["field"]: (p["method"], p["evidence"]) for p in row["provenance"]}
        return {f: (row[f], *stated[f]) for f in ("rights_holder", "redistribution")}

    assert rights("ferry-utf8.txt") == {
        "rights_holder": ("Coastal Archive Trust", "settings", "archive.toml"),
        "redistribution": ("metadata-only", "capture-log", "log.jsonl line 1"),
    }
    assert rights("ferry-bom.txt") == {
        "rights_holder": ("Harbour Courier Ltd", "capture-log", "log.jsonl line 2"),
        "redistribution": ("full", "settings", "default or archive.toml"),
    }
    assert rights("ferry-crlf.txt") == {
        "rights_holder": ("Coastal Archive Trust", "settings", "archive.toml"),
        "redistribution": ("full", "settings", "default or archive.toml"),
    }


def test_a_log_line_published_after_it_was_retrieved_gives_no_date(corpus, tmp_path):
    """The line contradicts itself; its other fields still apply."""
    log = tmp_path / "log.jsonl"
    line = {
        "path": "coast/ferry-utf8.txt",
        "retrieved_at": "2026-03-04T10:00:00Z",
        "published_at": "2026-03-04T10:30:00Z",
        "outlet": "The Harbour Courier",
    }
    log.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    ferry = {r["capture"]["source_path"]: r for r in rows(result.path)}[
        "captures/coast/ferry-utf8.txt"
    ]
    assert ferry["published_at"] is None and ferry["published_date"] is None
    assert "published-date-after-capture" in ferry["flags"]
    assert ferry["outlet"] == "The Harbour Courier"
    assert verify(result.path).problems == []


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_a_capture_log_time_out_of_range_in_utc_is_a_bad_line(tmp_path, moment):
    log = tmp_path / "log.jsonl"
    lines = [{"path": "a.txt", "published_at": moment}, {"path": "b.txt"}, {"path": "c.txt"}]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    built = CaptureLog.build(log, tmp_path / "log.sqlite")
    assert [(p.line, p.message) for p in built.problems] == [
        (1, f"'published_at': {moment!r} is out of range in UTC")
    ]
    assert built.size == 2


@pytest.mark.parametrize("unit_files", [1, 2000])
def test_log_lines_naming_an_input_by_either_key_or_a_warc_file_are_matched(tmp_path, unit_files):
    """``unmatched`` counts the lines that name no input: a line names a file by its path in
    the source folder or by ``<folder>/<path>`` (both lines count when both are given), or a
    WARC file; counted once whatever the units, though two inputs find it ('coast/a.txt' is
    the path of captures/coast/a.txt in its folder and the whole path of coast/a.txt)."""
    source, other = tmp_path / "captures", tmp_path / "coast"
    (source / "coast").mkdir(parents=True)
    other.mkdir()
    for name in ("a", "b"):
        text = f"Ferry {name} sails at dawn\n\nThe harbour master rang the bell.\n"
        (source / "coast" / f"{name}.txt").write_text(text, encoding="utf-8")
    (other / "a.txt").write_text("Gulls over the pier\n\nThe tide turned.\n", encoding="utf-8")
    warc = Path(__file__).parent / "data" / "warc" / "example-resource.warc.gz"
    (source / "crawl.warc.gz").write_bytes(warc.read_bytes())
    names = ["coast/a.txt", "captures/coast/b.txt", "crawl.warc.gz", "coast/missing.txt"]
    names += ["captures/coast/a.txt", "captures/elsewhere.txt"]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"path": n}) + "\n" for n in names), encoding="utf-8")
    settings = replace(SETTINGS, unit_files=unit_files)
    result = pack([source, other], tmp_path / "dist", settings, capture_log=log)
    assert result.manifest["capture_log"]["entries"] == 6
    assert result.manifest["capture_log"]["unmatched"] == 2


def test_bad_capture_log_lines_are_reported_and_others_apply(corpus, tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(
        '{"path": "coast/ferry-utf8.txt", "outlet": "The Harbour Courier"}\n'
        "not json at all\n"
        '{"path": "../outside.txt", "outlet": "Nowhere"}\n'
        '{"path": "coast/ferry-bom.txt", "retrieved_at": "2026-03-04 10:00"}\n'
        '{"path": "coast/ferry-utf8.txt", "outlet": "Twice"}\n'
        '{"path": "coast/missing.txt", "outlet": "Ghost Gazette"}\n'
        # more good lines than bad: a log most of whose lines fail stops the pack instead
        '{"path": "coast/ferry-crlf.txt", "outlet": "The Harbour Courier"}\n'
        '{"path": "inland/deep/mill.txt"}\n',
        encoding="utf-8",
    )
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    assert [w.split(":")[1] for w in result.warnings] == ["2", "3", "4", "5"]
    assert "no time zone" in result.warnings[2]
    assert "earlier line" in result.warnings[3]
    outlets = {r["capture"]["source_path"]: r["outlet"] for r in rows(result.path)}
    assert outlets["captures/coast/ferry-crlf.txt"] == "The Harbour Courier"
    # the inputs the bad lines name, a path given again among them: which line holds is not
    # known, so neither is packed by one
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    named = sorted(q["source_path"] for q in held if q["reason"] == "capture-log")
    assert named == ["captures/coast/ferry-bom.txt", "captures/coast/ferry-utf8.txt"]
    assert result.manifest["capture_log"]["bad_lines"] == 4
    assert result.manifest["capture_log"]["unmatched"] == 1


def test_a_line_repeated_word_for_word_is_reported_but_holds_its_input_to_nothing(corpus, tmp_path):
    """A log written out twice says nothing new the second time: its repeats are bad lines
    (exit 1), but no input is quarantined for them, where one that repeats a path with other
    values holds its input to both; the first line that cannot be used is the one named."""
    lines = [
        {"path": "coast/ferry-utf8.txt", "outlet": "The Harbour Courier"},
        {"path": "coast/ferry-bom.txt", "outlet": "One"},
        {"path": "inland/deep/mill.txt"},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    log = tmp_path / "log.jsonl"
    log.write_text(
        text * 2  # lines 4-6 repeat lines 1-3
        + json.dumps({"path": "coast/ferry-bom.txt", "outlet": "Two"})
        + "\n"  # line 7
        + json.dumps({"path": "coast/ferry-bom.txt", "redistribution": "never"})
        + "\n"
        + "".join(json.dumps({"path": f"spare-{n}.txt"}) + "\n" for n in range(4)),
        encoding="utf-8",
    )
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    assert [w.split(":")[1] for w in result.warnings] == ["4", "5", "6", "7", "8"]
    outlets = {r["capture"]["source_path"]: r["outlet"] for r in rows(result.path)}
    assert outlets["captures/coast/ferry-utf8.txt"] == "The Harbour Courier"
    assert "captures/inland/deep/mill.txt" in outlets
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    refused = [q for q in held if q["reason"] == "capture-log"]
    assert [q["source_path"] for q in refused] == ["captures/coast/ferry-bom.txt"]
    assert "its line 7 in log.jsonl cannot be used (path" in refused[0]["message"]


def test_a_key_given_twice_in_a_log_line_makes_it_a_bad_line(corpus, tmp_path):
    """json keeps the last of a repeated key without a word: a line saying metadata-only, then
    full, published the text. A CSV header naming a column twice leaves no row to read."""
    lines = [
        '{"path": "coast/ferry-utf8.txt", "redistribution": "metadata-only",'
        ' "redistribution": "full"}',
        '{"path": "coast/ferry-bom.txt", "extra": {"note": "a", "note": "b"}}',
        # a key-like text in a value, and a nested object, are no repeat
        '{"path": "coast/ferry-crlf.txt", "extra": {"note": "x\\":y"}, "outlet": "Tide \\": Co"}',
        '{"path": "inland/deep/mill.txt"}',
        '{"path": "spare.txt"}',
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    assert [w.split(":", 2)[1:] for w in result.warnings] == [
        ["1", " a key given twice in one object (which value holds is not known)"],
        ["2", " a key given twice in one object (which value holds is not known)"],
    ]
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    named = sorted(q["source_path"] for q in held if q["reason"] == "capture-log")
    assert named == ["captures/coast/ferry-bom.txt", "captures/coast/ferry-utf8.txt"]
    outlets = {r["capture"]["source_path"]: r["outlet"] for r in rows(result.path)}
    assert outlets["captures/coast/ferry-crlf.txt"] == 'Tide ": Co'
    csv_log = tmp_path / "log.csv"
    csv_log.write_text(
        "path,redistribution,redistribution\ncoast/ferry-utf8.txt,metadata-only,full\n",
        encoding="utf-8",
    )
    with pytest.raises(UsageError, match="the header names the column 'redistribution' twice"):
        pack([corpus], tmp_path / "dist2", SETTINGS, capture_log=csv_log)
    # columns without a name (a spreadsheet's trailing commas) are left out, as ever
    csv_log.write_text(
        "path,redistribution,,\ncoast/ferry-utf8.txt,metadata-only,,\n", encoding="utf-8"
    )
    result = pack([corpus], tmp_path / "dist3", SETTINGS, capture_log=csv_log)
    assert not result.warnings
    texts = {r["capture"]["source_path"]: r["text"] for r in rows(result.path)}
    assert texts["captures/coast/ferry-utf8.txt"] is None  # metadata-only


def test_a_log_line_giving_path_twice_holds_each_input_it_names(corpus, tmp_path):
    """json kept the last path: the input the first one names was packed with full rights,
    though the only line naming it said metadata-only."""
    log = tmp_path / "log.jsonl"
    lines = [
        '{"path": "coast/ferry-utf8.txt", "path": "coast/ferry-bom.txt",'
        ' "redistribution": "metadata-only"}',
        '{"path": "coast/ferry-crlf.txt", "redistribution": "metadata-only", "path": null}',
        '{"path": "inland/deep/mill.txt"}',
        '{"path": "spare.txt"}',
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    held = [json.loads(line) for line in (result.path / "quarantine.jsonl").open("rb")]
    named = sorted(q["source_path"] for q in held if q["reason"] == "capture-log")
    assert named == [f"captures/coast/{n}.txt" for n in ("ferry-bom", "ferry-crlf", "ferry-utf8")]


def test_a_path_given_again_is_a_bad_line_in_any_batch_of_the_index(tmp_path):
    """The index is written a batch of lines at a time: a path given again, in the batch of
    its first line or a later one, is a bad line in line order, and its first line stays its
    entry."""
    lines, first_line, expected = [], {}, []
    for number in range(1, 1301):
        if number % 97 == 0:
            lines.append("not json")
            expected.append((number, "not JSON"))
            continue
        # given again 900 lines later (in a later batch), or on the next line (in its batch)
        path = f"s/{(number - (number % 50 == 0)) % 900}.txt"
        lines.append(json.dumps({"path": path, "agent": f"crawler line {number}"}))
        if path in first_line:
            expected.append((number, f"path '{path}' already given on an earlier line"))
        else:
            first_line[path] = number
    log_path = tmp_path / "log.jsonl"
    log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = CaptureLog.build(log_path, tmp_path / "index.db")
    found = [(p.line, p.message) for p in log.problems]
    assert [line for line, _ in found] == [line for line, _ in expected]
    for (_, message), (_, wanted) in zip(found, expected, strict=True):
        assert message.startswith(wanted)
    assert log.size == len(first_line) > 800
    for path, number in first_line.items():
        entry = entry_from_stored(log.stored(path))
        assert (entry.line, entry.agent) == (number, f"crawler line {number}")


_OVER_CSV_LIMIT = "x" * (1024 * 1024 + 1)  # a field longer than a capture-log line may be


def test_a_repeat_keeps_its_place_before_a_csv_row_that_cannot_be_read(tmp_path):
    """A repeated path is found when its batch is inserted, after the rows read past it: the
    problems still come in the log's order. (A CSV row the csv module cannot read is named by
    the line of the row read before it, so the repeat on line 5 and the unreadable row after
    it are given the same line.)"""
    log = tmp_path / "log.csv"
    log.write_text(f"path,url\na,u\nb,u\nc,u\nc,u\nd,{_OVER_CSV_LIMIT}\ne,u\n", "utf-8")
    built = CaptureLog.build(log, tmp_path / "index.db")
    assert [(p.line, p.message.split(" (")[0]) for p in built.problems] == [
        (5, "path 'c' already given on an earlier line"),
        (5, "cannot be read as CSV"),
    ]
    log.write_text(f"path,url\na,u\na,u\nd,{_OVER_CSV_LIMIT}\n", "utf-8")
    with pytest.raises(UsageError, match=r"2 of 3 lines .*\(line 3: path 'a' already given"):
        CaptureLog.build(log, tmp_path / "again.db")


def test_a_quote_left_open_in_a_csv_log_is_a_bad_line_not_lines_lost(tmp_path):
    """The csv module reads an opening quote with no closing one as a field that goes on to
    the next quote, or to the end of the log: the lines it takes are reported, not lost."""
    rows = [f"s/{n}.txt,https://news.example/{n}" for n in range(2, 202)]
    rows[97] = 's/99.txt,"https://news.example/99'  # line 99 opens a quote and never closes it
    log = tmp_path / "log.csv"
    log.write_text("path,url\n" + "\n".join(rows) + "\n", "utf-8")
    built = CaptureLog.build(log, tmp_path / "index.db")
    assert [(p.line, p.message) for p in built.problems] == [
        (
            201,
            "the row ending here has a line break in 'url' (a quote left open earlier?)",
        )
    ]
    assert built.size == 97 and built.stored("s/98.txt") and not built.stored("s/99.txt")
    rows[97] = 's/99.txt,"https://news.example/99"'  # closed: every row is an entry
    log.write_text("path,url\n" + "\n".join(rows) + "\n", "utf-8")
    assert CaptureLog.build(log, tmp_path / "closed.db").size == 200


def test_csv_capture_log(corpus, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        "path,url,outlet,published_at,desk\n"
        "coast/ferry-crlf.txt,https://ferries.example/a,Ferry Weekly,2026-02-01,harbour\n"
        "coast/ferry-bom.txt,https://ferries.example/b,,not-a-date,\n",
        encoding="utf-8",
    )
    result = pack([corpus], tmp_path / "dist", SETTINGS, capture_log=log)
    by_path = {r["capture"]["source_path"]: r for r in rows(result.path)}
    crlf = by_path["captures/coast/ferry-crlf.txt"]
    assert crlf["outlet"] == "Ferry Weekly" and crlf["published_precision"] == "day"
    assert json.loads(crlf["capture"]["extra"]) == {"desk": "harbour"}
    assert len(result.warnings) == 1 and "log.csv:3" in result.warnings[0]


@pytest.mark.parametrize("jobs", [1, 2])
def test_packs_are_byte_identical(corpus, tmp_path, jobs):
    first = pack([corpus], tmp_path / "a", replace(SETTINGS, jobs=1, shards=3))
    second = pack([corpus], tmp_path / "b", replace(SETTINGS, jobs=jobs, shards=3))
    files = release_files(first.path)
    assert files == release_files(second.path)
    assert len([f for f in files if f.startswith("data/records-")]) == 3
    for relative in files + ["manifest.json", "manifest.json.sha256"]:
        assert (first.path / relative).read_bytes() == (second.path / relative).read_bytes(), (
            relative
        )


def test_rows_are_sorted_and_shards_partition_ids(corpus, tmp_path):
    result = pack([corpus], tmp_path / "dist", replace(SETTINGS, shards=4))
    ids = [r["record_id"] for r in rows(result.path)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_release_is_immutable(corpus, tmp_path):
    pack([corpus], tmp_path / "dist", SETTINGS)
    with pytest.raises(ReleaseExistsError, match="immutable"):
        pack([corpus], tmp_path / "dist", SETTINGS)


def test_failed_pack_leaves_nothing(corpus, tmp_path, monkeypatch):
    import archive.release.pack as pack_module

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pack_module, "write_manifest", explode)
    with pytest.raises(RuntimeError):
        pack([corpus], tmp_path / "dist", SETTINGS)
    assert list((tmp_path / "dist").iterdir()) == []


def test_stale_partial_folders_are_cleared(corpus, tmp_path):
    from archive.release.partials import host

    stale = tmp_path / "dist" / f".corpus-1.0.0.partial-{host()}-999999999"
    elsewhere = tmp_path / "dist" / ".corpus-1.0.0.partial-other-host-999999999"
    stale.mkdir(parents=True)
    elsewhere.mkdir()
    pack([corpus], tmp_path / "dist", SETTINGS)
    assert not stale.exists()
    assert elsewhere.exists()  # another machine's pack on a shared folder may still be running


def test_missing_source_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not a folder"):
        pack([tmp_path / "nope"], tmp_path / "dist", SETTINGS)


def test_links_and_size_limits(corpus, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("A secret kept elsewhere.\n", encoding="utf-8")
    os.symlink(outside, corpus / "coast" / "escape.txt")
    os.symlink(corpus / "inland" / "deep" / "mill.txt", corpus / "coast" / "again.txt")
    (corpus / "coast" / "huge.txt").write_text("word " * 5000, encoding="utf-8")
    result = pack([corpus], tmp_path / "dist", replace(SETTINGS, max_capture_bytes=10_000))
    reasons = {q["source_path"].rsplit("/", 1)[1]: q["reason"] for q in quarantine(result.path)}
    assert reasons["escape.txt"] == "outside-source"
    assert reasons["again.txt"] == "symlink"
    assert reasons["huge.txt"] == "too-large"
    huge = next(q for q in quarantine(result.path) if q["reason"] == "too-large")
    assert huge["bytes"] == 25_000 and len(huge["sha256"]) == 64
    mills = [r for r in rows(result.path) if "Mill pond" in r["text"]]
    assert len(mills) == 1


def test_unreadable_file_is_quarantined(corpus, tmp_path, monkeypatch):
    import archive.release.stages as tasks

    real = tasks._read

    def refuse(fs_path, limit, wanted=None):
        if fs_path.endswith("mill.txt"):
            raise PermissionError(13, "Permission denied")
        return real(fs_path, limit, wanted)

    monkeypatch.setattr(tasks, "_read", refuse)
    result = pack([corpus], tmp_path / "dist", replace(SETTINGS, jobs=1))
    held = {q["source_path"]: q for q in quarantine(result.path)}
    entry = held["captures/inland/deep/mill.txt"]
    assert entry["reason"] == "unreadable" and "Permission denied" in entry["message"]


def test_undecodable_bytes_are_quarantined(tmp_path):
    from archive.text.decode import NotText, decode_bytes

    with pytest.raises(NotText) as caught:
        decode_bytes(b"\xff\xfe\x00\xd8")  # a UTF-16 byte-order mark, then a lone surrogate
    assert caught.value.reason == "undecodable"


def test_multiple_sources_keep_their_names(corpus, tmp_path):
    other = tmp_path / "more"
    other.mkdir()
    (other / "note.txt").write_text("Harbour lights dimmed for the eclipse.\n", encoding="utf-8")
    result = pack([corpus, other], tmp_path / "dist", SETTINGS)
    assert [s["name"] for s in result.manifest["sources"]] == ["captures", "more"]
    assert "more/note.txt" in {r["capture"]["source_path"] for r in rows(result.path)}


def test_two_sources_with_one_name_are_refused(tmp_path):
    for parent in ("a", "b"):
        (tmp_path / parent / "captures").mkdir(parents=True)
        (tmp_path / parent / "captures" / "x.txt").write_text("Same name.\n", encoding="utf-8")
    with pytest.raises(UsageError, match="two source folders are named 'captures'"):
        pack(
            [tmp_path / "a" / "captures", tmp_path / "b" / "captures"], tmp_path / "dist", SETTINGS
        )


@settings(derandomize=True, database=None, max_examples=80)
@given(st.lists(st.lists(st.text(max_size=5), max_size=6), min_size=1, max_size=5), st.data())
def test_rows_at_takes_what_take_takes(chunks, data):
    """The chunk-by-chunk take of the gather stage gives the rows ``Table.take`` gives."""
    import numpy as np
    import pyarrow as pa

    from archive.format.parquetio import rows_at

    schema = pa.schema([("s", pa.string()), ("n", pa.int64())])
    table = pa.Table.from_batches(
        [pa.RecordBatch.from_pydict({"s": c, "n": list(range(len(c)))}, schema) for c in chunks]
    )
    indices = data.draw(
        st.lists(st.integers(0, max(0, table.num_rows - 1)), max_size=12 if table.num_rows else 0)
    )
    taken = rows_at(table, np.array(indices, dtype=np.int64))
    assert taken.to_pylist() == table.take(pa.array(indices, pa.int64())).to_pylist()


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.text(max_size=5), min_size=1, max_size=6), min_size=1, max_size=5),
    st.data(),
)
def test_ipc_rows_reads_the_rows_it_is_asked_for(tmp_path_factory, chunks, data):
    """Rows of a work file by (batch, offset), any order, repeats allowed, only some columns."""
    import numpy as np
    import pyarrow as pa

    from archive.format.parquetio import ipc_rows, write_ipc_batches

    schema = pa.schema([("s", pa.string()), ("n", pa.int64()), ("b", pa.int64())])
    batches = [pa.RecordBatch.from_pydict(
        {"s": c, "n": list(range(len(c))), "b": [i] * len(c)}, schema)
        for i, c in enumerate(chunks)]  # fmt: skip
    path = tmp_path_factory.mktemp("ipc") / "work.arrow"
    write_ipc_batches(iter(batches), schema, path)
    picks = data.draw(st.lists(
        st.integers(0, len(chunks) - 1).flatmap(
            lambda b: st.tuples(st.just(b), st.integers(0, len(chunks[b]) - 1))),
        max_size=10))  # fmt: skip
    where = np.array(picks, dtype=np.int64).reshape(-1, 2)
    got = ipc_rows(path, where[:, 0], where[:, 1], ["n", "s"])
    assert got.schema.names == ["s", "n"]  # the file's order of the columns asked for
    assert got.to_pylist() == [{"s": chunks[b][o], "n": o} for b, o in picks]


_PANDAS_PROBE = """
import sys

import pyarrow as pa

from archive.cli import run
from archive.runtime.executors import LocalExecutor


def converts(_):
    pa.Table.from_pylist([{"a": None, "b": "x"}])
    return repr(sys.modules.get("pandas", "never imported"))


if __name__ == "__main__":
    if sys.argv[1] == "with-pandas":
        import pandas  # noqa: F401
    with LocalExecutor(2) as executor:
        workers = sorted(set(executor.map(converts, range(4))))
    sys.argv = ["archive", "--version"]
    try:
        run()
    except SystemExit:
        pass
    print(workers, converts(0).startswith("<module"))
"""


@pytest.mark.parametrize("driver", ["with-pandas", "without"])
def test_archive_processes_do_without_pandas(tmp_path, driver):
    """pyarrow imports pandas (about 50 MiB) on its first conversion of a list; archive's
    workers and its command line make it unimportable, and a process that has it keeps it."""
    done = _probe_run(tmp_path, _PANDAS_PROBE, driver)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"[\"'never imported'\"] {driver == 'with-pandas'}"


_EARLY_PROBE = """
import sys
from multiprocessing import forkserver

from archive.runtime.executors import LocalExecutor, start_workers_early


def loaded(_):
    return "trafilatura" in sys.modules, "jsonschema" in sys.modules


if __name__ == "__main__":
    start_workers_early(int(sys.argv[1]))
    started = forkserver._forkserver._forkserver_pid
    pipeline = "archive.release.stages" in sys.modules
    with LocalExecutor(2) as executor:
        workers = set(executor.map(loaded, range(4)))
    print(started is not None, pipeline, started == forkserver._forkserver._forkserver_pid, workers)
"""


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_fork_server_starts_before_the_pipeline_is_imported(tmp_path, jobs):
    """``archive pack`` starts its workers' fork server first thing, so that it imports their
    modules (the HTML extractor's among them, never jsonschema, which no task needs) while the
    command imports its own; one job starts none, and the pool that follows uses the server
    already running."""
    done = _probe_run(tmp_path, _EARLY_PROBE, str(jobs))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(jobs > 1), "False", str(jobs > 1), "{(True,", "False)}"]


_FAILED_PACK_PROBE = """
import atexit
import sys
from multiprocessing import forkserver, resource_tracker

from archive.cli import run

if __name__ == "__main__":
    tracker = resource_tracker._resource_tracker  # started with the fork server
    atexit.register(lambda: print(tracker._pid is not None, forkserver._forkserver._forkserver_pid))
    sys.argv = ["archive", "pack", sys.argv[1], "--version", "1.0", "--jobs", "2"]
    run()
"""


def test_a_pack_that_fails_before_its_pool_leaves_no_fork_server_importing(tmp_path):
    """A usage error found after ``archive pack`` started its fork server: the server, still
    importing the workers' modules, is stopped with the command, not left to finish them (half
    a second of CPU) holding the command's stdout and stderr open after it has exited."""
    done = _probe_run(tmp_path, _FAILED_PACK_PROBE, str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "archive: error: version '1.0' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)"
    ]
    assert done.stdout.split() == ["True", "None"]


_COLLECTIONS_PROBE = """
import atexit
import gc
import sys

from archive.runtime import process
from archive.runtime.executors import LocalExecutor

reused = []  # set here, the fork server's copy of this module gives its workers the stand-in
process.reuse_freed_memory = lambda: reused.append(True)


def settings(_):
    return gc.get_threshold()[2], bool(reused)


if __name__ == "__main__":
    before = settings(0)
    with LocalExecutor(2) as executor:
        workers = set(executor.map(settings, range(4)))
    atexit.register(lambda: print(before, workers, settings(0), sep=" | "))
    from archive.cli import run

    sys.argv = ["archive", sys.argv[1], "no-such-release"]
    run()
"""


def test_archive_processes_seldom_collect_the_oldest_generation_and_reuse_freed_heap(tmp_path):
    """The command line and the local workers make Python's full collections rarer (see
    ``fewer_full_collections``; Python 3.14's incremental collector has no such threshold) and
    keep freed heap for reuse; a process that only imports archive keeps its own settings."""
    import ast
    import sys

    done = _probe_run(tmp_path, _COLLECTIONS_PROBE, "verify")
    assert done.returncode == 2, done.stderr  # no such release: a usage error, then the probe
    before, workers, after = map(ast.literal_eval, done.stdout.strip().split(" | "))
    oldest = 1000 if sys.version_info < (3, 14) else before[0]
    assert before == (before[0], False) and before[0] != 1000
    assert workers == {(oldest, True)}
    assert after == (oldest, True)


def _probe_run(tmp_path: Path, source: str, argument: str) -> subprocess.CompletedProcess:
    """Run ``source`` as a script of its own (worker processes import it as their main
    module) with this checkout importable."""
    import sys

    script = tmp_path / "probe.py"
    script.write_text(source, encoding="utf-8")
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get(
        "PYTHONPATH")])))  # fmt: skip
    return subprocess.run(
        [sys.executable, str(script), argument], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip


def test_the_tasks_close_the_indexes_they_open(tmp_path, monkeypatch):
    """Every connection a task opens to the capture log's or the parent's index is closed
    when the task ends: a connection merely dropped is freed only by a full collection."""
    import sqlite3

    from archive.capture import capturelog
    from archive.release import parent

    opened = []

    def recorded(open_index, kind):
        def opening(path):
            opened.append((kind, open_index(path)))
            return opened[-1][1]

        return opening

    monkeypatch.setattr(capturelog, "open_index", recorded(capturelog.open_index, "log"))
    monkeypatch.setattr(parent, "open_index", recorded(parent.open_index, "parent"))
    examples = Path(__file__).resolve().parents[1] / "examples"
    settings = PackSettings("example", "1.0.0", CREATED, relations=False, unit_files=4)
    log = examples / "captures.jsonl"
    first = pack([examples / "captures"], tmp_path / "dist", settings, capture_log=log)
    again = replace(settings, version="1.1.0")
    pack([examples / "captures"], tmp_path / "dist", again, capture_log=log, parent=first.path)
    kinds = [kind for kind, _ in opened]
    assert kinds.count("log") > 4 and kinds.count("parent") > 2  # a unit is four captures
    for _, db in opened:
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")


def test_fresh_workers_are_new_processes():
    """Between extraction and the shard stages the pack replaces its workers, so what
    extraction left resident (the heap a worker grew over its pages) is not carried on."""
    from archive.runtime.executors import LocalExecutor

    with LocalExecutor(2) as executor:
        before = set(executor.map(_pid, range(6)))
        executor.fresh_workers()
        after = set(executor.map(_pid, range(6)))
    assert before and after and not before & after
    with LocalExecutor(1) as executor:  # one job runs here: nothing to replace
        executor.fresh_workers()
        assert set(executor.map(_pid, range(2))) == {os.getpid()}


def _pid(_):
    return os.getpid()


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(st.integers(1, 7), st.integers(0, 40), st.data())
def test_ipc_range_reads_rows_start_to_stop(tmp_path_factory, batch_rows, rows, data):
    import pyarrow as pa

    from archive.format.parquetio import ipc_range, write_ipc

    path = tmp_path_factory.mktemp("ipc") / "entries.arrow"
    write_ipc(pa.table({"n": list(range(rows))}), path, batch_rows)
    start = data.draw(st.integers(0, rows))
    stop = data.draw(st.integers(start, rows))
    assert ipc_range(path, start, stop, batch_rows)["n"].to_pylist() == list(range(start, stop))
    if rows > batch_rows > 1:  # a file in other batches is refused, not misread
        with pytest.raises(ValueError, match="rows, not"):
            ipc_range(path, 0, rows, batch_rows - 1)


def test_a_script_read_on_stdin_packs_in_its_own_process_with_one_warning(corpus, tmp_path):
    script = (
        "from archive import PackSettings, pack\n"
        "s = PackSettings(name='n', version='1.0.0', created='2026-01-01T00:00:00Z', jobs=2)\n"
        f"print(pack([{str(corpus)!r}], {str(tmp_path / 'dist')!r}, s).path)\n"
    )
    result = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "dist" / "n-1.0.0")
    assert "Traceback" not in result.stderr
    assert "worker processes cannot start from a script read on stdin" in result.stderr


def test_empty_bodies_are_not_linked_as_duplicates(tmp_path):
    captures = tmp_path / "captures"
    captures.mkdir()
    lines = ["Sign in to comment", "Share this article", "Advertisement", "By Ada Quill"]
    for n, line in enumerate(lines):  # different captures, each only furniture or a byline
        (captures / f"{n}.txt").write_text(line + "\n", encoding="utf-8")
    result = pack([captures], tmp_path / "dist", replace(SETTINGS, extract="article"))
    found = rows(result.path)
    assert [r["text"] for r in found] == [""] * 4
    assert [r["duplicate_of"] for r in found] == [None] * 4
    assert result.manifest["counts"]["duplicates"] == 0
    verify(result.path)


def test_progress_counts_the_extraction_in_documents(corpus, tmp_path):
    heard = []
    settings = replace(SETTINGS, unit_files=3)  # several units, each of up to three files
    result = pack([corpus], tmp_path / "dist", settings, progress=lambda *e: heard.append(e))
    extract = [(done, total) for stage, done, total in heard if stage == "extract"]
    documents = result.manifest["counts"]["inputs"]
    assert extract[0] == (0, documents) and extract[-1] == (documents, documents)
    assert [done for done, _ in extract] == sorted(done for done, _ in extract)
    assert len(extract) > 2


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3 << 20) | st.builds(lambda n: b"\xab" * n, st.integers(0, 3 << 20)),
    limit=st.integers(0, 4 << 20),
)
def test_a_capture_is_read_and_hashed_in_one_pass_whatever_its_size(tmp_path_factory, data, limit):
    """Kept when within the limit and, for a file of unknown kind, when its first bytes are
    wanted (here: unless they start with 0xAB); hashed in every case."""
    from archive.capture.sources import SNIFF_BYTES
    from archive.release.stages import _read

    path = tmp_path_factory.mktemp("read") / "capture.bin"
    path.write_bytes(data)
    for wanted in (None, lambda head: not head.startswith(b"\xab")):
        kept, digest, size = _read(str(path), limit, wanted)
        keep = len(data) <= limit and (wanted is None or wanted(data[:SNIFF_BYTES]))
        assert (kept, digest, size) == (
            data if keep else None,
            hashlib.sha256(data).hexdigest(),
            len(data),
        )


def test_a_big_file_of_no_capture_kind_is_hashed_not_held(tmp_path):
    """A log or dump left among the captures: quarantined as unsupported with its hash, its
    bytes never held (the old reading held them twice: blocks, then joined)."""
    import tracemalloc

    root = tmp_path / "captures"
    root.mkdir()
    data = b'{"path": "a.txt", "outlet": "Tarn Gazette"}\n' * (640 * 1024)  # 29 MB
    (root / "captures.jsonl").write_bytes(data)
    (root / "page").write_bytes(b"<!doctype html><html><title>Tide</title><p>High water.</p>")
    from archive.release.stages import _is_html, _read

    tracemalloc.start()
    kept, digest, size = _read(str(root / "captures.jsonl"), 256 << 20, _is_html)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert kept is None and digest == hashlib.sha256(data).hexdigest() and size == len(data)
    assert peak < 4 << 20
    result = pack([root], tmp_path / "dist", replace(SETTINGS, extract="article", jobs=1))
    (entry,) = quarantine(result.path)
    assert entry["source_path"] == "captures/captures.jsonl" and entry["reason"] == "unsupported"
    assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    (record,) = rows(result.path)
    assert record["capture"]["source_path"] == "captures/page" and "High water" in record["text"]


def test_quarantine_fragments_merge_into_one_sorted_file(tmp_path):
    """Entries from many units (two files a unit) and from the walk (links out of the source)
    come out in path order, as one file, with the manifest's counts by reason."""
    root = tmp_path / "captures"
    root.mkdir()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("Not part of the corpus.\n", encoding="utf-8")
    expected = {}
    for n in range(40):
        name, reason = [
            (f"{n:03d}-empty.txt", "empty"),
            (f"{n:03d}-link.txt", "outside-source"),
            (f"{n:03d}-scan.txt", "binary"),
            (f"{n:03d}-story.txt", None),
        ][n % 4]
        if reason == "outside-source":
            (root / name).symlink_to(outside)
        else:
            body = {"empty": b"", "binary": b"\x00\x01\x02" * 50}.get(reason, b"A story.\n")
            (root / name).write_bytes(body)
        if reason:
            expected[f"captures/{name}"] = reason
    result = pack([root], tmp_path / "dist", replace(SETTINGS, unit_files=2, jobs=2))
    held = quarantine(result.path)
    assert [q["source_path"] for q in held] == sorted(expected)
    assert {q["source_path"]: q["reason"] for q in held} == expected
    assert result.manifest["counts"]["quarantined"] == len(expected) == 30
    reasons = {"binary": 10, "empty": 10, "outside-source": 10}
    assert result.manifest["quarantine_reasons"] == reasons
    assert verify(result.path).ok


@pytest.mark.parametrize(("jobs", "batch"), [(2, None), (1, 7)])
def test_each_record_carries_the_language_its_capture_alone_is_found_in(
    tmp_path, monkeypatch, jobs, batch
):
    """The pack detects the languages of a batch of bodies at once: each row still holds what
    extracting its capture alone finds (the language and its entry, or the flag), in the
    place it finds it, whatever the batches (one process packs in this one)."""
    if batch:
        monkeypatch.setattr(stages, "LANGUAGE_BATCH", batch)
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "languages" / "texts.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines()][::30]
    source = tmp_path / "langs"
    source.mkdir()
    for i, text in enumerate([*texts, "Too short to say."]):
        (source / f"{i:03}.txt").write_text(f"A headline\n\n{text}\n", encoding="utf-8")
    settings = PackSettings(
        "langs",
        "1.0.0",
        CREATED,
        jobs=jobs,
        rights_holder="Tarn Gazette",
        relations=False,
        unit_files=10,  # many units: both workers pack some
    )
    found = rows(pack([source], tmp_path / "dist", settings).path)
    assert len(found) == len(texts) + 1
    languages = set()
    for row in found:
        alone = extract_text_capture(row["capture_text"], Hints())
        assert row["language"] == alone.language
        entries = [(p["field"], p["method"], p["evidence"]) for p in row["provenance"]]
        assert entries[:-2] == [(p.field, p.method, p.evidence) for p in alone.provenance]
        assert [field for field, _, _ in entries[-2:]] == ["rights_holder", "redistribution"]
        assert ("language-unknown" in row["flags"]) == (alone.language is None)
        assert row["flags"] == sorted(row["flags"])
        languages.add(row["language"])
    assert len(languages) > 10 and None in languages


def test_records_wait_for_their_languages_in_batches_cut_by_count_and_by_weight(monkeypatch):
    """Outcomes wait in order, in batches of ``LANGUAGE_BATCH`` (quarantine entries count),
    or fewer when their records weigh ``LANGUAGE_BATCH_CHARS`` (characters, and each span as
    64: a capture of many short paragraphs is light in characters only), and the last batch
    is not forgotten."""
    batches = []

    def spy(batch, name):
        batches.append([getattr(o, "record_id", None) or o.source_path for o in batch])
        return list(batch)

    monkeypatch.setattr(stages, "with_languages", spy)
    monkeypatch.setattr(stages, "LANGUAGE_BATCH", 4)
    monkeypatch.setattr(stages, "LANGUAGE_BATCH_CHARS", 10_000)
    extract = partial(extract_text_capture, language=False)

    def record(name: str, body: str):
        raw = f"A headline\n\n{body}\n".encode()
        made = text_record(name, raw, None, None, SETTINGS, extract, "x/1")
        return replace(made, record_id=name)

    story = "The ferry to Tarn Island sailed again on Wednesday after the storm."
    dense = record("dense", "\n\n".join(["ab"] * 200))  # 800 characters, 200 spans
    assert len(dense.capture_text) + len(dense.text) < 10_000 < held_weight(dense)
    quarantined = QuarantineEntry("q.txt", "binary", "not text")
    outcomes = [record("r0", story), record("r1", story), quarantined, record("r2", story)]
    outcomes += [dense, record("r3", story), record("r4", story), record("r5", story)]
    found = list(stages._languages_added(iter(outcomes), "x/1"))
    assert found == outcomes
    assert batches == [["r0", "r1", "q.txt", "r2"], ["dense"], ["r3", "r4", "r5"]]


# --- a capture log that grew by lines added at its end ---------------------------------------

_LOG_LINES = st.sampled_from(
    [
        '{"path": "a.txt", "url": "https://tarn.example/a"}',
        '{"path": "b.txt", "retrieved_at": "2026-02-01T09:00:00+01:00", "agent": "crawler 2"}',
        '{"path": "c/d.txt", "outlet": "Tarn Gazette", "desk": "harbour"}',
        '{"path": "e.txt", "published_at": "2026-02-30"}',
        '{"path": "../f.txt"}',
        "not json",
        "",
        "[1, 2]",
        '{"path": "g\\u00e9.txt", "url": "https://tarn.example/\\u2028"}',
    ]
    + [f'{{"path": "n{n}.txt", "agent": "line {n}"}}' for n in range(6)]
)


def _log_text(lines: list[str], endings: list[str]) -> str:
    return "".join(line + end for line, end in zip(lines, endings, strict=True))


def _problems(log: CaptureLog) -> list[tuple]:
    return [(p.path, p.line, p.message) for p in log.problems]


def _index_rows(path: Path) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT path, line, entry, capture FROM log ORDER BY path").fetchall()
    finally:
        db.close()


def _built(log: Path, index: Path, parent: Path | None, keep: CacheDir | None):
    """(what ``indexed_log`` gives, or the refusal's message)."""
    try:
        return indexed_log(log, index, parent, keep)
    except UsageError as exc:
        return str(exc)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(_LOG_LINES, min_size=1, max_size=40),
    crlf=st.lists(st.booleans(), min_size=40, max_size=40),
    cut=st.integers(0, 40),
)
def test_a_log_grown_at_its_end_is_indexed_from_its_new_lines_as_if_read_whole(
    lines, crlf, cut, tmp_path_factory
):
    """The next version's log is the last one with lines added: its index is the kept one
    with the new lines read (numbered on from the kept ones), the same rows, problems (in
    order) and refusal as the log read whole."""
    tmp = tmp_path_factory.mktemp("grown")
    endings = ["\r\n" if c else "\n" for c in crlf[: len(lines)]]
    cut = min(cut, len(lines) - 1)
    log = tmp / "captures.jsonl"
    log.write_text(_log_text(lines[:cut], endings[:cut]), encoding="utf-8", newline="")
    parent = tmp / "dist" / "t-1.0.0"
    _built(log, tmp / "first.sqlite", None, CacheDir.beside(parent))
    log.write_text(_log_text(lines, endings), encoding="utf-8", newline="")
    read = []
    real_build = CaptureLog.build

    def build(path, index, after=None):
        read.append(after)
        return real_build(path, index, after)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CaptureLog, "build", build)
        grown = _built(log, tmp / "grown.sqlite", parent, None)
    whole = _built(log, tmp / "whole.sqlite", None, None)
    if isinstance(whole, str):
        assert grown == whole
        return
    meta = CacheDir.beside(parent).log_meta()  # none kept when the first log was refused
    kept = json.loads(meta.read_bytes()) if meta.is_file() else {}
    assert read == [None] if not isinstance(kept.get("lines"), int) else read[0] is not None
    assert (grown.size, grown.sha256) == (whole.size, whole.sha256)
    assert _problems(grown) == _problems(whole)
    assert _index_rows(tmp / "grown.sqlite") == _index_rows(tmp / "whole.sqlite")


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        ('{"path": "a.txt"}', "its last line has no line break"),
        ('{"path": "a.txt"}\r{"path": "b.txt"}\n', "a line ends in a lone carriage return"),
    ],
)
def test_a_log_whose_kept_lines_cannot_be_counted_is_read_whole_when_it_grows(
    tmp_path, first, reason
):
    log = tmp_path / "captures.jsonl"
    log.write_bytes(first.encode())
    parent = tmp_path / "dist" / "t-1.0.0"
    indexed_log(log, tmp_path / "first.sqlite", None, CacheDir.beside(parent))
    assert json.loads(CacheDir.beside(parent).log_meta().read_bytes())["lines"] is None, reason
    log.write_bytes(first.encode() + b'{"path": "c.txt"}\n{"path": "a.txt"}\n')
    grown = indexed_log(log, tmp_path / "grown.sqlite", parent, None)
    whole = CaptureLog.build(log, tmp_path / "whole.sqlite")
    assert _problems(grown) == _problems(whole) and grown.size == whole.size
    assert _index_rows(tmp_path / "grown.sqlite") == _index_rows(tmp_path / "whole.sqlite")


def test_a_log_grown_from_a_kept_index_gone_bad_is_read_whole(tmp_path):
    log = tmp_path / "captures.jsonl"
    log.write_text('{"path": "a.txt"}\n', "utf-8")
    parent = tmp_path / "dist" / "t-1.0.0"
    indexed_log(log, tmp_path / "first.sqlite", None, CacheDir.beside(parent))
    CacheDir.beside(parent).log_index().write_bytes(b"not an index " * 100)
    log.write_text('{"path": "a.txt"}\n{"path": "b.txt"}\n', "utf-8")
    grown = indexed_log(log, tmp_path / "grown.sqlite", parent, None)
    assert grown.size == 2 and not grown.problems
    assert [row[:2] for row in _index_rows(tmp_path / "grown.sqlite")] == [
        ("a.txt", 1),
        ("b.txt", 2),
    ]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_line_as_long_as_a_log_line_may_be_keeps_the_lines_after_it_numbered(tmp_path, ending):
    """A line of exactly ``MAX_LINE_CHARS`` characters is read up to its "\r" alone, its "\n"
    next: that is the end of the same line, not a blank line (the lines after it were numbered
    one too far in a CRLF log), and a log grown from it numbers its new lines as read whole."""
    long_line = json.dumps({"path": "a.txt", "note": "x" * (capturelog.MAX_LINE_CHARS - 29)})
    assert len(long_line) == capturelog.MAX_LINE_CHARS
    first = [long_line, '{"path": "b.txt"}']
    log = tmp_path / "captures.jsonl"
    log.write_text(ending.join(first) + ending, "utf-8", newline="")
    parent = tmp_path / "dist" / "t-1.0.0"
    kept = indexed_log(log, tmp_path / "first.sqlite", None, CacheDir.beside(parent))
    assert [row[:2] for row in _index_rows(tmp_path / "first.sqlite")] == [
        ("a.txt", 1),
        ("b.txt", 2),
    ]
    assert kept.size == 2
    grown_lines = [*first, '{"path": "c.txt"}', '{"path": "b.txt"}']
    log.write_text(ending.join(grown_lines) + ending, "utf-8", newline="")
    grown = indexed_log(log, tmp_path / "grown.sqlite", parent, None)
    whole = CaptureLog.build(log, tmp_path / "whole.sqlite")
    assert (
        _problems(grown)
        == _problems(whole)
        == [("captures.jsonl", 4, "path 'b.txt' already given on an earlier line")]
    )
    assert _index_rows(tmp_path / "grown.sqlite") == _index_rows(tmp_path / "whole.sqlite")


def test_a_grown_log_with_a_line_that_is_not_utf8_reads_as_the_whole_log_does(tmp_path):
    log = tmp_path / "captures.jsonl"
    log.write_bytes(b'{"path": "a.txt"}\n')
    parent = tmp_path / "dist" / "t-1.0.0"
    indexed_log(log, tmp_path / "first.sqlite", None, CacheDir.beside(parent))
    log.write_bytes(b'{"path": "a.txt"}\n{"path": "c.txt"}\n\xff\n{"path": "d.txt"}\n')
    grown = indexed_log(log, tmp_path / "grown.sqlite", parent, None)
    whole = CaptureLog.build(log, tmp_path / "whole.sqlite")
    for read in (grown, whole):
        assert [(p.line, p.message) for p in read.problems] == [(3, "not UTF-8")]
        assert read.size == 3 and read.stored("d.txt") is not None


@pytest.mark.parametrize(
    "meta",
    [
        {"problems": []},
        {"size": 1, "problems": [["log", "one", "bad"]]},
        {"size": 1},
        [],
        {"size": 1, "problems": [], "bytes": "18"},
    ],
)
def test_a_kept_log_meta_not_said_in_full_is_not_used(tmp_path, meta):
    log = tmp_path / "captures.jsonl"
    log.write_text('{"path": "a.txt"}\n', "utf-8")
    parent = tmp_path / "dist" / "t-1.0.0"
    indexed_log(log, tmp_path / "first.sqlite", None, CacheDir.beside(parent))
    kept = json.loads(CacheDir.beside(parent).log_meta().read_bytes())
    if isinstance(meta, dict):
        kept = {k: v for k, v in kept.items() if k not in ("size", "problems")} | meta
    else:
        kept = meta
    CacheDir.beside(parent).log_meta().write_text(json.dumps(kept), "utf-8")
    log.write_text('{"path": "a.txt"}\n{"path": "b.txt"}\n', "utf-8")
    assert indexed_log(log, tmp_path / "grown.sqlite", parent, None).size == 2


def test_a_re_pack_whose_log_grew_equals_one_that_read_the_log_whole(tmp_path):
    """A second version whose capture log has lines added (new captures, and a line naming
    an old one again) gives the release that reading the whole log gives."""
    root = tmp_path / "captures"
    root.mkdir()
    lines = []
    for n in range(12):
        (root / f"s{n:02d}.txt").write_text(
            f"Ferry timetable changes, part {n}\n\nThe Tarn ferry sails at {n} o'clock.\n",
            "utf-8",
        )
        lines.append(json.dumps({"path": f"s{n:02d}.txt", "url": f"https://tarn.example/{n}"}))
    log = tmp_path / "captures.jsonl"
    log.write_text("\n".join(lines[:8]) + "\n", "utf-8")
    settings_v1 = PackSettings("grown", "1.0.0", CREATED, shards=2)
    pack([root], tmp_path / "dist", settings_v1, capture_log=log)
    lines.append(json.dumps({"path": "s03.txt", "url": "https://tarn.example/again"}))
    log.write_text("\n".join(lines) + "\n", "utf-8")
    v2 = replace(settings_v1, version="1.1.0")
    grown = pack([root], tmp_path / "dist", v2, capture_log=log)
    assert grown.manifest["capture_log"]["bad_lines"] == 1  # line 13 gives s03.txt again
    shutil.copytree(tmp_path / "dist", tmp_path / "whole")
    shutil.rmtree(tmp_path / "whole" / "grown-1.1.0")
    cache = tmp_path / "whole" / ".archive-cache"
    shutil.rmtree(cache / "grown-1.1.0")
    (cache / "grown-1.0.0" / "log.sqlite").unlink()  # the log is read whole
    whole = pack([root], tmp_path / "whole", v2, capture_log=log)
    assert release_files(grown.path) == release_files(whole.path)
    for relative in release_files(whole.path) + ["manifest.json"]:
        assert (grown.path / relative).read_bytes() == (whole.path / relative).read_bytes()


def test_an_output_folder_inside_the_source_is_not_read(corpus, tmp_path, monkeypatch, runner):
    """``archive pack .`` writes to ./dist, inside the source: the second version read the
    first's BagIt files as news and quarantined its pack cache, and the first quarantined its
    own work file, whose name holds the process id (so two packs differed)."""
    from archive.cli import main

    def digests(release: Path) -> dict[str, str]:
        return {
            p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(release.rglob("*"))
            if p.is_file()
        }

    options = ["--name", "c", "--created", "2026-01-01T00:00:00Z"]
    outside = tmp_path / "outside"
    assert runner.invoke(main, ["pack", str(corpus), "--out", str(outside), *options,
                                "--version", "1.0.0"]).exit_code == 0  # fmt: skip
    monkeypatch.chdir(corpus)
    for version in ("1.0.0", "1.1.0"):
        result = runner.invoke(main, ["pack", ".", *options, "--version", version])
        assert result.exit_code == 0, result.output
        said = f"archive: dist, the output folder, is inside the source {corpus}: not read"
        assert said in result.stderr.splitlines()
    first, second = corpus / "dist" / "c-1.0.0", corpus / "dist" / "c-1.1.0"
    assert digests(first) == digests(outside / "c-1.0.0")
    counts = json.loads((second / "manifest.json").read_bytes())["counts"]
    assert counts == json.loads((first / "manifest.json").read_bytes())["counts"] | {"reused": 6}
    dry = runner.invoke(main, ["pack", ".", *options, "--version", "1.2.0", "--dry-run", "--json"])
    assert json.loads(dry.stdout)["counts"] == counts
    result = runner.invoke(main, ["pack", ".", "--out", ".", *options, "--version", "2.0.0"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"archive: error: the output folder . is the source folder {corpus}: its releases would "
        "be read as captures; give another --out\n"
    )
