"""Undeclared legacy bytes to text, read as a browser reads them.

Bytes that are not UTF-8 and declare no charset are decoded the way the WHATWG Encoding
standard's browsers do: **windows-1252** (``cp1252``), the default for Western text, unless the
bytes clearly say otherwise. Only the encodings browsers offer for such pages are candidates
(``CANDIDATES``); rare code pages (cp775, mac-iceland, cp1258 ...) never are, whatever a
statistical detector would say.

Each candidate reading is scored by its *anomalies*, things real text does not do:

* a C1 control, an unassigned or private-use character, a replacement character (a byte the
  encoding does not define), or a half-width katakana;
* a symbol glued to a letter (``Zielonogó³rska``, ``¶νω``), other than quotes, dashes and the
  like, or a Latin, Cyrillic or Greek letter outside ASCII running into a digit (``Ł2.4``);
* a word mixing scripts (``cafй``: Latin and Cyrillic) or turning from lower to upper case
  inside (``пРИВЕТ``: KOI8-R read as windows-1251);
* an accented Latin letter outside the alphabet of the one language that explains the most of
  them (``elsõ``: Hungarian has ő, not õ); words with a capital and then small letters are
  left out, as names may be spelt in any language (``Øyvind Müller`` in English text);
* a script's most frequent letters gone rare (Hebrew read as windows-1251 is Cyrillic, but
  not Russian), or a sentence starting in lower case;
* a Chinese, Japanese or Korean character outside the common set of the language that fits
  best (GB2312 level 1, Big5's frequent characters, JIS X 0208 level 1 with kana, KS X 1001's
  Hangul), or a space between two ideographs of Chinese or Japanese text.

The candidate with the fewest anomalies wins (ties go to the earlier candidate). It replaces the
windows-1252 default only by a **clear margin**: at least ``MARGIN_ANOMALIES`` fewer anomalies,
and at least ``MARGIN_SHARE`` of the non-ASCII bytes fewer. ``confidence`` says how sure the
choice is, in percent: the share of non-ASCII bytes by which the best reading that gives a
*different* text has more anomalies (100 when every other reading gives the same text or is
impossible; 0 when the default was kept against a slightly better reading).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from itertools import filterfalse

DEFAULT = "cp1252"
# Browser encodings for undeclared legacy pages, as Python codecs, in tie-break order. WHATWG
# reads shift_jis as windows-31j (cp932), gb2312/gbk as gb18030, euc-kr as windows-949
# (cp949), big5 as Big5-HKSCS, iso-8859-1 and iso-8859-9 as windows-1252 and windows-1254.
CANDIDATES = (
    "cp1252",
    "cp1250",
    "cp1251",
    "koi8-r",
    "koi8-u",
    "cp1253",
    "iso8859-7",
    "cp1254",
    "cp1255",
    "iso8859-8",
    "cp1256",
    "iso8859-2",
    "cp932",
    "euc_jp",
    "gb18030",
    "big5hkscs",
    "cp949",
)
MARGIN_ANOMALIES = 2
MARGIN_SHARE = 0.05
SAMPLE_BYTES = 8 * 1024
_MAX_STRETCH = 4096
# A reading may put U+FFFD, as browsers do, for this share of its characters: bytes its
# encoding leaves undefined, or a character cut short at the end of a capture.
_MAX_REPAIRED_SHARE = 0.001
# Stretches of bytes holding non-ASCII ones, cut at bytes no candidate uses as a trail byte.
_STRETCH = re.compile(rb"[^\x00-\x1f<>]*[\x80-\xff][^\x00-\x1f<>]*")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_WORD = re.compile(r"[^\W\d_]+")
# A sentence's first letter, when it is not ASCII (cased scripts start sentences upper case).
_SENTENCE_START = re.compile(r"(?:^|[.!?] +)([^\W\d_\x00-\x7f])", re.M)
# Punctuation that sits against letters in real text.
_GLUE_OK = set("“”„‟‘’‚‛«»‹›–—―‐‑…•·¿¡°§€£¥¢©®™′″ªº")
_ALPHABETS = {
    "fr": "àâæçéèêëîïôœùûüÿ",
    "de": "äöüß",
    "es": "áéíñóúü",
    "pt": "áâãàçéêíóôõú",
    "it": "àèéìíîòóùú",
    "nl": "áäéëèíïóöúü",
    "sv": "åäöé",
    "da": "æøåéó",
    "fi": "äöåšž",
    "is": "áðéíóúýþæö",
    "et": "äõöüšž",
    "ca": "àçéèíïòóúü",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "hr": "čćđšž",
    "sl": "čšž",
    "ro": "ăâîșțşţ",
    "tr": "çğıöşüâîû",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
}
_CJK_SCRIPTS = {"CJK", "HIRAGANA", "KATAKANA"}
# The most frequent letters of each script's languages (Russian, Ukrainian, Bulgarian; Greek;
# Hebrew; Arabic), from published letter-frequency tables.
# Scripts whose accented or non-Latin letters do not run into digits (``Ł2.4 million`` is £).
_DIGITLESS = {"LATIN", "CYRILLIC", "GREEK"}
_FEW_LETTERS = 20  # fewer letters than this say nothing of their frequencies
_FREQUENT = {
    "CYRILLIC": frozenset("оеаинтсрві"),
    "GREEK": frozenset("αοιετνσςηυρπκμάέίόήύώ"),
    "HEBREW": frozenset("יוהלארמתבשנ"),
    "ARABIC": frozenset("اليمونهرتبةع"),
}


@dataclass(frozen=True)
class Reading:
    """One candidate's reading of the bytes and how many anomalies it has."""

    encoding: str
    anomalies: int


