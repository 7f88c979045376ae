"""Issue 16, dates you can trust: fictional pages for each way a publication date goes wrong.

Every expected value below is written by hand from the page it goes with.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from conftest import CREATED
from hypothesis import given
from hypothesis import strategies as st

from archive import PackSettings, pack, verify
from archive.extract import extract_text_capture
from archive.extract.html import extract_html
from archive.model import Hints, stated_date
from archive.text.normalize import normalize_text

BODY = "".join(
    f"<p>The harbour board met on the {n}th evening to agree the winter mooring fees.</p>"
    for n in range(4, 16)
)


def page(head: str = "", body_top: str = "", url: str | None = None) -> bytes:
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return (
        "<html lang='en'><head><title>Mooring fees agreed | Quayside Post</title>"
        f"{canonical}{head}</head><body><article><h1>Mooring fees agreed</h1>"
        f"{body_top}{BODY}</article></body></html>"
    ).encode()


def meta(prop: str, value: str, attr: str = "property") -> str:
    return f'<meta {attr}="{prop}" content="{value}">'


def json_ld(kind: str, published: str) -> str:
    block = {"@context": "https://schema.org", "@type": kind, "datePublished": published}
    return f'<script type="application/ld+json">{json.dumps(block)}</script>'


def dated(raw: bytes, hints: Hints | None = None):
    x = extract_html(raw, hints or Hints()).extraction
    day = stated_date(x.published_at, x.published_utc_offset, x.published_precision)
    prov = [(p.method, p.evidence) for p in x.provenance if p.field == "published_at"]
    return x, day, prov


# --- the stated day survives the conversion to UTC ---------------------------------------------


def test_an_offset_that_moves_the_utc_day_keeps_the_publishers_day():
    x, day, prov = dated(page(meta("article:published_time", "2020-02-15T07:00:00+09:00")))
    assert x.published_at == datetime(2020, 2, 14, 22, 0, tzinfo=UTC)
    assert (x.published_precision, x.published_utc_offset, day) == (
        "minute",
        540,
        date(2020, 2, 15),
    )
    assert prov == [
        ("html-meta", "meta[property=\"article:published_time\"]='2020-02-15T07:00:00+09:00'")
    ]


def test_a_negative_offset_that_moves_the_day_forward():
    x, day, _ = dated(page(meta("article:published_time", "2021-11-30T21:45-05:00")))
    assert x.published_at == datetime(2021, 12, 1, 2, 45, tzinfo=UTC)
    assert (x.published_utc_offset, day) == (-300, date(2021, 11, 30))


def test_a_utc_tag_takes_the_zone_of_another_tag_stating_the_same_instant():
    head = meta("article:published_time", "2020-02-14T22:00:00Z") + json_ld(
        "NewsArticle", "2020-02-15T07:00:00+09:00"
    )
    x, day, prov = dated(page(head))
    assert x.published_at == datetime(2020, 2, 14, 22, 0, tzinfo=UTC)
    assert (x.published_utc_offset, day) == (540, date(2020, 2, 15))
    assert prov == [
        ("html-meta", "meta[property=\"article:published_time\"]='2020-02-14T22:00:00Z'"),
        ("html-meta", "zone: json-ld NewsArticle.datePublished='2020-02-15T07:00:00+09:00'"),
    ]
    assert "date-conflict" not in x.flags


def test_a_utc_tag_takes_the_zone_a_time_element_states_for_the_same_instant():
    head = meta("article:published_time", "2024-02-10T00:32:11+00:00")
    top = '<p class="byline"><time datetime="2024-02-09T19:32:11-05:00">Feb 9</time></p>'
    x, day, prov = dated(page(head, body_top=top))
    assert x.published_at == datetime(2024, 2, 10, 0, 32, 11, tzinfo=UTC)
    assert (x.published_utc_offset, day) == (-300, date(2024, 2, 9))
    assert prov[1] == (
        "html-meta",
        "zone: article time[datetime]='2024-02-09T19:32:11-05:00'",
    )


def test_a_utc_tag_takes_the_zone_its_shown_local_time_implies():
    # the tag says 00:08 UTC on the 20th; the page shows 7:08pm on the 19th: UTC-5
    head = meta("article:published_time", "2016-12-20T00:08:44+00:00")
    top = '<div class="byline-date">December 19, 2016 | 7:08pm</div>'
    x, day, prov = dated(page(head, body_top=top))
    assert x.published_at == datetime(2016, 12, 20, 0, 8, 44, tzinfo=UTC)
    assert (x.published_utc_offset, day) == (-300, date(2016, 12, 19))
    assert prov[1] == ("html-meta", "zone: visible dateline='December 19, 2016 | 7:08pm'")


def test_a_shown_local_time_that_matches_no_zone_gives_none():
    head = meta("article:published_time", "2016-12-20T00:08:44+00:00")
    top = '<div class="byline-date">December 19, 2016 | 7:13pm</div>'
    x, day, _ = dated(page(head, body_top=top))
    assert (x.published_utc_offset, day) == (0, date(2016, 12, 20))


def test_a_date_without_a_time_is_that_day_with_no_offset():
    x, day, _ = dated(page(meta("article:published_time", "2018-07-09")))
    assert (x.published_at, x.published_precision) == (datetime(2018, 7, 9, tzinfo=UTC), "day")
    assert (x.published_utc_offset, day) == (None, date(2018, 7, 9))


def test_a_time_without_a_zone_is_the_printed_day_and_says_so():
    x, day, _ = dated(page(meta("article:published_time", "2018-07-09T23:30:00")))
    assert (x.published_precision, x.published_utc_offset, day) == ("day", None, date(2018, 7, 9))
    assert "date-time-without-zone" in x.flags


def test_modified_keeps_its_offset_too():
    head = meta("article:published_time", "2020-02-15T07:00:00+09:00") + meta(
        "article:modified_time", "2020-02-16T08:30:00+09:00"
    )
    x, _, _ = dated(page(head))
    assert x.modified_at == datetime(2020, 2, 15, 23, 30, tzinfo=UTC)
    assert x.modified_utc_offset == 540


@given(
    local=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2029, 12, 31)),
    minutes=st.integers(min_value=-14 * 4, max_value=14 * 4).map(lambda q: q * 15),
)
def test_the_stated_day_is_the_local_day_whatever_the_offset(local, minutes):
    local = local.replace(second=0, microsecond=0)
    if (local.hour, local.minute) == (0, 0):
        local = local.replace(minute=1)  # midnight reads as a date alone
    zone = timezone(timedelta(minutes=minutes))
    stamp = local.replace(tzinfo=zone).isoformat()
    x, day, _ = dated(page(meta("article:published_time", stamp)))
    assert x.published_at == local.replace(tzinfo=zone).astimezone(UTC)
    assert (x.published_utc_offset, day) == (minutes, local.date())


# --- guesses are never asserted ----------------------------------------------------------------


def test_a_date_only_in_the_page_text_is_a_candidate():
    x, day, prov = dated(page(body_top="<p class='note'>Filed on 3 March 2017</p>"))
    assert (x.published_at, day) == (None, None)
    assert "date-unconfirmed" in x.flags
    assert prov == [("candidate:htmldate-text", "htmldate='2017-03-03' (guess, day 2017-03-03)")]


def test_a_year_alone_is_never_the_first_of_january():
    x, day, prov = dated(page(json_ld("NewsArticle", "2016")))
    assert (x.published_at, x.published_precision, day) == (None, None, None)
    assert prov == [
        ("candidate:html-meta", "json-ld NewsArticle.datePublished='2016' (tag, year 2016-01)")
    ]


def test_a_month_alone_is_a_month():
    x, _, prov = dated(page(meta("article:published_time", "2016-05")))
    assert x.published_at is None
    assert prov == [
        (
            "candidate:html-meta",
            "meta[property=\"article:published_time\"]='2016-05' (tag, month 2016-05)",
        )
    ]


def test_a_date_in_the_url_alone_is_a_candidate():
    url = "https://quayside-post.example/2019/10/04/mooring-fees-agreed"
    x, _, prov = dated(page(url=url))
    assert x.published_at is None
    assert "date-unconfirmed" in x.flags
    assert prov == [("candidate:url-date", f"url={url!r} (weak, day 2019-10-04)")]


def test_a_page_without_a_date_gets_none_and_no_candidate():
    x, day, prov = dated(page(url="https://quayside-post.example/news/mooring-fees-agreed"))
    assert (x.published_at, x.published_precision, x.published_utc_offset, day) == (None,) * 4
    assert prov == []
    assert not {"date-unconfirmed", "date-conflict"} & set(x.flags)


def test_a_lone_weak_tag_is_a_candidate():
    x, _, prov = dated(page(meta("date", "2015-06-01", attr="name")))
    assert x.published_at is None
    assert prov == [
        ("candidate:html-meta", "meta[name=\"date\"]='2015-06-01' (weak, day 2015-06-01)")
    ]


# --- agreement and disagreement ----------------------------------------------------------------


def test_a_tag_and_json_ld_that_disagree_give_no_date_and_name_both():
    head = meta("article:published_time", "2020-04-02T10:00:00+02:00") + json_ld(
        "NewsArticle", "2020-03-20T09:00:00+02:00"
    )
    x, day, prov = dated(page(head))
    assert (x.published_at, day) == (None, None)
    assert "date-conflict" in x.flags
    assert prov == [
        (
            "candidate:html-meta",
            "meta[property=\"article:published_time\"]='2020-04-02T10:00:00+02:00' "
            "(tag, minute 2020-04-02)",
        ),
        (
            "candidate:html-meta",
            "json-ld NewsArticle.datePublished='2020-03-20T09:00:00+02:00' "
            "(tag, minute 2020-03-20)",
        ),
    ]


def test_a_url_date_that_differs_from_the_tag_does_not_override_it():
    # on real pages such a URL date is a print edition's or an older section's, not the tag's
    url = "https://quayside-post.example/2011/08/14/mooring-fees-agreed"
    x, day, prov = dated(page(meta("article:published_time", "2020-04-02T10:00:00+02:00"), url=url))
    assert day == date(2020, 4, 2) and "date-conflict" not in x.flags
    assert [m for m, _ in prov] == ["html-meta"]


def test_a_visible_dateline_on_an_article_page_is_enough():
    head = meta("og:type", "article")
    x, day, prov = dated(page(head, body_top='<p class="post-date">Tuesday, 9 May 2023</p>'))
    assert (x.published_at, x.published_precision) == (datetime(2023, 5, 9, tzinfo=UTC), "day")
    assert prov == [("html-meta", "visible dateline='Tuesday, 9 May 2023'")]


def test_a_visible_dateline_elsewhere_is_a_candidate():
    top = '<li class="gig-date">Saturday 10 June 2017</li>'  # a listing page's event date
    x, _, prov = dated(page(meta("og:type", "website"), body_top=top))
    assert x.published_at is None
    assert prov[0] == (
        "candidate:html-meta",
        "visible dateline='Saturday 10 June 2017' (weak, day 2017-06-10)",
    )


@pytest.mark.parametrize(
    "caption",
    [
        "The quay before the storm, <time>9 May 2019</time>",
        '<span class="date">14 June 2018</span>',
        'Photo: <time datetime="2018-06-14">14 June 2018</time>',
    ],
)
def test_a_date_in_a_photo_caption_is_not_the_pages(caption):
    """It was the page's visible dateline (or its article time), by the headline."""
    figure = f'<figure><img src="quay.jpg" alt=""><figcaption>{caption}</figcaption></figure>'
    x, _, prov = dated(page(meta("og:type", "article"), body_top=figure))
    assert x.published_at is None
    assert all(method.startswith("candidate:") for method, _ in prov)


