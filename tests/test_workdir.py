"""The work folder's layout: every file a stage hands another has a path of its own, under the
folder the tasks share, and a local pack's tasks write where the driver assembles."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from archive.capture.storage import RemotePath
from archive.format.parquetio import rows_filed_under_each, write_ipc_by_shard
from archive.release.partials import host
from archive.release.workdir import TaskDir, WorkDir

SHARD = st.integers(0, 99_999)
UNIT = st.integers(0, 99_999_999)
KIND = st.sampled_from(["lsh", "anchored", "quoted"])

# Every file-naming method of TaskDir, with what its arguments are drawn from.
NAMED = {
    "fragment": (UNIT, st.integers(0, 99_999)),
    "unit_contribution": (UNIT, st.integers(0, 99_999)),
    "reuse_list": (UNIT,),
    "walk_quarantine": (),
    "unit_quarantine": (UNIT,),
    "withdrawn_list": (UNIT,),
    "gathered": (SHARD,),
    "contribution": (SHARD,),
    "final": (SHARD,),
    "duplicate_index": (SHARD,),
    "duplicates": (SHARD,),
    "flags": (SHARD,),
    "relation_index": (SHARD,),
    "relation_reps": (SHARD,),
    "relation_members": (SHARD,),
    "relation_exact": (),
    "relation_signatures": (SHARD,),
    "relation_frequencies": (SHARD,),
    "relation_entries": (KIND, SHARD),
    "relation_run": (KIND, SHARD),
    "relation_batch_run": (st.integers(0, 999_999),),
    "relation_spill": (st.integers(0, 999_999),),
    "relation_merge": (st.integers(0, 99), st.integers(0, 999_999)),
    "shard_file": (SHARD, st.just(100_000)),
}
CALLS = st.one_of([st.tuples(st.just(name), st.tuples(*args)) for name, args in NAMED.items()])


@given(st.lists(CALLS, max_size=60, unique=True))
def test_every_work_file_has_a_path_of_its_own(calls):
    tasks = TaskDir(Path("/pack"))
    paths = [getattr(tasks, name)(*args) for name, args in calls]
    assert len(set(paths)) == len(calls)
    assert all(p.is_relative_to("/pack") for p in paths)


@given(st.lists(CALLS, min_size=1, max_size=20, unique=True))
def test_a_remote_pack_hands_its_tasks_urls_only(calls):
    workdir = WorkDir.remote(Path("/tmp/driver"), "s3://bucket/dist", "news-1.0.0")
    root = workdir.tasks.root.url
    assert root.startswith(f"s3://bucket/dist/.news-1.0.0.partial-{host()}-{os.getpid()}-")
    for name, args in calls:
        path = getattr(workdir.tasks, name)(*args)
        assert isinstance(path, RemotePath) and path.url.startswith(f"{root}/")
    assert workdir.is_remote and not workdir.scratch().is_relative_to("/pack")


def test_a_local_pack_writes_its_shards_where_the_release_is_assembled(tmp_path):
    workdir = WorkDir.local(tmp_path, "news-1.0.0")
    assert workdir.building == tmp_path / f".news-1.0.0.partial-{host()}-{os.getpid()}"
    assert not workdir.is_remote
    assert workdir.tasks.work() == workdir.scratch()
    assert workdir.tasks.shards() == workdir.release_shards()
    assert workdir.tasks.shard_file(2, 3).parent == workdir.release_shards()


def test_the_fragments_are_listed_in_unit_order_and_one_is_read_by_shard(tmp_path):
    tasks = TaskDir(tmp_path)
    table = pa.table({"record_id": ["a", "b", "c"]})
    written = [(7, 0), (2, 1), (5, 0), (2, 0)]
    for unit, part in written:
        path = tasks.fragment(unit, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ipc_by_shard(table, [0, 3, 3], path)
    assert tasks.fragments() == [tasks.fragment(2, 0), tasks.fragment(2, 1),
                                 tasks.fragment(5, 0), tasks.fragment(7, 0)]  # fmt: skip
    schema = pa.schema([("record_id", pa.string())])
    rows = [
        rows_filed_under_each(tasks.fragment(5, 0), (shard,), schema).get(shard)
        for shard in range(5)
    ]
    assert [r.column(0).to_pylist() if r is not None else None for r in rows] == [
        ["a"],
        None,
        None,
        ["b", "c"],
        None,
    ]
    assert tasks.reuse_lists() == []


def test_a_unit_holds_as_much_text_from_gzip_files_as_from_plain_ones(tmp_path):
    """Units are cut by the bytes a file holds once read: a gzip page counts its ISIZE trailer,
    not its compressed size (a unit of 16 MiB of .html.gz once held 50 MB of pages)."""
    import gzip

    from archive.capture.sources import InputFile
    from archive.release.plan import decoded_size, units_of

    files = []
    for n in range(6):
        page = tmp_path / f"page-{n}.html.gz"
        page.write_bytes(gzip.compress(b"<p>harbour wall</p>\n" * 1000, mtime=0))  # 20,000 bytes
        files.append(InputFile(f"root/{page.name}", str(page), page.stat().st_size, "html"))
    short = tmp_path / "short.txt.gz"
    short.write_bytes(b"\x1f\x8b")
    broken = InputFile("root/short.txt.gz", str(short), 2, "text")
    plain = InputFile("root/a.txt", str(tmp_path / "absent.txt"), 700, "text")
    assert [decoded_size(f) for f in files] == [20_000] * 6
    not_gzip = tmp_path / "page.html.gz"  # named .gz, but plain HTML: read as it is
    not_gzip.write_bytes(b"<html><p>harbour wall</p></html>\n")
    plain_named = InputFile("root/page.html.gz", str(not_gzip), not_gzip.stat().st_size, "html")
    assert decoded_size(plain_named) == plain_named.size
    assert files[0].size < 1_000
    assert decoded_size(broken) == 2 and decoded_size(plain) == 700  # the file's own size
    units = list(units_of(iter(files), max_files=100, max_bytes=45_000))
    assert [len(u.files) for u in units] == [3, 3]


def test_extraction_writes_its_rows_out_by_text_held_as_well_as_by_rows(tmp_path):
    """A worker holds at most about ``chars`` characters of text before it writes a fragment:
    three rows of 600 characters, with room for 1,000, make two fragments (the second row
    fills it, the last is flushed at the end), and every row comes back."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from archive.format.parquetio import read_ipc
    from archive.records import plain_extraction, text_record
    from archive.release.stages import _ShardBuffers
    from archive.settings import PackSettings

    settings = PackSettings("t", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC))
    records = [
        text_record(f"root/{n}.txt", b"x" * 300, None, None, settings, plain_extraction, "plain")
        for n in range(3)
    ]
    assert all(len(r.capture_text) + len(r.text) == 600 for r in records)
    ctx = SimpleNamespace(shards=1, work=TaskDir(tmp_path))
    buffers = _ShardBuffers(ctx, unit=0, limit=500, chars=1_000)
    for record in records:
        buffers.add(record)
    buffers.flush()
    fragments = ctx.work.fragments()
    assert len(fragments) == 2
    back = [r for f in fragments for r in read_ipc(f).to_pylist()]
    assert sorted(r["record_id"] for r in back) == sorted(r.record_id for r in records)


