"""Every check ``verify`` runs, in order: the one place a check is registered.

Verification runs in tiers (``LEVELS``), each adding checks to the one before:

* ``structure``: the manifest (digest, schema, canonical form), the signature, safe paths, every
  listed file present and no other file, schema copies, derived files, Parquet footers;
* ``sizes``: every file's size, and the row and entry counts against the manifest;
* ``hashes``: every file's SHA-256;
* ``rows`` (the default): every row against the record schema, its text hashes, ids unique,
  sorted and in their shard, the per-field counts, ``duplicate_of`` links, quarantine entries,
  tombstones, ``CHANGES.json``, the relations table.

A check is added by writing its function (in ``structure`` or ``rows``) and one ``Check`` value
below: the list of checks, their tier, their codes, what sampling does to them and their
dispatch all derive from ``CHECKS``.
"""

from __future__ import annotations

from archive.verification import rows, structure
from archive.verification.registry import Check, schema_validation_only
from archive.verification.tasks import hash_tasks, row_tasks

CHECKS = (
    Check(
        "manifest digest",
        "structure",
        ("E001", "E002", "E003"),
        structure.check_manifest_digest,
        needs_manifest=False,
    ),
    Check(
        "manifest schema",
        "structure",
        ("E004",),
        structure.check_manifest_schema,
        unless=structure.manifest_unreadable,
        needs_manifest=False,
    ),
    Check(
        "signature",
        "structure",
        ("E019", "E020", "E021", "E022"),
        structure.check_signature,
        unless=structure.unsigned,
        needs_manifest=False,
    ),
    Check("folder named for its release", "structure", ("E027",), structure.check_folder_name),
    Check("safe paths", "structure", ("E019",), structure.check_paths),
    Check(
        "parent link",
        "structure",
        ("E030", "E031", "E032", "E033"),
        structure.check_parent_link,
        unless=structure.no_parent,
    ),
    Check("schema copies", "structure", ("E016",), structure.check_schema_copies),
    Check(
        "files derived from the manifest", "structure", ("E005", "E018"), structure.check_derived
    ),
    Check("listed files present", "structure", ("E005", "E019"), structure.check_presence),
    Check("no unlisted files", "structure", ("E008",), structure.check_unlisted),
    Check("record shards named", "structure", ("E036",), structure.check_shard_names),
    Check("Parquet footers and columns", "structure", ("E009", "E010"), structure.check_footers),
    Check("file sizes", "sizes", ("E006",), structure.check_sizes),
    Check("row and entry counts", "sizes", ("E014",), structure.check_counts),
    Check(
        "file SHA-256",
        "hashes",
        ("E007",),
        rows.check_file_hashes,
        unless=schema_validation_only,
        tasks=hash_tasks,
    ),
    Check(
        "record schema by column",
        "rows",
        ("E009", "E011"),
        rows.check_record_schema,
        sampling="sampled",
        tasks=row_tasks,
    ),
    Check(
        "text and capture_text hashes",
        "rows",
        ("E012",),
        rows.check_text_hashes,
        sampling="sampled",
        unless=schema_validation_only,
        tasks=row_tasks,
    ),
    Check(
        "record ids unique, sorted and in their shard",
        "rows",
        ("E013",),
        rows.check_record_ids,
        sampling="skipped",
        tasks=row_tasks,
    ),
    Check(
        "record ids are the hashes of their capture keys",
        "rows",
        ("E025",),
        rows.check_capture_keys,
        sampling="sampled",
        tasks=row_tasks,
    ),
    Check(
        "text is the body its spans mark",
        "rows",
        ("E026",),
        rows.check_bodies_from_spans,
        sampling="sampled",
        tasks=row_tasks,
    ),
    Check(
        "counts by field",
        "rows",
        ("E014",),
        rows.check_field_counts,
        sampling="skipped",
        tasks=row_tasks,
    ),
    Check(
        "duplicate_of links",
        "rows",
        ("E017",),
        rows.check_duplicate_links,
        sampling="skipped",
        tasks=row_tasks,
    ),
    Check("quarantine schema", "rows", ("E015",), rows.check_quarantine_schema),
    Check(
        "quarantine reasons counted",
        "rows",
        ("E014",),
        rows.check_quarantine_reasons,
        unless=rows.no_quarantine_file,
    ),
    Check("tombstone schema", "rows", ("E035",), rows.check_tombstone_schema),
    Check(
        "changes schema", "rows", ("E034",), rows.check_changes_schema, unless=rows.no_changes_file
    ),
    Check("withheld text", "rows", ("E023",), rows.check_withheld, tasks=row_tasks),
    Check(
        "relations schema",
        "rows",
        ("E009", "E014", "E024"),
        rows.check_relations,
        unless=rows.no_relations,
        tasks=rows.relation_tasks,
    ),
)

__all__ = ["CHECKS"]
