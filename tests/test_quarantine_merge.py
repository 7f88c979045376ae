"""The release's quarantine file is merged from sorted fragments a batch of each at a time, and
is the same file one sort of every entry gives: by path, then offset (nulls last), ties in
fragment order."""

from __future__ import annotations

import json
import random
from unittest.mock import patch

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.format import parquetio
from archive.format.manifest import canonical_line
from archive.format.parquetio import iter_ipc_batches
from archive.format.schema import QUARANTINE_ARROW_SCHEMA
from archive.release import assemble
from archive.release.assemble import write_quarantine
from archive.release.stages import QUARANTINE_BATCH_ROWS, write_quarantine_fragment
from archive.release.workdir import WorkDir

_ROW = st.fixed_dictionaries(
    {
        "source_path": st.sampled_from(["a.warc.gz", "b.txt", "é.txt", "a.warc", "z/x.txt"]),
        "reason": st.sampled_from(["empty", "binary", "truncated"]),
        "message": st.text(max_size=5),
        "bytes": st.none() | st.integers(0, 2**40),
        "sha256": st.none() | st.just("0" * 64),
        "offset": st.none() | st.integers(0, 3) | st.just(2**40),
    }
)


def one_sort(fragments: list[list[dict]]) -> bytes:
    """The file as the whole set of entries sorted at once gives it (Arrow's stable sort)."""
    tables = [pa.Table.from_pylist(rows, schema=QUARANTINE_ARROW_SCHEMA) for rows in fragments]
    table = pa.concat_tables(tables) if tables else QUARANTINE_ARROW_SCHEMA.empty_table()
    rows = table.sort_by([("source_path", "ascending"), ("offset", "ascending")]).to_pylist()
    return b"".join(canonical_line(row) for row in rows)


def written(tmp_path, fragments: list[list[dict]]) -> tuple[bytes, assemble.QuarantineSummary]:
    workdir = WorkDir.local(tmp_path, "q-1.0.0")
    workdir.release().mkdir(parents=True, exist_ok=True)
    for unit, rows in enumerate(fragments):
        write_quarantine_fragment(workdir.tasks.unit_quarantine(unit), rows)
    summary = write_quarantine(workdir)
    return workdir.quarantine_file().read_bytes(), summary


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_ROW, max_size=12), max_size=9), st.sampled_from([2, 3, 128]))
def test_the_merge_is_the_one_sort(tmp_path_factory, fragments, fan_in):
    """Unsorted fragments, equal keys across them, null and set offsets for one path; merged
    ``fan_in`` files at a time."""
    with patch.object(assemble, "_FAN_IN", fan_in):
        data, summary = written(tmp_path_factory.mktemp("q"), fragments)
    assert data == one_sort(fragments)
    rows = [row for rows in fragments for row in rows]
    assert summary.rows == len(rows)
    assert summary.reasons == {r: sum(x["reason"] == r for x in rows) for r in summary.reasons}
    assert all(summary.reasons.values()) and sum(summary.reasons.values()) == len(rows)


def test_fragments_hold_small_sorted_batches(tmp_path):
    rows = [
        {"source_path": f"{n % 7}.txt", "reason": "empty", "message": "", "offset": None}
        for n in range(3 * QUARANTINE_BATCH_ROWS)
    ]
    random.Random(1).shuffle(rows)
    path = tmp_path / "unit.arrow"
    write_quarantine_fragment(path, rows)
    batches = list(iter_ipc_batches(path))
    assert max(len(b) for b in batches) == QUARANTINE_BATCH_ROWS
    paths = [p for b in batches for p in b["source_path"].to_pylist()]
    assert paths == sorted(paths)


@pytest.mark.parametrize("fan_in", [2, 128])
def test_many_fragments_are_merged_a_few_files_at_a_time(tmp_path, fan_in):
    fragments = [
        [{"source_path": f"{(n * 37 + k) % 101:03d}.txt", "reason": "empty", "message": str(n)}
         for k in range(5)]
        for n in range(40)
    ]  # fmt: skip
    counted = patch.object(parquetio, "allow_open_files", side_effect=parquetio.allow_open_files)
    with patch.object(assemble, "_FAN_IN", fan_in), counted as opened:
        data, summary = written(tmp_path, fragments)
    assert data == one_sort(fragments) and summary.rows == 200
    assert max(call.args[0] for call in opened.call_args_list) <= min(fan_in, 40) + 64
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert [x["source_path"] for x in lines] == sorted(x["source_path"] for x in lines)
