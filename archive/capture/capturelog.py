"""The capture log: what the capturer asserted about each file (URL, times, outlet, agent).

A log is JSON Lines (``.jsonl``/``.ndjson``) or CSV with a header row. Known keys are typed and
checked; any other key is kept, as canonical JSON, in ``capture.extra``. A bad line is reported
with its line number and skipped; the other lines still apply, unless it is a CSV header,
without which no row can be read.

Entries are held in an on-disk SQLite index rather than a dict, so a log of millions of lines
costs the same memory as a small one and worker processes can open it themselves.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from archive.capture.storage import RemotePath, close_index, open_index
from archive.errors import CaptureLogError, UsageError
from archive.format import boundedjson
from archive.format.manifest import file_sha256
from archive.model import CaptureInfo

_BATCH = 500  # ids a lookup asks for and rows an insert gives: under SQLite's parameter limit
MAX_LINE_CHARS = 1024 * 1024  # a capture-log line is a few hundred characters
KNOWN_KEYS = (
    "path",
    "url",
    "retrieved_at",
    "outlet",
    "published_at",
    "agent",
    "charset",
    "rights_holder",
    "redistribution",
)


@dataclass(frozen=True)
class LogEntry:
    """One usable line of a capture log. Times are timezone-aware UTC."""

    path: str
    line: int
    url: str | None = None
    retrieved_at: datetime | None = None
    outlet: str | None = None
    published_at: datetime | None = None
    published_precision: str | None = None
    published_utc_offset: int | None = None  # minutes, as the log line stated the zone
    agent: str | None = None
    charset: str | None = None
    rights_holder: str | None = None
    redistribution: str | None = None
    extra: str | None = None

    def evidence(self, log_name: str) -> str:
        return f"{log_name} line {self.line}"


@dataclass(frozen=True)
class IndexedPart:
    """The first ``bytes`` bytes of a JSON Lines capture log, ``lines`` whole lines, already in
    an index: its ``size`` entries and its ``problems``. A log that grew by lines added at its
    end is indexed by reading only those (``CaptureLog.build``)."""

    bytes: int
    lines: int
    size: int
    problems: tuple[CaptureLogError, ...]


def parse_timestamp(value: str, *, allow_date: bool) -> tuple[datetime, str]:
    """RFC 3339 timestamp (or, when ``allow_date``, a bare ISO date) -> (UTC datetime, precision).

    >>> parse_timestamp("2024-03-05T09:30:00+01:00", allow_date=False)[0].isoformat()
    '2024-03-05T08:30:00+00:00'
    """
    text = value.strip()
    if allow_date and len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC), "day"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    precision = "second" if moment.second or moment.microsecond else "minute"
    try:
        return moment.astimezone(UTC), precision
    except OverflowError:  # 0001-01-01T00:30+01:00 is before the first UTC time Python has
        raise ValueError(f"{value!r} is out of range in UTC") from None


def stated_offset(value: str) -> int | None:
    """The UTC offset an RFC 3339 timestamp states, in minutes (``None`` without a zone).

    >>> stated_offset("2020-02-15T07:00:00+09:00")
    540
    """
    try:
        offset = datetime.fromisoformat(value.strip()).utcoffset()
    except ValueError:
        return None
    return None if offset is None else int(offset.total_seconds() // 60)


def _safe_relative(path: str) -> str:
    if "\\" not in path and ":" not in path.partition("/")[0]:
        parts = path.split("/")
        if "" not in parts and "." not in parts and ".." not in parts:
            return path  # already the form the general path below gives: no path object
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or ":" in posix.parts[0]:
        raise ValueError(f"path {path!r} must be relative to the source folder, without '..'")
    return posix.as_posix()


def entry_from_mapping(data: dict, line: int) -> LogEntry:
    """Check and type one log line; raises ``ValueError`` naming the bad key."""
    return LogEntry(**_entry_fields(data, line))


def _entry_fields(data: dict, line: int) -> dict:
    """``entry_from_mapping``'s fields by name, the unset ones left out."""
    if not isinstance(data.get("path"), str) or not data["path"]:
        raise ValueError("missing 'path'")
    fields: dict = {"path": _safe_relative(data["path"]), "line": line}
    for key in ("url", "outlet", "agent", "charset", "rights_holder", "redistribution"):
        value = data.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise ValueError(f"'{key}' must be a string")
        fields[key] = value.strip()
    if fields.get("redistribution") not in (None, "full", "metadata-only"):
        raise ValueError("'redistribution' must be 'full' or 'metadata-only'")
    for key, allow_date in (("retrieved_at", False), ("published_at", True)):
        value = data.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise ValueError(f"'{key}' must be an RFC 3339 string")
        try:
            moment, precision = parse_timestamp(value, allow_date=allow_date)
        except ValueError as exc:
            raise ValueError(f"'{key}': {exc}") from None
        fields[key] = moment
        if key == "published_at":
            fields["published_precision"] = precision
            if precision != "day":
                fields["published_utc_offset"] = stated_offset(value)
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS and v not in (None, "")}
    if extra:
        fields["extra"] = json.dumps(
            extra, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    return fields


def raw_lines(
    path: Path, after: IndexedPart | None = None
) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (line number, mapping or None, error or None) for each non-blank line (``after``
    a JSON Lines log's part already read: of the lines after it only); a line with an error
    may have its mapping, which is not to be used but for the input it names.

    A JSON line longer than ``MAX_LINE_CHARS`` is a bad line, read past in pieces so that it
    never sits in memory whole; so is JSON nested deeper than ``boundedjson.MAX_DEPTH``. A CSV
    field longer than that is a bad row too, but the csv module holds its line first.
    """
    if after is not None:
        with path.open("rb") as raw:
            raw.seek(after.bytes)  # a line's start: the part read ends with a line break
            with io.TextIOWrapper(
                raw, encoding="utf-8", errors="surrogateescape", newline=""
            ) as handle:
                yield from _json_rows(handle, after.lines)
        return
    with path.open("rb") as handle:
        head = handle.read(3)
    if head and len(head) < 3 and codecs.BOM_UTF8.startswith(head):
        # a file that is only part of a byte-order mark: the text reader drops it silently
        raise UnicodeDecodeError("utf-8", head, 0, len(head), "unexpected end of data")
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from _csv_rows(handle)
        else:
            yield from _json_rows(handle, 0)


def _json_rows(handle, before: int) -> Iterator[tuple[int, dict | None, str | None]]:
    """``raw_lines`` of JSON Lines, numbered from the line after line ``before``."""
    for number, text in _bounded_lines(handle, before):
        if text is None:
            yield number, None, f"longer than {MAX_LINE_CHARS:,} characters"
            continue
        if not text.strip():
            continue
        if _not_utf8(text):
            yield number, None, NOT_UTF8
            continue
        try:
            data = boundedjson.loads(text)
        except json.JSONDecodeError as exc:
            yield number, None, f"not JSON ({exc.msg} at column {exc.colno})"
            continue
        except ValueError as exc:
            yield number, None, str(exc)
            continue
        if not isinstance(data, dict):
            yield number, None, "not a JSON object"
        elif (paths := _paths_if_a_key_repeats(text, data)) is not None:
            # every path it gives: each input is held to it
            message = "a key given twice in one object (which value holds is not known)"
            yield number, {"path": paths}, message
        else:
            yield number, data, None


# A key as it ends in JSON text: a string value holds one only if it holds an escaped quote
_KEY_END = re.compile(r'"\s*:')


def _paths_if_a_key_repeats(text: str, data: dict) -> list | None:
    """Every ``path`` the JSON ``text`` gives where it gives a key twice in one object (which
    ``json`` does without a word, keeping the last value: ``redistribution`` given as
    ``metadata-only``, then as ``full``), else None. It is parsed again, pair by pair, only
    when it holds more keys than ``data``: an object nested in a value, or a value holding
    ``\":``, has keys of its own."""
    if len(_KEY_END.findall(text)) <= len(data):
        return None
    objects: list[list[tuple[str, object]]] = []
    json.loads(text, object_pairs_hook=lambda pairs: objects.append(pairs) or dict(pairs))
    if all(len({name for name, _ in pairs}) == len(pairs) for pairs in objects):
        return None
    # the last object is the outermost: a pairs hook sees the objects nested in it first
    return [value for name, value in objects[-1] if name == "path"]


def _bounded_lines(handle, before: int = 0) -> Iterator[tuple[int, str | None]]:
    """(number, line) for each line of ``handle``, numbered from ``before`` + 1; None for a line
    over ``MAX_LINE_CHARS``."""
    number = before
    cut_return = False  # a read ended in "\r" (its limit may split a "\r\n")
    while text := handle.readline(MAX_LINE_CHARS + 1):
        if cut_return and text == "\n":  # the rest of the line ending read before
            cut_return = False
            continue
        number += 1
        if len(text) <= MAX_LINE_CHARS or text.endswith(("\n", "\r")):
            cut_return = text.endswith("\r")
            yield number, text
            continue
        while (rest := handle.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
            pass
        cut_return = rest.endswith("\r")
        yield number, None


def _csv_rows(handle) -> Iterator[tuple[int, dict | None, str | None]]:
    reader = csv.DictReader(handle)
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_CHARS)
    try:
        try:
            names = reader.fieldnames  # the header, read first: line_num is its last line
        except csv.Error as exc:  # no row can be read without it
            # the dict reader counts the header's lines only once it has read it
            yield reader.reader.line_num, None, f"cannot be read as CSV ({exc})"
            return
        unnamed = {name for name in names or () if _not_utf8(name)}
        if unnamed:  # those columns are left out of every row, said once
            yield reader.line_num, None, f"{NOT_UTF8} (a column's name; the column is not read)"
        read = [name for name in names or () if name and name not in unnamed]
        if len(set(read)) < len(read):  # columns without a name are left out, as ever
            # csv keeps the last column of a name without a word: which value holds is not known
            twice = next(name for name in read if read.count(name) > 1)
            yield reader.line_num, None, f"the header names the column {twice!r} twice"
            return
        if any(_holds_line_break(name) for name in names or ()):
            # a quote left open in the header takes the lines after it into a name: no row
            # is left to read, and the log would be empty without a word
            message = "the header has a line break in a name (a quote left open?)"
            yield reader.line_num, None, message
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, None, f"cannot be read as CSV ({exc})"
                continue
            if None in row:
                yield reader.line_num, None, "more fields than the header names"
            elif any(_not_utf8(v) for k, v in _named(row, unnamed) if isinstance(v, str)):
                yield reader.line_num, None, NOT_UTF8
            elif (key := _broken_key(row)) is not None:
                # a quote left open takes the lines after it into one field, up to the next
                # quote: without this the lines it took would be lost without a word
                message = (
                    f"the row ending here has a line break in {key!r} (a quote left open earlier?)"
                )
                yield reader.line_num, None, message
            else:
                yield reader.line_num, {k: v for k, v in _named(row, unnamed) if k}, None
    finally:
        csv.field_size_limit(limit)


# A line holding bytes that are not UTF-8: read with ``surrogateescape``, so that one such
# line is one bad line, where it stopped the reading of the whole log.
NOT_UTF8 = "not UTF-8"
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _not_utf8(text: str) -> bool:
    return not text.isascii() and _ESCAPED_BYTE.search(text) is not None


def _named(row: dict, unnamed: set[str]) -> Iterator[tuple[str, object]]:
    """The fields of a CSV row but those of the columns whose names are not UTF-8."""
    return ((k, v) for k, v in row.items() if k not in unnamed)


def _broken_key(row: dict) -> str | None:
    """The first known key whose value holds a line break, or None. In a CSV log that is a
    quote left open (a file name with a line break can be given in a JSON Lines log)."""
    for key in KNOWN_KEYS:
        value = row.get(key)
        if isinstance(value, str) and _holds_line_break(value):
            return key
    return None


def _holds_line_break(text: str) -> bool:
    return "\n" in text or "\r" in text


class CaptureLog:
    """An indexed capture log. Build with ``CaptureLog.build``; look entries up by path."""

    def __init__(
        self,
        index_path: Path | RemotePath,
        name: str,
        problems: list[CaptureLogError],
        size: int,
        sha256: str,
    ):
        self.index_path, self.name, self.problems = index_path, name, problems
        self.size, self.sha256 = size, sha256
        self._db: sqlite3.Connection | None = None
        self._preloaded: dict[str, StoredEntry | None] = {}
        self._unusable: dict[str, tuple[int, str]] = {}

    @classmethod
    def build(
        cls, log_path: Path, index_path: Path, after: IndexedPart | None = None
    ) -> CaptureLog:
        """Read ``log_path`` once into an SQLite index at ``index_path``; ``after``: the index
        holds the log's first part already (a log that grew since), and only the lines after
        it are read."""
        if not log_path.is_file():
            raise UsageError(f"capture log {log_path} does not exist")
        found: list[tuple[int, CaptureLogError]] = []  # (place in the log, problem)
        db = sqlite3.connect(index_path)
        if after is None:
            db.execute(
                "CREATE TABLE log (path TEXT PRIMARY KEY, line INTEGER, entry TEXT, capture TEXT)"
            )
            db.execute("CREATE TABLE bad (path TEXT PRIMARY KEY, line INTEGER, message TEXT)")
        size = after.size if after else 0
        rows: list[tuple] = []
        try:
            for place, (line, data, error) in enumerate(raw_lines(log_path, after)):
                if error is None:
                    try:
                        fields = _entry_fields(data, line)
                    except ValueError as exc:
                        error = str(exc)
                if error is not None:
                    found.append((place, CaptureLogError(log_path.name, line, error)))
                    for named in _named_paths(data):
                        _note_bad(db, named, line, error)
                    continue
                rows.append((fields["path"], line, *stored_entry(fields), place))
                if len(rows) == _BATCH:
                    size += _inserted(db, rows, log_path.name, found)
                    rows = []
            size += _inserted(db, rows, log_path.name, found)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise UsageError(f"capture log {log_path}: cannot be read ({exc})") from None
        db.commit()
        db.close()
        found.sort(key=lambda item: item[0])  # a batch's repeats were found after it
        problems = [*(after.problems if after else ()), *(problem for _, problem in found)]
        if len(problems) > size:
            first = problems[0]
            raise UsageError(
                f"capture log {log_path}: {len(problems)} of {len(problems) + size} lines cannot "
                f"be used (line {first.line}: {first.message}); is it a capture log?"
            )
        digest, _ = file_sha256(log_path)  # in blocks: a log of 1,000,000 lines is 180 MB
        return cls(index_path, log_path.name, problems, size, digest)

    def stored(self, path: str) -> StoredEntry | None:
        """The entry for ``path`` as the index keeps it (``entry_from_stored`` reads it), or
        None."""
        if path in self._preloaded:
            return self._preloaded[path]
        query = "SELECT entry, capture FROM log WHERE path = ?"
        row = self._connection().execute(query, (path,)).fetchone()
        return StoredEntry(*row) if row else None

    def preload(self, paths: list[str]) -> list[int]:
        """Look ``paths`` up in a few queries (a unit's worth), for ``stored`` and
        ``unusable`` to answer from; the lines of the entries found (``matched_lines`` counts
        them)."""
        found: dict[str, StoredEntry | None] = dict.fromkeys(paths)
        unusable: dict[str, tuple[int, str]] = {}
        lines = []
        for start in range(0, len(paths), _BATCH):
            batch = paths[start : start + _BATCH]
            marks = ",".join("?" * len(batch))
            query = f"SELECT path, line, entry, capture FROM log WHERE path IN ({marks})"
            for path, line, entry, capture in self._connection().execute(query, batch):
                found[path] = StoredEntry(entry, capture)
                lines.append(line)
            query = f"SELECT path, line, message FROM bad WHERE path IN ({marks})"
            for path, line, message in self._connection().execute(query, batch):
                unusable[path] = (line, message)
        self._preloaded, self._unusable = found, unusable
        return lines

    def unusable(self, path: str) -> tuple[int, str] | None:
        """(line, why) of the first line naming ``path`` that cannot be used (one giving the
        path again with other values among them), or None; among the paths ``preload`` was
        given."""
        return self._unusable.get(path)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_index(self.index_path)
        return self._db

    def close(self) -> None:
        """Let go of the index (see ``storage.close_index``); a later lookup opens it again."""
        close_index(self._db, self.index_path)
        self._db = None

    def read_at(self, index_path: Path | RemotePath) -> CaptureLog:
        """This log, its index read from a copy at ``index_path`` (where workers find it)."""
        return CaptureLog(index_path, self.name, self.problems, self.size, self.sha256)

    def __getstate__(self):
        return self.__dict__ | {"_db": None, "_preloaded": {}, "_unusable": {}}


def _named_paths(data) -> list[str]:
    """The inputs a line that cannot be used names, as a line must name one: its ``path``, or
    each path of a list (a line giving ``path`` more than once is read so, ``_json_rows``):
    which of them it meant is not known."""
    paths = data.get("path") if isinstance(data, dict) else None
    named = []
    for path in paths if isinstance(paths, list) else [paths]:
        if isinstance(path, str) and path:
            with suppress(ValueError):
                named.append(_safe_relative(path))
    return named


def _inserted(db: sqlite3.Connection, rows: list[tuple], log_name: str, found: list[tuple]) -> int:
    """Insert a batch of rows (one statement, not one a line; each row ends with its place in
    the log, which is not inserted); how many went in. A row whose path an earlier line gave
    goes to ``found`` with its place: the first line of a path is its entry."""
    before = db.total_changes
    db.executemany("INSERT OR IGNORE INTO log VALUES (?, ?, ?, ?)", (row[:4] for row in rows))
    inserted = db.total_changes - before
    if inserted < len(rows):
        query = "SELECT line, entry FROM log WHERE path = ?"
        for path, line, entry, _, place in rows:
            kept, kept_entry = db.execute(query, (path,)).fetchone()
            if kept != line:
                message = f"path {path!r} already given on an earlier line"
                found.append((place, CaptureLogError(log_name, line, message)))
                # which of two lines that differ holds is not known: its input is held to both
                # (one repeating the other word for word, as a log written twice, says nothing
                # new: the values after the path and line)
                if json.loads(entry)[2:] != json.loads(kept_entry)[2:]:
                    _note_bad(db, path, line, message)
    return inserted


def _note_bad(db: sqlite3.Connection, path: str, line: int, why: str) -> None:
    """Keep, for the input ``path`` names, the first line naming it that cannot be used: a
    repeat is found when its batch is written, after bad lines read later than it."""
    db.execute(
        "INSERT INTO bad VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET line = excluded.line,"
        " message = excluded.message WHERE excluded.line < bad.line",
        (path, line, why),
    )


class StoredEntry(NamedTuple):
    """An entry as the index keeps it: two JSON arrays, compact, not escaped to ASCII, times in
    ISO form (which ``entry_from_stored`` reads back to the same times, and those to the same
    ISO form). ``entry`` holds the entry's values in field order; ``capture`` the values of
    the ``capture`` struct a file it names gets (``logged_capture``), after the file's path.
    A reused row's derivation is hashed from these texts as they are, with no entry made."""

    entry: str
    capture: str


def logged_capture(source_path: str, entry: LogEntry | None) -> CaptureInfo:
    """The ``capture`` struct of a file, with what its capture-log ``entry`` (if any) says."""
    if entry is None:
        return CaptureInfo(source_path=source_path)
    return CaptureInfo(
        source_path=source_path,
        url=entry.url,
        retrieved_at=entry.retrieved_at,
        agent=entry.agent,
        extra=entry.extra,
    )


def stored_entry(fields: dict) -> StoredEntry:
    """The index's form of the entry with ``fields`` (by name, unset ones left out, as
    ``vars`` of a ``LogEntry`` gives them or ``_entry_fields`` checks them), made with no
    ``LogEntry`` or ``CaptureInfo``: a log of a million lines is indexed before any capture is
    read."""
    values = [fields.get(name) for name in _ENTRY_FIELDS]
    for at in _MOMENTS:
        if values[at] is not None:
            values[at] = values[at].isoformat()
    capture = [None if at is None else values[at] for at in _CAPTURE_FROM_ENTRY]
    return StoredEntry(_compact(values), _compact(capture))


_ENTRY_FIELDS = tuple(f.name for f in dataclass_fields(LogEntry))
_MOMENTS = tuple(_ENTRY_FIELDS.index(name) for name in ("retrieved_at", "published_at"))
# ``logged_capture``'s struct after its path: the entry's fields of the same names, else null
_CAPTURE_FROM_ENTRY = tuple(
    _ENTRY_FIELDS.index(f.name) if f.name in _ENTRY_FIELDS else None
    for f in dataclass_fields(CaptureInfo)[1:]
)
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def rights_of(entry: LogEntry) -> LogEntry | None:
    """``entry`` cut to the rights it states (None: it states none): what the records inside a
    WARC file take from the line naming the file. The line's url, dates, outlet and charset
    are left out: each record has its own, in its WARC headers and its page."""
    if entry.rights_holder is None and entry.redistribution is None:
        return None
    return LogEntry(
        entry.path,
        entry.line,
        rights_holder=entry.rights_holder,
        redistribution=entry.redistribution,
    )


def entry_from_stored(stored: StoredEntry) -> LogEntry:
    """The entry the index keeps as ``stored`` (see ``StoredEntry``)."""
    entry = LogEntry(*json.loads(stored.entry))
    moments = {
        key: datetime.fromisoformat(value)
        for key in ("retrieved_at", "published_at")
        if (value := getattr(entry, key))
    }
    return replace(entry, **moments) if moments else entry
