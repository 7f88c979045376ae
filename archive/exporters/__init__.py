"""Files derived from ``manifest.json`` (and the schemas it names) alone.

``derived_files`` returns every such file of a release (BagIt tag files, Frictionless Data
Package, Croissant, dataset card) as bytes. ``pack`` writes them after the manifest; ``verify``
regenerates them and compares bytes, so they can never disagree with the manifest.
"""

from __future__ import annotations

from pathlib import Path


def derived_files(release: Path, manifest: dict, manifest_bytes: bytes) -> dict[str, bytes]:
    """Relative path -> bytes of every file derived from the manifest."""
    return {}
