"""archive: captured web documents in, a versioned, verifiable Parquet release out.

The public API; the ``archive`` command is a thin layer over it::

    from archive import PackSettings, pack, verify
    result = pack(["examples/captures"], "dist", settings, capture_log="examples/captures.jsonl")
    report = verify(result.path)        # raises VerificationError listing every problem
"""

__version__ = "0.1.0"

from .diff import diff  # noqa: E402
from .errors import ArchiveError, Problem, ReleaseExistsError, UsageError, VerificationError  # noqa: E402
from .history import log  # noqa: E402
from .rehydrate import rehydrate  # noqa: E402
from .release import PackResult, pack  # noqa: E402
from .settings import PackSettings  # noqa: E402
from .verifier import Report, check_release, is_valid, validate, verify  # noqa: E402

__all__ = [
    "ArchiveError",
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
