"""Bytes to text: find the encoding, say which method decided it, refuse what is not text.

Order of evidence, strongest first: a byte-order mark; a charset declared by the capture log or an
HTTP header, read as browsers read it (``decode_labelled``: bytes that are UTF-8 are UTF-8
whatever the label, and a label is read as the WHATWG Encoding Standard reads it, but for an
ASCII label, which non-ASCII bytes refute); strict UTF-8; UTF-8 with a few damaged sequences (a
character cut short, a stray byte: repaired and flagged); UTF-16 without a byte-order mark;
then, for legacy bytes, the reading a browser would make (``archive.text.legacy``: windows-1252
unless the bytes clearly say otherwise), with how sure it is in ``Decoded.confidence``. Text
captures and HTML pages take the same rules, a page adding its ``<meta>`` charset as a second
label.

Hostile bytes are refused with a quarantine reason, never crash: compressed or archive data under
a text name, NUL bytes beyond ``MAX_NUL_SHARE`` of the bytes (0.1%: binary formats hold far
more; a page with a stray few is text, read without them and flagged ``nul-bytes-removed``, its
raw bytes and their hash kept as captured), mostly control characters. Terminal escapes and
bidirectional controls inside otherwise good text are kept (the capture is evidence) and flagged
on the record; anything printed to a terminal goes through ``printable`` first.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from archive.text.labels import WINDOWS_CODE_PAGES, web_codecs, web_decoded
from archive.text.legacy import Detected, detect_legacy

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
# Control characters that never belong in article text (keeps \t \n \v \f \r).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Any of the above (ESC is a control character): one scan clears the usual clean text.
_SUSPECT = re.compile(f"{_CONTROL.pattern}|{_BIDI.pattern}")
_ESCAPE = "\x1b"
# every byte but the ASCII control bytes _CONTROL finds (bytes.translate deletes these)
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if not _CONTROL.match(chr(b)) or b > 0x7F)
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_BIDI_UTF8 = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")
_MAX_REPAIRED_SHARE = 0.01
MAX_NUL_SHARE = 0.001
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"%PDF-", "a PDF document"),
)
# Text codecs that a capture log may name but that are not charsets: they would rewrite the
# text (unicode_escape turns a literal backslash-x-1-b into ESC) rather than decode it.
_NOT_CHARSETS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined"}
# What ``printable`` escapes: every control character (line breaks too) and bidi controls.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class NotText(ValueError):
    """The bytes are not a text capture; ``reason`` is a quarantine code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Decoded:
    """Decoded text with the encoding used, the method that chose it and any flags raised.

    ``confidence`` (percent) is set only when the encoding was guessed (method ``detected``):
    see ``archive.text.legacy``; an encoding the bytes or a declaration state has none."""

    text: str
    encoding: str
    method: str
    flags: tuple[str, ...] = ()
    confidence: int | None = None


def decode_bytes(raw: bytes, declared: str | None = None) -> Decoded:
    """Decode captured bytes, or raise ``NotText`` with a quarantine reason.

    >>> decode_bytes("café".encode("cp1252")).encoding
    'cp1252'
    """
    if not raw.strip():
        raise NotText("empty", "the file is empty" if not raw else "the file holds only whitespace")
    decoded = _decode(raw, declared)
    if not decoded.text.strip():
        raise NotText("empty", "the text holds only whitespace")
    if decoded.method == "utf-8" and _clean_utf8(raw):
        return decoded
    return _with_control_flags(decoded)


def _decode(raw: bytes, declared: str | None) -> Decoded:
    for bom, name, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return Decoded(raw.decode(codec), name, "bom")
            except UnicodeDecodeError as exc:
                raise NotText("undecodable", f"{name} byte-order mark but {exc.reason}") from None
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise NotText("binary", f"{what} under a text name")
    if b"\x00" in raw:
        utf16 = _bomless_utf16(raw)
        if utf16 is not None:
            return utf16
        nuls = raw.count(0)
        if nuls > len(raw) * MAX_NUL_SHARE:
            raise NotText("binary", f"{nuls} NUL bytes: binary data, not text")
        decoded = _decode(raw.replace(b"\x00", b""), declared)
        return replace(decoded, flags=(*decoded.flags, "nul-bytes-removed"))
    if declared:
        decoded = decode_labelled(raw, ((label_codecs(declared), "declared"),))
        if decoded:
            return decoded
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    repaired = _repaired_utf8(raw)
    return repaired if repaired else detected(detect_legacy(raw))


