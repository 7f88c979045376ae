"""Extraction on 303 real pages holds its measured figures: the pages as HTML
(benchmarks/realpages), and the same pages saved as text (benchmarks/realtext), where a whole
page's text starts with its site's menus.

The labels were made from upstream test expectations and by reading the pages, not by running
archive (see benchmarks/realpages/PROVENANCE.md); the text captures were rendered from the
pages by a tool of their own (benchmarks/realtext/PROVENANCE.md), and as two text browsers
dump them and as Chromium copies them (benchmarks/browsertext/PROVENANCE.md, held out when
made). The floors are the figures measured when each set was built, less a small margin: a
change that loses precision or coverage fails here, and one that gains should raise the floor.
"""

from __future__ import annotations

from functools import cache

import pytest
from conftest import benchmark_module

score_realpages = benchmark_module("score_realpages")
score_realtext = benchmark_module("score_realtext")
render_plaintext = benchmark_module("render_plaintext")

MARGIN = 0.02
# field -> (precision, coverage) measured on 2026-12-03 after the issue 16 changes (date: the
# published_date column, the day the publisher states). Before them: title 0.877/0.877,
# authors 0.817/0.730, outlet 0.975/0.971, date 0.850/0.901 as the UTC day, with 15 dates on
# the 18 pages that have none. Title and date raised on 2026-12-03 (dates by the headline,
# publication meta names; 18 title labels that kept the outlet's name corrected): title was
# 0.877/0.877, date 0.979/0.750, publisher day 0.969 (titles: 0.930 on the corrected labels).
# Title and outlet raised on 2026-12-06 (the title part the <h1> shows; site names the address
# agrees with; Google Translate's tooltip dropped): title was 0.950/0.950, outlet 0.975/0.967;
# date coverage 0.817 (Japanese visible datelines, 2019年4月4日, read).
# Outlet lowered on 2026-12-06 (archive-html/14 to 16: Latin site names compared without
# accents: the address liberation.fr agrees with "Libération", the name its <title> ends with,
# now taken before its og:site_name "www.liberation.fr", which the label copies): was 0.988 /
# 0.980. Authors raised on 2026-12-07 (archive-html/40: a guess glued from two author elements,
# "Paul Wiseman Fatima Hussein", is two names where two tags hold them apart): was 0.953 / 0.805.
# Authors and outlet raised on 2026-12-07 (archive-html/41: the outlet's publisher in
# meta[name="author"], "Ediciones El País", is no author; a section's name in og:site_name,
# "U.S.", is no outlet): were 0.958 / 0.810 and 0.984 / 0.976.
MEASURED = {
    "title": (0.967, 0.967),
    "authors": (0.963, 0.810),
    "outlet": (0.988, 0.980),
    "published": (0.986, 0.821),
}
# The text captures, measured on 2026-12-06 when the set was made. A text shows only part of
# what the labels were read from (meta tags), so its coverage is low by nature; its precision
# is what counts. text-1.4.13: title 0.178 / 0.070 (118 titles asserted, 97 wrong: menu items,
# "Skip to main content", a sign-in prompt), date 0.889 / 0.032. text-1.4.14 (a menu's first
# item no headline): title 0.318 / 0.047, date 1.000 / 0.032. text-1.4.18 (the line the URL's
# slug names is the headline, where the header read has no byline or date, or its headline
# shares no word with the slug): below. The one date counted wrong is the publisher's own day
# (a visible "November 27", the label's 00:00 UTC on the 28th). Outlets: 3 asserted, 2 wrong
# (npr.org's menu link "Support Public Radio"); since text-1.4.19 2 asserted, none wrong.
# text-1.4.28 (found on Chromium's copy, below): a cookie prompt's button is furniture (title
# was 0.868, 15 wrong); "Byby NAME" is a "By" byline (authors were 0.892 / 0.147, date 0.972 /
# 0.140). text-1.4.58: words set three spaces apart (a row of links) make no headline (title
# was 0.876, 14 wrong). text-1.4.62: a short line of labels set apart by a middle dot or a bullet
# ("Section · Author, Author", "Show • Episode 32") over a line that reads as a headline is a
# kicker (title was 0.884 / 0.330, 13 wrong; the browser sets alike, below). text-1.4.68 to
# 1.4.71: the header is read past a dek, a comment count or a label under a headline to the "By"
# byline below, or to a date said to be the publication's or under the byline and its newsroom,
# and a handle after a byline's name ends it (authors were 0.895 / 0.152, date 0.981 / 0.208;
# every set alike, below). text-1.4.72: East Asian datelines read (a weekday in brackets, a
# time by its signs, labels such as 公開日 or 更新, year-first "2019.04.25"), a date alone over
# the site's menu is the day the page was shown (date was 0.983 / 0.232; every set alike).
MEASURED_TEXT = {
    "title": (0.901, 0.333),
    "authors": (0.907, 0.174),
    "published": (0.984, 0.240),
    "outlet": (0.844, 0.111),
}
MEASURED_TEXT_WRONG_TITLES = 11
# The same pages rendered by lxml alone (``render_plaintext.py``: the page's title first, no
# list markers, no style sheet), measured on 2026-12-06 when it was made. text-1.4.19: title
# 0.335 / 0.205 (123 of 185 wrong: the first line, "Story | Site", taken whole), authors
# 0.900 / 0.040, date 0.909 / 0.040. text-1.4.20 (the site's name cut from a title line; a
# title line whose story part a line below repeats gives way to it; "Credit...Name" a credit):
# title 0.767 / 0.513. text-1.4.21 (after a review: one cut, of the outlet's or the address's
# name alone; a story part of three words or more, no date or site name, before a site's
# part): 153 titles right, 49 wrong (many the page's title where the label is its <h1>).
# text-1.4.28: "Byby NAME" is a "By" byline (authors were 0.900 / 0.119). text-1.4.33 to
# 1.4.35: the host's first label, of six letters or more, names the site at the end of a text's
# title ("- The Economic Times" on economictimes.indiatimes.com cut), and Latin names are
# compared without accents ("- Libération" on liberation.fr cut): title was 0.757 / 0.507, 49
# wrong. text-1.4.54: the page's title gives way to the line repeating its story part below as
# many as 1,000 lines of the page's top (80 before: a news site's menus fill more), and its
# site's part names the outlet as a title line's does: title was 0.767 / 0.513 (47 wrong),
# authors 0.933 / 0.124, date 0.975 / 0.155, outlet 0.918 / 0.184 (45 right). text-1.4.61:
# a site's name its address shortens ("Los Angeles Times" at latimes.com) is cut from a title
# and names the outlet (outlet was 0.953 / 0.335, 82 right). text-1.4.65: a domain name that
# ends a title ("Story | whitehouse.gov") is cut (title was 0.811 / 0.570, 40 wrong).
# text-1.4.68 and 1.4.69 (the header read past a dek or a count to its byline): authors were
# 0.952 / 0.177, date 0.979 / 0.183. text-1.4.73 to 1.4.76: a Japanese or Chinese page title names
# its headline below as an English one does ("記事：朝日新聞デジタル": a full-width colon sets the
# site apart, a site's part in kana or ideographs, a story part without spaces): title was
# 0.831 / 0.586 (177 right, 36 wrong), outlet 0.955 / 0.343 (84 right), date 0.984 / 0.238.
MEASURED_PLAIN = {
    "title": (0.839, 0.619),
    "authors": (0.960, 0.212),
    "published": (0.984, 0.242),
    "outlet": (0.956, 0.351),
}
# The same pages as two text browsers dump them at 80 columns (``render_browsertext.py``: w3m
# 0.5.3 and Lynx 2.9.0dev.12), held out: measured on 2026-12-06 with text-1.4.21, before any
# rule looked at them. The wrong titles are mostly a headline wrapped over two lines and cut
# at the first; with Lynx also its line of the page's feed links ("#RSS ... alternate"),
# "(BUTTON)" labels, and quotes it prints as U+02BC. Held-out figures: w3m title 0.762 / 0.267
# (25 wrong), authors 0.833 / 0.067, date 1.000 / 0.072; Lynx title 0.583 / 0.209 (45 wrong),
# authors 0.867 / 0.058, date 1.000 / 0.056. text-1.4.22 and 1.4.23 (after a review: no label,
# standfirst or bare name below a headline taken for its rest), written with them in view (a
# headline runs on to the lines it is wrapped on; Lynx's link list is furniture), make these
# development figures: below. text-1.4.24: a name run into "Updated" or "Published" ends there
# (authors were 0.833 / 0.067 and 0.833 / 0.066); the date after "Updated" is no publication
# date, so one right date less on each set. text-1.4.25: Lynx's "(BUTTON)" lines and a cookie
# prompt ("Let us know you agree to cookies") are furniture (titles were 0.819 and 0.713).
# text-1.4.26 (after a second review): a wrapped headline's rest may be capitalised words, or a
# number; a title-cased headline may keep its prepositions in lower case; Lynx's margins; a
# name run into its byline ("Jane Holm By Jane Holm") is one author, not a five-word name.
# text-1.4.27 (after a third review; the same figures): a headline with "By" in it is no
# byline; a cookie prompt is furniture only when it asks "you" to agree. Then the scorer took
# Lynx's U+02BC for the apostrophe it stands for: Lynx title 0.750 / 0.258 -> 0.817 / 0.281
# (held out, so counted: 0.630 / 0.225, 40 wrong). text-1.4.30: a headline whose wrapped
# rest, unclassed by the header, makes a sentence with a full stop is a paragraph's first line,
# no headline (w3m title was 0.837, 17 wrong). text-1.4.58: a row of links is no headline (w3m
# title was 0.845). text-1.4.61: a first line that is the site's name its address spells or
# shortens is the masthead, no headline, and names the outlet ("The San Francisco Standard" at
# sfstandard.com was Lynx's title, 19 wrong, 0.817): w3m outlet was 0.881 / 0.152 (37 right),
# Lynx's 0.919 / 0.139; the outlet each set gains counted wrong is a short form of the label's
# ("POPSUGAR", "The Inquisitr", below).
# text-1.4.67: a title said twice (w3m prints a page's <title> that repeats its headline) is
# kept once: w3m title was 0.871 / 0.293 (13 wrong). text-1.4.68 and 1.4.69 (the header read
# past a dek or a count to its byline): w3m authors were 0.944 / 0.076, date 1.000 / 0.132;
# Lynx 0.947 / 0.080 and 1.000 / 0.139; Chromium 0.892 / 0.148 and 0.981 / 0.205.
MEASURED_BROWSERS = {
    "w3m": {
        "title": (0.873, 0.297),
        "authors": (0.952, 0.089),
        "published": (1.000, 0.156),
        "outlet": (0.864, 0.156),
    },
    "lynx": {
        "title": (0.843, 0.285),
        "authors": (0.955, 0.093),
        "published": (1.000, 0.167),
        "outlet": (0.900, 0.147),
    },
}
# The same pages as Chromium 156 copies them (``render_browsertext.py chromium``: opened from a
# file, offline, scripts off; selecting all and copying, the body's innerText), held out:
# measured on 2026-12-06 with text-1.4.27, before any rule looked at them: title 0.835 / 0.322
# (19 wrong), authors 0.842 / 0.143, date 0.973 / 0.145. text-1.4.28, written with it in view,
# makes these development figures: skip links run together, a cookie prompt's "No, take me to
# settings", "Keyboard shortcuts for audio player" and "Open side navigation menu" are
# furniture; "Byby NAME" is a "By" byline; a recording's label beside its player ("... 24:37")
# is no headline the URL names (title 0.866 / 0.326, authors 0.868 / 0.148). text-1.4.29, 1.4.30
# (after two reviews: a section's name in capitals over a headline is not told from a headline
# in capitals over its standfirst, nor a capital carrying on a wrapped headline from a label
# below it, so neither is assumed): title 0.857 / 0.322, 16 wrong. text-1.4.32 to 1.4.36: a
# bare name is no one when a control's or a menu's word is in it ("More", "Show", "Ideas",
# "Activity", ...): "Smarter Ideas More" was an author beside the page's date, and made a menu
# the title; on the other text sets "More Activity" was an unlabelled author.
MEASURED_BROWSERS["chromium"] = {
    "title": (0.882, 0.326),
    "authors": (0.900, 0.161),
    "published": (0.983, 0.233),
    "outlet": (0.853, 0.120),
}
# text-1.4.62 (a line of labels over a headline a kicker): titles were w3m 0.853 / 0.290 (15
# wrong), Lynx 0.825 / 0.281 (18), Chromium 0.865 / 0.322 (15). text-1.4.72 (East Asian
# datelines, above): w3m took a site's name over a page's "last updated" date for the title
# (JVN iPedia; was 0.881 / 0.297, 12 wrong); the dates each set gains are all right.
MEASURED_BROWSER_WRONG_TITLES = {"w3m": 13, "lynx": 16, "chromium": 13}
# Right values (title, authors, date) and quarantined captures, counted: the precision margin
# alone would let a set of about a hundred titles lose six right ones.
MEASURED_BROWSER_RIGHT = {"w3m": (89, 20, 39), "lynx": (86, 21, 42), "chromium": (97, 36, 58)}
MEASURED_BROWSER_QUARANTINED = {"w3m": 2, "lynx": 0, "chromium": 4}
# Outlets of the text sets: until text-1.4.36 a text named its outlet only in its own words (a
# notification prompt, a support plea): 1 to 3 asserted in each set, none wrong, coverage 0.004
# to 0.012. Since text-1.4.37 the site's name, where the capture's address spells it, also
# names the outlet: a masthead line above the story (a logo's text, a menu's first link:
# "Slate" over a story at slate.com) or a title line's part that the address names ("Story |
# Slate", the plain set's first line); not a platform's (yahoo.com, linkedin.com, medium.com)
# nor a section's (the host's first label). Coverage went to 0.111-0.184. Every outlet counted
# wrong is the site's name in another form than its og:site_name, which the label copies: the
# short name for the long ("Slate" / "Slate Magazine", "POPSUGAR" / "POPSUGAR Home", "Segment"
# / "Segment Blog", "GlobeNewswire" / "GlobeNewswire News Room", "The Inquisitr" / "The
# Inquisitr News", "WiWo" / "Wirtschaftswoche"), the brand for its edition ("CNN" at
# arabic.cnn.com / "CNNArabic"), or the plain set's title spellings ("The Boston Globe" /
# "BostonGlobe.com", "FoxNews.com" / "Fox News", "Libération" / "www.liberation.fr").
# Dates of the text sets: since text-1.4.38 a dateline away from the header is the date when
# the capture's address is filed under its day (/2016/12/09/), two sources that state one day,
# as an HTML page's weaker sources must; since text-1.4.40 (after a review) its day only, and
# none when another such dateline states another day or an update's label stands above it.
# Date coverage went from 0.144 / 0.087 / 0.068 / 0.075 / 0.145 (text, plain, w3m, Lynx,
# Chromium) to 0.208 / 0.155 / 0.132 / 0.139 / 0.205, precision from 0.973 / 0.957 / 1.000 /
# 1.000 / 0.973 to 0.981 / 0.975 / 1.000 / 1.000 / 0.981 (text-1.4.38: 0.966 / 0.955 / 0.975 /
# 0.975 / 0.964, coverage 0.224 / 0.167 / 0.156 / 0.155 / 0.217, with one page more wrong in each
# set: a post showing "December 24, 2016" under a /2016/12/24/ address and another day
# elsewhere, labelled the 23rd).
MEASURED_TEXT_WRONG_OUTLETS = {"text": 5, "plain": 4, "w3m": 6, "lynx": 4, "chromium": 5}
MEASURED_TEXT_RIGHT_OUTLETS = {"text": 27, "plain": 86, "w3m": 38, "lynx": 36, "chromium": 29}
MEASURED_PLAIN_WRONG_TITLES = 36
MEASURED_PUBLISHER_DAY_PRECISION = 0.971
MEASURED_DATES_ON_NO_DATE_PAGES = 0
MEASURED_BODY_OPENING_RECALL = 0.973


