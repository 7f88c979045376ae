"""The fictional-corpus generator (benchmarks/fiction.py): deterministic, complete, parseable."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sys
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.capture.capturelog import entry_from_mapping
from archive.text.decode import decode_bytes

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "fiction.py"


def _load():
    spec = importlib.util.spec_from_file_location("fiction", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fiction"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


fiction = _load()

VOID = {"meta", "link", "img", "br", "hr", "input"}


class PageChecker(HTMLParser):
    """Collects meta tags and checks that every non-void element is closed in order."""

    def __init__(self):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.charset: str | None = None
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.paragraphs = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.charset = attrs.get("charset", self.charset)
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta[key] = attrs.get("content", "")
        if tag == "p":
            self.paragraphs += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> PageChecker:
    checker = PageChecker()
    checker.feed(page)
    checker.close()
    return checker


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_and_other_seed_other_bytes(tmp_path):
    first = fiction.generate_text_corpus(tmp_path / "a", 80, seed=5)
    fiction.generate_text_corpus(tmp_path / "b", 80, seed=5)
    fiction.generate_text_corpus(tmp_path / "c", 80, seed=6)
    a, b, c = (_tree(tmp_path / name) for name in "abc")
    assert a == b
    assert len(a) == 81 and first.log_path.name == "captures.jsonl"
    assert set(a.values()).isdisjoint(c.values())


def test_document_depends_only_on_seed_and_index(tmp_path):
    fiction.generate_text_corpus(tmp_path / "small", 20, seed=1, log=False)
    fiction.generate_text_corpus(tmp_path / "large", 40, seed=1, log=False)
    small, large = _tree(tmp_path / "small"), _tree(tmp_path / "large")
    assert all(large[path] == digest for path, digest in small.items())


def test_n_files_in_nested_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(fiction, "PER_FOLDER", 25)
    stats = fiction.generate_text_corpus(tmp_path, 60, seed=2, log=False)
    files = sorted(tmp_path.rglob("*.txt"))
    assert len(files) == stats.files == 60
    assert Counter(f.parent.name for f in files) == {"0000": 25, "0001": 25, "0002": 10}
    assert stats.folders == 3 and stats.log_path is None
    assert not (tmp_path / "captures.jsonl").exists()
    assert stats.total_bytes == sum(f.stat().st_size for f in files)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return root, fiction.generate_text_corpus(root, 1000, seed=11)


def test_log_covers_the_stated_share_with_valid_lines(corpus):
    root, stats = corpus
    lines = (root / "captures.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == stats.logged
    assert abs(stats.logged / stats.files - fiction.LOG_SHARE) < 0.05
    paths = set()
    for number, line in enumerate(lines, start=1):
        entry = entry_from_mapping(json.loads(line), number)  # the project's own log reader
        assert (root / entry.path).is_file()
        assert entry.url.startswith("https://www.") and ".example/" in entry.url
        paths.add(entry.path)
    assert len(paths) == len(lines)


def test_duplicates_are_byte_identical_copies(corpus):
    root, stats = corpus
    digests = Counter(_tree(root).values())
    copies = sum(count - 1 for count in digests.values())
    assert stats.duplicates > 0
    assert copies == stats.duplicates


def test_every_capture_decodes_and_encodings_vary(corpus):
    root, _ = corpus
    seen = Counter()
    for path in root.rglob("*.txt"):
        raw = path.read_bytes()
        decoded = decode_bytes(raw)
        seen[(decoded.encoding, decoded.method, "\r\n" in decoded.text)] += 1
    assert seen[("utf-8", "utf-8", False)] > 850
    assert seen[("utf-8", "bom", False)] > 0
    assert seen[("utf-16-le", "bom", False)] > 0
    assert seen[("utf-8", "utf-8", True)] > 0
    assert any(method == "detected" for _, method, _ in seen)


def test_furniture_recurs_within_an_outlet_only():
    texts: dict[str, list[str]] = {}
    rng = random.Random(3)
    for _ in range(300):
        story = fiction.article(rng)
        texts.setdefault(story.outlet, []).append(fiction.render_text(story, rng))
    courier = "Readers like you keep The Harbour Courier going."
    assert sum(courier in t for t in texts["The Harbour Courier"]) >= 3
    others = [t for name, group in texts.items() if name != "The Harbour Courier" for t in group]
    assert not any(courier in t for t in others)


def test_unnamed_outlet_never_prints_its_name():
    rng = random.Random(4)
    farm = [o for o in fiction.OUTLETS if not o.named]
    assert farm
    printed = 0
    for _ in range(400):
        story = fiction.article(rng)
        text = fiction.render_text(story, rng)
        if story.outlet == farm[0].name:
            printed += 1
            assert farm[0].name not in text
    assert printed


@pytest.mark.parametrize("mean_bytes", [1500, 3000, 8000])
def test_mean_size_follows_mean_bytes(mean_bytes):
    rng = random.Random(mean_bytes)
    sizes = []
    for _ in range(300):
        story = fiction.article(rng, mean_bytes=mean_bytes)
        sizes.append(len(fiction.render_text(story, rng).encode("utf-8")))
    assert abs(sum(sizes) / len(sizes) - mean_bytes) < 0.15 * mean_bytes


def test_text_holds_body_byline_and_dateline():
    rng = random.Random(9)
    for _ in range(50):
        story = fiction.article(rng)
        text = fiction.render_text(story, rng)
        assert all(p in text for p in story.paragraphs)
        assert story.dateline in text and story.byline in text
        assert story.published_at.tzinfo is not None


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_html_parses_with_the_metadata(seed):
    rng = random.Random(seed)
    story = fiction.article(rng)
    page = _parse(fiction.render_html(story, rng))
    assert page.errors == [] and page.stack == []
    assert page.charset == "utf-8"
    assert page.meta["og:title"] == story.headline
    assert page.meta["og:site_name"] == story.outlet
    assert page.meta["author"] == ", ".join(story.authors)
    published = datetime.fromisoformat(page.meta["article:published_time"])
    assert published == story.published_at
    assert page.paragraphs >= len(story.paragraphs)
    assert story.paragraphs[-1] in "".join(page.text)


def test_html_corpus_and_cli(tmp_path, capsys):
    assert fiction.main(["html", str(tmp_path / "pages"), "-n", "7", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == 7
    pages = sorted((tmp_path / "pages").rglob("*.html"))
    assert len(pages) == 7
    assert all(_parse(p.read_text(encoding="utf-8")).errors == [] for p in pages)
