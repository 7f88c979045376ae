"""Settings that shape a release. Equal inputs and equal settings give byte-identical releases."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from archive.errors import UsageError
from archive.format import boundedjson

DEFAULT_MAX_CAPTURE_BYTES = 256 * 1024 * 1024
DEFAULT_SHARD_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class PackSettings:
    """What a pack is told, beyond its inputs.

    ``created`` is the release time written into the manifest (UTC, whole seconds): give it (or
    ``SOURCE_DATE_EPOCH``) for reproducible releases. ``extract`` is ``"article"`` (derive the
    article body and its metadata) or ``"none"`` (the body is the whole capture; metadata only from
    the capture log and the URL). ``shard_bytes`` is how many input bytes go to one Parquet shard;
    ``shards`` fixes the count instead. ``jobs`` never changes the output. ``tier`` is ``"full"``
    or ``"metadata-only"`` (a dehydrated release: every hash and capture field, no text).
    ``withdrawals`` are ``(record_id, reason)`` pairs to withdraw in this version.
    ``relations`` finds syndicated copies, shared quotations and spun rewrites across the
    release (``archive.relations``, default thresholds) and writes them to ``relations/``.
    ``trust_mtime`` (opt-in) lets a re-pack take a capture as unchanged, without reading it,
    when its size and modification time are those the parent's pack recorded; it is recorded
    in the manifest's settings when on (and absent when off: it never changes a record).

    Values are checked when made, before anything is written (a bad name or version would use
    up a release that then fails its own ``verify``): ``UsageError`` names the field. ``created``
    may be an RFC 3339 string or an aware datetime; ``domain_outlets`` and ``withdrawals`` may be
    dicts.

    >>> PackSettings(name="news", version="v2", created="2026-01-01T00:00:00Z")
    Traceback (most recent call last):
    archive.errors.UsageError: version 'v2' is not a semantic version (MAJOR.MINOR.PATCH, ...)
    >>> PackSettings(name="news", version="1.0.0", created="2026-01-01T01:00:00+01:00").created
    datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """

    name: str
    version: str
    created: datetime
    extract: str = "article"
    domain_outlets: tuple[tuple[str, str], ...] = ()
    rights_holder: str | None = None
    redistribution: str = "full"
    license: str | None = None
    max_capture_bytes: int = DEFAULT_MAX_CAPTURE_BYTES
    shard_bytes: int = DEFAULT_SHARD_BYTES
    shards: int | None = None
    learn_furniture: bool = True
    tier: str = "full"
    relations: bool = True
    trust_mtime: bool = False
    withdrawals: tuple[tuple[str, str], ...] = ()
    jobs: int = 1
    unit_files: int = 2000
    unit_bytes: int = 16 * 1024 * 1024

    def __post_init__(self) -> None:
        _check_release_name(self.name)
        _check_release_version(self.version)
        object.__setattr__(self, "created", _utc_seconds(self.created, "created"))
        object.__setattr__(self, "domain_outlets", _pairs(self.domain_outlets, "domain_outlets"))
        object.__setattr__(self, "withdrawals", _pairs(self.withdrawals, "withdrawals"))
        for rid, reason in self.withdrawals:
            _check_reason(rid, reason)
        for field, allowed in _CHOICES.items():
            if getattr(self, field) not in allowed:
                raise UsageError(
                    f"{field} must be one of {', '.join(allowed)}, not {getattr(self, field)!r}"
                )

    def output_settings(self) -> dict:
        """The settings recorded in the manifest: those that can change the output bytes."""
        data = asdict(self)
        for key in (
            "name",
            "version",
            "created",
            "jobs",
            "unit_files",
            "unit_bytes",
            "withdrawals",
        ):
            data.pop(key)
        data["domain_outlets"] = dict(self.domain_outlets)
        if not self.trust_mtime:  # recorded only when used: releases without it keep their bytes
            data.pop("trust_mtime")
        return data

    def derivation_settings(self) -> dict:
        """The settings a single record's derivation depends on."""
        return {
            "extract": self.extract,
            "domain_outlets": dict(self.domain_outlets),
            "rights_holder": self.rights_holder,
            "redistribution": self.redistribution,
            "max_capture_bytes": self.max_capture_bytes,
            "learn_furniture": self.learn_furniture,
        }


# The manifest schema's patterns (schemas/manifest.schema.json): a name is one path component.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
VERSION_PATTERN = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
_CHOICES = {
    "extract": ("article", "none"),
    "tier": ("full", "metadata-only"),
    "redistribution": ("full", "metadata-only"),
}


def _check_release_name(name: object) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or len(name) > 200:
        raise UsageError(
            f"name {name!r} is not a release name (letters, digits, '.', '_' or '-', starting "
            "with a letter or digit)"
        )


def _check_release_version(version: object) -> None:
    if not isinstance(version, str) or not VERSION_PATTERN.fullmatch(version):
        raise UsageError(
            f"version {version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        )
    core, dash, pre = version.partition("+")[0].partition("-")
    if dash and any(
        not part or (part.isdigit() and part != str(int(part))) for part in pre.split(".")
    ):
        # SemVer 2.0.0, item 9: rc.01 and rc.1 would be one version, ordered by neither
        raise UsageError(
            f"version {version!r}: a pre-release identifier is empty or a number with a leading "
            "zero (semantic versions forbid both)"
        )


def _utc_seconds(value: object, field: str) -> datetime:
    if isinstance(value, str):
        value = parse_rfc3339(value, field)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise UsageError(f"{field} must be an RFC 3339 time with a zone or an aware datetime")
    return value.astimezone(UTC).replace(microsecond=0)


def _pairs(value: object, field: str) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = tuple((str(key), str(item)) for key, item in items)
    except (TypeError, ValueError):
        raise UsageError(f"{field} must be a mapping or (key, value) pairs") from None
    return pairs


def _check_reason(rid: str, reason: str) -> None:
    """A withdrawal's reason as its tombstone holds it: some text, in UTF-8, its JSON within
    the bound that keeps a tombstone line within what verify reads
    (``boundedjson.MAX_TOMBSTONE_LINE``)."""
    if not reason.strip():
        raise UsageError(f"withdrawal of {rid}: the reason is empty")
    try:
        size = len(json.dumps(reason, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:
        raise UsageError(f"withdrawal of {rid}: the reason is not UTF-8 text") from None
    if size > boundedjson.MAX_REASON_BYTES:
        raise UsageError(
            f"withdrawal of {rid}: the reason is {size:,} bytes as JSON; at most "
            f"{boundedjson.MAX_REASON_BYTES:,}"
        )


def parse_rfc3339(value: str, option: str) -> datetime:
    """``value`` as an aware datetime; ``UsageError`` naming ``option`` and the form expected."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UsageError(
            f"{option} {value!r} is not an RFC 3339 time with a zone (e.g. 2026-01-01T00:00:00Z)"
        )
    return moment


def created_time(value: str | None, environ: dict, option: str = "--created") -> datetime:
    """The release time: an RFC 3339 ``value``, else ``SOURCE_DATE_EPOCH``, else now (UTC)."""
    if value:
        moment = parse_rfc3339(value, option)
    elif environ.get("SOURCE_DATE_EPOCH"):
        epoch = environ["SOURCE_DATE_EPOCH"]
        if not (epoch.isascii() and epoch.isdigit()):
            raise UsageError(f"SOURCE_DATE_EPOCH {epoch!r} is not a whole number of seconds")
        moment = datetime.fromtimestamp(int(epoch), UTC)
    else:
        moment = datetime.now(UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
