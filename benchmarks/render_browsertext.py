"""Render the real pages of ``benchmarks/realpages`` as text with two text-mode web browsers,
w3m and Lynx, into ``benchmarks/browsertext/<browser>`` (see its PROVENANCE.md): a page saved
as a browser dumps it, for scoring the text extractor on layouts its rules were not written on.

    apt-get install w3m lynx && python benchmarks/render_browsertext.py

Each page goes to the browser as its bytes, with the charset it is in when they are UTF-8
(else the browser reads the page's declared charset), and is dumped at the browser's default
width of 80 columns: paragraphs come wrapped over several lines, list items marked, no link
list (``lynx -nolist``). The text goes to ``<browser>/pages/<id>.txt`` (UTF-8), and
``<browser>/captures.jsonl`` gives each the URL its page had. The browsers' versions are
checked: another version may lay text out otherwise, and the stored captures are what the
figures in ``tests/test_realpages.py`` hold to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_plaintext import render  # noqa: E402

OUT = Path(__file__).resolve().parent / "browsertext"
VERSIONS = {"w3m": "w3m/0.5.3+git20230121", "lynx": "Lynx Version 2.9.0dev.12"}


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _command(browser: str, raw: bytes) -> list[str]:
    utf8 = _is_utf8(raw)
    if browser == "w3m":
        return ["w3m", "-dump", "-T", "text/html", "-O", "UTF-8", *(["-I", "UTF-8"] * utf8)]
    return [
        "lynx", "-dump", "-nolist", "-stdin", "-force_html", "-display_charset=utf-8",
        *(["-assume_charset=utf-8"] * utf8),
    ]  # fmt: skip


def dumped(browser: str, raw: bytes, home: str) -> str:
    """The page ``raw`` as ``browser`` dumps it: its lines, trailing spaces cut."""
    env = {"HOME": home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "dumb", "PATH": os.defpath}
    done = subprocess.run(
        _command(browser, raw), input=raw, capture_output=True, env=env, check=True, timeout=60
    )
    text = done.stdout.decode("utf-8", errors="replace")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def _version(browser: str) -> str:
    done = subprocess.run([browser, "-version"], capture_output=True, check=True)
    return done.stdout.decode().splitlines()[0]


def main() -> None:
    for browser, expected in VERSIONS.items():
        if expected not in _version(browser):
            raise SystemExit(f"{expected} renders the stored captures; install it")
    with tempfile.TemporaryDirectory() as home:
        for browser in VERSIONS:
            count = render(OUT / browser, lambda raw, b=browser: dumped(b, raw, home))
            print(f"{count} text captures in {OUT / browser / 'pages'}")


if __name__ == "__main__":
    main()
