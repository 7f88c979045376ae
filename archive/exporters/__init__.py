"""Files derived from ``manifest.json`` (and the schemas it names) alone.

``derived_files`` returns every such file of a release (BagIt tag files, Frictionless Data
Package, Croissant, dataset card) as bytes. ``pack`` writes them after the manifest; ``verify``
regenerates them and compares bytes, so they can never disagree with the manifest.

Every exporter is a pure function of the manifest (and the record schema copy whose SHA-256 the
manifest records): no clock, no running tool version, no file system listing. What a file shows
as the producing software comes from ``manifest["generator"]``, so a release made by an older
``archive`` still regenerates to the same bytes as long as the templates are unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from archive.exporters.bagit import (
    TAG_MANIFESTS,
    bag_info,
    bagit_txt,
    payload_manifest,
    tag_manifest,
)
from archive.exporters.card import dataset_card
from archive.exporters.common import json_bytes, record_schema
from archive.exporters.croissant import document as croissant_document
from archive.exporters.datapackage import descriptor as datapackage_descriptor

__all__ = ["derived_files", "record_schema"]

_MANIFEST = "manifest.json"
_MANIFEST_DIGEST = "manifest.json.sha256"


def derived_files(release: Path, manifest: dict, manifest_bytes: bytes) -> dict[str, bytes]:
    """Relative path -> bytes of every file derived from the manifest.

    >>> files = derived_files(Path("dist/example-1.0.0"), manifest, data)  # doctest: +SKIP
    >>> sorted(files)[:3]  # doctest: +SKIP
    ['README.md', 'bag-info.txt', 'bagit.txt']
    """
    schema = record_schema(release, manifest)
    files = {
        "bagit.txt": bagit_txt(),
        "bag-info.txt": bag_info(manifest),
        "manifest-sha256.txt": payload_manifest(manifest, "sha256"),
        "manifest-sha512.txt": payload_manifest(manifest, "sha512"),
        "datapackage.json": json_bytes(datapackage_descriptor(manifest, schema)),
        "croissant.json": json_bytes(croissant_document(manifest, schema)),
        "README.md": dataset_card(manifest, schema),
    }
    tags = _tag_digests(manifest, manifest_bytes, files)
    for algorithm, name in TAG_MANIFESTS.items():
        files[name] = tag_manifest(tags, algorithm)
    return files


def _tag_digests(
    manifest: dict, manifest_bytes: bytes, derived: dict[str, bytes]
) -> dict[str, dict[str, str]]:
    """path -> {algorithm: hex digest} of every tag file (every file outside ``data/``).

    Listed files take their digests from the manifest (``verify`` checks those against the
    bytes); the manifest, its digest file and the derived files are hashed here.
    """
    digest_line = f"{hashlib.sha256(manifest_bytes).hexdigest()}  {_MANIFEST}\n".encode("ascii")
    known = {_MANIFEST: manifest_bytes, _MANIFEST_DIGEST: digest_line, **derived}
    tags = {path: _digests(data) for path, data in known.items()}
    for entry in manifest["files"]:
        if not entry["path"].startswith("data/"):
            tags[entry["path"]] = {"sha256": entry["sha256"], "sha512": entry["sha512"]}
    return tags


def _digests(data: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}
