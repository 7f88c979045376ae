"""extract_html on fictional pages: body, metadata with provenance, charsets, gzip, date bounds."""

from __future__ import annotations

import codecs
import gzip
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml.html import HtmlElement, HtmlEntity
from trafilatura.utils import load_html
from warcdata import (
    ARTICLES,
    FROMAGERIE,
    LIGHTHOUSE,
    ORCHARD,
    RIVERTOWN,
    body_paragraphs,
    gzip_bytes,
    render_html,
    render_text,
)

from archive.extract import extract_text_capture
from archive.extract.html import _itemprops, _outside_the_story, _parsed, extract_html
from archive.model import Hints
from archive.text.decode import NotText
from archive.text.normalize import body_text, normalize_text, sha256_text

DERIVED = ("title", "standfirst", "authors", "outlet", "published_at", "modified_at", "language")


def test_same_article_as_text_and_html_hashes_the_same_body():
    # Compared: the canonical body (archive.text.normalize.body_text) of the story paragraphs,
    # subheading included; the headline and standfirst are not body in either form.
    for article in (LIGHTHOUSE, ORCHARD, FROMAGERIE):
        as_text = extract_text_capture(normalize_text(render_text(article)), Hints())
        as_html = extract_html(render_html(article), Hints()).extraction
        assert sha256_text(as_html.text) == sha256_text(as_text.text)
        assert as_html.text == body_text(body_paragraphs(article))


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_page_furniture_is_not_body(article):
    html = render_html(article, charset="windows-1251" if article is RIVERTOWN else "utf-8")
    hints = Hints(declared_charset="windows-1251" if article is RIVERTOWN else None)
    text = extract_html(html, hints).extraction.text
    assert text == body_text(body_paragraphs(article))
    for furniture in ("cookies", "Related stories", "All rights reserved", "Privacy", "Email"):
        assert furniture not in text


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_metadata_fields_each_with_provenance(article):
    style = "json-ld" if article is ORCHARD else "opengraph"
    extraction = extract_html(render_html(article, meta_style=style), Hints()).extraction
    assert extraction.title == article.title
    assert extraction.standfirst == article.standfirst
    assert extraction.authors == (article.author,)
    assert extraction.outlet == article.outlet
    assert extraction.published_at == datetime.fromisoformat(article.published).astimezone(UTC)
    assert extraction.published_precision == "minute"
    assert extraction.language == article.lang
    modified = article.modified and datetime.fromisoformat(article.modified).astimezone(UTC)
    assert extraction.modified_at == modified
    named = {p.field for p in extraction.provenance}
    for field in DERIVED:
        if getattr(extraction, field):
            assert field in named, field


def test_provenance_names_the_tag_that_holds_the_value():
    extraction = extract_html(render_html(LIGHTHOUSE), Hints()).extraction
    by_field = {p.field: p for p in extraction.provenance}
    assert by_field["title"].method == "html-meta"
    assert by_field["title"].evidence.startswith('meta[property="og:title"]=')
    assert by_field["outlet"].evidence == "meta[property=\"og:site_name\"]='Harbourlight Gazette'"
    dated = next(p for p in extraction.provenance if p.field == "published_at")
    assert dated.method == "html-meta"
    assert dated.evidence.startswith('meta[property="article:published_time"]=')
    assert by_field["modified_at"].evidence.startswith('meta[property="article:modified_time"]')
    assert by_field["language"].evidence == "html[lang]='en'"
    json_ld = extract_html(render_html(ORCHARD, meta_style="json-ld"), Hints()).extraction
    dated = next(p for p in json_ld.provenance if p.field == "published_at")
    assert dated.evidence.startswith("json-ld NewsArticle.datePublished=")


