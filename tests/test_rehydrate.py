"""``archive rehydrate``: a dehydrated release's text rebuilt from captures the user obtained."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import raw_strings

from archive import PackSettings, pack, verify
from archive.inspect import record_shards
from archive.release.plan import record_id
from archive.text.normalize import sha256_text
from archive.versions.diff import diff, implied_bump
from archive.versions.history import history_ok, log
from archive.versions.rehydrate import (
    Mismatch,
    _Outcome,
    _verified,
    pack_settings_of,
    rehydrate,
)

CREATED = datetime(2026, 7, 8, 9, 10, 11, tzinfo=UTC)
SETTINGS = PackSettings("moor", "1.0.0", CREATED)


def article(n: int) -> str:
    """Fictional captures, written for these tests."""
    return (
        f"Moorland beacon {n} relit at Hollinsgarth\n\n"
        f"By Wrenna Calloway\n\n"
        f"Volunteers carried {n * 12} lanterns up the ridge on Saturday evening.\n\n"
        f"“It is the {n}th beacon this year,” said warden Pim Okonkwo-Leth.\n"
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tiers")
    src = base / "captures"
    (src / "north").mkdir(parents=True)
    for n in range(6):
        (src / "north" / f"b{n}.txt").write_text(article(n), encoding="utf-8")
    log = base / "log.jsonl"
    entries = [
        {"path": "north/b5.txt", "url": "https://moor.ex/b5", "redistribution": "metadata-only"},
        {"path": "north/b0.txt", "url": "https://moor.ex/b0", "outlet": "The Moor Lantern"},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    full = pack([src], base / "full", SETTINGS, capture_log=log).path
    dry = pack([src], base / "dry", replace(SETTINGS, tier="metadata-only"), capture_log=log).path
    return {"base": base, "src": src, "log": log, "full": full, "dry": dry}


def rid(name: str) -> str:
    return record_id(f"captures/north/{name}")


def texts(release: Path) -> dict[str, tuple[str | None, str | None]]:
    table = pq.read_table(release / "data", columns=["record_id", "text", "capture_text"])
    return {r["record_id"]: (r["text"], r["capture_text"]) for r in table.to_pylist()}


def test_the_dehydrated_release_has_no_text_but_every_hash(releases):
    rows = pq.read_table(releases["dry"] / "data").to_pylist()
    assert rows and all(r["text"] is None and r["capture_text"] is None for r in rows)
    first = next(r for r in rows if r["record_id"] == rid("b0.txt"))
    assert len(first["text_sha256"]) == 64 and first["capture"]["url"] == "https://moor.ex/b0"
    verify(releases["dry"])


def test_original_captures_rebuild_the_full_release_byte_for_byte(releases, tmp_path):
    result = rehydrate(releases["dry"], releases["src"], tmp_path, capture_log=releases["log"])
    assert result.path == tmp_path / "moor-1.0.0+rehydrated"
    assert result.complete and len(result.matched) == 6
    assert result.withheld == (rid("b5.txt"),)  # metadata-only: verified, text kept out
    for shard in sorted((releases["full"] / "data").iterdir()):
        assert (result.path / "data" / shard.name).read_bytes() == shard.read_bytes()
    assert texts(result.path)[rid("b5.txt")] == (None, None)
    verify(result.path)
    assert result.manifest["settings"]["tier"] == "full"
    assert result.manifest["parent"]["version"] == "1.0.0"
    assert implied_bump(diff(releases["dry"], result.path)) == "none"


def test_rehydrated_release_links_to_the_dehydrated_one(releases):
    out = releases["dry"].parent
    result = rehydrate(releases["dry"], releases["src"], out, capture_log=releases["log"])
    links = log(result.path)
    assert [link.version for link in links] == ["1.0.0+rehydrated", "1.0.0"]
    assert history_ok(links)
    assert links[0].changes["bump"] == {
        "chosen": "none",
        "implied": "none",
        "reasons": [],
        "warning": None,
    }
    shutil.rmtree(result.path)


@pytest.fixture
def user_captures(releases, tmp_path) -> Path:
    """The user's own copy: other parent folder, one capture moved, one changed, one missing."""
    copy = shutil.copytree(releases["src"], tmp_path / "mine" / "captures")
    (copy / "elsewhere").mkdir()
    shutil.move(copy / "north" / "b2.txt", copy / "elsewhere" / "beacon-two.txt")
    (copy / "north" / "b3.txt").write_text(article(3).replace("Saturday", "Sunday"), "utf-8")
    (copy / "north" / "b4.txt").unlink()
    return copy


