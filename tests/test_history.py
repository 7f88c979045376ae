"""``archive log``: the hash chain of a release's parents, each link verified; tampering found."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import PackSettings, pack
from archive.format.manifest import MANIFEST, canonical_json, write_manifest
from archive.inspect import read_manifest
from archive.release.plan import record_id
from archive.versions.history import check_parent, history_ok, log

CREATED = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
SETTINGS = PackSettings("valley", "1.0.0", CREATED, extract="none")


def note(n: int) -> str:
    """Fictional captures, written for these tests."""
    return f"Orchard report {n} from Brackenfold\n\nThe cider press ran {n} days in a row.\n"


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Path:
    """valley-1.0.0 <- 1.1.0 (an addition) <- 2.0.0 (a withdrawal), in one out folder."""
    base = tmp_path_factory.mktemp("chain")
    src = base / "captures"
    src.mkdir()
    for n in range(4):
        (src / f"n{n}.txt").write_text(note(n), encoding="utf-8")
    dist = base / "dist"
    pack([src], dist, SETTINGS)
    (src / "n4.txt").write_text(note(4), encoding="utf-8")
    pack([src], dist, replace(SETTINGS, version="1.1.0"))
    withdrawal = ((record_id("captures/n2.txt"), "court order"),)
    pack([src], dist, replace(SETTINGS, version="2.0.0", withdrawals=withdrawal))
    return dist


@pytest.fixture
def dist(chain: Path, tmp_path: Path) -> Path:
    """A copy of the chain a test may break."""
    return shutil.copytree(chain, tmp_path / "dist")


def digest(release: Path) -> str:
    return hashlib.sha256((release / MANIFEST).read_bytes()).hexdigest()


def codes(links) -> list[str]:
    return [problem.code for link in links for problem in link.problems]


def test_the_chain_back_to_the_first_release(chain):
    links = log(chain / "valley-2.0.0")
    assert [link.version for link in links] == ["2.0.0", "1.1.0", "1.0.0"]
    assert history_ok(links) and codes(links) == []
    assert links[0].recorded_sha256 is None  # nothing records the release asked about
    assert links[1].manifest_sha256 == links[1].recorded_sha256 == digest(chain / "valley-1.1.0")
    assert links[2].recorded_sha256 == digest(chain / "valley-1.0.0")
    assert links[0].counts["withdrawn"] == 1 and links[1].counts["withdrawn"] == 0
    assert links[0].changes["counts"]["withdrawn"] == 1
    assert links[0].changes["bump"]["implied"] == "major"
    assert links[1].changes["counts"]["added"] == 1
    assert links[2].changes is None  # the first release has no CHANGES.json
    assert check_parent(chain / "valley-2.0.0") == []


def test_an_edited_parent_with_a_recomputed_digest_breaks_the_link(dist):
    """The attacker rewrites the parent's manifest and its digest file: only the child's
    record of the digest catches it."""
    parent = dist / "valley-1.1.0"
    manifest = read_manifest(parent)
    manifest["created"] = "2020-01-01T00:00:00Z"
    write_manifest(parent, manifest)
    links = log(dist / "valley-2.0.0")
    assert codes(links) == ["E031"] and not links[1].ok and links[2].ok
    assert links[1].problems[0].expected == links[1].recorded_sha256 != links[1].manifest_sha256
    assert [p.code for p in check_parent(dist / "valley-2.0.0")] == ["E031"]
    assert check_parent(dist / "valley-1.1.0") == []  # its own link still holds


def test_an_edited_parent_manifest_fails_its_own_digest_too(dist):
    path = dist / "valley-1.0.0" / MANIFEST
    path.write_bytes(path.read_bytes().replace(b'"valley"', b'"valley" '))
    links = log(dist / "valley-2.0.0")
    assert codes(links) == ["E032", "E031"]
    assert links[2].version == "1.0.0"
    assert sorted(p.code for p in check_parent(dist / "valley-1.1.0")) == ["E031", "E032"]


def test_a_replaced_parent_is_not_the_release_recorded(dist, tmp_path):
    """Another valley-1.1.0 (packed from other captures) in the parent's place."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "n0.txt").write_text(note(40), encoding="utf-8")
    impostor = pack([other], tmp_path / "elsewhere", replace(SETTINGS, version="1.1.0")).path
    shutil.rmtree(dist / "valley-1.1.0")
    shutil.copytree(impostor, dist / "valley-1.1.0")
    links = log(dist / "valley-2.0.0")
    assert codes(links) == ["E031"] and len(links) == 2  # the impostor has no parent