def test_domain_table_outranks_the_site_name_and_the_capture_log_outranks_both():
    table = (("harbourlight-gazette.org", "The Harbourlight Gazette (table)"),)
    page = render_html(LIGHTHOUSE)
    by_url = extract_html(page, Hints(domain_outlets=table)).extraction  # URL from canonical
    assert by_url.outlet == "The Harbourlight Gazette (table)"
    assert [p.method for p in by_url.provenance if p.field == "outlet"] == ["url-domain"]
    logged = Hints(
        outlet="Gazette (log)",
        published_at=datetime(2024, 3, 4, tzinfo=UTC),
        evidence="log line 3",
        domain_outlets=table,
        url=LIGHTHOUSE.url,
    )
    by_log = extract_html(page, logged).extraction
    assert (by_log.outlet, by_log.published_at.day, by_log.published_precision) == (
        "Gazette (log)",
        4,
        "day",
    )
    assert {p.method for p in by_log.provenance if p.field in ("outlet", "published_at")} == {
        "capture-log"
    }


def test_publication_date_is_bounded_by_the_retrieval_date():
    page = render_html(LIGHTHOUSE)  # published 2024-03-05
    # Fetched before the tagged date: that date is impossible and is not given (htmldate may
    # still guess an earlier one from elsewhere in the page; it must lie within the bound).
    before = extract_html(page, Hints(retrieved_at=datetime(2024, 3, 1, 12, tzinfo=UTC)))
    guessed = before.extraction.published_at
    assert guessed is None or guessed.date() <= date(2024, 3, 2)
    after = Hints(retrieved_at=datetime(2024, 3, 5, 9, tzinfo=UTC))
    assert extract_html(page, after).extraction.published_at == datetime(
        2024, 3, 5, 8, 10, tzinfo=UTC
    )
    # a time tagged with its zone is held to the moment of capture, as a log's or a dateline's
    early = extract_html(page, Hints(retrieved_at=datetime(2024, 3, 5, 1, tzinfo=UTC))).extraction
    assert early.published_at is None and "published-date-after-capture" in early.flags
    capped = extract_html(page, Hints(), max_date=date(2023, 12, 31)).extraction.published_at
    assert capped is None or capped.date() <= date(2023, 12, 31)


def test_a_date_only_in_the_text_is_a_candidate_never_asserted():
    # issue 16: htmldate's reading of page text is right ~80% of the time on real pages
    page = (
        b"<html><head><title>Quay notes</title></head><body><article>"
        b"<p>Posted 12 May 2019</p>"
        + b"<p>The quay reopened to small boats today.</p>" * 30
        + b"</article></body></html>"
    )
    extraction = extract_html(page, Hints()).extraction
    assert (extraction.published_at, extraction.published_precision) == (None, None)
    assert "date-unconfirmed" in extraction.flags
    (candidate,) = [p for p in extraction.provenance if p.field == "published_at"]
    assert candidate.method == "candidate:htmldate-text"
    assert candidate.evidence == "htmldate='2019-05-12' (guess, day 2019-05-12)"


@pytest.mark.parametrize(
    ("page", "hints", "encoding", "method"),
    [
        (
            render_html(RIVERTOWN, charset="windows-1251", meta_charset=False),
            Hints(declared_charset="windows-1251"),
            "cp1251",
            "http-header",
        ),
        (render_html(FROMAGERIE, charset="iso-8859-1"), Hints(), "cp1252", "meta-charset"),
        (render_html(LIGHTHOUSE, meta_charset=False), Hints(), "utf-8", "utf-8"),
        (
            codecs.BOM_UTF8 + render_html(LIGHTHOUSE),
            Hints(declared_charset="cp1251"),
            "utf-8",
            "bom",
        ),
        # the HTTP header says UTF-8 but the bytes are not: the page's own meta tag decides
        (
            render_html(RIVERTOWN, charset="windows-1251"),
            Hints(declared_charset="utf-8"),
            "cp1251",
            "meta-charset",
        ),
        (
            render_html(RIVERTOWN, charset="windows-1251", meta_charset=False),
            Hints(),
            "cp1251",
            "detected",
        ),
    ],
    ids=["http-header", "meta", "utf-8", "bom", "wrong-header", "detected"],
)
def test_charset_decision_is_recorded(page, hints, encoding, method):
    result = extract_html(page, hints, charset_source="http-header")
    assert (result.encoding, result.encoding_method) == (encoding, method)
    article = next(a for a in ARTICLES if a.title in result.capture_text)
    assert result.extraction.text == body_text(body_paragraphs(article))