def decode_labelled(raw: bytes, labelled: Sequence[tuple[tuple[str, ...], str]]) -> Decoded | None:
    """``raw`` (no byte-order mark, no NUL byte) read by its labels as browsers read them, or
    None when none of them, nor UTF-8, reads it and no label's reading applies.

    ``labelled`` holds (codecs, method) pairs, strongest evidence first: each label's
    ``label_codecs`` and the method it is named by. Bytes that are UTF-8, and not ASCII alone,
    are UTF-8 whatever a label says, and so are bytes that are UTF-8 but for a little damage:
    a legacy encoding's bytes almost never are, while a page saved as UTF-8 under its old
    label is common (``_utf8``). Then each label's codecs, strictly, then UTF-8. Bytes no label
    reads strictly, nor UTF-8, are left to the rules for unlabelled bytes (None) when nine in
    ten of their non-ASCII bytes are good UTF-8 (a stray byte in a short UTF-8 text: those rules
    repair it), but under a Thai label, whose text is often that much UTF-8 by chance; else
    detected from the first label's reading when that is a Windows code page
    (``_detected_from``; an ASCII label, refuted by the bytes, is passed over); Thai is read as
    the standard reads its label (``archive.text.labels.web_decoded``: detection has no Thai
    reading). UTF-16 labels are dropped: UTF-16 text holds a NUL byte for every character below
    U+0100 (a space, a line end, any Latin letter), and HTML's prescan reads a ``<meta>`` so
    too.
    """
    labelled = tuple(
        (tuple(c for c in found if not c.startswith("utf-16")), how) for found, how in labelled
    )
    first = next((found[0] for found, _ in labelled if found), "utf-8")
    if first != "utf-8" and not raw.isascii() and (utf8 := _utf8(raw)) is not None:
        return utf8
    for found, method in (*labelled, (("utf-8",), "utf-8")):
        for codec in found:
            try:
                return Decoded(raw.decode(codec), codec, method)
            except UnicodeDecodeError:
                continue
    found, method = next(((f, m) for f, m in labelled if f and f != ("ascii",)), ((), ""))
    if found != ("cp874",) and _may_be_mostly_utf8(raw) and _utf8_reading(raw)[3] >= _MIN_SHARE:
        return None  # UTF-8 with a stray byte: the rules for unlabelled bytes repair it
    if (read := web_decoded(raw, found)) is not None:
        codec, text, replaced = read
        return Decoded(text, codec, method, ("encoding-repaired",) if replaced else ())
    if found and found[0] in WINDOWS_CODE_PAGES:
        return _detected_from(raw, found[0], method)
    return None


def _detected_from(raw: bytes, codec: str, method: str) -> Decoded:
    """Detection from ``codec``'s reading of ``raw`` (``detect_legacy``'s ``declared``): the
    label's own method when that reading stands."""
    found = detect_legacy(raw, declared=codec)
    if found.encoding == codec:
        return Decoded(found.text, codec, method, ("encoding-repaired",) if found.repaired else ())
    return detected(found)


