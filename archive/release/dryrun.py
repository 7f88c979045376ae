"""``archive pack --dry-run``: what a pack would do, without spending the version.

The pack runs in full, but into a temporary folder: the figures are the ones the real pack
would give (inputs, records, quarantine by reason, records reused from the parent, capture-log
lines that are bad or name no input, the implied version bump), because they come from the same
code. Nothing is written to ``out``; the cost is that of a pack.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from archive.capture.storage import is_url
from archive.errors import ReleaseExistsError, UsageError
from archive.release.pack import check_output_folder, pack, release_path
from archive.release.parent import latest_release
from archive.settings import PackSettings
from archive.versions.diff import changes_overview


def dry_run(sources: Sequence[str | os.PathLike], out, settings: PackSettings, **options) -> dict:
    """The summary a pack into ``out`` would give (``pack``'s options), with nothing written
    there: ``would_write``, ``counts``, ``quarantine_reasons``, ``capture_log``, ``parent``,
    ``bump`` (implied, and any warning about the chosen version) and ``errors``."""
    if is_url(out):
        raise UsageError("--dry-run needs a local --out (it reads the parent from there)")
    check_output_folder(Path(out))
    destination = release_path(Path(out), settings.name, settings.version)
    if destination.exists():
        raise ReleaseExistsError(f"{destination} exists; releases are immutable")
    parent = options.pop("parent", "auto")
    if parent == "auto":
        parent = latest_release(Path(out), settings.name, settings.version)
    with tempfile.TemporaryDirectory(prefix="archive-dry-run-") as scratch:
        result = pack(sources, scratch, settings, parent=parent, unread=[out], **options)
        changes_file = result.path / "CHANGES.json"
        changes = changes_overview(changes_file) if changes_file.is_file() else None
        manifest = result.manifest
    return {
        "would_write": str(destination),
        "counts": manifest["counts"],
        "quarantine_reasons": manifest["quarantine_reasons"],
        "capture_log": manifest.get("capture_log"),
        "parent": {"path": str(parent), **manifest["parent"]} if parent else None,
        "bump": changes["bump"] if changes else None,
        "errors": list(result.warnings),
    }
