"""``--executor ray``: the same release, byte for byte, as a local run, on a real Ray cluster.

The cluster is started here, on this machine, the way a user starts one (``ray start --head``
plus a worker node joining it), each node with one CPU so the tasks spread over both; the test
packs as a driver joining it with ``--address`` and stops both nodes at the end (by their process
ids: ``ray stop`` would stop every Ray on the machine). Skipped when Ray is not installed; CI
installs it with the test extra.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from warcdata import LIGHTHOUSE, ORCHARD, fixture_specs, render_html, write_warc

from archive.cli import main

REPO = Path(__file__).resolve().parents[1]
CREATED = "2026-01-02T03:04:05Z"
NODE_START_SECONDS = 60


def _fiction():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import fiction
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return fiction


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Node:
    """One ``ray start --block`` process in its own session: stopping it stops its node."""

    def __init__(self, ray_cli: Path, args: list[str], env: dict):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(ray_cli), "start", "--block", "--disable-usage-stats", *args],
            env=env,
            cwd="/",  # a node's workers start here, not in the driver's folder
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.started = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if "Ray runtime started" in line:
                self.started.set()
        self.started.set()

    def wait_started(self) -> None:
        if not self.started.wait(NODE_START_SECONDS) or self.process.poll() is not None:
            self.stop()
            pytest.fail("a Ray node did not start:\n" + "".join(self.lines[-20:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # --block shuts its node's processes down on SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever of this node is left


@pytest.fixture(scope="module")
def s3():
    """An S3-compatible server on a local port (moto's), with the bucket ``ray-test``; the
    environment that points S3 clients at it (the nodes' workers get it when they start)."""
    import pyarrow.fs as pafs
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    admin = pafs.S3FileSystem(
        endpoint_override=endpoint,
        allow_bucket_creation=True,
        access_key="testing",
        secret_key="testing",
        region="us-east-1",
    )
    admin.create_dir("ray-test")
    yield {
        "fs": admin,
        "env": {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    }
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3):
    """The address of a two-node Ray cluster on this machine, and the environment to join it."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed (pip install 'archive-corpus[ray]')")
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        pytest.skip("the ray command is not installed beside this Python")
    # A token of this test's own, so neither ~/.ray nor any other cluster is involved. Ray reads
    # it when imported: set it before this process first imports ray.
    auth = {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    temp = tempfile.mkdtemp(prefix="archive-ray-")  # short: Ray's socket paths must fit
    # The nodes' workers and the driver keep their temporary files here, where a test sees
    # what they leave.
    workers_temp = Path(temp, "tmp")
    workers_temp.mkdir()
    # The nodes start as a cluster's owner would start them: without the allocator choice an
    # archive command (run in this process by other tests) leaves in its environment.
    inherited = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    env = dict(inherited, PYTHONPATH=pythonpath, TMPDIR=str(workers_temp), **auth, **s3["env"])
    port = _free_port()
    address = f"127.0.0.1:{port}"
    node_args = ["--num-cpus", "1", "--object-store-memory", str(80 * 1024 * 1024)]
    head = _Node(
        ray_cli,
        ["--head", "--port", str(port), "--node-ip-address", "127.0.0.1",
         "--include-dashboard=false", "--temp-dir", temp, *node_args],
        env,
    )  # fmt: skip
    nodes = [head]
    try:
        head.wait_started()
        worker = _Node(
            ray_cli, ["--address", address, "--node-ip-address", "127.0.0.1", *node_args], env
        )
        nodes.append(worker)
        worker.wait_started()
        with pytest.MonkeyPatch.context() as patch:
            for key, value in auth.items():
                patch.setenv(key, value)
            import ray

            _wait_for_nodes(ray, address, 2)
            yield address, env
    finally:
        for node in reversed(nodes):
            node.stop()
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_nodes(ray, address: str, count: int) -> None:
    ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
    try:
        deadline = time.monotonic() + NODE_START_SECONDS
        while sum(node["Alive"] for node in ray.nodes()) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"the Ray cluster at {address} has fewer than {count} nodes")
            time.sleep(0.2)
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def captures(tmp_path_factory) -> Path:
    """Text captures in several encodings with a capture log, HTML pages, three WARC files (one
    unit each) and inputs to quarantine: every kind of task a pack has."""
    root = tmp_path_factory.mktemp("ray") / "captures"
    _fiction().generate_text_corpus(root / "text", 60, seed=3)
    log = root / "text" / "captures.jsonl"  # its paths are relative to text/, the pack's to root
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    log.write_text("".join(json.dumps(e | {"path": f"text/{e['path']}"}) + "\n" for e in lines))
    (root / "pages").mkdir()
    (root / "pages" / "lighthouse.html").write_bytes(render_html(LIGHTHOUSE))
    (root / "pages" / "orchard.html").write_bytes(render_html(ORCHARD))
    (root / "crawls").mkdir()
    for name in ("a", "b", "c"):
        write_warc(root / "crawls" / f"{name}.warc.gz", fixture_specs(), gz=True)
    (root / "pages" / "empty.txt").write_bytes(b"")
    (root / "pages" / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    return root


def _archive(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _digests(release: Path) -> dict[str, str]:
    return {
        path.relative_to(release).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }


def test_cluster_release_is_byte_identical_to_local_ones(cluster, captures):
    address, env = cluster
    # Relative paths, from the driver's folder: the nodes' workers start elsewhere ("/").
    here = captures.parent
    common = [
        "pack", "captures", "--capture-log", "captures/text/captures.jsonl", "--name", "wire",
        "--version", "1.0.0", "--created", CREATED, "--shards", "3", "-q",
    ]  # fmt: skip
    runs = {
        "jobs1": ["--executor", "local", "--jobs", "1"],
        "jobs2": ["--executor", "local", "--jobs", "2"],
        "ray": ["--executor", "ray", "--address", address],
    }
    digests = {}
    for name, options in runs.items():
        done = _archive([*common, "--out", f"dist-{name}", *options], here, env)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # no Ray notices or worker logs in the driver's output
        digests[name] = _digests(here / f"dist-{name}" / "wire-1.0.0")

    assert digests["ray"] == digests["jobs1"] == digests["jobs2"]
    files = digests["ray"]
    assert sum(path.startswith("data/records-") for path in files) == 3
    assert {"manifest.json", "quarantine.jsonl"} <= set(files)
    quarantined = (here / "dist-ray" / "wire-1.0.0" / "quarantine.jsonl").read_text()
    assert '"empty"' in quarantined and '"binary"' in quarantined

    reports = {}
    for name, options in (("local", ["--jobs", "2"]), ("ray", runs["ray"])):
        done = _archive(["verify", "dist-ray/wire-1.0.0", "--json", *options], here, env)
        assert done.returncode == 0, done.stdout + done.stderr
        reports[name] = json.loads(done.stdout)
    assert reports["ray"] == reports["local"]
    assert reports["ray"]["ok"] and reports["ray"]["records"] > 60


def test_a_cluster_packs_and_verifies_a_bucket_as_a_local_run_does(cluster, captures, s3):
    """Nodes that share no folder with the driver: sources, work files and the release are
    all in the bucket, and the release is the local one, byte for byte."""
    import pyarrow.fs as pafs

    address, env = cluster
    here, fs = captures.parent, s3["fs"]
    pafs.copy_files(str(captures), "ray-test/captures", destination_filesystem=fs)
    common = [
        "--capture-log", "captures/text/captures.jsonl", "--name", "wire", "--version", "1.0.0",
        "--created", CREATED, "--shards", "3", "-q",
    ]  # fmt: skip
    local = _archive(["pack", "captures", "--out", "dist-bucket-local", *common], here, env)
    assert local.returncode == 0, local.stderr
    url = "s3://ray-test/dist/wire-1.0.0"
    remote = _archive(
        [
            "pack",
            "s3://ray-test/captures",
            "--out",
            "s3://ray-test/dist",
            *common,
            "--executor",
            "ray",
            "--address",
            address,
        ],
        here,
        env,
    )
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.strip() == url
    uploaded = {}
    for info in fs.get_file_info(pafs.FileSelector("ray-test/dist", recursive=True)):
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as handle:
                name = info.path.removeprefix("ray-test/dist/wire-1.0.0/")
                uploaded[name] = hashlib.sha256(handle.read()).hexdigest()
    assert uploaded == _digests(here / "dist-bucket-local" / "wire-1.0.0")  # no work left
    # Each worker read the capture log's index from a copy of its own; Ray ends its workers
    # without running exit handlers, and none of the copies may wait for them.
    assert not list(Path(env["TMPDIR"]).glob("archive-copy-*"))

    reports = {}
    for name, release, options in (
        ("local", "dist-bucket-local/wire-1.0.0", ["--jobs", "2"]),
        ("ray", url, ["--executor", "ray", "--address", address]),
    ):
        done = _archive(["verify", release, "--json", *options], here, env)
        assert done.returncode == 0, done.stdout + done.stderr
        reports[name] = json.loads(done.stdout) | {"path": None}
    assert reports["ray"] == reports["local"]


def _raise_once_then_return(marker: str) -> str:
    """Fail the first attempt as a lost worker would (the process dies), succeed the next."""
    if not os.path.exists(marker):
        Path(marker).write_text("first attempt")
        os._exit(1)
    return "second attempt"


def _mimalloc_bytes_after_reading(path: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    before = pa.mimalloc_memory_pool().total_bytes_allocated()
    for _ in pq.ParquetFile(path).iter_batches():
        pass
    return pa.mimalloc_memory_pool().total_bytes_allocated() - before


def test_arrows_own_allocations_on_the_workers_come_from_the_c_library(
    cluster, tmp_path, monkeypatch
):
    """A Ray worker has imported pyarrow before it runs archive's task: the pool of Arrow's
    own C++ allocations (the Parquet reader's pages) comes with the job's environment."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from ray import cloudpickle

    from archive.runtime.ray_executor import RayExecutor

    address, _ = cluster
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"text": ["a paragraph of words " * 40] * 4000}), path)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with RayExecutor(address=address) as executor:
            read = list(executor.map(_mimalloc_bytes_after_reading, [str(path)] * 2))
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert read == [0, 0]