SIDE = {
    "most read": '<ol><li><a href="/x">Pier works begin</a> '
    '<time class="timestamp" datetime="2021-01-02T10:00:00Z">2 Jan</time></li></ol>',
    "microdata": '<div itemscope itemtype="https://schema.org/NewsArticle"><a href="/y">Pier '
    'closes</a><meta itemprop="datePublished" content="2020-11-02T09:00:00Z"></div>',
    "more stories": '<div class="story"><a href="/z">Pier closes</a>'
    '<span class="date">2 March 2020</span></div>',
}


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("box", SIDE)
def test_another_storys_date_in_an_aside_outside_the_article_is_not_the_pages(box, where):
    aside = f"<aside><h3>{box}</h3>{SIDE[box]}</aside>"
    raw = page(meta("og:type", "article")).decode()
    at = raw.index("<article>") if where == "before" else raw.index("</article>") + 10
    x, _, prov = dated((raw[:at] + aside + raw[at:]).encode())
    assert x.published_at is None
    assert all(method.startswith("candidate:") for method, _ in prov)


def test_a_date_in_an_aside_inside_the_article_is_its_own():
    """A story's own sidebar of category, date and reading time (a real German site's)."""
    side = '<aside><ul><li class="meta-category">Hintergrund</li><li class="meta-date">'
    side += "19.07.2022</li></ul></aside>"
    x, day, prov = dated(page(meta("og:type", "article"), body_top=side))
    assert day == date(2022, 7, 19)
    assert prov == [("html-meta", "visible dateline='19.07.2022'")]


