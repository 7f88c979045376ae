"""A unit's fragments are built a column at a time, and its furniture contributions as it
extracts: the rows ``record_row`` gives, byte for byte, and the contributions the written rows
give back when they are read."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from archive.extract import apply_learned, extract_text_capture
from archive.extract.learned import LearnedFurniture, extraction_contribution, paragraph_key
from archive.format.parquetio import rows_filed_under_each
from archive.format.rows import record_row, record_table
from archive.format.schema import RECORD_ARROW_SCHEMA
from archive.model import CaptureInfo, Extraction, Provenance
from archive.records import text_record
from archive.release.stages import (
    CONTRIBUTION_SCHEMA,
    _contributions,
    _ShardBuffers,
    contribution_table,
)
from archive.release.workdir import TaskDir
from archive.settings import PackSettings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "captures"
SETTINGS = PackSettings("t", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC))
TAGLINE = "Read the Tarn Gazette every morning for the news from the valley and the coast."


def _story(n: int) -> bytes:
    return (
        f"Story number {n} from the valley\n\n"
        f"Residents of village {n} met on Tuesday evening to discuss the plans for road {n}.\n\n"
        f"{TAGLINE}\n\n"
        f"The meeting for village {n} ended after two hours without a vote on road {n}."
    ).encode()


def _extracted(path: str, raw: bytes):
    return text_record(path, raw, None, None, SETTINGS, extract_text_capture, "archive-text/t")


def _examples() -> list:
    files = sorted(EXAMPLES.rglob("*.txt"))
    assert files
    found = [_extracted(f"examples/{f.relative_to(EXAMPLES)}", f.read_bytes()) for f in files]
    return [r for r in found if not hasattr(r, "reason")]


def _every_field_set(record):
    """A record with the fields a text capture rarely has: a WARC capture, stated dates at two
    precisions, provenance without a location, a duplicate link."""
    when = datetime(2024, 6, 11, 22, 30, tzinfo=UTC)
    capture = CaptureInfo(
        "crawl/a.warc.gz",
        "https://example.org/a",
        when,
        "crawler/1",
        "text/plain; charset=utf-8",
        "a.warc.gz",
        1234,
        "<urn:uuid:1>",
        when,
        200,
        "192.0.2.1",
        "sha1:ABC",
        '{"k":"v"}',
    )
    return replace(
        record,
        capture=capture,
        title="A title",
        standfirst="A standfirst",
        authors=("Ann Reed", "Bo Lind"),
        outlet="Tarn Gazette",
        published_at=when,
        published_precision="minute",
        published_utc_offset=540,
        modified_at=when,
        modified_utc_offset=-300,
        language="en",
        site_name="Tarn",
        categories=("news", "valley"),
        rights_holder="Tarn Ltd",
        redistribution="metadata-only",
        provenance=(*record.provenance, Provenance("title", "html-meta", "<title>")),
        flags=("a", "b"),
        duplicate_of="0" * 32,
        raw_encoding_confidence=None,
    )


def _records() -> list:
    examples = _examples()
    first = examples[0]
    empty = replace(first, record_id="f" * 32, spans=(), provenance=(), authors=(), flags=())
    day = replace(_every_field_set(first), record_id="e" * 32, published_precision="day")
    return [*examples, _every_field_set(examples[1]), empty, day]


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


@pytest.mark.parametrize("cut", [1, 2, 5, None])
def test_a_fragment_built_by_column_is_the_one_built_from_rows(cut):
    records = _records()[:cut]
    by_rows = pa.Table.from_pylist([record_row(r) for r in records], schema=RECORD_ARROW_SCHEMA)
    by_columns = record_table(records)
    assert by_columns.equals(by_rows)
    assert _ipc_bytes(by_columns) == _ipc_bytes(by_rows)


def _learning_buffers(tmp_path, shards: int = 2) -> _ShardBuffers:
    ctx = SimpleNamespace(shards=shards, work=TaskDir(tmp_path))
    return _ShardBuffers(ctx, unit=3, limit=4, learning=True)


def _stories() -> list:
    """Text records of one outlet sharing a tagline, one of them with it already learned (a
    row of an earlier pack), and one HTML record, which contributes nothing."""
    stories = [
        replace(_extracted(f"s/{n}.txt", _story(n)), outlet="Tarn Gazette") for n in range(7)
    ]
    learned = LearnedFurniture((("Tarn Gazette", paragraph_key(TAGLINE), 10),), 10)
    last = stories[-1]
    extraction = Extraction(text=last.text, spans=last.spans, outlet=last.outlet)
    applied = apply_learned(last.capture_text, extraction, learned)
    assert any(s.kind == "furniture-learned" for s in applied.spans)
    stories[-1] = replace(last, spans=applied.spans, text=applied.text)
    html = replace(stories[0], record_id="a" * 32, media_type="text/html")
    return [*stories, html]


def test_contributions_filed_at_extraction_are_those_the_written_rows_give(tmp_path):
    buffers = _learning_buffers(tmp_path)
    records = [*_records(), *_stories()]
    for record in records:
        buffers.add(record)
    buffers.flush()
    work = buffers.ctx.work
    filed, from_rows = [], []
    # a flush of rows with nothing to contribute (HTML, say) has no file beside it
    assert 0 < len(work.unit_contributions()) <= len(work.fragments())
    for shard in range(2):
        for path in work.unit_contributions():
            table = rows_filed_under_each(path, (shard,), CONTRIBUTION_SCHEMA).get(shard)
            filed.extend(table.to_pylist() if table is not None else [])
        for path in work.fragments():
            rows = rows_filed_under_each(path, (shard,), RECORD_ARROW_SCHEMA).get(shard)
            if rows is not None:
                from_rows.extend(contribution_table(list(_contributions(rows))).to_pylist())
    by_id = sorted(filed, key=lambda c: c["record_id"])
    assert by_id == sorted(from_rows, key=lambda c: c["record_id"])
    ids = {c["record_id"] for c in filed}
    assert "a" * 32 not in ids  # HTML
    stories = {r.record_id: r for r in _stories()[:-1]}
    assert set(stories) <= ids
    # the learned story counts its tagline as extraction left it: as its sister stories do
    tagline = paragraph_key(TAGLINE)
    assert all(tagline in c["keys"] for c in filed if c["record_id"] in stories)


def test_without_learning_no_contribution_is_filed(tmp_path):
    ctx = SimpleNamespace(shards=1, work=TaskDir(tmp_path))
    buffers = _ShardBuffers(ctx, unit=0)
    for record in _stories():
        buffers.add(record)
    buffers.flush()
    assert ctx.work.fragments() and not ctx.work.unit_contributions()


_SHARDS = 16  # a record id's first hex digit is its shard


@pytest.mark.parametrize(
    "shards_added",
    [
        [5] * 9,  # one shard
        list(range(_SHARDS)) * 2,  # every shard, twice over
        [9, 2, 9, 14, 2, 2, 9, 0, 14, 9, 2],  # a few shards apart, interleaved
    ],
)
def test_each_file_of_a_flush_holds_its_shards_rows_in_the_order_added(tmp_path, shards_added):
    """A flush makes one table of what it holds and files it as one fragment (and one
    contribution file) with a batch per shard: each batch holds its shard's rows as a table of
    them alone would, in the order they were added, across flushes, and a batch is there
    exactly when its shard has rows. The files are one per flush, whatever the shards."""
    ctx = SimpleNamespace(shards=_SHARDS, work=TaskDir(tmp_path))
    buffers = _ShardBuffers(ctx, unit=4, limit=7, learning=True)
    added = []
    for n, shard in enumerate(shards_added):
        record = replace(_extracted(f"s/{n}.txt", _story(n)), outlet="Tarn Gazette")
        record = replace(record, record_id=f"{shard:x}{n:031x}")
        if n % 4 == 3:  # HTML: a row with nothing to contribute
            record = replace(record, media_type="text/html")
        added.append((shard, record))
        buffers.add(record)
    buffers.flush()
    flushes = [added[k : k + 7] for k in range(0, len(added), 7)]
    assert buffers.parts == len(flushes)
    contributed = 0
    for part, flushed in enumerate(flushes):
        for shard in range(_SHARDS):
            mine = [r for s, r in flushed if s == shard]
            found = [
                (r.record_id, *extraction_contribution(r.capture_text, r.spans, r.outlet))
                for r in mine
                if r.media_type == "text/plain"
            ]
            rows = rows_filed_under_each(
                ctx.work.fragment(4, part), (shard,), RECORD_ARROW_SCHEMA
            ).get(shard)
            contribution = ctx.work.unit_contribution(4, part)
            taught = rows_filed_under_each(contribution, (shard,), CONTRIBUTION_SCHEMA).get(shard)
            assert (rows is not None, taught is not None) == (bool(mine), bool(found))
            if mine:
                assert rows.equals(record_table(mine))
            if found:
                assert taught.equals(contribution_table(found))
                contributed += 1
    assert contributed
    assert len(ctx.work.fragments()) == len(flushes)
