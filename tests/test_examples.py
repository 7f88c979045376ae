"""The README's first command, end to end: pack the bundled example corpus, verify, inspect,
list relations, and check the capture-level output against a golden file.

The golden file holds what must never drift between machines or versions of the extractor:
record ids, the hashes of the captured bytes and of the decoded capture text, and the decoding.
Regenerate it (after a deliberate change to decoding or normalization) with
``ARCHIVE_UPDATE_GOLDEN=1 pytest tests/test_examples.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import pack_example

from archive.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "example-captures.jsonl"
GOLDEN_KEYS = (
    "record_id",
    "raw_sha256",
    "raw_bytes",
    "raw_encoding",
    "raw_encoding_method",
    "capture_text_sha256",
)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return pack_example(tmp_path_factory.mktemp("dist"))


def rows(release: Path) -> list[dict]:
    return pq.read_table(release / "data").to_pylist()


def test_capture_level_output_matches_the_golden_file(release):
    found = sorted(
        (
            ({k: r[k] for k in GOLDEN_KEYS} | {"source_path": r["capture"]["source_path"]})
            for r in rows(release)
        ),
        key=lambda r: r["source_path"],
    )
    if os.environ.get("ARCHIVE_UPDATE_GOLDEN"):
        lines = [json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in found]
        GOLDEN.write_text("".join(lines), encoding="utf-8")
    expected = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    assert found == expected


def _documented_capture_text(raw: bytes, encoding: str) -> str:
    """The capture text as the README documents it, written here without archive's code:
    the bytes decoded (a byte-order mark dropped), line ends to LF, NFC, trailing spaces of
    every line removed, no blank lines at either end."""
    text = raw.decode(encoding).removeprefix("\ufeff")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+$", "", text, flags=re.MULTILINE)
    return text.strip("\n")


def test_the_golden_file_holds_hashes_computed_from_the_files_themselves():
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        golden = json.loads(line)
        raw = (ROOT / "examples" / golden["source_path"]).read_bytes()
        key = golden["source_path"].encode("utf-8")
        text = _documented_capture_text(raw, golden["raw_encoding"])
        assert golden["raw_sha256"] == hashlib.sha256(raw).hexdigest()
        assert golden["raw_bytes"] == len(raw)
        assert golden["record_id"] == hashlib.sha256(b"archive-record-v1\n" + key).hexdigest()[:32]
        assert golden["capture_text_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_example_release_verifies_validates_and_accounts_for_everything(runner, release):
    assert runner.invoke(main, ["verify", str(release)]).exit_code == 0
    assert runner.invoke(main, ["validate", str(release)]).exit_code == 0
    manifest = json.loads((release / "manifest.json").read_bytes())
    counts = manifest["counts"]
    files = [p for p in (ROOT / "examples" / "captures").rglob("*") if p.is_file()]
    assert counts["inputs"] == len(files) == counts["records"] + counts["quarantined"]
    assert manifest["quarantine_reasons"] == {"empty": 1}
    assert counts["duplicates"] == 1


def test_example_encodings_are_detected_and_recorded(release):
    methods = {r["capture"]["source_path"].rsplit("/", 1)[1]: r for r in rows(release)}
    encodings = {(r["raw_encoding"], r["raw_encoding_method"]) for r in methods.values()}
    assert {("utf-8", "bom"), ("utf-16-le", "bom"), ("cp1252", "detected")} <= encodings
    cp1252 = next(r for r in rows(release) if r["raw_encoding"] == "cp1252")
    assert "é" in cp1252["capture_text"] and "Ã" not in cp1252["capture_text"]


def test_example_relations_show_every_kind_with_evidence(runner, release):
    listed = runner.invoke(main, ["relations", str(release), "--json"])
    assert listed.exit_code == 0
    relations = json.loads(listed.stdout)
    kinds = {r["kind"] for r in relations}
    assert kinds == {"exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of"}
    spun = next(r for r in relations if r["kind"] == "paraphrase-of")
    assert spun["evidence"]["substitutions"]
    flagged = {r["record_id"] for r in rows(release) if "spun-suspected" in r["flags"]}
    assert spun["source_id"] in flagged
    shown = runner.invoke(main, ["inspect", str(release), spun["source_id"], "--relations"])
    assert shown.exit_code == 0 and "paraphrase-of" in shown.stdout
    manifest = json.loads((release / "manifest.json").read_bytes())
    assert sum(manifest["relations"]["counts"].values()) == len(relations)


def test_explain_shows_spans_and_evidence(runner, release):
    logged = next(r for r in rows(release) if r["outlet"] and r["published_at"])
    shown = runner.invoke(main, ["inspect", str(release), logged["record_id"], "--explain"])
    assert shown.exit_code == 0
    assert logged["outlet"] in shown.stdout and "published_at" in shown.stdout


def test_no_asserted_outlet_contradicts_the_domain_table(release):
    import tomllib

    table = tomllib.loads((ROOT / "examples" / "outlets.toml").read_text(encoding="utf-8"))
    known = set(table["outlets"].values())
    asserted = {r["outlet"] for r in rows(release) if r["outlet"]}
    assert asserted <= known, asserted - known
