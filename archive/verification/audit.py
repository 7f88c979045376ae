"""The values of one verification: its options (``Plan``), what a record shard's footer says
(``Footer``), and the release under verification with what the checks so far established
(``Audit``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.verification.report import Report, above

Task = tuple


@dataclass(frozen=True)
class Plan:
    """The options of one verification."""

    level: str
    hashes: bool
    sample: int | None
    seed: int
    jobs: int
    key: bytes | None
    executor: str = "local"
    address: str | None = None
    tasks_root: str | None = None  # where the tasks read the release, when not ``root``
    bundled: bool = False  # the release was read out of a bundle (its folder name is signed off)
    # Downloaded from a URL: this process holds storage clients (the AWS SDK, fsspec's event
    # loop) that are not safe across a fork, so its workers start from the fork server.
    remote: bool = False

    def runs(self, tier: str) -> bool:
        return not above(tier, self.level)


@dataclass(frozen=True)
class Footer:
    rows: int
    row_groups: tuple[int, ...]
    sound: bool = True  # its declared sizes fit the file and the manifest: its data may be read


@dataclass
class Audit:
    """The release under verification, and what the checks that ran so far established."""

    root: Path
    plan: Plan
    report: Report
    data: bytes | None = None  # manifest.json's bytes, when they are JSON
    document: object = None  # manifest.json parsed (any JSON value)
    manifest: dict | None = None  # manifest.json when usable (its schema holds)
    safe: set[str] = field(default_factory=set)  # listed paths safe to open
    derived: frozenset[str] = frozenset()  # files derived from the manifest
    present: set[str] = field(default_factory=set)  # listed files present as regular files
    footers: dict[str, Footer] = field(default_factory=dict)  # readable record shards
    results: dict[Task, object] | None = None  # task -> result, once the pool ran
    memo: dict[str, object] = field(default_factory=dict)