pytestmark = pytest.mark.slow  # packs 303 pages: about a minute on two idle cores


@pytest.fixture(scope="module")
def report() -> dict:
    return score_realpages.score(baseline=False, jobs=2)


@pytest.fixture(scope="module")
def text_report() -> dict:
    return score_realtext.score(jobs=2)


@pytest.fixture(scope="module")
def plain_report() -> dict:
    return score_realtext.score(jobs=2, renderer="plain")


@cache
def browser_report(browser: str) -> dict:
    """The report of a browser set (``MEASURED_BROWSERS``), scored once."""
    return score_realtext.score(jobs=2, renderer=browser)


@pytest.fixture(params=["html", "text", "plain", "w3m", "lynx", "chromium"])
def scored(request) -> tuple[dict, dict]:
    """(a set's report, its measured figures)."""
    if request.param in MEASURED_BROWSERS:
        return browser_report(request.param), MEASURED_BROWSERS[request.param]
    if request.param == "html":
        return request.getfixturevalue("report"), MEASURED
    if request.param == "plain":
        return request.getfixturevalue("plain_report"), MEASURED_PLAIN
    return request.getfixturevalue("text_report"), MEASURED_TEXT


def test_every_page_is_a_record_or_a_quarantine_entry(scored):
    report, _ = scored
    assert report["pages"] == 303
    assert report["unaccounted"] == []
    assert report["records"] + len(report["quarantined"]) == report["pages"]