def test_one_changed_and_one_missing_capture(releases, user_captures, tmp_path):
    result = rehydrate(releases["dry"], user_captures, tmp_path / "out")
    assert not result.complete
    assert sorted(result.matched) == sorted(rid(f"b{n}.txt") for n in (0, 1, 2, 5))
    assert [(m.record_id, m.reason) for m in result.changed] == [(rid("b3.txt"), "bytes")]
    assert result.changed[0].source_path == "captures/north/b3.txt"
    assert result.missing == (rid("b4.txt"),)
    assert result.unused == 0
    full, rebuilt = texts(releases["full"]), texts(result.path)
    for name in ("b0.txt", "b1.txt", "b2.txt"):  # b2 found at another path, by its bytes
        assert rebuilt[rid(name)] == full[rid(name)] and full[rid(name)][0]
    assert rebuilt[rid("b3.txt")] == rebuilt[rid("b4.txt")] == (None, None)
    assert result.manifest["settings"]["tier"] == "metadata-only"  # incomplete: not full
    verify(result.path)
    counts = result.as_dict()["counts"]
    assert counts == {
        "records": 6,
        "matched": 4,
        "changed": 1,
        "missing": 1,
        "withheld": 1,
        "from_spans": 0,
        "unused_captures": 0,
        "relations_restored": 0,
        "relations_withheld": 0,
    }


def test_same_bytes_extracted_otherwise_is_a_text_change(releases, tmp_path):
    """Packed with a capture log naming a charset (a wrong one: the bytes are windows-1251);
    rehydrated without it, where detection reads them otherwise."""
    src = tmp_path / "captures"
    (src / "north").mkdir(parents=True)
    text = "Кафе на пристани\n\nОткрыто с рассвета до позднего вечера.\n"
    (src / "north" / "cafe.txt").write_bytes(text.encode("cp1251"))
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "north/cafe.txt", "charset": "koi8-r"}) + "\n", "utf-8")
    dry = pack([src], tmp_path / "dry", replace(SETTINGS, tier="metadata-only"), capture_log=log)
    result = rehydrate(dry.path, src, tmp_path / "out")
    assert [m.reason for m in result.changed] == ["text"] and not result.matched
    fixed = rehydrate(dry.path, src, tmp_path / "out2", capture_log=log)
    assert fixed.complete and len(fixed.matched) == 1


def test_a_body_extracted_otherwise_is_rebuilt_from_the_recorded_spans():
    capture_text = "Headline\n\nFirst paragraph.\n\nSecond paragraph."
    body = "First paragraph.\n\nSecond paragraph."
    row = {
        "capture_text_sha256": sha256_text(capture_text),
        "text_sha256": sha256_text(body),
        "spans": [
            {"start": 0, "end": 8, "kind": "headline", "rule": "r"},
            {"start": 10, "end": 26, "kind": "body", "rule": "r"},
            {"start": 28, "end": 45, "kind": "body", "rule": "r"},
        ],
    }
    outcome = _Outcome()
    assert _verified("Headline", capture_text, row, outcome) == (body, capture_text)
    assert outcome.from_spans == 1
    assert _verified(body, capture_text + "!", row, outcome) is None


def test_settings_are_replayed_from_the_manifest(releases):
    manifest = json.loads((releases["dry"] / "manifest.json").read_bytes())
    settings = pack_settings_of(manifest)
    assert settings.tier == "full" and settings.created == CREATED
    assert settings.extract == "article" and settings.name == "moor"