def test_a_line_of_prose_is_no_dateline():
    top = '<p class="meta">The fees rise on 9 May 2023 for all berths.</p>'
    x, _, _ = dated(page(meta("og:type", "article"), body_top=top))
    assert x.published_at is None


def test_the_articles_time_element_is_enough_on_an_article_page_and_not_elsewhere():
    top = '<time class="entry-date" datetime="2019-04-13T16:08:44+09:00">13 April</time>'
    x, day, _ = dated(page(meta("og:type", "article"), body_top=top))
    assert (x.published_utc_offset, day) == (540, date(2019, 4, 13))
    y, _, _ = dated(page(meta("og:type", "music.song"), body_top=top))
    assert y.published_at is None


def test_a_time_element_that_differs_from_the_tag_is_an_update_not_a_contradiction():
    head = meta("og:type", "article") + meta("article:published_time", "2017-01-13T21:45:08Z")
    top = '<time class="updated" datetime="2017-04-04T20:44:00Z">4 April</time>'
    x, day, _ = dated(page(head, body_top=top))
    assert day == date(2017, 1, 13) and "date-conflict" not in x.flags


def test_a_utc_time_one_day_from_the_url_date_is_no_contradiction():
    url = "https://quayside-post.example/2020/02/15/mooring-fees-agreed"
    x, day, _ = dated(page(meta("article:published_time", "2020-02-14T22:00:00Z"), url=url))
    assert x.published_at == datetime(2020, 2, 14, 22, 0, tzinfo=UTC)
    assert day == date(2020, 2, 14) and "date-conflict" not in x.flags


