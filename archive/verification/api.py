"""``verify``, ``check_release`` and ``is_valid``: prove a release is exactly what its manifest
says; and ``sign``, which signs only a release that verifies.

``sample`` audits that many rows, chosen by ``seed``, in place of every row. Every check runs and
every problem is collected before reporting (nothing stops at the first), and the report names
every check that ran and every check skipped. Problems carry stable codes
(``archive.errors.CODES``; warnings: ``WARNING_CODES``), documented in the README. ``jobs``
spreads files and shards over processes (``executor="ray"``: over a Ray cluster); results are
merged in a fixed order, so the report is the same whatever ``jobs`` or executor.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from archive.capture import storage
from archive.capture.locations import location
from archive.errors import SIGNATURE_CODES, UsageError, VerificationError
from archive.format.manifest import require_release
from archive.format.signing import (
    SIGNATURE_FILE,
    load_private_key,
    load_public_key,
    write_signature,
)
from archive.runtime.executors import executor_for
from archive.verification.audit import Audit, Plan
from archive.verification.checks import CHECKS
from archive.verification.registry import run_checks
from archive.verification.report import LEVELS, Report
from archive.versions.bundle import is_bundle, opened_bundle


def verify(
    release: str | Path,
    *,
    level: str = "rows",
    sample: int | None = None,
    seed: int = 0,
    jobs: int = 1,
    key: str | Path | None = None,
    executor: str = "local",
    address: str | None = None,
) -> Report:
    """Verify ``release``; raise ``VerificationError`` listing every problem.

    >>> verify("dist/example-1.0.0").ok  # doctest: +SKIP
    True
    >>> report = verify("dist/example-1.0.0", level="hashes", key="release.pub")  # doctest: +SKIP
    >>> report.skipped["record schema by column"]  # doctest: +SKIP
    'not run at level hashes'
    """
    report = check_release(
        release,
        level=level,
        sample=sample,
        seed=seed,
        jobs=jobs,
        key=key,
        executor=executor,
        address=address,
    )
    if not report.ok:
        raise VerificationError(report.problems)
    return report


def is_valid(release: str | Path, **options) -> bool:
    """The boolean form of ``verify`` (same options)."""
    return check_release(release, **options).ok


def check_release(
    release: str | Path,
    *,
    hashes: bool = True,
    level: str = "rows",
    sample: int | None = None,
    seed: int = 0,
    jobs: int = 1,
    key: str | Path | None = None,
    executor: str = "local",
    address: str | None = None,
    bundled: bool = False,
) -> Report:
    """Run the checks of ``level`` on ``release`` and return the report (never raises on a bad
    release; raises ``UsageError`` on bad options). ``hashes=False`` leaves out every hash
    (schema validation only); ``key`` is a public key file (PEM, or base64 of the raw key);
    ``executor`` and ``address`` choose where the file and shard tasks run (as for ``pack``);
    ``bundled``: ``release`` was extracted from a bundle (its folder name must be its own)."""
    executor_for(executor, jobs, address)  # a bad choice fails before any work
    options = dict(
        hashes=hashes,
        level=level,
        sample=sample,
        seed=seed,
        jobs=jobs,
        key=key,
        executor=executor,
        address=address,
    )
    release = location(release)
    if storage.is_url(release):
        with tempfile.TemporaryDirectory(prefix="archive-verify-") as local:
            copy = Path(local) / (storage.name_of(release) or "release")
            try:
                storage.download(release, copy)
            except OSError as exc:
                raise UsageError(f"{release} cannot be read: {exc}") from None
            # On a cluster the workers read the release by URL: they may share no disk with us.
            tasks_root = release if executor == "ray" else None
            report = _checked(copy, tasks_root=tasks_root, remote=True, **options)
        report.path = release
        return report
    root = Path(release)
    if root.is_file() and is_bundle(root):
        with opened_bundle(root) as extracted:
            report = check_release(extracted, **options, bundled=True)
        report.path = str(root)
        return report
    return _checked(root, **options, bundled=bundled)


def _checked(
    root: Path,
    *,
    hashes,
    level,
    sample,
    seed,
    jobs,
    key,
    executor,
    address,
    tasks_root: str | None = None,
    bundled: bool = False,
    remote: bool = False,
) -> Report:
    if not root.is_dir():
        require_release(root)  # says why: missing, or not a folder
    # A folder without manifest.json still gets a report (E001): a partial release is one the
    # API reports on; the commands refuse it in one line (``archive.cli``).
    if level not in LEVELS:
        raise UsageError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if sample is not None and sample < 1:
        raise UsageError("sample must be at least 1 row")
    public_key = load_public_key(key) if key is not None else None
    report = Report(str(root), level=level, sample=sample, seed=seed if sample else None)
    plan = Plan(
        level, hashes, sample, seed, max(1, jobs), public_key, executor, address, tasks_root,
        bundled, remote,
    )  # fmt: skip
    # Workers need not share our working folder: they get the absolute path.
    run_checks(Audit(Path(os.path.abspath(root)), plan, report), CHECKS)
    return report


def sign(
    release: str | os.PathLike,
    private_key_path: str | os.PathLike,
    *,
    created: datetime | None = None,
    replace: bool = False,
) -> Path:
    """Sign the manifest of ``release``; return the signature file's path.

    The release must verify at level ``sizes`` first (a tampered release is not signed).
    ``created`` defaults to ``$SOURCE_DATE_EPOCH``, else now; Ed25519 is deterministic, so the
    same key and time give the same bytes.

    >>> sign("dist/example-1.0.0", "release.key")  # doctest: +SKIP
    PosixPath('dist/example-1.0.0/manifest.json.sig.json')
    """
    root = Path(release)
    target = root / SIGNATURE_FILE
    if target.exists() and not replace:
        raise UsageError(f"{target} already exists (replace it with --force)")
    key = load_private_key(private_key_path)
    report = check_release(root, level="sizes")
    problems = [p for p in report.problems if p.code not in SIGNATURE_CODES]
    if problems:
        raise VerificationError(problems)
    return write_signature(root, key, created=created)


__all__ = ["check_release", "is_valid", "sign", "verify"]