def test_capture_text_is_the_canonical_page_source():
    page = render_html(LIGHTHOUSE).replace(b"\n", b"  \r\n")
    result = extract_html(page, Hints())
    assert result.capture_text == normalize_text(page.decode("utf-8"))
    assert "\r" not in result.capture_text and result.capture_text.startswith("<!DOCTYPE html>")
    assert result.categories == ("Coast",) and result.site_name == "Harbourlight Gazette"


def test_gzip_compressed_page_gives_the_same_result():
    page = render_html(ORCHARD)
    plain, packed = extract_html(page, Hints()), extract_html(gzip_bytes(page), Hints())
    assert packed.gzipped and not plain.gzipped
    assert replace(packed, gzipped=False) == plain
    with pytest.raises(NotText) as cut:
        extract_html(gzip_bytes(page)[:-200], Hints())
    assert cut.value.reason == "undecodable"


def test_a_page_gzipped_in_two_members_is_read_whole():
    """``cat head.gz rest.gz`` is one gzip file; its first member was taken for the page."""
    page = render_html(ORCHARD)
    cut = page.index(b"</head>")
    members = gzip.compress(page[:cut], mtime=0) + gzip.compress(page[cut:], mtime=0)
    assert gzip.decompress(members) == page
    assert extract_html(members, Hints()) == extract_html(gzip_bytes(page), Hints())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", "empty"), (b"   \n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 9, "binary")],
)
def test_bytes_that_are_not_a_page_raise_with_a_quarantine_reason(raw, reason):
    with pytest.raises(NotText) as err:
        extract_html(raw, Hints())
    assert err.value.reason == reason


def test_a_page_with_too_little_text_keeps_its_metadata_and_is_flagged():
    page = (
        b'<html lang="fr"><head><meta property="og:site_name" content="Le Petit Quai">'
        b'<title>Avis</title></head><body><nav><a href="/">Accueil</a></nav></body></html>'
    )
    extraction = extract_html(page, Hints()).extraction
    assert extraction.outlet == "Le Petit Quai" and extraction.language == "fr"
    assert "no-body" in extraction.flags and extraction.text == ""


def test_extraction_is_deterministic():
    page = render_html(LIGHTHOUSE)
    assert extract_html(page, Hints()) == extract_html(page, Hints())


@pytest.mark.parametrize("blob", ["true", "42", '"a string"', "null"])
def test_a_json_ld_block_holding_a_bare_scalar_is_ignored(blob):
    # Real pages carry such blocks; they once crashed the whole pack.
    page = render_html(ORCHARD).replace(
        b"</head>", f'<script type="application/ld+json">{blob}</script></head>'.encode()
    )
    assert (
        extract_html(page, Hints()).extraction
        == extract_html(render_html(ORCHARD), Hints()).extraction
    )


@pytest.mark.parametrize(
    "head",
    [
        b"<link rel=canonical href='http://[bad/x'>",
        b"<meta property='og:url' content='https://[::1/x'>",
    ],
)
def test_a_page_whose_url_is_no_url_is_a_record_not_a_crash(head):
    """A canonical link or og:url that urlsplit refuses (an unclosed IPv6 bracket) names no
    host: the page is still extracted (it once stopped the whole pack as an internal error)."""
    body = b"<p>" + b"The harbour wall was mended over the winter by the council crew. " * 6
    page = b"<html><head><title>Harbour wall</title>" + head + b"</head><body>" + body
    result = extract_html(page + b"</p></body></html>", Hints())
    assert "harbour wall was mended" in result.extraction.text


REAL_PAGES = sorted(
    (Path(__file__).resolve().parents[1] / "benchmarks/realpages/pages").glob("*.gz")
)


def _as_trafilatura_parses(text: str):
    tree = load_html(text)
    return None if tree is None else etree.tostring(tree, encoding="unicode")


def _as_parsed(text: str):
    tree = _parsed(text)
    return None if tree is None else etree.tostring(tree, encoding="unicode")


