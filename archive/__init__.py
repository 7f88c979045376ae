"""archive: captured web documents in, a versioned, verifiable Parquet release out.

The public API; the ``archive`` command is a thin layer over it::

    from archive import PackSettings, pack, verify
    result = pack(["examples/captures"], "dist", settings, capture_log="examples/captures.jsonl")
    report = verify(result.path)        # raises VerificationError listing every problem

Names are imported when first used (PEP 562), so ``archive --version`` and ``archive --help``
answer without loading the pipeline (pyarrow, trafilatura, the language model).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from archive._version import __version__
from archive.errors import ArchiveError, Problem, ReleaseExistsError, UsageError, VerificationError
from archive.settings import PackSettings

_LAZY = {
    "Collection": "archive.collection",
    "load_config": "archive.collection",
    "PackResult": "archive.release.pack",
    "pack": "archive.release.pack",
    "ProgressBars": "archive.runtime.progress",
    "Report": "archive.verification",
    "check_release": "archive.verification",
    "is_valid": "archive.verification",
    "validate": "archive.verification",
    "verify": "archive.verification",
    "diff": "archive.versions.diff",
    "log": "archive.versions.history",
    "rehydrate": "archive.versions.rehydrate",
}

if TYPE_CHECKING:
    from archive.collection import Collection, load_config
    from archive.release.pack import PackResult, pack
    from archive.runtime.progress import ProgressBars
    from archive.verification import Report, check_release, is_valid, validate, verify
    from archive.versions.diff import diff
    from archive.versions.history import log
    from archive.versions.rehydrate import rehydrate


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'archive' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "ArchiveError",
    "Collection",
    "PackResult",
    "PackSettings",
    "ProgressBars",
    "Problem",
    "ReleaseExistsError",
    "Report",
    "UsageError",
    "VerificationError",
    "__version__",
    "check_release",
    "diff",
    "is_valid",
    "load_config",
    "log",
    "pack",
    "rehydrate",
    "validate",
    "verify",
]
