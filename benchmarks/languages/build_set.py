"""Rebuild ``texts.jsonl`` from Universal Dependencies test files (see PROVENANCE.md).

    python benchmarks/languages/build_set.py DIR ...  > benchmarks/languages/texts.jsonl

Each DIR holds one treebank's ``*-ud-test.conllu``; its language is the file name's prefix
(``de_pud-ud-test.conllu`` -> ``de``). Per language the set takes :data:`LONG` samples of
consecutive sentences joined to at least :data:`LONG_CHARS` characters (what the
extractor reads of a story body) and :data:`SHORT` single sentences of 40-100 characters, spread
evenly over the file. The label is the treebank's language, not any detector's answer.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

LONG, SHORT = 70, 20
LONG_CHARS, KEEP_CHARS = 240, 260
SHORT_RANGE = (40, 100)
NO_SPACES = {"zh", "ja"}  # scripts written without spaces between sentences
_TEXT = re.compile(r"^# text ?= ?(.*)$")
_DOC = re.compile(r"^# newdoc")


def documents(path: Path) -> list[list[str]]:
    """The file's sentences grouped by ``# newdoc`` (one group when it has none)."""
    docs: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if _DOC.match(line) and docs[-1]:
            docs.append([])
        elif match := _TEXT.match(line):
            docs[-1].append(detokenized(match.group(1).strip()))
    return [doc for doc in docs if doc]


def detokenized(text: str) -> str:
    """Undo tokenizer spacing some treebanks keep in ``# text`` (``word , word .``)."""
    text = re.sub(r" ([.,:;?!%)\]])", r"\1", text)
    return re.sub(r"([(\[]) ", r"\1", text)


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    at = text.rfind(" ", 0, limit)
    return text[: at if at > limit // 2 else limit]


def long_samples(sentences: list[str], sep: str) -> list[str]:
    """Consecutive sentences joined until :data:`LONG_CHARS` (across documents, as some
    treebanks make each sentence a document)."""
    out, joined = [], ""
    for sentence in sentences:
        joined = f"{joined}{sep}{sentence}" if joined else sentence
        if len(joined) >= LONG_CHARS:
            out.append(cut(joined, KEEP_CHARS))
            joined = ""
    return out


def spread(items: list[str], n: int) -> list[str]:
    if len(items) <= n:
        return items
    return [items[i * len(items) // n] for i in range(n)]


def samples(path: Path) -> list[dict]:
    lang = path.name.split("_")[0]
    docs = documents(path)
    sep = "" if lang in NO_SPACES else " "
    sentences = [s for doc in docs for s in doc]
    short = [s for s in sentences if SHORT_RANGE[0] <= len(s) <= SHORT_RANGE[1]]
    long = spread(long_samples(sentences, sep), LONG)
    rows = [{"lang": lang, "kind": "long", "text": t} for t in long]
    rows += [{"lang": lang, "kind": "short", "text": t} for t in spread(short, SHORT)]
    return [dict(row, source=path.name) for row in rows]


def main(dirs: list[str]) -> None:
    for directory in dirs:
        (path,) = Path(directory).glob("*-ud-test.conllu")
        for row in samples(path):
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
