"""Every release is also a BagIt bag, a Data Package, Croissant metadata and a dataset card,
and each passes its own ecosystem's validator (bagit, frictionless, mlcroissant, huggingface)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import ARTICLE, CREATED
from hypothesis import given
from hypothesis import strategies as st

from archive import PackSettings, check_release, pack
from archive.collection import domain_outlets
from archive.exporters import derived_files
from archive.exporters.bagit import decode_path, encode_path
from archive.exporters.card import dataset_card, hub_license
from archive.exporters.common import record_schema, size_category

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DERIVED = {
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "manifest-sha512.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha512.txt",
    "datapackage.json",
    "croissant.json",
    "README.md",
}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The bundled example corpus, packed without a license (one shard)."""
    settings = PackSettings(
        "example",
        "1.0.0",
        datetime(2026, 1, 1, tzinfo=UTC),
        domain_outlets=domain_outlets(EXAMPLES / "outlets.toml"),
    )
    out = tmp_path_factory.mktemp("dist")
    return pack(
        [EXAMPLES / "captures"], out, settings, capture_log=EXAMPLES / "captures.jsonl"
    ).path


@pytest.fixture(scope="module")
def licensed(packed_captures) -> Path:
    """A small licensed release in three shards."""
    captures = {f"note-{i:02d}.txt": ARTICLE.replace("212", str(200 + i)) for i in range(12)}
    settings = PackSettings("Ferry-Notes", "2.1.0", CREATED, license="CC-BY-4.0", shards=3)
    return packed_captures("notes", captures, settings)


def manifest_of(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_bytes())


def working_copy(release: Path, tmp_path: Path) -> Path:
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    return copy


# --- derived files: written, verified, deterministic ------------------------------------------


@pytest.mark.parametrize("name", ["example", "licensed"])
def test_every_derived_file_is_written_and_verify_regenerates_it(name, request):
    release = request.getfixturevalue(name)
    data = (release / "manifest.json").read_bytes()
    derived = derived_files(release, json.loads(data), data)
    assert set(derived) == DERIVED
    for relative, content in derived.items():
        assert (release / relative).read_bytes() == content, relative
    assert derived_files(release, json.loads(data), data) == derived
    report = check_release(release)
    assert "files derived from the manifest" in report.checks
    file_problems = [p for p in report.problems if p.code in {"E005", "E007", "E008", "E018"}]
    assert not file_problems


def test_an_edited_derived_file_is_reported_as_e018(example, tmp_path):
    release = working_copy(example, tmp_path)
    card = release / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    (release / "bagit.txt").unlink()
    problems = {(p.code, p.path) for p in check_release(release).problems}
    assert ("E018", "README.md") in problems
    assert ("E005", "bagit.txt") in problems


def test_derived_files_read_the_schema_copy_the_manifest_names(example, tmp_path):
    release = working_copy(example, tmp_path)
    manifest = manifest_of(release)
    assert record_schema(release, manifest) == json.loads(
        (release / "schemas" / "record.schema.json").read_bytes()
    )
    # A copy whose hash is not the recorded one is not trusted (verify reports E016).
    copy = release / "schemas" / "record.schema.json"
    document = json.loads(copy.read_bytes())
    document["properties"]["text"]["description"] = "tampered"
    copy.write_text(json.dumps(document), encoding="utf-8")
    assert record_schema(release, manifest)["properties"]["text"].get("description") != "tampered"
    codes = {p.code for p in check_release(release).problems}
    assert "E016" in codes and "E018" not in codes


# --- BagIt -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["example", "licensed"])
def test_bagit_validates_the_release(name, request):
    bagit = pytest.importorskip("bagit")
    release = request.getfixturevalue(name)
    bag = bagit.Bag(str(release))
    assert bag.validate() is True
    assert bag.validate(fast=True) is True
    assert bag.version_info == (1, 0)
    assert set(bag.algorithms) == {"sha256", "sha512"}


