"""What the ``archive`` command prints: one line per error with its exit code, JSON on stdout,
progress bars on a terminal, and reports. The commands in ``archive.cli`` only call these."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import sys
from functools import wraps
from pathlib import Path

import click

from archive.errors import (
    ArchiveError,
    NoSpaceError,
    UsageError,
    VerificationError,
    is_no_space,
)
from archive.text.decode import printable, printable_json

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_NO_SPACE = 0, 1, 2, 3, 4
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a Unix tool whose reader left


def fail(message: str, code: int) -> None:
    click.echo(f"archive: {printable(message)}", err=True)
    sys.exit(code)


def handles_errors(command):
    """Map library errors to one clear line and an exit code; never a traceback."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            try:
                return command(*args, **kwargs)
            finally:
                sys.stdout.flush()  # here, so that a closed pipe is met inside the handler
        except BrokenPipeError:
            closed_pipe()
        except OSError as exc:
            if is_no_space(exc):
                where = os.path.dirname(exc.filename) if exc.filename else "the output"
                fail(f"error: {NoSpaceError(where)}", EXIT_NO_SPACE)
            place = _users_place(exc)
            if place is None:
                raise_or_fail(exc)
            fail(f"error: {place}: {exc.strerror}", EXIT_USAGE)
        except UsageError as exc:
            fail(f"error: {exc}", EXIT_USAGE)
        except NoSpaceError as exc:
            fail(f"error: {exc}", EXIT_NO_SPACE)
        except VerificationError as exc:
            for problem in exc.problems:
                click.echo(printable(str(problem)), err=True)
            sys.exit(EXIT_FAILED)
        except ArchiveError as exc:
            fail(f"error: {exc}", EXIT_FAILED)
        except KeyboardInterrupt as exc:
            fail("interrupted; nothing was written", 128 + getattr(exc, "signum", signal.SIGINT))
        except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a line
            raise_or_fail(exc)

    return wrapper


def _users_place(exc: OSError) -> str | None:
    """The place an OSError names when the user can put it right (a folder read-only, missing,
    a file in the way: exit 2), with a partial file or folder a command makes before renaming
    it into place (``.<name>.partial-...``) shown as the name it was to take; None for any
    other error, or one met inside a partial folder: a bug, or a fault of the machine.

    >>> _users_place(OSError(30, "Read-only file system", "/srv/ro/.example-1.0.0.partial-h-42"))
    '/srv/ro/example-1.0.0'
    >>> _users_place(OSError(2, "No such file", "/srv/.example-1.0.0.partial-h-42/work/plan"))
    """
    if exc.errno not in _USERS_ERRORS or not exc.strerror:
        return None
    if not isinstance(exc.filename, (str, bytes)):
        return None
    path = os.fsdecode(exc.filename)
    if _INSIDE_PARTIAL.search(path):
        return None
    return _PARTIAL.sub(r"\1\2", path)


_USERS_ERRORS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
    }
)
_PARTIAL = re.compile(r"(^|/)\.([^/]+)\.partial-[^/]*$")
_INSIDE_PARTIAL = re.compile(r"(^|/)\.[^/]+\.partial-[^/]*/")


def raise_or_fail(exc: Exception) -> None:
    """A bug: the traceback with ``ARCHIVE_DEBUG=1``, else one line and exit 3."""
    if os.environ.get("ARCHIVE_DEBUG"):
        raise exc
    fail(f"internal error: {type(exc).__name__}: {exc} (ARCHIVE_DEBUG=1 shows more)", EXIT_INTERNAL)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, met as Ctrl-C is: workers stopped, partial files removed."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into ``Stopped`` in this (the main) process; exit 143 or 129."""

    def stop(signum, frame):
        raise Stopped(signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


def closed_pipe() -> None:
    """The reader of stdout has gone (``archive diff A B | head -1``): stop quietly, as Unix
    tools do, with nothing more written and no complaint at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test runner's buffer)
        pass
    sys.exit(EXIT_CLOSED_PIPE)


def emit_json(data) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    click.echo(printable_json(text))


def emit_json_file(path: Path) -> None:
    """A JSON file written in ``emit_json``'s form (``canonical_json``), printed a megabyte of
    characters at a time: the same text, never held whole (each character is escaped alone)."""
    with open(path, encoding="utf-8", newline="\n") as handle:
        while text := handle.read(1 << 20):
            click.echo(printable_json(text), nl=False)


def emit_json_list(items) -> None:
    """Items as one JSON array, written item by item: the same text ``emit_json(list(items))``
    writes, without holding every item."""
    first = True
    for item in items:
        text = json.dumps(item, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        click.echo(("[\n  " if first else ",\n  ") + printable_json(text.replace("\n", "\n  ")),
                   nl=False)  # fmt: skip
        first = False
    click.echo("[]" if first else "\n]")


def unchecked(path, exc: Exception) -> dict:
    """The ``--json`` entry of a path ``verify`` or ``validate`` could not check."""
    return {"path": str(path), "ok": False, "error": str(exc)}


def report_out(report, as_json: bool, quiet: bool, what: str) -> None:
    if as_json:
        emit_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(printable(str(problem)))
        for line in report.unlisted_lines():
            click.echo(line)
        if not quiet:
            for warning in report.warnings:
                click.echo(printable(str(warning)), err=True)
            if report.skipped:
                click.echo(f"skipped: {', '.join(report.skipped)}", err=True)
            state = "OK" if report.ok else f"FAILED ({report.problem_count} problems)"
            click.echo(printable(f"{state}: {report.path}: {what}"), err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)
