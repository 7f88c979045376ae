"""Language of the story body, as a BCP-47 tag, from py3langid's bundled model (offline).

Only the first :data:`SAMPLE_CHARS` characters of the body are read (cut at a word boundary):
enough for a confident answer on a news body, and it bounds the cost per record, since py3langid
walks its model byte by byte in Python. py3langid is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import py3langid
from py3langid.langid import MODEL_FILE, LanguageIdentifier

SAMPLE_CHARS = 240
MIN_CHARS = 40
MIN_CONFIDENCE = 0.9
DETECTOR_VERSION = f"py3langid {py3langid.__version__}"


@dataclass(frozen=True)
class LanguageGuess:
    """A detected language: ``tag`` (BCP-47), the detector's probability, characters read."""

    tag: str
    confidence: float
    chars: int


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def sample(body: str) -> str:
    """The part of ``body`` the detector reads."""
    if len(body) <= SAMPLE_CHARS:
        return body
    cut = body.rfind(" ", 0, SAMPLE_CHARS)
    return body[: cut if cut > 0 else SAMPLE_CHARS]


def detect_language(body: str) -> LanguageGuess | None:
    """The body's language, or None when the text is too short or the detector unsure.

    >>> detect_language("The harbour council met on Tuesday to discuss the ferry timetable.").tag
    'en'
    """
    text = sample(body)
    if len(text) < MIN_CHARS:
        return None
    tag, confidence = _identifier().classify(text)
    if confidence < MIN_CONFIDENCE:
        return None
    return LanguageGuess(tag, round(float(confidence), 4), len(text))
