"""Fuzzing the parsers of hostile data, bounded in time: the text decoder, text normalization,
capture logs, manifests, digest files, quarantine files, signatures and manifest paths.

Each parser may only refuse in its documented way (``NotText``, ``ValueError``, a report with
problems); any other exception is a bug. Hypothesis runs in every test run; atheris (coverage-
guided, libFuzzer) runs a few seconds more where it is installed, and is skipped otherwise.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from conftest import CREATED
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive import PackSettings
from archive.capture.capturelog import CaptureLog, entry_from_mapping
from archive.errors import UsageError
from archive.format.manifest import MANIFEST, MANIFEST_DIGEST, canonical_json, read_digest_file
from archive.format.signing import SIGNATURE_FILE, read_signature
from archive.text.decode import NotText, decode_bytes, printable
from archive.text.normalize import normalize_text
from archive.verification import check_release, unsafe_path

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
METHODS = {"bom", "declared", "utf-8", "utf-8-repaired", "detected"}
CHARSETS = st.sampled_from(
    [
        None,
        "utf-8",
        "latin-1",
        "cp1252",
        "utf-16",
        "shift_jis",
        "koi8-r",
        "unicode_escape",
        "base64",
        "rot13",
        "no-such-charset",
        "",
        "utf-7",
        "idna",
    ]
)
# Bytes that look like text often enough to reach every branch of the decoder.
TEXTISH = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-16", errors="surrogatepass")),
    st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=200).map(
        lambda t: t.encode("latin-1")
    ),
    st.tuples(st.text(max_size=100), st.binary(max_size=8)).map(
        lambda p: p[0].encode("utf-8") + p[1]
    ),
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@FAST
@given(raw=TEXTISH, declared=CHARSETS)
def test_decode_bytes_refuses_or_returns_clean_text(raw, declared):
    try:
        decoded = decode_bytes(raw, declared)
    except NotText as exc:
        assert exc.reason in {"empty", "binary", "undecodable"} and str(exc)
        return
    decoded.text.encode("utf-8")  # no lone surrogates: every hash downstream needs UTF-8
    assert decoded.text.strip() and decoded.method in METHODS
    assert decode_bytes(raw, declared) == decoded  # deterministic
    assert "\x00" not in decoded.text


@FAST
@given(text=st.text(max_size=300))
def test_normalize_text_is_idempotent_and_canonical(text):
    normal = normalize_text(text)
    assert normalize_text(normal) == normal
    assert "\r" not in normal and unicodedata.is_normalized("NFC", normal)
    assert not normal.startswith("\n") and not normal.endswith("\n")
    assert all(line == line.rstrip(" \t") for line in normal.split("\n"))


@FAST
@given(text=st.text(max_size=200), keep=st.sampled_from(["", "\n", "\n\t"]))
def test_printable_output_holds_no_control_character(text, keep):
    shown = printable(text, keep=keep)
    assert all(
        ch in keep
        or not (
            unicodedata.category(ch) == "Cc"
            or 0x202A <= ord(ch) <= 0x202E
            or 0x2066 <= ord(ch) <= 0x2069
        )
        for ch in shown
    )


@FAST
@given(data=st.dictionaries(st.text(max_size=15), JSON, max_size=6), path=st.text(max_size=30))
def test_capture_log_lines_are_checked_or_refused(data, path):
    for mapping in (data, dict(data, path=path)):
        try:
            entry = entry_from_mapping(mapping, 1)
        except ValueError:
            continue
        posix = PurePosixPath(entry.path)
        assert not posix.is_absolute() and ".." not in posix.parts


@SLOW
@given(
    raw=st.binary(max_size=600) | st.text(max_size=300).map(str.encode),
    suffix=st.sampled_from([".jsonl", ".csv"]),
)
@example(raw=b"\xef", suffix=".jsonl")  # part of a byte-order mark, which Python's reader drops
@example(raw=b"\xef\xbb", suffix=".csv")
@example(raw=b"\x80", suffix=".csv")  # a header that is not UTF-8: one bad line, no row
@example(raw=b"path,n\xff\na.txt,1\n\xfe\n", suffix=".csv")
@example(raw=b'{"path": "a.txt"}\n\xff\n', suffix=".jsonl")
def test_capture_logs_of_any_bytes_never_crash(tmp_path_factory, raw, suffix):
    folder = tmp_path_factory.mktemp("log")
    log = folder / f"captures{suffix}"
    log.write_bytes(raw)
    try:
        built = CaptureLog.build(log, folder / "index.sqlite")
    except UsageError:
        return
    # Every non-blank line (CSV: every row) is an entry or a problem, never both, never neither.
    assert built.size + len(built.problems) == _data_rows(log)
    assert all(problem.line >= 1 for problem in built.problems)


@FAST
@given(raw=st.binary(max_size=120))
def test_digest_files_are_read_or_refused(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("digest")
    (folder / MANIFEST_DIGEST).write_bytes(raw)
    try:
        digest = read_digest_file(folder)
    except ValueError:
        return
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


@FAST
@given(path=st.text(max_size=40))
def test_a_path_called_safe_stays_inside_the_release(path):
    if unsafe_path(path) is None:
        resolved = os.path.normpath(os.path.join("/release", path))
        assert resolved.startswith("/release/") and ".." not in path.split("/")


@pytest.fixture(scope="module")
def release(packed_captures) -> Path:
    captures = {
        f"notice-{i}.txt": f"Notice {i}\n\nThe fictional Brackwater library opens at {i + 8}am.\n"
        for i in range(3)
    }
    captures["empty.txt"] = b""
    settings_ = PackSettings("fuzz", "1.0.0", CREATED, extract="none")
    return packed_captures("notices", captures, settings_)


def copy_of(release: Path, factory) -> Path:
    target = factory.mktemp("copy") / release.name
    shutil.copytree(release, target)
    return target


def replace_manifest(release: Path, manifest) -> None:
    """A new manifest with a matching digest file, so the checks after the digest run."""
    data = canonical_json(manifest) if not isinstance(manifest, bytes) else manifest
    (release / MANIFEST).write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (release / MANIFEST_DIGEST).write_bytes(f"{digest}  {MANIFEST}\n".encode())


MANIFEST_KEYS = st.sampled_from(
    [
        ("files", 0, "path"),
        ("files", 0, "bytes"),
        ("files", 0, "rows"),
        ("files",),
        ("counts", "records"),
        ("counts",),
        ("schemas", "record", "path"),
        ("schemas",),
        ("name",),
        ("format_version",),
        ("files", 1, "path"),
        ("parent",),
    ]
)
HOSTILE_PATHS = st.sampled_from(
    [
        "../outside",
        "/etc/hostname",
        "data/../../x",
        "data//x",
        "./manifest.json",
        "a\\b",
        "manifest.json",
        "data",
        "",
        "x\x00y",
        "data/records-00000-of-00001.parquet/x",
    ]
)


@SLOW
@given(key=MANIFEST_KEYS, value=JSON | HOSTILE_PATHS)
def test_verify_reports_any_manifest_change_and_never_crashes(
    tmp_path_factory, release, key, value
):
    target = copy_of(release, tmp_path_factory)
    manifest = json.loads((target / MANIFEST).read_bytes())
    node = manifest
    for part in key[:-1]:
        node = node[part]
    if node[key[-1]] == value:
        return
    node[key[-1]] = value
    replace_manifest(target, manifest)
    report = check_release(target)
    assert not report.ok


@SLOW
@given(document=JSON | st.binary(max_size=200))
def test_verify_survives_any_manifest_document(tmp_path_factory, release, document):
    target = copy_of(release, tmp_path_factory)
    replace_manifest(target, document if isinstance(document, bytes) else canonical_json(document))
    assert not check_release(target).ok


@SLOW
@given(
    raw=st.binary(max_size=300)
    | st.lists(JSON, max_size=4).map(
        lambda rows: b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    )
)
def test_verify_survives_any_quarantine_file(tmp_path_factory, release, raw):
    target = copy_of(release, tmp_path_factory)
    original = (target / "quarantine.jsonl").read_bytes()
    if raw == original:
        return
    (target / "quarantine.jsonl").write_bytes(raw)
    report = check_release(target)
    assert any(p.path.startswith("quarantine.jsonl") for p in report.problems)


@FAST
@given(raw=st.binary(max_size=300) | JSON.map(lambda d: canonical_json(d)))
def test_signature_files_are_read_or_refused(tmp_path_factory, raw):
    folder = tmp_path_factory.mktemp("sig")
    (folder / SIGNATURE_FILE).write_bytes(raw)
    with contextlib.suppress(ValueError):
        signature = read_signature(folder)
        assert len(signature.public_key) == 32 and len(signature.signature) == 64


ATHERIS_TARGET = textwrap.dedent(
    """
    import importlib
    import sys
    import atheris

    # Load the libraries uninstrumented: instrumenting pyarrow & co. costs half a minute.
    for name in ("numpy", "pyarrow.parquet", "pyarrow.compute", "jsonschema", "click",
                 "charset_normalizer", "publicsuffixlist", "cryptography.hazmat.primitives"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass

    with atheris.instrument_imports():
        from archive.text.decode import NotText, decode_bytes
        from archive.text.normalize import normalize_text

    def one_input(data: bytes) -> None:
        try:
            decoded = decode_bytes(data)
        except NotText:
            return
        normalize_text(decoded.text).encode("utf-8")

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
    """
)


def test_atheris_fuzzes_the_decoder_where_installed(tmp_path):
    pytest.importorskip("atheris")
    script = tmp_path / "fuzz_decode.py"
    script.write_text(ATHERIS_TARGET, encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, str(script), "-runs=3000", "-max_total_time=5", "-seed=1"],
        cwd=root,
        env=dict(os.environ, PYTHONPATH=str(root)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _data_rows(log) -> int:
    """Lines (CSV: rows) a log's reading must account for; bytes that are not UTF-8 are read as
    the reader reads them, and a CSV header holding them is one line more (said once)."""
    text = log.read_bytes().decode("utf-8-sig", "surrogateescape")
    if log.suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = sum(1 for _ in reader)
        escaped = any(re.search("[\udc80-\udcff]", name) for name in reader.fieldnames or ())
        return rows + escaped
    return sum(1 for line in io.StringIO(text, newline="") if line.strip())