def test_a_missing_parent_ends_the_chain_with_e030(dist, tmp_path):
    moved = shutil.move(dist / "valley-1.0.0", tmp_path / "valley-1.0.0")
    links = log(dist / "valley-2.0.0")
    assert [link.version for link in links] == ["2.0.0", "1.1.0", "1.0.0"]
    assert codes(links) == ["E030"] and links[2].path is None
    assert "archive log --search" in links[2].problems[0].message
    assert history_ok(log(dist / "valley-2.0.0", search=[tmp_path]))
    assert history_ok(log(dist / "valley-2.0.0", search=[moved]))
    assert check_parent(dist / "valley-1.1.0") == []
    assert [p.code for p in check_parent(dist / "valley-1.1.0", require=True)] == ["E030"]


def test_a_malformed_parent_entry_is_never_opened(dist):
    release = dist / "valley-1.1.0"
    manifest = read_manifest(release)
    manifest["parent"] = {"name": "../../etc", "version": "1.0.0", "manifest_sha256": "0" * 64}
    write_manifest(release, manifest)
    links = log(release)
    assert codes(links) == ["E033"] and len(links) == 1
    assert [p.code for p in check_parent(release)] == ["E033"]


def test_the_release_asked_about_reports_its_own_digest_as_verify_does(dist):
    path = dist / "valley-2.0.0" / MANIFEST
    manifest = json.loads(path.read_bytes())
    manifest["created"] = "2030-01-01T00:00:00Z"
    path.write_bytes(canonical_json(manifest))
    assert codes(log(dist / "valley-2.0.0")) == ["E003"]


def test_a_release_whose_manifest_cannot_be_read_is_named_by_its_path(dist, runner):
    """It was shown as "None None"."""
    from archive.cli import main

    release = dist / "valley-2.0.0"
    (release / MANIFEST).write_text("{broken")
    result = runner.invoke(main, ["log", str(release)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{release}  -  manifest ?  BROKEN"
    assert lines[1].startswith(f"    E001 {release / MANIFEST}: cannot be read (")


def test_the_log_command(chain, dist, runner):
    from archive.cli import main

    ok = runner.invoke(main, ["log", str(chain / "valley-2.0.0")])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[0].startswith("valley 2.0.0  2026-05-06T07:08:09Z  manifest ")
    assert "0 added, 0 removed, 1 withdrawn, 0 changed; implied bump major" in lines[1]
    as_json = runner.invoke(main, ["log", str(chain / "valley-2.0.0"), "--json"])
    assert [link["version"] for link in json.loads(as_json.output)] == ["2.0.0", "1.1.0", "1.0.0"]
    manifest = read_manifest(dist / "valley-1.0.0")
    manifest["created"] = "2026-05-06T07:08:10Z"  # re-written, digest file and all
    write_manifest(dist / "valley-1.0.0", manifest)
    broken = runner.invoke(main, ["log", str(dist / "valley-2.0.0")])
    assert broken.exit_code == 1 and "E031" in broken.output
    assert runner.invoke(main, ["log", str(dist / "nothing-here")]).exit_code == 2


def test_the_changes_of_a_version_listing_a_million_ids_are_still_read(dist):
    """CHANGES.json lists every changed id: 37 MiB for a million, over the 16 MiB read of a
    small JSON file, and the log (and the summary) must still find its counts."""
    from archive.summary import versions_of

    release = dist / "valley-1.1.0"
    data = json.loads((release / "CHANGES.json").read_bytes())
    data["changed"] = [f"{n:032x}" for n in range(1_000_000)]
    data["counts"]["changed"] = 1_000_000
    (release / "CHANGES.json").write_bytes(canonical_json(data))
    assert (release / "CHANGES.json").stat().st_size > 16 * 2**20
    links = log(release)
    assert links[0].changes["counts"]["changed"] == 1_000_000
    versions = versions_of(release, read_manifest(release))
    assert versions.changes["counts"]["changed"] == 1_000_000
    assert versions.changes["ids"]["changed"][:2] == [f"{0:032x}", f"{1:032x}"]


@pytest.mark.parametrize(
    "content", [b"", b"{", b'{"counts": {"added": 1}}', b'{"bump": {}, "counts": [1]}', b"\xff"]
)
def test_a_changes_file_that_is_not_one_is_said_to_be_unreadable(dist, content, runner, tmp_path):
    """Not taken for a release without a parent, which the report said it was."""
    from archive.cli import main
    from archive.summary import versions_of

    release = dist / "valley-1.1.0"
    (release / "CHANGES.json").write_bytes(content)
    [why] = log(release)[0].changes.values()
    assert versions_of(release, read_manifest(release)).changes == {"error": why}
    assert "\n" not in why
    result = runner.invoke(main, ["log", str(release)])
    said = (
        f"    CHANGES.json cannot be read ({why}): run archive verify, and archive validate on it"
    )
    assert said in result.output.splitlines()
    result = runner.invoke(main, ["report", str(release), "--out", str(tmp_path / "report")])
    assert result.exit_code == 1 and "the report lists them" in result.output  # E007
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "report").rglob("*.html"))
    assert "cannot be read" in pages and "this release has no parent" not in pages


