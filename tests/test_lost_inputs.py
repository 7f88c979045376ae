"""Inputs issue 16 found lost or altered, packed end to end with ``archive pack``: each must
become a record whose text is the text captured (and say what was done to read it).

* a cp1252 capture with no declared charset (was read as cp775);
* an HTML page whose name does not say HTML (was quarantined as ``unsupported``);
* an HTML page with a few NUL bytes (was quarantined as ``binary``);
* a soft hyphen inside a word (stayed in the body, so ``Kiessling`` did not match);
* ``lang="utf-8"`` (was recorded as the language ``utf``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from archive.capture.sources import sniffed_kind
from archive.cli import main
from archive.text.decode import MAX_NUL_SHARE, NotText, decode_bytes

PARAGRAPHS = [
    f"Paragraph {n} of the fictional Corrow Point report: the harbour board met on Tuesday "
    f"and heard that berth {n} needs new fenders before the winter storms arrive."
    for n in range(1, 400)
]


def page(body: str, lang: str = "en", head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>{head}"
        "<title>Harbour board meets</title></head><body><article><h1>Harbour board meets</h1>"
        f"{body}</article></body></html>"
    ).encode()


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


ARTICLE = paragraphs_html(PARAGRAPHS[:6])
LONG = page(paragraphs_html(PARAGRAPHS))
CP1252 = (
    "Board denies “malign activity”\n\n"
    "The harbour board denied on Tuesday any “malign activity” in the tender, "
    "The\u00a0Independent reported – a claim the café owners on the quay dispute.\n"
)


def with_nuls(raw: bytes, count: int) -> bytes:
    """``raw`` with ``count`` NUL bytes spread through it, each after a ``>``."""
    cuts = [i + 1 for i, byte in enumerate(raw) if byte == ord(">")]
    chosen = cuts[:: max(1, len(cuts) // count)][:count]
    out, start = [], 0
    for cut in chosen:
        out += [raw[start:cut], b"\x00"]
        start = cut
    return b"".join([*out, raw[start:]])


@pytest.fixture(scope="module")
def packed(tmp_path_factory) -> tuple[dict, dict]:
    root = tmp_path_factory.mktemp("in") / "captures"
    root.mkdir()
    files = {
        "cp1252.txt": CP1252.encode("cp1252"),
        "page.html": page(ARTICLE),
        "page-without-name": page(ARTICLE),
        "page.aspx": b"\xef\xbb\xbf  \n" + page(ARTICLE).replace(b"<!DOCTYPE html>\n", b""),
        "notes.dat": b"Not a page at all, just notes.\n",
        "long.html": LONG,
        "long-with-nuls.html": with_nuls(LONG, 22),
        "hyphen.html": page("<p>Minister Kiess&shy;ling said the Ver\u00adkehrs\u00adwende was"
                            " late, and the board agreed with Minister Kiessling.</p>" + ARTICLE),
        "hyphen.txt": (
            "Harbour board meets\n\n"
            "Minister Kiess\u00adling said on Tuesday that the harbour board would meet again "
            "before the winter storms, and that berth 4 needs new fenders.\n\n"
            + "\n\n".join(PARAGRAPHS[:4])
            + "\n"
        ).encode(),
        "lang-utf.html": page(ARTICLE, lang="utf-8"),
        "lang-meta.html": page(
            ARTICLE, lang="utf-8", head="<meta http-equiv='content-language' content='de'>"
        ),
    }  # fmt: skip
    for name, data in files.items():
        (root / name).write_bytes(data)
    out = tmp_path_factory.mktemp("dist")
    args = ["pack", str(root), "--out", str(out), "--version", "1.0.0",
            "--created", "2026-01-01T00:00:00Z"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    release = Path(result.stdout.strip())
    rows = pq.read_table(release / "data").to_pylist()
    records = {r["capture"]["source_path"].removeprefix("captures/"): r for r in rows}
    held = [json.loads(line) for line in (release / "quarantine.jsonl").open("rb")]
    quarantined = {q["source_path"].removeprefix("captures/"): q for q in held}
    assert set(records) | set(quarantined) == set(files)
    for name, record in records.items():
        assert record["raw_sha256"] == hashlib.sha256(files[name]).hexdigest()
    return records, quarantined


def test_undeclared_cp1252_is_read_as_browsers_read_it(packed):
    records, _ = packed
    record = records["cp1252.txt"]
    assert "“malign activity”" in record["capture_text"]
    assert "The\u00a0Independent" in record["capture_text"] and "café" in record["text"]
    assert (record["raw_encoding"], record["raw_encoding_method"]) == ("cp1252", "detected")
    assert 0 <= record["raw_encoding_confidence"] <= 100
    assert records["page.html"]["raw_encoding_confidence"] is None  # declared: nothing guessed


def test_html_is_known_by_its_content_when_its_name_does_not_say(packed):
    records, quarantined = packed
    named = records["page.html"]
    for name in ("page-without-name", "page.aspx"):
        sniffed = records[name]
        assert sniffed["media_type"] == "text/html" and "media-type-sniffed" in sniffed["flags"]
        assert sniffed["text_sha256"] == named["text_sha256"] and "berth 6" in sniffed["text"]
    assert "media-type-sniffed" not in named["flags"]
    assert quarantined["notes.dat"]["reason"] == "unsupported"


def test_a_few_nul_bytes_do_not_make_a_page_binary(packed):
    records, _ = packed
    clean, nuls = records["long.html"], records["long-with-nuls.html"]
    assert nuls["text_sha256"] == clean["text_sha256"] and "berth 399" in nuls["text"]
    assert nuls["capture_text"] == clean["capture_text"]
    assert "nul-bytes-removed" in nuls["flags"] and "nul-bytes-removed" not in clean["flags"]
    assert nuls["raw_bytes"] == clean["raw_bytes"] + 22


def test_soft_hyphens_leave_the_body_but_not_the_capture(packed):
    records, _ = packed
    for name in ("hyphen.html", "hyphen.txt"):
        assert "Kiessling said" in records[name]["text"] and "\u00ad" not in records[name]["text"]
    assert "Verkehrswende" in records["hyphen.html"]["text"]
    assert "Kiess\u00adling" in records["hyphen.txt"]["capture_text"]


def test_a_charset_in_lang_is_never_a_language(packed):
    records, _ = packed
    assert records["lang-meta.html"]["language"] == "de"
    assert records["page.html"]["language"] == "en"
    # no language stated: the body's, found by the detector, never "utf" from the markup
    assert records["lang-utf.html"]["language"] == "en"
    stated = [p for p in records["lang-utf.html"]["provenance"] if p["field"] == "language"]
    assert [p["method"] for p in stated] == ["language-detector"]


# --- the rules behind them, as properties ------------------------------------------------------


ARTICLE_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufeff"
    ),
    min_size=1000,
    max_size=3000,
).filter(str.strip)


@given(text=ARTICLE_TEXT, data=st.data())
def test_stray_nul_bytes_are_left_out_and_flagged(text, data):
    raw = text.encode("utf-8")
    allowed = int(len(raw) * MAX_NUL_SHARE)
    spots = sorted(data.draw(st.lists(st.integers(0, len(raw)), min_size=1, max_size=allowed + 1)))
    pieces = [raw[a:b] for a, b in zip([0, *spots], [*spots, len(raw)], strict=True)]
    dirty = b"\x00".join(pieces)
    if len(spots) > len(dirty) * MAX_NUL_SHARE:
        try:
            decode_bytes(dirty)
        except NotText as refused:
            assert refused.reason == "binary"
        else:
            raise AssertionError("too many NUL bytes were taken for text")
        return
    clean, read = decode_bytes(raw), decode_bytes(dirty)
    assert read.text == clean.text and "nul-bytes-removed" in read.flags


TAGS = ["!DOCTYPE HTML", "HTML", "HEAD", "BODY", "P", "DIV", "TITLE", "SCRIPT", "!--", "TABLE"]


@given(
    space=st.text(alphabet="\t\n\x0c\r ", max_size=20),
    tag=st.sampled_from(TAGS),
    case=st.lists(st.booleans(), min_size=13, max_size=13),
    end=st.sampled_from([" ", ">"]),
    bom=st.booleans(),
    rest=st.binary(max_size=200),
)
def test_html_openings_are_sniffed_in_any_case_after_space(space, tag, case, end, bom, rest):
    cased = "".join(c.lower() if low else c for c, low in zip(tag, case, strict=False))
    head = ("\ufeff" if bom else "") + space + "<" + cased + end
    assert sniffed_kind(head.encode("utf-8") + rest) == "html"
    assert sniffed_kind(head.encode("utf-16") + rest) == "html"


@given(st.binary(max_size=300))
def test_only_an_html_opening_is_sniffed_as_html(raw):
    stripped = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\t\n\x0c\r ")
    if not stripped.startswith(b"<"):
        assert sniffed_kind(raw) == "other"