def test_lost_worker_is_retried_and_failures_keep_their_type(cluster, tmp_path):
    import ray
    from ray import cloudpickle

    from archive.runtime.ray_executor import RayExecutor

    address, _ = cluster
    # The workers cannot import this test module: send its functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with RayExecutor(address=address, max_retries=2) as executor:
            marker = str(tmp_path / "attempted")
            assert list(executor.map(_raise_once_then_return, [marker])) == ["second attempt"]
            missing = str(tmp_path / "no-such-file")
            with pytest.raises(FileNotFoundError, match="no-such-file"):
                list(executor.map(os.stat, [missing]))
        assert not ray.is_initialized()  # joined, then left; the cluster runs on
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.mark.parametrize("command", ["pack", "verify"])
def test_without_ray_the_error_is_one_line_naming_the_extra(
    command, runner, corpus, tmp_path, monkeypatch
):
    if command == "pack":
        args = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    else:
        release = tmp_path / "local"
        packed = runner.invoke(
            main, ["pack", str(corpus), "--out", str(release), "--version", "1.0.0"]
        )
        assert packed.exit_code == 0, packed.output
        args = ["verify", str(release / "captures-1.0.0"), "--level", "structure"]
    monkeypatch.setitem(sys.modules, "ray", None)  # "import ray" now fails as if not installed
    result = runner.invoke(main, [*args, "--executor", "ray"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "archive: error: the Ray executor needs Ray: pip install 'archive-corpus[ray]'"
    ]
    assert not (tmp_path / "dist").exists()


def test_address_without_ray_executor_is_a_usage_error(runner, corpus, tmp_path):
    args = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    result = runner.invoke(main, [*args, "--address", "127.0.0.1:6379"])
    assert result.exit_code == 2
    assert "--executor ray" in result.stderr


def test_an_address_where_no_cluster_answers_fails_at_once_naming_it(corpus, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    args = ["pack", str(corpus), "--out", str(tmp_path / "dist"), "--version", "1.0.0"]
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "archive.cli", *args, "--executor", "ray", "--address", address],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.monotonic() - started < 60
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"archive: error: no Ray cluster answers at {address} (Connection refused)"
    ]
    assert not any((tmp_path / "dist").glob("*"))
