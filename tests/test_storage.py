"""Packing from and into a bucket of an S3-compatible server that the tests start on this
machine (moto's server on a free local port: no network, no real credentials).

The release packed from the bucket into the bucket is the very same bytes as the one packed
from a local copy into a local folder.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import suppress
from pathlib import Path, PurePath

import pyarrow.fs as pafs
import pytest
from click.testing import CliRunner
from warcdata import fixture_specs, write_warc

from archive.capture import storage
from archive.capture.locations import location
from archive.cli import main
from archive.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples"
CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    """``s3://archive-test`` on a local moto server, holding the example captures and a WARC
    file under ``captures/``; the environment points S3 clients at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        storage._filesystem.cache_clear()
        admin = pafs.S3FileSystem(
            endpoint_override=f"http://{host}:{port}", allow_bucket_creation=True
        )
        admin.create_dir("archive-test")
        local = tmp_path_factory.mktemp("local") / "captures"
        pafs.copy_files(str(EXAMPLE / "captures"), str(local))
        (local / "crawl").mkdir()
        write_warc(local / "crawl" / "fixture.warc.gz", fixture_specs(), gz=True)
        pafs.copy_files(str(local), "archive-test/captures", destination_filesystem=admin)
        yield {"url": "s3://archive-test", "local": local, "fs": admin}
        storage._filesystem.cache_clear()
    server.stop()


