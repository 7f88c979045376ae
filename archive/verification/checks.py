"""``verify``: prove a release is exactly what its manifest says, and ``validate``: check schemas.

Verification runs in tiers (``LEVELS``), each adding checks to the one before:

* ``structure``: the manifest (digest, schema, canonical form), the signature, safe paths, every
  listed file present and no other file, schema copies, derived files, Parquet footers;
* ``sizes``: every file's size, and the row and entry counts against the manifest;
* ``hashes``: every file's SHA-256;
* ``rows`` (the default): every row against the record schema, its text hashes, ids unique,
  sorted and in their shard, the per-field counts, ``duplicate_of`` links, quarantine entries.

``sample`` audits that many rows, chosen by ``seed``, in place of every row. Every check runs and
every problem is collected before reporting (nothing stops at the first), and the report names
every check that ran and every check skipped. Problems carry stable codes (``CODES``; warnings:
``WARNING_CODES``), documented in the README. ``jobs`` spreads files and shards over processes
(``executor="ray"``: over a Ray cluster); results are merged in a fixed order, so the report is
the same whatever ``jobs`` or executor.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import stat
import tempfile
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.capture import storage
from archive.capture.storage import RemotePath
from archive.errors import Problem, UsageError, VerificationError
from archive.exporters import derived_files
from archive.format.manifest import (
    MANIFEST,
    MANIFEST_DIGEST,
    QUARANTINE_FILE,
    canonical_json,
    file_sha256,
    read_digest_file,
)
from archive.format.parquetio import iter_batches, parquet_file
from archive.format.schema import (
    RECORD_ARROW_SCHEMA,
    column_problems,
    json_value,
    row_errors,
    schema_file,
    schema_problems,
    validator,
    validator_for,
)
from archive.format.signing import SIGNATURE_FILE, load_public_key, signature_problems
from archive.inspect import record_shards
from archive.runtime.executors import executor_for

CODES = {
    "E001": "manifest.json is missing or is not JSON",
    "E002": "manifest.json.sha256 is missing or malformed",
    "E003": "manifest.json does not match the digest in manifest.json.sha256",
    "E004": "manifest.json breaks the manifest schema",
    "E005": "a file listed in the manifest is missing",
    "E006": "a file's size differs from the manifest",
    "E007": "a file's SHA-256 differs from the manifest",
    "E008": "a file is in the release but not in the manifest",
    "E009": "a Parquet file cannot be read",
    "E010": "a Parquet file's columns or types differ from the record schema",
    "E011": "rows break the record schema",
    "E012": "a row's text or capture_text does not match its hash",
    "E013": "record ids are not unique, not sorted, or in the wrong shard",
    "E014": "a count differs from the manifest",
    "E015": "quarantine entries break the quarantine schema",
    "E016": "a schema copy differs from the schema the manifest names",
    "E017": "duplicate_of does not point at an earlier record with the same text",
    "E018": "a file derived from the manifest (BagIt, Data Package, Croissant, card) differs",
    "E019": "a path is unsafe: absolute, with '..', a symbolic link, or not a regular file",
    "E020": "the signature file (manifest.json.sig.json) is missing or malformed",
    "E021": "the signature does not verify, or was made by another key than the one given",
    "E022": "manifest.json differs from the manifest that was signed",
    "E023": "a record's text is withheld though its redistribution class is full",
    "E024": "relations rows break the relations schema",
}
# The parent-link codes (E030-E033) are defined beside the check, in archive.versions.history.
WARNING_CODES = {
    "W001": "the release is signed but no key was given: the signature was checked only "
    "against the key it names, which proves integrity, not who signed",
    "W002": "rows were sampled: only the sampled rows' schema and hashes were checked",
}
SIGNATURE_CODES = frozenset({"E020", "E021", "E022"})
LEVELS = ("structure", "sizes", "hashes", "rows")
CHECKS = (
    ("manifest digest", "structure"),
    ("manifest schema", "structure"),
    ("signature", "structure"),
    ("parent link", "structure"),
    ("safe paths", "structure"),
    ("schema copies", "structure"),
    ("files derived from the manifest", "structure"),
    ("listed files present", "structure"),
    ("no unlisted files", "structure"),
    ("Parquet footers and columns", "structure"),
    ("file sizes", "sizes"),
    ("row and entry counts", "sizes"),
    ("file SHA-256", "hashes"),
    ("record schema by column", "rows"),
    ("text and capture_text hashes", "rows"),
    ("record ids unique, sorted and in their shard", "rows"),
    ("counts by field", "rows"),
    ("duplicate_of links", "rows"),
    ("quarantine schema", "rows"),
    ("withheld text", "rows"),
    ("relations schema", "rows"),
)
_SAMPLED = frozenset({"record schema by column", "text and capture_text hashes"})
_COUNTED_FIELDS = (
    "duplicates",
    "unknown_outlet",
    "unknown_date",
    "unknown_title",
    "unknown_authors",
)


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
) -> Report:
    """Run the checks of ``level`` on ``release`` and return the report (never raises on a bad
    release; raises ``UsageError`` on bad options). ``hashes=False`` leaves out every hash
    (schema validation only); ``key`` is a public key file (PEM, or base64 of the raw key);
    ``executor`` and ``address`` choose where the file and shard tasks run (as for ``pack``)."""
    executor_for(executor, jobs, address)  # a bad choice fails before any work
    options = dict(hashes=hashes, level=level, sample=sample, seed=seed, jobs=jobs, key=key,
                   executor=executor, address=address)
    release = storage.location(release)
    if storage.is_url(release):
        with tempfile.TemporaryDirectory(prefix="archive-verify-") as local:
            copy = Path(local) / (storage.name_of(release) or "release")
            try:
                storage.download(release, copy)
            except OSError as exc:
                raise UsageError(f"{release} cannot be read: {exc}") from None
            # On a cluster the workers read the release by URL: they may share no disk with us.
            tasks_root = release if executor == "ray" else None
            report = _checked(copy, tasks_root=tasks_root, **options)
        report.path = release
        return report
    root = Path(release)
    if root.is_file():
        from archive.versions.bundle import is_bundle, opened_bundle

        if is_bundle(root):
            with opened_bundle(root) as extracted:
                report = check_release(extracted, **options)
            report.path = str(root)
            return report
    return _checked(root, **options)


def _checked(root: Path, *, hashes, level, sample, seed, jobs, key, executor, address,
             tasks_root: str | None = None) -> Report:
    if not root.is_dir():
        raise UsageError(f"{root} is not a release folder")
    if level not in LEVELS:
        raise UsageError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if sample is not None and sample < 1:
        raise UsageError("sample must be at least 1 row")
    public_key = load_public_key(key) if key is not None else None
    report = Report(str(root), level=level, sample=sample, seed=seed if sample else None)
    plan = _Plan(level, hashes, sample, seed, max(1, jobs), public_key, executor, address,
                 tasks_root)
    _run_checks(Path(os.path.abspath(root)), report, plan)  # workers need not share our folder
    for check, tier in CHECKS:
        report.skip(check, f"not run at level {level}" if _above(tier, level) else "not needed")
    return report


@dataclass(frozen=True)
class _Plan:
    level: str
    hashes: bool
    sample: int | None
    seed: int
    jobs: int
    key: bytes | None
    executor: str = "local"
    address: str | None = None
    tasks_root: str | None = None  # where the tasks read the release, when not ``root``

    def runs(self, tier: str) -> bool:
        return not _above(tier, self.level)


def _above(tier: str, level: str) -> bool:
    return LEVELS.index(tier) > LEVELS.index(level)


def _run_checks(root: Path, report: Report, plan: _Plan) -> None:
    manifest, data = _manifest(root, report)
    _check_signature(root, data, report, plan)
    if manifest is None:
        for check, _ in CHECKS:
            report.skip(check, "manifest.json is unusable")
        return
    safe = _check_paths(root, manifest, report)
    _check_parent_link(root, manifest, report)
    _check_schema_copies(root, manifest, safe, report)
    derived = _check_derived(root, manifest, data, report)
    present = _check_presence(root, manifest, safe, derived, report)
    footers = _check_footers(root, manifest, present, report)
    report.records = sum(footer.rows for footer in footers.values())
    if plan.runs("sizes"):
        _check_sizes(root, manifest, present, footers, report, plan)
    else:
        report.files = len(present)
    tasks = []
    if plan.runs("hashes") and plan.hashes:
        report.ran("file SHA-256")
        tasks += [("hash", relative) for relative in sorted(present)]
    elif plan.runs("hashes"):
        report.skip("file SHA-256", "schema validation only")
    shards = [s for s in record_shards(manifest) if s in footers]
    # A sample audits rows whatever the level: "--level sizes --sample N" hashes no file.
    audit = plan.runs("rows") or plan.sample is not None
    if audit:
        tasks += _row_tasks(manifest, shards, footers, report, plan)
    results = _run_tasks(root, tasks, plan)
    _hash_results(manifest, results, report)
    if audit:
        _row_results(root, manifest, shards, results, report, plan)
    if plan.runs("rows"):
        _check_quarantine(root, manifest, present, report, schema=True)
        report.ran("withheld text")
        report.problems.extend(withheld_problems(root, manifest))
        _check_relations(root, manifest, present, report)


def _check_parent_link(root: Path, manifest: dict, report: Report) -> None:
    """When the parent sits beside the release, its manifest must be the one recorded."""
    if manifest.get("parent") is None:
        report.skip("parent link", "no parent")
        return
    from archive.versions.history import check_parent

    report.ran("parent link")
    report.problems.extend(check_parent(root))


def _manifest(root: Path, report: Report) -> tuple[dict | None, bytes | None]:
    report.ran("manifest digest")
    try:
        data = (root / MANIFEST).read_bytes()
        manifest = json.loads(data)
    except (OSError, ValueError) as exc:
        report.add("E001", MANIFEST, f"cannot be read as JSON ({exc})")
        return None, None
    try:
        recorded = read_digest_file(root)
        actual = hashlib.sha256(data).hexdigest()
        if recorded != actual:
            message = f"does not match {MANIFEST_DIGEST} (one of them was edited)"
            report.add("E003", MANIFEST, message, recorded, actual)
    except (OSError, ValueError) as exc:
        report.add("E002", MANIFEST_DIGEST, str(exc))
    report.ran("manifest schema")
    errors = sorted(validator("manifest").iter_errors(manifest), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        report.add("E004", MANIFEST, f"{where}: {error.message}")
    if errors:
        return None, data
    if canonical_json(manifest) != data:
        report.add("E004", MANIFEST, "not in canonical form (sorted keys, 2-space indent)")
    return manifest, data


def _check_signature(root: Path, data: bytes | None, report: Report, plan: _Plan) -> None:
    exists = (root / SIGNATURE_FILE).is_file() or (root / SIGNATURE_FILE).is_symlink()
    if not exists and plan.key is None:
        report.skip("signature", "the release is not signed and no key was given")
        return
    report.ran("signature")
    if not exists:
        report.add("E020", SIGNATURE_FILE, "missing: a key was given but the release is unsigned")
        return
    if (root / SIGNATURE_FILE).is_symlink():
        report.add("E019", SIGNATURE_FILE, "a symbolic link; a release holds none")
        return
    if data is None:
        return  # manifest.json unreadable: reported as E001
    report.problems += signature_problems(root, data, plan.key)
    if plan.key is None:
        report.warn("W001", SIGNATURE_FILE, "signature checked only against the key it names")


def unsafe_path(relative: str) -> str | None:
    """Why ``relative`` (a path from a manifest) cannot name a file of the release, or None."""
    if not isinstance(relative, str) or not relative:
        return "empty"
    if "\\" in relative or "\x00" in relative:
        return "holds a backslash or a NUL"
    if relative.startswith("/"):
        return "absolute"
    if any(part in ("", ".", "..") for part in relative.split("/")):
        return "has an empty, '.' or '..' part"
    return None


def _link_on_path(root: Path, relative: str) -> str | None:
    """The first part of ``relative`` below ``root`` that is a symbolic link, if any."""
    current = root
    for part in relative.split("/"):
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return current.relative_to(root).as_posix()
        except OSError:
            return None
    return None


def _check_paths(root: Path, manifest: dict, report: Report) -> set[str]:
    """The listed paths that are safe to open; E019 for the others (never opened)."""
    report.ran("safe paths")
    paths = [entry["path"] for entry in manifest["files"]]
    paths += [entry["path"] for entry in manifest["schemas"].values()]
    safe = set()
    for relative in dict.fromkeys(paths):
        why = unsafe_path(relative)
        link = None if why else _link_on_path(root, relative)
        if why:
            report.add("E019", relative, f"unsafe path in the manifest: {why}")
        elif link:
            report.add("E019", relative, f"{link} is a symbolic link; a release holds none")
        else:
            safe.add(relative)
    return safe


def _check_schema_copies(root: Path, manifest: dict, safe: set[str], report: Report) -> None:
    report.ran("schema copies")
    for name, entry in manifest["schemas"].items():
        path = root / entry["path"]
        if entry["path"] not in safe or not path.is_file():
            continue  # reported as unsafe or missing
        if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            report.add("E016", entry["path"], f"differs from the {name} schema the manifest names")


def _check_derived(root: Path, manifest: dict, data: bytes, report: Report) -> frozenset[str]:
    """Regenerate the files derived from the manifest and compare them byte for byte."""
    report.ran("files derived from the manifest")
    try:
        derived = derived_files(root, manifest, data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # A hostile schema copy can break the generators: say so, never crash.
        report.add("E018", MANIFEST, f"the derived files cannot be generated ({exc!r})")
        return frozenset()
    for relative, content in sorted(derived.items()):
        path = root / relative
        if _link_on_path(root, relative):
            continue  # reported by the walk as a link
        if not path.is_file():
            report.add("E005", relative, "derived from the manifest but missing")
        elif path.read_bytes() != content:
            report.add("E018", relative, "differs from what manifest.json derives")
    return frozenset(derived)


def _release_tree(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(regular files, [(path, why unsafe)]) below ``root``, never following a link."""
    files, unsafe = [], []
    for folder, dirs, names in os.walk(root):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                unsafe.append(((base / name).relative_to(root).as_posix(), "a symbolic link"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in names:
            relative = (base / name).relative_to(root).as_posix()
            try:
                mode = os.lstat(base / name).st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                files.append(relative)
            else:
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                unsafe.append((relative, kind))
    return sorted(files), sorted(unsafe)


def _check_presence(
    root: Path, manifest: dict, safe: set[str], derived: frozenset[str], report: Report
) -> set[str]:
    """The listed files present (as regular files); E005 missing, E008 unlisted, E019 links."""
    report.ran("listed files present")
    report.ran("no unlisted files")
    files, unsafe = _release_tree(root)
    for relative, kind in unsafe:
        report.add("E019", relative, f"{kind}; a release holds only regular files")
    on_disk = set(files)
    listed = [entry["path"] for entry in manifest["files"] if entry["path"] in safe]
    present = set()
    for relative in listed:
        if relative in on_disk:
            present.add(relative)
        elif not _link_on_path(root, relative):
            report.add("E005", relative, "listed in the manifest but missing")
    allowed = {MANIFEST, MANIFEST_DIGEST, SIGNATURE_FILE} | derived | set(listed)
    for relative in files:
        if relative not in allowed:
            report.add("E008", relative, "not listed in the manifest")
    return present


@dataclass(frozen=True)
class _Footer:
    rows: int
    row_groups: tuple[int, ...]


def _check_footers(
    root: Path, manifest: dict, present: set[str], report: Report
) -> dict[str, _Footer]:
    """Every record shard's footer: readable (E009) and with the record columns (E010)."""
    report.ran("Parquet footers and columns")
    footers = {}
    for relative in record_shards(manifest):
        if relative not in present:
            continue
        try:
            metadata = pq.ParquetFile(root / relative).metadata
            problems = schema_problems(metadata.schema.to_arrow_schema())
        except (OSError, pa.ArrowException) as exc:
            report.add("E009", relative, f"cannot be read as Parquet ({exc})")
            continue
        for problem in problems:
            report.add("E010", relative, problem)
        if not problems:
            groups = tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups))
            footers[relative] = _Footer(metadata.num_rows, groups)
    return footers


