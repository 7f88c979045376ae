"""A collection's settings: ``archive.toml``, the environment and the command line.

Precedence: command-line options > environment (``SOURCE_DATE_EPOCH``) > ``archive.toml`` >
defaults. Paths in ``archive.toml`` are relative to the file. The file::

    [collection]
    name = "example"
    license = "CC-BY-4.0"
    sources = ["captures"]
    capture_log = "captures.jsonl"
    out = "../dist"
    extract = "article"            # or "none"
    tier = "full"                  # or "metadata-only"
    trust_mtime = false            # true: a re-pack trusts an unchanged size and mtime

    [rights]
    holder = "The contributors"
    redistribution = "full"        # default class; the capture log can set it per capture

    [outlets]                      # registrable domain -> outlet name
    "harbourcourier.example" = "The Harbour Courier"

    [[withdraw]]                   # records to withdraw (a tombstone stays)
    record_id = "0123456789abcdef0123456789abcdef"
    reason = "takedown request from the rights holder"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from archive.capture.locations import is_url, location
from archive.capture.sources import root_name
from archive.errors import UsageError
from archive.runtime.executors import default_jobs
from archive.settings import PackSettings, created_time

CONFIG_FILE = "archive.toml"
_RECORD_ID = re.compile(r"^[0-9a-f]{32}$")
_COLLECTION_KEYS = {"name", "license", "sources", "capture_log", "out", "extract", "tier"}
_COLLECTION_FLAGS = {"trust_mtime"}  # booleans


@dataclass(frozen=True)
class Collection:
    """What ``archive.toml`` says, with its paths resolved against the file's folder."""

    path: Path | None = None
    name: str | None = None
    license: str | None = None
    sources: tuple[Path, ...] = ()
    capture_log: Path | None = None
    out: Path | None = None
    extract: str | None = None
    tier: str | None = None
    rights_holder: str | None = None
    redistribution: str | None = None
    outlets: tuple[tuple[str, str], ...] = ()
    withdrawals: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    trust_mtime: bool | None = None


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: {exc}") from None


def _outlet_table(data: dict, path: Path) -> tuple[tuple[str, str], ...]:
    table = data.get("outlets", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(f"{path}: [outlets] must map domains to outlet names")
    return tuple(sorted((domain.lower().strip("."), name) for domain, name in table.items()))


def domain_outlets(path: Path) -> tuple[tuple[str, str], ...]:
    """The ``[outlets]`` table of a TOML file: registrable domain -> outlet name, sorted.
    A file without that table is refused: it is the wrong file, not an empty mapping."""
    data = _toml(path)
    if "outlets" not in data:
        raise UsageError(f"{path}: no [outlets] table (domains mapped to outlet names)")
    return _outlet_table(data, path)


def _table(data: dict, key: str, path: Path) -> dict:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [{key}] must be a table")
    return table


def load_collection(path: Path) -> Collection:
    """Read and check ``archive.toml``; every mistake is a ``UsageError`` naming the key."""
    data = _toml(path)
    base = Path(path).parent
    collection = _table(data, "collection", path)
    rights = _table(data, "rights", path)
    unknown = set(collection) - _COLLECTION_KEYS - _COLLECTION_FLAGS
    if unknown:
        raise UsageError(f"{path}: unknown key(s) in [collection]: {', '.join(sorted(unknown))}")
    sources = collection.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise UsageError(f"{path}: [collection] sources must be a list of folder names")
    for key in _COLLECTION_KEYS - {"sources"}:
        if not isinstance(collection.get(key, ""), str):
            raise UsageError(f"{path}: [collection] {key} must be a string")
    for key in _COLLECTION_FLAGS:
        if not isinstance(collection.get(key, False), bool):
            raise UsageError(f"{path}: [collection] {key} must be true or false")
    withdrawals = []
    items = data.get("withdraw", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise UsageError(f"{path}: withdrawals are [[withdraw]] tables")
    for number, item in enumerate(items, start=1):
        rid, reason = item.get("record_id"), item.get("reason")
        if rid is None or not reason:
            raise UsageError(f"{path}: [[withdraw]] #{number} needs a record_id and a reason")
        if not isinstance(rid, str) or not _RECORD_ID.match(rid):
            raise UsageError(
                f"{path}: [[withdraw]] #{number}: record_id {rid!r} is malformed "
                "(32 lowercase hex digits, as archive inspect shows them)"
            )
        withdrawals.append((rid, str(reason)))

    def resolved(value) -> Path | str | None:
        if not value:
            return None
        where = location(value)
        return where if is_url(where) else Path(os.path.normpath(base / where))

    return Collection(
        path=Path(path),
        name=collection.get("name"),
        license=collection.get("license"),
        sources=tuple(resolved(s) for s in sources),
        capture_log=resolved(collection.get("capture_log")),
        out=resolved(collection.get("out")),
        extract=collection.get("extract"),
        tier=collection.get("tier"),
        rights_holder=rights.get("holder"),
        redistribution=rights.get("redistribution"),
        outlets=_outlet_table(data, path),
        withdrawals=tuple(sorted(withdrawals)),
        trust_mtime=collection.get("trust_mtime"),
    )


def load_config(path: str | os.PathLike | None = None) -> Collection:
    """The collection settings of ``archive.toml`` at ``path`` (default: ./archive.toml when
    present, else empty), as ``archive pack`` reads them; ``UsageError`` names a wrong key.

    >>> load_config("examples/archive.toml").name  # doctest: +SKIP
    'example'
    """
    return find_collection(Path(path) if path is not None else None)


def find_collection(explicit: Path | None, cwd: Path | None = None) -> Collection:
    """``explicit`` if given, else ``./archive.toml`` if present, else an empty collection."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise UsageError(f"config {explicit} does not exist")
        return load_collection(Path(explicit))
    default = Path(cwd or Path.cwd()) / CONFIG_FILE
    return load_collection(default) if default.is_file() else Collection()


def _choice(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    value = value or default
    if value not in allowed:
        raise UsageError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def pack_settings(
    *,
    sources: list[Path],
    name: str | None,
    version: str,
    created: str | None = None,
    outlets: Path | None = None,
    extract: str | None = None,
    tier: str | None = None,
    jobs: int | None = None,
    shards: int | None = None,
    max_capture_bytes: int | None = None,
    license: str | None = None,
    relations: bool = True,
    trust_mtime: bool | None = None,
    collection: Collection | None = None,
    environ: dict | None = None,
) -> PackSettings:
    """``PackSettings`` from command-line style options (None: not given) over a collection."""
    environ = os.environ if environ is None else environ
    collection = collection or Collection()
    moment = created_time(created, environ)
    if not sources:
        raise UsageError("no source folder given (on the command line or in archive.toml)")
    options = {}
    if max_capture_bytes:
        options["max_capture_bytes"] = max_capture_bytes
    return PackSettings(
        name=name or collection.name or root_name(sources[0]),
        version=version,
        created=moment,
        extract=_choice("extract", extract or collection.extract, ("article", "none"), "article"),
        tier=_choice("tier", tier or collection.tier, ("full", "metadata-only"), "full"),
        domain_outlets=domain_outlets(outlets) if outlets else collection.outlets,
        license=license or collection.license,
        rights_holder=collection.rights_holder,
        redistribution=_choice(
            "redistribution", collection.redistribution, ("full", "metadata-only"), "full"
        ),
        withdrawals=collection.withdrawals,
        relations=relations,
        trust_mtime=bool(collection.trust_mtime if trust_mtime is None else trust_mtime),
        shards=shards,
        jobs=jobs or default_jobs(),
        **options,
    )