def test_the_rehydrate_command(releases, user_captures, tmp_path, runner):
    from archive.cli import main

    args = ["rehydrate", str(releases["dry"]), "--captures", str(user_captures)]
    partial = runner.invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert partial.exit_code == 1
    lines = partial.output.splitlines()
    assert lines[0] == str(tmp_path / "a" / "moor-1.0.0+rehydrated")
    assert f"changed {rid('b3.txt')} (bytes): captures/north/b3.txt" in lines
    assert f"missing {rid('b4.txt')}" in lines
    again = runner.invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert again.exit_code == 2 and "already exists" in again.output
    whole = runner.invoke(
        main,
        ["rehydrate", str(releases["dry"]), "--captures", str(releases["src"]), "--json"]
        + ["--capture-log", str(releases["log"]), "--out", str(tmp_path / "b")],
    )
    assert whole.exit_code == 0, whole.output
    assert json.loads(whole.output)["counts"]["matched"] == 6


def test_a_capture_log_line_the_repack_cannot_use_is_reported_and_its_capture_not_missing(
    releases, tmp_path, runner
):
    """The repack quarantines a capture whose only log line is bad (a key given twice): the
    line is reported as pack reports it, and the record is changed (quarantined), not missing,
    as its capture is there."""
    from archive.cli import main

    bad = tmp_path / "bad.jsonl"
    line = '{"path": "north/b5.txt", "url": "https://moor.ex/b5", "url": "https://moor.ex/x", '
    line += '"redistribution": "metadata-only"}\n'
    bad.write_text(releases["log"].read_text().splitlines(True)[1] + line, encoding="utf-8")
    result = rehydrate(releases["dry"], releases["src"], tmp_path / "api", capture_log=bad)
    assert result.errors == ("bad.jsonl:2: a key given twice in one object (which value holds is "
                             "not known)",)  # fmt: skip
    assert result.missing == ()
    assert result.changed == (Mismatch(rid("b5.txt"), "quarantined: capture-log",
                                       "captures/north/b5.txt"),)  # fmt: skip
    args = ["rehydrate", str(releases["dry"]), "--captures", str(releases["src"])]
    done = runner.invoke(main, [*args, "--capture-log", str(bad), "--out", str(tmp_path / "cli")])
    assert done.exit_code == 1
    assert f"archive: error: {result.errors[0]}" in done.output.splitlines()
    changed = f"changed {rid('b5.txt')} (quarantined: capture-log): captures/north/b5.txt"
    assert changed in done.output.splitlines()


def test_the_records_of_a_warc_file_the_repack_quarantined_unread_are_not_missing(tmp_path):
    """A WARC file whose only log line is bad is quarantined unread (no hash of its bytes):
    its records are found by the file that holds them."""
    from warcdata import LIGHTHOUSE, ORCHARD, Spec, render_html, warc_bytes
    from warcdata import record_id as warc_id

    src = tmp_path / "captures"
    src.mkdir()
    html = (("Content-Type", "text/html; charset=utf-8"),)
    specs = [Spec("payload", "response", a.url, headers=html, payload=render_html(a))
             for a in (LIGHTHOUSE, ORCHARD)]  # fmt: skip
    (src / "crawl.warc.gz").write_bytes(b"".join(warc_bytes(specs, gz=True)))
    (src / "note.txt").write_text(article(1), encoding="utf-8")
    note = '{"path": "note.txt", "url": "https://moor.ex/note"}\n'
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text('{"path": "crawl.warc.gz", "rights_holder": "Moor Press"}\n' + note)
    bad.write_text('{"path": "crawl.warc.gz", "rights_holder": "A", "rights_holder": "B"}\n' + note)
    dehydrated = replace(SETTINGS, tier="metadata-only")
    dry = pack([src], tmp_path / "dry", dehydrated, capture_log=good).path
    result = rehydrate(dry, src, tmp_path / "out", capture_log=bad)
    assert result.missing == () and result.matched == (record_id("captures/note.txt"),)
    ids = [record_id(f"captures/crawl.warc.gz#{warc_id(n)}") for n in range(2)]
    assert set(result.changed) == {
        Mismatch(rid, "quarantined: capture-log", "captures/crawl.warc.gz") for rid in ids
    }


