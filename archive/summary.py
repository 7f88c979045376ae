"""A release's summary for people: overview, coverage, furniture, relations, quarantine, versions
and integrity, as one frozen value (``archive inspect RELEASE``, ``archive report``).

Computed in one streaming pass over the record shards, a batch of a few columns at a time,
with pyarrow's compute kernels: memory is bounded by the number of distinct outlets, months,
languages, flags and methods, never by the records. Two figures read text and so are counted
over a sample, said where they are shown: the most frequent furniture lines (whole row groups
spread evenly over the release; record ids are hashes, so any id range is a random sample) and
the near-duplicate families (grouped over the relations table's ``group_id``, bounded by the
grouped relations).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from archive.errors import QUARANTINE_REASONS
from archive.format import boundedjson
from archive.format.counts import UNKNOWN_COLUMNS, is_unknown, value_counts
from archive.format.manifest import MANIFEST_DIGEST
from archive.format.parquetio import PARQUET_ERRORS, iter_batches
from archive.format.schema import schema_file
from archive.format.signing import SIGNATURE_FILE
from archive.inspect import read_manifest, record_shards, shard_batches
from archive.relations.table import relation_batches, table_path, unreadable

FURNITURE_SAMPLE = 10_000  # records whose furniture lines are counted (about)
FURNITURE_LINES = 5  # most frequent removed lines shown per outlet
FAMILIES_SHOWN = 20
OUTLETS_FURNITURE = 30  # outlets whose furniture lines are shown (the largest)

# Which flags explain an unknown field: a flag of the group on a record whose field is null.
UNKNOWN_FIELDS = {
    "outlet": ("outlet-",),
    "published_at": ("date-", "published-date-", "capture-log-date-"),
    "title": ("title-",),
    "authors": ("authors-", "byline-"),
    "language": ("language-",),
}
UNKNOWN_COUNTS = {column: count for count, column in UNKNOWN_COLUMNS.items()}
NO_FLAG = "(no flag)"
# Date flags that keep the day (only the time is dropped): they never explain a null date.
DAY_KEPT = ("date-time-without-zone", "date-zone-unknown", "date-time-ambiguous")
CHANGED_IDS = 100  # record ids of each kind of change listed from CHANGES.json
_CHANGED_LISTS = ("added", "removed", "withdrawn", "changed")


@dataclass(frozen=True)
class Count:
    """A value and how many records have it (``description`` says what a code means)."""

    value: str
    count: int
    description: str | None = None


@dataclass(frozen=True)
class Overview:
    name: str
    version: str
    license: str | None
    created: str
    generator: str
    tier: str
    parent: dict | None  # name, version, manifest_sha256
    counts: dict
    shards: int
    balanced: bool  # inputs == records + quarantined + withdrawn_inputs
    balance: str  # that sum, written out


@dataclass(frozen=True)
class Unknown:
    """Records with ``field`` unknown, and the flags on them that say why."""

    field: str
    count: int
    reasons: tuple[Count, ...]


@dataclass(frozen=True)
class Coverage:
    outlets: tuple[Count, ...]  # largest first; the unknown outlet is in ``unknown``
    months: tuple[Count, ...]  # "YYYY-MM" of published_date, in order
    undated: int
    date_range: tuple[str, str] | None  # first and last published_date
    languages: tuple[Count, ...]
    unknown: tuple[Unknown, ...]
    methods: tuple[Count, ...]  # "field: method", as provenance names them
    flags: tuple[Count, ...]


@dataclass(frozen=True)
class OutletLines:
    outlet: str
    lines: tuple[Count, ...]  # a removed line, and how many sampled records had it


@dataclass(frozen=True)
class Furniture:
    chars: tuple[Count, ...]  # characters removed per span kind, every record
    lines: tuple[OutletLines, ...]
    sampled: int  # records whose lines were counted
    records: int


@dataclass(frozen=True)
class Family:
    group_id: str
    members: int
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Relations:
    present: bool  # packed with relations on
    kinds: tuple[Count, ...]
    families: tuple[Family, ...]  # largest first, at most FAMILIES_SHOWN
    family_count: int


@dataclass(frozen=True)
class Quarantine:
    total: int
    reasons: tuple[Count, ...]
    warc_skipped: tuple[Count, ...]
    warc_digest_mismatches: int


@dataclass(frozen=True)
class Versions:
    parent: dict | None
    changes: dict | None  # CHANGES.json's counts and bump
    withdrawn: int


@dataclass(frozen=True)
class Integrity:
    manifest_sha256: str | None
    signature: dict | None  # publicKey, created, software of manifest.json.sig.json
    commands: tuple[str, ...]


@dataclass(frozen=True)
class ReleaseSummary:
    overview: Overview
    coverage: Coverage
    furniture: Furniture
    relations: Relations
    quarantine: Quarantine
    versions: Versions
    integrity: Integrity

    def as_dict(self) -> dict:
        return asdict(self)


def release_summary(release: str | Path) -> ReleaseSummary:
    """The summary of ``release``: the manifest's figures and one pass over its shards."""
    root = Path(release)
    manifest = read_manifest(root)
    shards = [root / path for path in record_shards(manifest)]
    descriptions = flag_descriptions()
    return ReleaseSummary(
        overview=overview_of(manifest, len(shards)),
        coverage=coverage_of(shards, manifest, descriptions),
        furniture=furniture_of(shards, manifest),
        relations=relations_of(root, manifest),
        quarantine=quarantine_of(manifest),
        versions=versions_of(root, manifest),
        integrity=integrity_of(root, manifest),
    )


