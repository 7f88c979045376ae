"""The batch forms of verify's row checks against the row-by-row Python they replace: a body
cut from its spans in Arrow (E026), the text hashes from Arrow's buffers (E012), the schema
checks by column (E011). Expected values come from plain Python slicing, ``hashlib`` and the
per-value rules, never from the code under test."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from archive.format.schema import SPAN_TYPE, _breaches, _leaf_rule
from archive.runtime.process import ARROW_POOL_VARIABLE, system_allocator_inherited
from archive.verification.shards import (
    _bodies_as_cut,
    _code_point_counts,
    _same_ranges,
    continuation_bytes,
    mismatched_hashes,
    unfounded_bodies,
)

EXTRACTOR = "archive-text/text-1.4.0"
KINDS = ("body", "subheading", "headline", "furniture-other", None)
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
bounds = st.one_of(st.none(), st.integers(-3, 50))
span = st.tuples(bounds, bounds, st.sampled_from(KINDS))


def python_join(capture: str, spans: list) -> str:
    """The body as cut by hand: the body and subheading spans, sliced as Python slices."""
    return "\n\n".join(capture[s:e] for s, e, kind in spans if kind in ("body", "subheading"))


def table_of(rows: list[tuple[str, list, str | None]], extractor: str = EXTRACTOR) -> pa.Table:
    spans = [
        [{"start": s, "end": e, "kind": k, "rule": "r"} for s, e, k in row_spans]
        for _, row_spans, _ in rows
    ]
    # Null bounds and kinds break SPAN_TYPE's non-null fields: the same fields, all nullable.
    loose = pa.struct([pa.field(f.name, f.type) for f in SPAN_TYPE])
    return pa.table(
        {
            "record_id": [f"{i:032x}" for i in range(len(rows))],
            "capture_text": [capture for capture, _, _ in rows],
            "spans": pa.array(spans, pa.list_(loose)),
            "text": pa.array([text for _, _, text in rows], pa.string()),
            "text_sha256": ["0" * 64] * len(rows),
            "extractor": [extractor] * len(rows),
            "media_type": ["text/plain"] * len(rows),
        }
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(texts, st.lists(span, max_size=6), st.booleans()), max_size=8))
def test_a_cut_body_is_what_python_slices_and_joins(rows):
    built = []
    for capture, spans, faithful in rows:
        text = python_join(capture, spans)
        built.append((capture, spans, text if faithful else text + "x"))
    table = table_of(built)
    cut = _bodies_as_cut(table)
    if built:  # the continuation bytes passed in are those it finds
        found_before = continuation_bytes(table["capture_text"].chunk(0))
        assert list(_bodies_as_cut(table, found_before)) == list(cut)
    for (capture, spans, text), found in zip(built, cut, strict=True):
        if sound_and_in_order(capture, spans):  # the batch form decides every such row
            assert found == (python_join(capture, spans) == text)
        else:
            assert not found  # left to the row-by-row check


def sound_and_in_order(capture: str, spans: list) -> bool:
    """Every body span has bounds, none negative, and each starts at or after the end of the
    one before, as Python slices them (bounds past the text at its end, an end before its
    start at its start)."""
    body = [(s, e) for s, e, kind in spans if kind in ("body", "subheading")]
    if any(s is None or e is None or s < 0 or e < 0 for s, e in body):
        return False
    size = len(capture)
    cut = [(min(s, size), max(min(e, size), min(s, size))) for s, e in body]
    return all(start >= end for (_, end), (start, _) in zip(cut, cut[1:], strict=False))


def test_long_and_short_paragraphs_of_accented_text():
    capture = "Caf\u00e9 \u201cquoted\u201d \U0001f600 emoji and a much longer paragraph here"
    spans = [(0, 4, "body"), (5, 13, "body"), (14, 15, "subheading"), (16, 60, "body")]
    good = python_join(capture, spans)
    assert good.startswith("Caf\u00e9\n\n\u201cquoted\u201d\n\n\U0001f600\n\nemoji")
    rows = [
        (capture, spans, good),
        (capture, spans, good.replace("emoji", "emojI")),
        (capture, spans, good.replace("\n\n", "\r\n", 1)),  # the same length, not blank
        (capture, spans, good.replace("\n\n", "\n\n\n", 1)[:-1]),  # a paragraph moved
    ]
    assert list(_bodies_as_cut(table_of(rows))) == [True, False, False, False]


def test_rows_left_to_python_are_decided_there():
    """Body spans out of order: the text joined in their order, or another text whose hash
    is that of the body they mark, is founded; a hash of anything else is not."""
    capture = "first part, second part"
    spans = [(12, 23, "body"), (0, 10, "body")]
    joined = python_join(capture, spans)
    table = table_of([(capture, spans, joined), (capture, spans, "first part\n\nsecond part")])
    for hashes, unfounded in (
        ([sha(joined), sha(joined)], []),
        ([sha(joined), sha("first part\n\nsecond part")], ["0" * 31 + "1"]),
    ):
        batch = table.set_column(4, "text_sha256", pa.array(hashes)).to_batches()[0]
        assert unfounded_bodies(batch) == unfounded


def test_byte_ranges_out_of_order_or_outside_their_buffer_are_never_the_same():
    data = pa.py_buffer(b"abcabc")
    back = np.array([0, 3]), np.array([3, 0]), np.array([3, 3])
    assert _same_ranges(*back, data, data).tolist() == [False, False]  # the right side goes back
    assert _same_ranges(np.array([0, 3]), np.array([0, 3]), np.array([3, 3]), data, data).all()
    beyond = np.array([0, 4]), np.array([0, 4]), np.array([3, 3])
    assert _same_ranges(*beyond, data, data).tolist() == [False, False]


def test_spans_out_of_order_or_overlapping_are_left_to_python():
    """Only the row whose spans go back is left: the rows beside it are still decided."""
    capture = "first part, second part"
    ordered = [(0, 10, "body"), (12, 23, "body")]
    for spans in ([(12, 23, "body"), (0, 10, "body")], [(0, 10, "body"), (6, 23, "body")]):
        rows = [(capture, s, python_join(capture, s)) for s in (ordered, spans, ordered)]
        assert list(_bodies_as_cut(table_of(rows))) == [True, False, True]


def test_rows_of_the_plain_extractor_and_null_texts_are_left_to_python():
    capture = "One.\n\nTwo."
    spans = [(0, 4, "body")]
    assert list(_bodies_as_cut(table_of([(capture, spans, "One.")], "archive-plain/1"))) == [False]
    assert list(_bodies_as_cut(table_of([(capture, spans, None)]))) == [False]


def test_a_sliced_batch_reads_its_own_rows():
    rows = [("abc def", [(0, 3, "body")], "abc"), ("\u00e9\u00e9 ghi", [(3, 6, "body")], "ghi")]
    table = table_of(rows * 3).slice(2, 3).combine_chunks()
    assert list(_bodies_as_cut(table)) == [True, True, True]


LEAVES = (
    "/record_id",
    "/raw_encoding",
    "/language",
    "/flags/*",
    "/capture/http_status",
    "/published_precision",
    "/spans/*/kind",
    "/duplicate_of",
    "/provenance/*/start",
)
strings = st.one_of(
    st.none(),
    st.sampled_from(["", "en", "en-GB", "e", "body", "day", "no-body", "Body", "a" * 32]),
    st.text("0123456789abcdefABxyz-", max_size=34),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n")),
)
integers = st.one_of(st.none(), st.integers(-2000, 2000))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LEAVES), st.data())
def test_schema_counts_by_column_are_the_values_jsonschema_rejects(pointer, data):
    rule = _leaf_rule("record", pointer)
    integer = rule.get("type") in ("integer", ["integer", "null"])
    values = data.draw(st.lists(integers if integer else strings, max_size=30))
    column = pa.array(values, pa.int64() if integer else pa.string())
    assert (_breaches(column, rule) or 0) == rejected(values, rule)
    assert (_breaches(column.slice(1), rule) or 0) == rejected(values[1:], rule)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["/record_id", "/duplicate_of", "/text_sha256"]), st.data())
def test_ids_and_hashes_of_their_width_are_counted_as_jsonschema_counts_them(pointer, data):
    """Values of the pattern's width, one byte of some out of its class (the bytes either side
    of its ranges among them): the byte check decides, not the width."""
    rule = _leaf_rule("record", pointer)
    width = 64 if pointer.endswith("sha256") else 32
    good = st.text("0123456789abcdef", min_size=width, max_size=width)
    # one byte out of the class, or a two-byte character in place of two digits (the width
    # in bytes is kept, the width in characters is not)
    bad = st.tuples(
        good, st.integers(0, width - 2), st.sampled_from(["/", ":", "`", "g", "A", " ", "\u00e9"])
    ).map(
        lambda drawn: (
            drawn[0][: drawn[1]] + drawn[2] + drawn[0][drawn[1] + len(drawn[2].encode()) :]
        )
    )
    values = data.draw(st.lists(st.one_of(st.none(), good, bad), max_size=12))
    assert (_breaches(pa.array(values, pa.string()), rule) or 0) == rejected(values, rule)


def rejected(values: list, rule: dict) -> int:
    """The values jsonschema rejects (a null too, where the rule does not allow one, whatever
    pattern, length or bound it also checks)."""
    check = Draft202012Validator(rule)
    return sum(not check.is_valid(v) for v in values)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), texts), st.sampled_from(["same", "other", "upper"]))),
    st.integers(0, 3),
)
def test_text_hashes_are_compared_as_hashlib_computes_them(rows, start):
    def stated(text, how):
        digest = sha(text or "")
        return {"same": digest, "other": sha(f"{text}!"), "upper": digest.upper()}[how]

    batch = pa.record_batch(
        {
            "record_id": [f"{i:032x}" for i in range(len(rows))],
            "text": pa.array([text for text, _ in rows], pa.string()),
            "text_sha256": [stated(text, how) for text, how in rows],
        }
    ).slice(min(start, len(rows)))
    kept = list(enumerate(rows))[min(start, len(rows)) :]
    # An upper-case digest is not the digest (64 hex digits of SHA-256 all decimal: never seen).
    expected = [f"{i:032x}" for i, (text, how) in kept if text is not None and how != "same"]
    if any(
        text is not None and how == "upper" and not sha(text).isdigit() for _, (text, how) in kept
    ):
        assert expected  # an upper-case digest of a hash with letters is not the hash
    assert mismatched_hashes(batch, "text") == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), texts)), st.integers(0, 3))
def test_code_points_are_counted_as_python_counts_them(values, start):
    """From the continuation bytes found here or passed in, of a sliced array too; a null is
    unbounded; a large string array is counted by Arrow."""
    kept = values[min(start, len(values)) :]
    expected = [np.iinfo(np.int64).max if v is None else len(v) for v in kept]
    array = pa.array(values, pa.string()).slice(min(start, len(values)))
    assert _code_point_counts(array, None).tolist() == expected
    assert _code_point_counts(array, continuation_bytes(array)).tolist() == expected
    assert _code_point_counts(array.cast(pa.large_string()), None).tolist() == expected


def test_forked_workers_report_what_one_process_reports(tmp_path):
    """Two shards, each tampered differently: jobs=2 (forked workers) finds the same problems,
    in the same order, as jobs=1."""
    import shutil

    import pyarrow.parquet as pq
    from conftest import CREATED

    from archive import PackSettings, check_release, pack
    from archive.format.parquetio import write_parquet

    captures = tmp_path / "captures"
    captures.mkdir()
    for index in range(12):
        (captures / f"note-{index}.txt").write_text(
            f"Ferry timetable {index}\n\nThe fictional Skerrow ferry adds sailing {index} "
            f"from May.\n\nTickets cost {index + 3} pounds, the operator said.\n",
            encoding="utf-8",
        )
    settings = PackSettings("forked", "1.0.0", CREATED, shards=2)
    release = pack([captures], tmp_path / "dist", settings).path
    assert check_release(release, jobs=2).ok
    tampered = tmp_path / "tampered" / release.name
    shutil.copytree(release, tampered)
    shards = sorted((tampered / "data").glob("records-*.parquet"))
    assert len(shards) == 2
    for shard, field in zip(shards, ("text", "capture_text"), strict=True):
        table = pq.read_table(shard)
        rows = table.to_pylist()
        rows[0][field] = rows[0][field] + " (edited)"
        write_parquet(pa.Table.from_pylist(rows, schema=table.schema), shard)
    alone, forked = check_release(tampered, jobs=1), check_release(tampered, jobs=2)
    codes = {p.code for p in alone.problems}
    assert {"E007", "E012"} <= codes  # the shards' file hashes, and each shard's text hash
    assert [str(p) for p in forked.problems] == [str(p) for p in alone.problems]
    assert forked.checks == alone.checks and forked.skipped == alone.skipped


def test_a_body_of_invalid_utf8_is_unreadable_even_when_its_hashes_agree(tmp_path):
    """Parquet's reader does not check UTF-8, and the batch checks compare bytes: bytes that
    are not UTF-8 in ``capture_text`` and ``text``, hashed as they are, still fail the shard
    as unreadable (E009), as the row-by-row decoding did."""
    import pyarrow.parquet as pq
    from conftest import CREATED, raw_strings

    from archive import PackSettings, check_release, pack
    from archive.format.parquetio import write_parquet

    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "note.txt").write_text(
        "Ferry note\n\nThe fictional ferry sails at noon.\n", encoding="utf-8"
    )
    release = pack([captures], tmp_path / "dist", PackSettings("u", "1.0.0", CREATED)).path
    shard = next((release / "data").glob("records-*.parquet"))
    table = pq.read_table(shard)
    columns = {name: table[name] for name in table.column_names}
    for name in ("capture_text", "text"):
        raw = columns[name][0].as_py().encode().replace(b"noon", b"no\xffn")
        columns[name] = raw_strings([raw])
        columns[f"{name}_sha256"] = pa.array([hashlib.sha256(raw).hexdigest()])
    write_parquet(pa.table(columns, schema=table.schema), shard)
    for options in ({}, {"sample": 1}):  # every row, or only the sampled ones
        problems = [p for p in check_release(release, **options).problems if p.code == "E009"]
        assert [p.path for p in problems] == [str(shard.relative_to(release))], options
        assert "UTF8" in problems[0].message


def _pool_of_worker(task: tuple, root: str) -> tuple[tuple, str]:
    return task, pa.default_memory_pool().backend_name


def test_forked_workers_allocate_as_archive_processes_do(monkeypatch):
    """An API caller's process may keep pyarrow's default pool; verify's forked workers use
    the system allocator, as the fork server's workers do (archive.runtime.process)."""
    import sys

    import pytest

    from archive.verification import tasks

    if not sys.platform.startswith("linux"):
        pytest.skip("verify forks its workers on Linux only")
    caller = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
    except NotImplementedError:
        pytest.skip("this pyarrow has no mimalloc pool")
    try:
        monkeypatch.setattr(tasks, "_task", _pool_of_worker)
        results = tasks._forked("/nowhere", [("hash", "a"), ("hash", "b")], 2)
    finally:
        pa.set_memory_pool(caller)
    assert set(results.values()) == {"system"}