def test_a_tag_and_json_ld_that_agree_are_both_named():
    head = meta("article:published_time", "2020-04-02T10:00:00+02:00") + json_ld(
        "NewsArticle", "2020-04-02T10:00:00+02:00"
    )
    x, day, prov = dated(page(head))
    assert (x.published_at, day) == (datetime(2020, 4, 2, 8, 0, tzinfo=UTC), date(2020, 4, 2))
    assert prov == [
        ("html-meta", "meta[property=\"article:published_time\"]='2020-04-02T10:00:00+02:00'"),
        ("html-meta", "agrees: json-ld NewsArticle.datePublished='2020-04-02T10:00:00+02:00'"),
    ]


def test_two_weak_sources_that_agree_are_asserted():
    url = "https://quayside-post.example/2015/06/01/mooring-fees-agreed"
    x, day, prov = dated(page(meta("date", "2015-06-01", attr="name"), url=url))
    assert (x.published_at, x.published_precision) == (datetime(2015, 6, 1, tzinfo=UTC), "day")
    assert day == date(2015, 6, 1)
    assert prov == [
        ("html-meta", "meta[name=\"date\"]='2015-06-01'"),
        ("url-date", f"agrees: url={url!r}"),
    ]


def test_two_weak_sources_that_disagree_are_not_asserted():
    url = "https://quayside-post.example/2015/06/01/mooring-fees-agreed"
    x, _, _ = dated(page(meta("date", "2015-09-30", attr="name"), url=url))
    assert x.published_at is None and "date-unconfirmed" in x.flags


def test_related_articles_in_json_ld_do_not_contradict_the_page():
    head = json_ld("NewsArticle", "2022-01-05T12:00:00+00:00") + json_ld(
        "NewsArticle", "2019-03-01T08:00:00+00:00"
    )
    x, day, _ = dated(page(head))
    assert day == date(2022, 1, 5) and "date-conflict" not in x.flags