def _utf8(raw: bytes) -> Decoded | None:
    """``raw`` as UTF-8 when it is UTF-8, or when it is UTF-8 but for a little damage: cut
    short inside its last character with at least two good multi-byte characters before it, or
    damaged elsewhere with at least ``_MIN_GOOD`` good multi-byte characters holding nine in
    ten of its non-ASCII bytes (repaired and flagged). Bytes of another encoding almost never
    are (a non-ASCII character in windows-1252 is one byte, which UTF-8 never leaves alone),
    while a page saved as UTF-8 under its old label is common: 3 of the 303 real test pages
    are, and one, labelled iso-8859-15, had been read as Ã³ for ó throughout. So bytes that
    are UTF-8 are read as UTF-8, whatever their label says. A short run of EUC-KR or Big5 can
    be UTF-8 but for one sequence (단기간 is), hence the good characters asked for."""
    try:
        return Decoded(raw.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(raw):
            good = raw[: exc.start].decode("utf-8")  # the first error is the cut
            if _multibyte(good) < 2:
                return None
            return Decoded(good + "\ufffd", "utf-8", "utf-8-repaired", ("encoding-repaired",))
    if not _may_be_mostly_utf8(raw):
        return None
    text, _, good, share = _utf8_reading(raw)
    if good < _MIN_GOOD or share < _MIN_SHARE:
        return None
    return Decoded(text, "utf-8", "utf-8-repaired", ("encoding-repaired",))


def _utf8_reading(raw: bytes) -> tuple[str, int, int, float]:
    """``raw`` read as UTF-8 with U+FFFD for what is not, how many sequences were damaged, its
    good multi-byte characters, and the share of its non-ASCII bytes they hold."""
    text = raw.decode("utf-8", errors="replace")
    damaged = text.count("\ufffd") - raw.count("\ufffd".encode())
    good = text.replace("\ufffd", "")
    good_bytes = len(good.encode()) - len(good.encode("ascii", "ignore"))
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    return text, damaged, _multibyte(good), good_bytes / high if high else 0.0


def _multibyte(text: str) -> int:
    """The characters of ``text`` outside ASCII, but U+FFFD."""
    return len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")


def _may_be_mostly_utf8(raw: bytes) -> bool:
    """Whether good UTF-8 characters could hold ``_MIN_SHARE`` of the non-ASCII bytes of
    ``raw``: each such character of n bytes holds n - 1 continuation bytes (0x80-0xbf), at
    least half of it. Most legacy text has far fewer, and one C-level count of them spares it
    the decoding (``_utf8_reading``), which cost 0.76 ms on a 64 KB windows-1251 page: every
    page of a legacy label goes by here."""
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    continuation = len(raw) - len(raw.translate(None, _CONTINUATION_BYTES))
    return 2 * continuation >= 0.8 * high  # the half of nine in ten, with room to spare


# Damaged UTF-8 taken as UTF-8: this many good multi-byte characters (a few legacy CJK
# characters can be good UTF-8 by chance; eight were in none of 100,000 random windows of each
# legacy encoding a review tried, and in one of 100,000 of Thai names), holding this share of
# the non-ASCII bytes (in those windows, 0.84 at most).
_MIN_GOOD = 8
_MIN_SHARE = 0.9
_HIGH_BYTES = bytes(range(0x80, 0x100))
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


def label_codecs(label: str | None, *, in_page: bool = False) -> tuple[str, ...]:
    """The codecs that read text labelled ``label`` as browsers do (``web_codecs``), else the
    one Python knows the label by (the standard's "replacement" labels, and labels only Python
    knows); empty for no label or one that names no charset. An ASCII label (``us-ascii``)
    is read as ASCII, not as browsers' windows-1252: non-ASCII bytes show it is a default, not
    a statement, and the bytes are read as if unlabelled (a KOI8-R text under it would be
    mojibake in windows-1252, never refused).

    >>> label_codecs("iso-8859-1"), label_codecs("x-mac-cyrillic"), label_codecs("rot13")
    (('cp1252',), ('mac-cyrillic',), ())
    """
    if not label:
        return ()
    codec = text_codec(label)
    if codec == "ascii":
        return (codec,)
    found = web_codecs(label, in_page=in_page)
    if found:
        return found
    return () if codec is None else (codec,)


def text_codec(label: str | None) -> str | None:
    """Python's codec of a charset label, or None: a label Python does not know, or a codec
    that is no text encoding (rot13, base64, idna: a page or a log that names one states no
    charset). ``label_codecs`` reads a label as browsers do.

    >>> text_codec("latin-1"), text_codec("rot13"), text_codec("iso885915")
    ('iso8859-1', None, None)
    """
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip())
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if not info._is_text_encoding or info.name.replace("-", "_") in _NOT_CHARSETS:
        return None
    return info.name


