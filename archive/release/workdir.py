"""The layout of a pack's work folder: every file its stages hand each other, by what it holds.

A pack builds in one folder, ``building``, on the driver's disk: the release itself
(``release/``), the driver's own files (``work/``: the plan, the SQLite indexes it builds) and
the cache for the next version (``cache/``). The tasks' files (:class:`TaskDir`) go to the same
folder for a local ``out``; for a remote one, to a folder beside the destination in its bucket,
which every worker reaches without a shared disk. There, ``work/`` holds what the stages hand
each other and ``release/data/`` the shards the tasks write.

Stages ask for a file by what it holds (``ctx.work.fragment(unit, part)``,
``workdir.plan()``); none spells a folder name, so the layout lives here alone.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from archive.capture import storage
from archive.capture.storage import RemotePath
from archive.format.manifest import CHANGES_FILE, QUARANTINE_FILE
from archive.release.partials import partial_name
from archive.release.plan import shard_name

SHARDS_FOLDER = "data"
SCHEMAS_FOLDER = "schemas"
RELATIONS_FILE = "relations/relations.parquet"
CACHE_FOLDER = ".archive-cache"


def release_shard(shard: int, shards: int) -> str:
    """The path of shard ``shard`` of ``shards`` in the release."""
    return f"{SHARDS_FOLDER}/{shard_name(shard, shards)}"


def remove_folders(folders: list[Path | RemotePath]) -> None:
    """Remove the work folders a finished stage leaves that no later stage reads: uncompressed
    Arrow, each about the size of the corpus's text (at 1,000,000 captures the fragments were
    9.9 GB and the gathered rows 7.5 GB, beside the final rows' 7.5)."""
    for folder in folders:
        if isinstance(folder, RemotePath):
            folder.remove_tree()
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _arrow_files(folder: Path | RemotePath) -> list[Path | RemotePath]:
    """The work files in ``folder``, sorted by name; none when it was never written."""
    return sorted(folder.glob("*.arrow")) if folder.is_dir() else []


@dataclass(frozen=True)
class CacheDir:
    """A pack cache: the furniture contributions of a release's records and the furniture they
    taught, the capture log's index, each distinct body's signing and each candidate pair's
    confirmation, for the next version's pack. Not part of the release."""

    folder: Path

    @classmethod
    def beside(cls, release: Path) -> CacheDir:
        """The cache of ``release``: ``.archive-cache/<release>`` beside it."""
        return cls(release.parent / CACHE_FOLDER / release.name)

    def furniture(self) -> Path:
        return self.folder / "furniture.arrow"

    def learned(self) -> Path:
        return self.folder / "learned.json"

    def log_index(self) -> Path:
        """The pack's capture-log index, as built."""
        return self.folder / "log.sqlite"

    def log_meta(self) -> Path:
        """What the log index was built from (the log's name, digest, length and count of
        lines, the code that read it) and what the build found (its size, its bad lines)."""
        return self.folder / "log.json"

    def seen(self) -> Path:
        """Each text or HTML record's input as the pack read it: size, modification time,
        SHA-256 and kind (for ``trust_mtime``)."""
        return self.folder / "seen.arrow"

    def seen_meta(self) -> Path:
        """The release ``seen`` belongs to (its manifest digest)."""
        return self.folder / "seen.json"

    def signatures(self) -> Path:
        """The folder of each shard's signed bodies (see :mod:`archive.release.signature_cache`)."""
        return self.folder / "signatures"

    def signatures_meta(self) -> Path:
        """What the signed bodies are a function of, and each file's size and SHA-256."""
        return self.folder / "signatures.json"

    def confirmations(self) -> Path:
        """The folder of the confirmed pairs' outcomes, in parts by key (see
        :mod:`archive.release.confirmation_cache`)."""
        return self.folder / "confirmations"

    def confirmations_meta(self) -> Path:
        """What the kept outcomes are a function of, and each part's size and SHA-256."""
        return self.folder / "confirmations.json"