def test_a_tag_after_the_capture_is_not_given():
    hints = Hints(retrieved_at=datetime(2020, 2, 1, 12, tzinfo=UTC))
    x, _, _ = dated(page(meta("article:published_time", "2020-02-15T07:00:00+09:00")), hints)
    assert x.published_at is None
    assert "published-date-after-capture" in x.flags


def test_a_dateline_by_the_headline_is_enough_on_a_page_of_no_declared_type():
    x, day, prov = dated(page(body_top='<p class="post-date">Tuesday, 9 May 2023</p>'))
    assert (day, x.published_precision) == (date(2023, 5, 9), "day")
    assert prov == [("html-meta", "visible dateline='Tuesday, 9 May 2023'")]


def far_dateline_page(head: str, dateline: str) -> bytes:
    """An article whose only visible dateline comes after 12 paragraphs (~900 characters) and
    a comment thread: far from its headline, as a comment's or a banner's date is."""
    comments = "".join(f"<p>Reader {n} thinks the winter fees are too high.</p>" for n in range(9))
    return (
        f"<html lang='en'><head><title>Mooring fees agreed</title>{head}</head><body><article>"
        f"<h1>Mooring fees agreed</h1>{BODY}</article><section>{comments}"
        f'<span class="comment-date">{dateline}</span></section></body></html>'
    ).encode()


def test_a_dateline_far_from_the_headline_is_only_a_candidate():
    x, _, prov = dated(far_dateline_page(meta("og:type", "article"), "August 9, 2022"))
    assert x.published_at is None and "date-unconfirmed" in x.flags
    assert prov == [
        (
            "candidate:html-meta",
            "visible dateline far from the headline='August 9, 2022' (weak, day 2022-08-09)",
        )
    ]


def test_a_dateline_far_from_the_headline_does_not_contradict_the_tag():
    head = meta("og:type", "article") + meta("article:published_time", "2016-12-21T16:31:34Z")
    x, day, _ = dated(far_dateline_page(head, "August 9, 2022"))
    assert day == date(2016, 12, 21) and "date-conflict" not in x.flags


def test_a_dateline_by_the_headline_that_differs_from_the_tag_gives_no_date():
    head = meta("og:type", "article") + meta("article:published_time", "2018-01-19T17:06:07Z")
    x, _, prov = dated(page(head, body_top='<span class="post-date">Aug 8, 2016</span>'))
    assert x.published_at is None and "date-conflict" in x.flags
    assert [method for method, _ in prov] == ["candidate:html-meta", "candidate:html-meta"]


def test_datelines_repeated_in_a_list_are_the_lists_not_the_storys():
    related = "".join(
        f'<li><div class="teaser-date">{d}</div><a href="/s{n}">Another story {n}</a></li>'
        for n, d in enumerate(["Feb 28, 2023", "Dec 28, 2022", "Sep 8, 2022"])
    )
    head = meta("og:type", "article") + json_ld("NewsArticle", "2015-09-30T11:12:00-04:00")
    top = f"<p>Fees rise for every berth.</p><ul>{related}</ul>"
    x, day, prov = dated(page(head, body_top=top))
    assert day == date(2015, 9, 30) and "date-conflict" not in x.flags
    assert not any("teaser" in evidence or "2022" in evidence for _, evidence in prov)


POSTS = [("Aug 8, 2022", "Slipway closed on Tuesday"), ("Aug 8, 2022", "New mooring fees"),
         ("Feb 1, 2022", "Fuel berth hours")]  # fmt: skip


@pytest.mark.parametrize(
    ("outer", "item"), [("ul", "li"), ("main", "article"), ("main", "div class='post'")]
)
def test_a_listing_pages_heading_over_its_first_posts_date_does_not_date_the_page(outer, item):
    """A blog's front page, its posts in a list or side by side: its heading touches the first
    post's date, but the heading is the whole list's, and the posts' dates are theirs."""
    tag = item.split()[0]
    posts = "".join(
        f'<{item}><span class="post-meta">{when}</span><h2><a href="/p{n}">{what}</a></h2>'
        f"<p>{BODY[:200]}</p></{tag}>"
        for n, (when, what) in enumerate(POSTS)
    )
    listing = f"<ul>{posts}</ul>" if outer == "ul" else f"<{outer}><h1>Posts</h1>{posts}</{outer}>"
    heading = "<h1>Posts</h1>" if outer == "ul" else ""  # in the container beside the posts
    raw = f"<html><head><title>Posts</title></head><body>{heading}{listing}</body>"
    x, _, prov = dated(raw.encode())
    assert x.published_at is None
    assert not any(method == "html-meta" for method, _ in prov)


