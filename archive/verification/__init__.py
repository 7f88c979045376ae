"""The verify side: prove a release is exactly what its manifest says.

``report`` (the ``Report`` and the tiers), ``registry`` (how a check is declared and run),
``checks`` (every check, registered once), ``structure`` and ``rows`` (the checks),
``shards`` and ``tasks`` (the row checks of one shard, run in the pool), ``api`` (``verify``,
``check_release``, ``is_valid``, ``sign``) and ``validation`` (``validate`` of single files).
"""

from archive.verification.api import check_release, is_valid, sign, verify
from archive.verification.checks import CHECKS
from archive.verification.report import LEVELS, Report
from archive.verification.structure import unsafe_path
from archive.verification.validation import validate

__all__ = [
    "CHECKS",
    "LEVELS",
    "Report",
    "check_release",
    "is_valid",
    "sign",
    "unsafe_path",
    "validate",
    "verify",
]
