"""Fast paths on the per-capture hot path give the answers of the plain code they skip."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from archive.capture.capturelog import (
    LogEntry,
    _safe_relative,
    entry_from_stored,
    logged_capture,
    stored_entry,
)
from archive.extract import language, learned, outlets
from archive.extract.text import extract_text_capture
from archive.format.manifest import canonical_json, objects_json
from archive.model import QuarantineEntry, Record, record_with
from archive.records import text_record, with_languages
from archive.relations.text import Vocabulary, quote_ids, quoted_ranges
from archive.release.stages import derivation_sha256, logged_derivation
from archive.settings import PackSettings
from archive.text import legacy
from archive.text.decode import _SUSPECT, Decoded, NotText, _clean_utf8, _with_control_flags
from archive.text.normalize import normalize_text

_ODD = "\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x0e\x1b\x1f\x7f\x80\x9f\xa0\u202a\u202e\u2066\u2069\u200f"


def _flags_by_scanning_each(text: str) -> tuple[str, ...] | str:
    """The control flags (or the refusal) of NUL-free ``text``, each check a scan of its own."""
    controls = sum(
        1 for c in text if "\x00" <= c <= "\x08" or "\x0e" <= c <= "\x1f" or "\x7f" <= c <= "\x9f"
    )
    if controls > max(8, len(text) // 20):
        return "binary"
    flags = ["control-characters"] if controls else []
    if "\x1b" in text:
        flags.append("terminal-escapes")
    if re.search("[\u202a-\u202e\u2066-\u2069]", text):
        flags.append("bidi-controls")
    return tuple(flags)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ODD) | st.characters(), max_size=300))
def test_control_flags_are_those_each_scan_finds(text):
    text = text.replace("\x00", "")
    try:
        found = _with_control_flags(Decoded(text, "utf-8", "utf-8", ("x",))).flags
    except NotText as exc:
        found = exc.reason
    expected = _flags_by_scanning_each(text)
    assert found == (expected if isinstance(expected, str) else ("x", *expected))


@settings(max_examples=400, deadline=None)
@example("\u202a")
@example("\xa0\x9f")
@example("“quoted” \u2069")
@given(
    st.text(
        alphabet=st.sampled_from(_ODD) | st.characters(exclude_categories=("Cs",)), max_size=300
    )
)
def test_utf8_bytes_are_clean_when_their_text_holds_nothing_suspect(text):
    assert _clean_utf8(text.encode()) == (_SUSPECT.search(text) is None)


@pytest.mark.parametrize(
    "text, flags",
    [
        ("Plain story text.\n\tIndented.", ()),
        ("Story \u202eevil\u202c text.", ("bidi-controls",)),
        ("Story \x1b[31mred text.", ("control-characters", "terminal-escapes")),
        ("Story \x85 text.", ("control-characters",)),
    ],
)
def test_control_flags_of_known_texts(text, flags):
    assert _with_control_flags(Decoded(text, "utf-8", "utf-8")).flags == flags


_QUOTED_TEXTS = st.lists(
    st.sampled_from([*"ab Ab.:!?\n’'“”‘«»„\"(—", "The", "9", "\n\n"]), max_size=80
).map("".join)


def _quote_ids_one_range_at_a_time(text: str, tokens) -> list[int]:
    out = [-1] * len(tokens.raw)
    for k, (start, end) in enumerate(quoted_ranges(text)):
        inside = [i for i in range(len(out)) if tokens.starts[i] >= start and tokens.ends[i] <= end]
        for i in inside:
            out[i] = k
    return out


@settings(max_examples=300, deadline=None)
@given(_QUOTED_TEXTS)
def test_quote_ids_are_those_found_range_by_range(text):
    tokens = Vocabulary().view(text)
    assert quote_ids(text, tokens).tolist() == _quote_ids_one_range_at_a_time(text, tokens)


_BREAKS = "\r\n\u2028\u2029\x85\x0b\x0c\t \u00a0\u3000\ufeffaé\u0301"


def _canonical_by_regex(text: str) -> str:
    """``normalize_text`` as a regex reads it: NFC, every break to LF, lines right-stripped."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\r\n|\r|\u2028|\u2029|\x85|\x0b|\x0c", "\n", text)
    text = re.sub(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+$", "", text, flags=re.MULTILINE)
    return text.strip("\n")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_BREAKS) | st.characters(), max_size=200))
def test_canonical_text_is_the_regex_reading(text):
    assert normalize_text(text) == _canonical_by_regex(text)


