"""Every flag code a record can carry is documented (issues 19 and 20).

The documented list is the record schema's ``flags.items.enum`` (with ``x-descriptions``) and
the README table "Record flags". A static scan of archive/ finds every hyphenated string literal
in the modules that raise flags; each must be documented or named here as not a flag. Packs of
the example corpus, the conftest corpus, the WARC samples and captures written to raise flags
must carry only documented codes.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ARTICLE, CREATED

from archive import PackSettings, pack
from archive.format.schema import column_problems, row_errors

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "record.schema.json").read_text(encoding="utf-8"))
FLAG_ITEMS = SCHEMA["properties"]["flags"]["items"]
DOCUMENTED = frozenset(FLAG_ITEMS["enum"])
LITERAL = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")

# Hyphenated literals in flag-raising modules that are not flags, by what they are.
NOT_FLAGS = frozenset(
    {
        # provenance methods and encoding methods
        "capture-log", "header-line", "html-meta", "htmldate-text", "http-header", "json-ld",
        "language-detector", "meta-charset", "plain-text", "self-reference", "site-name",
        "url-date", "url-domain", "utf-8-repaired",
        # the line a site's name was read from, in its evidence (site-name:page-title: ...)
        "page-title",
        # codec names and HTTP/WARC header names, digest names
        "iso-8859-1", "iso8859-1", "latin-1", "us-ascii", "utf-8", "utf-8-sig", "utf-16",
        "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le", "x-gzip", "http-equiv",
        "content-encoding", "content-length", "content-type", "transfer-encoding",
        "warc-block-digest", "warc-date", "warc-ip-address", "warc-payload-digest",
        "warc-profile", "warc-record-id", "warc-refers-to", "warc-refers-to-date",
        "warc-refers-to-target-uri", "warc-target-uri", "warc-type", "sha-1", "sha-256",
        "sha-512", "warc-segment-number", "warc-truncated", "content-range",
        # the WHATWG Encoding Standard's labels Python lacks, and the codecs they name
        "cn-big5", "dos-874", "euc-jp", "euc-kr", "iso-10646-ucs-2", "iso-8859-8-i", "iso8859-15",
        "iso8859-8", "koi8-r", "koi8-ru", "koi8-u", "mac-cyrillic", "mac-roman", "ucs-2",
        "unicode-1-1-utf-8", "windows-31j", "windows-874", "windows-949", "x-cp125", "x-euc-jp",
        "x-gbk", "x-mac-cyrillic", "x-mac-roman", "x-mac-ukrainian", "x-sjis", "x-unicode20utf8",
        "x-x-big5",
        # quarantine and skip reasons, redistribution tiers
        "error-status", "non-html", "too-large", "outside-source", "metadata-only", "repeated-id",
        # span kinds
        "furniture-comments", "furniture-cookie", "furniture-error", "furniture-learned",
        "furniture-login", "furniture-notification", "furniture-other", "furniture-related",
        "furniture-share", "furniture-support",
        # relation kinds, methods and direction evidence, and pack stage names
        "exact-duplicate", "near-duplicate", "paraphrase-of", "shares-quotation", "text-sha256",
        "word-frequency",
        "relations-confirm", "relations-index", "relations-pair", "relations-sign",
        # the JSON Schema keyword holding each flag's description (read by archive/summary.py)
        "x-descriptions",
    }
)  # fmt: skip


def flag_modules() -> list[Path]:
    """The modules of archive/ that mention flags (every module that raises one does)."""
    paths = sorted((ROOT / "archive").rglob("*.py"))
    return [p for p in paths if "flag" in p.read_text(encoding="utf-8").lower()]


def literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and LITERAL.match(n.value)
    }


def fstring_tails(path: Path) -> set[str]:
    """The constant hyphenated tail of each f-string (``f"{name}-date-after-capture"``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tails = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.JoinedStr) and n.values and isinstance(n.values[-1], ast.Constant):
            tail = n.values[-1].value
            if isinstance(tail, str) and re.fullmatch(r"(?:-[a-z0-9]+){2,}", tail):
                tails.add(tail)
    return tails


def release_flags(release: Path) -> set[str]:
    seen: set[str] = set()
    for shard in sorted((release / "data").glob("records-*.parquet")):
        for row in pq.read_table(shard, columns=["flags"])["flags"].to_pylist():
            seen.update(row)
    return seen