def _pack(*args: str) -> str:
    result = CliRunner().invoke(main, [
        "pack", *args, "--capture-log", str(EXAMPLE / "captures.jsonl"),
        "--outlets", str(EXAMPLE / "outlets.toml"), "--name", "example",
        "--created", CREATED, "-q",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def _digests(fs: pafs.FileSystem, root: str) -> dict[str, str]:
    out = {}
    for info in fs.get_file_info(pafs.FileSelector(root, recursive=True)):
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as handle:
                out[info.path[len(root) + 1 :]] = hashlib.sha256(handle.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def remote(bucket, tmp_path_factory):
    url = bucket["url"]
    path = _pack(f"{url}/captures", "--out", f"{url}/dist", "--version", "1.0.0")
    local_out = tmp_path_factory.mktemp("dist")
    local = _pack(str(bucket["local"]), "--out", str(local_out), "--version", "1.0.0")
    return path, Path(local)


def test_a_pack_from_a_bucket_into_a_bucket_equals_the_local_pack(bucket, remote):
    path, local = remote
    assert path == f"{bucket['url']}/dist/example-1.0.0"
    uploaded = _digests(bucket["fs"], "archive-test/dist/example-1.0.0")
    written = _digests(pafs.LocalFileSystem(), str(local))
    assert uploaded == written
    manifest = json.loads((local / "manifest.json").read_text())
    assert manifest["counts"]["records"] > 15  # the example's records and the WARC's pages


def test_a_release_in_a_bucket_verifies_and_a_changed_byte_fails(bucket, remote):
    path, _ = remote
    result = CliRunner().invoke(main, ["verify", path, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == path
    fs = bucket["fs"]
    target = "archive-test/tampered/example-1.0.0"
    pafs.copy_files(
        "archive-test/dist/example-1.0.0", target, source_filesystem=fs, destination_filesystem=fs
    )
    with fs.open_input_stream(f"{target}/quarantine.jsonl") as handle:
        data = bytearray(handle.read())
    data[10] ^= 1
    with fs.open_output_stream(f"{target}/quarantine.jsonl") as handle:
        handle.write(bytes(data))
    failed = CliRunner().invoke(main, ["verify", f"{bucket['url']}/tampered/example-1.0.0"])
    assert failed.exit_code == 1
    assert "quarantine.jsonl" in failed.stdout


def test_a_release_in_a_bucket_is_verified_by_workers_that_were_not_forked(
    bucket, remote, monkeypatch
):
    """Storage clients are not safe across a fork: a remote release's verify workers come
    from the fork server, whatever the platform."""
    from archive.verification import tasks

    def forked(*args):
        raise AssertionError("forked workers for a remote release")

    monkeypatch.setattr(tasks, "_forked", forked)
    path, _ = remote
    result = CliRunner().invoke(main, ["verify", path, "--jobs", "2", "--json"])
    assert result.exit_code == 0, result.output


def test_a_release_is_never_packed_over_in_a_bucket(bucket, remote):
    result = CliRunner().invoke(main, [
        "pack", f"{bucket['url']}/captures", "--out", f"{bucket['url']}/dist",
        "--name", "example", "--version", "1.0.0", "--created", CREATED,
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "already exists" in result.stderr


def test_the_next_version_in_a_bucket_follows_its_remote_parent(bucket, remote):
    url = bucket["url"]
    path = _pack(f"{url}/captures", "--out", f"{url}/dist", "--version", "1.1.0")
    with bucket["fs"].open_input_stream("archive-test/dist/example-1.1.0/manifest.json") as f:
        manifest = json.loads(f.read())
    assert manifest["parent"]["version"] == "1.0.0"
    assert manifest["counts"]["reused"] == manifest["counts"]["records"]
    assert CliRunner().invoke(main, ["verify", path]).exit_code == 0


def test_a_missing_remote_source_is_a_usage_error(bucket):
    result = CliRunner().invoke(main, [
        "pack", f"{bucket['url']}/nothing-here", "--out", f"{bucket['url']}/dist",
        "--name", "x", "--version", "1.0.0",
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


def test_object_keys_with_url_characters_are_read_as_keys(bucket):
    fs = bucket["fs"]
    with fs.open_output_stream("archive-test/odd/what?is#this.txt") as handle:
        handle.write(b"Plain words.\n")
    (item,) = storage.files_under(f"{bucket['url']}/odd")
    assert item == ("what?is#this.txt", 13)
    with storage.open_url(f"{bucket['url']}/odd/what?is#this.txt") as handle:
        assert handle.read() == b"Plain words.\n"


def test_workers_see_the_environment_of_their_pack(monkeypatch):
    """Endpoints and credentials come from the environment: workers of a later pack in the
    same process see it as it is then, not as it was when the first pool started."""
    import os

    from archive.runtime.executors import LocalExecutor

    monkeypatch.delenv("ARCHIVE_TEST_SEEN", raising=False)
    with LocalExecutor(2) as executor:
        assert list(executor.map(os.getenv, ["ARCHIVE_TEST_SEEN"])) == [None]
    monkeypatch.setenv("ARCHIVE_TEST_SEEN", "yes")
    with LocalExecutor(2) as executor:
        assert list(executor.map(os.getenv, ["ARCHIVE_TEST_SEEN"])) == ["yes"]


def test_a_file_url_source_gets_the_local_walks_link_checks(tmp_path):
    from archive.capture.sources import walk

    root = tmp_path / "captures"
    root.mkdir()
    (root / "a.txt").write_text("Words.\n")
    (tmp_path / "secret.txt").write_text("Not a capture.\n")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    found = {item.source_path: item for item in walk([location(f"file://{root}")])}
    assert found["captures/link.txt"].reason == "outside-source"
    assert found["captures/a.txt"].fs_path == str(root / "a.txt")


def test_credentials_in_a_url_are_refused(tmp_path):
    result = CliRunner().invoke(main, [
        "pack", "s3://KEYID:hunter2@bucket/captures", "--out", str(tmp_path),
        "--name", "x", "--version", "1.0.0",
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "credentials" in result.stderr and "hunter2" not in result.stderr


def test_remote_keys_are_walked_in_the_local_order_and_unsafe_ones_never_copied(bucket, tmp_path):
    fs = bucket["fs"]
    for key in ("order/c/a/b.txt", "order/c/a-c.txt"):
        with fs.open_output_stream(f"archive-test/{key}") as handle:
            handle.write(b"x")
    local = tmp_path / "c"
    (local / "a").mkdir(parents=True)
    (local / "a" / "b.txt").write_bytes(b"x")
    (local / "a-c.txt").write_bytes(b"x")
    from archive.capture.sources import walk

    remote = [i.source_path for i in walk([f"{bucket['url']}/order/c"])]
    assert remote == [i.source_path for i in walk([local])] == ["c/a/b.txt", "c/a-c.txt"]
    assert not storage.safe_relative("x/../../escape.txt")
    assert not storage.safe_relative("/etc/passwd") and not storage.safe_relative("a//b")
    assert storage.safe_relative("a/b.txt")


def test_a_remote_parent_serves_a_local_pack(bucket, remote, tmp_path):
    path, _ = remote
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, [
        "pack", str(bucket["local"]), "--capture-log", str(EXAMPLE / "captures.jsonl"),
        "--outlets", str(EXAMPLE / "outlets.toml"), "--name", "example", "--version", "1.2.0",
        "--created", CREATED, "--from", path, "--out", str(out), "-q",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "example-1.2.0" / "manifest.json").read_text())
    assert manifest["parent"]["version"] == "1.0.0"
    assert manifest["counts"]["reused"] == manifest["counts"]["records"]


class _PathRefusingPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, PurePath):
            raise AssertionError(f"a task was handed the local path {obj}")
        return NotImplemented


class _Elsewhere:
    """An executor for a cluster whose nodes share no disk with the driver: it runs each task
    here, after checking that what the task is handed names no local file (no path, nothing
    in the driver's build folder), only URLs."""

    def __init__(self):
        self.tasks = Counter()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def fresh_workers(self):
        pass

    def map(self, fn, items, *args):
        for item in items:
            data = io.BytesIO()
            _PathRefusingPickler(data).dump((fn, item, *args))
            assert b"archive-pack-" not in data.getvalue()
            self.tasks[fn.__name__] += 1
            yield fn(item, *args)


@pytest.mark.parametrize("parent_at", ["bucket", "local"])
def test_the_tasks_of_a_pack_into_a_bucket_need_no_disk_of_the_drivers(
    bucket, remote, monkeypatch, parent_at
):
    elsewhere = _Elsewhere()
    monkeypatch.setattr("archive.release.pack.executor_for", lambda *args: elsewhere)
    url = bucket["url"]
    parent = remote[0] if parent_at == "bucket" else str(remote[1])
    version = "1.0.1" if parent_at == "bucket" else "1.0.2"
    path = _pack(
        f"{url}/captures", "--out", f"{url}/elsewhere", "--version", version, "--from", parent
    )
    assert {"extract_unit", "gather_shards", "write_shard", "sign_shard"} <= set(elsewhere.tasks)
    fs = bucket["fs"]
    with fs.open_input_stream(f"archive-test/elsewhere/example-{version}/manifest.json") as f:
        manifest = json.loads(f.read())
    assert manifest["counts"]["reused"] == manifest["counts"]["records"] > 15
    assert manifest["capture_log"]["entries"] > 0
    left = fs.get_file_info(pafs.FileSelector("archive-test/elsewhere", recursive=False))
    assert not [i.base_name for i in left if ".partial-" in i.base_name]  # no work folder left
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["verify", path]).exit_code == 0


def test_what_an_interrupted_upload_left_is_cleared_before_packing(bucket, tmp_path):
    fs = bucket["fs"]
    with fs.open_output_stream("archive-test/dist/example-3.0.0/data/stale.parquet") as f:
        f.write(b"left by an upload that never finished")
    url = bucket["url"]
    path = _pack(f"{url}/captures", "--out", f"{url}/dist", "--version", "3.0.0", "--no-parent")
    assert CliRunner().invoke(main, ["verify", path]).exit_code == 0
    assert (
        fs.get_file_info("archive-test/dist/example-3.0.0/data/stale.parquet").type
        == pafs.FileType.NotFound
    )


def test_file_urls_name_this_machine_and_fsspec_stores_keep_their_host(tmp_path):
    import fsspec

    assert location(f"file://{tmp_path}") == tmp_path
    assert location(f"file://localhost{tmp_path}") == tmp_path
    with pytest.raises(UsageError):
        location("file://otherhost/share/captures")
    # on the command line: one line naming the argument, exit 2, no traceback
    for args in (
        ["pack", "file://otherhost/share/captures", "--version", "1.0.0"],
        ["verify", "file://reader:secret@localhost/dist/example-1.0.0"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith("archive: error: Invalid value for ") and "file://" in line
        assert "secret" not in line  # a URL's credentials never reach a message
    memory = fsspec.filesystem("memory")
    memory.pipe("/bkt/dir/a.txt", b"A.")
    memory.pipe("/bkt/dir/sub/b.txt", b"B.")
    assert list(storage.files_under("memory://bkt/dir")) == [("a.txt", 2), ("sub/b.txt", 2)]
    with storage.open_url("memory://bkt/dir/sub/b.txt") as handle:
        assert handle.read() == b"B."


def _index(folder: Path, rows: int, journal: str = "delete") -> str:
    """The ``file://`` URL of an SQLite index of ``rows`` rows made in ``folder``: a remote
    file to :class:`storage.RemotePath`, which copies it like one in a bucket."""
    path = folder / "index.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA journal_mode={journal}")
    db.execute("CREATE TABLE log (path TEXT PRIMARY KEY)")
    db.executemany("INSERT INTO log VALUES (?)", ((f"doc-{n}",) for n in range(rows)))
    db.commit()
    db.close()
    return path.as_uri()


_LOOK_UP_THEN_LEAVE = """
import os, signal, sys
from archive.capture import storage
index = storage.RemotePath(sys.argv[1])
db = storage.open_index(index)
assert storage.open_index(index) is db  # one copy a process
print(db.execute("SELECT count(*) FROM log").fetchone()[0], flush=True)
{leave}
"""


@pytest.mark.parametrize(
    "leave", ["sys.exit(0)", "os._exit(0)", "os.kill(os.getpid(), signal.SIGKILL)"]
)
def test_an_open_copy_of_a_remote_index_outlives_no_process_however_it_ends(tmp_path, leave):
    """A Ray worker ends without running exit handlers (``os._exit`` here), and any process
    may be killed: its copies must not wait for them."""
    temp = tmp_path / "temp"
    temp.mkdir()
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", _LOOK_UP_THEN_LEAVE.format(leave=leave), _index(tmp_path, 3)],
        env=dict(os.environ, TMPDIR=str(temp), PYTHONPATH=pythonpath),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == "3\n", done.stderr
    assert list(temp.iterdir()) == []


def _looked_up_here(url: str) -> tuple[str, int]:
    """In a worker: where it keeps temporary files, and what the remote index at ``url``
    answers."""
    db = storage.open_index(storage.RemotePath(url))
    return tempfile.gettempdir(), db.execute("SELECT count(*) FROM log").fetchone()[0]


@pytest.mark.parametrize("stopped", [False, True])
def test_a_pools_workers_leave_no_copy_of_a_remote_index(tmp_path, monkeypatch, stopped):
    """Whether the pool ends or is stopped (Ctrl-C: its workers are killed)."""
    from archive.runtime.executors import LocalExecutor

    url = _index(tmp_path, 3)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # the workers' environment
    with suppress(KeyboardInterrupt), LocalExecutor(2) as executor:
        found = list(executor.map(_looked_up_here, [url] * 4))
        if stopped:
            raise KeyboardInterrupt
    assert found == [(str(temp), 3)] * 4
    assert list(temp.iterdir()) == []


def test_a_forked_child_makes_its_own_copy_of_a_remote_index(tmp_path):
    """An SQLite connection must not cross a fork: the child does not get its parent's."""
    index = storage.RemotePath(_index(tmp_path, 3))
    db = storage.open_index(index)
    child = os.fork()
    if child == 0:
        status = 1
        try:
            mine = storage.open_index(index)
            status = int(mine is db or mine.execute("SELECT count(*) FROM log").fetchone() != (3,))
        finally:
            os._exit(status)
    assert os.waitpid(child, 0)[1] == 0


def test_a_copy_of_an_index_in_wal_mode_leaves_no_file_beside_it(tmp_path, monkeypatch):
    """SQLite opens a WAL file's -wal and -shm by name, and these would outlive the copy."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    db = storage.open_index(storage.RemotePath(_index(tmp_path, 5, journal="wal")))
    assert db.execute("SELECT count(*) FROM log").fetchone()[0] == 5
    assert list(temp.iterdir()) == []


def test_a_pack_into_a_bucket_gathers_groups_from_local_copies(bucket, remote, monkeypatch):
    """Many fragments: a gathering group copies its shards' rows first, to the worker's own
    temporary folder when the work folder is a bucket (eight uploads at once would each
    buffer a part), and the release is the same."""
    from archive.release import stages

    made = []
    original = stages._coalesced

    def recorded(paths, shards, outs):
        made.extend(outs)
        return original(paths, shards, outs)

    monkeypatch.setattr(stages, "_ShardBuffers", functools.partial(stages._ShardBuffers, limit=2))
    monkeypatch.setattr(stages, "_MAPPED_AT_ONCE", 1)
    monkeypatch.setattr(stages, "_coalesced", recorded)
    url = bucket["url"]
    _pack(f"{url}/captures", "--out", f"{url}/grouped", "--version", "1.0.0", "--jobs", "1")
    assert made and all(isinstance(out, Path) and not out.exists() for out in made)
    uploaded = _digests(bucket["fs"], "archive-test/grouped/example-1.0.0")
    assert uploaded == _digests(bucket["fs"], "archive-test/dist/example-1.0.0")