READS_PARQUET = """
import sys
if sys.argv[2] == "archive":
    from archive.runtime.process import use_system_allocator
    use_system_allocator()
import pyarrow as pa
import pyarrow.parquet as pq
for _ in pq.ParquetFile(sys.argv[1]).iter_batches():
    pass
print(pa.mimalloc_memory_pool().max_memory())
"""
# An API caller's script: pyarrow first, with its own default pool, then archive's workers.
CALLER = """
import sys
import pyarrow
from pages import mimalloc_bytes
from archive.runtime.executors import LocalExecutor
if __name__ == "__main__":
    with LocalExecutor(2) as workers:
        print(sum(workers.map(mimalloc_bytes, [sys.argv[1]] * 2)))
"""
PAGES = """
import pyarrow as pa
import pyarrow.parquet as pq
def mimalloc_bytes(path):
    for _ in pq.ParquetFile(path).iter_batches():
        pass
    return pa.mimalloc_memory_pool().max_memory()
"""


def test_archive_processes_take_arrows_own_pages_from_the_c_library(tmp_path, monkeypatch):
    """``set_memory_pool`` leaves the pool Arrow's C++ code allocates from by itself (the
    Parquet reader's pages): an archive process chooses that one by the environment, before
    pyarrow loads, and so do the workers it starts, even for a caller that loaded pyarrow
    first."""
    try:
        pa.mimalloc_memory_pool()
    except NotImplementedError:
        pytest.skip("this pyarrow has no mimalloc pool")
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"text": ["a paragraph of words " * 40] * 4000}), path)
    (tmp_path / "pages.py").write_text(PAGES)
    (tmp_path / "caller.py").write_text(CALLER)
    monkeypatch.delenv(ARROW_POOL_VARIABLE, raising=False)
    root = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), str(root)]))

    def mimalloc_bytes(*args: str) -> int:
        done = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, check=True, cwd=tmp_path
        )
        return int(done.stdout)

    assert mimalloc_bytes("-c", READS_PARQUET, str(path), "pyarrow") > 0  # the test can tell
    assert mimalloc_bytes("-c", READS_PARQUET, str(path), "archive") == 0
    assert mimalloc_bytes(str(tmp_path / "caller.py"), str(path)) == 0
    with system_allocator_inherited():
        assert mimalloc_bytes("-c", READS_PARQUET, str(path), "pyarrow") == 0
    assert ARROW_POOL_VARIABLE not in os.environ