@pytest.mark.parametrize("path", REAL_PAGES[::6], ids=lambda p: p.name)
def test_a_real_page_parses_as_trafilatura_parses_it(path):
    text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
    assert _as_parsed(text) == _as_trafilatura_parses(text)
    assert {type(e) for e in _parsed(text).iter()} <= {HtmlElement, HtmlEntity}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "plain words, no markup",
        "<p>one block</p>",
        "<div><p>two</p><p>blocks</p></div>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>declared</p></body></html>',
        "<!DOCTYPE html>\n<html/>\n<body><p>self-closed html</p></body>",
        "<html><body><form><input name=q><select><option>a</select></form></body></html>",
        "<html><body>\x00\x0b<p>control characters</p></body></html>",
    ],
)
def test_odd_input_parses_as_trafilatura_parses_it(text):
    assert _as_parsed(text) == _as_trafilatura_parses(text)


# The XPaths `_itemprops` replaces: the reference it must agree with, element for element.
_DATED_XPATH = ".//*[translate(@itemprop, 'P', 'p')='datepublished'][not(self::meta)]"
_AUTHOR_XPATH = ".//a[@rel='author']|.//*[@itemprop='author']"


def _itemprops_by_xpath(tree):
    dated = [e for e in tree.xpath(_DATED_XPATH) if not _outside_the_story(e)]
    return dated, tree.xpath(_AUTHOR_XPATH)


def test_itemprops_agree_with_their_xpaths_on_real_pages():
    found = [0, 0]
    for path in REAL_PAGES:
        tree = _parsed(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        if tree is None:
            continue
        dated, authors = _itemprops(tree)
        assert (dated, authors) == _itemprops_by_xpath(tree), path.name
        found[0] += bool(dated)
        found[1] += bool(authors)
    assert min(found) >= 5  # pages that hold each kind, so the comparison is not of empties


_PROPS = st.sampled_from(
    ["datePublished", "datepublished", "DatePublished", "datePublishedX", "author", "Author",
     "creator", "", None]
)  # fmt: skip


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "span", "meta", "time", "div"]), _PROPS,
                  st.sampled_from(["author", "Author", "nofollow author", "", None])),
        max_size=8,
    )
)  # fmt: skip
def test_itemprops_agree_with_their_xpaths_on_any_attributes(elements):
    parts = []
    for tag, prop, rel in elements:
        attrs = "".join(
            f' {name}="{value}"' for name, value in (("itemprop", prop), ("rel", rel))
            if value is not None
        )  # fmt: skip
        parts.append(f"<{tag}{attrs} content=x>w</{tag}>" if tag != "meta" else f"<meta{attrs}>")
    tree = _parsed(f"<html><head><title>t</title></head><body>{''.join(parts)}</body></html>")
    assert _itemprops(tree) == _itemprops_by_xpath(tree)


GERMAN = (
    "Die Fähre nach Tarnholm fährt nach vier Tagen Pause wieder. Der Sturm hatte den Anleger "
    "beschädigt, und die Reederei musste alle Fahrten absagen. Am Mittwochmorgen legte das "
    "erste Schiff wieder ab, wie ein Sprecher des Hafenamts bestätigte. Die Händler am Kai "
    "zeigten sich erleichtert, denn die Insel war fast eine Woche lang ohne Lieferungen."
)


def _unlabelled(body: str, lang: str = "") -> bytes:
    attribute = f" lang='{lang}'" if lang else ""
    return (
        f"<html{attribute}><head><title>Fähre fährt wieder</title></head><body><article>"
        f"<h1>Fähre fährt wieder</h1><p>{body}</p><p>{body}</p></article></body></html>"
    ).encode()


def test_a_page_that_states_no_language_gets_its_bodys():
    """The language came from the markup alone: 37 of the 303 real pages (12%) had none.
    Detected on the body as a text capture's is (36 of those 37 found, each right)."""
    x = extract_html(_unlabelled(GERMAN), Hints()).extraction
    assert x.language == "de" and "language-unknown" not in x.flags
    [entry] = [p for p in x.provenance if p.field == "language"]
    assert entry.method == "language-detector"
    stated = extract_html(_unlabelled(GERMAN, "de-AT"), Hints()).extraction
    assert stated.language == "de"  # the primary tag, as the markup reader keeps it
    assert [p.method for p in stated.provenance if p.field == "language"] == ["html-meta"]
    # the entry sits where a stated language's would: the provenance keeps the markup's order
    fields = [p.field for p in x.provenance]
    assert fields == [p.field for p in stated.provenance]


