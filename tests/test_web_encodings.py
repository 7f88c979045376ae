"""Declared charsets are read as browsers read them: the WHATWG Encoding Standard's labels and
decoders (tests/data/whatwg/, the standard's own files; PROVENANCE.md there).

The golden values are the standard's indexes: every byte sequence an index defines is decoded
with the codecs ``archive.text.labels`` names for its encoding, and compared with the code
point the index gives. Where no Python codec reads an encoding exactly, the differences are
held, sequence by sequence, to those measured when the table was written
(tests/golden/web-encoding-differences.json).
"""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.extract.html import extract_html
from archive.model import Hints
from archive.text.decode import decode_bytes, label_codecs, text_codec
from archive.text.labels import WEB_LABELS, web_codecs

DATA = Path(__file__).resolve().parent / "data" / "whatwg"
SAMPLES = Path(__file__).resolve().parent / "encodings"
STANDARD = json.loads((DATA / "encodings.json").read_text(encoding="utf-8"))


def index(name: str) -> dict[int, int]:
    """pointer -> code point, from the standard's index file."""
    found = {}
    with gzip.open(DATA / f"index-{name}.txt.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip() and not line.startswith("#"):
                pointer, point = line.split("\t")[:2]
                found[int(pointer)] = int(point, 16)
    return found


def decoded(raw: bytes, label: str) -> str | None:
    """``raw`` read with the codecs ``web_codecs`` gives for ``label``, the first that reads
    it (None: none does), as a page is read."""
    for codec in web_codecs(label):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def encodings_of(group: str) -> list[dict]:
    return next(g["encodings"] for g in STANDARD if g["heading"] == group)


def test_every_label_of_the_standard_is_known_with_its_encoding():
    expected = {
        label: encoding["name"]
        for group in STANDARD
        for encoding in group["encodings"]
        for label in encoding["labels"]
    }
    assert expected == WEB_LABELS
    assert len(expected) == 228


def test_the_codecs_are_pythons_own_names():
    """Records store the codec's name: Python's canonical one, so a label's spelling never
    splits one encoding into two values."""
    for label in WEB_LABELS:
        for codec in web_codecs(label):
            assert codecs.lookup(codec).name == codec


# Single-byte encodings whose Python codec reads a byte as another character than the
# standard's index, byte -> (the standard's code point, Python's). KOI8-U is the standard's
# KOI8-RU (Belarusian Ў).
SINGLE_BYTE_DIFFERENCES = {"KOI8-U": {0xAE: (0x45E, 0x255D), 0xBE: (0x40E, 0x256C)}}


@pytest.mark.parametrize(
    "encoding", [e["name"] for e in encodings_of("Legacy single-byte encodings")]
)
def test_single_byte_encodings_read_as_the_standards_index(encoding):
    """Every byte is read as the standard reads it, but the bytes a Windows code page leaves
    unassigned, which the standard reads as C1 controls (and windows-1255's 0xca as a Hebrew
    point): a page holding one goes to the next evidence (``archive.text.labels``)."""
    label = next(e["labels"][0] for e in encodings_of("Legacy single-byte encodings")
                 if e["name"] == encoding)  # fmt: skip
    table = index("iso-8859-8" if encoding == "ISO-8859-8-I" else encoding.lower())
    ascii_bytes = bytes(range(0x80))
    assert decoded(ascii_bytes, label) == ascii_bytes.decode("ascii")
    differences, unassigned = {}, []
    for pointer in range(128):
        got = decoded(bytes([0x80 + pointer]), label)
        want = chr(table[pointer]) if pointer in table else None
        if got is None and want is not None:
            unassigned.append((0x80 + pointer, table[pointer]))
        elif got != want:
            differences[0x80 + pointer] = (table.get(pointer), got and ord(got))
    assert differences == SINGLE_BYTE_DIFFERENCES.get(encoding, {})
    hebrew_point = [(0xCA, 0x5BA)] if encoding == "windows-1255" else []
    controls = [(byte, point) for byte, point in unassigned if byte == point <= 0x9F]
    assert unassigned == sorted([*controls, *hebrew_point])
    assert bool(unassigned) == (encoding.startswith("windows-") and encoding != "windows-1256")


def test_a_page_that_is_utf_8_is_read_as_utf_8_whatever_its_label():
    """Pages saved as UTF-8 under their old <meta>, as three of the real test pages are: a
    Spanish one labelled iso-8859-15 had been read as mojibake (Ã³ for ó) throughout, since
    every byte is a character of ISO-8859-15. Bytes of a legacy encoding are almost never
    UTF-8; a page that is stays labelled by its own encoding."""
    text = "La policía detuvo en Francia a la jefa del aparato militar, a pocos kilómetros."
    for label in ("iso-8859-15", "iso-8859-1", "windows-1252", "shift_jis", "koi8-r"):
        result = extract_html(page(label, text.encode("utf-8")), Hints())
        assert (result.encoding, result.encoding_method) == ("utf-8", "utf-8"), label
        assert text in result.extraction.text
    declared = extract_html(page("", text.encode("utf-8")), Hints(declared_charset="latin1"),
                            charset_source="http-header")  # fmt: skip
    assert (declared.encoding, declared.encoding_method) == ("utf-8", "utf-8")
    legacy = extract_html(page("iso-8859-15", text.encode("iso8859-15")), Hints())
    assert (legacy.encoding, legacy.encoding_method) == ("iso8859-15", "meta-charset")
    assert text in legacy.extraction.text


def test_a_byte_the_code_page_leaves_unassigned_is_no_reading_of_the_label():
    """The real test page the rule above was first seen on: Russian, saved as UTF-8 under its
    old windows-1251 <meta>; the byte 0x98 (in И's UTF-8) is unassigned in windows-1251, so
    even a strict reading of the label fails, and the page is UTF-8."""
    text = "Интересно: мэр сказал, что паром будет ходить до мая."
    assert b"\x98" in text.encode("utf-8")
    result = extract_html(page("windows-1251", text.encode("utf-8")), Hints())
    assert (result.encoding, result.encoding_method) == ("utf-8", "utf-8")
    assert text in result.extraction.text


def _pointer_sequences(name: str) -> list[tuple[bytes, str]]:
    """Every two-byte sequence (three for JIS X 0212 in EUC-JP) the standard's decoder of
    ``name`` reads from its index, with the text it reads, from the standard's algorithms."""
    found = []
    if name == "Shift_JIS":
        jis = index("jis0208")
        for lead in [*range(0x81, 0xA0), *range(0xE0, 0xFD)]:
            for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
                pointer = (lead - (0x81 if lead < 0xA0 else 0xC1)) * 188
                pointer += trail - (0x40 if trail < 0x7F else 0x41)
                if 8836 <= pointer <= 10715:
                    found.append((bytes([lead, trail]), chr(0xE000 - 8836 + pointer)))
                elif pointer in jis:
                    found.append((bytes([lead, trail]), chr(jis[pointer])))
    elif name == "EUC-KR":
        table = index("euc-kr")
        for lead in range(0x81, 0xFF):
            for trail in range(0x41, 0xFF):
                pointer = (lead - 0x81) * 190 + trail - 0x41
                if pointer in table:
                    found.append((bytes([lead, trail]), chr(table[pointer])))
    elif name == "Big5":
        table = index("big5")
        pairs = {1133: "\u00ca\u0304", 1135: "\u00ca\u030c", 1164: "\u00ea\u0304",
                 1166: "\u00ea\u030c"}  # fmt: skip
        for lead in range(0x81, 0xFF):
            for trail in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
                pointer = (lead - 0x81) * 157 + trail - (0x40 if trail < 0x7F else 0x62)
                if pointer in pairs:
                    found.append((bytes([lead, trail]), pairs[pointer]))
                elif pointer in table:
                    found.append((bytes([lead, trail]), chr(table[pointer])))
    elif name in ("GBK", "gb18030"):
        table = index("gb18030")
        for lead in range(0x81, 0xFF):
            for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
                pointer = (lead - 0x81) * 190 + trail - (0x40 if trail < 0x7F else 0x41)
                if pointer in table:
                    found.append((bytes([lead, trail]), chr(table[pointer])))
    elif name == "EUC-JP":
        jis, jis0212 = index("jis0208"), index("jis0212")
        for trail in range(0xA1, 0xE0):
            found.append((bytes([0x8E, trail]), chr(0xFF61 - 0xA1 + trail)))
        for lead in range(0xA1, 0xFF):
            for trail in range(0xA1, 0xFF):
                pointer = (lead - 0xA1) * 94 + trail - 0xA1
                if pointer in jis:
                    found.append((bytes([lead, trail]), chr(jis[pointer])))
                if pointer in jis0212:
                    found.append((bytes([0x8F, lead, trail]), chr(jis0212[pointer])))
    return found


# The sequences left undecoded and those read as other text, as measured when the table was
# written (tests/golden/web-encoding-differences.json, in hex): a codec change that fixes one
# and breaks another fails. The module docstring of archive.text.labels says what they are.
# Python's codec of the label's own name is far from the standard: shift_jis leaves 2,725 and
# misreads 6, euc_kr 8,823 and 0, big5 4,884 and 260, gb2312 16,495 and 2.
MULTI_BYTE_DIFFERENCES = json.loads(
    (Path(__file__).resolve().parent / "golden" / "web-encoding-differences.json").read_text()
)


@pytest.mark.parametrize("encoding", sorted(MULTI_BYTE_DIFFERENCES))
def test_multi_byte_encodings_read_as_the_standards_index(encoding):
    label = next(label for label, name in WEB_LABELS.items() if name == encoding)
    undecoded, different = [], []
    for raw, want in _pointer_sequences(encoding):
        got = decoded(raw, label)
        if got is None:
            undecoded.append(raw.hex())
        elif got != want:
            different.append(raw.hex())
    assert {"undecoded": undecoded, "different": different} == MULTI_BYTE_DIFFERENCES[encoding]
    assert len(undecoded) + len(different) <= {"Big5": 203, "EUC-JP": 464}.get(encoding, 20)


def page(label: str, body: bytes) -> bytes:
    return (
        b'<html><head><meta charset="' + label.encode() + b'"><title>Harbour news</title>'
        b"</head><body><article><h1>Harbour news</h1><p>" + body + b"</p></article></body></html>"
    )


QUOTED = "The mayor said “the ferry will run” until May – the council’s office agreed."


@pytest.mark.parametrize(
    ("label", "codec", "text"),
    [
        ("iso-8859-9", "cp1254", "Belediye başkanı “feribot mayısa kadar çalışacak” dedi."),
        ("latin5", "cp1254", "Belediye başkanı “feribot mayısa kadar çalışacak” dedi."),
        ("tis-620", "cp874", "นายกเทศมนตรีกล่าวว่า “เรือข้ามฟากจะวิ่งต่อไป” จนถึงเดือนพฤษภาคม"),
        ("iso885915", "iso8859-15", "Le café du port coûte 5 €, a dit le maire, œil ouvert."),
        ("iso88591", "cp1252", QUOTED),
        ("iso_8859-1", "cp1252", QUOTED),
        ("gb2312", "gbk", "市长说，渡轮将运行到五月。镕基说码头会重新开放。"),
        ("ksc_5601", "cp949", "시장은 여객선이 5월까지 운항한다고 말했다. 똠방각하."),
        ("euc-kr", "cp949", "시장은 여객선이 5월까지 운항한다고 말했다. 똠방각하."),
        ("shift_jis", "cp932", "市長は①フェリーは五月まで運航すると述べた。㈱港湾"),
        ("big5", "big5hkscs", "市長說渡輪將運行到五月。銹蝕的碼頭"),
        ("x-user-defined", "cp1252", QUOTED),
    ],
)
def test_a_page_is_read_in_the_encoding_its_label_stands_for(label, codec, text):
    """Each page fails on Python's reading of its label: smart quotes as C1 controls
    (iso-8859-9, tis-620), an unknown label left to detection (iso885915, ksc_5601: the euro
    sign read as ¤), a character the strict codec lacks (gb2312, euc-kr, shift_jis, big5)."""
    result = extract_html(page(label, text.encode(codec)), Hints())
    assert (result.encoding, result.encoding_method) == (codec, "meta-charset")
    assert text in result.capture_text
    assert text in result.extraction.text


def test_a_charset_the_http_header_declares_is_read_the_same_way():
    raw = page("", "Başkan “evet” dedi, feribot çalışacak.".encode("cp1254"))
    result = extract_html(raw, Hints(declared_charset="ISO-8859-9"), charset_source="http-header")
    assert (result.encoding, result.encoding_method) == ("cp1254", "http-header")
    assert "“evet”" in result.extraction.text


def test_a_page_whose_meta_says_utf_16_is_read_as_utf_8():
    """HTML's prescan: a page whose <meta> can be read in ASCII is no UTF-16. Read as UTF-16,
    such a page was no HTML at all, and quarantined."""
    text = "Le maire a dit que le traversier circulera jusqu’en mai, près du quai."
    for label in ("utf-16", "UTF-16LE", "utf-16be", "unicode"):
        raw = page(label, text.encode("utf-8"))
        raw += b" " * (len(raw) % 2)  # an even length, which UTF-16 would have decoded
        result = extract_html(raw, Hints())
        assert (result.encoding, result.encoding_method) == ("utf-8", "meta-charset")
        assert text in result.extraction.text


def test_a_thai_page_with_a_stray_byte_stays_thai():
    """A byte windows-874 leaves unassigned (and no UTF-8): detection has no Thai reading (a
    Thai page was read as Hebrew, confidence 7), so the page is read as the standard reads
    its label: 0x81 is U+0081, 0xdb one U+FFFD (flagged)."""
    thai = "นายกเทศมนตรีกล่าวว่า “เรือข้ามฟากจะวิ่งต่อไป” จนถึงเดือนพฤษภาคม"
    for label in ("tis-620", "iso-8859-11", "windows-874"):
        result = extract_html(page(label, thai.encode("cp874") + b" \x81 "), Hints())
        assert (result.encoding, result.encoding_method) == ("cp874", "meta-charset")
        assert thai in result.extraction.text and "\x81" in result.capture_text
        assert "encoding-repaired" not in result.extraction.flags  # the standard's own reading
    result = extract_html(page("tis-620", thai.encode("cp874") + b" \xdb "), Hints())
    assert (result.encoding, result.encoding_method) == ("cp874", "meta-charset")
    assert result.capture_text.count("\ufffd") == 1
    assert "encoding-repaired" in result.extraction.flags


_TURKISH = "Belediye başkanı “feribot mayısa kadar çalışacak” dedi. "
_SHIFT_JIS = "市長は、フェリーは五月まで運航すると述べた。"
_ENGLISH = "The council’s ferry will run until May, the mayor said. "
_FRENCH = "Le café du port est ouvert tous les jours de la semaine. "
_PLAIN = "The harbour council met on Tuesday to discuss the timetable. "


@pytest.mark.parametrize(
    ("body", "header", "meta", "read"),
    [
        # Shift_JIS under a server's default header, with a pair cp932 lacks: detection from
        # the header's windows-1252 reading still finds Shift_JIS (a lenient windows-1252
        # reading, which never fails, had kept the mojibake)
        (_SHIFT_JIS.encode("cp932") * 6 + b"\x85\x40", "iso-8859-1", "shift_jis",
         ("cp932", "detected", _SHIFT_JIS)),
        # windows-1252 text in a UTF-8 template, one quote in 1,400 characters: detected,
        # not a U+FFFD for it
        ((_PLAIN * 25 + _ENGLISH).encode("cp1252"), None, "utf-8",
         ("cp1252", "detected", _ENGLISH)),
        ((_PLAIN * 25 + _ENGLISH).encode("cp1252"), "utf-8", None,
         ("cp1252", "detected", _ENGLISH)),
        # a UTF-16 header over a windows-1252 page
        (_FRENCH.encode("cp1252") * 6, "utf-16", None, ("cp1252", "detected", _FRENCH)),
        # Turkish with a byte windows-1254 leaves unassigned: its label's reading stands
        # (detection alone read it as Arabic)
        (_TURKISH.encode("cp1254") * 6 + b"\x8e", None, "iso-8859-9",
         ("cp1254", "meta-charset", _TURKISH)),
    ],
)  # fmt: skip
def test_a_page_no_label_reads_strictly_is_detected_from_its_label(body, header, meta, read):
    raw = page(meta or "", body)
    result = extract_html(raw, Hints(declared_charset=header), charset_source="http-header")
    codec, method, text = read
    assert (result.encoding, result.encoding_method) == (codec, method)
    assert text.strip() in result.extraction.text


def test_a_page_the_label_cannot_read_goes_to_detection():
    """Russian in windows-1251 under a Thai label: most of its letters are bytes windows-874
    leaves unassigned, far more than a few replacements."""
    text = "Мэр сказал, что паром будет ходить до мая, если погода позволит всем нам. " * 3
    result = extract_html(page("tis-620", text.encode("cp1251")), Hints())
    assert result.encoding_method == "detected"
    assert result.encoding == "cp1251"


@pytest.mark.parametrize(
    ("spelling", "label"),
    [("latin_1", "iso-8859-1"), ("8859", "iso-8859-1"), ("iso8859_9", "iso-8859-9"),
     ("tis_620", "tis-620"), ("euc_kr", "euc-kr"), ("latin-1", "latin1"), ("utf_8", "utf-8"),
     ("SHIFT-JIS", "shift_jis"), (" Big5 ", "big5")],
)  # fmt: skip
def test_pythons_spelling_of_a_label_is_the_same_encoding(spelling, label):
    """Capture logs hold labels as Python spells them; each is read as the standard's label
    Python reads as the same codec."""
    assert web_codecs(spelling) == web_codecs(label) != ()


def test_gbk_falls_back_to_gb18030_for_what_gbk_lacks():
    text = "市长说渡轮将运行到五月。€ 与 \U00020000"  # the euro sign and a CJK Extension B char
    result = extract_html(page("gb2312", text.encode("gb18030")), Hints())
    assert (result.encoding, result.encoding_method) == ("gb18030", "meta-charset")
    assert text in result.capture_text


@pytest.mark.parametrize("language", ["fr", "de", "pl", "ru", "uk", "el", "tr", "he", "ar",
                                      "ja", "zh-hans", "zh-hant", "ko"])  # fmt: skip
def test_every_label_of_a_languages_encodings_reads_its_text_back(language):
    """The fictional paragraphs of tests/encodings, encoded in each web encoding that can hold
    them and declared by every label of that encoding: the page's text comes back exact."""
    text = (SAMPLES / f"{language}.txt").read_text(encoding="utf-8").split("\n\n")[0].strip()
    tried = 0
    for name, found in {n: web_codecs(label) for label, n in WEB_LABELS.items()}.items():
        if not found:
            continue
        try:
            raw = text.encode(found[0])
        except UnicodeEncodeError:
            continue
        if raw.isascii() or name.startswith("UTF-16"):
            continue
        for label in (label for label, n in WEB_LABELS.items() if n == name):
            result = extract_html(page(label, raw), Hints())
            assert result.encoding == found[0], (label, result.encoding)
            assert text in result.capture_text, label
            tried += 1
    assert tried >= 3


def test_a_text_captures_label_is_read_as_browsers_read_it():
    """Text captures take a page's rules: a browser shows a text/plain response labelled
    iso-8859-1 as windows-1252, so its smart quotes are quotes, not the C1 controls Python's
    latin-1 made of them (kept in the text and flagged), whichever spelling the log uses."""
    text = "The mayor said “the ferry runs until May” — and left. "
    for label in ("iso-8859-1", "ISO_8859-1", "latin1", "latin_1", "l1", "windows-1252"):
        found = decode_bytes(text.encode("cp1252"), label)
        assert (found.text, found.encoding, found.method, found.flags) == (
            text,
            "cp1252",
            "declared",
            (),
        ), label
    turkish = "Belediye başkanı “feribot mayısa kadar çalışacak” dedi."
    found = decode_bytes(turkish.encode("cp1254"), "iso-8859-9")
    assert (found.text, found.encoding) == (turkish, "cp1254")
    japanese = "市議会は①の案を可決した。"  # ① is outside Python's shift_jis
    found = decode_bytes(japanese.encode("cp932"), "shift_jis")
    assert (found.text, found.encoding, found.method) == (japanese, "cp932", "declared")
    euro = "Le café coûte 5 €, a dit le maire devant le port ce matin."
    found = decode_bytes(euro.encode("iso8859-15"), "iso885915")  # a label Python lacks
    assert (found.text, found.encoding) == (euro, "iso8859-15")


def test_a_text_capture_that_is_utf8_is_utf8_whatever_its_label():
    """Bytes that are UTF-8 under an old legacy label are UTF-8, as a page's are: read by the
    label, every ó became Ã³."""
    text = "El alcalde dijo que el ferry navegará 20 kilómetros más."
    for label in ("iso-8859-15", "windows-1252", "iso-8859-1", "koi8-r"):
        found = decode_bytes(text.encode("utf-8"), label)
        assert (found.text, found.encoding, found.method) == (text, "utf-8", "utf-8"), label
    ascii_only = b"The council met on Tuesday."
    assert decode_bytes(ascii_only, "iso-8859-1").encoding == "cp1252"


def test_a_text_captures_utf16_label_without_nul_bytes_is_no_utf16():
    """Python's utf-16 read ASCII text two bytes a character, as CJK nonsense; text with a
    space or a line end in UTF-16 holds NUL bytes. (An even length: UTF-16 reads it.)"""
    text = b"The council met on Tuesday and voted for the new ferry timetables."
    found = decode_bytes(text, "utf-16")
    assert (found.text, found.encoding) == (text.decode("ascii"), "utf-8")


def test_an_ascii_label_on_bytes_that_are_not_ascii_is_no_statement():
    """Browsers read us-ascii as windows-1252, which never refuses a byte: a KOI8-R or EUC-JP
    text under a server's default us-ascii would be mojibake, stated as the label's. Non-ASCII
    bytes show the label is a default, and they are read as if unlabelled."""
    russian = "Привет, мир! Это простой текст о новом пароме через реку."
    for label in ("us-ascii", "ascii", "ANSI_X3.4-1968"):
        found = decode_bytes(russian.encode("koi8-r"), label)
        assert (found.text, found.encoding, found.method) == (russian, "koi8-r", "detected")
    quotes = "The mayor said “the ferry runs until May” and left the harbour office."
    found = decode_bytes(quotes.encode("cp1252"), "us-ascii")
    assert (found.text, found.encoding, found.method) == (quotes, "cp1252", "detected")
    found = decode_bytes(b"The council met on Tuesday.", "us-ascii")
    assert (found.encoding, found.method) == ("ascii", "declared")
    assert label_codecs("us-ascii") == ("ascii",) and web_codecs("us-ascii") == ("cp1252",)
    # a page's <meta> is the label then: detection starts from its reading (a stray 0x81)
    turkish = "Belediye başkanı “feribot mayısa kadar çalışacak” dedi, ağır bir sesle. " * 3
    raw = page("windows-1254", turkish.encode("cp1254")).replace(b"</body>", b"\x81</body>")
    result = extract_html(raw, Hints(declared_charset="us-ascii"), charset_source="http-header")
    assert (result.encoding, result.encoding_method) == ("cp1254", "meta-charset")
    assert "başkanı “feribot" in result.capture_text


def test_utf8_cut_inside_a_character_is_utf8_whatever_its_label():
    """A capture cut off inside its last character is UTF-8 but for that byte: under a legacy
    label it became mojibake (cafÃ©), stated as the label's reading and unflagged."""
    text = "Le café de la gare – ouvert à l’aube, fermé à minuit. Résumé : très bien. " * 3
    raw = text.encode() + "é".encode()[:1]
    for label in ("us-ascii", "windows-874", "tis-620", "iso-8859-1", "windows-1252"):
        found = decode_bytes(raw, label)
        assert found.text == text + "\ufffd", label
        assert (found.encoding, found.method, found.flags) == (
            "utf-8",
            "utf-8-repaired",
            ("encoding-repaired",),
        ), label
    # a windows-1252 text ending in é (0xe9, a UTF-8 lead byte) is no UTF-8 cut short
    latin = "Le café ouvre à l’aube près du quai, dit le maire du café"
    assert decode_bytes(latin.encode("cp1252"), "iso-8859-1").text == latin


def test_damaged_utf8_is_taken_over_a_label_only_on_enough_good_characters():
    """A cut at the very end is repaired over a label with two good multi-byte characters
    before it; damage elsewhere with eight, holding nine in ten of the non-ASCII bytes. A short
    run of EUC-KR can be UTF-8 but for one sequence in the middle (단기간 is), and a few good
    characters are as likely a legacy text's chance."""
    korean = "The Korean word 단기간 means short-term."
    found = decode_bytes(korean.encode("cp949"), "euc-kr")
    assert (found.text, found.encoding, found.method) == (korean, "cp949", "declared")
    one = b"Le caf\xc3\xa9 ouvre \xc3"  # one good character, then a cut one
    assert decode_bytes(one, "windows-1252").encoding == "cp1252"
    two = b"Le caf\xc3\xa9 ouvre \xc3\xa0 l'aube \xc3"
    found = decode_bytes(two, "windows-1252")
    assert (found.text, found.method) == ("Le café ouvre à l'aube \ufffd", "utf-8-repaired")

    def cafes(good: int, stray: int) -> bytes:  # stray latin-1 é bytes in the middle
        words = [b"caf\xc3\xa9"] * good
        return b" ".join(words[: good // 2] + [b"\xe9"] * stray + words[good // 2 :])

    # nine in ten: 10 good of 12 non-ASCII bytes is 0.83 (8, 1), 20/22 is 0.91, 16/18 0.89
    for good, stray, repaired in ((8, 1, True), (7, 1, False), (10, 2, True), (8, 2, False)):
        found = decode_bytes(cafes(good, stray), "windows-1252")
        assert (found.method == "utf-8-repaired") is repaired, (good, stray)
        assert found.encoding == ("utf-8" if repaired else "cp1252")
    # a windows-1252 text whose one non-ASCII byte, its last, is a UTF-8 lead byte (é)
    latin = "The council met at the harbour office after lunch at the café"
    found = decode_bytes(latin.encode("cp1252"), "iso-8859-1")
    assert (found.text, found.encoding) == (latin, "cp1252")


def test_utf8_with_a_stray_byte_no_label_reads_is_repaired_not_read_by_the_label():
    """UTF-8 with a stray byte that its legacy label cannot read strictly goes to the rules
    for unlabelled bytes, which repair it: a Thai label's lenient reading had made Thai UTF-8
    Thai mojibake (เธชเธงเธฑเธช), and detection from windows-1252 had made it Cyrillic."""
    thai = ("สวัสดีครับ วันนี้อากาศดีมาก " * 3).encode()
    raw = thai[:30] + b"\xa9" + thai[30:]  # a stray byte inside a character
    for label in ("tis-620", "windows-1252"):
        found = decode_bytes(raw, label)
        assert (found.encoding, found.method) == ("utf-8", "utf-8-repaired"), label
        assert found.text == raw.decode("utf-8", "replace")
    # six good characters (under the eight asked for), then 0x81, which windows-1252 leaves
    # unassigned: nine in ten of the non-ASCII bytes good, the unlabelled rules repair it
    french = "Le café près de la rivière, à côté du quai".encode()
    found = decode_bytes(french[:20] + b"\x81" + french[20:], "windows-1252")
    assert (found.encoding, found.method) == ("utf-8", "utf-8-repaired")
    # but not under a Thai label: short Thai is that much UTF-8 by chance (อินุกติตุต)
    raw = "อินุก".encode("cp874") + b"\xdb" + "ติตุต".encode("cp874")
    found = decode_bytes(raw, "tis-620")
    assert (found.text, found.encoding) == ("อินุก\ufffdติตุต", "cp874")
    # unlabelled, or labelled UTF-8: as many stray bytes are repaired as over a legacy label
    russian = ("Паром ходит каждый день до мая, сказал мэр города. " * 2).encode()
    raw = russian[:40] + b"\x98" + russian[40:80] + b"\x98" + russian[80:] + b"\x98"
    for label in (None, "utf-8", "windows-1251", "koi8-r"):
        found = decode_bytes(raw, label)
        assert (found.encoding, found.method) == ("utf-8", "utf-8-repaired"), label


def test_a_wrong_thai_label_on_a_latin_text_is_left_to_detection():
    """A Thai label's lenient reading (one byte may become U+FFFD) is for Thai: latin-1's
    accented letters are Thai vowels, tone marks and digits in windows-874, where Thai spelling
    never puts them (erklไrte: a leading vowel before no consonant; El a๑o: a digit inside a
    word), while Thai with Latin words glued to it (ขายSkinในROV) is spelled as Thai."""
    thai = "นายกเทศมนตรีกล่าวว่าเรือข้ามฟากจะเปิดให้บริการจนถึงเดือนพฤษภาคม " * 3
    found = decode_bytes(thai.encode("cp874") + b"\xdb", "tis-620")  # 0xdb: unassigned
    assert (found.encoding, found.flags) == ("cp874", ("encoding-repaired",))
    assert found.text == thai + "\ufffd"
    shorts = ("๑๒ พ.ค. ๒๕๖๖", "ราคา ฿๓๕๐", "เอ๊ะ! โต๊ะเกาะเกะ", "อินุกติตุต",  # digits, baht
              "เเละเเล้วเขาก็เเพ้ เเต่เเม่บอกว่าไม่เป็นไร",  # เเ typed for แ
              "ซื้อiPhoneที่กรุงเทพฯ เมื่อวันที่ 12 กันยายน ราคาเริ่มต้น 32,900 บาท",
              "เคสiPhone 15 Pro Max", "ขายSkinในROV", "กินKFCกับMKที่Central World")  # fmt: skip
    for short in shorts:
        found = decode_bytes(short.encode("cp874") + b"\xdb", "tis-620")
        assert (found.text, found.encoding) == (short + "\ufffd", "cp874"), short
    latins = ("Grüße aus Köln", "Die Bürgermeisterin erklärte, dass die Fähre täglich fährt.",
              "La vergüenza del alcalde: él dijo que sí al transbordador.",
              "El señor Núñez (nº 3) ganó. ¿Cómo? ¡Qué ilusión! Pingüino.")  # fmt: skip
    for latin in latins:
        found = decode_bytes(latin.encode("latin-1"), "tis-620")
        assert found.text == latin and found.encoding == "cp1252", latin
    # a spelling Thai never writes in one Thai character of five: não reads Nใo
    portuguese = "«É um dia de festa», disse o prefeito. Não! ™"
    found = decode_bytes(portuguese.encode("cp1252"), "tis-620")
    assert found.text == portuguese and found.encoding == "cp1252"
    # upper-case É, È are consonants in windows-874, standing inside Latin words
    capitals = "ÉTATS-UNIS : L'ÉLECTION PRÉSIDENTIELLE ENTRE DANS SA DERNIÈRE LIGNE DROITE"
    found = decode_bytes(capitals.encode("cp1252") + b"\x9c", "tis-620")
    assert found.text == capitals + "œ" and found.encoding == "cp1252"
    polish = "Prezydent powiedział, że prom będzie kursował do maja, a śmiałe plany źle przyjęto."
    found = decode_bytes(polish.encode("cp1250"), "tis-620")
    assert found.text == polish and found.encoding == "cp1250"


def test_a_page_with_a_stray_nul_byte_names_its_label_and_reads_utf8_as_utf8():
    """A page holding a NUL byte goes the byte rules' way (the NUL left out, flagged); its
    declared label is still named by its source, not "declared", and a page that is UTF-8
    under an old label is UTF-8 there too."""
    body = "Le maire a dit que le traversier circulera jusqu’en mai, près du quai. " * 20
    raw = page("", body.encode("utf-8")).replace(b"</title>", b"</title>\x00")  # 1 in 1,400
    result = extract_html(raw, Hints(declared_charset="iso-8859-15"), charset_source="http-header")
    assert (result.encoding, result.encoding_method) == ("utf-8", "utf-8")
    assert body.strip() in result.capture_text.replace("\n", " ")
    latin = page("", body.encode("cp1252")).replace(b"</title>", b"</title>\x00")
    result = extract_html(
        latin, Hints(declared_charset="windows-1252"), charset_source="http-header"
    )
    assert (result.encoding, result.encoding_method) == ("cp1252", "http-header")


def test_a_text_capture_no_label_reads_is_detected_from_its_code_page():
    """A stray byte windows-1254 leaves unassigned (0x81) sends a Turkish text to detection,
    which starts from the label's reading, as a page's does: it stays Turkish."""
    turkish = "Belediye başkanı “feribot mayısa kadar çalışacak” dedi, ağır bir sesle. " * 3
    raw = turkish.encode("cp1254") + b"\x81"
    found = decode_bytes(raw, "iso-8859-9")
    assert found.encoding == "cp1254" and found.text.startswith(turkish.rstrip())
    assert found.method == "declared"


def test_pack_reads_a_text_captures_logged_charset_as_browsers_do(tmp_path):
    """End to end: a text capture logged as iso-8859-1 keeps its quotation marks in the
    record, with its encoding named; the release verifies."""
    captures = tmp_path / "captures"
    captures.mkdir()
    body = "The mayor said “the ferry runs until May” and the council agreed to fund it. "
    (captures / "a.txt").write_bytes(("Ferry timetable\n\n" + body * 3 + "\n").encode("cp1252"))
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "a.txt", "charset": "ISO-8859-1"}) + "\n")
    out = tmp_path / "dist"
    args = ["pack", str(captures), "--capture-log", str(log), "--out", str(out),
            "--name", "latin", "--version", "1.0.0", "--no-relations", "--jobs", "1",
            "--json"]  # fmt: skip
    packed = CliRunner().invoke(main, args)
    assert packed.exit_code == 0, packed.output
    release = out / "latin-1.0.0"
    rows = pq.read_table(release / "data").to_pylist()
    assert len(rows) == 1
    assert (rows[0]["raw_encoding"], rows[0]["raw_encoding_method"]) == ("cp1252", "capture-log")
    assert "“the ferry runs until May”" in rows[0]["text"]
    assert "\x93" not in rows[0]["capture_text"]
    verified = CliRunner().invoke(main, ["verify", str(release), "--json"])
    assert verified.exit_code == 0, verified.output


