"""Evidence-backed extraction from plain-text captures.

``extract_text_capture`` classes every line of a capture into spans (story body, header
elements, captions, furniture by kind) and derives title, standfirst, authors, outlet, dates and
language, each with a ``Provenance`` entry naming the rule and the text it read.
``FurnitureCounter`` learns recurring furniture from a corpus in one streaming pass and
``apply_learned`` removes it; ``explain`` renders a record for ``archive inspect --explain``.
"""

from archive.extract.explain import explain
from archive.extract.learned import (
    FurnitureCounter,
    LearnedFurniture,
    apply_learned,
    contribution,
    revert_learned,
)
from archive.extract.outlets import PSL_VERSION, outlet_from_domain, registrable_domain
from archive.extract.text import body_from_spans, extract_text_capture, furniture_chars
from archive.model import BODY_KINDS

EXTRACTOR_VERSION = "text-1.4.76"
"""Bump whenever extraction output may change for the same input; records store it."""

__all__ = [
    "BODY_KINDS",
    "EXTRACTOR_VERSION",
    "PSL_VERSION",
    "FurnitureCounter",
    "LearnedFurniture",
    "apply_learned",
    "body_from_spans",
    "contribution",
    "explain",
    "extract_text_capture",
    "furniture_chars",
    "outlet_from_domain",
    "registrable_domain",
    "revert_learned",
]