@dataclass(frozen=True)
class Detected:
    """The chosen encoding, its text, how sure the choice is, and whether bytes were repaired."""

    encoding: str
    text: str
    confidence: int
    repaired: bool = False


def detect_legacy(raw: bytes, declared: str | None = None) -> Detected:
    """The browser reading of undeclared, non-UTF-8 ``raw``; ``declared``: a single-byte
    Windows code page a page declares but that does not read it strictly (a stray byte it
    leaves unassigned), which takes windows-1252's place as the reading another must beat by
    the margin (its unassigned bytes read as the standard reads them, C1 controls).

    >>> detect_legacy("café".encode("cp1252")).encoding
    'cp1252'
    >>> detect_legacy("Zażółć gęślą jaźń".encode("cp1250")).text
    'Zażółć gęślą jaźń'
    """
    sample = _sample(raw)
    nonascii = max(1, len(sample) - len(sample.translate(None, _HIGH_BYTES)))
    readings = []
    texts: dict[str, str] = {}
    scores: dict[str, int] = {}  # by reading: several encodings often read the sample alike
    for encoding in (*((declared,) if declared else ()), *CANDIDATES):
        text = _decoded(sample, encoding, declared)
        if text is not None and encoding not in texts:
            texts[encoding] = text
            if text not in scores:
                scores[text] = anomalies(text)
            readings.append(Reading(encoding, scores[text]))
    # cp1252 as browsers read it decodes every byte, and so does a declared code page
    default = readings[0]
    best = min(readings, key=lambda r: r.anomalies)  # min keeps the first of equals
    gain = default.anomalies - best.anomalies
    if gain < MARGIN_ANOMALIES or gain < MARGIN_SHARE * nonascii:
        best = default
    reading, whole = best, _decoded(raw, best.encoding, declared)
    if whole is None:  # the sample decoded, the whole does not: back to the default
        reading, whole = default, _decoded(raw, default.encoding, declared)
    others = [r.anomalies for r in readings if texts[r.encoding] != texts[reading.encoding]]
    margin = (min(others) - reading.anomalies) / nonascii if others else 1.0
    confidence = round(100 * min(1.0, max(0.0, margin)))
    repaired = reading.encoding != DEFAULT and "\ufffd" in whole
    return Detected(reading.encoding, whole, confidence, repaired)


def _sample(raw: bytes) -> bytes:
    """The stretches of ``raw`` that hold non-ASCII bytes, up to ``SAMPLE_BYTES``."""
    if len(raw) <= SAMPLE_BYTES:
        return raw
    kept, size = [], 0
    for match in _STRETCH.finditer(raw):
        stretch = match.group()
        if len(stretch) > _MAX_STRETCH:  # cut at a space: no candidate's trail byte
            space = stretch.rfind(b" ", 0, _MAX_STRETCH)
            stretch = stretch[: space if space > 0 else _MAX_STRETCH]
        kept.append(stretch)
        size += len(stretch) + 1
        if size >= SAMPLE_BYTES:
            break
    return b"\n".join(kept)


def _decoded(raw: bytes, encoding: str, declared: str | None = None) -> str | None:
    if encoding in (DEFAULT, declared):
        return raw.decode(encoding, errors="whatwg-c1")
    text = raw.decode(encoding, errors="replace")
    if text.count("\ufffd") > max(1, len(text) * _MAX_REPAIRED_SHARE):
        return None
    return text