def _bomless_utf16(raw: bytes) -> Decoded | None:
    """UTF-16 without a byte-order mark: mostly Latin text, so one byte of nearly every pair is
    NUL. Anything else with NUL bytes is binary."""
    if len(raw) % 2 or len(raw) < 8:
        return None
    pairs = len(raw) // 2
    for name, high in (("utf-16-le", raw[1::2]), ("utf-16-be", raw[0::2])):
        if high.count(0) >= 0.9 * pairs:
            try:
                text = raw.decode(name)
            except UnicodeDecodeError:
                return None
            if "\x00" not in text:
                share = 100 * high.count(0) // pairs
                return Decoded(text, name, "detected", ("encoding-detected",), share)
    return None


def _repaired_utf8(raw: bytes) -> Decoded | None:
    """UTF-8 with a few broken sequences (a truncated character, a stray byte): at most one
    byte in a hundred, or more when at least ``_MIN_GOOD`` good multi-byte characters hold nine
    in ten of the non-ASCII bytes, as over a label (``_utf8``)."""
    text, damaged, good, share = _utf8_reading(raw)
    few = damaged <= max(1, len(raw) * _MAX_REPAIRED_SHARE)
    if (few and good) or (good >= _MIN_GOOD and share >= _MIN_SHARE):
        return Decoded(text, "utf-8", "utf-8-repaired", ("encoding-repaired",))
    return None


def detected(found: Detected) -> Decoded:
    """A detection's reading (``archive.text.legacy.detect_legacy``) as ``Decoded``."""
    flags = ("encoding-detected", "encoding-repaired") if found.repaired else ("encoding-detected",)
    return Decoded(found.text, found.encoding, "detected", flags, found.confidence)


def _clean_utf8(raw: bytes) -> bool:
    """Whether UTF-8 ``raw`` holds no character ``_SUSPECT`` finds, read off the bytes: in UTF-8
    each of them is a byte sequence of its own (a control byte; C2 and a byte 80-9F; E2 80 or
    E2 81 and the bidi control's last byte). Three C-level scans, half the cost of testing
    every decoded character."""
    return (
        not raw.translate(None, _NOT_CONTROL_BYTES)
        and (b"\xc2" not in raw or _C1_UTF8.search(raw) is None)
        and _BIDI_UTF8.search(raw) is None
    )


def _with_control_flags(decoded: Decoded) -> Decoded:
    text = decoded.text
    if "\x00" in text:  # e.g. UTF-16 with a byte-order mark whose characters are NUL
        nuls = text.count("\x00")
        if nuls > len(text) * MAX_NUL_SHARE:
            raise NotText("binary", f"{nuls} NUL characters: binary data, not text")
        text = text.replace("\x00", "")
        decoded = replace(decoded, text=text, flags=(*decoded.flags, "nul-bytes-removed"))
    # every character _SUSPECT finds is unprintable: a text printable but for its line ends (a
    # C-level test, a few times faster than the regex) holds none of them
    if text.replace("\n", " ").isprintable() or _SUSPECT.search(text) is None:
        return decoded
    controls = len(_CONTROL.findall(text))
    if controls > max(8, len(text) // 20):
        raise NotText("binary", f"{controls} control characters: binary data, not text")
    flags = list(decoded.flags)
    if controls:
        flags.append("control-characters")
    if _ESCAPE in text:
        flags.append("terminal-escapes")
    if _BIDI.search(text):
        flags.append("bidi-controls")
    if flags == list(decoded.flags):
        return decoded
    return replace(decoded, flags=tuple(flags))


def printable(text: str, keep: str = "") -> str:
    """``text`` safe to print on a terminal: control characters (but those in ``keep``) and
    bidirectional controls become visible escapes, so a file name or a capture cannot move the
    cursor, recolour the screen or reorder what the reader sees.

    >>> printable("report\\x1b[2J.txt\\n")
    'report\\\\x1b[2J.txt\\\\n'
    """
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in keep else _escape(m.group()), text)


def printable_json(text: str) -> str:
    """Serialized JSON safe for a terminal: JSON already escapes C0 controls; this escapes C1
    and bidi controls too (as ``\\uXXXX``, so the JSON means the same)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if char == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
