"""Shared fixtures: small fictional corpora written per test, and a CLI runner."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import settings

from archive import PackSettings, pack
from archive.format.manifest import file_sha256, write_manifest

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# Fictional article text, written for these tests.
ARTICLE = (
    "Lantern ferry service returns to Millbrook Sound\n"
    "\n"
    "By Odile Marchetti\n"
    "\n"
    "The restored paddle steamer “Corrie Lantern” made its first crossing in six years on "
    "Tuesday, carrying 212 passengers and one très patient sheepdog.\n"
    "\n"
    "“We never doubted she would sail again,” said harbourmaster Ivo Brandt.\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of captures covering the encodings and the quarantine reasons a pack meets."""
    root = tmp_path / "captures"
    (root / "coast").mkdir(parents=True)
    (root / "inland" / "deep").mkdir(parents=True)
    (root / "coast" / "ferry-utf8.txt").write_bytes(ARTICLE.encode("utf-8"))
    (root / "coast" / "ferry-bom.txt").write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    (root / "coast" / "ferry-utf16.txt").write_bytes(ARTICLE.encode("utf-16"))
    (root / "coast" / "ferry-crlf.txt").write_bytes(ARTICLE.replace("\n", "\r\n").encode("utf-8"))
    (root / "inland" / "ferry-cp1252.txt").write_bytes(ARTICLE.encode("cp1252"))
    (root / "inland" / "deep" / "mill.txt").write_text(
        "Mill pond fête draws record crowd\n\nVolunteers counted 4,100 visitors.\n",
        encoding="utf-8",
    )
    (root / "inland" / "empty.txt").write_bytes(b"")
    (root / "inland" / "blank.txt").write_bytes(b"  \n\t\n")
    (root / "inland" / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (root / "inland" / "notes.pdf").write_bytes(b"%PDF-1.4 fictional")
    return root


@pytest.fixture
def capture_log(corpus: Path) -> Path:
    lines = [
        {
            "path": "coast/ferry-utf8.txt",
            "url": "https://www.harbourcourier.example/news/lantern-ferry",
            "retrieved_at": "2026-03-04T10:00:00Z",
            "outlet": "The Harbour Courier",
            "published_at": "2026-03-03T08:15:00+01:00",
            "agent": "fictional-crawler/1.0",
            "collection": "ferries",
        },
        {"path": "inland/deep/mill.txt", "url": "https://millbrook.example/fete"},
    ]
    path = corpus.parent / "captures.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def pack_example(out: Path, *options: str) -> Path:
    """Pack the bundled example corpus into ``out`` with the README's command (and ``options``);
    the release's path."""
    from archive.cli import main

    root = Path(__file__).resolve().parent.parent / "examples"
    args = [
        "pack", str(root / "captures"),
        "--capture-log", str(root / "captures.jsonl"),
        "--outlets", str(root / "outlets.toml"),
        "--out", str(out), "--name", "example", "--version", "1.0.0",
        "--created", "2026-01-01T00:00:00Z", *options,
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_captures(root: Path, captures: Mapping[str, str | bytes]) -> Path:
    """Write each capture (relative path -> text, or bytes as they are) under ``root``."""
    for relative, content in captures.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


PackedCaptures = Callable[..., Path]


@pytest.fixture(scope="session")
def packed_captures(tmp_path_factory) -> PackedCaptures:
    """``packed_captures(folder, captures, pack_settings, log=None)``: the release packed from a
    new source folder named ``folder`` holding ``captures`` (see :func:`write_captures`), with a
    capture log of the JSON Lines ``log`` when given; each in a folder of its own."""

    def packed(
        folder: str,
        captures: Mapping[str, str | bytes],
        pack_settings: PackSettings,
        log: str | None = None,
    ) -> Path:
        root = write_captures(tmp_path_factory.mktemp("corpus") / folder, captures)
        capture_log = None
        if log is not None:
            capture_log = root.parent / "log.jsonl"
            capture_log.write_text(log, encoding="utf-8")
        out = tmp_path_factory.mktemp("dist")
        return pack([root], out, pack_settings, capture_log=capture_log).path

    return packed


def bounded(code: str, *, memory: int = 1 << 30, seconds: int = 60) -> str:
    """Run ``code`` in a fresh interpreter under an address-space limit and a timeout; its
    stdout. Exceeding either fails the test (MemoryError, or TimeoutExpired)."""
    repo = Path(__file__).resolve().parents[1]
    prelude = f"import resource\nresource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
    env = {**os.environ, "PYTHONPATH": f"{repo}{os.pathsep}{repo / 'tests'}"}
    done = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def raw_strings(values: list[bytes], nulls: pa.Buffer | None = None) -> pa.Array:
    """A string array holding ``values`` as they are, UTF-8 or not: Arrow checks nothing when
    an array is made from its buffers (``nulls``: the validity bitmap, None for none)."""
    offsets = pa.py_buffer(np.cumsum([0, *map(len, values)], dtype=np.int32).tobytes())
    return pa.Array.from_buffers(
        pa.string(), len(values), [nulls, offsets, pa.py_buffer(b"".join(values))]
    )


def vouch_for(release: Path, relative: str, rows: int = 0) -> None:
    """Make the manifest (and its digests) list ``relative`` as it now is, ``rows`` more rows
    in its entry, as a forger would."""
    manifest = json.loads((release / "manifest.json").read_bytes())
    for entry in manifest["files"]:
        if entry["path"] == relative:
            entry["sha256"], entry["bytes"] = file_sha256(release / relative)
            if rows:
                entry["rows"] += rows
    write_manifest(release, manifest)


def benchmark_module(name: str):
    """The script ``benchmarks/<name>.py``, imported as module ``name`` (the scorers the
    real-data tests hold to their figures)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
