"""Deterministic fictional news captures for benchmarks and tests.

Everything here is invented: outlets, people, places, the ``.example`` domains (reserved, they never
resolve). Pure standard library; the same seed always gives the same bytes, on any machine, because
every document draws from its own ``random.Random(f"{seed}/doc/{index}")``, so document ``i``
is the same whatever ``n`` is.

    >>> rng = random.Random(7)
    >>> story = article(rng)
    >>> story.headline in render_text(story, rng)
    True

From the command line::

    python benchmarks/fiction.py text /tmp/corpus -n 10000 --seed 1
    python benchmarks/fiction.py html /tmp/pages -n 1000
"""

from __future__ import annotations

import argparse
import codecs
import html
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

PER_FOLDER = 1000
LOG_SHARE = 0.7  # share of captures the capture log names
DUPLICATE_SHARE = 0.01  # exact byte copies of an earlier capture, at another path
SYNDICATED_SHARE = 0.02  # the same story under another masthead
# Non-default encodings of text captures: (share, codec, line end).
ENCODINGS = (
    (0.02, "utf-8-sig", "\n"),
    (0.01, "utf-16", "\n"),
    (0.01, "cp1252", "\n"),
    (0.02, "utf-8", "\r\n"),
)
_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 10 * 365 * 86400


def _words(text: str) -> tuple[str, ...]:
    """Split a ``|``-separated word list (kept as text so the formatter leaves it compact)."""
    return tuple(word.strip() for word in text.split("|") if word.strip())


# -- vocabulary -----------------------------------------------------------------------------------

