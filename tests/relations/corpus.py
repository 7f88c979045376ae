"""A deterministic generated corpus for relation finding, with its ground truth.

Stories are told by several independent reports (distractors: same names, same vocabulary,
same statements quoted), then copies are planted: syndicated copies (new headline and
furniture, one paragraph rewritten, the end trimmed), spun copies at several substitution
rates (``spin.py``), and exact duplicates. All text is fictional.

:func:`stream` yields the records one at a time and holds only the originals still to be
copied, so a benchmark of 100,000 records measures relation finding, not the generator.
Each copy follows its original at once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from archive.relations import RelationInput
from archive.text.normalize import body_text, sha256_text

from . import wordlists as W
from .spin import spin

SPIN_RATES = (0.15, 0.3, 0.5)
_EPOCH = datetime(2031, 3, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Planted:
    """Ground truth of one generated record.

    ``root`` is the independent report the record derives from (itself for an original);
    ``role`` is ``original``, ``syndicated``, ``spun`` or ``exact``; ``statements`` are the
    ids of the shared statements it quotes verbatim.
    """

    record_id: str
    root: str
    role: str
    spin_rate: float | None
    statements: tuple[int, ...]
    text_sha256: str = ""


@dataclass(frozen=True)
class Corpus:
    records: tuple[RelationInput, ...]
    truth: dict[str, Planted]


class _Story:
    def __init__(self, rng: random.Random, index: int) -> None:
        self.rng = rng
        self.place = rng.choice(W.PLACES)
        self.org = rng.choice(W.ORGS)
        self.people = [
            (f"{rng.choice(W.FIRST)} {rng.choice(W.LAST)}", rng.choice(W.ROLES)) for _ in range(3)
        ]
        self.statements = [(index * 10 + k, _clause(rng, self), rng.randrange(3)) for k in range(3)]
        self.day = _EPOCH + timedelta(days=index % 700)


def _np(rng: random.Random, story: _Story) -> str:
    roll = rng.random()
    if roll < 0.2:
        return story.org
    if roll < 0.35:
        name, role = rng.choice(story.people)
        return f"the {role} {name}"
    if roll < 0.45:
        return f"more than {rng.randrange(2, 900)} {rng.choice(W.NOUNS)}"
    adj = f"{rng.choice(W.ADJECTIVES)} " if rng.random() < 0.6 else ""
    tail = f" of {story.place}" if rng.random() < 0.2 else ""
    return f"the {adj}{rng.choice(W.NOUNS)}{tail}"


def _clause(rng: random.Random, story: _Story) -> str:
    pattern = rng.randrange(6)
    a, b = _np(rng, story), _np(rng, story)
    v, base = rng.choice(W.VERBS), rng.choice(W.BASE_VERBS)
    adv = f" {rng.choice(W.ADVERBS)}" if rng.random() < 0.3 else ""
    when = rng.choice(W.TIMES)
    if pattern == 0:
        return f"{a}{adv} {v} {b} {when}"
    if pattern == 1:
        return f"{a} would {base} {b} {when} unless {_np(rng, story)} {rng.choice(W.VERBS)} it"
    if pattern == 2:
        lead = when[0].upper() + when[1:]
        return f"{lead} {a} {v} {b} after {_np(rng, story)} {rng.choice(W.VERBS)} it"
    if pattern == 3:
        return f"there is no {rng.choice(W.NOUNS)} for {a} and {b} must {base} it"
    if pattern == 4:
        return f"{a}, which {v} {b}, will {base} {_np(rng, story)} {when}"
    return f"we will {base} {a}{adv} and {rng.choice(W.BASE_VERBS)} {b} {when}"


def _sentence(rng: random.Random, story: _Story) -> str:
    text = _clause(rng, story)
    if rng.random() < 0.3:
        text += f", and {_clause(rng, story)}"
    return text[0].upper() + text[1:] + "."


def _quote(rng: random.Random, story: _Story, text: str, speaker: int) -> str:
    name, role = story.people[speaker]
    text = text[0].upper() + text[1:]
    if rng.random() < 0.5:
        return f"“{text},” {name} said."
    return f"The {role}, {name}, said: “{text}.”"


def _report(rng: random.Random, story: _Story) -> tuple[list[str], list[int | None]]:
    """Paragraphs of an independent report, and the shared statement each quotes (if any)."""
    paragraphs = []
    for _ in range(rng.randrange(8, 15)):
        count = rng.randrange(1, 4)
        paragraphs.append(" ".join(_sentence(rng, story) for _ in range(count)))
    quoting: list[int | None] = [None] * len(paragraphs)
    for sid, text, speaker in rng.sample(story.statements, rng.randrange(0, 3)):
        at = rng.randrange(1, len(paragraphs))
        paragraphs.insert(at, _quote(rng, story, text, speaker))
        quoting.insert(at, sid)
    own = _quote(rng, story, _clause(rng, story), rng.randrange(3))
    at = rng.randrange(1, len(paragraphs))
    paragraphs.insert(at, own)
    quoting.insert(at, None)
    return paragraphs, quoting


def _statements(quoting: list[int | None]) -> tuple[int, ...]:
    return tuple(sorted(sid for sid in quoting if sid is not None))


def _framed(rng: random.Random, story: _Story, paragraphs: list[str]) -> list[str]:
    """Headline and furniture around the body paragraphs, as an extractor may leave them."""
    headline = f"{story.place}: {_sentence(rng, story)[:-1]}"
    top = [rng.choice(W.FURNITURE)] if rng.random() < 0.5 else []
    bottom = rng.sample(W.FURNITURE, rng.randrange(0, 3))
    return [*top, headline, *paragraphs, *bottom]


def _syndicated(
    rng: random.Random, story: _Story, paragraphs: list[str], quoting: list[int | None]
) -> tuple[list[str], tuple[int, ...]]:
    """A syndicated copy, and the statements it still quotes (one paragraph is rewritten and
    the end may be trimmed)."""
    body, quoted = list(paragraphs), list(quoting)
    k = rng.randrange(len(body))
    body[k], quoted[k] = _sentence(rng, story), None
    keep = max(4, len(body) - rng.randrange(0, 4))
    return _framed(rng, story, body[:keep]), _statements(quoted[:keep])


def _record_id(rng: random.Random) -> str:
    return f"rec-{rng.getrandbits(48):012x}"


def generate(
    n: int, seed: int = 7, syndicated: float = 0.05, spun: float = 0.01, exact: float = 0.01
) -> Corpus:
    """About ``n`` records: originals plus the given shares of planted copies."""
    items = list(stream(n, seed, syndicated, spun, exact))
    return Corpus(tuple(rec for rec, _ in items), {p.record_id: p for _, p in items})


def stream(
    n: int, seed: int = 7, syndicated: float = 0.05, spun: float = 0.01, exact: float = 0.01
) -> Iterator[tuple[RelationInput, Planted]]:
    """The records of :func:`generate` with their truth, one at a time."""
    rng = random.Random(seed)
    counts = {
        "syndicated": round(n * syndicated),
        "spun": round(n * spun),
        "exact": round(n * exact),
    }
    originals = n - sum(counts.values())
    stories = [_Story(rng, i) for i in range(max(1, originals // 8))]
    roles = [role for role, count in counts.items() for _ in range(count)]
    copies_of: dict[int, list[tuple[str, int]]] = {}
    for k, role in enumerate(roles):
        copies_of.setdefault(rng.randrange(originals), []).append((role, k))
    serial = dict.fromkeys(counts, 0)
    for i in range(originals):
        story = stories[i % len(stories)]
        paragraphs, quoting = _report(rng, story)
        rid = _record_id(rng)
        text = body_text(_framed(rng, story, paragraphs))
        when = story.day + timedelta(minutes=rng.randrange(600))
        rec = RelationInput(rid, text, sha256_text(text), when, when + timedelta(hours=30))
        yield rec, Planted(rid, rid, "original", None, _statements(quoting), rec.text_sha256)
        for role, _ in copies_of.get(i, ()):
            yield _copy(rng, role, serial[role], story, paragraphs, quoting, rec)
            serial[role] += 1


def _copy(rng, role, k, story, paragraphs, quoting, orig):
    rid = _record_id(rng)
    later = orig.published_at + timedelta(hours=rng.randrange(1, 48))
    dated = k % 3 != 0  # a third of the copies carry no dates at all
    if role == "exact":
        text, rate, kept = orig.text, None, _statements(quoting)
    elif role == "syndicated":
        framed, kept = _syndicated(rng, story, paragraphs, quoting)
        text, rate = body_text(framed), None
    else:
        rate = SPIN_RATES[k % len(SPIN_RATES)]
        text = body_text([spin(p, rate, rng) for p in orig.text.split("\n\n")])
        kept = _statements(quoting)
    rec = RelationInput(
        rid,
        text,
        sha256_text(text),
        later if dated else None,
        later + timedelta(hours=2) if dated else None,
    )
    return rec, Planted(rid, orig.record_id, role, rate, kept, rec.text_sha256)
