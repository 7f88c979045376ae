"""BagIt 1.0 (RFC 8493) tag files: every release is also a bag.

The payload is ``data/`` (the Parquet shards); everything else in the release is a tag file.
Payload manifests list the shards with the digests the manifest records; tag manifests list every
tag file but themselves (as bagit-python does, so the two tag manifests never list each other).
"""

from __future__ import annotations

from archive.exporters.common import generator, shards

BAGIT_VERSION = "1.0"
ALGORITHMS = ("sha256", "sha512")
TAG_MANIFESTS = {algorithm: f"tagmanifest-{algorithm}.txt" for algorithm in ALGORITHMS}


def bagit_txt() -> bytes:
    """The bag declaration (RFC 8493 section 2.1.1)."""
    return f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode()


def encode_path(path: str) -> str:
    """A path as a manifest line writes it: ``%``, CR and LF percent-encoded (RFC 8493 2.1.3).

    >>> encode_path("data/100%\\nsure.parquet")
    'data/100%25%0Asure.parquet'
    """
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(encoded: str) -> str:
    """The inverse of ``encode_path``."""
    out, index = [], 0
    escapes = {"%25": "%", "%0D": "\r", "%0A": "\n"}
    while index < len(encoded):
        token = encoded[index : index + 3].upper()
        if token in escapes:
            out.append(escapes[token])
            index += 3
        else:
            out.append(encoded[index])
            index += 1
    return "".join(out)


def payload_entries(manifest: dict) -> list[dict]:
    """The manifest's entries for files under ``data/``, sorted by path."""
    return sorted(
        (e for e in manifest["files"] if e["path"].startswith("data/")), key=lambda e: e["path"]
    )


def payload_manifest(manifest: dict, algorithm: str) -> bytes:
    """``manifest-<algorithm>.txt``: one ``<digest>  <path>`` line per payload file."""
    lines = [f"{e[algorithm]}  {encode_path(e['path'])}\n" for e in payload_entries(manifest)]
    return "".join(lines).encode("utf-8")


def tag_manifest(tags: dict[str, dict[str, str]], algorithm: str) -> bytes:
    """``tagmanifest-<algorithm>.txt`` over ``tags`` (path -> {algorithm: digest})."""
    lines = [
        f"{digests[algorithm]}  {encode_path(path)}\n"
        for path, digests in sorted(tags.items())
        if path not in TAG_MANIFESTS.values()
    ]
    return "".join(lines).encode("utf-8")


def bag_info(manifest: dict) -> bytes:
    """``bag-info.txt``: the reserved metadata RFC 8493 section 2.2.2 names, sorted by label.

    Payload-Oxum counts the payload only (``data/``); Bagging-Date is the release's ``created``
    date, so the file never depends on when it was written.
    """
    payload = payload_entries(manifest)
    counts = manifest["counts"]
    octets = sum(e["bytes"] for e in payload)
    info = {
        "Bag-Software-Agent": generator(manifest),
        "Bagging-Date": manifest["created"][:10],
        "External-Description": _one_line(
            f"{manifest['name']} {manifest['version']}: {counts['records']} records in "
            f"{len(shards(manifest))} Parquet shard(s) from {counts['inputs']} inputs; "
            "manifest.json describes and hashes every file"
        ),
        "External-Identifier": f"{manifest['name']}-{manifest['version']}",
        "Payload-Oxum": f"{octets}.{len(payload)}",
        "Bag-Size": _human_size(octets),
    }
    return "".join(f"{label}: {value}\n" for label, value in sorted(info.items())).encode()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _human_size(octets: int) -> str:
    """Bag-Size in decimal units, e.g. ``54.5 KB``."""
    size, unit = float(octets), "B"
    for larger in ("KB", "MB", "GB", "TB"):
        if size < 1000:
            break
        size, unit = size / 1000, larger
    return f"{octets} B" if unit == "B" else f"{size:.1f} {unit}"
