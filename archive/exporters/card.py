"""``README.md``: the release's Hugging Face dataset card.

YAML front matter (license, language, size category, ``configs`` pointing at the Parquet shards)
so that ``datasets.load_dataset(<release folder>)`` and the Hub read the release as it is; a body
on the collection, its provenance, coverage figures from the manifest and how to verify it.
"""

from __future__ import annotations

import json

from archive.exporters.common import (
    NO_LICENSE,
    SHARDS_GLOB,
    columns,
    generator,
    languages,
    license_of,
    shards,
    size_category,
    summary,
    title,
)

# SPDX ids the Hub knows under its own (lowercase) names; any other license is "other".
_HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "ofl-1.1",
        "osl-3.0",
        "pddl",
        "postgresql",
        "unlicense",
        "zlib",
    ]
)

_REASONS = {
    "unknown_outlet": "outlet unknown",
    "unknown_date": "publication date unknown",
    "unknown_title": "title unknown",
    "unknown_authors": "no author found",
    "unknown_language": "language unknown",
}


def dataset_card(manifest: dict, record_schema: dict) -> bytes:
    """The dataset card as bytes."""
    parts = [_front_matter(manifest), _body(manifest, record_schema)]
    return "\n".join(parts).encode("utf-8")


def hub_license(spdx: str | None) -> tuple[str, str | None]:
    """(Hub ``license`` value, ``license_name`` when the Hub has no id for it).

    >>> hub_license("CC-BY-4.0")
    ('cc-by-4.0', None)
    >>> hub_license(None)
    ('unknown', None)
    """
    if spdx is None:
        return "unknown", None
    lowered = spdx.lower()
    if lowered in _HUB_LICENSES:
        return lowered, None
    return "other", spdx