def _a_record():
    from datetime import UTC, datetime

    from archive.records import plain_extraction, text_record
    from archive.settings import PackSettings

    settings = PackSettings("t", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC))
    return text_record("a.txt", b"Harbour ferry returns.\n", None, None, settings,
                       plain_extraction, "plain")  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from([f.name for f in dataclasses.fields(Record)]), max_size=6))
def test_a_record_with_changes_is_the_replaced_record(names):
    record = _a_record()
    changes = {name: f"changed {name}" for name in names}
    made = record_with(record, **changes)
    expected = dataclasses.replace(record, **changes)
    assert made == expected and type(made) is Record
    assert list(vars(made).items()) == list(vars(expected).items())
    assert vars(record) == vars(_a_record())  # the original is left as it was


def test_a_record_with_an_unknown_field_is_refused():
    with pytest.raises(TypeError, match="no field 'colour'"):
        record_with(_a_record(), colour="red")


def _detected_scoring_each_reading(raw: bytes) -> legacy.Detected:
    """``detect_legacy`` with every candidate's reading scored on its own."""
    sample = legacy._sample(raw)
    nonascii = max(1, sum(1 for byte in sample if byte > 0x7F))
    readings, texts = [], {}
    for encoding in legacy.CANDIDATES:
        text = legacy._decoded(sample, encoding)
        if text is not None:
            texts[encoding] = text
            readings.append(legacy.Reading(encoding, legacy.anomalies(text)))
    default, best = readings[0], min(readings, key=lambda r: r.anomalies)
    gain = default.anomalies - best.anomalies
    if gain < legacy.MARGIN_ANOMALIES or gain < legacy.MARGIN_SHARE * nonascii:
        best = default
    reading, whole = best, legacy._decoded(raw, best.encoding)
    if whole is None:
        reading, whole = default, raw.decode(legacy.DEFAULT, errors="whatwg-c1")
    others = [r.anomalies for r in readings if texts[r.encoding] != texts[reading.encoding]]
    margin = (min(others) - reading.anomalies) / nonascii if others else 1.0
    confidence = round(100 * min(1.0, max(0.0, margin)))
    repaired = reading.encoding != legacy.DEFAULT and "\ufffd" in whole
    return legacy.Detected(reading.encoding, whole, confidence, repaired)


_LEGACY_WORDS = ["café", "Zażółć", "gęślą", "привет", "Ελλάδα", "şehir", "Øyvind", "“quoted”",
                 "שלום", "日本語", "한국어", "naïve", "3", "\n", " ", ".", "Straße"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_LEGACY_WORDS), min_size=1, max_size=40).map(" ".join),
    st.sampled_from(legacy.CANDIDATES),
)
def test_legacy_detection_scores_each_distinct_reading_once_with_the_same_answer(text, encoding):
    raw = text.encode(encoding, errors="replace")
    assert legacy.detect_legacy(raw) == _detected_scoring_each_reading(raw)


@settings(max_examples=400, deadline=None)
@example("Read the Gazette ")
@example(" Read the Gazette")
@example("Read the  Gazette")
@example("Read the\tGazette")
@example("Read the\u00a0Gazette")
@given(
    st.text(
        alphabet=st.sampled_from(" \t\n\u00a0\u2009\u3000aB.'“")
        | st.characters(exclude_categories=("Cs",)),
        max_size=60,
    )
)
def test_paragraph_keys_fold_whitespace_as_splitting_does(text):
    folded = " ".join(text.split()).casefold()
    expected = None
    if 8 <= len(folded) <= 1000 and not folded.startswith(learned._QUOTE_OPENERS):
        expected = int.from_bytes(hashlib.blake2b(folded.encode(), digest_size=8).digest(), "big")
    assert learned.paragraph_key(text) == expected


