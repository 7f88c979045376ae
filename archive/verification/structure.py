"""The structure and size checks: what the manifest says against the files of the release.

The manifest (digest, schema, canonical form), the signature, the parent link, safe paths,
schema copies, files derived from the manifest, every listed file present and no other file,
Parquet footers; then every file's size and every count the footers and entry files can
answer. Each ``check_*`` is registered once in ``archive.verification.checks``.
"""

from __future__ import annotations

import os
import re
import stat
from itertools import islice
from pathlib import Path

import pyarrow.parquet as pq

from archive.exporters import derived_files
from archive.format import boundedjson
from archive.format.manifest import (
    MANIFEST,
    MANIFEST_DIGEST,
    QUARANTINE_FILE,
    WITHDRAWN_FILE,
    canonical_json,
    digest_problem,
    file_sha256,
    unsafe_path,
)
from archive.format.parquetio import PARQUET_ERRORS
from archive.format.schema import published_digests, schema_problems, validator
from archive.format.signing import SIGNATURE_FILE, signature_problems
from archive.inspect import record_shards
from archive.release.plan import shard_name
from archive.verification.audit import Audit, Footer


def check_manifest_digest(audit: Audit) -> None:
    """manifest.json readable as JSON (E001) and matching manifest.json.sha256 (E002, E003)."""
    report = audit.report
    try:
        data = boundedjson.read_capped(audit.root / MANIFEST, boundedjson.MAX_MANIFEST_BYTES)
        document = boundedjson.loads(data)
    except (OSError, ValueError) as exc:
        report.add("E001", MANIFEST, f"cannot be read as JSON ({exc})")
        return
    audit.data, audit.document = data, document
    problem = digest_problem(audit.root, data)
    if problem is not None:
        report.extend([problem])


def manifest_unreadable(audit: Audit) -> str | None:
    return "manifest.json is unusable" if audit.data is None else None  # not JSON


