"""Small, deterministic HTML and WARC fixtures, written at test time.

Every article, outlet, person and place here is invented. Dates and WARC-Record-IDs are fixed so
that every file written is byte-identical from run to run (warcio's writer adds nothing random
when both are given, and gzip members carry no timestamp).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import io
import json
import zlib
from base64 import b32encode
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass(frozen=True)
class Article:
    """A fictional news article: what a page wraps and what a text capture holds."""

    slug: str
    domain: str
    outlet: str
    title: str
    standfirst: str
    author: str
    published: str  # ISO 8601 with offset
    modified: str | None
    section: str
    lang: str
    paragraphs: tuple[str, ...]
    subheading: str | None = None  # placed before the last paragraph
    caption: str = "A view of the harbour at dusk."

    @property
    def url(self) -> str:
        return f"https://www.{self.domain}/{self.section.lower()}/{self.slug}"


LIGHTHOUSE = Article(
    slug="lighthouse-keepers-return",
    domain="harbourlight-gazette.org",
    outlet="Harbourlight Gazette",
    title="Lighthouse keepers return to Tarrow Point after forty years",
    standfirst="The restored beacon on the northern cape will be staffed again from the spring.",
    author="Maren Oakhill",
    published="2024-03-05T08:10:00+00:00",
    modified="2024-03-06T17:45:00+00:00",
    section="Coast",
    lang="en",
    paragraphs=(
        "Two keepers will move into the cottage beside the Tarrow Point light next month, the "
        "first people to live on the cape since the lamp was automated in the spring of 1984.",
        "The Tarrow Point Trust, which bought the tower from the county for a symbolic sum, said "
        "the keepers would guide visitors, record the weather every three hours and tend the "
        "brass clockwork that once turned the great lens.",
        "\u201cA lighthouse without a keeper is a machine,\u201d said Idris Fenwhistle, who chairs "
        "the trust. \u201cWith someone living in it, it becomes part of the village again.\u201d",
        "The restoration took six years and was paid for by more than eleven hundred donors, "
        "many of them families of former keepers who sent letters, logbooks and photographs.",
        "Fishing crews from Saltmere welcomed the news. Several said the light had been unreliable "
        "during winter storms and that a resident keeper could report faults within the hour.",
        "The cottage opens to visitors on the first Saturday of every month from May.",
    ),
    subheading="Open days",
)

ORCHARD = Article(
    slug="orchard-cooperative-vote",
    domain="valemont-courier.net",
    outlet="Valemont Courier",
    title="Orchard growers vote to pool their harvest under one cooperative",
    standfirst="Forty-two farms in the Aldergate valley will sell their apples under one name.",
    author="Tobiah Wrenfield",
    published="2023-09-18T14:30:00+02:00",
    modified=None,
    section="Business",
    lang="en",
    paragraphs=(
        "Apple growers across the Aldergate valley voted on Monday evening to form a single "
        "cooperative, ending a decade of argument over prices paid by the regional packing houses.",
        "Of the fifty-one farms entitled to vote, forty-two backed the plan at a meeting in the "
        "Pellham village hall, where the queue stretched out into the car park before seven.",
        "The cooperative will own two cold stores and a grading line, and will sell under the "
        "name Aldergate Fruit from the next harvest onwards, its organisers said.",
        "Growers who voted against said they feared losing the premium their own labels earn at "
        "farmers\u2019 markets, but most said they would join if the first year went well.",
    ),
)

# Cyrillic fiction for the windows-1251 page: an invented town and council.
RIVERTOWN = Article(
    slug="novyi-most",
    domain="verkhneozersk-vesti.org",
    outlet="Верхнеозёрские вести",
    title="В Верхнеозёрске откроют новый пешеходный мост",
    standfirst="Мост через реку Ольховку свяжет старый рынок с набережной.",
    author="Ксения Тихомирова",
    published="2022-06-14T09:00:00+03:00",
    modified=None,
    section="Gorod",
    lang="ru",
    paragraphs=(
        "Городской совет Верхнеозёрска утвердил проект нового пешеходного моста через реку "
        "Ольховку. Строительство начнётся в августе и продлится около года.",
        "Мост длиной девяносто метров соединит старый рынок с набережной, где летом проходят "
        "ярмарки ремёсел и вечерние концерты духового оркестра.",
        "По словам архитектора Платона Ветлугина, конструкция будет деревянной, а освещение "
        "будет работать от солнечных панелей, установленных на опорах.",
        "Жители давно просили о переправе: сейчас дорога от рынка до набережной занимает "
        "почти полчаса пешком через автомобильный мост.",
    ),
)

# Latin-1 fiction: accented French text for the iso-8859-1 page declared only in a meta tag.
FROMAGERIE = Article(
    slug="fromagerie-rouvray",
    domain="echo-des-combes.fr",
    outlet="L'Écho des Combes",
    title="La fromagerie de Rouvray-sur-Lisle rouvre ses portes",
    standfirst="Après deux ans de travaux, la coopérative reprend la fabrication du tome.",
    author="Hélène Marcassin",
    published="2021-11-02T07:15:00+01:00",
    modified=None,
    section="Terroir",
    lang="fr",
    paragraphs=(
        "La fromagerie coopérative de Rouvray-sur-Lisle a rallumé ses chaudrons lundi matin, "
        "après deux années de travaux financés par les éleveurs du plateau.",
        "Dix-huit fermes livrent désormais leur lait chaque matin. La cave d'affinage, creusée "
        "dans la roche, peut accueillir près de quatre mille meules à la fois.",
        "« Nous voulions garder le savoir-faire au village », explique Gaspard Vernioz, "
        "président de la coopérative, devant les premières tommes de la saison.",
        "La boutique ouvre du mardi au samedi, et des visites guidées sont prévues l'été.",
    ),
)

ARTICLES = (LIGHTHOUSE, ORCHARD, RIVERTOWN, FROMAGERIE)

_NAV = ("Home", "News", "Coast", "Business", "Culture", "Sport", "Weather", "Letters")
_RELATED = (
    "Ferry timetable changes announced for the winter season",
    "Council publishes plan for new cycle lanes on the ring road",
    "Choir from Saltmere wins regional singing contest",
)


def render_text(article: Article) -> str:
    """The article as a plain-text capture: headline, standfirst, byline, date, body."""
    body = list(article.paragraphs)
    if article.subheading:
        body.insert(len(body) - 1, article.subheading)
    head = [article.title, "", article.standfirst, "", article.author, article.published[:10], ""]
    return "\n".join(head) + "\n" + "\n\n".join(body) + "\n"


def body_paragraphs(article: Article) -> list[str]:
    """The paragraphs every extractor should call the body (subheading included)."""
    body = list(article.paragraphs)
    if article.subheading:
        body.insert(len(body) - 1, article.subheading)
    return body


def render_html(
    article: Article,
    *,
    charset: str = "utf-8",
    meta_charset: bool = True,
    meta_style: str = "opengraph",
) -> bytes:
    """The article wrapped in page furniture (navigation, cookie banner, share, related, footer).

    ``meta_style`` is ``opengraph`` (og:/article: meta tags) or ``json-ld`` (a NewsArticle block).
    """
    e = html.escape
    head = [f'<meta charset="{charset}">'] if meta_charset else []
    head.append(f"<title>{e(article.title)} | {e(article.outlet)}</title>")
    head.append(f'<link rel="canonical" href="{e(article.url)}">')
    if meta_style == "opengraph":
        head += [
            f'<meta property="og:title" content="{e(article.title)}">',
            f'<meta property="og:site_name" content="{e(article.outlet)}">',
            f'<meta property="og:description" content="{e(article.standfirst)}">',
            f'<meta property="og:url" content="{e(article.url)}">',
            f'<meta name="author" content="{e(article.author)}">',
            f'<meta property="article:published_time" content="{article.published}">',
            f'<meta property="article:section" content="{e(article.section)}">',
        ]
        if article.modified:
            head.append(f'<meta property="article:modified_time" content="{article.modified}">')
    else:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.standfirst,
            "datePublished": article.published,
            "author": {"@type": "Person", "name": article.author},
            "publisher": {"@type": "Organization", "name": article.outlet},
            "articleSection": article.section,
        }
        if article.modified:
            ld["dateModified"] = article.modified
        blob = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        head.append(f'<script type="application/ld+json">{blob}</script>')
    nav = "".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in _NAV)
    related = "".join(f'<li><a href="/story/{i}">{e(t)}</a></li>' for i, t in enumerate(_RELATED))
    body = [f"<p>{e(p)}</p>" for p in article.paragraphs]
    if article.subheading:
        body.insert(len(body) - 1, f"<h2>{e(article.subheading)}</h2>")
    page = f"""<!DOCTYPE html>