def test_field_precision_and_coverage_hold(scored):
    report, measured = scored
    for field, (precision, coverage) in measured.items():
        got = report["fields"][field]
        assert got["precision"] >= precision - MARGIN, (field, got)
        assert got["coverage"] >= coverage - MARGIN, (field, got)


def test_saved_text_has_few_wrong_titles_or_outlets_and_no_date_on_a_dateless_page(text_report):
    title = text_report["fields"]["title"]
    assert title["scored"] - title["correct"] <= MEASURED_TEXT_WRONG_TITLES
    outlet = text_report["fields"]["outlet"]
    assert outlet["scored"] - outlet["correct"] <= MEASURED_TEXT_WRONG_OUTLETS["text"]
    assert outlet["correct"] >= MEASURED_TEXT_RIGHT_OUTLETS["text"]
    assert text_report["fields"]["published"]["asserted_on_no_date"] == 0


def test_plain_text_has_few_wrong_titles_or_outlets_and_no_date_on_a_dateless_page(plain_report):
    title = plain_report["fields"]["title"]
    assert title["scored"] - title["correct"] <= MEASURED_PLAIN_WRONG_TITLES
    outlet = plain_report["fields"]["outlet"]
    assert outlet["scored"] - outlet["correct"] <= MEASURED_TEXT_WRONG_OUTLETS["plain"]
    assert outlet["correct"] >= MEASURED_TEXT_RIGHT_OUTLETS["plain"]
    assert plain_report["fields"]["published"]["asserted_on_no_date"] == 0


