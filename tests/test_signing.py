"""Signed releases: keygen, sign, verify --key; a wrong key or an altered release fails."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import CREATED

from archive import PackSettings, UsageError, VerificationError, check_release, verify
from archive.cli import main
from archive.format.manifest import canonical_json, write_manifest
from archive.format.signing import SIGNATURE_FILE, generate_keypair, load_public_key, write_keypair
from archive.verification import sign

SETTINGS = PackSettings("signed", "1.0.0", CREATED, extract="none")
SIGNED_AT = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def unsigned(packed_captures) -> Path:
    captures = {
        f"dispatch-{i}.txt": f"Quarry road reopens, dispatch {i}\n\nCrews in fictional Ashcombe "
        f"cleared {i + 2} tonnes of scree overnight.\n"
        for i in range(4)
    }
    return packed_captures("dispatches", captures, SETTINGS)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    return write_keypair(tmp_path_factory.mktemp("keys") / "release.key")


@pytest.fixture
def release(unsigned, tmp_path) -> Path:
    copy = tmp_path / unsigned.name
    shutil.copytree(unsigned, copy)
    return copy


def codes(release: Path, **options) -> set[str]:
    return {p.code for p in check_release(release, **options).problems}


def test_keygen_writes_a_private_key_only_its_owner_reads(keys):
    private, public = keys
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert len(load_public_key(public)) == 32
    with pytest.raises(UsageError, match="never overwritten"):
        write_keypair(private)


def test_signed_release_verifies_with_its_key(release, keys):
    private, public = keys
    path = sign(release, private, created=SIGNED_AT)
    assert path == release / SIGNATURE_FILE
    document = json.loads(path.read_bytes())
    assert set(document) == {"path", "hash", "signedData"}
    assert set(document["signedData"]) == {"hash", "publicKey", "created", "software", "signature"}
    assert document["signedData"]["created"] == "2026-02-03T04:05:06Z"
    report = verify(release, key=public)
    assert "signature" in report.checks and not report.warnings
    assert SIGNATURE_FILE not in {
        e["path"] for e in json.loads((release / "manifest.json").read_bytes())["files"]
    }


def test_signing_is_byte_reproducible(release, keys, tmp_path):
    first = sign(release, keys[0], created=SIGNED_AT).read_bytes()
    second = sign(release, keys[0], created=SIGNED_AT, replace=True).read_bytes()
    assert first == second


def test_an_existing_signature_is_not_replaced_silently(release, keys):
    sign(release, keys[0], created=SIGNED_AT)
    with pytest.raises(UsageError, match="already exists"):
        sign(release, keys[0], created=SIGNED_AT)


def test_a_wrong_key_fails(release, keys, tmp_path):
    sign(release, keys[0], created=SIGNED_AT)
    _, other = write_keypair(tmp_path / "other.key")
    problems = check_release(release, key=other).problems
    assert [(p.code, p.path) for p in problems] == [("E021", SIGNATURE_FILE)]


def test_an_altered_manifest_fails_even_with_its_digest_rewritten(release, keys):
    sign(release, keys[0], created=SIGNED_AT)
    manifest = json.loads((release / "manifest.json").read_bytes())
    manifest["version"] = "1.0.1"
    write_manifest(release, manifest)  # a consistent digest file and derived files
    assert codes(release, key=keys[1]) == {"E022"}


def test_a_forged_signature_field_fails(release, keys):
    path = sign(release, keys[0], created=SIGNED_AT)
    document = json.loads(path.read_bytes())
    document["signedData"]["created"] = "2030-01-01T00:00:00Z"  # signed data: breaks the sig
    path.write_bytes(canonical_json(document))
    assert codes(release, key=keys[1]) == {"E021"}
    document["signedData"]["signature"] = "not base64!"
    path.write_bytes(canonical_json(document))
    assert codes(release, key=keys[1]) == {"E020"}


def test_a_key_given_for_an_unsigned_release_fails(release, keys):
    assert codes(release, key=keys[1]) == {"E020"}
    assert "signature" in check_release(release).skipped


def test_without_a_key_the_signature_is_checked_against_its_own_key(release, keys):
    sign(release, keys[0], created=SIGNED_AT)
    report = check_release(release)
    assert report.ok and [w.code for w in report.warnings] == ["W001"]
    (release / SIGNATURE_FILE).write_bytes(b"{}")
    assert codes(release) == {"E020"}


def test_a_tampered_release_is_not_signed(release, keys):
    shard = next((release / "data").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes() + b"\x00")
    with pytest.raises(VerificationError):
        sign(release, keys[0], created=SIGNED_AT)
    assert not (release / SIGNATURE_FILE).exists()


def test_public_key_in_base64_or_pem(keys, tmp_path):
    raw = load_public_key(keys[1])
    encoded = tmp_path / "key.b64"
    encoded.write_text(base64.b64encode(raw).decode() + "\n", encoding="ascii")
    assert load_public_key(encoded) == raw
    private_pem, _ = generate_keypair()
    garbage = tmp_path / "garbage.pub"
    garbage.write_bytes(private_pem)  # a private key where a public one is expected
    with pytest.raises(UsageError):
        load_public_key(garbage)


def test_cli_keygen_sign_verify(runner, release, tmp_path):
    key = tmp_path / "cli.key"
    made = runner.invoke(main, ["keygen", str(key)])
    assert made.exit_code == 0 and len(base64.b64decode(made.stdout.strip())) == 32
    signed = runner.invoke(
        main, ["sign", str(release), "--key", str(key), "--created", "2026-02-03T04:05:06Z"]
    )
    assert signed.exit_code == 0 and signed.stdout.strip().endswith(SIGNATURE_FILE)
    good = runner.invoke(main, ["verify", str(release), "--key", f"{key}.pub", "--json"])
    assert good.exit_code == 0 and "signature" in json.loads(good.stdout)["checks"]
    other = tmp_path / "other.key"
    runner.invoke(main, ["keygen", str(other)])
    bad = runner.invoke(main, ["verify", str(release), "--key", f"{other}.pub"])
    assert bad.exit_code == 1 and bad.stdout.startswith("E021 manifest.json.sig.json:")
    again = runner.invoke(main, ["keygen", str(key)])
    assert again.exit_code == 2
    missing = runner.invoke(main, ["verify", str(release), "--key", str(tmp_path / "nope.pub")])
    assert missing.exit_code == 2
