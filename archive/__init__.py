"""archive: captured web documents in, a versioned, verifiable Parquet release out.

The public API; the ``archive`` command is a thin layer over it::

    from archive import PackSettings, pack, verify
    result = pack(["examples/captures"], "dist", settings, capture_log="examples/captures.jsonl")
    report = verify(result.path)        # raises VerificationError listing every problem
"""

from archive._version import __version__
from archive.collection import Collection, load_config
from archive.errors import ArchiveError, Problem, ReleaseExistsError, UsageError, VerificationError
from archive.release.pack import PackResult, pack
from archive.runtime.progress import ProgressBars
from archive.settings import PackSettings
from archive.verification import Report, check_release, is_valid, validate, verify
from archive.versions.diff import diff
from archive.versions.history import log
from archive.versions.rehydrate import rehydrate

__all__ = [
    "ArchiveError",
    "Collection",
    "ProgressBars",
    "load_config",
    "PackResult",
    "PackSettings",
    "Report",
    "Problem",
    "ReleaseExistsError",
    "UsageError",
    "VerificationError",
    "__version__",
    "check_release",
    "diff",
    "is_valid",
    "log",
    "pack",
    "rehydrate",
    "validate",
    "verify",
]