def flag_descriptions() -> dict[str, str]:
    """Each record flag's meaning, as the record schema states it (``x-descriptions``)."""
    items = schema_file("record").document["properties"]["flags"]["items"]
    return dict(items.get("x-descriptions", {}))


def overview_of(manifest: dict, shards: int) -> Overview:
    counts = manifest["counts"]
    parent = manifest.get("parent")
    withdrawn = counts.get("withdrawn_inputs", 0)
    total = counts["records"] + counts["quarantined"] + withdrawn
    return Overview(
        name=manifest["name"],
        version=manifest["version"],
        license=(manifest.get("settings") or {}).get("license"),
        created=manifest["created"],
        generator=f"{manifest['generator']['name']} {manifest['generator']['version']}",
        tier=(manifest.get("settings") or {}).get("tier", "full"),
        parent=_parent(parent),
        counts=dict(counts),
        shards=shards,
        balanced=total == counts["inputs"],
        balance=f"{counts['inputs']} inputs {'=' if total == counts['inputs'] else '!='} "
        f"{counts['records']} records + {counts['quarantined']} quarantined + "
        f"{withdrawn} withdrawn",
    )


def _parent(parent) -> dict | None:
    if not isinstance(parent, Mapping):
        return None
    keys = ("name", "version", "manifest_sha256")
    return {key: parent.get(key) for key in keys}


# --- coverage: one pass over the shards ---------------------------------------------------


_COVERAGE_COLUMNS = [
    "outlet",
    "published_date",
    "title",
    "authors",
    "language",
    "flags",
    "provenance",
]


def coverage_of(shards: list[Path], manifest: dict, descriptions: dict[str, str]) -> Coverage:
    tally = _Tally()
    for batch in shard_batches(shards, _COVERAGE_COLUMNS):
        tally.add(batch, descriptions)
    counts = manifest["counts"]
    unknown = tuple(
        _unknown(name, counts.get(UNKNOWN_COUNTS[name], tally.unknown[name]), tally, descriptions)
        for name in UNKNOWN_FIELDS
    )
    return Coverage(
        outlets=_largest(tally.outlets),
        months=tuple(Count(month, n) for month, n in sorted(tally.months.items())),
        undated=tally.unknown["published_at"],
        date_range=(tally.first, tally.last) if tally.first else None,
        languages=_largest(tally.languages),
        unknown=unknown,
        methods=tuple(Count(m, n) for m, n in sorted(tally.methods.items())),
        flags=tuple(Count(f, n, descriptions.get(f)) for f, n in _largest_items(tally.flags)),
    )