<html lang="{article.lang}">
<head>
{chr(10).join(head)}
</head>
<body>
<div class="cookie-banner" id="cookies"><p>We use cookies to improve your experience.
<button>Accept all</button> <button>Manage settings</button></p></div>
<header class="site-header"><a class="logo" href="/">{e(article.outlet)}</a>
<nav><ul>{nav}</ul></nav></header>
<main>
<article class="story">
<h1 class="headline">{e(article.title)}</h1>
<p class="standfirst">{e(article.standfirst)}</p>
<div class="byline">By <a rel="author" href="/people/x">{e(article.author)}</a>
<time datetime="{article.published}">{article.published[:10]}</time></div>
<figure><img src="/img/lead.jpg" alt=""><figcaption>{e(article.caption)}</figcaption></figure>
<div class="story-body">
{chr(10).join(body)}
</div>
<div class="share"><a href="/share/mail">Email</a> <a href="/share/print">Print</a></div>
</article>
<aside class="related"><h3>Related stories</h3><ul>{related}</ul></aside>
</main>
<footer><p>&copy; 2024 {e(article.outlet)}. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy</a></li><li><a href="/terms">Terms</a></li></ul></footer>
</body>
</html>
"""
    return page.encode(charset)


# --- WARC ------------------------------------------------------------------------------------

WARC_DATE = "2024-03-07T10:00:00Z"


def record_id(n: int) -> str:
    """A fixed, valid WARC-Record-ID for fixture record ``n``."""
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def sha1_digest(data: bytes) -> str:
    """``sha1:BASE32`` as WARC payload digests are written."""
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode("ascii")


@dataclass(frozen=True)
class Spec:
    """One fixture record: its WARC type, target, HTTP status line, headers and payload."""

    kind: str  # the WarcItem kind a reader must report for it
    warc_type: str
    uri: str
    status: str = "200 OK"
    headers: tuple[tuple[str, str], ...] = ()
    payload: bytes = b""
    extra_warc: tuple[tuple[str, str], ...] = ()
    ip: str | None = "192.0.2.10"
    expected: dict = field(default_factory=dict, compare=False)


def fixture_specs() -> list[Spec]:
    """One record of every kind a reader must tell apart, in a fixed order."""
    html_ct = (("Content-Type", "text/html; charset=utf-8"),)
    lighthouse = render_html(LIGHTHOUSE)
    return [
        Spec(
            "warcinfo", "warcinfo", "", payload=b"software: archive-tests\r\nformat: WARC 1.1\r\n"
        ),
        Spec(
            "request",
            "request",
            LIGHTHOUSE.url,
            payload=b"GET /coast/lighthouse-keepers-return HTTP/1.1\r\n"
            b"Host: www.harbourlight-gazette.org\r\n\r\n",
        ),
        Spec("payload", "response", LIGHTHOUSE.url, headers=html_ct, payload=lighthouse),
        Spec("metadata", "metadata", LIGHTHOUSE.url, payload=b"outlinks: 12\r\n"),
        Spec(
            "payload",
            "response",
            ORCHARD.url,
            headers=html_ct,
            payload=render_html(ORCHARD, meta_style="json-ld"),
        ),
        Spec(
            "payload",
            "response",
            RIVERTOWN.url,
            headers=(("Content-Type", "text/html; charset=windows-1251"),),
            payload=render_html(RIVERTOWN, charset="windows-1251", meta_charset=False),
        ),
        Spec(
            "payload",
            "response",
            FROMAGERIE.url,
            headers=(("Content-Type", "text/html"),),
            payload=render_html(FROMAGERIE, charset="iso-8859-1"),
        ),
        Spec(
            "revisit",
            "revisit",
            LIGHTHOUSE.url,
            headers=html_ct,
            extra_warc=(("WARC-Refers-To", record_id(2)),),
        ),
        Spec(
            "redirect",
            "response",
            "http://harbourlight-gazette.org/coast/lighthouse",
            status="301 Moved Permanently",
            headers=(("Location", LIGHTHOUSE.url),),
        ),
        Spec(
            "error-status",
            "response",
            "https://www.harbourlight-gazette.org/missing",
            status="404 Not Found",
            headers=html_ct,
            payload=b"<html><body><h1>Page not found</h1></body></html>",
        ),
        Spec(
            "non-html",
            "response",
            "https://www.harbourlight-gazette.org/img/lead.png",
            headers=(("Content-Type", "image/png"),),
            payload=b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
        ),
        Spec(
            "payload",
            "response",
            "https://www.harbourlight-gazette.org/robots.txt",
            headers=(("Content-Type", "text/plain"),),
            payload=render_text(LIGHTHOUSE).encode("utf-8"),
        ),
        # The stored digest does not match these bytes: a reader must say so, not hide it.
        Spec(
            "payload",
            "response",
            ORCHARD.url + "?page=2",
            headers=html_ct,
            payload=render_html(ORCHARD),
            extra_warc=(("WARC-Payload-Digest", sha1_digest(b"something else")),),
        ),
    ]


def _record(writer: WARCWriter, n: int, spec: Spec):
    warc_headers = {"WARC-Record-ID": record_id(n), "WARC-Date": WARC_DATE}
    if spec.ip and spec.warc_type in ("response", "revisit"):
        warc_headers["WARC-IP-Address"] = spec.ip
    warc_headers.update(dict(spec.extra_warc))
    if spec.warc_type == "revisit":
        http = StatusAndHeaders(spec.status, list(spec.headers), protocol="HTTP/1.1")
        return writer.create_revisit_record(
            spec.uri,
            sha1_digest(render_html(LIGHTHOUSE)),
            spec.uri,
            WARC_DATE,
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
    if spec.warc_type == "response":
        headers = list(spec.headers) + [("Content-Length", str(len(spec.payload)))]
        http = StatusAndHeaders(spec.status, headers, protocol="HTTP/1.1")
        return writer.create_warc_record(
            spec.uri,
            "response",
            payload=io.BytesIO(spec.payload),
            length=len(spec.payload),
            http_headers=http,
            warc_headers_dict=warc_headers,
        )
    content_type = {
        "warcinfo": "application/warc-fields",
        "request": "application/http; msgtype=request",
        "metadata": "application/warc-fields",
        "resource": "text/html",
    }[spec.warc_type]
    record = writer.create_warc_record(
        spec.uri,
        spec.warc_type,
        payload=io.BytesIO(spec.payload),
        length=len(spec.payload),
        warc_content_type=content_type,
        warc_headers_dict=warc_headers,
    )
    if spec.warc_type == "request":
        record.http_headers = None  # the payload already holds the request line and headers
    return record


def write_warc(path: Path, specs: list[Spec], *, gz: bool) -> list[int]:
    """Write ``specs`` as a WARC 1.1 file; return each record's start offset in the file."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz, warc_version="1.1")
    offsets = []
    for n, spec in enumerate(specs):
        offsets.append(buffer.tell())
        writer.write_record(_record(writer, n, spec))
    path.write_bytes(buffer.getvalue())
    return offsets


