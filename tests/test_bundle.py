"""``archive bundle``: one reproducible file per release, that ``verify`` accepts and that is
opened safely."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ARTICLE, CREATED

from archive import PackSettings, check_release
from archive.cli import main
from archive.errors import UsageError, VerificationError
from archive.versions.bundle import BundleError, _top, bundle, opened_bundle, unsafe_members


@pytest.fixture(scope="module")
def release(packed_captures) -> Path:
    captures = {f"coast/crossing-{i}.txt": ARTICLE.replace("212", str(300 + i)) for i in range(6)}
    captures["coast/empty.txt"] = b""
    return packed_captures("ferries", captures, PackSettings("ferries", "1.0.0", CREATED, shards=2))


def test_the_same_release_gives_the_same_bytes(release, tmp_path):
    first = bundle(release, tmp_path / "a.tar")
    second = bundle(release, tmp_path / "b.tar")
    assert first.read_bytes() == second.read_bytes()
    zipped = bundle(release, tmp_path / "a.tar.gz")
    assert zipped.read_bytes() == bundle(release, tmp_path / "b.tgz").read_bytes()
    assert gzip.decompress(zipped.read_bytes()) == first.read_bytes()


def test_file_times_owners_and_modes_do_not_change_the_bytes(release, tmp_path):
    copy = tmp_path / "elsewhere" / release.name
    shutil.copytree(release, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
        path.chmod(0o700 if path.is_dir() else 0o600)
    assert bundle(copy, tmp_path / "copy.tar").read_bytes() == (
        bundle(release, tmp_path / "original.tar").read_bytes()
    )


def test_members_are_sorted_with_fixed_metadata(release, tmp_path):
    created = json.loads((release / "manifest.json").read_bytes())["created"]
    epoch = int(datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp())
    with tarfile.open(bundle(release, tmp_path / "r.tar")) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names[0] == release.name
    assert all(name.startswith(f"{release.name}/") for name in names[1:])
    files = [m for m in members if m.isfile()]
    on_disk = sorted(p.relative_to(release.parent).as_posix() for p in release.rglob("*"))
    assert sorted(names[1:]) == on_disk
    assert [m.name for m in files] == sorted(m.name for m in files)
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (
            epoch,
            0,
            0,
            "",
            "",
        )
        assert member.mode == (0o755 if member.isdir() else 0o644)


def test_verify_accepts_the_bundle_directly(release, tmp_path, runner):
    path = bundle(release, tmp_path / "ferries.tar.gz")
    report = check_release(path)
    assert report.path == str(path)
    assert not [p for p in report.problems if p.code in {"E005", "E007", "E008", "E018"}]
    assert report.records == check_release(release).records > 0
    result = runner.invoke(main, ["verify", str(path)])
    assert result.exit_code == (0 if report.ok else 1)


def test_a_renamed_copy_is_bundled_under_its_manifests_name(release, tmp_path):
    """The bundle's folder is <name>-<version>: a copy renamed on disk was bundled under its
    own name, and that bundle failed verify (E027), as a rollback would."""
    copy = shutil.copytree(release, tmp_path / "my copy")
    out = bundle(copy, tmp_path / "copy.tar")
    with tarfile.open(out) as tar:
        tops = {name.split("/")[0] for name in tar.getnames()}
    assert tops == {release.name}
    assert check_release(out).ok
    assert out.read_bytes() == bundle(release, tmp_path / "same.tar").read_bytes()


@pytest.mark.parametrize(
    "name, version", [("../../evil", "1.0.0"), ("x", "1.0.0/../../y"), (None, "1.0.0"), ("", "")]
)
def test_a_manifest_name_that_is_no_folder_name_is_never_the_bundles_folder(name, version):
    """A forged manifest's name must not put members outside the bundle's folder: the folder's
    own name is used then (verify rejects such a manifest anyway)."""
    manifest = {"name": name, "version": version}
    assert _top(manifest, Path("/releases/my copy")) == "my copy"


def test_verify_reports_a_file_changed_inside_the_bundle(release, tmp_path):
    copy = tmp_path / "copy" / release.name
    shutil.copytree(release, copy)
    path = tmp_path / "tampered.tar"
    with tarfile.open(path, "w") as tar:
        for item in sorted(copy.rglob("*")):
            if item.name == "quarantine.jsonl":
                item.write_bytes(item.read_bytes().replace(b"empty", b"EMPTY"))
            tar.add(item, arcname=item.relative_to(copy.parent).as_posix(), recursive=False)
    codes = {(p.code, p.path) for p in check_release(path).problems}
    assert ("E007", "quarantine.jsonl") in codes


def test_a_damaged_release_is_not_bundled(release, tmp_path):
    copy = tmp_path / "copy" / release.name
    shutil.copytree(release, copy)
    shard = sorted((copy / "data").glob("*.parquet"))[0]
    data = bytearray(shard.read_bytes())
    data[10] ^= 0xFF
    shard.write_bytes(bytes(data))
    out = tmp_path / "out" / "damaged.tar"
    with pytest.raises(VerificationError) as caught:
        bundle(copy, out)
    assert [(p.code, p.path) for p in caught.value.problems] == [
        ("E007", shard.relative_to(copy).as_posix())
    ]
    assert not out.exists() and list(out.parent.iterdir()) == []


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("unlisted", "E008"),
        ("empty-folder", "E008"),
        ("digest-missing", "E002"),
        ("digest-stale", "E003"),
    ],  # fmt: skip
)
def test_a_release_verify_refuses_for_its_files_or_its_digest_is_not_bundled(
    release, tmp_path, damage, code
):
    copy = tmp_path / "copy" / release.name
    shutil.copytree(release, copy)
    if damage == "unlisted":
        (copy / "notes.txt").write_text("stray notes\n")
    elif damage == "empty-folder":
        (copy / "notes").mkdir()
    elif damage == "digest-missing":
        (copy / "manifest.json.sha256").unlink()
    else:
        (copy / "manifest.json.sha256").write_text("0" * 64 + "  manifest.json\n")
    assert code in {p.code for p in check_release(copy).problems}
    out = tmp_path / "out" / "damaged.tar"
    with pytest.raises(VerificationError) as caught:
        bundle(copy, out)
    assert [p.code for p in caught.value.problems] == [code]
    assert not out.exists()


def test_a_release_given_as_dot_from_inside_it_is_bundled_beside_it(
    release, tmp_path, runner, monkeypatch
):
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    for where, given in ((copy, "."), (copy / "data", "..")):
        monkeypatch.chdir(where)
        result = runner.invoke(main, ["bundle", given, "--force"])
        assert result.exit_code == 0, result.output
        assert Path(result.stdout.strip()) == tmp_path / f"{release.name}.tar"


def test_links_in_a_release_are_refused(release, tmp_path):
    copy = tmp_path / "copy" / release.name
    shutil.copytree(release, copy)
    (copy / "notes.txt").symlink_to(copy / "bagit.txt")
    with pytest.raises(UsageError, match="symbolic link"):
        bundle(copy, tmp_path / "linked.tar")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "{tmp}/x.zip"], "*.tar"),
        (["--out", "{release}/inside.tar"], "inside the release"),
    ],
)
def test_bundle_usage_errors(release, tmp_path, runner, args, message):
    args = [a.format(tmp=tmp_path, release=release) for a in args]
    result = runner.invoke(main, ["bundle", str(release), *args])
    assert result.exit_code == 2 and message in result.stderr


def test_bundle_command(release, tmp_path, runner):
    out = tmp_path / "f.tar"
    result = runner.invoke(main, ["bundle", str(release), "--out", str(out)])
    assert result.exit_code == 0 and result.stdout.strip() == str(out)
    again = runner.invoke(main, ["bundle", str(release), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.stderr
    forced = runner.invoke(main, ["bundle", str(release), "--out", str(out), "--force"])
    assert forced.exit_code == 0
    missing = runner.invoke(main, ["bundle", str(tmp_path / "nothing")])
    assert missing.exit_code == 2


def test_default_bundle_is_beside_the_release(release, tmp_path, runner):
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    result = runner.invoke(main, ["bundle", str(copy)])
    assert result.exit_code == 0
    assert Path(result.stdout.strip()) == tmp_path / f"{release.name}.tar"


# --- opening hostile bundles -------------------------------------------------------------------


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _member(name: str, kind=tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


HOSTILE = {
    "absolute": [(_member("/tmp/evil.txt"), b"x")],
    "dot-dot": [(_member("r/../../evil.txt"), b"x")],
    "symlink": [(_member("r/link", tarfile.SYMTYPE, "/etc/passwd"), None)],
    "hard link": [(_member("r/a"), b"x"), (_member("r/b", tarfile.LNKTYPE, "r/a"), None)],
    "device": [(_member("r/tty", tarfile.CHRTYPE), None)],
    "fifo": [(_member("r/pipe", tarfile.FIFOTYPE), None)],
    "duplicate": [(_member("r/a"), b"x"), (_member("r/a"), b"y")],
    # the same file once more, by a name that extracts to the same place: the last one wins
    "duplicate spelt otherwise": [(_member("r/a"), b"x"), (_member("./r//a"), b"y")],
    "two releases": [(_member("r/a"), b"x"), (_member("s/a"), b"y")],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_bundles_are_refused_before_anything_is_written(kind, tmp_path):
    path = _tar(tmp_path / f"{kind}.tar", HOSTILE[kind])
    temp = Path(tempfile.gettempdir())
    before = set(temp.iterdir())
    with pytest.raises(BundleError), opened_bundle(path):
        pass
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    leftovers = {p for p in set(temp.iterdir()) - before if "archive-bundle" in p.name}
    assert not leftovers


def test_unsafe_members_names_each_reason(tmp_path):
    path = _tar(tmp_path / "all.tar", HOSTILE["dot-dot"] + HOSTILE["device"])
    with tarfile.open(path) as tar:
        reasons = unsafe_members(tar.getmembers())
    assert reasons == [
        "r/../../evil.txt: path leaves the bundle",
        "r/tty: device, FIFO or other special file",
    ]


def test_not_a_bundle(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(BundleError), opened_bundle(junk):
        pass
    with pytest.raises(UsageError):
        check_release(junk)


def test_opened_bundle_cleans_up(release, tmp_path):
    path = bundle(release, tmp_path / "c.tar")
    with opened_bundle(path) as opened:
        assert opened.name == release.name
        assert (opened / "manifest.json").read_bytes() == (release / "manifest.json").read_bytes()
    assert not opened.exists()


def test_a_member_larger_than_its_manifest_states_is_refused_before_extraction(tmp_path):
    # 256 MiB of zeros declared in the tar header, compressed to about 250 KB: nothing extracted.
    bundle_path = tmp_path / "bomb-1.0.0.tar.gz"
    manifest = json.dumps({"files": [{"path": "quarantine.jsonl", "bytes": 10}]}).encode()
    with tarfile.open(bundle_path, "w:gz") as tar:
        info = tarfile.TarInfo("bomb-1.0.0/manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        info = tarfile.TarInfo("bomb-1.0.0/quarantine.jsonl")
        info.size = 1 << 28
        tar.addfile(info, _Zeros(info.size))
    started = time.monotonic()
    refused = "holds 268,435,456 bytes, more than the 10 its manifest allows"
    with pytest.raises(BundleError, match=refused), opened_bundle(bundle_path):
        pass
    assert time.monotonic() - started < 30


class _Zeros(io.RawIOBase):
    def __init__(self, size: int):
        self.left = size

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count

    def readable(self) -> bool:
        return True


def test_a_bundle_larger_than_the_free_space_is_refused_whatever_its_manifest_states(
    tmp_path, monkeypatch
):
    bundle_path = tmp_path / "big-1.0.0.tar"
    manifest = json.dumps({"files": [{"path": "quarantine.jsonl", "bytes": 1 << 40}]}).encode()
    with tarfile.open(bundle_path, "w") as tar:
        for name, data in (("manifest.json", manifest), ("quarantine.jsonl", b"x" * 4096)):
            info = tarfile.TarInfo(f"big-1.0.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(0, 0, 1000))
    refused = "more than the 1,000 free where it would be opened"
    with pytest.raises(BundleError, match=refused), opened_bundle(bundle_path):
        pass