class _Tally:
    """Running counts over batches (dicts of distinct values, never of records)."""

    def __init__(self) -> None:
        self.outlets: Counter = Counter()
        self.months: Counter = Counter()
        self.languages: Counter = Counter()
        self.methods: Counter = Counter()
        self.flags: Counter = Counter()
        self.unknown: Counter = Counter()
        self.reasons: dict[str, Counter] = {name: Counter() for name in UNKNOWN_FIELDS}
        self.first: str | None = None
        self.last: str | None = None

    def add(self, batch: pa.RecordBatch, descriptions: dict[str, str]) -> None:
        self.outlets.update(value_counts(batch.column("outlet")))
        self.languages.update(value_counts(batch.column("language")))
        self.flags.update(value_counts(pc.list_flatten(batch.column("flags"))))
        self.methods.update(_method_counts(batch.column("provenance")))
        dates = batch.column("published_date")
        months = pc.add(pc.multiply(pc.year(dates), 100), pc.month(dates))
        for key, n in value_counts(months).items():
            self.months[f"{key // 100:04d}-{key % 100:02d}"] += n
        low, high = pc.min_max(dates).values()
        if low.is_valid:
            first, last = low.as_py().isoformat(), high.as_py().isoformat()
            self.first = min(self.first or first, first)
            self.last = max(self.last or last, last)
        for name, prefixes in UNKNOWN_FIELDS.items():
            # published_date is null where published_at is, and it is the column read here.
            missing = is_unknown(batch, "published_date" if name == "published_at" else name)
            self.unknown[name] += pc.sum(missing).as_py() or 0
            self.reasons[name].update(_reason_counts(batch.column("flags"), missing, prefixes))


def _reason_counts(flags: pa.Array, missing: pa.Array, prefixes: tuple[str, ...]) -> Counter:
    """On the rows ``missing``, how many carry each flag of ``prefixes``, and how many none."""
    rows = pc.filter(flags, missing)
    flat = pc.list_flatten(rows)
    parents = pc.list_parent_indices(rows)
    keep = pc.and_(_starts_with_any(flat, prefixes), pc.invert(pc.is_in(flat, pa.array(DAY_KEPT))))
    counts = Counter(value_counts(pc.filter(flat, keep)))
    explained = len(pc.unique(pc.filter(parents, keep)))
    if len(rows) - explained:
        counts[NO_FLAG] += len(rows) - explained
    return counts


def _starts_with_any(values: pa.Array, prefixes: tuple[str, ...]) -> pa.Array:
    marks = [pc.starts_with(values, pattern=p) for p in prefixes]
    found = marks[0]
    for mark in marks[1:]:
        found = pc.or_(found, mark)
    return found


def _method_counts(provenance: pa.Array) -> dict[str, int]:
    flat = pc.list_flatten(provenance)
    if len(flat) == 0:
        return {}
    pairs = pc.binary_join_element_wise(
        pc.struct_field(flat, "field"), pc.struct_field(flat, "method"), ": "
    )
    return value_counts(pairs)