# --- relations: kept by a dehydrated release, their evidence restored by rehydration ---------

# Files derived from the manifest, which names the version (``+rehydrated``) and the parent.
_MANIFEST_BOUND = {
    "manifest.json",
    "manifest.json.sha256",
    "CHANGES.json",
    "README.md",
    "datapackage.json",
    "croissant.json",
    "bag-info.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    """Fictional captures with syndicated, spun and exact copies (tests/relations/corpus.py),
    their dates in a capture log, packed full and dehydrated by the command."""
    from click.testing import CliRunner
    from relations.corpus import stream

    from archive.cli import main

    base = tmp_path_factory.mktemp("planted")
    src = base / "captures"
    entries = []
    for k, (record, _) in enumerate(stream(160, seed=11, syndicated=0.1, spun=0.06)):
        path = f"{k % 3}/{record.record_id}.txt"
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text(record.text + "\n", encoding="utf-8")
        entry = {"path": path}
        for key in ("published_at", "retrieved_at"):
            if getattr(record, key) is not None:
                entry[key] = getattr(record, key).isoformat()
        entries.append(entry)
    log = base / "captures.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    common = [str(src), "--capture-log", str(log), "--name", "planted", "--version", "1.0.0"]
    common += ["--created", "2026-03-04T05:06:07Z", "--shards", "2", "-q"]
    runner = CliRunner()
    for out, tier in (("full", "full"), ("dry", "metadata-only")):
        done = runner.invoke(main, ["pack", *common, "--out", str(base / out), "--tier", tier])
        assert done.exit_code == 0, done.output
    dry = base / "dry" / "planted-1.0.0"
    args = ["rehydrate", str(dry), "--captures", str(src), "--capture-log", str(log)]
    done = runner.invoke(main, [*args, "--out", str(base / "wet"), "--json"])
    assert done.exit_code == 0, done.output
    return {
        "src": src,
        "log": log,
        "full": base / "full" / "planted-1.0.0",
        "dry": dry,
        "wet": base / "wet" / "planted-1.0.0+rehydrated",
        "report": json.loads(done.output),
    }


def _evidence_validators() -> dict:
    from jsonschema import Draft202012Validator

    document = json.loads(
        (Path(__file__).parents[1] / "schemas" / "relations.schema.json").read_bytes()
    )
    names = {
        "shares-quotation": "shares_quotation_evidence",
        "paraphrase-of": "paraphrase_evidence",
    }
    return {
        kind: Draft202012Validator({**document["$defs"][name], "$defs": document["$defs"]})
        for kind, name in names.items()
    }


_EVIDENCE_SCHEMA = _evidence_validators()


def _relations_of(release: Path) -> list[dict]:
    return pq.read_table(release / "relations" / "relations.parquet").to_pylist()


def _digests(release: Path) -> dict[str, str]:
    import hashlib

    return {
        p.relative_to(release).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


def test_a_dehydrated_release_keeps_its_relations_and_flags(planted):
    full, dry = _relations_of(planted["full"]), _relations_of(planted["dry"])
    kinds = {r["kind"] for r in full}
    assert {"near-duplicate", "paraphrase-of", "shares-quotation", "exact-duplicate"} <= kinds
    manifests = [json.loads((planted[t] / "manifest.json").read_bytes()) for t in ("full", "dry")]
    assert manifests[1]["relations"] == manifests[0]["relations"]
    assert len(dry) == len(full)
    flagged = [
        sorted(
            r["record_id"]
            for r in pq.read_table(planted[t] / "data", columns=["record_id", "flags"]).to_pylist()
            if "spun-suspected" in r["flags"]
        )
        for t in ("full", "dry")
    ]
    assert flagged[0] and flagged[0] == flagged[1]
    for whole, kept in zip(full, dry, strict=True):
        assert {k: v for k, v in kept.items() if k != "evidence"} == {
            k: v for k, v in whole.items() if k != "evidence"
        }
        if whole["kind"] in ("exact-duplicate", "near-duplicate"):
            assert kept["evidence"] == whole["evidence"]  # offsets only: nothing to withhold
            continue
        shown = json.loads(kept["evidence"])
        _EVIDENCE_SCHEMA[kept["kind"]].validate(shown)  # the withheld form is the schema's
        import hashlib

        assert (
            shown.pop("evidence_sha256") == hashlib.sha256(whole["evidence"].encode()).hexdigest()
        )
        original = json.loads(whole["evidence"])
        # The same evidence with every word from the bodies null, offsets and counts kept.
        for item in original.get("quotations", []):
            item["quotation"] = None
        for pair in original.get("sentence_pairs", []):
            pair["substitutions"] = [[None, None] for _ in pair["substitutions"]]
        original["substitutions"] = (
            [[None, None, n] for _, _, n in original.get("substitutions", [])]
            if "substitutions" in original
            else None
        )
        if original["substitutions"] is None:
            del original["substitutions"]
        assert shown == original
    verify_dry = verify(planted["dry"])
    assert verify_dry.ok, verify_dry.problems


def test_rehydration_restores_the_full_release_byte_for_byte(planted):
    """Every file the manifest does not shape is the full release's, relations included; the
    manifest differs only in the version, the parent and CHANGES.json."""
    full, wet = _digests(planted["full"]), _digests(planted["wet"])
    assert set(wet) - set(full) == {"CHANGES.json"}
    same = {p for p in full if p not in _MANIFEST_BOUND}
    assert "relations/relations.parquet" in same and len(same) >= 11
    assert {p: wet[p] for p in same} == {p: full[p] for p in same}
    manifests = [json.loads((planted[t] / "manifest.json").read_bytes()) for t in ("full", "wet")]
    for manifest in manifests:
        manifest.pop("parent")
        manifest.pop("version")
        manifest["files"] = [f for f in manifest["files"] if f["path"] != "CHANGES.json"]
    assert manifests[0] == manifests[1]
    counts = planted["report"]["counts"]
    assert counts["relations_withheld"] == 0
    quoting = [
        r
        for r in _relations_of(planted["full"])
        if r["kind"] in ("shares-quotation", "paraphrase-of")
    ]
    assert counts["relations_restored"] == len(quoting) > 0
    assert verify(planted["wet"]).ok


def test_a_relation_whose_capture_is_missing_stays_withheld(planted, tmp_path):
    full = _relations_of(planted["full"])
    spun = next(r for r in full if r["kind"] == "paraphrase-of")
    rows = pq.read_table(planted["full"] / "data", columns=["record_id", "capture"]).to_pylist()
    path = next(r["capture"]["source_path"] for r in rows if r["record_id"] == spun["source_id"])
    mine = shutil.copytree(planted["src"], tmp_path / "captures")
    (tmp_path / path).unlink()
    result = rehydrate(planted["dry"], mine, tmp_path / "out", capture_log=planted["log"])
    assert result.missing == (spun["source_id"],)
    lost = [
        r
        for r in full
        if r["kind"] in ("shares-quotation", "paraphrase-of")
        and spun["source_id"] in (r["source_id"], r["target_id"])
    ]
    assert result.relations_withheld == len(lost) > 0
    assert not result.complete and result.manifest["settings"]["tier"] == "metadata-only"
    kept = {(r["source_id"], r["target_id"], r["kind"]): r for r in _relations_of(result.path)}
    for relation in lost:
        assert (
            '"evidence_sha256":'
            in kept[relation["source_id"], relation["target_id"], relation["kind"]]["evidence"]
        )
    assert verify(result.path).ok


def test_a_full_release_with_withheld_evidence_fails_verify(planted, tmp_path):
    """Relation evidence may be withheld only in a dehydrated release (E024)."""
    from archive.format.manifest import file_entries, write_manifest
    from archive.format.parquetio import write_parquet_batches
    from archive.relations.table import RELATIONS_ARROW_SCHEMA
    from archive.verification.api import check_release

    forged = shutil.copytree(planted["full"], tmp_path / "planted-1.0.0")
    dry = pq.read_table(planted["dry"] / "relations" / "relations.parquet")
    write_parquet_batches(
        [dry.cast(RELATIONS_ARROW_SCHEMA)],
        RELATIONS_ARROW_SCHEMA,
        forged / "relations" / "relations.parquet",
    )
    manifest = json.loads((forged / "manifest.json").read_bytes())
    rows = {f["path"]: f["rows"] for f in manifest["files"] if "rows" in f}
    manifest["files"] = file_entries(forged, rows)
    write_manifest(forged, manifest)
    report = check_release(forged)  # the tag manifests still name the old manifest (E007)
    withheld = [str(p) for p in report.problems if p.code == "E024"]
    assert withheld == [
        "E024 relations/relations.parquet: "
        f"{len(dry_quoting(dry))} relation(s) withhold their evidence, but the release is in "
        "the full tier"
    ]
    assert check_release(planted["dry"]).ok  # a dehydrated release may


def test_a_relations_table_unreadable_past_its_first_batch_is_refused_before_the_repack(
    planted, tmp_path, monkeypatch
):
    """Every batch of the table is read before anything is repacked, not only up to the first
    withheld evidence: a string that is not UTF-8 in the last row is refused in one line."""
    from archive.format import parquetio

    dry, path = _last_value_not_utf8(planted, tmp_path, lambda _: RELATIONS_FILE, "params")
    monkeypatch.setattr(parquetio, "_MAX_BATCH_ROWS", 8)  # the bad row far past the first
    _refused_before_the_repack(planted, tmp_path, monkeypatch, dry, f"{path}: relations table")


def test_a_record_shard_holding_a_string_that_is_not_utf8_is_refused_before_the_repack(
    planted, tmp_path, monkeypatch
):
    """It was met only when CHANGES.json was written, after the whole repack."""
    dry, path = _last_value_not_utf8(planted, tmp_path, lambda m: record_shards(m)[-1], "title")
    _refused_before_the_repack(planted, tmp_path, monkeypatch, dry, f"{path}:", "Invalid UTF8")


def _int_titles(table):
    titles = pa.array(range(table.num_rows), pa.int64())
    return table.set_column(table.schema.get_field_index("title"), "title", titles)


def _one_more(table):
    return table.append_column("zzz", pa.array([1] * table.num_rows))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (_int_titles, "column title has type int64, expected string"),
        (_one_more, re.escape("columns [") + ".*'zzz'"),
    ],
)
def test_a_record_shard_of_other_columns_is_refused_before_the_repack(
    planted, tmp_path, monkeypatch, change, why
):
    """Its columns were copied as they are into a release that verify rejects (E010)."""
    dry = shutil.copytree(planted["dry"], tmp_path / "dry" / planted["dry"].name)
    manifest = json.loads((dry / "manifest.json").read_bytes())
    relative = record_shards(manifest)[0]
    pq.write_table(change(pq.read_table(dry / relative)), dry / relative)
    _relisted(dry, manifest, relative)
    _refused_before_the_repack(planted, tmp_path, monkeypatch, dry, f"{dry / relative}:", why)


def test_a_missing_captures_folder_is_refused_before_the_shards_are_read(
    planted, tmp_path, monkeypatch
):
    from archive.errors import UsageError

    def read(*_):
        raise AssertionError("the shards were read")

    monkeypatch.setattr("archive.versions.rehydrate._check_shards", read)
    with pytest.raises(UsageError, match="is not a folder"):
        rehydrate(planted["dry"], tmp_path / "nowhere", tmp_path / "out")


RELATIONS_FILE = "relations/relations.parquet"


def _last_value_not_utf8(planted, tmp_path, relative_of, column: str) -> tuple[Path, Path]:
    """A copy of the dehydrated release whose file ``relative_of(manifest)`` holds a string
    that is not UTF-8 in the last row of ``column``, the manifest vouching for it."""

    dry = shutil.copytree(planted["dry"], tmp_path / "dry" / planted["dry"].name)
    manifest = json.loads((dry / "manifest.json").read_bytes())
    relative = relative_of(manifest)
    table = pq.read_table(dry / relative)
    original = table[column].combine_chunks()
    values = [(value or "").encode() for value in original.to_pylist()]
    values[-1] += b"\xff"
    spoiled = raw_strings(values, original.buffers()[0])  # the same nulls: only the last differs
    at = table.schema.get_field_index(column)
    pq.write_table(table.set_column(at, table.schema.field(column), spoiled), dry / relative)
    _relisted(dry, manifest, relative)
    return dry, dry / relative


def _relisted(dry: Path, manifest: dict, relative: str) -> None:
    from archive.format.manifest import file_sha256, write_manifest

    for entry in manifest["files"]:
        if entry["path"] == relative:
            entry["sha256"], entry["bytes"] = file_sha256(dry / relative)
    write_manifest(dry, manifest)


def _refused_before_the_repack(
    planted, tmp_path, monkeypatch, dry: Path, named: str, why: str = "Invalid UTF8"
) -> None:
    from archive.errors import UsageError

    def repack(*_):
        raise AssertionError("repacked")

    monkeypatch.setattr("archive.versions.rehydrate._repack", repack)
    with pytest.raises(UsageError, match=f"^{re.escape(named)} unreadable .*{why}"):
        rehydrate(dry, planted["src"], tmp_path / "out", capture_log=planted["log"])
    assert not (tmp_path / "out").exists()


def dry_quoting(table) -> list[str]:
    return [k for k in table["kind"].to_pylist() if k in ("shares-quotation", "paraphrase-of")]


def test_a_dehydrated_pack_of_captures_that_are_all_quarantined_has_no_records(tmp_path):
    src = tmp_path / "captures"
    src.mkdir()
    (src / "empty.txt").write_bytes(b"")  # quarantined: nothing to extract
    settings = replace(SETTINGS, tier="metadata-only")
    release = pack([src], tmp_path / "dry", settings).path
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["settings"]["tier"] == "metadata-only"
    assert sum(pq.read_metadata(release / shard).num_rows for shard in record_shards(manifest)) == 0
    assert verify(release).ok


@pytest.mark.parametrize("damage", ["edited", "removed"])
def test_a_dehydrated_release_whose_files_differ_from_its_manifest_is_refused(
    releases, tmp_path, runner, damage
):
    from archive.cli import main

    dry = tmp_path / "dry"
    shutil.copytree(releases["dry"], dry)
    shard = sorted((dry / "data").glob("*.parquet"))[0]
    if damage == "edited":
        table = pq.read_table(shard)
        pq.write_table(table.slice(1), shard)  # a record taken out, the manifest untouched
    else:
        shard.unlink()
    args = ["rehydrate", str(dry), "--captures", str(releases["src"])]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    code = "E007" if damage == "edited" else "E005"
    assert result.stderr.startswith(f"{code} data/{shard.name}: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    "evidence",
    ['{"quotations":[{"evidence_sha256":"00","quotation":null}]}', '["evidence_sha256":]'],
)
def test_evidence_not_in_the_withheld_form_stays_withheld_and_counted(evidence):
    """A relation rehydrate cannot prove (no recorded hash at the top) is left as it is."""
    from archive.versions.rehydrate import _evidence_for

    class Repacked:
        def evidence(self, kind, a, b):
            return ['{"quotations":[]}']

    outcome = _Outcome()
    row = {"kind": "shares-quotation", "source_id": "a", "target_id": "b", "evidence": evidence}
    assert _evidence_for(row, Repacked(), outcome) == evidence
    assert (outcome.relations_restored, outcome.relations_withheld) == (0, 1)