@pytest.mark.parametrize("browser", sorted(MEASURED_BROWSERS))
def test_browser_dumps_have_few_wrong_titles_or_outlets_and_no_date_on_a_dateless_page(
    browser,
):
    found = browser_report(browser)
    title = found["fields"]["title"]
    assert title["scored"] - title["correct"] <= MEASURED_BROWSER_WRONG_TITLES[browser]
    outlet = found["fields"]["outlet"]
    assert outlet["scored"] - outlet["correct"] <= MEASURED_TEXT_WRONG_OUTLETS[browser]
    assert outlet["correct"] >= MEASURED_TEXT_RIGHT_OUTLETS[browser]
    assert found["fields"]["published"]["asserted_on_no_date"] == 0
    right = tuple(found["fields"][f]["correct"] for f in ("title", "authors", "published"))
    floors = MEASURED_BROWSER_RIGHT[browser]
    assert all(got >= floor for got, floor in zip(right, floors, strict=True)), (right, floors)
    assert len(found["quarantined"]) == MEASURED_BROWSER_QUARANTINED[browser]


def test_dates_hold_as_the_publisher_wrote_them_and_none_are_added_to_dateless_pages(report):
    dates = report["fields"]["published"]
    assert dates["precision_publisher_day"] >= MEASURED_PUBLISHER_DAY_PRECISION - MARGIN
    assert dates["asserted_on_no_date"] <= MEASURED_DATES_ON_NO_DATE_PAGES


