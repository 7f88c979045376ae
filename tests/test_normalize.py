"""Property tests: normalization is canonical, hashing is of exactly the canonical text."""

from __future__ import annotations

import hashlib
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from archive.text.decode import NotText, decode_bytes
from archive.text.normalize import body_text, normalize_text, sha256_text

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@given(texts)
def test_normalize_is_idempotent_and_canonical(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\r" not in once
    assert all(line == line.rstrip(" \t") for line in once.split("\n"))


@given(texts)
def test_line_endings_do_not_change_the_text(text):
    lf = text.replace("\r", "")
    assert normalize_text(lf.replace("\n", "\r\n")) == normalize_text(lf)


@given(st.lists(texts, max_size=6))
def test_body_text_is_a_fixed_point(paragraphs):
    body = body_text(paragraphs)
    assert body_text(body.split("\n\n")) == body
    assert "\n\n\n" not in body and not body.startswith("\n")


@given(texts)
def test_sha256_text_is_sha256_of_utf8(text):
    assert sha256_text(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@given(
    st.text(
        alphabet=st.characters(
            min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cs", "Zl", "Zp", "Cc")
        ),
        min_size=1,
        max_size=200,
    ).filter(str.strip)
)
def test_utf8_utf16_and_bom_decode_to_the_same_text(text):
    expected = normalize_text(text)
    for raw in (
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
        text.encode("utf-16"),
    ):
        try:
            decoded = decode_bytes(raw)
        except NotText:
            assert not expected.strip()
            continue
        assert normalize_text(decoded.text) == expected


@given(st.binary(max_size=400))
def test_any_bytes_decode_or_are_refused_with_a_reason(raw):
    try:
        decoded = decode_bytes(raw)
    except NotText as exc:
        assert exc.reason in {"empty", "binary", "undecodable"}
    else:
        assert decoded.text.strip() and decoded.method


@st.composite
def with_soft_hyphens(draw):
    """Paragraphs, and the same paragraphs with soft hyphens dropped in anywhere."""
    plain = draw(st.lists(texts, max_size=4))
    hyphenated = []
    for paragraph in plain:
        cuts = sorted(draw(st.lists(st.integers(0, len(paragraph)), max_size=5)))
        pieces, start = [], 0
        for cut in cuts:
            pieces.append(paragraph[start:cut])
            start = cut
        pieces.append(paragraph[start:])
        hyphenated.append("\u00ad".join(pieces))
    return plain, hyphenated


@given(with_soft_hyphens())
def test_soft_hyphens_never_change_the_body(pair):
    plain, hyphenated = pair
    body = body_text(hyphenated)
    assert body == body_text(plain)
    assert "\u00ad" not in body and unicodedata.is_normalized("NFC", body)


def test_a_soft_hyphenated_word_matches_the_plain_word():
    body = body_text(["Minister Kiess\u00adling said the Ver\u00adkehrs\u00adwende was late."])
    assert body == "Minister Kiessling said the Verkehrswende was late."
    assert "Kiessling" in body.split()