@dataclass(frozen=True)
class TaskDir:
    """The tasks' part of a work folder: the files the stages hand each other and the shards
    the tasks write, under ``root``, where every worker reaches it. Small and picklable, and
    naming nothing on the driver's disk when ``root`` is remote: tasks get it in their
    :class:`~archive.release.stages.PackContext`."""

    root: Path | RemotePath

    def work(self) -> Path | RemotePath:
        """The folder of the files the stages hand each other."""
        return self.root / "work"

    def shards(self) -> Path | RemotePath:
        """The folder the tasks write the release's shards to."""
        return self._release() / SHARDS_FOLDER

    def shard_file(self, shard: int, shards: int) -> Path | RemotePath:
        return self._release() / release_shard(shard, shards)

    def _release(self) -> Path | RemotePath:
        return self.root / "release"

    def worker_copy(self, file: Path) -> Path | RemotePath:
        """Where the workers find their copy of the driver's ``file`` (an index, a cache)."""
        return self.work() / file.name

    def parent_copy(self) -> Path | RemotePath:
        """Where the workers find their copy of a local parent's shards."""
        return self.root / "parent"

    def fragment(self, unit: int, part: int = 0) -> Path | RemotePath:
        """The rows flush ``part`` of extracting ``unit`` filed, a batch per shard."""
        return self.work() / "frag" / f"{unit:08d}-{part:05d}.arrow"

    def fragments(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "frag")

    def coalesced(self, shard: int) -> Path | RemotePath:
        """The shard's fragments copied into one file, when they are too many to map at once."""
        return self.work() / "coalesced" / f"{shard:05d}.arrow"

    def reuse_list(self, unit: int) -> Path | RemotePath:
        """The ids of ``unit``'s captures whose rows the parent derived, a batch per shard."""
        return self.work() / "reuse" / f"{unit:08d}.arrow"

    def kept_reuse(self, shard: int) -> Path | RemotePath:
        """The sorted ids of ``shard``'s rows reused from the parent, but those that gave way
        to a new row of their id (a WARC file giving one WARC-Record-ID twice), as its
        gathering found: its finalizing reads this, not every unit's reuse list again."""
        return self.work() / "kept" / f"{shard:05d}.arrow"

    def reuse_lists(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "reuse")

    def seen_list(self, unit: int) -> Path | RemotePath:
        """What ``unit``'s inputs were when read (size, mtime, SHA-256, kind), for the cache."""
        return self.work() / "seen" / f"{unit:08d}.arrow"

    def seen_lists(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "seen")

    def walk_quarantine(self) -> Path | RemotePath:
        """What the walk could not read."""
        return self._quarantine() / "walk.arrow"

    def unit_quarantine(self, unit: int) -> Path | RemotePath:
        """What extracting ``unit`` quarantined."""
        return self._quarantine() / f"unit-{unit:08d}.arrow"

    def shard_quarantine(self, shard: int) -> Path | RemotePath:
        """The rows gathering ``shard`` quarantined: repeats of another row's record id."""
        return self._quarantine() / f"shard-{shard:05d}.arrow"

    def quarantine_fragments(self) -> list[Path | RemotePath]:
        return _arrow_files(self._quarantine())

    def _quarantine(self) -> Path | RemotePath:
        return self.work() / "quarantine"

    def withdrawn_list(self, unit: int) -> Path | RemotePath:
        """The withdrawn captures ``unit`` met, with their hashes."""
        return self.work() / "withdrawn" / f"{unit:08d}.arrow"

    def withdrawn_lists(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "withdrawn")

    def read_by_gathering(self) -> list[Path | RemotePath]:
        """The folders only the gathering of the shards reads: the fragments the units filed,
        their furniture contributions and reuse lists, and the copies of fragments too many to
        map."""
        work = self.work()
        return [work / "frag", work / "ucontrib", work / "reuse", work / "coalesced"]

    def read_by_finalizing(self) -> list[Path | RemotePath]:
        """The folder only the finalizing of the shards reads: the gathered rows."""
        return [self.work() / "gathered"]

    def gathered(self, shard: int) -> Path | RemotePath:
        """The shard's new and reused rows, sorted, before learned furniture."""
        return self.work() / "gathered" / f"{shard:05d}.arrow"

    def contribution(self, shard: int) -> Path | RemotePath:
        """What the shard's rows add to the furniture counts."""
        return self.work() / "contrib" / f"{shard:05d}.arrow"

    def contributions(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "contrib")

    def unit_contribution(self, unit: int, part: int = 0) -> Path | RemotePath:
        """What the rows of fragment ``part`` of ``unit`` add to the furniture counts, computed
        as they were extracted, a batch per shard."""
        return self.work() / "ucontrib" / f"{unit:08d}-{part:05d}.arrow"

    def unit_contributions(self) -> list[Path | RemotePath]:
        return _arrow_files(self.work() / "ucontrib")

    def final(self, shard: int) -> Path | RemotePath:
        """The shard's final rows, before duplicate marking."""
        return self.work() / "final" / f"{shard:05d}.arrow"

    def duplicate_index(self, shard: int) -> Path | RemotePath:
        """The shard's ``(text_sha256, record_id)``, sorted, for the merge over all shards."""
        return self.work() / "dupidx" / f"{shard:05d}.arrow"

    def duplicates(self, shard: int) -> Path | RemotePath:
        """The shard's duplicates and what each duplicates."""
        return self.work() / "dups" / f"{shard:05d}.arrow"

    def flags(self, shard: int) -> Path | RemotePath:
        """The flags relation finding raised on the shard's records."""
        return self.work() / "flags" / f"{shard:05d}.arrow"

    # Relation finding (see archive.release.relation_stages).

    def _relations(self) -> Path | RemotePath:
        return self.work() / "relations"

    def relation_index(self, shard: int) -> Path | RemotePath:
        """The shard's relatable records by ``(text_sha256, record_id)``, with their dates."""
        return self._relations() / f"index-{shard:05d}.arrow"

    def relation_reps(self, shard: int) -> Path | RemotePath:
        """The shard's records that represent a group of equal bodies, with its dates."""
        return self._relations() / f"reps-{shard:05d}.arrow"

    def relation_members(self, shard: int) -> Path | RemotePath:
        """The shard's records whose body another record represents."""
        return self._relations() / f"members-{shard:05d}.arrow"

    def relation_exact(self) -> Path | RemotePath:
        """Every exact duplicate and its representative."""
        return self._relations() / "exact.arrow"

    def relation_signatures(self, shard: int) -> Path | RemotePath:
        """The shard's distinct bodies: dates, where the text is, quotation views."""
        return self._relations() / f"signatures-{shard:05d}.arrow"

    def relation_word_hashes(self, shard: int) -> Path | RemotePath:
        """The word hashes of the shard's distinct bodies, batched as its signatures."""
        return self._relations() / f"words-{shard:05d}.arrow"

    def relation_signed(self, shard: int) -> Path | RemotePath:
        """What signing found of each of the shard's bodies, by text hash, for the cache."""
        return self._relations() / f"signed-{shard:05d}.arrow"

    def relation_frequencies(self, shard: int) -> Path | RemotePath:
        """How many of the shard's bodies hold each word."""
        return self._relations() / f"df-{shard:05d}.arrow"

    def relation_entries(self, kind: str, shard: int) -> Path | RemotePath:
        """The shard's keys of ``kind`` as sorted entries."""
        return self._relations() / f"entries-{kind}-{shard:05d}.arrow"

    def relation_run(self, kind: str, part: int) -> Path | RemotePath:
        """The sorted pairs of bodies sharing keys of ``kind`` in key range ``part``."""
        return self._relations() / f"pairs-{kind}-{part:05d}.arrow"

    def relation_confirmed(self, batch: int) -> Path | RemotePath:
        """The outcome of each candidate pair of a confirming batch, by the two bodies' text
        hashes, for the cache."""
        return self._relations() / "confirmed" / f"batch-{batch:06d}.arrow"

    def relation_confirmed_files(self) -> list[Path | RemotePath]:
        """Every confirming batch's outcomes, in batch order."""
        return _arrow_files(self._relations() / "confirmed")

    def relation_batch_run(self, batch: int) -> Path | RemotePath:
        """The sorted shared quotations a confirming batch stated itself."""
        return self._relations() / "runs" / f"batch-{batch:06d}.arrow"

    def relation_spill(self, index: int) -> Path | RemotePath:
        """The ``index``-th sorted run of relations the driver spilled."""
        return self._relations() / "runs" / f"driver-{index:06d}.arrow"

    def relation_pairs(self, index: int) -> Path | RemotePath:
        """The near-duplicates of the ``index``-th chunk of confirmed pairs, before their
        families are known."""
        return self._relations() / "runs" / f"pairs-{index:06d}.arrow"

    def relation_edges(self, index: int) -> Path | RemotePath:
        """The near-duplicate edges of the ``index``-th chunk of confirmed pairs."""
        return self._relations() / "runs" / f"edges-{index:06d}.arrow"

    def relation_flag_run(self, index: int) -> Path | RemotePath:
        """The ``index``-th sorted run of the flags the relations raise."""
        return self._relations() / "runs" / f"flags-{index:06d}.arrow"

    def relation_merge(self, level: int, index: int) -> Path | RemotePath:
        """The ``index``-th run of merge level ``level`` of the relation runs."""
        return self._relations() / "runs" / f"level{level}-{index:06d}.arrow"