def _bagit_validate(release: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("bagit")
    return subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(release)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_bagit_command_line_validates_the_release(example):
    result = _bagit_validate(example)
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr


def test_bagit_command_line_rejects_a_tampered_shard(example, tmp_path):
    release = working_copy(example, tmp_path)
    shard = next((release / "data").glob("*.parquet"))
    data = bytearray(shard.read_bytes())
    data[100] ^= 0xFF
    shard.write_bytes(bytes(data))
    result = _bagit_validate(release)
    assert result.returncode == 1
    assert "is invalid" in result.stderr and shard.name in result.stderr


def test_bagit_rejects_a_damaged_payload(example, tmp_path):
    bagit = pytest.importorskip("bagit")
    release = working_copy(example, tmp_path)
    shard = next((release / "data").glob("*.parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(release)).validate()
    assert "E007" in {p.code for p in check_release(release).problems}


def test_bag_info_states_the_payload_and_the_release(licensed):
    manifest = manifest_of(licensed)
    info = dict(
        line.split(": ", 1) for line in (licensed / "bag-info.txt").read_text().splitlines()
    )
    payload = [e for e in manifest["files"] if e["path"].startswith("data/")]
    assert len(payload) == 3
    assert info["Payload-Oxum"] == f"{sum(e['bytes'] for e in payload)}.3"
    assert info["Bagging-Date"] == "2026-01-02"
    assert info["External-Identifier"] == "Ferry-Notes-2.1.0"
    assert info["Bag-Software-Agent"].startswith("archive ")
    assert (licensed / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    )


def test_manifests_list_the_payload_and_every_tag_file(licensed):
    payload = sorted(p.relative_to(licensed).as_posix() for p in (licensed / "data").iterdir())
    for algorithm in ("sha256", "sha512"):
        lines = (licensed / f"manifest-{algorithm}.txt").read_text().splitlines()
        assert [line.split("  ", 1)[1] for line in lines] == payload
        for line in lines:
            digest, path = line.split("  ", 1)
            assert hashlib.new(algorithm, (licensed / path).read_bytes()).hexdigest() == digest
        tags = (licensed / f"tagmanifest-{algorithm}.txt").read_text().splitlines()
        listed = {line.split("  ", 1)[1] for line in tags}
        on_disk = {
            p.relative_to(licensed).as_posix()
            for p in licensed.rglob("*")
            if p.is_file() and not p.name.startswith("tagmanifest-")
        }
        assert listed == on_disk - set(payload)


def test_rfc_8493_path_encoding():
    assert encode_path("data/a%b\r\nc.parquet") == "data/a%25b%0D%0Ac.parquet"
    assert encode_path("data/records-00000-of-00001.parquet") == (
        "data/records-00000-of-00001.parquet"
    )


@given(st.text(alphabet=st.sampled_from("ab%\r\n0AD/é"), max_size=30))
def test_path_encoding_round_trips_and_leaves_no_line_break(path):
    encoded = encode_path(path)
    assert "\n" not in encoded and "\r" not in encoded
    assert decode_path(encoded) == path


# --- Frictionless Data Package -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dehydrated(tmp_path_factory) -> Path:
    """The example corpus packed metadata-only (text withheld), without relations."""
    settings = PackSettings(
        "example",
        "1.0.0",
        datetime(2026, 1, 1, tzinfo=UTC),
        domain_outlets=domain_outlets(EXAMPLES / "outlets.toml"),
        tier="metadata-only",
        relations=False,
    )
    out = tmp_path_factory.mktemp("dist")
    return pack(
        [EXAMPLES / "captures"], out, settings, capture_log=EXAMPLES / "captures.jsonl"
    ).path


def _command(name: str) -> str:
    """The console script the venv installs, as users call it."""
    command = shutil.which(name, path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip(f"the {name} command is not installed")
    return command


def _frictionless(*args: str) -> subprocess.CompletedProcess:
    pytest.importorskip("frictionless")
    return subprocess.run(
        [_command("frictionless"), *args], capture_output=True, text=True, check=False
    )


def _frictionless_tasks(descriptor: Path) -> list[dict]:
    result = _frictionless("validate", "--json", str(descriptor))
    return json.loads(result.stdout)["tasks"]


@pytest.mark.parametrize("name", ["example", "licensed", "dehydrated"])
def test_frictionless_command_validates_the_release(name, request):
    release = request.getfixturevalue(name)
    result = _frictionless("validate", str(release / "datapackage.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "INVALID" not in result.stdout


def test_frictionless_reads_every_row_and_hashes_every_shard(licensed):
    """The plugin archive ships (frictionless_archive) is found by frictionless by itself: it
    reads the shards through frictionless's loader, which counts and hashes their bytes."""
    tasks = _frictionless_tasks(licensed / "datapackage.json")
    manifest = manifest_of(licensed)
    shards = {e["path"]: e for e in manifest["files"] if e["path"].startswith("data/")}
    assert sorted(t["place"] for t in tasks) == sorted(shards) and len(tasks) == 3
    for task in tasks:
        assert task["valid"] and task["stats"]["rows"] == shards[task["place"]]["rows"]
        assert task["stats"]["sha256"] == shards[task["place"]]["sha256"]
        assert task["stats"]["bytes"] == shards[task["place"]]["bytes"]


def test_frictionless_command_rejects_a_tampered_shard(example, tmp_path):
    release = working_copy(example, tmp_path)
    shard = next((release / "data").glob("*.parquet"))
    # Still a well-formed shard with well-typed rows: only its hash tells it apart.
    table = pq.read_table(shard)
    titles = table["title"].to_pylist()
    titles[0] = "A title someone changed"
    table = table.set_column(table.schema.get_field_index("title"), "title", [titles])
    pq.write_table(table, shard, compression="zstd")
    result = _frictionless("validate", str(release / "datapackage.json"))
    assert result.returncode == 1, result.stdout
    assert "INVALID" in result.stdout and "hash-count" in result.stdout


_WITHOUT_PLUGIN = """
import pkgutil, sys
found = pkgutil.iter_modules
ours = "frictionless_archive"
pkgutil.iter_modules = lambda *a, **k: [m for m in found(*a, **k) if m.name != ours]
from frictionless.__main__ import console
sys.argv = ["frictionless", *sys.argv[1:]]
console()
"""


def test_frictionless_without_archive_installed_still_validates(dehydrated):
    """Where archive is not installed, frictionless's own Parquet reader reads the rows (lists
    declared ``any``, no ``bytes`` it cannot count) but hashes nothing."""
    pytest.importorskip("frictionless")
    descriptor = str(dehydrated / "datapackage.json")
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PLUGIN, "validate", "--json", descriptor],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (task,) = json.loads(result.stdout)["tasks"]
    assert task["valid"] and task["stats"]["rows"] == manifest_of(dehydrated)["counts"]["records"]
    assert "sha256" not in task["stats"]


def test_the_frictionless_plugin_imports_nothing_heavy_nor_archive():
    pytest.importorskip("frictionless")
    code = (
        "import sys; sys.modules['archive'] = None; import frictionless_archive; "
        "print(sorted(m for m in ('numpy', 'pyarrow', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_table_schema_follows_the_parquet_columns(licensed):
    descriptor = json.loads((licensed / "datapackage.json").read_bytes())
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert descriptor["licenses"] == [{"name": "CC-BY-4.0"}]
    assert len(descriptor["resources"]) == 3
    resource = descriptor["resources"][0]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    columns = pq.read_schema(licensed / resource["path"]).names
    assert list(fields) == columns
    assert fields["capture"]["type"] == "object"
    # Lists are "any" (frictionless reads Parquet lists as numpy arrays, which "array" rejects)
    # and keep their JSON Schema rule; structs keep theirs too.
    assert fields["authors"]["type"] == "any"
    assert fields["authors"]["jsonSchema"] == {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
    }
    assert fields["capture"]["jsonSchema"]["required"][0] == "source_path"
    assert "description" not in fields["categories"]["jsonSchema"]
    assert "bytes" not in resource and resource["hash"].startswith("sha256:")
    assert fields["published_at"]["type"] == "datetime"
    assert fields["raw_bytes"]["type"] == "integer"
    assert fields["record_id"]["constraints"] == {"required": True, "pattern": "[0-9a-f]{32}"}
    assert "required" not in fields["title"].get("constraints", {})
    assert resource["schema"]["primaryKey"] == ["record_id"]


# --- Croissant ---------------------------------------------------------------------------------


def _croissant_dataset(release: Path):
    mlcroissant = pytest.importorskip("mlcroissant")
    return mlcroissant.Dataset(jsonld=str(release / "croissant.json"))


def test_mlcroissant_validates_and_loads_every_record(example):
    dataset = _croissant_dataset(example)
    issues = dataset.metadata.ctx.issues
    assert not issues.errors
    # No license was given: the one warning left says so, and the description says it too.
    assert all("license" in w for w in issues.warnings), issues.warnings
    records = list(dataset.records("records"))
    table = pq.read_table(example / "data")
    assert len(records) == table.num_rows == manifest_of(example)["counts"]["records"]
    by_id = {r["records/record_id"].decode(): r for r in records}
    assert set(by_id) == set(table["record_id"].to_pylist())
    row = table.slice(0, 1).to_pylist()[0]
    record = by_id[row["record_id"]]
    assert record["records/text"].decode() == row["text"]
    assert (
        record["records/capture"]["records/capture/source_path"].decode()
        == (row["capture"]["source_path"])
    )
    assert [a.decode() for a in record["records/authors"]] == row["authors"]
    assert [s["records/spans/kind"].decode() for s in record["records/spans"]] == [
        s["kind"] for s in row["spans"]
    ]


def _mlcroissant_validate(croissant: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("mlcroissant")
    return subprocess.run(
        [_command("mlcroissant"), "validate", "--jsonld", str(croissant)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_mlcroissant_command_line_validates(example):
    result = _mlcroissant_validate(example / "croissant.json")
    assert result.returncode == 0, result.stderr
    assert "Done." in result.stderr and "error" not in result.stderr


def test_mlcroissant_command_line_rejects_a_dangling_reference(example, tmp_path):
    release = working_copy(example, tmp_path)
    path = release / "croissant.json"
    document = json.loads(path.read_bytes())
    file_set = next(d for d in document["distribution"] if d["@type"] == "cr:FileSet")
    file_set["@id"] = "elsewhere"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = _mlcroissant_validate(path)
    assert result.returncode == 1
    assert "records-parquet" in result.stderr and "doesn't exist" in result.stderr


def test_croissant_carries_the_real_hashes_and_the_license(licensed):
    dataset = _croissant_dataset(licensed)
    assert not dataset.metadata.ctx.issues.errors
    assert not dataset.metadata.ctx.issues.warnings
    document = json.loads((licensed / "croissant.json").read_bytes())
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert document["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    objects = [d for d in document["distribution"] if d["@type"] == "cr:FileObject"]
    assert len(objects) == 3
    for item in objects:
        data = (licensed / item["contentUrl"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(list(dataset.records("records"))) == 12


# --- Hugging Face dataset card -----------------------------------------------------------------


def _front_matter(card: str) -> dict:
    yaml = pytest.importorskip("yaml")
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n", 2)[1])


def test_card_front_matter_is_what_the_hub_reads(licensed):
    hub = pytest.importorskip("huggingface_hub")
    card = hub.DatasetCard.load(licensed / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert data["size_categories"] == ["n<1K"]
    config = data["configs"][0]
    assert config["config_name"] == "default"
    (split,) = config["data_files"]
    shards = sorted(licensed.glob(split["path"]))
    assert split["split"] == "train" and len(shards) == 3
    assert "sha256sum -c manifest.json.sha256" in card.text
    for shard in shards:
        assert hashlib.sha256(shard.read_bytes()).hexdigest() in card.text


def test_card_without_license_says_so(example):
    card = (example / "README.md").read_text(encoding="utf-8")
    assert _front_matter(card)["license"] == "unknown"
    assert "No license was recorded" in card


def test_card_languages_come_from_the_manifest_coverage(example):
    manifest = manifest_of(example)
    schema = record_schema(example, manifest)
    assert _front_matter(dataset_card(manifest, schema).decode())["language"] == ["en"]
    del manifest["coverage"]["languages"]
    assert "language" not in _front_matter(dataset_card(manifest, schema).decode())
    manifest["coverage"]["languages"] = {"en": 12, "de": 3}
    card = dataset_card(manifest, schema).decode()
    assert _front_matter(card)["language"] == ["en", "de"]
    assert "`en` 12, `de` 3" in card


def test_card_coverage_figures_are_the_manifest_counts(example):
    counts = manifest_of(example)["counts"]
    card = (example / "README.md").read_text(encoding="utf-8")
    assert f"| records | {counts['records']} | |" in card
    assert f"| quarantined inputs | {counts['quarantined']} | |" in card
    assert f"| outlet unknown | {counts['unknown_outlet']} |" in card


@pytest.mark.parametrize(
    ("rows", "label"),
    [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (250_000, "100K<n<1M"), (10**13, "n>1T")],
)
def test_size_categories(rows, label):
    assert size_category(rows) == label


def test_hub_license_names():
    assert hub_license("Apache-2.0") == ("apache-2.0", None)
    assert hub_license("LicenseRef-Harbour-Terms") == ("other", "LicenseRef-Harbour-Terms")
