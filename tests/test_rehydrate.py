"""``archive rehydrate``: a dehydrated release's text rebuilt from captures the user obtained."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from archive import PackSettings, pack, verify
from archive.release.plan import record_id
from archive.text.normalize import sha256_text
from archive.versions.diff import diff, implied_bump
from archive.versions.history import history_ok, log
from archive.versions.rehydrate import _Outcome, _verified, pack_settings_of, rehydrate

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
    }


def test_same_bytes_extracted_otherwise_is_a_text_change(releases, tmp_path):
    """Packed with a capture log naming the charset; rehydrated without it."""
    src = tmp_path / "captures"
    (src / "north").mkdir(parents=True)
    (src / "north" / "cafe.txt").write_bytes("Café de la lande\n\nOuvert à l’aube.\n".encode())
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "north/cafe.txt", "charset": "cp1252"}) + "\n", "utf-8")
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