def test_a_storys_own_date_by_its_headline_stands_beside_a_timeline_of_dates_below_it():
    """A timeline (or live blog, or replies) of the same class under the story: the date by
    the headline is the story's own, not a list's first."""
    timeline = "".join(
        f'<li><span class="post-meta">{when}</span> {what}.</li>' for when, what in POSTS[1:]
    )
    raw = (
        "<html><head><title>Fees</title></head><body><article><h1>Mooring fees agreed</h1>"
        f'<span class="post-meta">Aug 9, 2022</span>{BODY}<ul>{timeline}</ul></article></body>'
    )
    x, day, prov = dated(raw.encode())
    assert day == date(2022, 8, 9)
    assert prov == [("html-meta", "visible dateline='Aug 9, 2022'")]


STORY_DATE = "Aug 9, 2022"


@pytest.mark.parametrize(
    "story",
    [
        # a timeline below, its dates in a classless wrapper as the story's date is
        '<h1>Fees agreed</h1><div><span class="post-meta">{d}</span></div>{b}'
        '<div><h2>Timeline</h2><ul><li><span class="post-meta">Aug 1, 2022</span> Vote.</li>'
        '<li><span class="post-meta">Aug 3, 2022</span> Vote.</li></ul></div>',
        # an earlier date quoted in a paragraph of the body
        '<h1>Fees agreed</h1><p><span class="post-meta">{d}</span></p>{b}'
        '<p>As reported on <span class="post-meta">Aug 1, 2022</span>, the board met.</p>',
        # a live blog whose entries wrap their times as the story's is wrapped
        '<h1>Fees: live</h1><div class="meta"><time class="date">{d}</time></div>{b}'
        '<div class="meta"><time class="date">Aug 10, 2022</time></div>{b}'
        '<div class="meta"><time class="date">Aug 11, 2022</time></div>',
        # a later update line wrapped as the story's date
        '<h1>Fees agreed</h1><span class="by"><time class="date">{d}</time></span>{b}'
        '<span class="by"><time class="date">Aug 20, 2022</time></span> Updated.',
    ],
)
def test_a_storys_date_by_its_headline_holds_beside_its_own_later_dates(story):
    """Entries, updates and quoted dates of the story's own, wrapped as its date is: they are
    no posts beside it, and the date by the headline is the story's."""
    raw = f"<html><head><title>Fees</title></head><body><article>{story}</article></body>"
    _, day, _ = dated(raw.format(d=STORY_DATE, b=BODY).encode())
    assert day == date(2022, 8, 9)


def test_stories_listed_each_with_its_headline_and_date_date_the_page_by_the_first():
    stories = "".join(
        f'<article><h1>{what}</h1><span class="post-meta">{when}</span>{BODY}</article>'
        for when, what in POSTS[1:]
    )
    raw = f"<html><head><title>Harbour</title></head><body>{stories}</body></html>"
    x, day, prov = dated(raw.encode())
    assert day == date(2022, 8, 8)
    assert prov == [("html-meta", "visible dateline='Aug 8, 2022'")]


def test_a_time_element_without_datetime_by_the_headline_is_a_dateline():
    top = '<div class="byline">By Ann Quay <time>Dec 13, 2016 at 3:45 pm</time></div>'
    x, day, prov = dated(page(meta("og:type", "article"), body_top=top))
    assert (day, x.published_precision) == (date(2016, 12, 13), "day")
    assert prov == [("html-meta", "visible dateline='Dec 13, 2016 at 3:45 pm'")]


