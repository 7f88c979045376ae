"""``pack``: captures in, a complete release out, or nothing at all.

The release is built in a hidden folder beside its destination (:mod:`archive.release.partials`,
laid out by :class:`~archive.release.workdir.WorkDir`) and renamed into place only when every
file and the manifest are written, so a release appears whole or not at all. The stages:

walk (:mod:`archive.release.plan`) -> extract units -> gather shards -> learn furniture ->
finalize shards -> link duplicates (:mod:`archive.release.stages`) -> relations
(:mod:`archive.release.relation_stages`) -> write shards -> quarantine, tombstones, schemas,
changes, manifest (:mod:`archive.release.assemble`) -> rename, and keep the pack cache
(:mod:`archive.release.cache`). For a remote ``out`` the tasks' files are beside the destination
in its bucket, and the release is assembled locally, then uploaded.

Each stage is reported to ``progress`` as ``(stage, done, total)``, from ``(stage, 0, total)``
on; the last are ``("assemble", 0..2, 2)`` (the driver's files, the manifest, the release whole
in its hidden folder) and ``("publish", 0..1, 1)`` (before and after the rename or upload).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path

from archive.capture import storage
from archive.capture.locations import location
from archive.capture.sources import check_root_names
from archive.capture.storage import RemotePath
from archive.errors import ReleaseExistsError, UsageError
from archive.format.manifest import MANIFEST, write_manifest
from archive.release.assemble import (
    new_tombstones,
    release_manifest,
    write_changes,
    write_quarantine,
    write_schemas,
)
from archive.release.cache import indexed_log, keep_cache, write_cache
from archive.release.context import pack_context
from archive.release.parent import (
    Parent,
    carried_tombstones,
    default_parent,
    open_parent,
    release_folders,
    write_tombstones,
)
from archive.release.partials import remove_stale_partials
from archive.release.plan import walk_plan
from archive.release.stages import (
    PackContext,
    duplicate_links,
    extract_unit,
    finalize_shard,
    gather_groups,
    gather_shards,
    learned_furniture,
    spans_counted,
    write_quarantine_fragment,
    write_shard,
)
from archive.release.workdir import RELATIONS_FILE, WorkDir, remove_folders
from archive.runtime.executors import executor_for
from archive.settings import PackSettings

Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class PackResult:
    """A written release: where it is, its manifest, the errors met on the way (bad capture-log
    lines: the release is written, but they need fixing) and notes (the parent used, version
    advice)."""

    path: Path
    manifest: dict
    warnings: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)


def release_path(out: Path, name: str, version: str) -> Path:
    return Path(out) / f"{name}-{version}"


def pack(
    sources: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    settings: PackSettings,
    *,
    capture_log: str | os.PathLike | None = None,
    parent: str | os.PathLike | None = "auto",
    progress: Progress | None = None,
    executor: str = "local",
    address: str | None = None,
    unread: Sequence[str | os.PathLike] = (),
) -> PackResult:
    """Pack the captures under ``sources`` into the release ``<out>/<name>-<version>``.

    Sources and ``out`` may be URLs (``s3://bucket/captures``; see :mod:`archive.capture.storage`):
    remote captures are read by the workers that pack them, and a release for a remote
    ``out`` is built on local disk and uploaded whole (its parent, if any, downloaded first).

    ``parent`` is the release this one follows (its records are reused where nothing they were
    derived from changed, and it is linked by its manifest digest); ``"auto"`` takes the latest
    earlier version of the same name in ``out``; ``None`` starts a new history.
    ``executor`` runs the tasks: ``"local"`` (``settings.jobs`` processes) or ``"ray"`` (the Ray
    cluster at ``address``, else a Ray started here); it never changes the output.
    ``progress(stage, done, total)`` hears of each stage as it goes (see the module's notes).
    A local ``out`` inside a source folder is not read (its releases, pack cache and partial
    folders are no captures), nor is any folder of ``unread`` (a dry run's real ``out``); an
    ``out`` that is a source folder is a ``UsageError``.

    >>> from datetime import datetime, timezone
    >>> settings = PackSettings("example", "1.0.0", datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> result = pack(["examples/captures"], "dist", settings)  # doctest: +SKIP
    >>> result.manifest["counts"]["records"]  # doctest: +SKIP
    15
    """
    out = location(out)
    options = dict(capture_log=capture_log, progress=progress, executor=executor, address=address)
    options["unread"] = unread
    progress = progress or _silent
    # Absolute paths: workers (local processes or Ray nodes) need not share our folder.
    sources = [location(s) for s in sources]
    roots = [s if storage.is_url(s) else Path(os.path.abspath(s)) for s in sources]
    for root in roots:
        if not (storage.is_folder(root) if storage.is_url(root) else root.is_dir()):
            raise UsageError(f"source {root} is not a folder")
    if not roots:
        raise UsageError("no source folder given")
    check_root_names(roots)
    outputs = [*unread, *([] if storage.is_url(out) else [out])]
    left_out, notes = _outputs_in_sources([r for r in roots if not storage.is_url(r)], outputs)
    runner = executor_for(executor, settings.jobs, address)
    if parent not in (None, "auto"):
        parent = location(parent)
    if storage.is_url(out):
        return _pack_to_url(roots, out, settings, parent, capture_log, progress, runner, left_out)
    check_output_folder(Path(out))
    destination = release_path(Path(out), settings.name, settings.version)
    if destination.exists():
        raise ReleaseExistsError(
            f"{destination} already exists; releases are immutable: choose a new --version"
        )
    if storage.is_url(parent):
        # checked all it could first: the download may be a whole release
        with tempfile.TemporaryDirectory(prefix="archive-parent-") as local:
            copy = Path(local) / storage.name_of(parent)
            storage.download(parent, copy)
            return pack(sources, out, settings, parent=copy, **options)
    Path(out).mkdir(parents=True, exist_ok=True)
    if parent == "auto":
        folders = release_folders(Path(out), settings.name)
        parent, note = default_parent(folders, settings, out, Path(out).joinpath)
        notes += [note] if note else []
    lineage = open_parent(Path(os.path.abspath(parent))) if parent is not None else None
    remove_stale_partials(Path(out), destination.name)
    workdir = WorkDir.local(Path(os.path.abspath(out)), destination.name)
    if workdir.building.exists():
        shutil.rmtree(workdir.building)
    try:
        manifest, warnings, advice = _build(
            roots, workdir, settings, capture_log, lineage, progress, runner, unread=left_out
        )
        notes += advice
        progress("publish", 0, 1)
        try:
            os.rename(workdir.release(), destination)
        except OSError as exc:
            raise ReleaseExistsError(
                f"{destination} appeared while packing ({exc.strerror})"
            ) from None
        progress("publish", 1, 1)
        keep_cache(workdir.cache(), destination)
    finally:
        shutil.rmtree(workdir.building, ignore_errors=True)
    return PackResult(destination, manifest, tuple(warnings), tuple(notes))


def _pack_to_url(
    roots,
    out: str,
    settings: PackSettings,
    parent,
    capture_log,
    progress: Progress,
    runner,
    unread: frozenset[str],
) -> PackResult:
    """``pack`` into a remote folder. The tasks' work files and shards go beside the
    destination (``<out>/.<release>.partial-<host>-<pid>-<token>/``), where every worker reaches
    without a shared disk; the driver then copies the shards into a local build of the release,
    writes the files it owns (manifest, quarantine, relations, ...) and uploads it, the
    manifest last. A remote parent is downloaded for the driver, and read by URL by the
    workers."""
    name = f"{settings.name}-{settings.version}"
    destination = storage.join(out, name)
    if storage.is_release(destination):
        raise ReleaseExistsError(
            f"{destination} already exists; releases are immutable: choose a new --version"
        )
    notes = []
    if parent == "auto":
        folders = storage.releases_in(out, settings.name)
        parent, note = default_parent(folders, settings, out, partial(storage.join, out))
        notes += [note] if note else []
    remove_stale_partials(RemotePath(out), name)
    with tempfile.TemporaryDirectory(prefix="archive-pack-") as local:
        workdir = WorkDir.remote(Path(local), out, name)
        try:
            lineage, parent_at = None, None
            if storage.is_url(parent):
                copy = workdir.parent_download(storage.name_of(parent))
                storage.download(parent, copy)
                lineage, parent_at = open_parent(copy), RemotePath(parent)
            elif parent is not None:
                lineage = open_parent(Path(os.path.abspath(parent)))
            manifest, warnings, advice = _build(
                roots,
                workdir,
                settings,
                capture_log,
                lineage,
                progress,
                runner,
                parent_at=parent_at,
                unread=unread,
            )
            progress("publish", 0, 1)
            storage.upload_release(workdir.release(), destination)
            progress("publish", 1, 1)
        finally:
            with suppress(OSError):  # never in place of the pack's own error
                workdir.tasks.root.remove_tree()
    return PackResult(destination, manifest, tuple(warnings), (*notes, *advice))


def check_output_folder(out: Path) -> None:
    """``UsageError`` when ``out`` cannot hold releases: a file, or a release itself (the new
    release and the pack cache would become unlisted files of it)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"the output folder {out} is a file")
    if (out / MANIFEST).exists():
        raise UsageError(f"the output folder {out} is a release; give the folder that holds it")


def _outputs_in_sources(roots: list[Path], outputs: list) -> tuple[frozenset[str], list[str]]:
    """The real paths of the ``outputs`` folders that lie inside a local source folder, for
    the walk to leave out, with a note for each; ``UsageError`` for one that is a source."""
    found, notes = set(), []
    for folder in outputs:
        real = os.path.realpath(folder)
        for root in roots:
            real_root = os.path.realpath(root)
            if real == real_root:
                raise UsageError(
                    f"the output folder {folder} is the source folder {root}: its releases would "
                    "be read as captures; give another --out"
                )
            if real.startswith(real_root.rstrip(os.sep) + os.sep):
                found.add(real)
                notes.append(f"{folder}, the output folder, is inside the source {root}: not read")
    return frozenset(found), notes


def _silent(stage: str, done: int, total: int | None) -> None:
    pass


def _build(
    roots,
    workdir: WorkDir,
    settings: PackSettings,
    capture_log,
    lineage: Parent | None,
    progress: Progress,
    runner,
    *,
    parent_at: RemotePath | None = None,
    unread: frozenset[str] = frozenset(),
) -> tuple[dict, list[str], list[str]]:
    """Build the release in ``workdir.release()``; return its manifest, warnings and notes."""
    for folder in (workdir.scratch(), workdir.release_shards(), workdir.release_schemas()):
        folder.mkdir(parents=True)
    log = None
    if capture_log:
        keep = None if workdir.is_remote else workdir.cache()  # a cache beside local releases
        parent = lineage.path if lineage is not None else None
        log = indexed_log(Path(capture_log).absolute(), workdir.log_index(), parent, keep)
    warnings = [str(p) for p in (log.problems if log else [])]
    notes: list[str] = []
    carried = carried_tombstones(lineage.path) if lineage else []
    withdrawn = frozenset(rid for rid, _ in settings.withdrawals) | {
        t["record_id"] for t in carried
    }

    # Entered before the walk: the workers' fork server imports their modules meanwhile.
    with runner as executor:
        plan = walk_plan(roots, workdir.plan(), settings, progress, unread)
        if plan.skipped:
            write_quarantine_fragment(workdir.tasks.walk_quarantine(), list(plan.skipped))
        ctx = pack_context(settings, plan.shards, workdir, log, lineage, parent_at, withdrawn)
        extracted = executor.map(extract_unit, plan.units(), ctx)
        files = plan.unit_files
        total = sum(files)
        units = list(_run(extracted, "extract", total, progress, lambda u: files[u.index]))
        units = spans_counted(units, ctx)  # spans a split point inside a record made count once
        executor.fresh_workers()  # the shard stages need none of the extraction's state
        shards = range(plan.shards)
        workers = getattr(executor, "jobs", 1)
        groups = gather_groups(plan.shards, len(ctx.work.fragments()), workers)
        gathered = executor.map(gather_shards, groups, ctx)
        # each task: (its shards, the reused rows they dropped); progress counts shards
        done = list(_run(gathered, "gather", plan.shards, progress, itemgetter(0)))
        gave_way = sum(dropped for _, dropped in done)
        # Removed by the driver once every task of the stage has returned, never by a task: a
        # task run again (Ray retries a lost worker's) must find its inputs.
        remove_folders(workdir.tasks.read_by_gathering())
        learned = learned_furniture(ctx)
        list(
            _run(
                executor.map(finalize_shard, shards, ctx, learned),
                "finalize",
                plan.shards,
                progress,
            )
        )
        remove_folders(workdir.tasks.read_by_finalizing())
        duplicates = duplicate_links(ctx)
        parent = lineage.path if lineage is not None else None
        relations = (
            _relations(ctx, workdir, executor, progress, parent) if settings.relations else None
        )
        written = list(_run(executor.map(write_shard, shards, ctx), "write", plan.shards, progress))
        if workdir.is_remote:
            storage.download(workdir.tasks.shards().url, workdir.release_shards())
        progress("assemble", 0, 2)
        quarantine = write_quarantine(workdir)
        tombstones = carried + new_tombstones(workdir, lineage, settings, warnings)
        if tombstones:
            write_tombstones(workdir.release(), tombstones)
        write_schemas(workdir)
        if lineage is not None:
            # the shards downloaded from a bucket are on this machine only: diffed here
            differ = None if workdir.is_remote else executor
            notes += write_changes(lineage, workdir, settings, plan, differ)
    progress("assemble", 1, 2)
    manifest = release_manifest(
        workdir,
        settings,
        plan,
        log,
        units,
        gave_way,
        written,
        quarantine,
        duplicates,
        tombstones,
        lineage,
        relations,
    )
    digest = write_manifest(workdir.release(), manifest)
    if not workdir.is_remote:  # the cache lives beside a local release only
        write_cache(workdir, learned, digest)
    progress("assemble", 2, 2)
    return manifest, warnings, notes


def _relations(
    ctx: PackContext, workdir: WorkDir, executor, progress: Progress, parent: Path | None = None
) -> dict:
    """Find relations across the finalized records as executor tasks (see
    :mod:`archive.release.relation_stages`); write ``relations/relations.parquet`` and the flags
    they raise; return the manifest's summary (counts per kind, settings, the finder's counts).
    Bodies the ``parent`` release's pack signed, and pairs it confirmed, are taken from its
    cache (local packs only)."""
    from archive.relations import RelationSettings
    from archive.release.confirmation_cache import keep_confirmations, parent_confirmations
    from archive.release.relation_stages import (
        KEY_KINDS,
        body_families,
        candidate_batches,
        confirm_batch,
        index_shard,
        pair_part,
        pairing_parts,
        pairing_parts_of,
        sign_shard,
        write_relations,
    )
    from archive.release.signature_cache import keep_signatures, parent_signatures

    settings = RelationSettings()
    cached = None if workdir.is_remote or parent is None else parent_signatures(parent, settings)
    confirmed = (
        None if workdir.is_remote or parent is None else parent_confirmations(parent, settings)
    )
    stats: Counter = Counter()
    shards = range(ctx.shards)
    indexed = executor.map(index_shard, shards, ctx)
    stats["records"] = sum(_run(indexed, "relations-index", ctx.shards, progress))
    body_families(ctx)
    parts = pairing_parts(ctx.shards)
    signed = sorted(
        _run(
            executor.map(sign_shard, shards, ctx, settings, parts, cached),
            "relations-sign",
            ctx.shards,
            progress,
        ),
        key=lambda s: s.shard,
    )
    keep_signatures(workdir, ctx.shards, settings)
    bodies = [s.bodies for s in signed]
    paired = executor.map(pair_part, pairing_parts_of(signed, parts), ctx, bodies, settings)
    for kind, skipped in _run(paired, "relations-pair", len(KEY_KINDS) * parts, progress):
        stats[f"skipped-buckets:{KEY_KINDS[kind]}"] += skipped
    batches = candidate_batches(ctx, parts, settings, stats)
    outcomes = executor.map(confirm_batch, batches, ctx, bodies, settings, confirmed)
    path = workdir.relations_file()
    path.parent.mkdir()
    stated = _run(outcomes, "relations-confirm", None, progress)
    kinds = write_relations(ctx, path, stated, settings, stats)
    keep_confirmations(workdir, settings)
    stats.update({f"relations:{kind}": n for kind, n in kinds.items()})
    return {
        "path": RELATIONS_FILE,
        "counts": dict(sorted(kinds.items())),
        "settings": json.loads(settings.params_json()),
        "stats": dict(sorted(stats.items())),
    }


def _run(
    results: Iterator,
    stage: str,
    total: int | None,
    progress: Progress,
    weight: Callable[[object], int] = lambda result: 1,
) -> Iterator:
    """``results`` as they come, each reported to ``progress`` as ``weight(result)`` steps of
    ``stage`` (the extraction counts documents, whatever order its units end in)."""
    done = 0
    progress(stage, done, total)
    for result in results:
        done += weight(result)
        progress(stage, done, total)
        yield result
