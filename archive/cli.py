"""The ``archive`` command: a thin layer over the Python API.

Each command parses options, calls one API function and maps its result or error to output and an
exit code: 0 success, 1 a check failed (verify, validate, a bad capture-log line), 2 usage error,
3 internal error. Data goes to stdout, messages and progress to stderr.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from archive._version import __version__
from archive.cli_output import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    emit_json,
    emit_json_file,
    emit_json_list,
    handles_errors,
    report_out,
    stop_on_signals,
    unchecked,
)
from archive.errors import NoSpaceError, UsageError, is_no_space
from archive.format.kinds import KINDS
from archive.runtime.progress import terminal_bars
from archive.text.decode import printable


class _File(click.ParamType):
    """An existing regular file, checked before anything opens it: a device (``/dev/zero``)
    would be read without end and a FIFO would block."""

    name = "file"

    def convert(self, value, param, ctx):
        path = Path(value)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            self.fail(f"{value} does not exist", param, ctx)
        except OSError as exc:
            self.fail(f"{value} cannot be read ({exc.strerror})", param, ctx)
        if not stat.S_ISREG(mode):
            self.fail(f"{value} is not a regular file", param, ctx)
        return path


def file_option(*names: str, **options):
    """An option naming a local file to read (checked by ``_File``)."""
    return click.option(*names, type=_File(), **options)


def path_option(*names: str, **options):
    """An option naming a local file or folder (as ``Path``)."""
    return click.option(*names, type=click.Path(path_type=Path), **options)


def count_option(name: str, text: str, *, minimum: int = 1, default: int | None = None):
    """A whole-number option of at least ``minimum`` (``--jobs``, ``--limit``, ...)."""
    kind = click.IntRange(min=minimum)
    return click.option(
        name, type=kind, default=default, show_default=default is not None, help=text
    )


def quiet_option(text: str):
    """``-q``/``--quiet``, with what stays printed in ``text``."""
    return click.option("-q", "--quiet", is_flag=True, help=text)


def json_option(text: str):
    """``--json``: one JSON document on stdout instead of lines."""
    return click.option("--json", "as_json", is_flag=True, help=text)


def executor_options(command):
    """``--executor`` and ``--address``: where the tasks run (never what they write)."""
    command = click.option(
        "--address",
        metavar="ADDR",
        help="With --executor ray: the cluster to join (host:port, or 'auto' for the one "
        "'ray start' runs here). Default: start a Ray on this machine with --jobs CPUs.",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="Run tasks in local processes or on a Ray cluster "
        "(pip install 'archive-corpus[ray]'). Never changes the output.",
    )(command)


class _Location(click.ParamType):
    """A local path (as ``Path``) or a URL of a remote file system (kept as it is: a ``Path``
    would fold its ``//``)."""

    name = "path or URL"

    def convert(self, value, param, ctx):
        from archive.capture.locations import location

        try:
            return location(value)
        except UsageError as exc:  # a file:// URL of another host, credentials in a URL
            self.fail(str(exc), param, ctx)


LOCATION = _Location()


class _OneLineUsageError(click.UsageError):
    """A usage error told on one line, like every other error of the command: what is wrong,
    and where the help is."""

    def show(self, file=None) -> None:
        where = self.ctx.command_path if self.ctx is not None else "archive"
        message = f"archive: error: {self.format_message().rstrip('.')}; see '{where} --help'"
        click.echo(printable(message), file=file or sys.stderr)


class _Commands(click.Group):
    """The command group; its usage errors (an unknown option, a missing value) are one line."""

    def make_context(self, *args, **kwargs) -> click.Context:
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        with _one_line_usage_errors(ctx):
            return super().invoke(ctx)


@contextmanager
def _one_line_usage_errors(group: click.Context | None = None) -> Iterator[None]:
    """Usage errors raised inside as ``_OneLineUsageError``s. The parser raises some (an option
    missing its value) with no context: they belong to the command ``group`` was invoking."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # shows the help, as asked
    except click.UsageError as exc:
        if isinstance(exc, _OneLineUsageError):
            raise
        ctx = exc.ctx
        if ctx is None and group is not None and group.invoked_subcommand:
            command = group.command.get_command(group, group.invoked_subcommand)
            if command is not None:
                ctx = click.Context(command, info_name=group.invoked_subcommand, parent=group)
        raise _OneLineUsageError(exc.format_message(), ctx) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archive")
def main() -> None:
    """Turn captured web documents into a versioned, verifiable Parquet release.

    \b
    archive pack examples/captures --capture-log examples/captures.jsonl \\
        --out dist --name example --version 1.0.0
    archive verify dist/example-1.0.0
    """
    from archive.runtime import process

    process.use_system_allocator()
    process.reuse_freed_memory()
    process.fewer_full_collections()


@main.command()
@click.argument("sources", nargs=-1, type=LOCATION)
@file_option(
    "--config",
    help="Collection settings (default: ./archive.toml when present). Options override it.",
)
@click.option(
    "--out",
    type=LOCATION,
    help="Folder the release is written into, as <out>/<name>-<version> (default: dist); "
    "may be a URL (s3://bucket/dist).",
)
@click.option("--name", help="Release name (default: archive.toml's, else the first source's).")
@click.option("--version", "version", required=True, help="Release version (semantic, e.g. 1.0.0).")
@file_option(
    "--capture-log",
    help="JSONL or CSV capture log: path, url, retrieved_at, outlet, published_at, agent, ...",
)
@file_option("--outlets", help="TOML file with an [outlets] table mapping domains to outlet names.")
@click.option("--created", help="Release time (RFC 3339). Default: $SOURCE_DATE_EPOCH, else now.")
@click.option(
    "--extract",
    type=click.Choice(["article", "none"]),
    help="'article' (default): derive body, title, authors, outlet, dates; 'none': keep the "
    "whole capture.",
)
@click.option(
    "--tier",
    type=click.Choice(["full", "metadata-only"]),
    help="'metadata-only' writes a dehydrated release: every hash and capture field, no text.",
)
@click.option(
    "--from",
    "parent",
    type=LOCATION,
    help="The release this version follows (default: the latest earlier one of the same name in "
    "--out).",
)
@click.option("--no-parent", is_flag=True, help="Start a new history: no parent, no reuse.")
@click.option(
    "--no-relations", is_flag=True, help="Skip finding copies, shared quotations and rewrites."
)
@click.option(
    "--trust-mtime/--no-trust-mtime",
    default=None,
    help="Take a capture whose size, modification time, inode and change time are those the "
    "parent's pack recorded as unchanged, without reading it (recorded in the manifest). "
    "--no-trust-mtime overrides archive.toml's trust_mtime = true.",
)
@count_option("--jobs", "Worker processes (default: all cores). Never changes the output.")
@executor_options
@click.option("--shards", type=click.IntRange(min=1), help="Fix the number of Parquet shards.")
@click.option(
    "--max-capture-bytes", type=click.IntRange(min=1), help="Quarantine captures larger than this."
)
@click.option("--license", "license_", help="Release license (SPDX id, e.g. CC-BY-4.0).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Pack into a temporary folder and report what would be written, reused and "
    "quarantined, and the version bump; nothing is written to --out.",
)
@quiet_option("No progress bars or summary.")
@json_option("Print a JSON summary on stdout.")
@handles_errors
def pack(**options):
    """Pack captures into a release <OUT>/<NAME>-<VERSION>.

    SOURCES are folders walked recursively in sorted order (or archive.toml's [collection]
    sources), local or URLs of a file system pyarrow or fsspec knows (s3://, gs://, hdfs://,
    file://; credentials from the usual environment). Every input becomes a record or a
    quarantine entry with a reason. When an earlier version of the release sits in OUT (or
    --from names one), it becomes the parent: unchanged records are reused and the manifest
    links the parent's digest. Prints the release path.

    \b
    archive pack examples/captures --capture-log examples/captures.jsonl \\
        --outlets examples/outlets.toml --out dist --name example --version 1.0.0
    archive pack --config examples/archive.toml --version 1.1.0
    archive pack /shared/captures --out /shared/dist --version 1.0.0 \\
        --executor ray --address head-node:6379
    archive pack s3://bucket/captures --out s3://bucket/dist --name news --version 1.0.0
    """
    from archive.runtime.executors import workers_started_early

    with workers_started_early(options["jobs"] if options["executor"] == "local" else 1):
        _pack(**options)


def _pack(*, sources, config, out, name, version, capture_log, outlets, created, extract, tier,
          parent, no_parent, no_relations, trust_mtime, jobs, executor, address, shards,
          max_capture_bytes, license_, dry_run, quiet, as_json):  # fmt: skip
    from archive.collection import find_collection, pack_settings
    from archive.release.pack import pack as pack_release

    if parent and no_parent:
        raise UsageError("--from and --no-parent contradict each other")
    collection = find_collection(config)
    sources = list(sources) or list(collection.sources)
    settings = pack_settings(
        sources=sources, name=name, version=version, created=created, outlets=outlets,
        extract=extract, tier=tier, jobs=jobs, shards=shards,
        max_capture_bytes=max_capture_bytes, license=license_, collection=collection,
        relations=not no_relations, trust_mtime=trust_mtime,
    )  # fmt: skip
    progress = terminal_bars(quiet or as_json)
    started = time.monotonic()
    destination = out or collection.out or Path("dist")
    if dry_run:
        _dry_run(
            sources,
            destination,
            settings,
            capture_log or collection.capture_log,
            None if no_parent else (parent or "auto"),
            executor,
            address,
            quiet,
            as_json,
        )
        return  # fmt: skip
    try:
        result = pack_release(
            sources,
            destination,
            settings,
            capture_log=capture_log or collection.capture_log,
            parent=None if no_parent else (parent or "auto"),
            progress=progress,
            executor=executor,
            address=address,
        )
    except OSError as exc:
        if not is_no_space(exc):
            raise
        raise NoSpaceError(str(destination)) from None
    finally:
        progress.close()
    for warning in result.warnings:
        click.echo(f"archive: error: {printable(warning)}", err=True)
    unmatched = (result.manifest.get("capture_log") or {}).get("unmatched", 0)
    if unmatched and not as_json:
        click.echo(f"archive: warning: {unmatched} capture-log lines name no input", err=True)
    if not quiet and not as_json:
        for note in result.notes:
            click.echo(f"archive: {printable(note)}", err=True)
    counts = result.manifest["counts"]
    if as_json:
        summary = {"path": str(result.path), "counts": counts, "parent": result.manifest["parent"]}
        emit_json(summary | {"errors": list(result.warnings), "notes": list(result.notes)})
    else:
        click.echo(printable(str(result.path)))
        if not quiet:
            elapsed = time.monotonic() - started
            click.echo(
                f"{counts['inputs']} inputs: {counts['records']} records "
                f"({counts['reused']} reused), {counts['quarantined']} quarantined, "
                f"{counts['withdrawn']} withdrawn, {counts['duplicates']} duplicates "
                f"in {elapsed:.1f} s ({counts['inputs'] / max(elapsed, 1e-9):,.0f} docs/s)",
                err=True,
            )
    sys.exit(EXIT_FAILED if result.warnings else EXIT_OK)


def _dry_run(sources, out, settings, capture_log, parent, executor, address, quiet, as_json):
    from archive.release.dryrun import dry_run

    progress = terminal_bars(quiet or as_json)
    try:
        summary = dry_run(sources, out, settings, capture_log=capture_log, parent=parent,
                          progress=progress, executor=executor, address=address)  # fmt: skip
    finally:
        progress.close()
    if as_json:
        emit_json(summary)
    else:
        _dry_run_lines(summary)
    sys.exit(EXIT_FAILED if summary["errors"] else EXIT_OK)  # as the pack would


def _dry_run_lines(summary: dict) -> None:
    counts, bump, log = summary["counts"], summary["bump"], summary["capture_log"] or {}
    parent_line = summary["parent"]["path"] if summary["parent"] else "none (a first version)"
    lines = [
        f"dry run: would write {summary['would_write']} (nothing written)",
        f"{counts['inputs']} inputs: {counts['records']} records ({counts['reused']} reused from "
        f"the parent), {counts['quarantined']} quarantined "
        + json.dumps(summary["quarantine_reasons"], sort_keys=True),
        f"parent: {parent_line}",
    ]
    if log:
        lines.append(f"capture log: {log['entries']} entries, {log['bad_lines']} bad lines, "
                     f"{log['unmatched']} naming no input")  # fmt: skip
    if bump:
        lines.append(f"implied bump: {bump['implied']}")
        if bump.get("warning"):
            lines.append(f"warning: {bump['warning']}")
    for line in [*lines, *(f"error: {e}" for e in summary["errors"])]:
        click.echo(printable(line))


@main.command()
@click.argument("release", type=LOCATION)
@click.option(
    "--level",
    type=click.Choice(["structure", "sizes", "hashes", "rows"]),
    default="rows",
    show_default=True,
    help="structure: manifest, signature, paths, files present; sizes: + sizes and counts; "
    "hashes: + every file's SHA-256; rows: + every row's schema and hashes.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    help="Audit N rows chosen at random (by --seed) instead of every row.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@count_option(
    "--jobs", "Worker processes over files and shards. Never changes the report.", default=1
)
@executor_options
@file_option("--key", help="Public key (from 'archive keygen') the release must be signed with.")
@quiet_option("Print only problems.")
@json_option("Print the report as JSON on stdout.")
@handles_errors
def verify(release, level, sample, seed, jobs, executor, address, key, quiet, as_json):
    """Verify a release: manifest digest and schema, signature, safe paths, every file's size
    and SHA-256, no unlisted files, every row against the record schema and its text hashes,
    unique ids, counts.

    Exit 0 when intact, 1 with each problem on its own line (CODE path: message). Warnings
    (W-codes), and the checks skipped, go to stderr.

    \b
    archive verify dist/example-1.0.0
    archive verify dist/example-1.0.0 --level hashes --jobs 4
    archive verify dist/example-1.0.0 --level sizes --sample 500 --seed 7
    archive verify dist/example-1.0.0 --key release.key.pub
    archive verify /shared/dist/example-1.0.0 --executor ray --address auto
    """
    from archive.capture import storage
    from archive.capture.locations import location
    from archive.format.manifest import require_release
    from archive.verification import check_release
    from archive.versions.bundle import BundleError

    if not storage.is_url(location(release)) and not Path(release).is_file():
        require_release(release)  # a bundle is a file; a folder must hold manifest.json
    try:
        report = check_release(
            release, level=level, sample=sample, seed=seed, jobs=jobs, key=key,
            executor=executor, address=address,
        )  # fmt: skip
    except BundleError as exc:  # a bundle that cannot be read: it fails, and --json says so
        if as_json:
            emit_json(unchecked(release, exc))
        raise
    what = f"{report.records} records, {report.files} files verified (level {level})"
    report_out(report, as_json, quiet, what)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@file_option("--key", required=True, help="Ed25519 private key (PEM) from 'archive keygen'.")
@click.option("--created", help="Signing time (RFC 3339). Default: $SOURCE_DATE_EPOCH, else now.")
@click.option("--force", is_flag=True, help="Replace an existing signature.")
@json_option("Print the signature file's path and key as JSON on stdout.")
@handles_errors
def sign(release, key, created, force, as_json):
    """Sign a release: write manifest.json.sig.json, an Ed25519 signature over the manifest's
    digest (which covers every file). Prints the signature file's path.

    \b
    archive keygen release.key
    archive sign dist/example-1.0.0 --key release.key
    archive verify dist/example-1.0.0 --key release.key.pub
    """
    from archive.settings import created_time
    from archive.verification import sign as sign_release

    moment = created_time(created, dict(os.environ)) if created else None
    signature = sign_release(release, key, created=moment, replace=force)
    if as_json:
        emit_json({"path": str(signature), "release": str(release)})
    else:
        click.echo(printable(str(signature)))


@main.command()
@click.argument("key", type=click.Path(path_type=Path))
@json_option("Print the key files and the public key as JSON on stdout.")
@handles_errors
def keygen(key, as_json):
    """Create an Ed25519 key pair: KEY (private, readable by you only) and KEY.pub (public,
    to give to whoever verifies). Existing files are never overwritten. Prints the public key.

    \b
    archive keygen release.key
    archive sign dist/example-1.0.0 --key release.key
    """
    from archive.format.signing import load_public_key, write_keypair

    private, public = write_keypair(key)
    encoded = base64.b64encode(load_public_key(public)).decode("ascii")
    if as_json:
        emit_json({"private_key": str(private), "public_key": str(public), "public": encoded})
        return
    click.echo(f"wrote {printable(str(private))} and {printable(str(public))}", err=True)
    click.echo(encoded)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    help="What every PATH is, instead of what its name or content says.",
)
@quiet_option("Print only problems.")
@json_option("Print the reports as JSON on stdout.")
@handles_errors
def validate(paths, kind, quiet, as_json):
    """Schema validation only (for CI) of releases and of every file a release or a collection
    has: record shards (.parquet, .jsonl), relations.parquet, quarantine.jsonl, withdrawn.jsonl,
    manifest.json, CHANGES.json, datapackage.json, croissant.json, capture logs (.jsonl, .csv),
    archive.toml and outlets files. The kind comes from the name, else the content; --kind says
    it.

    \b
    archive validate dist/example-1.0.0 dist/example-1.0.0/relations/relations.parquet
    archive validate examples/captures.csv examples/outlets.toml
    archive validate --kind capture-log my-log.txt
    """
    from archive.errors import ArchiveError
    from archive.format.manifest import require_release
    from archive.verification import validate as validate_path
    from archive.verification.validation import check_kind

    check_kind(kind)  # once, not for each path
    found, exit_code = [], EXIT_OK
    for path in paths:  # a path that cannot be checked is said, and the others still are
        try:
            if Path(path).is_dir():
                require_release(path)  # a folder must hold manifest.json
            report = validate_path(path, kind)
        except ArchiveError as exc:
            usage = isinstance(exc, UsageError)
            exit_code = max(exit_code, EXIT_USAGE if usage else EXIT_FAILED)
            found.append(unchecked(path, exc))
            if not as_json:
                click.echo(f"archive: error: {printable(str(exc))}", err=True)
            continue
        exit_code = max(exit_code, EXIT_OK if report.ok else EXIT_FAILED)
        found.append(report.as_dict())
        if as_json:
            continue
        for problem in report.problems:
            click.echo(printable(str(problem)))
        for line in report.unlisted_lines():
            click.echo(line)
        if not quiet:
            state = "valid" if report.ok else f"INVALID ({report.problem_count} problems)"
            click.echo(printable(f"{state}: {report.path}"), err=True)
    if as_json:
        emit_json(found)
    sys.exit(exit_code)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@click.argument("record_id", required=False)
@click.option(
    "--explain",
    is_flag=True,
    help="Show the capture with its spans marked and the evidence for every field.",
)
@click.option(
    "--relations",
    "show_relations",
    is_flag=True,
    help="Show the record's relations (copies, quotations, rewrites) with their evidence.",
)
@quiet_option("Print only data, no notices.")
@json_option("Print JSON on stdout.")
@handles_errors
def inspect(release, record_id, explain, show_relations, quiet, as_json):
    """Summarize a release, or show one record.

    RECORD_ID may also be the record's source path (as in capture.source_path, or a path on
    disk ending in it) or its capture URL. When it names several records, their ids are
    listed on stdout (as JSON with --json) and the exit code is 2.

    \b
    archive inspect dist/example-1.0.0
    archive inspect dist/example-1.0.0 0f3c...  --explain
    archive inspect dist/example-1.0.0 0f3c...  --relations
    archive inspect dist/example-1.0.0 captures/quillwire/carrow-point-cottage-museum.txt
    """
    from archive.inspect import explain_record, relations, summary

    if record_id is None and (show_relations or explain):
        raise UsageError(f"{'--relations' if show_relations else '--explain'} needs a RECORD_ID")
    if show_relations and explain:
        raise UsageError("--explain and --relations show a record in two ways: give one")
    if explain and as_json:
        raise UsageError(
            "--explain prints the capture marked for reading; --json prints the record, whose "
            "spans and provenance hold the same evidence: give one"
        )
    if show_relations:
        record_id = _record_by_key(release, record_id, as_json)["record_id"]
        rows = relations(release, record_id=record_id)
        if as_json:
            emit_json(rows)
        else:
            _relation_lines(rows, quiet)
        return

    if record_id is None:
        from archive.summary import release_summary, summary_lines

        found = release_summary(release)
        if as_json:
            emit_json(found.as_dict() | {"manifest": summary(release)["manifest"]})
        else:
            click.echo(printable("\n".join(summary_lines(found)), keep="\n"))
        return
    row = _record_by_key(release, record_id, as_json)
    if explain:
        click.echo(printable(explain_record(row), keep="\n\t"))
    else:
        emit_json(row)


def _record_by_key(release: Path, key: str, as_json: bool) -> dict:
    """The record an id, source path or URL names; when several match, their ids go to stdout
    before the one-line error."""
    from archive.lookup import AmbiguousRecord, record_by_key

    try:
        return record_by_key(release, key)
    except AmbiguousRecord as exc:
        if as_json:
            emit_json([candidate.as_dict() for candidate in exc.candidates])
        else:
            for candidate in exc.candidates:
                click.echo(printable(candidate.line()))
        raise


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@path_option("--out", help="Report folder (default: <release>-report beside the release).")
@click.option(
    "--level",
    type=click.Choice(["structure", "sizes", "hashes", "rows"]),
    default="rows",
    show_default=True,
    help="The verify level whose result the report shows.",
)
@click.option("--force", is_flag=True, help="Replace an existing report folder.")
@json_option("Print the report's path and size as JSON on stdout.")
@handles_errors
def report(release, out, level, force, as_json):
    """Write a static HTML report of a release: overview, coverage, furniture, relations,
    records, quarantine, versions and integrity. It opens from the file system (index.html)
    with no server or network, and the same release gives the same bytes. It goes beside the
    release, never into it (a release is immutable). Prints the folder.

    Exit 0, or 1 when verify finds problems in the release (the report is written and lists
    them).

    \b
    archive report dist/example-1.0.0
    archive report dist/example-1.0.0 --out site/example --force
    """
    from archive.format.manifest import require_release
    from archive.report import write_report

    require_release(release)
    written = write_report(release, out, level=level, force=force)
    if as_json:
        emit_json({"path": str(written.path), "bytes": written.bytes,
                   "problems": written.problems})  # fmt: skip
    else:
        click.echo(printable(str(written.path)))
    if written.problems:
        click.echo(f"archive: error: verify found {written.problems} problems in "
                   f"{printable(str(release))}; the report lists them", err=True)  # fmt: skip
    sys.exit(EXIT_FAILED if written.problems else EXIT_OK)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@path_option(
    "--out",
    "-o",
    help="Bundle file: .tar (default <release>.tar beside the release), .tar.gz or .tgz.",
)
@click.option("--force", is_flag=True, help="Replace an existing bundle file.")
@json_option("Print the bundle's path and size as JSON on stdout.")
@handles_errors
def bundle(release, out, force, as_json):
    """Write a release as one reproducible tar file for transfer (same release, same bytes).

    Prints the bundle's path. Every file is checked against the manifest as it is written;
    `archive verify` accepts the bundle directly. Exit 0 when written, 1 when a file differs
    from the manifest (nothing is written), 2 on a usage error.

    \b
    archive bundle dist/example-1.0.0
    archive verify dist/example-1.0.0.tar
    """
    from archive.format.manifest import beside
    from archive.versions.bundle import bundle as write_bundle

    target = out or beside(release, ".tar")
    written = write_bundle(release, target, force=force)
    if as_json:
        emit_json({"path": str(written), "bytes": Path(written).stat().st_size})
    else:
        click.echo(printable(str(written)))


@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@count_option(
    "--limit",
    "Show the changed fields of at most this many records (every id is still listed).",
    minimum=0,
    default=10_000,
)
@quiet_option("Print only the summary line and any warning.")
@json_option("Print the diff as JSON (as CHANGES.json).")
@handles_errors
def diff(old, new, limit, quiet, as_json):
    """Compare two releases record by record: added, removed, withdrawn and changed records
    (with old and new values of metadata fields, hashes of text fields), and the version bump
    the changes imply under the versioning rules.

    Exit 0, or 1 when NEW's version contradicts the implied bump (the warning says which
    version to use).

    \b
    archive diff dist/example-1.0.0 dist/example-1.1.0
    archive diff dist/example-1.0.0 dist/example-1.1.0 --json > changes.json
    """
    from archive.format.manifest import write_canonical_json
    from archive.versions.diff import iter_summary_lines, spilled_changes

    # the id lists go through files: releases of millions of records differ in millions of ids
    with tempfile.TemporaryDirectory(prefix="archive-diff-") as folder:
        data = spilled_changes(old, new, Path(folder), limit=limit)
        if as_json:
            with open(Path(folder) / "diff.json", "wb") as handle:  # as emit_json writes
                write_canonical_json(data, handle, allow_nan=True, default=str)
            emit_json_file(Path(folder) / "diff.json")
        else:
            for number, line in enumerate(iter_summary_lines(data)):
                if not quiet or number == 0 or line.startswith("warning: "):
                    click.echo(printable(line))
    sys.exit(EXIT_FAILED if data["bump"]["warning"] else EXIT_OK)


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@click.option(
    "--search",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="Another folder holding parent releases (or a parent release itself). Repeatable.",
)
@json_option("Print the history as JSON on stdout.")
@handles_errors
def log(release, search, as_json):
    """Show a release's history back to its first version, each link verified: the parent's
    manifest has the digest the child recorded and matches its own digest file.

    Parents are looked for beside the release (<name>-<version>), then in --search folders.
    Exit 0 when every link holds, 1 with the problems (E030-E033) otherwise.

    \b
    archive log dist/example-1.2.0
    archive log downloads/example-1.2.0 --search archive-mirror/
    """
    from archive.versions.history import history_ok, log_lines
    from archive.versions.history import log as release_log

    links = release_log(release, search=search)
    if as_json:
        emit_json([link.as_dict() for link in links])
    else:
        for line in log_lines(links):
            click.echo(printable(line))
    sys.exit(EXIT_OK if history_ok(links) else EXIT_FAILED)


@main.command()
@click.argument("dehydrated", type=click.Path(path_type=Path))
@path_option(
    "--captures",
    multiple=True,
    required=True,
    help="Folder of the captures you obtained (any layout). Repeatable.",
)
@file_option(
    "--capture-log",
    help="The capture log the release was packed with, if it had one (charsets, outlets).",
)
@path_option("--out", help="Where <name>-<version>+rehydrated goes (default: beside DEHYDRATED).")
@count_option("--jobs", "Worker processes.", default=1)
@quiet_option("Print only the path and the problems.")
@json_option("Print the report as JSON on stdout.")
@handles_errors
def rehydrate(dehydrated, captures, capture_log, out, jobs, quiet, as_json):
    """Rebuild the text of a dehydrated (metadata-only) release from your own captures, each
    verified against the recorded hashes, into <name>-<version>+rehydrated.

    Prints the path, then the records whose capture differs (changed) or was not found
    (missing). The relations' withheld evidence is restored where the captures prove it. Exit 0
    when every record was matched and every relation restored, 1 otherwise (the release is
    still written, with what could not be proven left out).

    \b
    archive rehydrate dist/example-1.0.0 --captures my-captures --capture-log my-captures.jsonl
    """
    from archive.versions.rehydrate import rehydrate as rehydrate_release

    progress = terminal_bars(quiet or as_json)
    try:
        result = rehydrate_release(
            dehydrated,
            list(captures),
            out or Path(dehydrated).parent,
            capture_log=capture_log,
            progress=progress,
            jobs=jobs,
        )
    finally:
        progress.close()
    for error in result.errors:
        click.echo(f"archive: error: {printable(error)}", err=True)
    if as_json:
        emit_json(result.as_dict())
    else:
        click.echo(str(result.path))
        for mismatch in result.changed:
            line = f"changed {mismatch.record_id} ({mismatch.reason}): {mismatch.source_path}"
            click.echo(printable(line))
        for rid in result.missing:
            click.echo(f"missing {rid}")
        if not quiet:
            counts = result.as_dict()["counts"]
            relations = ""
            if counts["relations_restored"] or counts["relations_withheld"]:
                relations = (
                    f"; relation evidence: {counts['relations_restored']} restored, "
                    f"{counts['relations_withheld']} still withheld"
                )
            click.echo(
                f"{counts['matched']} matched ({counts['withheld']} withheld), "
                f"{counts['changed']} changed, {counts['missing']} missing{relations}",
                err=True,
            )
    sys.exit(EXIT_OK if result.complete and not result.errors else EXIT_FAILED)


@main.command("relations")
@click.argument("release", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["exact-duplicate", "near-duplicate", "shares-quotation", "paraphrase-of"]),
    help="Only relations of this kind.",
)
@count_option(
    "--limit",
    "List at most N relations; in the summary, the N largest families and N top pairs of "
    "each kind (default 10).",
)
@click.option(
    "--summary/--list",
    "as_summary",
    default=None,
    help="A summary (counts, largest families, top pairs), or every relation with its "
    "evidence. Default: the summary on a terminal, the listing when piped or with --json.",
)
@quiet_option("Print only the relations, no notices.")
@json_option("Print the relations (or with --summary, the summary) as JSON on stdout.")
@handles_errors
def relations_command(release, kind, limit, as_summary, quiet, as_json):
    """List the relations between a release's records, with their evidence and each
    record's outlet and title beside its id.

    \b
    archive relations dist/example-1.0.0
    archive relations dist/example-1.0.0 --list --limit 20
    archive relations dist/example-1.0.0 --kind paraphrase-of --json
    """
    from archive.relations.overview import (
        listing_lines,
        overview_lines,
        relation_count,
        relation_listing,
        relations_overview,
    )

    if as_summary is None:
        as_summary = not as_json and sys.stdout.isatty()
    if as_summary:
        overview = relations_overview(release, kind=kind, limit=limit or 10)
        if as_json:
            emit_json(overview.as_dict())
            return
        click.echo(printable("\n".join(overview_lines(overview)), keep="\n"))
        if not quiet:
            click.echo("every relation with its evidence: --list (or pipe the output)", err=True)
        return
    rows = relation_listing(release, kind=kind, limit=limit)
    if as_json:
        emit_json_list(rows)
        return
    shown = 0
    for row in rows:
        click.echo(printable("\n".join(listing_lines(row)), keep="\n"))
        shown += 1
    if quiet:
        return
    if not shown:
        click.echo("no relations", err=True)
    elif limit and shown == limit and relation_count(release, kind) > shown:
        click.echo(f"{shown} of {relation_count(release, kind)} relations listed (--limit)",
                   err=True)  # fmt: skip


@main.command()
@click.argument("release", type=click.Path(path_type=Path))
@path_option(
    "--sqlite",
    "database",
    required=True,
    metavar="FILE",
    help="Write a SQLite database (records, relations, quarantine; FTS5 over titles and "
    "bodies) and beside it <stem>.metadata.json for Datasette.",
)
@click.option("--force", is_flag=True, help="Replace an existing database and metadata file.")
@quiet_option("Print only the database's path.")
@json_option("Print the paths and counts as JSON on stdout.")
@handles_errors
def export(release, database, force, quiet, as_json):
    """Export a release for browsing: a SQLite database with full-text search (FTS5) over
    titles and bodies, and a Datasette metadata file with facets on outlet, language and
    month. Prints the database's path.

    \b
    archive export dist/example-1.0.0 --sqlite example.db
    datasette example.db -m example.metadata.json
    """
    from archive.exporters.sqlite import export_sqlite

    written = export_sqlite(release, database, force=force)
    if as_json:
        emit_json(written.as_dict())
        return
    click.echo(printable(str(written.path)))
    if not quiet:
        click.echo(
            printable(
                f"{written.records} records, {written.relations} relations, "
                f"{written.quarantined} quarantined; browse: datasette {written.path} "
                f"-m {written.metadata}"
            ),
            err=True,
        )


def _relation_lines(rows: list[dict], quiet: bool) -> None:
    from archive.inspect import relation_lines

    if rows:
        click.echo(printable("\n".join(relation_lines(rows)), keep="\n"))
    elif not quiet:
        click.echo("no relations", err=True)


def run() -> None:
    """The ``archive`` command: :func:`main` in a process of archive's own."""
    from archive.runtime.process import forgo_blas_threads, forgo_pandas

    forgo_blas_threads()
    forgo_pandas()
    stop_on_signals()
    try:
        main()
    finally:
        # Every object is about to go with the process: the interpreter's last collection
        # would walk them all first (about 50 ms after a verify of 100,000 records).
        gc.freeze()


if __name__ == "__main__":
    run()