PLACES = _words(
    """
    Harbourne | Pellworth | Saltmarsh | Northgate | Kestrel Bay | Carrow Point | Eastbank |
    Millbrook | Sorvik | Fenhallow | Grayling Cross | Ashcombe | Duneholt | Westmere |
    Brackenridge | Oldquay | Lowther Vale | Tarrowby | Cinderford Hythe | Marram Sands |
    Hollin Green | Stavewick | Coldharbour End | Rookhaven | Thistlebury | Wrenfield |
    Upper Vell | Lantern Hill | Skerrow | Brightwater | Fallowmere | Quarry Lane
    """
)
FIRST = _words(
    """
    Hester | Anders | Delphine | Owen | Priya | Tomas | Marta | Idris | Nadia | Corran | Léa |
    Renée | Oisín | Nuala | Jonah | Ruth | Aled | Ines | Felix | Maeve | Tobias | Gareth |
    Mirela | Hal | Eirik | Kaja | Sunniva | Bram | Ottilie | Cass | Dorian | Imogen | Yusuf |
    Agnieszka | Teodor | Wren | Lorcan | Signe | Ayo | Petra | Rhys | Malin | Jude | Esme |
    Lucan | Farah | Niamh | Soren | Halima | Caspian
    """
)
LAST = _words(
    """
    Quayle | Vollan | Marsh | Tallis | Lindqvist | Reyne | Stenhouse | Fenwright | Holm | Beale |
    Durrant | Okafor-Lind | Barrow | Brennock | Whitcombe | Ambler | Varga | Caldwell | Amory |
    Tolland | Renwick | Pennock | Sandgate | Okonkwo | Holt | Lunde | Ashdown | Crane |
    Merriweather | Pask | Greaves | Thorne | Achterberg | Kilbride | Moravec | Penhaligon |
    Strand | Ollerenshaw | Tregear | Vasquez-Hale | Whitlow | Yardley | Blackwood | Corrigan |
    Dunmore | Ellery | Fairbairn | Gallagher | Haddow
    """
)
ROLES = _words(
    """
    council leader | harbourmaster | transport secretary | coastal engineer | head teacher |
    union organiser | fisheries officer | ward councillor | chief executive | spokesperson |
    planning officer | lifeboat coxswain | police inspector | consultant surgeon | trustee |
    shop owner | parish clerk | ferry operator | site manager | campaign organiser
    """
)
ORG_KINDS = _words(
    """
    City Council | Harbour Board | Ferry Company | Hospital Trust | Chamber of Commerce |
    Water Authority | Tenants' Association | Rowing Club | Heritage Trust | Bus Company |
    Fishermen's Co-operative | School Governors | Residents' Group | Library Friends
    """
)
NOUNS = _words(
    """
    tram line | sea wall | ferry route | library | bus lane | school | pier | bridge | harbour |
    market | clinic | reservoir | cycle path | car park | housing estate | swimming pool |
    community hall | lighthouse | depot | footpath | breakwater | quay | fish market |
    railway station | museum | recycling centre | playground | sports ground | flood barrier |
    allotment site | care home | fire station | slipway | boatyard
    """
)
PLURALS = _words(
    """
    residents | traders | commuters | parents | fishermen | nurses | students | drivers |
    pensioners | volunteers | engineers | councillors | campaigners | tenants | swimmers |
    shopkeepers | ferry crews | bus drivers | lifeguards | farmers | teachers | families
    """
)
ADJS = _words(
    """
    new | long-delayed | controversial | disused | flood-hit | popular | crumbling | temporary |
    expanded | costly | historic | overcrowded | storm-damaged | proposed | refurbished | shared |
    seasonal | council-run | privately owned | much-loved | narrow | replacement | listed |
    eastern | western | upper | lower | half-finished | rebuilt
    """
)
VERBS = _words(
    """
    approved | rejected | postponed | reviewed | defended | criticised | welcomed | questioned |
    backed | opposed | delayed | announced | scrapped | extended | funded | inspected | reopened |
    closed | paused | redesigned | put forward | signed off
    """
)
ACTS = _words(
    """
    said it would review | has asked for a report on | voted to keep | agreed to fund |
    warned against | called for an inquiry into | promised to protect | set aside money for |
    refused to comment on | is expected to decide on | wants a second look at |
    has written to ministers about | is consulting on | plans to sell | will take over
    """
)
TAILS = (
    "",
    "",
    "",
    " before the end of the year",
    " after months of complaints",
    " by the spring",
    " despite objections from {plural}",
    " at a meeting on {day}",
    " in time for the summer",
    " once the survey is finished",
    " without a public consultation",
    " for the third time",
    " after a petition signed by {num} people",
    " until the money is found",
)
OPENERS = (
    "",
    "",
    "",
    "",
    "On {day}, ",
    "Earlier this month, ",
    "In {place}, ",
    "According to the {org}, ",
    "Last year, ",
    "Since then, ",
    "By contrast, ",
    "At the same meeting, ",
    "For now, ",
    "In a letter seen by this newspaper, ",
    "Under the plans, ",
)
QUOTES = (
    "We have waited long enough for the {noun}, and people here deserve an answer",
    "Nobody wants to see the {noun} closed, but we cannot keep patching it up",
    "This is about {plural} who rely on it every single day",
    "The figures simply do not add up, and everyone in {place} knows it",
    "We will keep talking to {plural} until we get this right",
    "It was never going to be easy, but it is the right decision for {place}",
    "We were told one thing in the spring and something quite different now",
    "If the money is there, the work can start within weeks",
    "I have lived here for {years} years and I have never seen anything like it",
    "Our job is to make sure the {adj} {noun} is safe, and that is what we are doing",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = _words(
    """
    January | February | March | April | May | June | July | August | September | October |
    November | December
    """
)
SECTIONS = _words(
    """
    News | Local | Politics | Business | Transport | Environment | Health | Sport
    """
)
AGENCIES = _words(
    """
    Corvid Photo Agency | Lanternfold Stock Photo | Meridian Press | Skerrow Images |
    Tidemark Pictures
    """
)


@dataclass(frozen=True)
class Outlet:
    """A fictional outlet: its furniture lines are fixed, so they recur on every one of its pages.

    ``style`` picks byline and dateline formats; ``named`` is False for an outlet whose pages never
    print its own name (a content farm).
    """

    name: str
    domain: str
    style: str  # 'uk' | 'us' | 'ie' | 'agency' | 'aggregator' | 'blog' | 'farm'
    tz_label: str
    tz_hours: int
    named: bool = True

    @property
    def slug(self) -> str:
        return self.domain.split(".")[0]


OUTLETS = (
    Outlet("The Harbour Courier", "harbourcourier.example", "uk", "BST", 1),
    Outlet("Northgate Ledger", "northgateledger.example", "us", "EDT", -4),
    Outlet("The Kestrel Journal", "kestreljournal.example", "ie", "IST", 1),
    Outlet("Meridian Press", "meridianpress.example", "agency", "UTC", 0),
    Outlet("Bramble News", "bramblenews.example", "aggregator", "GMT+2", 2),
    Outlet("Saltmarsh Gazette", "saltmarshgazette.example", "blog", "", 0),
    Outlet("Quillwire", "quillwire.example", "farm", "CEST", 2, named=False),
    Outlet("The Pellworth Standard", "pellworthstandard.example", "uk", "GMT", 0),
    Outlet("Westmere Evening Herald", "westmereherald.example", "us", "PT", -7),
    Outlet("Fenhallow Weekly", "fenhallowweekly.example", "ie", "", 0),
    Outlet("Skerrow Island Times", "skerrowtimes.example", "blog", "CET", 1),
    Outlet("Lantern Hill Post", "lanternhillpost.example", "aggregator", "EST", -5),
)


@dataclass(frozen=True)
class Article:
    """One fictional story as an outlet printed it.

    ``byline`` and ``dateline`` are the printed strings (style depends on the outlet);
    ``authors`` and ``published_at`` (timezone-aware) are the truth behind them.
    ``captions`` are full caption lines including their agency credit.
    """

    headline: str
    standfirst: str
    byline: str
    dateline: str
    paragraphs: tuple[str, ...]
    outlet: str
    domain: str
    url: str
    section: str
    authors: tuple[str, ...]
    published_at: datetime
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorpusStats:
    """What ``generate_text_corpus`` wrote under ``dest`` (``log_path`` is None without a log)."""

    dest: Path
    files: int
    total_bytes: int
    logged: int
    duplicates: int
    syndicated: int
    folders: int
    log_path: Path | None


# -- articles -------------------------------------------------------------------------------------


def _chooser(rng: random.Random) -> Callable[[Sequence[str]], str]:
    """A faster ``rng.choice`` for the hot loop (one ``random()`` call per draw)."""
    draw = rng.random

    def choose(seq: Sequence[str]) -> str:
        return seq[int(draw() * len(seq))]

    return choose


class _Slots(dict):
    """Format slots: fixed per article, fresh random words for every other ``{name}``."""

    def __init__(self, rng: random.Random, fixed: dict[str, str]):
        super().__init__(fixed)
        self.rng = rng
        self.choice = _chooser(rng)

    def __missing__(self, key: str) -> str:
        choice = self.choice
        if key == "place":
            return choice(PLACES)
        if key == "noun":
            return choice(NOUNS)
        if key == "plural":
            return choice(PLURALS)
        if key == "adj":
            return choice(ADJS)
        if key == "day":
            return choice(DAYS)
        if key == "num":
            return str(self.rng.randint(3, 4000))
        if key == "years":
            return str(self.rng.randint(4, 70))
        if key == "org":
            return f"{choice(PLACES)} {choice(ORG_KINDS)}"
        if key == "person":
            return f"{choice(FIRST)} {choice(LAST)}"
        raise KeyError(key)


def _sentence(rng: random.Random, slots: _Slots) -> str:
    choice = _chooser(rng)
    form = rng.random()
    if form < 0.45:
        subject = choice(
            ("the {org}", "the {main_org}", "{main_person}", "the {place} residents' group")
        )
        text = f"{choice(OPENERS)}{subject} {choice(ACTS)} the {{adj}} {{noun}}{choice(TAILS)}."
    elif form < 0.7:
        text = (
            f"{choice(OPENERS)}the {{adj}} {{noun}} in {{place}} was {choice(VERBS)} "
            f"by the {{org}}{choice(TAILS)}."
        )
    elif form < 0.85:
        text = "{num} {plural} " + f"{choice(('have', 'had', 'are said to have'))} {choice(VERBS)}"
        text += f" plans for the {{noun}}{choice(TAILS)}."
    else:
        who = choice(("{person}, a {role} in {place}", "the {org}", "{main_person}"))
        text = f"The decision was {choice(VERBS)} by {who}{choice(TAILS)}."
    text = text.format_map(slots)
    return text[0].upper() + text[1:]


def _quote(rng: random.Random, slots: _Slots) -> str:
    choice = _chooser(rng)
    said = choice(("said {main_person}", "{main_person} said", "said {person}, a {role}"))
    return f"“{choice(QUOTES)},” {said}.".format_map(slots)


def _paragraphs(rng: random.Random, slots: _Slots, target: int) -> list[str]:
    paragraphs: list[str] = []
    size = 0
    while size < target:
        if paragraphs and rng.random() < 0.22:
            text = _quote(rng, slots)
        else:
            text = " ".join(_sentence(rng, slots) for _ in range(rng.randint(1, 3)))
        paragraphs.append(text)
        size += len(text) + 2
    return paragraphs


def _fmt_time12(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _dateline(outlet: Outlet, moment: datetime, rng: random.Random) -> str:
    day, month = DAYS[moment.weekday()], MONTHS[moment.month - 1]
    zone = f" {outlet.tz_label}" if outlet.tz_label else ""
    if outlet.style == "uk":
        return f"{day} {moment.day:02d} {month} {moment.year} {moment:%H:%M}{zone}"
    if outlet.style == "us":
        lead = rng.choice(("Updated ", "Published ", ""))
        return f"{lead}{_fmt_time12(moment)}{zone}, {month} {moment.day}, {moment.year}"
    if outlet.style == "ie":
        return f"Updated {moment:%H.%M}, {moment.day} {month[:3]} {moment.year}{zone}"
    if outlet.style == "agency":
        return f"Published {month} {moment.day}, {moment.year} at {moment:%H:%M}{zone}"
    if outlet.style == "aggregator":
        minutes = rng.randint(1, 6)
        return (
            f"{day[:3]}, {month} {moment.day}, {moment.year} at {_fmt_time12(moment)}{zone}"
            f" · {minutes}-min read"
        )
    if outlet.style == "blog":
        return f"{month} {moment.day}, {moment.year} {_fmt_time12(moment).lower()}{zone}"
    return f"Last updated {moment:%d.%m.%Y %H:%M}{zone}"


def _byline(outlet: Outlet, authors: tuple[str, ...]) -> str:
    names = " and ".join(authors)
    if outlet.style in ("us", "blog"):
        return f"By {names}"
    if outlet.style == "agency":
        return f"By {names} | {outlet.name}"
    if outlet.style == "aggregator":
        return "Meridian Press"
    if outlet.style == "farm":
        return ""
    return names


def _caption(rng: random.Random, slots: _Slots, published: datetime) -> str:
    agency = rng.choice(AGENCIES)
    scene = "The {adj} {noun} in {place}".format_map(slots)
    if rng.random() < 0.25:
        # A date in a caption that is not the publication date: extractors must not take it.
        then = published - timedelta(days=rng.randint(2, 4000))
        scene += f", photographed on {then.day} {MONTHS[then.month - 1]} {then.year}"
    return f"{scene} ({agency})"


def article(rng: random.Random, *, mean_bytes: int = 3000) -> Article:
    """Draw one fictional article; ``mean_bytes`` is the mean size of a rendered capture."""
    outlet = rng.choice(OUTLETS)
    zone = timezone(timedelta(hours=outlet.tz_hours))
    published = (_EPOCH + timedelta(seconds=rng.randrange(_SPAN_SECONDS))).astimezone(zone)
    published = published.replace(second=0)
    authors = tuple(
        f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(1 + (rng.random() < 0.15))
    )
    main_place = rng.choice(PLACES)
    slots = _Slots(
        rng,
        {
            "main_person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "main_org": f"{main_place} {rng.choice(ORG_KINDS)}",
            "role": rng.choice(ROLES),
        },
    )
    noun, adj = rng.choice(NOUNS), rng.choice(ADJS)
    headline = rng.choice(
        (
            f"{main_place} {noun} plan {rng.choice(VERBS)} after long debate",
            f"{adj.capitalize()} {noun} in {main_place} to close for repairs",
            f"{rng.choice(PLURALS).capitalize()} in {main_place} fight {adj} {noun} plans",
            f"What the {adj} {noun} means for {main_place}",
            f"{main_place}: {noun} decision {rng.choice(VERBS)} again",
            f"Questions over cost of {main_place} {noun}",
        )
    )
    standfirst = f"{_sentence(rng, slots)[:-1]}, and {rng.choice(PLURALS)} want answers."
    body_target = max(300, int(rng.uniform(0.5, 1.5) * (mean_bytes - 900)))
    section = rng.choice(SECTIONS)
    slug = "-".join(headline.lower().replace(":", "").split()[:8])
    url = f"https://www.{outlet.domain}/{section.lower()}/{published:%Y/%m/%d}/{slug}"
    captions = tuple(_caption(rng, slots, published) for _ in range(rng.choice((0, 1, 1, 2))))
    return Article(
        headline=headline,
        standfirst=standfirst,
        byline=_byline(outlet, authors),
        dateline=_dateline(outlet, published, rng),
        paragraphs=tuple(_paragraphs(rng, slots, body_target)),
        outlet=outlet.name,
        domain=outlet.domain,
        url=url,
        section=section,
        authors=authors,
        published_at=published,
        captions=captions,
    )


def _syndicated(story: Article, rng: random.Random) -> Article:
    """The same story under another masthead, with its own headline, dateline and URL."""
    outlet = rng.choice([o for o in OUTLETS if o.name != story.outlet])
    headline = f"{story.headline.split(':')[0]}: {rng.choice(PLURALS)} react"
    later = story.published_at + timedelta(minutes=rng.randint(5, 600))
    return replace(
        story,
        headline=headline,
        byline=_byline(outlet, story.authors),
        dateline=_dateline(outlet, later, rng),
        outlet=outlet.name,
        domain=outlet.domain,
        url=f"https://www.{outlet.domain}/syndicated/{later:%Y%m%d}-{rng.randrange(10**6)}",
        published_at=later,
    )


# -- furniture ------------------------------------------------------------------------------------


def _outlet_of(story: Article) -> Outlet:
    return next(o for o in OUTLETS if o.name == story.outlet)


def _furniture(outlet: Outlet) -> dict[str, tuple[str, ...]]:
    """Fixed furniture blocks of an outlet (the same lines on every page it publishes)."""
    name = outlet.name if outlet.named else "us"
    blocks = {
        "top": (
            f"Get breaking news alerts from {name}",
            "You can switch alerts off at any time in your browser settings.",
        ),
        "plea": (
            f"Readers like you keep {name} going.",
            f"{name} is paid for by its readers. If our reporting has been useful to you, please"
            " give what you can, so we can keep it free for everyone.",
            "Every contribution, however small, makes a difference.",
        ),
        "share": ("Share this article", "Copy link", "Email"),
        "login": (
            "Thank you for signing in",
            "Please reload the page to finish signing inPlease reload your browser to stay signed"
            " in",
        ),
        "comments": (
            "Reader comments",
            "Be civil, be constructive and stay on topic. Please read our comments policy before"
            " you post.",
            "Post a Comment",
        ),
        "error": ("  • Oops!", "    Something went wrong.", "    Please refresh and try again."),
        "footer": (f"© {name} Media. All rights reserved.",),
    }
    if outlet.style == "farm":
        blocks["top"] = ("Advertisement",)
        blocks["footer"] = ("You may also like",)
    if outlet.style == "blog":
        blocks["comments"] = (
            "Leave a Reply",
            "Your email address won’t be shown. Fields marked * must be filled in.",
            "Comment *",
            "Name *",
            "Email *",
            "Post Comment",
        )
    return blocks


_FURNITURE = {o.name: _furniture(o) for o in OUTLETS}


def _related(rng: random.Random) -> list[str]:
    return [f"{rng.choice(PLACES)} {rng.choice(NOUNS)} {rng.choice(VERBS)}" for _ in range(3)]


def render_text(story: Article, rng: random.Random) -> str:
    """The article as a plain-text capture: furniture, headline, byline, captions, body, comments.

    The choice of which furniture to show is drawn from ``rng``; the furniture text itself is fixed
    per outlet.
    """
    outlet = _outlet_of(story)
    furniture = _FURNITURE[story.outlet]
    blocks: list[str] = []
    if rng.random() < 0.6:
        blocks.append("\n\n".join(furniture["top"]))
    if rng.random() > 0.03:  # a few captures lost their headline
        blocks.append(story.headline)
    blocks.append(story.standfirst)
    head = [line for line in (story.byline, story.dateline) if line]
    if outlet.style == "aggregator":
        head.append("\n".join(furniture["error"]))
    blocks.append("\n".join(head + [c for c in story.captions[:1] for _ in range(2)]))
    if rng.random() < 0.5:
        blocks.append("\n\n".join(furniture["plea"]))
    if rng.random() < 0.3:
        blocks.append("\n".join(furniture["share"]))
    body = list(story.paragraphs)
    if len(story.captions) > 1:
        body.insert(len(body) // 2, story.captions[1])
    if len(body) > 4 and rng.random() < 0.3:
        body.insert(len(body) // 3, f"More about {story.section}")
    blocks.extend(body)
    if rng.random() < 0.5:
        blocks.append("Read more\n" + "\n".join(_related(rng)))
    if rng.random() < 0.5:
        blocks.append("\n".join(furniture["comments"]))
    if rng.random() < 0.4:
        blocks.append("\n\n".join(furniture["login"]))
    blocks.append("\n".join(furniture["footer"]))
    return "\n\n".join(blocks) + ("\n" if rng.random() < 0.7 else "")


def render_html(story: Article, rng: random.Random) -> str:
    """The article as a full HTML page with the metadata tags extractors read.

    Has ``<meta charset>``, ``og:title``, ``og:site_name``, ``article:published_time``, ``author``,
    a nav bar, a cookie banner, captions as ``<figcaption>``, related links and comments.
    """
    e = html.escape
    furniture = _FURNITURE[story.outlet]
    iso = story.published_at.isoformat()
    nav = "".join(f'<li><a href="/{s.lower()}/">{s}</a></li>' for s in rng.sample(SECTIONS, 5))
    figures = "".join(
        f'<figure><img src="/img/{i}.jpg" alt="{e(c)}"><figcaption>{e(c)}</figcaption></figure>\n'
        for i, c in enumerate(story.captions)
    )
    body = "\n".join(f"<p>{e(p)}</p>" for p in story.paragraphs)
    related = "".join(
        f'<li><a href="/{story.section.lower()}/{i}">{e(t)}</a></li>'
        for i, t in enumerate(_related(rng))
    )
    slots = _Slots(rng, {"main_person": "the mayor", "main_org": "council", "role": "reader"})
    comments = "".join(
        f'<li class="comment"><p class="comment-author">{e(rng.choice(FIRST))}{i}</p>'
        f"<p>{e(_sentence(rng, slots))}</p></li>"
        for i in range(rng.randint(0, 4))
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(story.headline)} | {e(story.outlet)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{e(story.standfirst)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{e(story.headline)}">
<meta property="og:site_name" content="{e(story.outlet)}">
<meta property="og:url" content="{e(story.url)}">
<meta property="article:published_time" content="{iso}">
<meta property="article:section" content="{e(story.section)}">
<meta name="author" content="{e(", ".join(story.authors))}">
<link rel="canonical" href="{e(story.url)}">
</head>
<body>
<div class="cookie-banner" role="dialog"><p>We use cookies to make this site work and to \
measure how it is used.</p><button>Accept all</button><button>Manage choices</button></div>
<header class="site-header"><a class="logo" href="https://www.{e(story.domain)}/">\
{e(story.outlet)}</a>
<nav><ul>{nav}</ul></nav></header>
<main>
<article>
<h1>{e(story.headline)}</h1>
<p class="standfirst">{e(story.standfirst)}</p>
<div class="byline"><span class="author">{e(story.byline)}</span> \
<time datetime="{iso}">{e(story.dateline)}</time></div>
{figures}<div class="article-body">
{body}
</div>
<aside class="support"><p>{"</p><p>".join(e(x) for x in furniture["plea"])}</p></aside>
</article>
<section class="related"><h2>Related</h2><ul>{related}</ul></section>
<section class="comments"><h2>Comments</h2><p>{e(furniture["comments"][1])}</p>\
<ol>{comments}</ol></section>
</main>
<footer><p>{e(furniture["footer"][0])}</p></footer>
</body>
</html>
"""


# -- corpora --------------------------------------------------------------------------------------


def _rng(seed: int, purpose: str, index: int) -> random.Random:
    return random.Random(f"{seed}/{purpose}/{index}")


def _plan(n: int, seed: int) -> list[tuple[int, str, bool]]:
    """Per index: (source index, 'original' | 'duplicate' | 'syndicated', logged).

    A syndicated capture's source is an original; a duplicate's source is the original or
    syndicated capture whose bytes it repeats.
    """
    master = random.Random(f"{seed}/plan")
    plan: list[tuple[int, str, bool]] = []
    for i in range(n):
        roll = master.random()
        logged = master.random() < LOG_SHARE
        if i and roll < DUPLICATE_SHARE + SYNDICATED_SHARE:
            source = master.randrange(i)
            if roll < DUPLICATE_SHARE:
                kind = "duplicate"
                source = plan[source][0] if plan[source][1] == "duplicate" else source
            else:
                kind = "syndicated"
                source = plan[source][0]
            plan.append((source, kind, logged))
        else:
            plan.append((i, "original", logged))
    return plan


def _capture(
    seed: int, index: int, plan: list[tuple[int, str, bool]], mean_bytes: int, suffix: str
) -> tuple[Article, bytes]:
    """The story and bytes of capture ``index`` (an original or a syndicated copy)."""
    source, kind, _ = plan[index]
    rng = _rng(seed, "doc", source)
    story = article(rng, mean_bytes=mean_bytes)
    if kind == "syndicated":
        rng = _rng(seed, "syndicated", index)
        story = _syndicated(story, rng)
    if suffix == ".html":
        return story, render_html(story, rng).encode("utf-8")
    return story, _encode(render_text(story, rng), rng)


def _encode(text: str, rng: random.Random) -> bytes:
    roll = rng.random()
    for share, codec, line_end in ENCODINGS:
        if roll < share:
            text = text.replace("\n", line_end)
            if codec == "utf-16":  # explicit byte order: the same bytes on every machine
                return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
            try:
                return text.encode(codec)
            except UnicodeEncodeError:
                return text.encode("utf-8")
        roll -= share
    return text.encode("utf-8")


def _log_line(rel: str, story: Article, rng: random.Random, recrawl: bool) -> str:
    fetched = story.published_at + timedelta(minutes=rng.randint(10, 60 * 72))
    if recrawl:
        fetched += timedelta(days=rng.randint(1, 30))
    line: dict[str, str] = {
        "path": rel,
        "url": story.url,
        "retrieved_at": fetched.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    if rng.random() < 0.5:
        line["outlet"] = story.outlet
    if rng.random() < 0.4:
        line["published_at"] = story.published_at.isoformat()
    if rng.random() < 0.6:
        line["agent"] = rng.choice(("quaywatch-capture/2.3", "legacy-scraper/0.9"))
    if rng.random() < 0.3:
        line["collection"] = f"fiction-{story.published_at.year}"
    return json.dumps(line, ensure_ascii=False, sort_keys=True)


def _generate(
    dest: Path, n: int, seed: int, mean_bytes: int, log: bool, suffix: str
) -> CorpusStats:
    dest.mkdir(parents=True, exist_ok=True)
    plan = _plan(n, seed)
    total = logged = 0
    lines: list[str] = []
    for i, (source, kind, in_log) in enumerate(plan):
        story, data = _capture(seed, source if kind == "duplicate" else i, plan, mean_bytes, suffix)
        folder = dest / f"{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(exist_ok=True)
        rel = f"{folder.name}/{_outlet_of(story).slug}-{i:07d}{suffix}"
        (dest / rel).write_bytes(data)
        total += len(data)
        if log and in_log:
            lines.append(_log_line(rel, story, _rng(seed, "log", i), kind == "duplicate"))
            logged += 1
    log_path = None
    if log:
        log_path = dest / "captures.jsonl"
        log_path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return CorpusStats(
        dest=dest,
        files=n,
        total_bytes=total,
        logged=logged,
        duplicates=sum(1 for p in plan if p[1] == "duplicate"),
        syndicated=sum(1 for p in plan if p[1] == "syndicated"),
        folders=(n + PER_FOLDER - 1) // PER_FOLDER,
        log_path=log_path,
    )


def generate_text_corpus(
    dest: Path, n: int, *, seed: int = 0, mean_bytes: int = 3000, log: bool = True
) -> CorpusStats:
    """Write ``n`` fictional plain-text captures under ``dest`` (1000 per folder).

    About 70% are named by ``dest/captures.jsonl`` (paths relative to ``dest``); about 1% are exact
    byte copies of an earlier capture and 2% the same story under another masthead; a few percent
    are UTF-8 with BOM, UTF-16, cp1252 or CRLF. Document ``i`` depends only on ``seed`` and ``i``.
    """
    return _generate(Path(dest), n, seed, mean_bytes, log, ".txt")


def generate_html_corpus(
    dest: Path, n: int, *, seed: int = 0, mean_bytes: int = 3000, log: bool = True
) -> CorpusStats:
    """Like ``generate_text_corpus``, with the same stories rendered as UTF-8 HTML pages."""
    return _generate(Path(dest), n, seed, mean_bytes, log, ".html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a fictional news corpus.")
    parser.add_argument("kind", choices=("text", "html"))
    parser.add_argument("dest", type=Path)
    parser.add_argument("-n", type=int, default=1000, help="number of captures (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mean-bytes", type=int, default=3000)
    parser.add_argument("--no-log", action="store_true", help="do not write captures.jsonl")
    args = parser.parse_args(argv)
    make = generate_text_corpus if args.kind == "text" else generate_html_corpus
    stats = make(args.dest, args.n, seed=args.seed, mean_bytes=args.mean_bytes, log=not args.no_log)
    summary = {k: str(v) if isinstance(v, Path) else v for k, v in vars(stats).items()}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