def test_a_time_element_in_a_date_classed_block_is_the_articles():
    top = (
        '<div class="asset-date"><time datetime="2016-12-22T05:00:00-0800">'
        "Dec. 22, 2016 5:00 a.m. PT</time></div>"
    )
    outside = (
        page(meta("og:type", "article")).replace(b"<article>", b"").replace(b"</article>", b"")
    )
    raw = outside.replace(
        b"<h1>Mooring fees agreed</h1>", b"<h1>Mooring fees agreed</h1>" + top.encode()
    )
    x, day, prov = dated(raw)
    assert (x.published_utc_offset, day) == (-480, date(2016, 12, 22))
    assert prov[0] == ("html-meta", "article time[datetime]='2016-12-22T05:00:00-0800'")


def test_year_first_slashed_dates_and_loose_offsets_are_read():
    slashed = meta("datePublished", "2023/02/21 21:20", attr="itemprop")
    x, day, _ = dated(page(slashed))
    assert (day, x.published_precision) == (date(2023, 2, 21), "day")
    assert "date-time-without-zone" in x.flags
    loose = meta("datePublished", "2016-05-14T16:34+5.30", attr="itemprop")
    y, day, _ = dated(page(loose))
    assert (y.published_at, y.published_utc_offset, day) == (
        datetime(2016, 5, 14, 11, 4, tzinfo=UTC),
        330,
        date(2016, 5, 14),
    )


def test_a_publication_meta_name_alone_is_a_candidate_and_two_do_not_confirm_each_other():
    head = meta("sailthru.date", "2013-06-07", attr="name") + meta(
        "pub_date", "20130607", attr="name"
    )
    x, _, prov = dated(page(head))
    assert x.published_at is None and "date-unconfirmed" in x.flags
    url = "https://quayside-post.example/2013/06/07/mooring-fees-agreed"
    y, day, prov = dated(page(meta("sailthru.date", "June 7, 2013", attr="name"), url=url))
    assert day == date(2013, 6, 7)
    assert prov == [
        ("html-meta", "meta[name=\"sailthru.date\"]='June 7, 2013'"),
        ("url-date", f"agrees: url={url!r}"),
    ]


def test_a_utc_tag_takes_the_zone_a_publication_meta_names_local_time_implies():
    head = meta("article:published_time", "2016-12-23T00:47:31Z") + meta(
        "article_date_original", "Thursday, December 22, 2016, 06:47 PM", attr="name"
    )
    x, day, _ = dated(page(head))
    assert (x.published_utc_offset, day) == (-360, date(2016, 12, 22))


# --- text captures and the capture log ---------------------------------------------------------


def test_a_text_dateline_with_a_zone_keeps_the_printed_day():
    text = (
        "Mooring fees agreed\n\nBy Aiko Tanaka\n\nSaturday 15 February 2020 07:00 JST\n\n"
        + "\n\n".join(
            f"The harbour board met on the {n}th evening to agree the winter mooring fees."
            for n in range(4, 12)
        )
    )
    x = extract_text_capture(normalize_text(text), Hints())
    assert x.published_at == datetime(2020, 2, 14, 22, 0, tzinfo=UTC)
    assert x.published_utc_offset == 540
    assert stated_date(x.published_at, x.published_utc_offset, x.published_precision) == date(
        2020, 2, 15
    )


def test_the_release_shows_the_stated_day_for_html_text_and_log(tmp_path):
    root = tmp_path / "captures"
    root.mkdir()
    (root / "tokyo.html").write_bytes(
        page(meta("article:published_time", "2020-02-15T07:00:00+09:00"))
    )
    (root / "guess.html").write_bytes(page(body_top="<p>Filed on 3 March 2017</p>"))
    (root / "logged.html").write_bytes(page())
    log = tmp_path / "log.jsonl"
    log.write_text(
        json.dumps({"path": "logged.html", "published_at": "2021-11-30T21:45:00-05:00"}) + "\n",
        encoding="utf-8",
    )
    settings = PackSettings("dates", "1.0.0", CREATED)
    release = pack([root], tmp_path / "dist", settings, capture_log=log).path
    assert verify(release).ok
    rows = {r["capture"]["source_path"]: r for r in pq.read_table(release / "data").to_pylist()}
    shown = {
        path.split("/")[-1]: (r["published_date"], r["published_utc_offset"])
        for path, r in rows.items()
    }
    assert shown == {
        "tokyo.html": (date(2020, 2, 15), 540),
        "guess.html": (None, None),
        "logged.html": (date(2021, 11, 30), -300),
    }