HEAP = """
import ctypes, sys
import pyarrow as pa
from archive.runtime.process import reuse_freed_memory
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "reuse":
    reuse_freed_memory()
size = 24 * 1024 * 1024
buffer = pa.allocate_buffer(size, memory_pool=pa.system_memory_pool())
mapped = libc.mallinfo2().hblkhd >= size
del buffer
kept = libc.mallinfo2().arena >= size
print(mapped, kept)
"""


def test_a_worker_heap_keeps_a_freed_batch_for_the_next():
    """A 24 MiB Arrow buffer, allocated and freed: C's default heap maps it apart and unmaps
    it when freed (the next one's pages are faulted in again); a verify worker's heap
    (``reuse_freed_memory``) holds it in the heap and keeps it when freed (glibc's own
    account, ``mallinfo2``: bytes mapped apart, bytes of heap)."""
    import ctypes
    import subprocess
    import sys

    import pytest

    if not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("glibc 2.33 or later only")

    def heap(mode: str) -> str:
        run = subprocess.run(
            [sys.executable, "-c", HEAP, mode], capture_output=True, text=True, check=True
        )
        return run.stdout.strip()

    assert heap("default") == "True False"  # mapped apart, not kept
    assert heap("reuse") == "False True"  # in the heap, kept


def test_duplicate_links_read_a_shard_only_with_both_columns_once_each(tmp_path):
    """A shard lacking ``text_sha256`` or holding ``record_id`` twice is not read for the
    originals of duplicates (as ``pq.read_table`` refused it): they stay unfound."""
    import pyarrow.parquet as pq

    from archive.verification.rows import _ids_and_hashes

    ids, hashes = pa.array(["a" * 32]), pa.array(["0" * 64])
    cases = {
        "whole": (pa.table({"record_id": ids, "x": [1], "text_sha256": hashes}), True),
        "lacking": (pa.table({"record_id": ids, "x": [1]}), False),
        "twice": (
            pa.Table.from_arrays([ids, ids, hashes], ["record_id"] * 2 + ["text_sha256"]),
            False,
        ),
    }
    for name, (table, readable) in cases.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
        read = _ids_and_hashes(tmp_path / f"{name}.parquet")
        assert (read is not None) == readable, name
        if readable:
            assert read.to_pydict() == {"record_id": ["a" * 32], "text_sha256": ["0" * 64]}
    assert _ids_and_hashes(tmp_path / "absent.parquet") is None
    (tmp_path / "garbage.parquet").write_bytes(b"PAR1 not really")
    assert _ids_and_hashes(tmp_path / "garbage.parquet") is None