def test_body_keeps_the_article_opening(report):
    assert report["body"]["archive"]["recall"] >= MEASURED_BODY_OPENING_RECALL - MARGIN


def test_labels_are_well_formed():
    labels = score_realpages.read_labels()
    assert len({lb["id"] for lb in labels}) == len(labels) == 303
    assert len({lb["site"] for lb in labels}) >= 50
    assert len({lb["language"] for lb in labels}) >= 5
    no_date = [lb for lb in labels if lb["published"] is None and "published" not in lb["unscored"]]
    assert len(no_date) >= 10
    for lb in labels:
        assert (score_realpages.HERE / lb["file"]).is_file(), lb["id"]
        assert set(lb["unscored"]) <= {"title", "authors", "published"}, lb["id"]
        if lb["published"] is not None:
            assert len(lb["published"]["date"]) == 10, lb["id"]
        assert (score_realtext.HERE / "pages" / f"{lb['id']}.txt").is_file(), lb["id"]
    log = (score_realtext.HERE / "captures.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(log) == len(labels)


def test_matching_rules():
    assert (
        score_realpages.norm("  Why Donald Trump won’t  change!") == "why donald trump won t change"
    )
    # Lynx prints an apostrophe as U+02BC, a modifier letter: it still parts the words
    assert score_realpages.norm("Harbourʼs ʼlast ferryʼ") == score_realpages.norm(
        "Harbour's 'last ferry'"
    )
    assert score_realpages.norm_outlet("The Bloomberg.com") == score_realpages.norm_outlet(
        "Bloomberg"
    )
    assert score_realpages.norm_outlet("Le Monde.fr") == "le monde"
    assert score_realpages.norm_outlet("CNN") != score_realpages.norm_outlet("CNNMoney")


def test_the_plain_rendering_shows_what_a_page_shows():
    page = (
        b"<html><head><title>Ferry back | Tarn Valley Echo</title><style>p{}</style></head>"
        b"<body><nav><ul><li>Home</li><li>News</li></ul></nav><p hidden>Hidden</p>"
        b"<div style='display: none'>Also hidden</div><noscript>Turn on scripts</noscript>"
        b"<h1>Ferry back</h1><p>The <b>ferry</b>   runs<br>again.</p><p>By <span>Ada</span></p>"
        b"<table><tr><td>a</td><td>b</td></tr></table></body></html>"
    )
    assert render_plaintext.plain_text(page) == (
        "Ferry back | Tarn Valley Echo\n\nHome\nNews\n\nFerry back\n\nThe ferry runs\n"
        "again.\n\nBy Ada\n\na b\n"
    )