_LINES_OF_WORDS = st.lists(
    st.sampled_from([*_LEGACY_WORDS, "\n\n", "é\n", "\nä", ". ", "ó³", "\u0301", "\u05b0", "Ł2"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@example("word\n\u0301mark")
@example("end.\nélan")
@example("\nÿ")
@given(_LINES_OF_WORDS | st.text(alphabet=st.sampled_from("\n .aZ3é\u0301") | st.characters()))
def test_anomalies_of_the_non_ascii_lines_are_those_of_the_whole_text(text):
    assert legacy.anomalies(text) == legacy._anomalies(text)


def _language_rows() -> list[dict]:
    path = Path(__file__).resolve().parents[1] / "benchmarks/languages/texts.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _language_bodies() -> list[str]:
    """Bodies from the labelled language set, each text and each pair of neighbours joined
    (so most run past ``SAMPLE_CHARS`` and are cut), every one twice: a repeat is answered
    from the cache."""
    texts = [row["text"] for row in _language_rows()][::5]
    bodies = texts + [f"{a} {b}" for a, b in zip(texts, texts[1:], strict=False)]
    return bodies + bodies[::-1]


def test_a_body_seen_before_gets_the_language_it_got_the_first_time():
    language._detected.cache_clear()
    answered_long = 0
    bodies = _language_bodies()
    for body in bodies:
        text = language.sample(body)
        unsaved = language._detected.__wrapped__(text) if len(text) >= language.MIN_CHARS else None
        assert language.detect_language(body) == unsaved, body
        answered_long += unsaved is not None and len(body) > language.SAMPLE_CHARS
    assert language._detected.cache_info().hits >= len(bodies) // 2
    assert answered_long > 100  # cut bodies with an answer: the cache is keyed by the sample


_FURNITURE_LINES = [
    "Get notifications from The Tarn Gazette",
    "© 2024 Tarn Gazette Media Co",
    "Support the Bramble News today",
    "The ferry sailed.",
    "Share this story",
]
_KINDS = [None, "body", "caption", "furniture-share", "furniture-other", "furniture-support",
          "furniture-copyright", "furniture-learned"]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_FURNITURE_LINES), st.sampled_from(_KINDS)), max_size=12))
def test_self_references_are_those_of_every_line_tested_in_turn(rows):
    from archive.extract import text as text_mod
    from archive.extract.lines import split_lines
    from archive.extract.spans import Layout

    lines = split_lines("\n".join(line for line, _ in rows))
    kinds = [kind for _, kind in rows]
    lay = Layout(kinds, ["furniture:rule" if kind else None for kind in kinds])
    known = {"Tarn Gazette", "Bramble News"}
    expected = []
    for ln, kind in zip(lines, kinds, strict=True):
        if kind is None or not kind.startswith("furniture-") or kind in text_mod._NOT_SELF:
            continue
        for name, rule, s, e in outlets.self_references(ln.text):
            match = outlets.known_outlet(name, known)
            expected.append((match or name, rule, ln.start + s, ln.start + e, match is not None))
    assert text_mod._self_references(lines, lay, known) == expected


_CAPTURES = Path(__file__).resolve().parent / "extraction" / "captures"


def _language_captures() -> list[tuple[str, bytes]]:
    """The labelled captures, bodies in many languages, and bodies too short to have one."""
    found = [(f"c/{p.name}", p.read_bytes()) for p in sorted(_CAPTURES.glob("*.txt"))]
    texts = [row["text"] for row in _language_rows() if row["kind"] == "long"][::40]
    found += [(f"l/{i}.txt", f"A headline\n\n{t}".encode()) for i, t in enumerate(texts)]
    found += [("s/short.txt", b"A headline\n\nToo short to say."), ("s/empty.txt", b"Title only")]
    found += [("q/binary.txt", bytes(range(32)) * 8)]  # quarantined: not a record
    return found


@pytest.mark.parametrize(
    ("rights_holder", "entry"),
    [
        (None, None),
        ("Tarn Gazette Media Co", None),
        (None, LogEntry("x.txt", 3, outlet="Tarn Gazette", redistribution="metadata-only")),
        ("Tarn Gazette Media Co", LogEntry("x.txt", 4, rights_holder="Bramble News")),
    ],
)
def test_a_record_given_its_language_later_is_the_record_extracted_with_it(rights_holder, entry):
    pack_settings = PackSettings(
        "t", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC), rights_holder=rights_holder
    )
    later = partial(extract_text_capture, language=False)
    captures = _language_captures()
    at_once = [
        text_record(path, raw, entry, "log.jsonl", pack_settings, extract_text_capture, "x/1")
        for path, raw in captures
    ]
    left = [
        text_record(path, raw, entry, "log.jsonl", pack_settings, later, "x/1")
        for path, raw in captures
    ]
    assert isinstance(left[-1], QuarantineEntry)
    left_records = [r for r in left if isinstance(r, Record)]
    assert not any(r.language or "language-unknown" in r.flags for r in left_records)
    assert with_languages(left, "x/1") == at_once
    assert with_languages(left, "x/2") == left  # another extractor's records are left alone
    with pytest.raises(ValueError, match="has its language already"):
        with_languages(at_once, "x/1")
    languages = {r.language for r in at_once if isinstance(r, Record)}
    assert len(languages) > 10 and None in languages  # many languages, and bodies with none


