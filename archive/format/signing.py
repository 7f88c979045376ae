"""Detached Ed25519 signatures over a release's manifest.

``archive sign`` (``archive.verification.sign``, which first verifies the release) writes
``manifest.json.sig.json`` beside the manifest, shaped like a WACZ
``datapackage-digest.json``::

    {"path": "manifest.json", "hash": "sha256:<hex>",
     "signedData": {"hash": "sha256:<hex>", "publicKey": "<base64>", "created": "<RFC 3339>",
                    "software": "archive <version>", "signature": "<base64>"}}

The signature is Ed25519 over the canonical JSON line (sorted keys, no spaces) of ``signedData``
without its ``signature`` field, so the time and the key are signed along with the hash. The
manifest holds the SHA-256 of every other file, so one signature covers the whole release. The
signature file cannot be listed in the manifest it signs: ``verify`` knows its name, allows it,
and checks it (against the key given with ``--key``, else only against the key it names).

Keys are PEM files (PKCS#8 private, SubjectPublicKeyInfo public); a public key may also be given
as the base64 of its 32 raw bytes, as it appears in ``publicKey``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from archive._version import __version__
from archive.errors import Problem, UsageError
from archive.format import boundedjson
from archive.format.manifest import MANIFEST, canonical_json, canonical_line
from archive.settings import created_time, rfc3339

# cryptography is imported where a key is read, made or used: a verify of an unsigned release
# (most) does without its import.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SIGNATURE_FILE = "manifest.json.sig.json"
_SIGNED_FIELDS = ("created", "hash", "publicKey", "software")


@dataclass(frozen=True)
class Signature:
    """A parsed signature file. ``hash`` is ``sha256:<hex>`` of ``manifest.json``; ``public_key``
    and ``signature`` are raw bytes (32 and 64)."""

    hash: str
    public_key: bytes
    signature: bytes
    created: str
    software: str

    def signed_bytes(self) -> bytes:
        return signed_message(self.hash, self.public_key, self.created, self.software)


def signed_message(hash_: str, public_key: bytes, created: str, software: str) -> bytes:
    """The exact bytes the Ed25519 signature covers."""
    data = {
        "created": created,
        "hash": hash_,
        "publicKey": _b64(public_key),
        "software": software,
    }
    return canonical_line(data)


def generate_keypair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PEM, public PEM).

    >>> private, public = generate_keypair()
    >>> public.startswith(b"-----BEGIN PUBLIC KEY-----")
    True
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def write_keypair(private_key_path: str | os.PathLike) -> tuple[Path, Path]:
    """Write a new key pair to ``KEY`` (readable by its owner only) and ``KEY.pub``; existing
    files are never overwritten."""
    private_path = Path(private_key_path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(f"{path} already exists; keys are never overwritten")
    private, public = generate_keypair()
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private)
    public_path.write_bytes(public)
    return private_path, public_path


def load_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path}: not an Ed25519 key")
    return key


def load_public_key(path: str | os.PathLike) -> bytes:
    """The 32 raw bytes of the Ed25519 public key in ``path`` (PEM, or base64 of the raw key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"public key {path}: cannot be read ({exc.strerror})") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        raw = base64.b64decode(data.strip(), validate=True)
        if len(raw) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")
        return raw
    except (ValueError, TypeError, binascii.Error) as exc:
        raise UsageError(f"public key {path}: not an Ed25519 public key ({exc})") from None


def manifest_hash(release: Path) -> str:
    return "sha256:" + hashlib.sha256((release / MANIFEST).read_bytes()).hexdigest()