def ascending_ranges(size: int):
    """Ranges (start, length) of a buffer of ``size`` bytes, each starting at or after the
    last one's end."""
    return (
        st.lists(st.integers(0, size), max_size=16)
        .map(sorted)
        .map(lambda cuts: [(a, b - a) for a, b in zip(cuts[0::2], cuts[1::2], strict=False)])
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60), st.binary(max_size=60), st.data())
def test_byte_ranges_of_two_buffers_compare_as_python_compares_their_slices(one, two, draw):
    left = draw.draw(ascending_ranges(len(one)))
    right = draw.draw(ascending_ranges(len(two)))
    count = min(len(left), len(right))
    lengths = [min(a, b) for (_, a), (_, b) in zip(left[:count], right[:count], strict=True)]
    starts = [[at for at, _ in ranges[:count]] for ranges in (left, right)]
    found = _same_ranges(
        np.array(starts[0], np.int64),
        np.array(starts[1], np.int64),
        np.array(lengths, np.int64),
        pa.py_buffer(one) if one else None,
        pa.py_buffer(two) if two else None,
    )
    expected = [
        one[a : a + n] == two[b : b + n]
        for a, b, n in zip(starts[0], starts[1], lengths, strict=True)
    ]
    assert found.tolist() == expected


def test_the_relations_table_starts_first_and_the_file_hashes_last():
    """The one relations table (several relations a record) is the longest task: it starts
    before the shards, whose order is kept, and the short file hashes fill in at the end."""
    from archive.verification.tasks import _longest_first

    tasks = [
        ("hash", "a"),
        ("rows", 0, "data/0", 2, True),
        ("hash", "b"),
        ("rows", 1, "data/1", 2, True),
        ("relations", "relations/relations.parquet", False),
    ]
    assert _longest_first(tasks) == [tasks[4], tasks[1], tasks[3], tasks[0], tasks[2]]