@dataclass(frozen=True)
class WorkDir:
    """Every folder and file of one pack: ``building`` on the driver's disk (the release as it
    is built, the driver's own files, the cache for the next version) and ``tasks``, the files
    the tasks hand each other (in ``building`` itself for a local ``out``, beside the
    destination for a remote one)."""

    building: Path
    tasks: TaskDir

    @classmethod
    def local(cls, out: Path, release: str) -> WorkDir:
        """The work folder of a pack of ``release`` into the local folder ``out``: a hidden
        folder beside the destination, named for this host and process."""
        building = out / partial_name(release)
        return cls(building, TaskDir(building))

    @classmethod
    def remote(cls, local: Path, out: str, release: str) -> WorkDir:
        """The work folder of a pack of ``release`` into the remote folder ``out``: a build on
        the local disk under ``local``, and the tasks' files beside the destination. A pack of
        its own (a token): the same host and pid may pack this version again after a failure,
        and workers keep copies of what they read by URL."""
        shared = storage.join(out, f"{partial_name(release)}-{secrets.token_hex(8)}")
        return cls(local / "build", TaskDir(RemotePath(shared)))

    @property
    def is_remote(self) -> bool:
        return isinstance(self.tasks.root, RemotePath)

    def scratch(self) -> Path:
        """The driver's folder for the files only it reads (for a local ``out``, the tasks'
        work folder too)."""
        return self.building / "work"

    def plan(self) -> Path:
        """The units of the walk, pickled in order."""
        return self.scratch() / "plan.pkl"

    def quarantine_merge(self, level: int, index: int) -> Path:
        """A merge of quarantine fragments (``level`` 0), or of merges (``level`` 1, ...)."""
        return self.scratch() / "merges" / f"quarantine-{level:02d}-{index:08d}.arrow"

    def log_index(self) -> Path:
        """The capture log's SQLite index."""
        return self.scratch() / "log.sqlite"

    def parent_index(self) -> Path:
        """The SQLite index of the parent's derivations."""
        return self.scratch() / "parent.sqlite"

    def parent_download(self, name: str) -> Path:
        """Where the driver keeps its copy of a remote parent release ``name``."""
        return self.building / "parent" / name

    def cache(self) -> CacheDir:
        """The cache this pack builds; kept beside the release once it is in place."""
        return CacheDir(self.building / "cache")

    def release(self) -> Path:
        """The release being assembled; renamed (or uploaded) into place when whole."""
        return self.building / "release"

    def release_shards(self) -> Path:
        return self.release() / SHARDS_FOLDER

    def release_schemas(self) -> Path:
        return self.release() / SCHEMAS_FOLDER

    def schema_file(self, filename: str) -> Path:
        return self.release_schemas() / filename

    def quarantine_file(self) -> Path:
        return self.release() / QUARANTINE_FILE

    def changes_file(self) -> Path:
        return self.release() / CHANGES_FILE

    def relations_file(self) -> Path:
        return self.release() / RELATIONS_FILE