def test_a_version_withdrawing_records_lists_their_ids_in_the_summary_and_report(chain, tmp_path):
    """CHANGES.json lists each withdrawal as its tombstone; the summary shows its record id
    (the report's page of versions took the tombstone for an id, and stopped)."""
    from archive.report.build import write_report
    from archive.summary import versions_of

    release = chain / "valley-2.0.0"
    versions = versions_of(release, read_manifest(release))
    assert versions.changes["ids"]["withdrawn"] == [record_id("captures/n2.txt")]
    written = write_report(release, tmp_path / "report")
    pages = "".join(p.read_text(encoding="utf-8") for p in Path(written.path).rglob("*.html"))
    assert f"<code>{record_id('captures/n2.txt')}</code>" in pages


def test_the_summary_and_report_of_an_edited_changes_file_leave_out_what_is_no_id(dist, tmp_path):
    """A CHANGES.json edited since its pack (verify says so) still gets its report, without
    what is not an id or a count (the report stopped on each of these)."""
    from archive.report.build import write_report
    from archive.summary import versions_of

    release = dist / "valley-2.0.0"
    data = json.loads((release / "CHANGES.json").read_bytes())
    data["added"] = [1, ["a"], "x", None]
    data["withdrawn"] = [{"reason": "court order"}]
    data["counts"]["withdrawn"] = "1"
    data["bump"]["reasons"] = 5  # the report stopped on it (TypeError)
    (release / "CHANGES.json").write_bytes(canonical_json(data))
    changes = versions_of(release, read_manifest(release)).changes
    assert changes["ids"]["added"] == ["x"] and changes["ids"]["withdrawn"] == []
    assert "withdrawn" not in changes["counts"] and changes["counts"]["added"] == 0
    write_report(release, tmp_path / "report")


def test_a_release_of_the_parents_name_and_version_that_is_not_it_gives_way_to_the_parent(
    tmp_path,
):
    """A dehydrated 1.0.0 beside a 1.1.0 packed --from the full 1.0.0 (the parent its rows came
    from) has the parent's name and version, not its digest: the search goes on to the parent
    instead of calling the genuine history broken (E031)."""
    src = tmp_path / "captures"
    src.mkdir()
    for n in range(3):
        (src / f"n{n}.txt").write_text(note(n), encoding="utf-8")
    full = pack([src], tmp_path / "dist", SETTINGS).path
    dry = tmp_path / "dry"
    dehydrated = replace(SETTINGS, tier="metadata-only")
    pack([src], dry, dehydrated, parent=None)
    child = pack([src], dry, replace(dehydrated, version="1.1.0"), parent=full).path
    assert codes(log(child)) == ["E031"]  # only the dehydrated copy is at hand
    assert check_parent(child, search=[tmp_path / "dist"]) == []
    links = log(child, search=[tmp_path / "dist"])
    assert history_ok(links) and [link.path for link in links] == [child, full]
    assert codes(log(child, search=[dry])) == ["E031"]  # the copy alone: still not the parent