def _largest_items(counter: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _largest(counter: Mapping[str, int]) -> tuple[Count, ...]:
    return tuple(Count(value, n) for value, n in _largest_items(counter))


def _unknown(name: str, count: int, tally: _Tally, descriptions: dict[str, str]) -> Unknown:
    reasons = tuple(
        Count(flag, n, descriptions.get(flag) or _no_flag_text(name))
        for flag, n in _largest_items(tally.reasons[name])
    )
    return Unknown(field=name, count=count, reasons=reasons)


def _no_flag_text(name: str) -> str:
    return f"No flag on the record says why {name} is unknown (e.g. a metadata-only pack)."


# --- furniture ---------------------------------------------------------------------------


def sampled_groups(shards: list[Path], budget: int) -> list[tuple[Path, int]]:
    """Row groups spread evenly over the release, holding about ``budget`` rows in all."""
    groups: list[tuple[Path, int, int]] = []
    for path in shards:
        meta = pq.ParquetFile(path).metadata
        groups.extend((path, g, meta.row_group(g).num_rows) for g in range(meta.num_row_groups))
    total = sum(rows for _, _, rows in groups)
    if total <= budget:
        return [(path, g) for path, g, _ in groups]
    mean = total / max(len(groups), 1)
    wanted = max(1, round(budget / mean))
    step = len(groups) / wanted
    return [groups[int(i * step)][:2] for i in range(wanted)]


def furniture_lines(text: str, spans: list[dict]) -> set[str]:
    """The distinct non-blank lines of ``text`` inside furniture spans."""
    return {
        line.strip()
        for span in spans
        if span["kind"].startswith("furniture-")
        for line in text[span["start"] : span["end"]].split("\n")
        if line.strip()
    }


def furniture_of(shards: list[Path], manifest: dict) -> Furniture:
    coverage = manifest.get("coverage") or {}
    chars = _largest(coverage.get("furniture_chars") or {})
    counts: dict[str, Counter] = {}
    per_outlet: Counter = Counter()
    sampled = 0
    columns = ["outlet", "capture_text", "spans"]
    for path, group in sampled_groups(shards, FURNITURE_SAMPLE):
        for batch in iter_batches(path, columns, row_groups=[group]):
            sampled += batch.num_rows
            for outlet, text, spans in zip(
                *(batch.column(c).to_pylist() for c in columns), strict=True
            ):
                name = outlet or "(unknown outlet)"
                per_outlet[name] += 1
                if text is not None:
                    counts.setdefault(name, Counter()).update(furniture_lines(text, spans))
    shown = [name for name, _ in _largest_items(per_outlet)[:OUTLETS_FURNITURE]]
    lines = tuple(
        OutletLines(
            name,
            tuple(
                Count(line[:200], n) for line, n in _largest_items(counts[name])[:FURNITURE_LINES]
            ),
        )
        for name in shown
        if counts.get(name)
    )
    return Furniture(chars, lines, sampled, manifest["counts"]["records"])


# --- relations, quarantine, versions, integrity -----------------------------------------


def relations_of(root: Path, manifest: dict) -> Relations:
    entry = manifest.get("relations")
    if not entry:
        return Relations(False, (), (), 0)
    kinds = tuple(Count(k, n) for k, n in sorted((entry.get("counts") or {}).items()))
    groups, members, kinds_of = [], [], []
    path = table_path(root, entry)
    try:
        columns = ["source_id", "target_id", "kind", "group_id"]
        for batch in relation_batches(path, columns):
            grouped = pc.filter(batch, pc.is_valid(batch.column("group_id")))
            for side in ("source_id", "target_id"):
                groups.append(grouped.column("group_id"))
                members.append(grouped.column(side))
                kinds_of.append(grouped.column("kind"))
    except PARQUET_ERRORS as exc:
        raise unreadable(path, exc) from None
    if not groups:
        return Relations(True, kinds, (), 0)
    table = pa.table(
        {
            "group_id": pa.concat_arrays(groups),
            "member": pa.concat_arrays(members),
            "kind": pa.concat_arrays(kinds_of),
        }
    )
    families = table.group_by("group_id").aggregate(
        [("member", "count_distinct"), ("kind", "distinct")]
    )
    rows = families.to_pylist()
    ordered = sorted(rows, key=lambda r: (-r["member_count_distinct"], r["group_id"]))
    shown = tuple(
        Family(r["group_id"], r["member_count_distinct"], tuple(sorted(r["kind_distinct"])))
        for r in ordered[:FAMILIES_SHOWN]
    )
    return Relations(True, kinds, shown, len(rows))


def quarantine_of(manifest: dict) -> Quarantine:
    reasons = manifest.get("quarantine_reasons") or {}
    skipped = manifest.get("warc_records_skipped") or {}
    return Quarantine(
        total=manifest["counts"]["quarantined"],
        reasons=tuple(Count(r, n, QUARANTINE_REASONS.get(r)) for r, n in _largest_items(reasons)),
        warc_skipped=_largest(skipped),
        warc_digest_mismatches=len(manifest.get("warc_digest_mismatches") or ()),
    )


def _record_ids(items: list) -> list[str]:
    """The ids of a CHANGES.json list (the list of withdrawals holds tombstones, not ids);
    what is no id (a file edited since its pack: verify says so) is left out."""
    ids = (item.get("record_id") if isinstance(item, dict) else item for item in items)
    return [rid for rid in ids if isinstance(rid, str)]


def versions_of(root: Path, manifest: dict) -> Versions:
    from archive.versions.diff import CHANGES_FILE, readable_changes

    changes = None
    if (root / CHANGES_FILE).is_file():
        changes = readable_changes(root / CHANGES_FILE, _CHANGED_LISTS, CHANGED_IDS)
        if "error" not in changes:
            ids = {k: _record_ids(changes.pop(k)) for k in _CHANGED_LISTS}
            changes = {"counts": changes["counts"], "bump": changes["bump"], "ids": ids}
    return Versions(
        parent=_parent(manifest.get("parent")),
        changes=changes,
        withdrawn=manifest["counts"].get("withdrawn", 0),
    )


def integrity_of(root: Path, manifest: dict) -> Integrity:
    digest = None
    if (root / MANIFEST_DIGEST).is_file():
        digest = (root / MANIFEST_DIGEST).read_text(encoding="utf-8", errors="replace").split()[0:1]
        digest = digest[0] if digest else None
    signature = None
    if (root / SIGNATURE_FILE).is_file():
        try:
            signed = boundedjson.load(root / SIGNATURE_FILE).get("signedData") or {}
            signature = {k: signed.get(k) for k in ("publicKey", "created", "software")}
        except (OSError, ValueError, AttributeError):
            signature = {"error": "unreadable: run archive verify"}
    name = f"{manifest['name']}-{manifest['version']}"
    commands = (
        f"archive verify {name}",
        f"cd {name} && sha256sum -c {MANIFEST_DIGEST}",
    ) + ((f"archive verify {name} --key PUBLISHER.pub",) if signature else ())
    return Integrity(digest, signature, commands)


# --- text ----------------------------------------------------------------------------------


def summary_lines(summary: ReleaseSummary) -> list[str]:
    """The overview and coverage, as lines a person reads."""
    o, c = summary.overview, summary.coverage
    counts = o.counts
    lines = [
        f"{o.name} {o.version} (created {o.created}, {o.generator})",
        f"license: {o.license or 'unknown (none recorded)'}; tier: {o.tier}; shards: {o.shards}",
        "parent: "
        + (f"{o.parent['name']} {o.parent['version']}" if o.parent else "none (a first version)"),
        f"inputs: {o.balance} ({'checked' if o.balanced else 'DOES NOT ADD UP'})",
        f"records: {counts['records']} ({counts.get('reused', 0)} reused from the parent, "
        f"{counts.get('duplicates', 0)} duplicates)",
        "dates: "
        + (f"{c.date_range[0]} to {c.date_range[1]}" if c.date_range else "none known")
        + f"; {c.undated} undated",
        "languages: " + (_pairs(c.languages) or "none known"),
        f"outlets ({len(c.outlets)}): "
        + (_pairs(c.outlets[:10]) or "none known")
        + (f", ... {len(c.outlets) - 10} more" if len(c.outlets) > 10 else ""),
        _per_month(c.months),
        "unknown:",
    ]
    for unknown in c.unknown:
        lines.append(f"  {unknown.field}: {unknown.count}")
        lines.extend(f"    {r.value} {r.count}: {r.description}" for r in unknown.reasons)
    lines.append("how fields were obtained:")
    lines.extend(f"  {m.value} {m.count}" for m in c.methods)
    q = summary.quarantine
    if q.total:
        lines.append(f"quarantined: {q.total}: " + _pairs(q.reasons))
    if q.warc_skipped:
        lines.append("WARC records skipped: " + _pairs(q.warc_skipped))
    r = summary.relations
    if r.present:
        lines.append(
            "relations: " + (_pairs(r.kinds) or "none found") + f"; {r.family_count} families"
        )
    return lines


def _per_month(months: tuple[Count, ...]) -> str:
    """Records per month, or per year when there are more than 24 months."""
    if len(months) <= 24:
        return "records per month: " + (_pairs(months) or "none dated")
    years: Counter = Counter()
    for month in months:
        years[month.value[:4]] += month.count
    return "records per year: " + _pairs(Count(y, n) for y, n in sorted(years.items()))


def _pairs(counts) -> str:
    return ", ".join(f"{c.value} {c.count}" for c in counts)


def summary_json(summary: ReleaseSummary) -> str:
    return json.dumps(summary.as_dict(), ensure_ascii=False, sort_keys=True, indent=2)
