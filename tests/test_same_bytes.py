"""The same inputs and settings give the same release bytes: a guard against any change that
alters releases without a deliberate change of the extractor.

Three releases are packed, as users pack them: the bundled example corpus, a versioned pair (a
1.1.0 with one capture added and one outlet renamed, reusing 1.0.0) and a set of WARC files.
The SHA-256 of every file of each is compared with ``tests/golden/release-digests.json``.
Parquet's footer names the writer's version, so the digests hold for one pyarrow release;
regenerate them (after a deliberate change, or for a new pyarrow) with
``ARCHIVE_UPDATE_GOLDEN=1 pytest tests/test_same_bytes.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
import warcdata
from click.testing import CliRunner

from archive.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "release-digests.json"
EXAMPLE = ROOT / "examples"


def _pack(*args: str) -> Path:
    result = CliRunner().invoke(main, ["pack", *args, "-q"])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def _digests(release: Path) -> dict[str, str]:
    return {
        path.relative_to(release).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, dict[str, str]]:
    work = tmp_path_factory.mktemp("same-bytes")
    dist = work / "dist"
    common = ["--out", str(dist), "--name", "example"]
    first = _pack(
        str(EXAMPLE / "captures"), "--capture-log", str(EXAMPLE / "captures.jsonl"),
        "--outlets", str(EXAMPLE / "outlets.toml"), *common, "--version", "1.0.0",
        "--created", "2026-01-01T00:00:00Z",
    )  # fmt: skip
    captures = work / "v2" / "captures"
    shutil.copytree(EXAMPLE / "captures", captures)
    (captures / "quillwire" / "ferry-timetable.txt").write_text(
        "Fictional addition.\n\nA new ferry timetable was published for the Vell coast on "
        "Tuesday.\n",
        encoding="utf-8",
    )
    outlets = work / "outlets.toml"
    renamed = (EXAMPLE / "outlets.toml").read_text(encoding="utf-8")
    outlets.write_text(renamed.replace("Northgate Ledger", "The Northgate Ledger"), "utf-8")
    second = _pack(
        str(captures), "--capture-log", str(EXAMPLE / "captures.jsonl"),
        "--outlets", str(outlets), *common, "--version", "1.1.0",
        "--created", "2026-02-01T00:00:00Z",
    )  # fmt: skip
    warcs = work / "warcs"
    warcs.mkdir()
    specs = warcdata.fixture_specs()
    warcdata.write_warc(warcs / "a.warc.gz", specs, gz=True)
    warcdata.write_warc(warcs / "b.warc", specs[:4], gz=False)
    warc_release = _pack(
        str(warcs), "--out", str(dist), "--name", "warcset", "--version", "1.0.0",
        "--created", "2026-01-01T00:00:00Z",
    )  # fmt: skip
    return {
        "example-1.0.0": _digests(first),
        "example-1.1.0": _digests(second),
        "warcset-1.0.0": _digests(warc_release),
    }


def test_releases_are_byte_identical_to_the_golden_digests(releases):
    found = {"pyarrow": pa.__version__, "releases": releases}
    if os.environ.get("ARCHIVE_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if golden["pyarrow"] != pa.__version__:
        pytest.skip(f"digests recorded with pyarrow {golden['pyarrow']}, not {pa.__version__}")
    assert releases.keys() == golden["releases"].keys()
    for name, files in golden["releases"].items():
        assert releases[name] == files, name
