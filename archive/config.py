"""Settings from the command line, the environment and files (flags > environment > file)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .errors import UsageError
from .executor import default_jobs
from .settings import PackSettings, created_time
from .sources import root_name


def domain_outlets(path: Path) -> tuple[tuple[str, str], ...]:
    """The ``[outlets]`` table of a TOML file: registrable domain -> outlet name, sorted."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"outlet table {path}: {exc}") from None
    table = data.get("outlets", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise UsageError(f"outlet table {path}: [outlets] must map domains to names")
    return tuple(sorted((domain.lower().strip("."), name) for domain, name in table.items()))


def pack_settings(
    *,
    sources: list[Path],
    name: str | None,
    version: str,
    created: str | None = None,
    outlets: Path | None = None,
    extract: str = "article",
    jobs: int | None = None,
    shards: int | None = None,
    max_capture_bytes: int | None = None,
    license: str | None = None,
    environ: dict | None = None,
) -> PackSettings:
    """``PackSettings`` from command-line style options (None: the default)."""
    environ = os.environ if environ is None else environ
    try:
        moment = created_time(created, environ)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not sources:
        raise UsageError("no source folder given")
    options = {}
    if max_capture_bytes:
        options["max_capture_bytes"] = max_capture_bytes
    return PackSettings(
        name=name or root_name(Path(sources[0])),
        version=version,
        created=moment,
        extract=extract,
        domain_outlets=domain_outlets(outlets) if outlets else (),
        license=license,
        shards=shards,
        jobs=jobs or default_jobs(),
        **options,
    )