def _check_sizes(
    root: Path,
    manifest: dict,
    present: set[str],
    footers: dict[str, _Footer],
    report: Report,
    plan: _Plan,
) -> None:
    report.ran("file sizes")
    report.ran("row and entry counts")
    report.files = len(manifest["files"])
    for entry in manifest["files"]:
        if entry["path"] in present:
            size = os.stat(root / entry["path"]).st_size
            if size != entry["bytes"]:
                report.add("E006", entry["path"], "size differs", entry["bytes"], size)
    for entry in manifest["files"]:
        footer = footers.get(entry["path"])
        if footer is not None and entry.get("rows") is not None and footer.rows != entry["rows"]:
            report.add("E014", entry["path"], "row count differs", entry["rows"], footer.rows)
    shards = record_shards(manifest)
    if all(s in footers for s in shards):
        records = sum(footers[s].rows for s in shards)
        report.records = records
        stated = manifest["counts"].get("records")
        if stated is not None and stated != records:
            report.add("E014", MANIFEST, "counts.records differs from the records", stated, records)
    if not plan.runs("rows"):
        _check_quarantine(root, manifest, present, report, schema=False)


def _row_tasks(manifest, shards, footers, report: Report, plan: _Plan) -> list[tuple]:
    report.ran("record schema by column")
    if plan.hashes:
        report.ran("text and capture_text hashes")
    else:
        report.skip("text and capture_text hashes", "schema validation only")
    everything = record_shards(manifest)
    if plan.sample is None:
        for check in (
            "record ids unique, sorted and in their shard",
            "counts by field",
            "duplicate_of links",
        ):
            report.ran(check)
        return [
            ("rows", everything.index(relative), relative, len(everything), plan.hashes)
            for relative in shards
        ]
    for check, tier in CHECKS:
        if tier == "rows" and check not in _SAMPLED and check != "quarantine schema":
            report.skip(check, f"a sample of {plan.sample} rows was audited, not every row")
    picks = _sample_positions([footers[s].rows for s in shards], plan.sample, plan.seed)
    audited, total = sum(map(len, picks)), sum(footers[s].rows for s in shards)
    report.warn("W002", MANIFEST, f"{audited} of {total} rows audited (seed {plan.seed})")
    return [
        ("sample", relative, footers[relative].row_groups, tuple(positions), plan.hashes)
        for relative, positions in zip(shards, picks, strict=True)
        if positions
    ]