def truncated_copy(source: Path, target: Path, cut_at: int) -> None:
    """``source`` cut after ``cut_at`` bytes (a crawler that died mid-write)."""
    target.write_bytes(source.read_bytes()[:cut_at])


def hole_copy(source: Path, target: Path, start: int, end: int) -> None:
    """``source`` with bytes ``[start, end)`` removed (a gzip member cut short mid-file)."""
    data = source.read_bytes()
    target.write_bytes(data[:start] + data[end:])


def garbled_copy(source: Path, target: Path, offset: int) -> None:
    """``source`` (plain WARC) with the record header at ``offset`` overwritten with junk."""
    data = bytearray(source.read_bytes())
    junk = b"XQ#!garbled header line\r\nContent-Length: banana\r\n"
    data[offset : offset + len(junk)] = junk
    target.write_bytes(bytes(data))


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (mtime 0), as a saved ``.html.gz`` page would be."""
    return gzip.compress(data, mtime=0)


# --- quirks of real crawlers, one record each ---------------------------------------------------


def warc_bytes(specs: list[Spec], *, gz: bool, first_id: int = 0) -> list[bytes]:
    """Each of ``specs`` as the bytes warcio's writer puts out for it (one gzip member each)."""
    out = []
    for n, spec in enumerate(specs, start=first_id):
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=gz, warc_version="1.1")
        writer.write_record(_record(writer, n, spec))
        out.append(buffer.getvalue())
    return out


def raw_response(
    uri: str,
    http_head: bytes,
    body: bytes,
    n: int,
    *,
    eol: bytes = b"\r\n",
    extra: tuple[tuple[str, str], ...] = (),
    warc_type: str = "response",
    content_type: str = "application/http; msgtype=response",
) -> bytes:
    """A plain WARC record built byte by byte, for quirks warcio's writer will not make:
    header lines ending ``eol``, an HTTP head exactly as given."""
    block = http_head + body
    lines = [("WARC-Type", warc_type), ("WARC-Record-ID", record_id(n)), ("WARC-Date", WARC_DATE),
             ("WARC-Target-URI", uri), *extra, ("Content-Type", content_type),
             ("Content-Length", str(len(block)))]  # fmt: skip
    head = b"WARC/1.0" + eol + b"".join(f"{k}: {v}".encode() + eol for k, v in lines) + eol
    return head + block + b"\r\n\r\n"


def gzip_bomb(zeros: int) -> bytes:
    """gzip of ``zeros`` zero bytes, made in pieces (never holding them)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    piece = bytes(1 << 20)
    parts = [packer.compress(piece) for _ in range(zeros >> 20)]
    return b"".join(parts) + packer.flush()