def test_a_page_with_no_language_stated_or_found_is_flagged():
    x = extract_html(_unlabelled("Ok."), Hints()).extraction
    assert x.language is None and "language-unknown" in x.flags


_STORY = "<p>The ferry to Tarrow Point will run twice a day through the winter months.</p>" * 6


def _page(head: str = "", body: str = "", ld: list | None = None) -> bytes:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(item)}</script>' for item in ld or ()
    )
    return (
        f"<html lang='en'><head><title>Ferry timetable extended</title>{head}{scripts}</head>"
        f"<body><article><h1>Ferry timetable extended</h1>{body}{_STORY}</article></body></html>"
    ).encode()


_OG_ARTICLE = '<meta property="og:type" content="article">'
_FETCHED = Hints(retrieved_at=datetime(2024, 3, 20, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    "body",
    [
        # readers' comments inside the article, each with its time
        '<section class="comments"><div class="comment"><time class="comment-date" '
        'datetime="2024-03-15T10:05:00+00:00">15 March</time><p>Good news.</p></div></section>',
        # a list of other stories inside the article
        '<ul class="related-stories"><li><a href="/old">Old story</a> '
        '<time datetime="2023-11-01">1 November 2023</time></li></ul>',
        # a comment as schema.org microdata
        '<div itemscope itemtype="https://schema.org/Comment"><span itemprop="datePublished">'
        "2024-03-15</span> A reader wrote.</div>",
    ],
    ids=["comments", "related", "comment-microdata"],
)
def test_a_date_of_a_comment_or_another_story_inside_the_article_is_not_the_pages(body):
    extraction = extract_html(_page(_OG_ARTICLE, body), _FETCHED).extraction
    assert extraction.published_at is None


def test_a_time_shown_as_an_update_is_not_the_publication():
    body = (
        '<div>Updated <time datetime="2024-03-09T14:14:00Z">9 March</time></div>'
        '<div>Published <time datetime="2024-03-05T10:00:00Z">5 March</time></div>'
    )
    extraction = extract_html(_page(_OG_ARTICLE, body), _FETCHED).extraction
    assert extraction.published_at == datetime(2024, 3, 5, 10, tzinfo=UTC)


def test_a_local_time_that_no_zone_shows_implies_no_offset():
    # 20:00 UTC shown as 09:30 the next day would be UTC+13:30: no zone is, so it is another
    # moment (an update), and the tag's zone stays UTC
    head = '<meta property="article:published_time" content="2024-03-05T20:00:00Z">'
    body = '<p class="updated"><time datetime="2024-03-06T09:30:00">6 March, 09:30</time></p>'
    extraction = extract_html(_page(_OG_ARTICLE + head, body), _FETCHED).extraction
    assert (extraction.published_at, extraction.published_utc_offset) == (
        datetime(2024, 3, 5, 20, tzinfo=UTC),
        0,
    )


def test_only_the_pages_own_json_ld_article_gives_its_fields():
    own = {"@context": "https://schema.org", "@type": "NewsArticle",
           "headline": "Ferry timetable extended",
           "datePublished": "2024-03-05T09:00:00Z"}  # fmt: skip
    related = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Other",
               "datePublished": "2019-03-01T09:00:00Z", "dateModified": "2019-03-02T09:00:00Z",
               "author": {"@type": "Person", "name": "Bo Chen"}, "inLanguage": "de",
               "description": "Fares on the island routes will rise."}  # fmt: skip
    video = {"@context": "https://schema.org", "@type": "VideoObject", "name": "Clip",
             "description": "Footage of the vessel", "author": {"name": "Tomas Reyes"},
             "publisher": {"@type": "Organization", "name": "YouTube"}}  # fmt: skip
    site = {"@type": "WebSite", "name": "Harbour Courier", "description": "News since 1887"}
    extraction = extract_html(_page(ld=[own, related, video, site]), _FETCHED).extraction
    assert extraction.authors == ()
    assert extraction.standfirst is None
    assert extraction.modified_at is None
    assert extraction.language == "en"
    assert extraction.outlet != "YouTube"
    assert extraction.published_at == datetime(2024, 3, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("modified", "flag"),
    [("1970-01-01T00:00:00Z", None), ("2024-04-02T10:00:00Z", "modified-date-after-capture")],
)
def test_a_modification_before_the_web_or_after_the_capture_is_none(modified, flag):
    head = f'<meta property="article:modified_time" content="{modified}">'
    extraction = extract_html(_page(_OG_ARTICLE + head), _FETCHED).extraction
    assert extraction.modified_at is None
    assert (flag in extraction.flags) if flag else True


