"""Render the real pages of ``benchmarks/realpages`` as text with real web browsers, into
``benchmarks/browsertext/<browser>`` (see its PROVENANCE.md): a page saved as a browser saves
it, for scoring the text extractor on layouts its rules were not written on.

    apt-get install w3m lynx chromium chromium-driver && pip install 'selenium>=4.20'
    python benchmarks/render_browsertext.py [w3m lynx chromium]

- **w3m and Lynx** (text-mode browsers): each page goes to the browser as its bytes, with the
  charset it is in when they are UTF-8 (else the browser reads the page's declared charset),
  and is dumped at the browser's default width of 80 columns: paragraphs come wrapped over
  several lines, list items marked, no link list (``lynx -nolist``).
- **Chromium** (headless, driven by Selenium): each page is opened from a file, offline, with
  scripts and extensions off, and its text is what selecting all and copying gives (the body's
  ``innerText``): the page as its own markup and inline styles lay it out, with no style
  sheet fetched. A page that sends a browser without scripts elsewhere is saved empty.

The text goes to ``<browser>/pages/<id>.txt`` (UTF-8, trailing spaces cut), and
``<browser>/captures.jsonl`` gives each the URL its page had. The browsers' versions are
checked: another version may lay text out otherwise, and the stored captures are what the
figures in ``tests/test_realpages.py`` hold to.
"""

from __future__ import annotations

import codecs
import os
import re
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render_plaintext import is_utf8, render  # noqa: E402

OUT = Path(__file__).resolve().parent / "browsertext"
VERSIONS = {
    "w3m": "w3m/0.5.3+git20230121",
    "lynx": "Lynx Version 2.9.0dev.12",
    "chromium": "Chromium 156.0.8078.114",
}
# The browser itself, not Debian's /usr/bin/chromium wrapper, which adds the flags of
# /etc/chromium.d and loads every extension packaged on the machine (an ad blocker hides text)
CHROMIUM, CHROMEDRIVER = "/usr/lib/chromium/chromium", "/usr/bin/chromedriver"
DRIVER_VERSION = "ChromeDriver 156.0.8078.114"
SELENIUM = "Selenium 4.51.0"
# A page that sends a browser without scripts elsewhere at once (``<noscript><meta
# http-equiv="refresh" ...>``): Chromium would show the page it is sent to, or an error page.
_NOSCRIPT_REFRESH = re.compile(
    rb"<noscript[^>]*>\s*<meta[^>]+http-equiv\s*=\s*[\"']?refresh", re.IGNORECASE
)


def _command(browser: str, raw: bytes) -> list[str]:
    utf8 = is_utf8(raw)
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
    return _lines(done.stdout.decode("utf-8", errors="replace"))


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def _chromium(home: str):
    """A headless Chromium with scripts and the network's use off, driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1024",
                 f"--user-data-dir={home}/chromium", "--proxy-server=127.0.0.1:9",
                 "--lang=en-US", "--blink-settings=scriptEnabled=false",
                 "--disable-extensions"):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def copied(driver, raw: bytes, *, folder: Path) -> str:
    """The page ``raw`` opened in ``driver`` from a file, as selecting all and copying gives
    it (the body's ``innerText``); empty for a page that sends a browser without scripts
    elsewhere at once. A UTF-8 page is marked so (a byte-order mark), as w3m and Lynx are told:
    some declare another charset than the one their bytes are in."""
    if _NOSCRIPT_REFRESH.search(raw):
        return ""
    page = folder / "page.html"
    page.write_bytes(codecs.BOM_UTF8 + raw if is_utf8(raw) else raw)
    driver.get(page.as_uri())
    if driver.current_url != page.as_uri():
        raise RuntimeError(f"the page went to {driver.current_url}")
    return _lines(driver.execute_script("return document.body ? document.body.innerText : ''"))


def _version(program: str, flag: str = "-version") -> str:
    done = subprocess.run([program, flag], capture_output=True, check=True)
    return done.stdout.decode().splitlines()[0]


def _versions_checked(browser: str) -> None:
    if browser not in VERSIONS:
        raise SystemExit(f"no browser {browser!r}: one of {', '.join(VERSIONS)}")
    if browser == "chromium":
        from selenium import __version__ as selenium

        found = [
            (VERSIONS[browser], _version(CHROMIUM, "--version")),
            (DRIVER_VERSION, _version(CHROMEDRIVER, "--version")),
            (SELENIUM, f"Selenium {selenium}"),
        ]
    else:
        found = [(VERSIONS[browser], _version(browser))]
    for expected, seen in found:
        if expected not in seen:
            raise SystemExit(f"{expected} renders the stored captures (found {seen}); install it")


def main(browsers: list[str]) -> None:
    for browser in browsers:
        _versions_checked(browser)
    os.environ["SE_OFFLINE"] = "true"  # Selenium takes the driver given, downloads nothing
    with tempfile.TemporaryDirectory() as home:
        for browser in browsers:
            if browser == "chromium":
                driver = _chromium(home)
                try:
                    count = render(OUT / browser, partial(copied, driver, folder=Path(home)))
                finally:
                    driver.quit()
            else:
                count = render(OUT / browser, lambda raw, b=browser: dumped(b, raw, home))
            print(f"{count} text captures in {OUT / browser / 'pages'}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(VERSIONS))
