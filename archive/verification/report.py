"""What a verification checked and found: the ``Report``, and the tiers (``LEVELS``) it runs at."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.errors import Problem

LEVELS = ("structure", "sizes", "hashes", "rows")


def above(tier: str, level: str) -> bool:
    """Whether a check of ``tier`` is beyond what ``level`` runs."""
    return LEVELS.index(tier) > LEVELS.index(level)


@dataclass
class Report:
    """What a verification checked and found. ``ok`` when no problem was found (warnings do not
    count). ``skipped`` maps each check that did not run to why."""

    path: str
    level: str = "rows"
    checks: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    records: int = 0
    files: int = 0
    sample: int | None = None
    seed: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, code: str, path: str, message: str, expected=None, found=None) -> None:
        self.problems.append(Problem(code, path, message, _text(expected), _text(found)))

    def warn(self, code: str, path: str, message: str) -> None:
        self.warnings.append(Problem(code, path, message))

    def ran(self, check: str) -> None:
        if check not in self.checks:
            self.checks.append(check)

    def skip(self, check: str, reason: str) -> None:
        if check not in self.checks:
            self.skipped.setdefault(check, reason)

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "level": self.level,
            "sample": self.sample,
            "seed": self.seed,
            "records": self.records,
            "files": self.files,
            "checks": self.checks,
            "skipped": self.skipped,
            "problems": [vars(p) for p in self.problems],
            "warnings": [vars(p) for p in self.warnings],
        }


def _text(value) -> str | None:
    return None if value is None else str(value)


__all__ = ["LEVELS", "Report", "above"]
