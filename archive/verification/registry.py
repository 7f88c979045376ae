"""How a check is declared and run: one ``Check`` value per check, and ``run_checks``.

A check is registered once, in ``archive.verification.checks.CHECKS``; its name, tier, codes,
what sampling does to it, and how it runs all come from that one value. Checks run in their
order of registration and share one ``Audit``: what the checks before them established (the
manifest, the safe paths, the files present, the Parquet footers). File and shard tasks of every
check that will run go to one pool, started by the first check that has tasks, so ``jobs``
spreads hashing and row checks alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from archive.verification.audit import Audit, Task
from archive.verification.report import LEVELS
from archive.verification.tasks import run_tasks

Sampling = Literal["unaffected", "sampled", "skipped"]


@dataclass(frozen=True)
class Check:
    """One verification check.

    ``level``: the tier from which it runs. ``codes``: the problems it may report.
    ``sampling``: with ``sample``, a ``"sampled"`` check runs on the sampled rows whatever the
    level, a ``"skipped"`` one (it needs every row) does not run. ``unless``: why it does not
    apply to this release (None when it does). ``tasks``: the file or shard tasks it needs,
    run in the shared pool before ``run``. ``needs_manifest``: skipped when the manifest is
    unusable."""

    name: str
    level: str
    codes: tuple[str, ...]
    run: Callable[[Audit], None]
    sampling: Sampling = "unaffected"
    unless: Callable[[Audit], str | None] | None = None
    tasks: Callable[[Audit], list[Task]] | None = None
    needs_manifest: bool = True

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"check {self.name!r}: level {self.level!r} is not one of {LEVELS}")


def why_not(check: Check, audit: Audit) -> str | None:
    """Why ``check`` does not run on ``audit``, or None when it runs."""
    plan = audit.plan
    if check.needs_manifest and audit.manifest is None:
        return "manifest.json is unusable"
    sampled = plan.sample is not None and check.sampling == "sampled"
    if plan.sample is not None and check.sampling == "skipped":
        return f"a sample of {plan.sample} rows was audited, not every row"
    if not sampled and not plan.runs(check.level):
        return f"not run at level {plan.level}"
    return check.unless(audit) if check.unless else None


def schema_validation_only(audit: Audit) -> str | None:
    return None if audit.plan.hashes else "schema validation only"


def run_checks(audit: Audit, checks: tuple[Check, ...]) -> None:
    """Run or skip every check in order, recording each in the report."""
    for position, check in enumerate(checks):
        reason = why_not(check, audit)
        if reason is not None:
            audit.report.skip(check.name, reason)
            continue
        audit.report.ran(check.name)
        if check.tasks is not None and audit.results is None:
            plan = audit.plan
            audit.results = run_tasks(
                plan.tasks_root or str(audit.root),
                _tasks(audit, checks[position:]),
                jobs=plan.jobs,
                executor=plan.executor,
                address=plan.address,
                fork=not plan.remote,
            )
        check.run(audit)


def _tasks(audit: Audit, checks: tuple[Check, ...]) -> list[Task]:
    """The tasks of every check from here on that will run, each once, in order."""
    tasks: dict[Task, None] = {}
    for check in checks:
        if check.tasks is not None and why_not(check, audit) is None:
            tasks.update(dict.fromkeys(check.tasks(audit)))
    return list(tasks)


__all__ = ["Check", "run_checks", "schema_validation_only", "why_not"]