def check_manifest_schema(audit: Audit) -> None:
    """The manifest against its schema and in canonical form (E004); usable only if the schema
    holds."""
    report, manifest = audit.report, audit.document
    errors = sorted(validator("manifest").iter_errors(manifest), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(map(str, error.absolute_path)) or "(top)"
        report.add("E004", MANIFEST, f"{where}: {error.message}")
    if errors:
        return
    audit.manifest = manifest
    if canonical_json(manifest) != audit.data:
        report.add("E004", MANIFEST, "not in canonical form (sorted keys, 2-space indent)")
    paths = [entry["path"] for entry in manifest["files"]]
    if paths != sorted(set(paths)):  # each file once, by path: a count over files is then true
        report.add("E004", MANIFEST, "files: not each listed once, sorted by path")


def unsigned(audit: Audit) -> str | None:
    signature = audit.root / SIGNATURE_FILE
    if audit.plan.key is None and not (signature.is_file() or signature.is_symlink()):
        return "the release is not signed and no key was given"
    return None


def check_signature(audit: Audit) -> None:
    root, report = audit.root, audit.report
    if not ((root / SIGNATURE_FILE).is_file() or (root / SIGNATURE_FILE).is_symlink()):
        report.add("E020", SIGNATURE_FILE, "missing: a key was given but the release is unsigned")
        return
    if (root / SIGNATURE_FILE).is_symlink():
        report.add("E019", SIGNATURE_FILE, "a symbolic link; a release holds none")
        return
    if audit.data is None:
        return  # manifest.json unreadable: reported as E001
    report.extend(signature_problems(root, audit.data, audit.plan.key))
    if audit.plan.key is None:
        report.warn("W001", SIGNATURE_FILE, "signature checked only against the key it names")


def _link_on_path(root: Path, relative: str, seen: dict | None = None) -> str | None:
    """The first part of ``relative`` below ``root`` that is a symbolic link, if any.
    ``seen`` caches what each prefix is (a manifest of a million paths in a few folders costs a
    million lstat calls, not one per part of each)."""
    seen = {} if seen is None else seen
    prefix = ""
    for part in relative.split("/"):
        prefix = f"{prefix}/{part}" if prefix else part
        if prefix not in seen:
            try:
                mode = os.lstat(os.path.join(root, prefix)).st_mode
                seen[prefix] = "link" if stat.S_ISLNK(mode) else "ok"
            except OSError:
                seen[prefix] = "missing"
        if seen[prefix] == "link":
            return prefix
        if seen[prefix] == "missing":
            return None
    return None


def check_folder_name(audit: Audit) -> None:
    """The folder is ``<name>-<version>`` of its manifest: a warning (W003) for a folder, which
    may be a renamed copy; an error (E027) in a bundle, whose folder name is what a reader takes
    for the release it holds (``example-1.1.0/`` holding 1.0.0 is a rollback)."""
    manifest = audit.manifest
    expected = f"{manifest['name']}-{manifest['version']}"
    found = audit.root.name
    if found == expected:
        return
    if audit.plan.bundled:
        message = f"the bundle's folder {found}/ holds release {expected}"
        audit.report.add("E027", MANIFEST, message, expected, found)
    else:
        message = f"the folder {found} holds release {expected} (renamed, or replaced)"
        audit.report.warn("W003", MANIFEST, message)


def check_paths(audit: Audit) -> None:
    """The listed paths that are safe to open; E019 for the others (never opened)."""
    root, manifest, report = audit.root, audit.manifest, audit.report
    paths = [entry["path"] for entry in manifest["files"]]
    paths += [entry["path"] for entry in manifest["schemas"].values()]
    for relative in dict.fromkeys(paths):
        why = unsafe_path(relative)
        link = None if why else _link_on_path(root, relative, audit.memo.setdefault("links", {}))
        if why:
            report.add("E019", relative, f"unsafe path in the manifest: {why}")
        elif link:
            report.add("E019", relative, f"{link} is a symbolic link; a release holds none")
        else:
            audit.safe.add(relative)


def no_parent(audit: Audit) -> str | None:
    entry = audit.manifest.get("parent")
    if entry is None:
        return "no parent"
    # Imported for a release with a parent only: the history and diff modules, and the pack
    # modules they import, cost a first release's verify start-up about 0.1 s of CPU.
    from archive.versions.history import parent_absent

    return parent_absent(audit.root, entry)


def check_parent_link(audit: Audit) -> None:
    """When the parent sits beside the release, its manifest must be the one recorded."""
    from archive.versions.history import check_parent

    audit.report.extend(check_parent(audit.root))


def check_schema_copies(audit: Audit) -> None:
    """Each schema copy hashes to the schema the manifest names (E016): streamed, and only when
    its size is the one the manifest lists (a file of another size is E006, never read)."""
    sizes = {entry["path"]: entry["bytes"] for entry in audit.manifest["files"]}
    for name, entry in audit.manifest["schemas"].items():
        path = audit.root / entry["path"]
        if entry["path"] not in audit.safe or not path.is_file():
            continue  # reported as unsafe or missing
        size = os.stat(path).st_size
        if sizes.get(entry["path"], size) != size or size > boundedjson.MAX_SMALL_BYTES:
            message = f"differs from the {name} schema the manifest names ({size} bytes)"
            audit.report.add("E016", entry["path"], message)
            continue
        digest = file_sha256(path)[0]
        published = published_digests().get(entry.get("$id"))
        if digest != entry["sha256"]:
            message = f"differs from the {name} schema the manifest names"
            audit.report.add("E016", entry["path"], message)
        elif published is not None and digest not in published:
            # a contract edited under a published name would pass, and the files derived
            # from it with it
            message = f"differs from the {name} schema published as {entry['$id']}"
            audit.report.add("E016", entry["path"], message)


def check_derived(audit: Audit) -> None:
    """Regenerate the files derived from the manifest and compare them byte for byte."""
    root, report = audit.root, audit.report
    try:
        derived = derived_files(root, audit.manifest, audit.data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # A hostile schema copy can break the generators: say so, never crash.
        report.add("E018", MANIFEST, f"the derived files cannot be generated ({exc!r})")
        return
    for relative, content in sorted(derived.items()):
        path = root / relative
        if _link_on_path(root, relative):
            continue  # reported by the walk as a link
        if not path.is_file():
            report.add("E005", relative, "derived from the manifest but missing")
        elif os.stat(path).st_size != len(content) or _read(path, len(content)) != content:
            report.add("E018", relative, "differs from what manifest.json derives")
    audit.derived = frozenset(derived)


def _read(path: Path, size: int) -> bytes:
    """At most ``size`` bytes of ``path`` (a file that grew since its stat is not read on)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def check_presence(audit: Audit) -> None:
    """The listed files present as regular files (E005 for the missing ones, and for a
    relations table the manifest names but does not list); E019 for anything in the release
    but a regular file or a folder."""
    root, report = audit.root, audit.report
    files, unsafe = _release_tree(audit)
    for relative, kind in unsafe:
        report.add("E019", relative, f"{kind}; a release holds only regular files")
    on_disk = set(files)
    for relative in _listed(audit):
        if relative in on_disk:
            audit.present.add(relative)
        elif not _link_on_path(root, relative, audit.memo.setdefault("links", {})):
            report.add("E005", relative, "listed in the manifest but missing")
    unlisted = _unlisted_relations(audit.manifest)
    if unlisted:
        report.add("E005", MANIFEST, unlisted)
    report.files = len(audit.present)


def _unlisted_relations(manifest: dict) -> str | None:
    """Why the relations table the manifest names, which every reader opens, is no file it
    lists (so never hashed, or not there), or None."""
    relations = manifest.get("relations")
    if not relations:
        return None
    path = relations.get("path")
    if path in {entry["path"] for entry in manifest["files"]}:
        return None
    return f"relations.path names {path!r}, a file the manifest does not list"


def check_unlisted(audit: Audit) -> None:
    """No file the manifest does not list or derive (E008)."""
    files, _ = _release_tree(audit)
    allowed = {MANIFEST, MANIFEST_DIGEST, SIGNATURE_FILE} | audit.derived | set(_listed(audit))
    for relative in files:
        if relative.endswith("/"):
            audit.report.add("E008", relative, "an empty folder: a release holds none")
        elif relative not in allowed:
            audit.report.add("E008", relative, "not listed in the manifest")


_SHARD_NAME = re.compile(r"data/records-(\d{5,12})-of-(\d{5,12})\.parquet")
_SHOWN_INDEXES = 10  # of the indexes a count misses: a forged count may be any number


def check_shard_names(audit: Audit) -> None:
    """Every file the manifest lists under ``data/`` is a record shard (E036): readers load the
    folder whole (``pq.read_table(release / "data")``, the Data Package's glob), so any other
    file there would be read as records that no check has seen. The shards are named as pack
    names them (``archive.release.plan.shard_name``), with one count (the manifest's
    ``settings.shards`` when it states one) and every index below it once."""
    report = audit.report
    named: dict[int, list[int]] = {}
    for entry in audit.manifest["files"]:
        path = entry["path"]
        if not path.startswith("data/"):
            continue
        found = _SHARD_NAME.fullmatch(path)
        if found is None or f"data/{shard_name(int(found[1]), int(found[2]))}" != path:
            report.add("E036", path, "under data/, but not a record shard")
        else:
            named.setdefault(int(found[2]), []).append(int(found[1]))
    stated = audit.manifest.get("settings", {}).get("shards")
    stated = stated if isinstance(stated, int) and not isinstance(stated, bool) else None
    counts = sorted(named) if named else ([stated] if stated is not None else [])
    if stated is not None and counts != [stated]:
        message = f"record shards are named of {counts}, but settings.shards is {stated}"
        report.add("E036", MANIFEST, message)
    elif len(counts) > 1:
        report.add("E036", MANIFEST, f"record shards are named of several counts: {counts}")
    for count in counts:
        indexes = named.get(count, [])
        held = set(indexes)
        beyond = sorted(i for i in held if i >= count)
        missing = max(0, count) - (len(held) - len(beyond))
        if missing or beyond or len(held) < len(indexes):
            gaps = (i for i in range(count) if i not in held)  # stops after the first few
            shown = list(islice(gaps, _SHOWN_INDEXES)) if missing else []
            message = (
                f"record shards of {count}: {missing} index(es) not listed "
                f"(from {shown}), {len(beyond)} beyond the count, "
                f"{len(indexes) - len(held)} listed twice"
            )
            report.add("E036", MANIFEST, message)


def _listed(audit: Audit) -> list[str]:
    return [entry["path"] for entry in audit.manifest["files"] if entry["path"] in audit.safe]


def _release_tree(audit: Audit) -> tuple[list[str], list[tuple[str, str]]]:
    if "tree" not in audit.memo:
        audit.memo["tree"] = _walk(audit.root)
    return audit.memo["tree"]


def _walk(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(regular files, [(path, why unsafe)]) below ``root``, never following a link; an empty
    folder is listed with the files (no manifest lists one: a release holds none)."""
    files, unsafe = [], []
    for folder, dirs, names in os.walk(root):
        base = Path(folder)
        if not dirs and not names and base != root:
            files.append(base.relative_to(root).as_posix() + "/")
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


def check_footers(audit: Audit) -> None:
    """Every record shard's footer: readable (E009) and with the record columns (E010)."""
    report = audit.report
    for relative in record_shards(audit.manifest):
        if relative not in audit.present:
            continue
        try:
            metadata = pq.ParquetFile(audit.root / relative).metadata
            problems = schema_problems(metadata.schema.to_arrow_schema())
        except PARQUET_ERRORS as exc:
            report.add("E009", relative, f"cannot be read as Parquet ({exc})")
            continue
        for problem in problems:
            report.add("E010", relative, problem)
        if problems:
            continue
        groups = tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups))
        size = os.stat(audit.root / relative).st_size
        stated = next(
            (e.get("rows") for e in audit.manifest["files"] if e["path"] == relative), None
        )
        why = footer_unsound(metadata, size, max(stated or 0, size))
        if why:
            report.add("E009", relative, f"the Parquet footer {why}; its data is not read")
        audit.footers[relative] = Footer(metadata.num_rows, groups, why is None)
    report.records = sum(footer.rows for footer in audit.footers.values())


def footer_unsound(metadata, size: int, most_rows: int) -> str | None:
    """Why a Parquet footer cannot describe a file of ``size`` bytes (a column chunk beyond the
    file, negative counts, more rows or values than ``most_rows``: more than the manifest
    states and than the file has bytes), or None. Read before any data, so a footer that
    declares 2^31 values in a 54 KB file costs nothing: the footer, not the manifest, would
    size what the reader allocates."""
    if metadata.num_rows > most_rows:
        return f"declares {metadata.num_rows} rows, more than the manifest or its {size} bytes"
    end = size - 8  # the footer's length and magic (pages may sit where readers expect none)
    rows = 0
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        if group.num_rows < 0:
            return f"declares {group.num_rows} rows in row group {g}"
        rows += group.num_rows
        for c in range(group.num_columns):
            chunk = group.column(c)
            if group.num_rows == 0 and chunk.num_values == 0:
                continue  # an empty shard's chunks may point nowhere: nothing is read
            start = min(
                offset
                for offset in (chunk.dictionary_page_offset, chunk.data_page_offset)
                if offset is not None
            )
            if (
                start < 4
                or chunk.total_compressed_size < 0
                or start + chunk.total_compressed_size > end
            ):
                return f"places column chunk {g}/{c} outside the file's {size} bytes"
            # Nested columns hold several values a row; RLE packs many values a byte.
            if chunk.num_values < 0 or chunk.num_values > 64 * most_rows:
                return f"declares {chunk.num_values} values in column chunk {g}/{c}"
    if rows != metadata.num_rows:
        return f"declares {metadata.num_rows} rows, its row groups {rows}"
    return None


def check_sizes(audit: Audit) -> None:
    audit.report.files = len(audit.manifest["files"])
    for entry in audit.manifest["files"]:
        if entry["path"] in audit.present:
            size = os.stat(audit.root / entry["path"]).st_size
            if size != entry["bytes"]:
                audit.report.add("E006", entry["path"], "size differs", entry["bytes"], size)


def check_counts(audit: Audit) -> None:
    """Every count the Parquet footers and the entry files answer: each file's ``rows``,
    ``records``, ``quarantined``, ``withdrawn``, ``inputs`` (records + quarantined + withdrawn
    inputs) and ``reused`` (none without a parent, never more than the records). The counts
    by field need every row: ``rows.check_field_counts``."""
    manifest, footers, report = audit.manifest, audit.footers, audit.report
    lines = {
        relative: _lines(audit.root / relative)
        for relative in (QUARANTINE_FILE, WITHDRAWN_FILE)
        if relative in audit.present and sized_as_listed(audit, relative)
    }
    for entry in manifest["files"]:
        stated, path = entry.get("rows"), entry["path"]
        found = footers[path].rows if path in footers else lines.get(path)
        if stated is not None and found is not None and stated != found:
            noun = "row" if path in footers else "entry"
            report.add("E014", path, f"{noun} count differs", stated, found)
    shards = record_shards(manifest)
    if all(s in footers for s in shards):
        report.records = sum(footers[s].rows for s in shards)
        _compare(report, manifest, "records", report.records, "the records")
    listed = {e["path"] for e in manifest["files"]}
    if WITHDRAWN_FILE in lines or WITHDRAWN_FILE not in listed:
        _compare(report, manifest, "withdrawn", lines.get(WITHDRAWN_FILE, 0), WITHDRAWN_FILE)
    _check_reused(report, manifest)
    if QUARANTINE_FILE in lines or QUARANTINE_FILE not in listed:
        # no quarantine file listed: no input was quarantined
        quarantined = lines.get(QUARANTINE_FILE, 0)
        _compare(report, manifest, "quarantined", quarantined, QUARANTINE_FILE)
        counts = manifest["counts"]
        accounted = counts.get("records", 0) + quarantined + counts.get("withdrawn_inputs", 0)
        inputs = counts.get("inputs")
        if inputs is not None and inputs != accounted:
            message = "inputs is not records + quarantined + withdrawn inputs"
            report.add("E014", MANIFEST, message, inputs, accounted)


def _compare(report, manifest: dict, key: str, found: int, source: str) -> None:
    """E014 when the manifest states ``counts.<key>`` and it is not ``found`` in ``source``."""
    stated = manifest["counts"].get(key)
    if stated is not None and stated != found:
        report.add("E014", MANIFEST, f"counts.{key} differs from {source}", stated, found)


def _check_reused(report, manifest: dict) -> None:
    """Records are reused only from a parent, and never more than there are records (which
    ones were reused only the parent's pack knew)."""
    counts = manifest["counts"]
    reused = counts.get("reused")
    if reused and manifest.get("parent") is None:
        report.add("E014", MANIFEST, "counts.reused is not 0, but the release has no parent")
    elif reused is not None and reused > counts.get("records", 0):
        message = "counts.reused is more than the records"
        report.add("E014", MANIFEST, message, f"at most {counts.get('records', 0)}", reused)


def sized_as_listed(audit: Audit, relative: str) -> bool:
    """Whether ``relative`` has the size its manifest entry gives (a file of another size is
    E006 and is not read: its size, not the manifest, would bound the reading)."""
    if "sizes" not in audit.memo:
        audit.memo["sizes"] = {e["path"]: e["bytes"] for e in audit.manifest["files"]}
    stated = audit.memo["sizes"].get(relative)
    try:
        return stated is not None and os.stat(audit.root / relative).st_size == stated
    except OSError:
        return False


def _lines(path: Path) -> int:
    """The lines of a text file, counted in fixed blocks (a file with no newline is one line)."""
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(2**20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


__all__ = ["unsafe_path"]