def write_signature(
    release: str | os.PathLike, key: Ed25519PrivateKey, *, created: datetime | None = None
) -> Path:
    """Sign the manifest of ``release`` with ``key`` and write the signature file (replacing
    one); return its path. Checks nothing: ``archive.verification.sign`` signs only a release
    that verifies. ``created`` defaults to ``$SOURCE_DATE_EPOCH``, else now; Ed25519 is
    deterministic, so the same key and time give the same bytes."""
    from cryptography.hazmat.primitives import serialization

    root = Path(release)
    target = root / SIGNATURE_FILE
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    moment = rfc3339(created or created_time(None, dict(os.environ)))
    software = f"archive {__version__}"
    hash_ = manifest_hash(root)
    signature = key.sign(signed_message(hash_, public, moment, software))
    document = {
        "path": MANIFEST,
        "hash": hash_,
        "signedData": {
            "hash": hash_,
            "publicKey": _b64(public),
            "created": moment,
            "software": software,
            "signature": _b64(signature),
        },
    }
    partial = root / f".{SIGNATURE_FILE}.partial-{os.getpid()}"
    try:
        partial.write_bytes(canonical_json(document))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def read_signature(release: Path) -> Signature:
    """Parse the signature file of ``release``; ``ValueError`` says what is malformed."""
    try:
        raw = boundedjson.read_capped(release / SIGNATURE_FILE, 2**16)
        document = boundedjson.loads(raw)
    except OSError as exc:
        raise ValueError(f"cannot be read ({exc.strerror})") from None
    if not isinstance(document, dict) or not isinstance(document.get("signedData"), dict):
        raise ValueError("no signedData object")
    data = document["signedData"]
    if set(document) != {"path", "hash", "signedData"} or set(data) != {
        *_SIGNED_FIELDS,
        "signature",
    }:
        raise ValueError("unexpected or missing keys")
    for name in (*_SIGNED_FIELDS, "signature"):
        if not isinstance(data.get(name), str):
            raise ValueError(f"signedData.{name} is not a string")
    # Canonical bytes only: the file is in no manifest, so no byte of it may vary unnoticed.
    if canonical_json(document) != raw:
        raise ValueError("not in canonical form (sorted keys, 2-space indent)")
    if document.get("path") != MANIFEST or document.get("hash") != data["hash"]:
        raise ValueError(f"path is not {MANIFEST!r} or hash differs from signedData.hash")
    try:
        public_key = base64.b64decode(data["publicKey"], validate=True)
        signature = base64.b64decode(data["signature"], validate=True)
    except binascii.Error as exc:
        raise ValueError(f"publicKey or signature is not base64 ({exc})") from None
    if len(public_key) != 32 or len(signature) != 64:
        raise ValueError("publicKey must be 32 bytes and signature 64 (Ed25519)")
    return Signature(data["hash"], public_key, signature, data["created"], data["software"])


def signature_problems(release: Path, manifest_bytes: bytes, key: bytes | None) -> list[Problem]:
    """Every way the signature of ``release`` fails: unreadable (E020), not made by ``key`` or
    broken (E021), over another manifest (E022). With no ``key``, the signature is checked
    against the key it names, which proves integrity but not who signed."""
    try:
        signature = read_signature(release)
    except ValueError as exc:
        return [Problem("E020", SIGNATURE_FILE, f"malformed: {exc}")]
    problems = []
    actual = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    if signature.hash != actual:
        problems.append(
            Problem("E022", MANIFEST, "differs from the signed manifest", signature.hash, actual)
        )
    if key is not None and key != signature.public_key:
        problems.append(
            Problem(
                "E021",
                SIGNATURE_FILE,
                "signed by another key than the one given",
                _b64(key),
                _b64(signature.public_key),
            )
        )
        return problems
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(signature.public_key).verify(
            signature.signature, signature.signed_bytes()
        )
    except InvalidSignature:
        problems.append(Problem("E021", SIGNATURE_FILE, "the signature does not verify"))
    return problems


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


__all__ = [
    "SIGNATURE_FILE",
    "Signature",
    "generate_keypair",
    "load_public_key",
    "read_signature",
    "signature_problems",
    "write_keypair",
    "write_signature",
]