def readme_flags() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("#### Record flags", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \| .+ \|$", section, re.M))


def test_every_flag_literal_in_the_code_is_documented():
    found = set().union(*(literals(p) for p in flag_modules()))
    undocumented = sorted(found - DOCUMENTED - NOT_FLAGS)
    assert undocumented == [], f"flag-like literals neither documented nor listed: {undocumented}"
    assert not DOCUMENTED & NOT_FLAGS
    assert {"no-body", "warc-content-length-mismatch", "spun-suspected"} <= found


def test_flags_built_from_field_names_are_documented():
    tails = set().union(*(fstring_tails(p) for p in flag_modules()))
    assert "-date-after-capture" in tails
    for tail in tails:
        assert any(code.endswith(tail) for code in DOCUMENTED), tail
    # text.py builds it from the two date fields it checks
    assert {"published-date-after-capture", "modified-date-after-capture"} <= DOCUMENTED


def test_each_documented_flag_has_a_description_and_a_readme_row():
    descriptions = FLAG_ITEMS["x-descriptions"]
    assert sorted(descriptions) == sorted(DOCUMENTED) == FLAG_ITEMS["enum"]
    assert all("Set by: " in d and len(d) > 30 for d in descriptions.values())
    readme = readme_flags()
    assert sorted(readme) == sorted(DOCUMENTED)
    for code, meaning in readme.items():
        assert descriptions[code].startswith(meaning), code


def test_an_undocumented_flag_breaks_the_schema():
    table = pa.table({"flags": pa.array([["no-body"], ["no-such-flag"]], pa.list_(pa.string()))})
    problems = column_problems(table)
    assert len(problems) == 1 and problems[0].startswith("/flags/*: 1 value(s)")
    assert column_problems(table.slice(0, 1)) == []
    assert any(e.startswith("flags/0:") for e in row_errors({"flags": ["no-such-flag"]}))
    assert not any(e.startswith("flags") for e in row_errors({"flags": ["no-body"]}))


# Fictional captures written to raise flags from several stages.
RAISING = {
    "controls.txt": ARTICLE + "\x07 \x1b[31mred\x1b[0m \u202ekept\u202c\n",
    "weekday.txt": "Quay lamps relit\n\nTuesday\n\nThe quay lamps were relit after repairs.\n",
    "ambiguous.txt": "Tide tables reprinted\n\n03/04/2021\n\nThe tide tables were reprinted.\n",
    "later.txt": "Fog season ends\n\nPublished 5 March 2099\n\nThe fog season ended early.\n",
    "zone.txt": "Pier reopens\n\n3 March 2021 10:15\n\nThe pier reopened this morning.\n",
    "caption.txt": "Gulls return\n\nThe gulls came back.\n\nPhoto: 3 March 2021\n",
    "page.html": "<html><head><title>Empty</title></head><body></body></html>",
}


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    dist = tmp_path_factory.mktemp("dist")
    example = pack(
        [ROOT / "examples" / "captures"],
        dist / "example",
        PackSettings("example", "1.0.0", CREATED),
        capture_log=ROOT / "examples" / "captures.jsonl",
    ).path
    out["example"] = release_flags(example)
    warc = tmp_path_factory.mktemp("warc") / "samples"
    shutil.copytree(ROOT / "tests" / "data" / "warc", warc, ignore=shutil.ignore_patterns("*.md"))
    samples = PackSettings("samples", "1.0.0", CREATED)
    out["warc"] = release_flags(pack([warc], dist / "warc", samples).path)
    raising = tmp_path_factory.mktemp("raising") / "raising"
    raising.mkdir()
    for name, content in RAISING.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (raising / name).write_bytes(data)
    log = raising.parent / "log.jsonl"
    log.write_text(
        json.dumps({"path": "later.txt", "retrieved_at": "2026-03-04T10:00:00Z"}) + "\n",
        encoding="utf-8",
    )
    settings = PackSettings("raising", "1.0.0", CREATED)
    out["raising"] = release_flags(
        pack([raising], dist / "raising", settings, capture_log=log).path
    )
    return out


def test_packs_carry_only_documented_flags(packed):
    for name, seen in packed.items():
        assert seen <= DOCUMENTED, f"{name}: undocumented {sorted(seen - DOCUMENTED)}"


def test_packs_raise_flags_from_every_stage(packed):
    seen = set().union(*packed.values())
    assert {"spun-suspected", "date-zone-unknown", "encoding-detected"} <= packed["example"]
    assert {"payload-digest-mismatch", "warc-content-length-mismatch"} <= packed["warc"]
    assert {"control-characters", "terminal-escapes", "bidi-controls", "no-body"} <= seen
    assert {"published-date-after-capture", "date-caption-only", "date-time-without-zone"} <= seen