def _quoted(value: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(value, ensure_ascii=False)


def _front_matter(manifest: dict) -> str:
    license, license_name = hub_license(license_of(manifest))
    records = manifest["counts"]["records"]
    lines = ["---", f"license: {license}"]
    if license_name:
        lines.append(f"license_name: {_quoted(license_name)}")
    lines.append(f"pretty_name: {_quoted(title(manifest))}")
    codes = languages(manifest)
    if codes:
        lines += ["language:", *(f"- {_quoted(code)}" for code in codes)]
    lines += [
        "size_categories:",
        f"- {_quoted(size_category(records))}",
        "tags:",
        "- news",
        "- web-archive",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        f"    path: {_quoted(SHARDS_GLOB)}",
        "---",
    ]
    return "\n".join(lines) + "\n"


def _body(manifest: dict, record_schema: dict) -> str:
    sections = [
        f"# {title(manifest)}\n\n{summary(manifest)}\n",
        _collection(manifest),
        _provenance(manifest, record_schema),
        _coverage(manifest),
        _files(manifest),
        _loading(),
        _verify(),
        _license(manifest),
    ]
    return "\n".join(sections)


def _collection(manifest: dict) -> str:
    settings = manifest.get("settings", {})
    lines = ["## Collection", ""]
    lines.append("| source folder | files | bytes |")
    lines.append("|---|---:|---:|")
    for source in manifest["sources"]:
        lines.append(f"| `{source['name']}` | {source['files']} | {source['bytes']} |")
    lines.append("")
    log = manifest.get("capture_log")
    if log:
        lines.append(
            f"Capture log `{log['name']}` (SHA-256 `{log['sha256']}`): {log['entries']} "
            f"entries, {log['bad_lines']} bad lines, {log['unmatched']} matching no capture."
        )
    else:
        lines.append("No capture log was given: capture metadata comes from the files alone.")
    lines.append("")
    lines.append(
        f"Packed by {generator(manifest)} (pyarrow {manifest['generator']['pyarrow']}) "
        f"on {manifest['created']}, extraction `{settings.get('extract', 'article')}`."
    )
    return "\n".join(lines) + "\n"


def _provenance(manifest: dict, record_schema: dict) -> str:
    names = ", ".join(f"`{c.name}`" for c in columns(record_schema))
    return (
        "## Provenance\n\n"
        "Each record is one capture. It keeps the SHA-256 and size of the captured bytes "
        "(`raw_sha256`, `raw_bytes`), the whole decoded capture (`capture_text`) and the "
        "article body (`text`), each with its SHA-256; `capture` holds where and when it was "
        "captured; `provenance` gives, for every derived field, the method and the evidence "
        "with its offsets in `capture_text`; `spans` classes every region of the capture.\n\n"
        f"Columns (`schemas/record.schema.json`, SHA-256 "
        f"`{manifest['schemas']['record']['sha256']}`): {names}.\n"
    )


def _coverage(manifest: dict) -> str:
    counts = manifest["counts"]
    records = counts["records"]
    lines = ["## Coverage", "", "| figure | count | share of records |", "|---|---:|---:|"]
    lines.append(f"| inputs | {counts['inputs']} | |")
    lines.append(f"| records | {records} | |")
    lines.append(f"| quarantined inputs | {counts['quarantined']} | |")
    lines.append(
        f"| duplicates (same text as an earlier record) | {counts['duplicates']} | "
        f"{_share(counts['duplicates'], records)} |"
    )
    for key, label in _REASONS.items():
        if key in counts:
            lines.append(f"| {label} | {counts[key]} | {_share(counts[key], records)} |")
    reasons = manifest.get("quarantine_reasons") or {}
    if reasons:
        lines += [
            "",
            "Quarantine reasons: "
            + ", ".join(f"`{r}` {n}" for r, n in reasons.items())
            + " (`quarantine.jsonl` lists each input).",
        ]
    codes = languages(manifest)
    if codes:
        counted = manifest["coverage"]["languages"]
        lines += ["", "Languages: " + ", ".join(f"`{c}` {counted[c]}" for c in codes) + "."]
    furniture = manifest.get("coverage", {}).get("furniture_chars") or {}
    if furniture:
        lines += [
            "",
            "Characters removed as page furniture: "
            + ", ".join(f"`{kind}` {n}" for kind, n in sorted(furniture.items()))
            + ".",
        ]
    return "\n".join(lines) + "\n"


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def _files(manifest: dict) -> str:
    lines = ["## Files", "", "| file | rows | bytes | SHA-256 |", "|---|---:|---:|---|"]
    for shard in shards(manifest):
        lines.append(f"| `{shard.path}` | {shard.rows} | {shard.bytes} | `{shard.sha256}` |")
    lines += [
        "",
        "`manifest.json` lists every file with its size, SHA-256 and SHA-512. The release is also "
        "a BagIt bag (`bagit.txt`, `manifest-sha256.txt`, ...), a Frictionless Data Package "
        "(`datapackage.json`) and has Croissant metadata (`croissant.json`); all of them, and "
        "this card, are derived from `manifest.json` alone.",
    ]
    return "\n".join(lines) + "\n"


def _loading() -> str:
    return (
        "## Loading\n\n"
        "```python\n"
        "from datasets import load_dataset\n"
        f'records = load_dataset("parquet", data_files="{SHARDS_GLOB}", split="train")\n'
        "```\n\n"
        "Any Parquet reader works too (pyarrow, pandas, polars, DuckDB, Spark): "
        f"`{SHARDS_GLOB}`.\n"
    )


def _verify() -> str:
    return (
        "## How to verify\n\n"
        "From the release folder:\n\n"
        "```sh\n"
        "sha256sum -c manifest.json.sha256      # the manifest is the one published\n"
        "archive verify .                       # every file, row, hash and count\n"
        "python -m bagit --validate .           # the BagIt view of the same hashes\n"
        "```\n"
    )


def _license(manifest: dict) -> str:
    spdx = license_of(manifest)
    text = f"Released under `{spdx}`." if spdx else NO_LICENSE
    return f"## License\n\n{text}\n"