def test_a_publication_tag_dated_after_the_capture_contradicts_the_others():
    future = {"@context": "https://schema.org", "@type": "NewsArticle",
              "datePublished": "2024-04-10T09:00:00Z"}  # fmt: skip
    head = '<meta property="article:published_time" content="2024-03-10T09:00:00Z">'
    extraction = extract_html(_page(_OG_ARTICLE + head, ld=[future]), _FETCHED).extraction
    assert extraction.published_at is None
    assert {"date-conflict", "published-date-after-capture"} <= set(extraction.flags)


def test_a_live_blogs_times_are_its_updates_and_its_title_the_pages():
    live = {"@context": "https://schema.org", "@type": "LiveBlogPosting",
            "headline": "Flood live: river levels fall", "coverageStartTime": "2024-03-12T08:00Z",
            "liveBlogUpdate": [{"@type": "BlogPosting", "headline": f"Update {n}",
                                "datePublished": f"2024-03-1{4 - n}T18:00:00Z"}
                               for n in range(3)]}  # fmt: skip
    body = "".join(
        f'<div class="update"><time datetime="2024-03-1{4 - n}T18:00:00Z">1{4 - n} March</time>'
        f"<h2>Update {n}</h2></div>"
        for n in range(3)
    )
    page = _page('<meta property="og:title" content="Flood live: river levels fall">', body, [live])
    extraction = extract_html(page, _FETCHED).extraction
    assert extraction.published_at is None
    assert extraction.title == "Flood live: river levels fall"


@pytest.mark.parametrize("when", ["2024-04-10T18:00:00+00:00", "2024-03-20T18:00:00+00:00"])
def test_an_event_time_after_the_capture_does_not_unseat_the_publication_tag(when):
    # a <time> in the story is often an event's (a meeting next month, 6pm today)
    head = '<meta property="article:published_time" content="2024-03-05T09:00:00Z">'
    body = f'<p>The board meets on <time datetime="{when}">the day</time>.</p>'
    extraction = extract_html(_page(_OG_ARTICLE + head, body), _FETCHED).extraction
    assert extraction.published_at == datetime(2024, 3, 5, 9, tzinfo=UTC)
    assert extraction.flags == ()


def test_a_block_classed_related_that_holds_the_headline_is_the_story():
    page = (
        f"<html lang='en'><head><title>Ferry timetable extended</title>{_OG_ARTICLE}</head>"
        "<body><article class='article related-content'><div class='related'>"
        "<h1>Ferry timetable extended</h1><div class='byline'>By Ann Lee, "
        "<time datetime='2024-03-05T09:00:00Z'>5 March 2024</time></div></div>"
        f"{_STORY}</article></body></html>"
    ).encode()
    extraction = extract_html(page, _FETCHED).extraction
    assert extraction.published_at == datetime(2024, 3, 5, 9, tzinfo=UTC)


