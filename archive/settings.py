"""Settings that shape a release. Equal inputs and equal settings give byte-identical releases."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

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
    withdrawals: tuple[tuple[str, str], ...] = ()
    jobs: int = 1
    unit_files: int = 2000
    unit_bytes: int = 16 * 1024 * 1024

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


def created_time(value: str | None, environ: dict) -> datetime:
    """The release time: an RFC 3339 ``value``, else ``SOURCE_DATE_EPOCH``, else now (UTC)."""
    if value:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(f"--created {value!r} needs a time zone (e.g. 'Z')")
    elif environ.get("SOURCE_DATE_EPOCH"):
        moment = datetime.fromtimestamp(int(environ["SOURCE_DATE_EPOCH"]), UTC)
    else:
        moment = datetime.now(UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
