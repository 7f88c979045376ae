"""What a verification checked and found: the ``Report``, and the tiers (``LEVELS``) it runs at."""

from __future__ import annotations

from dataclasses import dataclass, field

from archive.errors import Problem

LEVELS = ("structure", "sizes", "hashes", "rows")
# Problems listed per code; past it they are counted (``unlisted``): a hostile manifest of a
# million missing files gives a report of bounded size, not a million lines.
MAX_LISTED = 1000


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
    unlisted: dict[str, int] = field(default_factory=dict)  # code -> problems not listed
    limit: int = MAX_LISTED
    listed: dict[str, int] | None = field(default=None, repr=False)  # code -> problems listed

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) + sum(self.unlisted.values())

    def add(self, code: str, path: str, message: str, expected=None, found=None) -> None:
        self.extend([Problem(code, path, message, _text(expected), _text(found))])

    def extend(self, problems, unlisted: dict[str, int] | None = None) -> None:
        """Add ``problems`` (and counts of problems already left unlisted), listing at most
        ``limit`` of each code."""
        if self.listed is None:  # problems may have been given to the constructor
            self.listed = {}
            for problem in self.problems:
                self.listed[problem.code] = self.listed.get(problem.code, 0) + 1
        for problem in problems:
            if self.listed.get(problem.code, 0) < self.limit:
                self.listed[problem.code] = self.listed.get(problem.code, 0) + 1
                self.problems.append(problem)
            else:
                self.unlisted[problem.code] = self.unlisted.get(problem.code, 0) + 1
        for code, count in (unlisted or {}).items():
            if count:
                self.unlisted[code] = self.unlisted.get(code, 0) + count

    def unlisted_lines(self) -> list[str]:
        """One line per code with problems left unlisted."""
        return [
            f"{code} ...: {count} more {code} problems not listed (the first {self.limit} are)"
            for code, count in sorted(self.unlisted.items())
        ]

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
            "unlisted": dict(sorted(self.unlisted.items())),
            "warnings": [vars(p) for p in self.warnings],
        }


def _text(value) -> str | None:
    return None if value is None else str(value)


__all__ = ["LEVELS", "Report", "above"]