def _whatwg_c1(exc: UnicodeDecodeError) -> tuple[str, int]:
    """A Windows code page as WHATWG defines it: a byte 0x80-0x9f it leaves undefined is that
    C1 control (so every byte of windows-1252 decodes); another undefined byte is U+FFFD."""
    byte = exc.object[exc.start]
    return (chr(byte) if 0x80 <= byte <= 0x9F else "\ufffd"), exc.start + 1


def anomalies(text: str) -> int:
    """How many things ``text`` does that real text does not (see the module docstring).

    >>> anomalies("Kiessling’s “report” – 1st of 3"), anomalies("cafй"), anomalies("пРИВЕТ")
    (0, 1, 2)
    """
    # Every anomaly is a non-ASCII character, or a word or sentence start holding one, seen
    # with its neighbours on its line: the ASCII lines (most of a Western page) count none,
    # and leaving them out spares the word and sentence scans most of the text.
    return _anomalies("\n".join(filterfalse(str.isascii, text.split("\n"))))


def _anomalies(text: str) -> int:
    count = 0
    cjk: list[str] = []
    letters: Counter = Counter()  # (script, frequent?) of the scripts in _FREQUENT
    for match in _NON_ASCII.finditer(text):
        index, char = match.start(), match.group()
        kind = _kind(char)
        if _odd(text, index, kind):
            count += 1
        elif kind in _CJK_SCRIPTS or kind == "HANGUL":
            cjk.append(char)
        elif kind in _FREQUENT:
            letters[kind, char.lower() in _FREQUENT[kind]] += 1
    words = list(filterfalse(str.isascii, _WORD.findall(text)))
    count += sum(_word_anomalies(word) for word in words) + _shouting(words)
    count += sum(1 for match in _SENTENCE_START.finditer(text) if match.group(1).islower())
    # Names may be spelt in any language; the other words must share one alphabet.
    latin = Counter(
        c for w in words if not _titled(w) for c in w if c > "\x7f" and _kind(c) == "LATIN"
    )
    count += _rare_letters(letters)
    if latin:
        count += _outside_alphabet(latin)
    if cjk:
        count += _uncommon_cjk(cjk, _spaced_ideographs(text))
    return count