def test_a_kept_capture_log_index_is_keyed_on_every_module_its_reader_uses(tmp_path, monkeypatch):
    """The pack cache keeps a capture log's index for the next pack; its key holds the source
    of the reader and of every package module it imports (read here from its import lines), so
    a change to any of them builds the index afresh."""
    import ast
    import sys

    import archive.capture.capturelog as capturelog
    from archive.release.cache import _log_key_and_prefix, log_reader_modules

    tree = ast.parse(Path(capturelog.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("archive"):
            for alias in node.names:  # "from archive.format import boundedjson" is a module
                whole = f"{node.module}.{alias.name}"
                imported.add(whole if whole in sys.modules else node.module)
    assert imported and imported | {capturelog.__name__} == set(log_reader_modules())
    log = tmp_path / "captures.jsonl"
    log.write_text('{"path": "a.txt"}\n', encoding="utf-8")
    before, _ = _log_key_and_prefix(log)
    helper = sys.modules["archive.format.boundedjson"]
    changed = tmp_path / "boundedjson.py"
    changed.write_bytes(Path(helper.__file__).read_bytes() + b"\n# changed\n")
    monkeypatch.setattr(helper, "__file__", str(changed))
    assert _log_key_and_prefix(log)[0]["code"] != before["code"]


def test_decoded_size_does_not_block_on_a_fifo_swapped_in_after_the_walk(tmp_path):
    """A file swapped for a FIFO after the walk is opened as every input is (no link followed,
    no waiting on a pipe): its size is the walk's, and the pack does not block."""
    import threading

    from archive.capture.sources import InputFile
    from archive.release.plan import decoded_size

    fifo = tmp_path / "page.html.gz"
    os.mkfifo(fifo)
    item = InputFile("root/page.html.gz", str(fifo), 100, "html")
    done = []
    worker = threading.Thread(target=lambda: done.append(decoded_size(item)), daemon=True)
    worker.start()
    worker.join(5)
    blocked = worker.is_alive()
    if blocked:  # release the thread: a writer opens and closes the FIFO
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(5)
    assert not blocked, "decoded_size blocked on a FIFO"
    assert done == [100]


def test_a_stages_inputs_are_removed_once_the_stage_has_ended(tmp_path, monkeypatch):
    """The fragments (and their contributions) are gone once every shard is gathered, and the
    gathered rows once every shard is finalized; never while a task of the stage may still
    read them (one process packs here, so the stages' tasks run in this one)."""
    from datetime import UTC, datetime

    from archive import PackSettings, pack
    from archive.release import pack as pack_module

    seen: dict[str, list[bool]] = {"fragments": [], "gathered": []}
    finalize, write = pack_module.finalize_shard, pack_module.write_shard

    def finalizing(shard, ctx, learned):
        seen["fragments"].append(bool(ctx.work.fragments()))
        assert ctx.work.gathered(shard).exists()
        return finalize(shard, ctx, learned)

    def writing(shard, ctx):
        seen["gathered"].append(ctx.work.gathered(shard).exists())
        assert ctx.work.final(shard).exists()
        return write(shard, ctx)

    monkeypatch.setattr(pack_module, "finalize_shard", finalizing)
    monkeypatch.setattr(pack_module, "write_shard", writing)
    source = tmp_path / "captures"
    source.mkdir()
    for n in range(12):
        text = f"Story {n} from the valley\n\nThe ferry to village {n} sailed on Tuesday.\n"
        (source / f"{n}.txt").write_text(text, encoding="utf-8")
    settings = PackSettings(
        "w", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC), jobs=1, shards=3, relations=False
    )
    result = pack([source], tmp_path / "dist", settings)
    assert result.manifest["counts"]["records"] == 12
    assert seen == {"fragments": [False] * 3, "gathered": [False] * 3}


def test_reading_a_shards_rows_holds_no_file_open(tmp_path):
    """A shard's gathering reads its batch from every flush's file: read into memory, the
    file closed (a mapping would hold each file open, and bring about half a MiB of each into
    the process)."""
    tasks = TaskDir(tmp_path)
    path = tasks.fragment(0, 0)
    path.parent.mkdir(parents=True)
    table = pa.table({"record_id": [f"{n:032x}" for n in range(400)]})
    write_ipc_by_shard(table, [n // 10 for n in range(400)], path)
    schema = pa.schema([("record_id", pa.string())])
    before = len(os.listdir("/proc/self/fd"))
    held = [rows_filed_under_each(path, (shard,), schema).get(shard) for shard in range(40)]
    assert len(os.listdir("/proc/self/fd")) == before
    assert pa.concat_tables(held).equals(table)