_TIMES = st.none() | st.datetimes(
    min_value=datetime(1990, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(minutes=330)), timezone(-timedelta(hours=5))]
    ),
)
_ENTRIES = st.none() | st.builds(
    LogEntry,
    path=st.text(min_size=1, max_size=30),
    line=st.integers(1, 10**7),
    url=st.none() | st.text(max_size=40),
    retrieved_at=_TIMES,
    outlet=st.none() | st.text(max_size=20),
    published_at=_TIMES,
    published_precision=st.none() | st.sampled_from(["day", "minute", "second"]),
    published_utc_offset=st.none() | st.integers(-720, 840),
    agent=st.none() | st.text(max_size=20),
    charset=st.none() | st.sampled_from(["utf-8", "windows-1252"]),
    rights_holder=st.none() | st.text(max_size=20),
    redistribution=st.none() | st.sampled_from(["full", "metadata-only"]),
    extra=st.none() | st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(
    entry=_ENTRIES,
    source=st.text(min_size=1, max_size=40),
    log_name=st.none() | st.text(max_size=20),
    extractor=st.sampled_from(["archive-text/9", "archive-html/3"]),
)
def test_a_derivation_hashed_from_the_stored_entry_is_the_one_hashed_from_the_entry(
    entry, source, log_name, extractor
):
    """``logged_derivation`` reads the capture-log index's JSON, not the entry and capture the
    extraction makes from it; ``derivation_sha256`` hashed those (and did, for every capture,
    before): the same hash, for the entry as read back from the index and as first made."""
    pack_settings = PackSettings(
        "t", "1.0.0", datetime(2026, 1, 1, tzinfo=UTC), domain_outlets=(("tarn.example", "Tarn"),)
    )
    raw = hashlib.sha256(source.encode()).hexdigest()
    stored = None if entry is None else stored_entry(vars(entry))
    fast = logged_derivation(raw, extractor, pack_settings, source, stored, log_name)
    assert stored is None or entry_from_stored(stored) == entry
    for made in (entry, None if stored is None else entry_from_stored(stored)):
        capture = logged_capture(source, made)
        assert fast == derivation_sha256(raw, extractor, pack_settings, capture, made, log_name)
    prefix = {"extractor": extractor, "settings": pack_settings.derivation_settings()}
    basis = [raw, [source, *[None] * 12]]
    if entry is not None:
        basis[1][1:4] = [entry.url, _iso(entry.retrieved_at), entry.agent]
        basis[1][12] = entry.extra
        values = [_iso(v) if isinstance(v, datetime) else v for v in vars(entry).values()]
        basis.append([log_name, *values])
    expected = hashlib.sha256(
        json.dumps(prefix, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        + json.dumps(basis, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert fast == expected.hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _relative_by_path_object(path: str) -> str:
    """What ``_safe_relative`` answers, by the path object alone (its general path)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or ":" in posix.parts[0]:
        raise ValueError("not relative")
    return posix.as_posix()


@settings(max_examples=500, deadline=None)
@given(path=st.text(alphabet=st.sampled_from("ab.:/\\ é"), min_size=1, max_size=12))
@example(path="a/./b")
@example(path="a//b")
@example(path="a/b/")
@example(path="./a")
@example(path="a:b/c")
@example(path="a/b:c")
def test_a_capture_log_path_checked_without_a_path_object_is_the_one_checked_with_it(path):
    """``_safe_relative`` returns a plain path as it is; what it returns, or refuses, is what
    the path object's normalization and checks give."""
    try:
        expected = _relative_by_path_object(path)
    except ValueError:
        with pytest.raises(ValueError, match="must be relative to the source folder"):
            _safe_relative(path)
    else:
        assert _safe_relative(path) == expected


_JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from('},\n {"\\'))
)
_FLAT_OBJECTS = st.lists(
    st.dictionaries(st.text(max_size=8), _JSON_SCALARS, max_size=5), max_size=6
)


@settings(max_examples=500, deadline=None)
@example([{"rule": "line:x},\n    {"}, {"a": 1}])
@example([{"a": 1}, {}])
@example([{"a": float("nan")}])
@given(_FLAT_OBJECTS | st.lists(st.dictionaries(st.text(max_size=3), _FLAT_OBJECTS, max_size=2)))
def test_objects_in_one_encoder_call_are_the_bytes_json_dumps_indents(data):
    """``objects_json`` (spans, provenance) gives ``canonical_json``'s bytes as ``json.dumps``
    with an indent makes them, or refuses them as it does; None where it does not apply."""
    try:
        expected = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:  # nan or infinity: refused by either path
        with pytest.raises(ValueError):
            canonical_json(data)
        with suppress(ValueError):
            assert objects_json(data) is None
        return
    found = objects_json(data)
    flat = bool(data) and all(isinstance(o, dict) and o for o in data)
    flat = flat and not any(isinstance(v, dict | list) for o in data for v in o.values())
    assert (found is not None) == flat
    assert canonical_json(data) == (expected + "\n").encode()
    assert found is None or found == (expected + "\n").encode()
