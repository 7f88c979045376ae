"""Charset labels as browsers read them: the WHATWG Encoding Standard's labels, and for each of
its encodings the Python codecs that decode it as its decoder does.

Python's codec of the same name is often not the web's encoding: a page labelled ``iso-8859-9``
is read by every browser as windows-1254 (smart quotes in 0x80-0x9f, which ISO-8859-9 makes
control characters), ``shift_jis`` as Microsoft's code page 932, ``euc-kr`` as code page 949,
``gb2312`` as GBK and ``big5`` as Big5-HKSCS; a label such as ``iso885915`` Python does not know
at all. ``web_codecs`` gives the codecs for a label, whether the standard's spelling or Python's
(``latin_1``, ``euc_kr``: what a capture log may hold).

A page is read strictly first, so that a byte its label's encoding leaves unassigned shows
the label may be wrong: the page is then read as UTF-8 if it is, as with a page saved as UTF-8
under its old ``<meta>`` (a real test page, Russian under windows-1251), else detected. Under a
Windows code page's label, detection starts from the label's reading (its unassigned bytes as
the standard's C1 controls) and another encoding must beat it by detection's margin: a
Turkish page with one stray byte stays Turkish (detection alone read one as Arabic), a
Japanese page under a server's default iso-8859-1 is still read as Japanese. A Thai page is
read as the standard reads its label (``web_decoded``): detection has no Thai reading.

The labels and encodings are the standard's (``encodings.json``; https://encoding.spec.whatwg.org/,
WHATWG, CC BY 4.0). Each codec was chosen by decoding every byte sequence of the standard's
index with it (``tests/test_web_encodings.py`` holds the indexes and checks them). Where no
Python codec is exact, the differences are these:

* Big5: ``big5hkscs`` leaves 192 of the index's 18,594 sequences undecoded, and reads 11 as
  other characters (Python's ``big5`` leaves 4,884 and misreads 260, and reads none of those
  192 as the standard does); a page holding one goes to detection;
* GBK and gb18030: ``gbk`` is exact where it decodes, ``gb18030`` (tried next) reads 20
  two-byte sequences as the 2005 edition did (private-use characters), not as the 2022 one;
  neither reads the standard's 0x80 (the euro sign); four-byte sequences are not checked;
* Shift_JIS: ``cp932`` is exact on the index, but reads 0xa0 and 0xfd-0xff (errors in the
  standard) as private-use characters;
* EUC-JP: ``euc_jp`` reads 7 sequences as JIS does (WAVE DASH, not FULLWIDTH TILDE) and leaves
  457 undecoded; ISO-2022-JP: Python refuses the half-width katakana escape the standard reads;
* KOI8-U: two bytes (0xae, 0xbe) are box drawing in Python's, Belarusian Ў in the standard's;
* "replacement" (ISO-2022-KR, HZ, ISO-2022-CN), which browsers refuse to decode at all (a
  page is one U+FFFD), is read as Python reads its label: the text is kept.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

import archive.text.legacy  # noqa: F401  (registers the whatwg-c1 error handler)

# The standard's encodings: name, the codecs that read it (in order: the next when the one
# before fails), and its labels.
_ENCODINGS = (
    ("UTF-8", ("utf-8",), "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 "
     "x-unicode20utf8"),
    ("IBM866", ("cp866",), "866 cp866 csibm866 ibm866"),
    ("ISO-8859-2", ("iso8859-2",), "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 "
     "iso_8859-2 iso_8859-2:1987 l2 latin2"),
    ("ISO-8859-3", ("iso8859-3",), "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 "
     "iso_8859-3 iso_8859-3:1988 l3 latin3"),
    ("ISO-8859-4", ("iso8859-4",), "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 "
     "iso_8859-4 iso_8859-4:1988 l4 latin4"),
    ("ISO-8859-5", ("iso8859-5",), "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 "
     "iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"),
    ("ISO-8859-6", ("iso8859-6",), "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic "
     "ecma-114 iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
     "iso_8859-6:1987"),
    ("ISO-8859-7", ("iso8859-7",), "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 "
     "iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek"),
    ("ISO-8859-8", ("iso8859-8",), "csiso88598e csisolatinhebrew hebrew iso-8859-8 "
     "iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual"),
    ("ISO-8859-8-I", ("iso8859-8",), "csiso88598i iso-8859-8-i logical"),
    ("ISO-8859-10", ("iso8859-10",), "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 "
     "l6 latin6"),
    ("ISO-8859-13", ("iso8859-13",), "iso-8859-13 iso8859-13 iso885913"),
    ("ISO-8859-14", ("iso8859-14",), "iso-8859-14 iso8859-14 iso885914"),
    ("ISO-8859-15", ("iso8859-15",), "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 "
     "l9"),
    ("ISO-8859-16", ("iso8859-16",), "iso-8859-16"),
    ("KOI8-R", ("koi8-r",), "cskoi8r koi koi8 koi8-r koi8_r"),
    ("KOI8-U", ("koi8-u",), "koi8-ru koi8-u"),
    ("macintosh", ("mac-roman",), "csmacintosh mac macintosh x-mac-roman"),
    ("windows-874", ("cp874",), "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    ("windows-1250", ("cp1250",), "cp1250 windows-1250 x-cp1250"),
    ("windows-1251", ("cp1251",), "cp1251 windows-1251 x-cp1251"),
    ("windows-1252", ("cp1252",), "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 "
     "iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
     "windows-1252 x-cp1252"),
    ("windows-1253", ("cp1253",), "cp1253 windows-1253 x-cp1253"),
    ("windows-1254", ("cp1254",), "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 "
     "iso_8859-9 iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254"),
    ("windows-1255", ("cp1255",), "cp1255 windows-1255 x-cp1255"),
    ("windows-1256", ("cp1256",), "cp1256 windows-1256 x-cp1256"),
    ("windows-1257", ("cp1257",), "cp1257 windows-1257 x-cp1257"),
    ("windows-1258", ("cp1258",), "cp1258 windows-1258 x-cp1258"),
    ("x-mac-cyrillic", ("mac-cyrillic",), "x-mac-cyrillic x-mac-ukrainian"),
    ("GBK", ("gbk", "gb18030"), "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk "
     "iso-ir-58 x-gbk"),
    ("gb18030", ("gb18030",), "gb18030"),
    ("Big5", ("big5hkscs",), "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("EUC-JP", ("euc_jp",), "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    ("ISO-2022-JP", ("iso2022_jp",), "csiso2022jp iso-2022-jp"),
    ("Shift_JIS", ("cp932",), "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j "
     "x-sjis"),
    ("EUC-KR", ("cp949",), "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 "
     "ks_c_5601-1989 ksc5601 ksc_5601 windows-949"),
    ("replacement", (), "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr "
     "replacement"),
    ("UTF-16BE", ("utf-16-be",), "unicodefffe utf-16be"),
    ("UTF-16LE", ("utf-16-le",), "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 "
     "utf-16le"),
    ("x-user-defined", (), "x-user-defined"),
)  # fmt: skip

WEB_LABELS: dict[str, str] = {
    label: name for name, _, labels in _ENCODINGS for label in labels.split()
}
"""Every label of the standard (lower case) -> the name of the encoding it stands for."""
_CODECS: dict[str, tuple[str, ...]] = {name: found for name, found, _ in _ENCODINGS}
# HTML's prescan of a page's <meta>: a page that could say its charset in ASCII is no UTF-16,
# and x-user-defined (a decoder for binary data) means windows-1252 there.
_IN_PAGE = {"UTF-16BE": "UTF-8", "UTF-16LE": "UTF-8", "x-user-defined": "windows-1252"}


def web_codecs(label: str | None, *, in_page: bool = False) -> tuple[str, ...]:
    """The Python codecs that read text labelled ``label`` as browsers do, to be tried in order;
    empty for a label the standard does not know, or whose encoding no codec reads (the
    standard's "replacement" and, but in a page, x-user-defined). ``in_page``: the label of a
    page's ``<meta>``, which HTML reads with its own two rules (UTF-16 means UTF-8 there).

    >>> web_codecs("ISO-8859-9"), web_codecs("gb2312"), web_codecs("utf-16", in_page=True)
    (('cp1254',), ('gbk', 'gb18030'), ('utf-8',))
    """
    label = (label or "").strip().lower()
    name = WEB_LABELS.get(label) or _python_spellings().get(_python_name(label))
    if name is None:
        return ()
    if in_page:
        name = _IN_PAGE.get(name, name)
    return _CODECS[name]


def _python_name(label: str) -> str | None:
    try:
        return codecs.lookup(label).name if label else None
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None


@cache  # a lookup of every label: some milliseconds, paid when a label is first read
def _python_spellings() -> Mapping[str, str]:
    """Python's codec name -> the standard's encoding, for each codec a label of the standard
    names: ``latin_1``, ``8859`` and ``iso-8859-1`` are one codec to Python, and one encoding
    (windows-1252) to the standard."""
    return MappingProxyType(
        {found: WEB_LABELS[label] for label in WEB_LABELS if (found := _python_name(label))}
    )


def web_decoded(raw: bytes, found: tuple[str, ...]) -> tuple[str, str, bool] | None:
    """``raw`` read as the standard reads the encoding of ``found`` (a ``web_codecs`` answer),
    for a page none of them reads strictly: (codec, text, whether a byte became U+FFFD). Only
    for windows-874, which detection has no reading of: a Thai page with one stray byte would
    be read as Hebrew. Another encoding's page goes to detection, as a wrong label's must (a
    Windows code page read this way never fails, and GB18030 reads almost any pair). None
    too when more than a few bytes would be replaced (``_MAX_REPLACED``), or when the reading
    is not Thai: Thai characters must be most of its non-ASCII characters, and at most one in
    ten of them may break Thai spelling (``_MISPLACED_THAI``). Latin-1's accented letters
    are Thai vowels, tone marks and digits there, each inside a Latin word (``erklärte`` reads
    ``erklไrte``, ``año`` ``a๑o``); such a text is left to detection, while Thai with Latin
    words glued to it (``ซื้อiPhoneที่``) is Thai."""
    if found != ("cp874",):
        return None
    text = raw.decode("cp874", "whatwg-c1")  # archive.text.legacy's: C1 controls, else U+FFFD
    replaced = text.count("\ufffd")
    if replaced > max(1, len(text) * _MAX_REPLACED):
        return None
    thai = len(_THAI.findall(text))
    if 2 * thai <= len(text) - len(text.encode("ascii", "ignore")):
        return None
    if 10 * len(_MISPLACED_THAI.findall(text)) > thai:
        return None
    return "cp874", text, replaced > 0


WINDOWS_CODE_PAGES = frozenset(f"cp125{n}" for n in range(9))
"""The single-byte Windows code pages: each leaves a few bytes 0x80-0x9f unassigned, which the
standard reads as C1 controls."""

# Replacement characters a page read by its label may hold, as a share of its characters:
# detection allows the same (archive.text.legacy).
_MAX_REPLACED = 0.001
_THAI = re.compile("[\u0e01-\u0e5b]")
# What Thai spelling never writes, and Latin text read as Thai is full of: a vowel sign or tone
# mark after no Thai letter (they sit on a consonant), a leading vowel before no consonant (เเ
# typed for แ is common), a Thai digit or sign touching a Latin letter, and one Thai character
# inside a Latin word (PRษSIDENT: an upper-case É is a consonant in windows-874).
_MISPLACED_THAI = re.compile(
    "(?<![\u0e01-\u0e2e\u0e30-\u0e3a\u0e45\u0e47-\u0e4e])[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]"
    "|[\u0e40-\u0e44](?![\u0e01-\u0e2e]|\u0e40[\u0e01-\u0e2e])"
    "|(?<=[A-Za-z])[\u0e3f\u0e4f-\u0e5b]|[\u0e3f\u0e4f-\u0e5b](?=[A-Za-z])"
    "|(?<=[A-Za-z])[\u0e01-\u0e5b](?=[A-Za-z])"
)


__all__ = ["WEB_LABELS", "WINDOWS_CODE_PAGES", "web_codecs", "web_decoded"]
