"""Confirmation of candidate pairs by alignment, producing the evidence.

Each function takes the two bodies already viewed as tokens (:class:`Doc`) and returns the
evidence as plain data, or ``None`` when the pair is not confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from archive.relations.model import RelationSettings
from archive.relations.text import (
    FUNCTION_WORDS,
    Sentence,
    Token,
    quoted_ranges,
    sentences_of,
    tokens_of,
)


@dataclass(frozen=True)
class Doc:
    """A body with its tokens, sentences and the token indexes lying inside quotations."""

    text: str
    tokens: list[Token]
    sentences: list[Sentence]
    quoted: frozenset[int]

    @property
    def words(self) -> list[str]:
        return [t.norm for t in self.tokens]


def doc_of(text: str) -> Doc:
    """The aligned views of a body."""
    tokens = tokens_of(text)
    return Doc(text, tokens, sentences_of(text, tokens), quoted_token_indexes(tokens, text))


def quoted_token_indexes(tokens: list[Token], text: str) -> frozenset[int]:
    """Indexes of the tokens lying inside quotation marks."""
    ranges = quoted_ranges(text)
    out = set()
    r = 0
    for i, tok in enumerate(tokens):
        while r < len(ranges) and ranges[r][1] <= tok.start:
            r += 1
        if r < len(ranges) and ranges[r][0] <= tok.start and tok.end <= ranges[r][1]:
            out.add(i)
    return frozenset(out)


def _span(doc: Doc, first: int, last: int) -> list[int]:
    return [doc.tokens[first].start, doc.tokens[last - 1].end]


def shared_passages(a: Doc, b: Doc, settings: RelationSettings) -> dict | None:
    """Near-duplicate evidence: passages shared word for word and the share they cover."""
    if not a.tokens or not b.tokens:
        return None
    matcher = SequenceMatcher(None, a.words, b.words, autojunk=False)
    blocks = [m for m in matcher.get_matching_blocks() if m.size >= settings.min_passage_words]
    covered = sum(m.size for m in blocks)
    cover_a, cover_b = covered / len(a.tokens), covered / len(b.tokens)
    shorter, longer = (cover_a, cover_b) if len(a.tokens) <= len(b.tokens) else (cover_b, cover_a)
    if shorter < settings.near_min_coverage or longer < settings.near_min_coverage_longer:
        return None
    swaps = _scattered_swaps(a, b, matcher.get_opcodes())
    passages = [
        {"source": _span(a, m.a, m.a + m.size), "target": _span(b, m.b, m.b + m.size),
         "words": m.size}
        for m in blocks
    ]
    return {
        "passages": passages,
        "source_coverage": round(cover_a, 4),
        "target_coverage": round(cover_b, 4),
        "scattered_swaps": swaps,
    }


def _scattered_swaps(a: Doc, b: Doc, opcodes) -> int:
    """One-for-one swaps of single content words between verbatim runs: a spinner's mark.

    An edited syndicated copy differs in whole sentences or paragraphs, not word by word.
    """
    count = 0
    for op, i1, i2, j1, j2 in opcodes:
        if op == "replace" and i2 - i1 == j2 - j1 <= 2:
            count += sum(
                1 for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                if _swappable(a, i) and _swappable(b, j)
            )
    return count


def _swappable(doc: Doc, i: int) -> bool:
    """A content word that is neither a number nor a name inside a sentence."""
    tok = doc.tokens[i]
    if tok.norm in FUNCTION_WORDS or tok.norm[0].isdigit():
        return False
    return not (doc.text[tok.start].isupper() and not _sentence_initial(doc.text, tok.start))


def _sentence_initial(text: str, at: int) -> bool:
    j = at - 1
    while j >= 0 and text[j] in " \"'“‘«(":
        j -= 1
    return j < 0 or text[j] in ".!?…\n:"


def shared_quotations(a: Doc, b: Doc, settings: RelationSettings) -> list[dict]:
    """Runs of at least ``min_quote_words`` words inside quotation marks in both bodies."""
    a_idx, b_idx = sorted(a.quoted), sorted(b.quoted)
    if len(a_idx) < settings.min_quote_words or len(b_idx) < settings.min_quote_words:
        return []
    a_words = [a.tokens[i].norm for i in a_idx]
    b_words = [b.tokens[i].norm for i in b_idx]
    matcher = SequenceMatcher(None, a_words, b_words, autojunk=False)
    out = []
    for m in matcher.get_matching_blocks():
        for ra, rb, size in _contiguous_runs(a_idx, b_idx, m.a, m.b, m.size):
            if size >= settings.min_quote_words:
                out.append({
                    "quotation": " ".join(a.tokens[i].norm for i in range(ra, ra + size)),
                    "source": _span(a, ra, ra + size),
                    "target": _span(b, rb, rb + size),
                    "words": size,
                })
    return out


def _contiguous_runs(a_idx, b_idx, i, j, size):
    """Split a block of quoted words where it jumps over unquoted words in either body."""
    start = 0
    for k in range(1, size + 1):
        ends = k == size or a_idx[i + k] - a_idx[i + k - 1] != 1
        if ends or b_idx[j + k] - b_idx[j + k - 1] != 1:
            yield a_idx[i + start], b_idx[j + start], k - start
            start = k


@dataclass(frozen=True)
class SentencePair:
    """Two sentences aligned as a rewrite: matched words, one-for-one swaps, other edits."""

    a: Sentence
    b: Sentence
    same: int
    swaps: tuple[tuple[str, str], ...]
    other: int


def paraphrase_alignment(a: Doc, b: Doc, settings: RelationSettings) -> list[SentencePair]:
    """Sentence pairs of ``a`` and ``b`` that align in order as word-swapped rewrites.

    Only runs of at least ``min_aligned_sentences`` pairs adjacent in both bodies count: a
    spun copy keeps the order of its original, while two formulaic sentences of independent
    reports may look alike one at a time.
    """
    a_sents = [s for s in a.sentences if s.last - s.first >= settings.min_sentence_words]
    b_sents = [s for s in b.sentences if s.last - s.first >= settings.min_sentence_words]
    b_sets = [frozenset(b.words[s.first : s.last]) for s in b_sents]
    found: list[tuple[int, int, SentencePair]] = []
    for i, sa in enumerate(a_sents):
        a_words = a.words[sa.first : sa.last]
        a_set = frozenset(a_words)
        for j, sb in enumerate(b_sents):
            if len(a_set & b_sets[j]) * 3 < min(len(a_set), len(b_sets[j])):
                continue
            pair = _rewrite_pair(a, b, sa, sb, settings)
            if pair is not None:
                found.append((i, j, pair))
    return _in_runs(_in_order(found), settings.min_aligned_sentences)


def _rewrite_pair(a: Doc, b: Doc, sa, sb, settings) -> SentencePair | None:
    a_words, b_words = a.words[sa.first : sa.last], b.words[sb.first : sb.last]
    longest = max(len(a_words), len(b_words))
    if min(len(a_words), len(b_words)) < 0.6 * longest:
        return None
    same = same_content = kept = other = 0
    swaps = []
    opcodes = SequenceMatcher(None, a_words, b_words, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            same += i2 - i1
            same_content += sum(1 for w in a_words[i1:i2] if w not in FUNCTION_WORDS)
        elif op == "replace" and i2 - i1 == j2 - j1:
            for k, x, y in zip(range(i1, i2), a_words[i1:i2], b_words[j1:j2], strict=True):
                if x[0].isdigit() or y[0].isdigit() or _is_name(a, sa.first + k) or _is_name(
                    b, sb.first + j1 + k - i1
                ):
                    other += 1
                elif x in FUNCTION_WORDS and y in FUNCTION_WORDS:
                    kept += 1
                else:
                    swaps.append((x, y))
        else:
            other += max(i2 - i1, j2 - j1)
    content = sum(1 for w in a_words if w not in FUNCTION_WORDS)
    if (
        len(swaps) < settings.min_sentence_substitutions
        or same + kept + len(swaps) < settings.sentence_min_kept * longest
        or same_content < max(3, settings.sentence_min_same_content * content)
    ):
        return None
    return SentencePair(sa, sb, same, tuple(swaps), other)


def _is_name(doc: Doc, i: int) -> bool:
    tok = doc.tokens[i]
    return doc.text[tok.start].isupper() and not _sentence_initial(doc.text, tok.start)


def _in_runs(chain: list[tuple[int, int, SentencePair]], least: int) -> list[SentencePair]:
    """Pairs of the chain lying in runs of at least ``least`` pairs adjacent in both bodies."""
    out: list[SentencePair] = []
    run: list[tuple[int, int, SentencePair]] = []
    for item in [*chain, (-9, -9, None)]:
        if run and (item[0] != run[-1][0] + 1 or item[1] != run[-1][1] + 1):
            if len(run) >= least:
                out.extend(p for _, _, p in run)
            run = []
        run.append(item)
    return out


def _in_order(found: list[tuple[int, int, SentencePair]]) -> list[tuple[int, int, SentencePair]]:
    """The heaviest chain of pairs increasing in both bodies (each sentence used once)."""
    found.sort(key=lambda f: (f[0], f[1]))
    best: list[tuple[int, int]] = []  # (weight, previous index)
    for k, (i, j, pair) in enumerate(found):
        weight, prev = pair.same + len(pair.swaps), -1
        for m in range(k):
            gain = best[m][0] + pair.same + len(pair.swaps)
            if found[m][0] < i and found[m][1] < j and gain > weight:
                weight, prev = gain, m
        best.append((weight, prev))
    if not best:
        return []
    k = max(range(len(best)), key=lambda m: (best[m][0], -m))
    chain = []
    while k >= 0:
        chain.append(found[k])
        k = best[k][1]
    return chain[::-1]
