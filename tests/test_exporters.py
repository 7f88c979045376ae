"""Every release is also a BagIt bag, a Data Package, Croissant metadata and a dataset card,
and each passes its own ecosystem's validator (bagit, frictionless, mlcroissant, huggingface)."""

from __future__ import annotations

import hashlib
import io
import json
import os
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
from archive.config import domain_outlets
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
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


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
def licensed(tmp_path_factory) -> Path:
    """A small licensed release in three shards."""
    root = tmp_path_factory.mktemp("corpus") / "notes"
    root.mkdir()
    for index in range(12):
        (root / f"note-{index:02d}.txt").write_text(
            ARTICLE.replace("212", str(200 + index)), encoding="utf-8"
        )
    settings = PackSettings("Ferry-Notes", "2.1.0", CREATED, license="CC-BY-4.0", shards=3)
    return pack([root], tmp_path_factory.mktemp("dist"), settings).path


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


def test_bagit_command_line_validates_the_release(example):
    pytest.importorskip("bagit")
    result = subprocess.run(
        [sys.executable, "-m", "bagit", "--validate", str(example)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stderr


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


def _frictionless_lists_plugin(frictionless):
    """frictionless-py's Parquet reader (5.x) has two gaps this plugin closes for the test:

    it opens the file by path, so it never counts the bytes nor hashes them (``bytes`` then
    fails and ``hash`` is silently skipped), and it hands list columns over as numpy arrays,
    which its own ``array`` type rejects. Reading the bytes through frictionless's loader and
    turning arrays into lists makes it check every byte, hash, row, type and constraint.
    """
    import numpy as np
    from frictionless.formats.parquet import ParquetParser
    from frictionless.resources import TableResource

    def plain(value):
        if isinstance(value, np.ndarray | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    class LoadedParquetParser(ParquetParser):
        requires_loader = True

        def read_cell_stream_create(self):
            stream = self.loader.byte_stream
            data = b"".join(iter(lambda: stream.read1(1 << 20), b""))
            frame = pq.read_table(io.BytesIO(data)).to_pandas(integer_object_nulls=True)
            with TableResource(data=frame, format="pandas") as resource:
                for cells in resource.cell_stream:
                    yield [plain(c) for c in cells]

    class LoadedParquetPlugin(frictionless.Plugin):
        def create_parser(self, resource):
            if resource.format == "parquet":
                return LoadedParquetParser(resource)

    return LoadedParquetPlugin()


@pytest.fixture
def frictionless_checks_bytes():
    frictionless = pytest.importorskip("frictionless")
    frictionless.system.register("archive-test-parquet", _frictionless_lists_plugin(frictionless))
    yield frictionless
    frictionless.system.deregister("archive-test-parquet")


def _errors(report) -> list[list]:
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_as_shipped_finds_only_its_own_reader_gaps(example):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(example / "datapackage.json"))
    arrays = {"authors", "provenance", "spans", "flags", "categories"}
    # its pandas reader turns a nullable integer column into floats (540 becomes 540.0)
    nullable_ints = {"published_utc_offset", "modified_utc_offset"}
    for row, field, kind, note in _errors(report):
        assert (kind == "type-error" and field in arrays | nullable_ints) or (
            kind == "byte-count" and note.endswith('actual is "None"')
        ), (row, field, kind, note)
    assert report.tasks[0].stats["rows"] == manifest_of(example)["counts"]["records"]


@pytest.mark.parametrize("name", ["example", "licensed"])
def test_frictionless_validates_the_data_package(name, request, frictionless_checks_bytes):
    release = request.getfixturevalue(name)
    report = frictionless_checks_bytes.validate(str(release / "datapackage.json"))
    assert report.valid, _errors(report)
    manifest = manifest_of(release)
    assert sum(t.stats["rows"] for t in report.tasks) == manifest["counts"]["records"]
    shards = {e["path"]: e for e in manifest["files"] if e["path"].startswith("data/")}
    for task in report.tasks:
        entry = shards[task.place]
        assert task.stats["sha256"] == entry["sha256"] and task.stats["bytes"] == entry["bytes"]


def test_frictionless_rejects_a_wrong_hash(example, tmp_path, frictionless_checks_bytes):
    release = working_copy(example, tmp_path)
    path = release / "datapackage.json"
    descriptor = json.loads(path.read_bytes())
    descriptor["resources"][0]["hash"] = "sha256:" + "0" * 64
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    report = frictionless_checks_bytes.validate(str(path))
    assert "hash-count" in {kind for _, _, kind, _ in _errors(report)}


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
    assert fields["authors"]["type"] == "array"
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


def test_mlcroissant_command_line_validates(example):
    pytest.importorskip("mlcroissant")
    command = shutil.which("mlcroissant", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("the mlcroissant command is not installed")
    result = subprocess.run(
        [command, "validate", "--jsonld", str(example / "croissant.json")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **OFFLINE},
    )
    assert result.returncode == 0, result.stderr


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