def _sample_positions(sizes: list[int], sample: int, seed: int) -> list[list[int]]:
    """For each shard, the sorted positions of the rows audited: ``sample`` rows drawn without
    replacement from the whole release by ``random.Random(seed)`` (the same on every machine)."""
    total = sum(sizes)
    chosen = sorted(random.Random(seed).sample(range(total), min(sample, total)))
    starts = [0]
    for size in sizes:
        starts.append(starts[-1] + size)
    picks: list[list[int]] = [[] for _ in sizes]
    for position in chosen:
        shard = bisect_right(starts, position) - 1
        picks[shard].append(position - starts[shard])
    return picks


def _run_tasks(root: Path, tasks: list[tuple], plan: _Plan) -> dict[tuple, object]:
    """Run the file and shard tasks (in ``plan.jobs`` processes, or on Ray); results keyed by
    task."""
    if not tasks:
        return {}
    results = {}
    threads = plan.jobs == 1 and plan.executor == "local"
    with executor_for(plan.executor, min(plan.jobs, len(tasks)), plan.address) as executor:
        # One process reads with Arrow's threads; several processes read one thread each.
        for task, result in executor.map(_task, tasks, plan.tasks_root or str(root), threads):
            results[task] = result
    return results


def _task(task: tuple, root: str, threads: bool) -> tuple[tuple, object]:
    """One file or shard task; ``root`` is a local folder or the release's URL."""
    folder = RemotePath(root) if storage.is_url(root) else Path(root)
    kind = task[0]
    if kind == "hash":
        return task, file_sha256(folder / task[1])
    if kind == "rows":
        _, index, relative, shards, hashes = task
        path = folder / relative
        return task, shard_rows(path, relative, index, shards, hashes=hashes, threads=threads)
    _, relative, row_groups, positions, hashes = task
    return task, sampled_rows(folder / relative, relative, row_groups, positions, hashes)