def test_a_label_holding_a_nul_is_no_label(tmp_path):
    """A capture log's charset with a NUL in it stopped the whole pack (an internal error
    from codecs.lookup); it names no encoding, and the capture is read as undeclared."""
    assert text_codec("utf-8\x00") is None and label_codecs("utf-8\x00") == ()
    captures = tmp_path / "captures"
    captures.mkdir()
    (captures / "a.txt").write_text("Ferry timetable\n\nThe council met on Tuesday.\n")
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"path": "a.txt", "charset": "utf-8\x00"}) + "\n")
    args = ["pack", str(captures), "--capture-log", str(log), "--out", str(tmp_path / "dist"),
            "--name", "nul", "--version", "1.0.0", "--no-relations", "--jobs", "1",
            "--json"]  # fmt: skip
    packed = CliRunner().invoke(main, args)
    assert packed.exit_code == 0, packed.output
    assert json.loads(packed.output)["counts"]["records"] == 1


def test_pack_reads_declared_pages_as_browsers_do(tmp_path):
    """End to end: a Turkish page labelled iso-8859-9 keeps its quotation marks, and a page
    whose <meta> says utf-16 is packed, not quarantined; the release verifies."""
    captures = tmp_path / "captures"
    captures.mkdir()
    turkish = "Belediye başkanı “feribot mayısa kadar çalışacak” dedi. " * 4
    (captures / "turkish.html").write_bytes(page("iso-8859-9", turkish.encode("cp1254")))
    french = "Le maire a dit que le traversier circulera jusqu’en mai, près du quai. " * 4
    raw = page("utf-16", french.encode("utf-8"))
    (captures / "french.html").write_bytes(raw + b" " * (len(raw) % 2))
    runner = CliRunner()
    out = tmp_path / "dist"
    args = ["pack", str(captures), "--out", str(out), "--name", "web", "--version", "1.0.0",
            "--no-relations", "--created", "2026-01-01T00:00:00Z", "--jobs", "1",
            "--json"]  # fmt: skip
    packed = runner.invoke(main, args)
    assert packed.exit_code == 0, packed.output
    summary = json.loads(packed.output)
    assert summary["counts"]["records"] == 2 and summary["counts"]["quarantined"] == 0
    rows = {
        row["capture"]["source_path"]: row
        for row in pq.read_table(out / "web-1.0.0" / "data").to_pylist()
    }
    assert rows["captures/turkish.html"]["raw_encoding"] == "cp1254"
    assert "“feribot mayısa kadar çalışacak”" in rows["captures/turkish.html"]["text"]
    assert rows["captures/french.html"]["raw_encoding"] == "utf-8"
    assert "jusqu’en mai" in rows["captures/french.html"]["text"]
    verified = runner.invoke(main, ["verify", str(out / "web-1.0.0")])
    assert verified.exit_code == 0, verified.output