def test_a_second_json_ld_item_of_the_same_headline_is_the_same_story():
    # an SEO plugin's @graph names its author by @id only; a theme's item beside it names him
    seo = {"@context": "https://schema.org", "@graph": [
        {"@type": "Article", "headline": "Ferry timetable extended",
         "author": {"@id": "#/person/1"}, "datePublished": "2024-03-05T09:00:00Z"},
        {"@type": "Person", "@id": "#/person/1", "name": "Mara Lindqvist"}]}  # fmt: skip
    theme = {"@context": "https://schema.org", "@type": "BlogPosting",
             "headline": "Ferry timetable extended", "datePublished": "2024-03-05T09:00:00Z",
             "author": {"@type": "Person", "name": "Mara Lindqvist"}}  # fmt: skip
    extraction = extract_html(_page(ld=[seo, theme]), _FETCHED).extraction
    assert extraction.authors == ("Mara Lindqvist",)


def test_a_logo_heading_a_static_title_repeats_is_not_the_title():
    page = (
        "<html lang='en'><head><title>Harbour Courier - News from the coast</title>"
        '<meta name="parsely-title" content="Ferry timetable extended"></head><body>'
        "<header><h1>Harbour Courier</h1></header><article><h2>Ferry timetable extended</h2>"
        f"{_STORY}</article></body></html>"
    ).encode()
    assert extract_html(page, _FETCHED).extraction.title == "Ferry timetable extended"


def test_a_zone_the_world_had_since_1990_is_a_zone():
    # Caracas kept UTC-4:30 from 2007 to 2016
    head = '<meta property="article:published_time" content="2010-05-05T03:00:00Z">'
    body = '<p class="date">4 de mayo de 2010, 22:30</p>'
    page = _page(_OG_ARTICLE + head, body)
    extraction = extract_html(page, Hints(retrieved_at=datetime(2010, 5, 6, tzinfo=UTC))).extraction
    assert extraction.published_utc_offset == -270


def test_a_banner_of_the_day_the_page_is_shown_is_not_its_date():
    head = "<header class='site-header'><div class='today-date'>Wednesday, March 20, 2024</div>"
    page = (
        f"<html lang='en'><head><title>Ferry timetable extended</title>{_OG_ARTICLE}</head>"
        f"<body>{head}</header><article><h1>Ferry timetable extended</h1>{_STORY}</article>"
        "</body></html>"
    ).encode()
    assert extract_html(page, _FETCHED).extraction.published_at is None


def test_the_publishing_software_is_not_the_outlet():
    head = '<meta name="application-name" content="WordPress">'
    assert extract_html(_page(head), _FETCHED).extraction.outlet is None


@pytest.mark.parametrize(
    ("author", "names"),
    [
        ("Reporting by Ann Lee; Editing by Bo Chen", ("Ann Lee",)),
        ("Ann Lee, Staff Writer", ("Ann Lee",)),
        ("Staff", ()),
        ("Ann Lee with Bo Chen", ("Ann Lee", "Bo Chen")),
        ("Ann Lee; Photography by Tomas Reyes", ()),  # a credit roll: none of it is trusted
    ],
)
def test_an_author_tag_names_the_people_who_wrote(author, names):
    head = f'<meta name="author" content="{author}">'
    assert extract_html(_page(head), _FETCHED).extraction.authors == names


def test_an_author_the_page_types_as_an_organisation_is_no_person():
    article = {"@context": "https://schema.org", "@type": "NewsArticle",
               "headline": "Ferry timetable extended", "datePublished": "2024-03-05T09:00:00Z",
               "author": {"@type": "Organization", "name": "The Editorial Board"}}  # fmt: skip
    assert extract_html(_page(ld=[article]), _FETCHED).extraction.authors == ()


def test_a_long_text_is_not_kept_after_its_page():
    # the caches of a page's folds and class names are bounded in entries: a page's paragraph
    # of a megabyte held by one would stay after the page (1,024 of them, a gigabyte)
    from archive.extract import html

    held = html._fold.cache_info().currsize
    assert html._fold(" Tide  TABLES " * 100_000).startswith("tide tables tide")
    assert html._fold.cache_info().currsize == held
    html._fold(f"A short headline {held}")
    assert html._fold.cache_info().currsize == held + 1
    html._elsewhere("comments " * 100_000, None)
    assert html._elsewhere.cache_info().currsize <= 4096
    assert html._elsewhere("x" * 300, None) is False