@cache
def _kind(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cc", "Cn", "Co", "Cs") or char == "\ufffd":
        return "bad"
    if "\uff61" <= char <= "\uff9f":  # half-width katakana: a Shift_JIS misreading's mark
        return "bad"
    if category[0] == "L":
        return unicodedata.name(char, "?").split()[0]
    if category == "Mn":
        return "mark"
    if category[0] in "SPN" and char not in _GLUE_OK and not _cjk_punctuation(char):
        return "symbol"
    return "other"


def _cjk_punctuation(char: str) -> bool:
    return "\u3000" <= char <= "\u303f" or "\uff01" <= char <= "\uff60" or char == "\u30fb"


def _odd(text: str, index: int, kind: str) -> bool:
    """Whether the character at ``index`` is an anomaly by itself or where it sits."""
    if kind == "symbol":
        return _glued(text, index)
    if kind == "mark":
        return not _marks(text[index - 1] if index else " ", text[index])
    if kind in _DIGITLESS:
        following = text[index + 1 : index + 2]
        return following.isascii() and following.isdigit()
    return kind == "bad"


def _marks(base: str, mark: str) -> bool:
    """Whether combining ``mark`` can sit on ``base``: Hebrew points on Hebrew letters, Arabic
    vowel signs on Arabic letters, generic combining accents on any letter."""
    script = unicodedata.name(mark, "?").split()[0]
    if script == "COMBINING":
        return base.isalpha()
    return _kind(base) == script or (_kind(base) == "mark" and script != "?")


def _glued(text: str, index: int) -> bool:
    before = text[index - 1] if index else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return before.isalpha() or after.isalpha()


def _word_anomalies(word: str) -> int:
    """Scripts mixed inside one word, and lower-to-upper turns (non-ASCII ones)."""
    scripts = {_script(char) for char in word}
    mixed = 0
    if len(scripts) > 1:
        counted = Counter(_script(char) for char in word if char.isalpha())
        mixed = sum(counted.values()) - max(counted.values(), default=0)
    turns = 0
    if not (word.islower() or word.isupper() or word.istitle()):
        turns = sum(
            1
            for a, b in zip(word, word[1:], strict=False)
            if a.islower() and b.isupper() and not (a.isascii() and b.isascii())
        )
    return mixed + turns + word[:-1].count("ς")


def _titled(word: str) -> bool:
    return word[0].isupper() and any(char.islower() for char in word[1:])


def _rare_letters(letters: Counter) -> int:
    """Letters of one script beyond half of its letters that are not among its most frequent
    ones: in real Russian, Greek, Hebrew or Arabic text these make about 60-80% of all
    letters; in a misreading (Hebrew read as windows-1251) the frequent letters are rare.
    ``letters`` counts (script, frequent?) pairs."""
    count = 0
    for script in _FREQUENT:
        rare, total = letters[script, False], letters[script, False] + letters[script, True]
        if total >= _FEW_LETTERS:
            count += max(0, rare - total // 2)
    return count


def _shouting(words: list[str]) -> int:
    """All-capital words beyond the others: text in capitals throughout is a misreading (KOI8-R
    read for Hebrew), a headline in capitals is not."""
    cased = [word for word in words if len(word) > 2 and word.lower() != word.upper()]
    capitals = sum(1 for word in cased if word.isupper())
    return max(0, 2 * capitals - len(cased))


def _script(char: str) -> str:
    kind = _kind(char)
    return "CJK" if kind in _CJK_SCRIPTS else kind


def _outside_alphabet(latin: Counter) -> int:
    """Accented Latin letters outside the alphabet of the language that explains most."""
    letters: Counter = Counter()
    for char, n in latin.items():
        letters[_lower(char)] += n
    return min(
        sum(n for char, n in letters.items() if char not in alphabet)
        for alphabet in _alphabet_sets()
    )


def _lower(char: str) -> str:
    return "i" if char == "İ" else char.lower()


@cache
def _alphabet_sets() -> tuple[frozenset[str], ...]:
    return tuple(frozenset(letters) for letters in _ALPHABETS.values())


def _spaced_ideographs(text: str) -> int:
    """Spaces between two CJK characters: Chinese and Japanese text has none, Korean many."""
    return len(
        re.findall(r"(?<=[\u3040-\u30ff\u4e00-\u9fff]) (?=[\u3040-\u30ff\u4e00-\u9fff])", text)
    )


def _uncommon_cjk(chars: list[str], spaced: int) -> int:
    """CJK characters outside the common set of the language that fits them best."""
    counts = Counter(chars)
    sets = _common_sets()
    kana = sum(n for c, n in counts.items() if "\u3040" <= c <= "\u30ff")
    hangul = sum(n for c, n in counts.items() if "\uac00" <= c <= "\ud7a3")
    han = {c: n for c, n in counts.items() if "\u4e00" <= c <= "\u9fff" or c >= "\U00020000"}
    other = len(chars) - kana - hangul - sum(han.values())

    def rare(common: frozenset[str]) -> int:
        return sum(n for c, n in han.items() if c not in common)

    japanese = rare(sets["ja"]) + hangul + spaced
    simplified = rare(sets["zh-hans"]) + kana + hangul + spaced
    traditional = rare(sets["zh-hant"]) + kana + hangul + spaced
    korean = (
        sum(n for c, n in counts.items() if "\uac00" <= c <= "\ud7a3" and c not in sets["ko"])
        + sum(han.values())
        + kana
    )
    return min(japanese, simplified, traditional, korean) + other


@cache
def _common_sets() -> dict[str, frozenset[str]]:
    """The common characters of each CJK language, read off its legacy standard's layout:
    GB2312 level 1 (rows 16-55), Big5's frequent characters (A440-C67E), JIS X 0208 level 1
    (rows 16-47) and KS X 1001's 2,350 Hangul syllables (rows 16-40)."""

    def block(encoding: str, leads: range, trails: list[int]) -> frozenset[str]:
        found = set()
        for lead in leads:
            for trail in trails:
                with suppress(UnicodeDecodeError):
                    found.add(bytes((lead, trail)).decode(encoding))
        return frozenset(c for c in found if len(c) == 1)

    euc_trails = list(range(0xA1, 0xFF))
    big5_trails = list(range(0x40, 0x7F)) + euc_trails
    big5 = block("big5", range(0xA4, 0xC7), big5_trails)
    return {
        "zh-hans": block("gb2312", range(0xB0, 0xD8), euc_trails),
        "zh-hant": big5,
        "ja": block("euc_jp", range(0xB0, 0xD0), euc_trails),
        "ko": block("euc_kr", range(0xB0, 0xC9), euc_trails),
    }


def _register() -> None:
    import codecs

    try:
        codecs.lookup_error("whatwg-c1")
    except LookupError:
        codecs.register_error("whatwg-c1", _whatwg_c1)


_register()