def test_continuation_bytes_are_found_over_a_whole_batch_only_when_every_body_is_checked(
    tmp_path, monkeypatch
):
    """A batch whose bodies are all checked finds capture_text's continuation bytes once, for
    the bodies and the offsets both; one that holds a page (whose body is not checked) finds
    them over the checked rows alone, in the body check, and the offsets are counted by Arrow:
    the same problems either way."""
    from conftest import pack_example

    from archive.records import HTML_EXTRACTOR_NAME
    from archive.verification import shards

    release = pack_example(tmp_path)
    batch = pq.read_table(release / "data" / "records-00000-of-00001.parquet").to_batches()[0]
    page = batch.num_rows - 1
    extractors = batch.column("extractor").to_pylist()
    media = batch.column("media_type").to_pylist()
    extractors[page], media[page] = f"{HTML_EXTRACTOR_NAME}/1", "text/html"
    with_page = batch.set_column(
        batch.schema.get_field_index("extractor"), "extractor", pa.array(extractors)
    )
    with_page = with_page.set_column(
        batch.schema.get_field_index("media_type"), "media_type", pa.array(media)
    )
    scanned: list[int] = []
    find = shards.continuation_bytes
    monkeypatch.setattr(
        shards, "continuation_bytes", lambda strings: scanned.append(len(strings)) or find(strings)
    )
    for each, expected in ((batch, [batch.num_rows]), (with_page, [batch.num_rows - 1])):
        scanned.clear()
        result = shards.ShardRows()
        shards._add_invariants(result, each, "data/x.parquet", dehydrated=False)
        assert scanned == expected and result.problems == []


def test_the_bodies_of_the_rows_kept_are_cut_with_their_own_continuation_bytes(monkeypatch):
    """A batch holding a page: the body check reads the other rows alone, and counts their code
    points itself, whatever positions it was given for the whole batch."""
    from archive.records import HTML_EXTRACTOR_NAME
    from archive.verification import shards

    capture = "Caf\u00e9 \u201cquoted\u201d and more"
    spans = [(0, 4, "body"), (5, 13, "body")]
    table = table_of([(capture, spans, python_join(capture, spans))] * 3)
    extractors = [EXTRACTOR, f"{HTML_EXTRACTOR_NAME}/1", EXTRACTOR]
    table = table.set_column(5, "extractor", pa.array(extractors))
    table = table.set_column(6, "media_type", pa.array(["text/plain", "text/html", "text/plain"]))
    batch = table.to_batches()[0]
    given = []
    cut = shards._bodies_as_cut
    monkeypatch.setattr(
        shards, "_bodies_as_cut", lambda t, continuation=None: given.append(continuation) or cut(t)
    )
    whole = continuation_bytes(batch.column("capture_text"))
    assert shards.unfounded_bodies(batch, whole) == [] and given == [None]
