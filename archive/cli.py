"""The ``archive`` command: a thin layer over the Python API.

Each command parses options, calls one API function and maps its result or error to output and an
exit code: 0 success, 1 a check failed (verify, validate, a bad capture-log line), 2 usage error,
3 internal error. Data goes to stdout, messages and progress to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from functools import wraps
from pathlib import Path

import click

from . import __version__
from .errors import ArchiveError, UsageError, VerificationError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _fail(message: str, code: int) -> None:
    click.echo(f"archive: {message}", err=True)
    sys.exit(code)


def handles_errors(command):
    """Map library errors to one clear line and an exit code; never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UsageError as exc:
            _fail(f"error: {exc}", EXIT_USAGE)
        except VerificationError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(EXIT_FAILED)
        except ArchiveError as exc:
            _fail(f"error: {exc}", EXIT_FAILED)
        except KeyboardInterrupt:
            _fail("interrupted; nothing was written", 130)
        except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a line
            if os.environ.get("ARCHIVE_DEBUG"):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (ARCHIVE_DEBUG=1 shows more)",
                EXIT_INTERNAL,
            )

    return wrapper


def _emit_json(data) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str))


class _Progress:
    """tqdm bars on stderr, one per stage; silent when not a terminal or when quiet."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit=" tasks", file=sys.stderr, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
def main() -> None:
    """Turn captured web documents into a versioned, verifiable Parquet release.

    \b
    archive pack examples/captures --capture-log examples/captures.jsonl \\
        --out dist --name example --version 1.0.0
    archive verify dist/example-1.0.0
    """


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Folder the release is written into, as <out>/<name>-<version>.",
)
@click.option("--name", help="Release name (default: the first source folder's name).")
@click.option("--version", "version", required=True, help="Release version (semantic, e.g. 1.0.0).")
@click.option(
    "--capture-log",
    type=click.Path(path_type=Path),
    help="JSONL or CSV capture log: path, url, retrieved_at, outlet, published_at, agent, ...",
)
@click.option(
    "--outlets",
    type=click.Path(path_type=Path),
    help="TOML file with an [outlets] table mapping domains to outlet names.",
)
@click.option("--created", help="Release time (RFC 3339). Default: $SOURCE_DATE_EPOCH, else now.")
@click.option(
    "--extract",
    type=click.Choice(["article", "none"]),
    default="article",
    show_default=True,
    help="'article': derive body, title, authors, outlet, dates; 'none': keep the whole capture.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes (default: all cores). Never changes the output.",
)
@click.option("--shards", type=click.IntRange(min=1), help="Fix the number of Parquet shards.")
@click.option(
    "--max-capture-bytes", type=click.IntRange(min=1), help="Quarantine captures larger than this."
)
@click.option("--license", "license_", help="Release license (SPDX id, e.g. CC-BY-4.0).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or summary.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@handles_errors
def pack(
    sources,
    out,
    name,
    version,
    capture_log,
    outlets,
    created,
    extract,
    jobs,
    shards,
    max_capture_bytes,
    license_,
    quiet,
    as_json,
):
    """Pack captures into a release <OUT>/<NAME>-<VERSION>.

    SOURCES are folders walked recursively in sorted order. Every input becomes a record or a
    quarantine entry with a reason. Prints the release path.

    \b
    archive pack examples/captures --capture-log examples/captures.jsonl \\
        --outlets examples/outlets.toml --out dist --name example --version 1.0.0
    """
    from .config import pack_settings
    from .release import pack as pack_release

    settings = pack_settings(
        sources=list(sources),
        name=name,
        version=version,
        created=created,
        outlets=outlets,
        extract=extract,
        jobs=jobs,
        shards=shards,
        max_capture_bytes=max_capture_bytes,
        license=license_,
    )
    progress = _Progress(quiet or as_json)
    try:
        result = pack_release(sources, out, settings, capture_log=capture_log, progress=progress)
    finally:
        progress.close()
    for warning in result.warnings:
        click.echo(f"archive: error: {warning}", err=True)
    counts = result.manifest["counts"]
    if as_json:
        _emit_json({"path": str(result.path), "counts": counts, "errors": list(result.warnings)})
    else:
        click.echo(str(result.path))
        if not quiet:
            click.echo(
                f"{counts['inputs']} inputs: {counts['records']} records, {counts['quarantined']} "
                f"quarantined, {counts['duplicates']} duplicates",
                err=True,
            )
    sys.exit(EXIT_FAILED if result.warnings else EXIT_OK)


def _report_out(report, as_json: bool, quiet: bool, what: str) -> None:
    if as_json:
        _emit_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(str(problem))
        if not quiet:
            state = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
            click.echo(f"{state}: {report.path}: {what}", err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@handles_errors
def verify(release, quiet, as_json):
    """Verify a release: manifest digest and schema, every file's size and SHA-256, no unlisted
    files, every row against the record schema and its text hashes, unique ids, counts.

    Exit 0 when intact, 1 with each problem on its own line (CODE path: message).

    \b
    archive verify dist/example-1.0.0
    """
    from .verifier import check_release

    report = check_release(release)
    _report_out(report, as_json, quiet, f"{report.records} records, {report.files} files verified")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON on stdout.")
@handles_errors
def validate(paths, quiet, as_json):
    """Schema validation only (for CI) of releases, manifests, or records files (.parquet, .jsonl).

    \b
    archive validate dist/example-1.0.0 dist/example-1.0.0/data/records-00000-of-00001.parquet
    """
    from .verifier import validate as validate_path

    reports = [validate_path(p) for p in paths]
    if as_json:
        _emit_json([r.as_dict() for r in reports])
        sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED)
    for report in reports:
        for problem in report.problems:
            click.echo(str(problem))
        if not quiet:
            state = "valid" if report.ok else f"INVALID ({len(report.problems)} problems)"
            click.echo(f"{state}: {report.path}", err=True)
    sys.exit(EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@click.argument("record_id", required=False)
@click.option(
    "--explain",
    is_flag=True,
    help="Show the capture with its spans marked and the evidence for every field.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@handles_errors
def inspect(release, record_id, explain, as_json):
    """Summarize a release, or show one record.

    \b
    archive inspect dist/example-1.0.0
    archive inspect dist/example-1.0.0 0f3c...  --explain
    """
    from .inspect import explain_record, find_record, summary

    if record_id is None:
        data = summary(release)
        if as_json:
            _emit_json(data)
        else:
            click.echo(data["text"])
        return
    row = find_record(release, record_id)
    if explain and not as_json:
        click.echo(explain_record(row))
    else:
        _emit_json(row)


if __name__ == "__main__":
    main()