def _hash_results(manifest: dict, results: dict, report: Report) -> None:
    for entry in manifest["files"]:
        result = results.get(("hash", entry["path"]))
        if result is None:
            continue
        digest, size = result
        if digest != entry["sha256"]:
            report.add("E007", entry["path"], "content differs", entry["sha256"], digest)


@dataclass
class ShardRows:
    """What the row checks of one shard found."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (original, hash)
    readable: bool = True


def shard_rows(
    path: Path,
    relative: str,
    index: int,
    shards: int | None,
    *,
    hashes: bool,
    threads: bool = False,
) -> ShardRows:
    """Check every row of one records shard (``shards=None``: not part of a release, so the
    shard's id range is not checked)."""
    result = ShardRows()
    previous = None
    bad_order = bad_shard = 0
    try:
        for batch in _batches(path, threads):
            result.rows += batch.num_rows
            for problem in column_problems(batch):
                result.problems.append(Problem("E011", relative, problem))
            if hashes:
                for column in ("text", "capture_text"):
                    for rid in mismatched_hashes(batch, column):
                        message = f"record {rid}: {column} does not match {column}_sha256"
                        result.problems.append(Problem("E012", relative, message))
            ids = batch.column("record_id")
            bad_order += _out_of_order(ids, previous)
            if shards is not None:
                bad_shard += _outside_shard(ids, index, shards)
            if len(ids):
                previous = ids[len(ids) - 1].as_py() or previous
            result.counts.update(_batch_counts(batch))
            result.links.update(_batch_links(batch))
    except (OSError, pa.ArrowException) as exc:
        result.problems.append(Problem("E009", relative, f"cannot be read as Parquet ({exc})"))
        result.readable = False
        return result
    if bad_order:
        message = f"{bad_order} record id(s) repeated or out of order"
        result.problems.append(Problem("E013", relative, message))
    if bad_shard:
        message = f"{bad_shard} record id(s) outside this shard's id range"
        result.problems.append(Problem("E013", relative, message))
    return result


def _batches(path: Path | RemotePath, threads: bool):
    """The batches of a Parquet file, one row group at a time."""
    parquet = parquet_file(path)
    for index in range(parquet.num_row_groups):
        yield from parquet.read_row_group(index, use_threads=threads).to_batches()


def _out_of_order(ids: pa.Array, previous: str | None) -> int:
    """How many ids are not greater than the id before them (vectorized)."""
    if previous is not None:
        ids = pa.concat_arrays([pa.array([previous], pa.string()), ids])
    if len(ids) < 2:
        return 0
    ordered = pc.greater(ids.slice(1), ids.slice(0, len(ids) - 1))
    return len(ordered) - (pc.sum(pc.fill_null(ordered, True)).as_py() or 0)


def _outside_shard(ids: pa.Array, index: int, shards: int) -> int:
    """How many ids lie outside shard ``index``'s range (``archive.release.plan.shard_of``,
    vectorized: ids are fixed-width lowercase hex, so string order is numeric order)."""
    low = -(-index * 2**32 // shards)
    high = -(-(index + 1) * 2**32 // shards)
    inside = pc.greater_equal(ids, f"{low:08x}")
    if index + 1 < shards:
        inside = pc.and_(inside, pc.less(ids, f"{high:08x}"))
    return len(ids) - ids.null_count - (pc.sum(pc.fill_null(inside, False)).as_py() or 0)


def sampled_rows(
    path: Path, relative: str, row_groups: tuple[int, ...], positions: tuple[int, ...], hashes: bool
) -> ShardRows:
    """Check the schema and text hashes of the rows at ``positions`` of one shard only (reads
    only the row groups that hold them)."""
    result = ShardRows()
    starts = [0]
    for size in row_groups:
        starts.append(starts[-1] + size)
    wanted: dict[int, list[int]] = {}
    for position in positions:
        group = bisect_right(starts, position) - 1
        wanted.setdefault(group, []).append(position - starts[group])
    try:
        parquet = parquet_file(path)
        for group, offsets in sorted(wanted.items()):
            table = parquet.read_row_group(group, use_threads=False).take(offsets)
            batch = table.combine_chunks().to_batches()[0]
            result.rows += batch.num_rows
            for problem in column_problems(batch):
                result.problems.append(Problem("E011", relative, problem))
            if hashes:
                for column in ("text", "capture_text"):
                    for rid in mismatched_hashes(batch, column):
                        message = f"record {rid}: {column} does not match {column}_sha256"
                        result.problems.append(Problem("E012", relative, message))
    except (OSError, pa.ArrowException, IndexError) as exc:
        result.problems.append(Problem("E009", relative, f"cannot be read as Parquet ({exc})"))
        result.readable = False
    return result


def _row_results(root: Path, manifest: dict, shards: list[str], results: dict, report, plan):
    """Merge the shards' row checks in shard order; then counts and duplicate links."""

    def shard_position(item) -> int:
        task = item[0]
        return shards.index(task[2] if task[0] == "rows" else task[1])

    row_results = [(t, r) for t, r in results.items() if t[0] in ("rows", "sample")]
    outcomes = sorted(row_results, key=shard_position)
    for _, result in outcomes:
        report.problems += result.problems
    if plan.sample is not None:
        return
    totals: Counter = Counter()
    links: dict[str, tuple[str, str, str]] = {}
    readable = all(result.readable for _, result in outcomes)
    complete = readable and len(outcomes) == len(record_shards(manifest))
    for task, result in outcomes:
        totals.update(result.counts)
        for rid, (original, text_hash) in result.links.items():
            links[rid] = (original, text_hash, task[2])
    if links:
        _check_duplicate_links(root, shards, links, report)
    if not complete:
        return  # counts over part of the release would only repeat E005/E009
    stated = manifest["counts"]
    for key in _COUNTED_FIELDS:
        if key in stated and stated[key] != totals[key]:
            report.add(
                "E014", MANIFEST, f"counts.{key} differs from the records", stated[key], totals[key]
            )


def _batch_links(batch: pa.RecordBatch) -> dict[str, tuple[str, str]]:
    """duplicate id -> (original id, its text_sha256) for every marked duplicate of a batch."""
    marked = pc.is_valid(batch.column("duplicate_of"))
    if not pc.any(marked).as_py():
        return {}
    table = pa.Table.from_batches([batch]).select(["record_id", "duplicate_of", "text_sha256"])
    table = table.filter(marked)
    return {
        rid: (original, text_hash)
        for rid, original, text_hash in zip(
            table["record_id"].to_pylist(),
            table["duplicate_of"].to_pylist(),
            table["text_sha256"].to_pylist(),
            strict=True,
        )
    }


def _check_duplicate_links(root: Path, shards: list[str], links: dict, report: Report) -> None:
    """Each duplicate must point at an existing, earlier record with the same text hash."""
    wanted: dict[str, list[tuple[str, str, str]]] = {}
    for rid, (original, text_hash, relative) in sorted(links.items()):
        if rid is None or original is None:
            continue
        if original >= rid:
            report.add("E017", relative, f"record {rid}: duplicate_of {original} is not earlier")
        wanted.setdefault(original, []).append((rid, text_hash, relative))
    for relative in shards:
        if not wanted:
            break
        try:
            columns = ["record_id", "text_sha256"]
            table = pq.read_table(root / relative, columns=columns, use_threads=False)
        except (OSError, pa.ArrowException):
            continue  # reported as missing or unreadable
        originals = pa.array(list(wanted), pa.string())
        table = table.filter(pc.is_in(table["record_id"], value_set=originals))
        for original, text_hash in zip(
            table["record_id"].to_pylist(), table["text_sha256"].to_pylist(), strict=True
        ):
            for rid, dup_hash, where in wanted.pop(original, []):
                if dup_hash != text_hash:
                    report.add("E017", where, f"record {rid}: text differs from {original}")
    for original, duplicates in wanted.items():
        for rid, _, where in duplicates:
            report.add(
                "E017", where, f"record {rid}: duplicate_of {original} is not in the release"
            )


def _batch_counts(batch: pa.RecordBatch) -> Counter:
    def nulls(name: str) -> int:
        return batch.column(name).null_count

    authorless = pc.sum(pc.equal(pc.list_value_length(batch.column("authors")), 0)).as_py() or 0
    return Counter(
        {
            "duplicates": batch.num_rows - nulls("duplicate_of"),
            "unknown_outlet": nulls("outlet"),
            "unknown_date": nulls("published_at"),
            "unknown_title": nulls("title"),
            "unknown_authors": authorless,
        }
    )


def hex_digests(array: pa.Array) -> list[str | None]:
    """SHA-256 of every value of a string array, read straight from its Arrow buffers."""
    if isinstance(array, pa.ChunkedArray):
        return [d for chunk in array.chunks for d in hex_digests(chunk)]
    if array.type == pa.large_string():
        return [
            None if v is None else hashlib.sha256(v.encode()).hexdigest() for v in array.to_pylist()
        ]
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = memoryview(offsets_buffer).cast("i")[array.offset : array.offset + len(array) + 1]
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    valid = array.is_valid().to_pylist() if array.null_count else None
    digests = []
    sha256 = hashlib.sha256
    for i in range(len(array)):
        if valid is not None and not valid[i]:
            digests.append(None)
        else:
            digests.append(sha256(data[offsets[i] : offsets[i + 1]]).hexdigest())
    return digests


def mismatched_hashes(batch: pa.RecordBatch, column: str) -> list[str]:
    """Record ids of the rows whose ``column`` does not hash to ``<column>_sha256``."""
    values = batch.column(column)
    computed = pa.array(hex_digests(values), pa.string())
    same = pc.fill_null(pc.equal(computed, batch.column(f"{column}_sha256")), False)
    same = pc.or_(same, pc.is_null(values))  # withheld text: checked by withheld_problems
    if pc.all(same).as_py():
        return []
    return pc.filter(batch.column("record_id"), pc.invert(same)).to_pylist()


def _check_relations(root: Path, manifest: dict, present: set[str], report: Report) -> None:
    """The relations table against its schema, and its row count against the manifest."""
    summary = manifest.get("relations")
    if not summary or summary.get("path") not in present:
        report.skip("relations schema", "no relations table")
        return
    report.ran("relations schema")
    relative = summary["path"]
    rows = 0
    try:
        for batch in iter_batches(root / relative):
            rows += batch.num_rows
            for problem in column_problems(batch, "relations"):
                report.add("E024", relative, problem)
    except (OSError, ValueError, pa.ArrowException) as exc:  # a damaged footer can be any
        report.add("E009", relative, f"cannot be read as Parquet ({exc})")
        return
    stated = sum(summary.get("counts", {}).values())
    if stated != rows:
        report.add("E014", relative, "relation count differs from the manifest", stated, rows)


def withheld_problems(root: Path, manifest: dict) -> list[Problem]:
    """Text may be null only in a metadata-only release or for a record whose redistribution
    class is metadata-only (E019). Parquet statistics answer for shards that withhold nothing."""
    if manifest.get("settings", {}).get("tier", "full") == "metadata-only":
        return []
    problems = []
    for relative in record_shards(manifest):
        path = root / relative
        try:
            metadata = pq.ParquetFile(path).metadata
            index = metadata.schema.names.index("text")
            groups = [metadata.row_group(g).column(index) for g in range(metadata.num_row_groups)]
            if all(c.statistics is not None and c.statistics.null_count == 0 for c in groups):
                continue
            table = pq.read_table(path, columns=["record_id", "redistribution", "text"])
        except (OSError, ValueError, pa.ArrowException):
            continue  # reported by the shard checks
        withheld = pc.and_(
            pc.is_null(table["text"]), pc.not_equal(table["redistribution"], "metadata-only")
        )
        for rid in pc.filter(table["record_id"], withheld).to_pylist():
            message = f"record {rid}: text withheld, but it may be redistributed in full"
            problems.append(Problem("E023", relative, message))
    return problems


def _check_quarantine(
    root: Path, manifest: dict, present: set[str], report: Report, *, schema: bool
) -> None:
    """The quarantine's entry count (and, with ``schema``, every entry against its schema)."""
    if schema:
        report.ran("quarantine schema")
    if QUARANTINE_FILE not in present:
        return
    lines = 0
    check = validator("quarantine")
    with (root / QUARANTINE_FILE).open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            lines += 1
            if not schema:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                report.add("E015", f"{QUARANTINE_FILE}:{number}", "not JSON")
                continue
            for error in check.iter_errors(entry):
                report.add("E015", f"{QUARANTINE_FILE}:{number}", error.message)
    counts = manifest["counts"]
    stated = counts.get("quarantined")
    if stated is not None and stated != lines:
        report.add(
            "E014", MANIFEST, "counts.quarantined differs from quarantine.jsonl", stated, lines
        )
    accounted = counts.get("records", 0) + lines + counts.get("withdrawn_inputs", 0)
    inputs = counts.get("inputs")
    if inputs is not None and inputs != accounted:
        message = "inputs is not records + quarantined + withdrawn inputs"
        report.add("E014", MANIFEST, message, inputs, accounted)


def validate(path: str | Path) -> Report:
    """Schema validation only (for CI): a release folder, a manifest, or a records file.

    Records files are Parquet (checked by column against the record schema) or JSON Lines
    (each line against the record schema, or the quarantine schema for ``quarantine*.jsonl``).
    """
    target = Path(path)
    if target.is_dir():
        return check_release(target, hashes=False)
    if not target.is_file():
        raise UsageError(f"{target} does not exist")
    report = Report(str(target))
    if target.suffix == ".parquet":
        report.ran("record schema by column")
        try:
            problems = schema_problems(pq.read_schema(target))
        except (OSError, pa.ArrowException) as exc:
            report.add("E009", target.name, f"cannot be read as Parquet ({exc})")
            return report
        if problems:
            for problem in problems:
                report.add("E010", target.name, problem)
            return report
        result = shard_rows(target, target.name, 0, None, hashes=False)
        report.problems += result.problems
        report.records = result.rows
    elif target.suffix in (".jsonl", ".ndjson"):
        kind = "quarantine" if target.name.startswith("quarantine") else "record"
        report.ran(f"{kind} schema per line")
        _validate_lines(target, kind, report)
    elif target.suffix == ".json":
        report.ran("manifest schema")
        try:
            document = json.loads(target.read_bytes())
        except ValueError as exc:
            report.add("E001", target.name, f"not JSON ({exc})")
            return report
        for error in validator_for(schema_file("manifest").document).iter_errors(document):
            report.add(
                "E004", target.name, f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            )
    else:
        raise UsageError(f"{target}: expected a release folder, manifest.json, .parquet or .jsonl")
    return report


def _validate_lines(target: Path, kind: str, report: Report) -> None:
    code = "E015" if kind == "quarantine" else "E011"
    with target.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                report.add(code, f"{target.name}:{number}", "not JSON")
                continue
            report.records += 1
            for message in row_errors(json_value(row), kind):
                report.add(code, f"{target.name}:{number}", message)


def explain_rows(path: Path, limit: int = 5) -> list[str]:
    """jsonschema's explanation of the first rows of a Parquet file that break the schema."""
    messages = []
    for batch in iter_batches(path):
        for row in batch.to_pylist():
            errors = row_errors(json_value(row))
            if errors:
                messages.append(f"record {row.get('record_id')}: " + "; ".join(errors))
                if len(messages) >= limit:
                    return messages
    return messages


__all__ = [
    "CHECKS",
    "CODES",
    "LEVELS",
    "RECORD_ARROW_SCHEMA",
    "Report",
    "WARNING_CODES",
    "check_release",
    "is_valid",
    "unsafe_path",
    "validate",
    "verify",
]
