"""Datelines: publication and update dates printed in a capture's header.

Only a line that is *nothing but* a date (plus its time, zone, weekday and a label such as
"Published" or "Updated") counts as a dateline; a date inside a sentence, a caption, a slug or
a comment never does. Every value is a timezone-aware UTC ``datetime``.

Precision policy (why): a printed time is only an instant when its zone is known. With a
known zone (``GMT``, ``BST``, ``EST``, ``CET``, ``+01:00``, ``ET`` ...) the value is converted
to UTC at precision ``minute``, and the zone's offset is kept (``utc_offset``) so that the day
the outlet printed can be shown, not the UTC instant's day. A date without a time, or with a
time but no zone (or an ambiguous zone such as ``IST`` or ``CST``), keeps the calendar date
*as printed by the outlet* at midnight UTC with precision ``day``; the zone is never guessed,
and a flag (``date-time-without-zone`` / ``date-zone-unknown``) says that a time was dropped, as
``date-time-ambiguous`` does for a Japanese 午前12時 or 午後12時 (midnight to some, noon to others).
A numeric date that reads both ways (``03/04/2021``) is not asserted (``date-ambiguous``); nor is
a date whose printed weekday contradicts it (``date-weekday-mismatch``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

_I = re.IGNORECASE
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_FIXED_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "WEST": 60, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480,
    "HST": -600, "AEST": 600, "AEDT": 660, "ACST": 570, "ACDT": 630, "AWST": 480,
    "NZST": 720, "NZDT": 780, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "SAST": 120,
}  # fmt: skip
# zones whose offset depends on the date (daylight saving): resolved through the tz database
_REGION_ZONES = {
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles",
}  # fmt: skip

# French, German and Spanish weekdays by their whole names; English ones by their first three
# letters (``Thurs.``, ``Wednesday``)
_FOREIGN_WEEKDAYS = {
    name: day
    for names in (
        "lundi mardi mercredi jeudi vendredi samedi dimanche",
        "montag dienstag mittwoch donnerstag freitag samstag sonntag",
        "lunes martes miércoles jueves viernes sábado domingo",
    )
    for day, name in enumerate(names.split())
} | {"sonnabend": 5}
_WD = (
    r"(?:(?P<wd>"
    + "|".join(_FOREIGN_WEEKDAYS)
    + r"|mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|r|rs|rsday|urday)?\.?,?\s+(?:den\s+)?)?"
)


def _numbered(names: str) -> dict[str, int]:
    """``{"january": 1, ...}`` from twelve month names written in order."""
    return {name: i for i, name in enumerate(names.split(), 1)}


_MONTH_NAMES = {
    **_numbered(
        "january february march april may june july august september october november december"
    ),
    **_numbered("jan feb mar apr may jun jul aug sep oct nov dec"),
    "sept": 9,
    # French, German, Spanish: datelines of captures in those languages
    **_numbered(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ),
    **_numbered(
        "januar februar märz april mai juni juli august september oktober november dezember"
    ),
    **_numbered(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ),
}
_MON = r"(?P<mon>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|\.)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)\b"
# A weekday in brackets after an East Asian date: Japanese and Korean by its sign ("（火）",
# "(화)"), Chinese by its number ("（星期二）", "(周二)"); Sunday is 日, 天 or 일
_CJK_WEEKDAYS = {
    **{c: i for i, c in enumerate("月火水木金土日")},
    **{c: i for i, c in enumerate("월화수목금토일")},
    **{c: i for i, c in enumerate("一二三四五六日")},
    "天": 6,
}
_CJK_WD = (
    r"(?:\s*[（(]\s*(?:星期|週|周)?(?P<cwd>[月火水木金土日월화수목금토일一二三四五六天])"
    r"(?:曜日?|요일)?\s*[）)])?"
)
_DATE_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date:dmy",
        re.compile(r"\b" + _WD + _DAY + r"\s+(?:of\s+|de\s+)?" + _MON + r",?\s+(?:de\s+)?" + _YEAR),
    ),
    ("date:mdy", re.compile(r"\b" + _WD + _MON + r"\s+" + _DAY + r",?\s+" + _YEAR)),
    (
        "date:iso",
        re.compile(
            r"\b" + _WD + r"(?P<year>(?:19|20)\d\d)-(?P<mon>[01]\d)-(?P<day>[0-3]\d)"
            r"(?:[t ](?P<h>[0-2]\d):(?P<m>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?"
            r"(?P<zone>z|[+-][01]\d:?[0-5]\d)?)?\b"
        ),
    ),
    (
        "date:numeric",
        re.compile(r"\b" + _WD + r"(?P<n1>[0-3]?\d)(?P<sep>[/.])(?P<n2>[0-3]?\d)(?P=sep)" + _YEAR),
    ),
    # Japanese, Chinese and Korean write year, month and day each with its sign (2024年6月3日)
    (
        "date:cjk",
        re.compile(
            r"(?P<wd>(?!))?(?<!\d)(?P<year>(?:19|20)\d\d)\s*[年년]\s*(?P<mon>[01]?\d)\s*[月월]\s*"
            r"(?P<day>[0-3]?\d)\s*[日일]" + _CJK_WD
        ),
    ),
    # year first, then month and day, by dots or slashes (2019.04.25, 2019/4/4): read so in
    # every country that writes it, as East Asian pages do; no calendar puts the day second
    (
        "date:ymd",
        re.compile(
            r"(?P<wd>(?!))?(?<![\w.])(?P<year>(?:19|20)\d\d)(?P<sep>[/.])(?P<mon>[01]?\d)(?P=sep)"
            r"(?P<day>[0-3]?\d)(?!\d|\.\d)" + _CJK_WD
        ),
    ),
)
_AMBIGUOUS_ZONES = ("IST", "CST", "AST", "BT", "MSD", "SST")
_DATE_FORMS_I = tuple((rule, re.compile(p.pattern, _I)) for rule, p in _DATE_FORMS)
_ZONE = (
    r"(?-i:(?P<zone>(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d\d)?|[+-]\d\d:?\d\d|(?:"
    + "|".join(sorted((*_FIXED_ZONES, *_REGION_ZONES, *_AMBIGUOUS_ZONES), key=len, reverse=True))
    + r")\b))"
)
_TIME_AFTER = re.compile(
    r"\s*(?:,|at|à|um|@|-|–|—|·|•|/|\|)?\s*(?P<h>[0-2]?\d)(?:[:.h](?P<m>[0-5]\d))?(?::[0-5]\d)?\s*"
    r"(?P<ampm>[ap]\.?m\.?)?(?:\s*\(?" + _ZONE + r"\)?)?",
    _I,
)
_ZONE_AFTER = re.compile(r"\s*\(?" + _ZONE + r"\)?")
_TIME_BEFORE = re.compile(
    r"(?P<h>[0-2]?\d)[:.](?P<m>[0-5]\d)\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*" + _ZONE + r")?"
    r"\s*(?:,|on|-|–|—|·|\|)?\s*$",
    _I,
)


def _longest_first(words: str) -> str:
    """An alternation of ``words`` that tries the longer first ("更新日期" before "更新")."""
    return "|".join(sorted(words.split(), key=len, reverse=True))


# East Asian labels: Japanese, Chinese (simplified and traditional) and Korean words for a
# change and for a publication, before the date ("公開日：", "发布时间", "입력") or after it
# ("12時00分更新", "3月15日公表")
_CJK_MODIFIED = _longest_first(
    "最終更新日時 最終更新日 最終更新 更新日時 更新日期 更新日 更新时间 更新時間 "
    "最后更新 最後更新 更新 최종수정일 최종수정 수정일 수정 업데이트"
)
_CJK_PUBLISHED = _longest_first(
    "公開日時 公開日 公開 公表日 公表 投稿日時 投稿日 投稿 配信日時 配信日 配信 "
    "掲載日時 掲載日 掲載 発行日 発表日 発表 作成日 发布时间 發佈時間 發布時間 "
    "发布日期 發佈日期 發布日期 发布于 發佈於 發布於 发表于 發表於 发表时间 發表時間 "
    "发布 發佈 發布 发表 發表 기사입력 입력일 입력 등록일 등록 작성일 작성 게재일 게재 "
    "발행일 발행"
)
_LABEL = re.compile(
    r"(?P<mod>last updated|updated|last modified|modified|edited|revised|mis à jour|"
    r"aktualisiert|actualizado|" + _CJK_MODIFIED + r")|(?P<pub>first published|published|"
    r"posted|created|dated?|publié|veröffentlicht|publicado|" + _CJK_PUBLISHED + r")",
    _I,
)
# Japanese and Chinese set a label after its date too ("12時00分更新"), Korean only at a
# line's end ("10:15 수정"); a label that a date's sign or a colon follows is the next date's
# ("更新日時 2021/03/05", "公開：")
_CJK_LABEL_AFTER = re.compile(
    r"\s*(?:(?P<mod>"
    + _longest_first("最終更新 最后更新 最後更新 更新 修正")
    + r")|(?P<pub>"
    + _longest_first("公開 公表 配信 投稿 掲載 発表 发布 發佈 發布 发表 發表")
    + r"))(?![日时時期:：])"
)
_KOREAN_LABEL_LAST = re.compile(
    r"\s*(?:(?P<mod>최종\s*수정|수정)|(?P<pub>입력|등록|작성|게재|발행))\s*$"
)
# a time by its signs after an East Asian date ("08時15分", "下午3时", "오후 2시 30분"),
# morning or afternoon before it
_CJK_TIME_AFTER = re.compile(
    r"\s*(?P<half>午前|午後|上午|下午|오전|오후)?\s*(?P<h>[0-2]?\d)\s*[時时시点點]"
    r"(?:\s*(?P<m>[0-5]?\d)\s*[分분](?:\s*[0-5]?\d\s*[秒초])?)?(?:\s*\(?" + _ZONE + r"\)?)?"
)
_CJK_HALVES = dict.fromkeys(("午前", "上午", "오전"), "am") | dict.fromkeys(
    ("午後", "下午", "오후"), "pm"
)
_CJK_RULES = ("date:cjk", "date:ymd")


def says_modified(text: str) -> bool:
    """Whether ``text`` says a page was changed ("Updated", "last modified"), as a word."""
    return _MODIFIED_WORD.search(text) is not None


def is_update_label(text: str) -> bool:
    """Whether ``text`` is a change's label alone ("Updated:", "Last modified on"), as a
    rendering sets it on the line above its date."""
    return _UPDATE_LABEL_LINE.fullmatch(text) is not None


def has_label(text: str) -> bool:
    """Whether ``text`` holds a date's label ("Published", "Updated", "posted") as a word."""
    return _LABEL_WORD.search(text) is not None


def says_published(text: str) -> bool:
    """Whether ``text`` says a page was published ("Published", "Posted on"), as a word."""
    return _PUBLISHED_WORD.search(text) is not None


def is_publication_label(text: str) -> bool:
    """Whether ``text`` is a publication's label alone ("Published", "Posted on:"), as a
    rendering sets it on the line above its date."""
    return _PUBLICATION_LABEL_LINE.fullmatch(text) is not None


_MODIFIED_WORDS = r"(?:updated|modified|edited|revised|mis à jour|aktualisiert|actualizado)"
_PUBLISHED_WORDS = r"(?:published|posted|publié|veröffentlicht|publicado)"
_MODIFIED_WORD = re.compile(rf"\b{_MODIFIED_WORDS}\b", _I)
_PUBLISHED_WORD = re.compile(rf"\b{_PUBLISHED_WORDS}\b", _I)
_LABEL_WORD = re.compile(rf"\b(?:{_MODIFIED_WORDS}|{_PUBLISHED_WORDS}|created|dated?)\b", _I)
_PUBLICATION_LABEL_LINE = re.compile(
    rf"\s*(?:first\s+)?{_PUBLISHED_WORDS}(?:\s+(?:on|at|am|le|el))?\s*:?\s*", _I
)
_UPDATE_LABEL_LINE = re.compile(
    rf"\s*(?:last\s+)?{_MODIFIED_WORDS}(?:\s+(?:on|at|am|le|el))?\s*:?\s*", _I
)


_FILLER = re.compile(
    r"\b(?:last|first|updated|modified|edited|revised|published|posted|created|dated?|on|at|"
    r"the|time|local|uhr|le|à|am|um|el|de|mis|jour|publié|veröffentlicht|aktualisiert|"
    r"publicado|actualizado)\b|(?:" + _CJK_MODIFIED + "|" + _CJK_PUBLISHED + r"|日時|日付)|[^\w]+",
    _I,
)
_RELATIVE = re.compile(
    r"^(?:(?:published|updated|posted)\s*:?\s*)?(?P<what>today|yesterday|just now|\d+\s*"
    r"(?:min(?:ute)?s?|hours?|hrs?|days?)\s+ago|(?:mon|tues|wednes|thurs|fri|satur|sun)day)"
    r"(?:\s*,?\s*(?:at\s*)?\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?)?$",
    _I,
)
LEAD_IN_DATE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z .'’-]{1,40}),\s+(?P<rest>[^—–]{3,60}?)\s*(?:\([^()]{2,40}\))?\s*"
    r"(?:—|–|--| - )"
)

_NO_YEAR = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*\.?,?\s+)?(?:[a-z]{3,9}\.?\s+[0-3]?\d(?:st|nd|rd|th)?|"
    r"[0-3]?\d(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?)$",
    _I,
)


@dataclass(frozen=True)
class DateFound:
    """A date read from one line; ``start``/``end`` are offsets of the evidence in that line."""

    value: datetime
    precision: str
    role: str
    start: int
    end: int
    rule: str
    flags: tuple[str, ...] = ()
    utc_offset: int | None = None  # minutes east of UTC of the printed zone; None: no zone

    def shifted(self, offset: int) -> DateFound:
        """This date with its evidence ``offset`` characters further along the line."""
        # field by field: dataclasses.replace costs several times more
        return DateFound(
            self.value, self.precision, self.role, self.start + offset, self.end + offset,
            self.rule, self.flags, self.utc_offset,
        )  # fmt: skip


@dataclass(frozen=True)
class _Raw:
    day: date
    start: int
    end: int
    rule: str
    weekday: int | None
    match: re.Match[str]


@lru_cache(maxsize=512)
def dateline(text: str) -> tuple[tuple[DateFound, ...], tuple[str, ...]]:
    """Read the dates of a line that is a dateline; ``((), flags)`` when it is not one.

    >>> found, _ = dateline("Friday 07 January 2022 17:37 GMT")
    >>> found[0].value.isoformat(), found[0].precision
    ('2022-01-07T17:37:00+00:00', 'minute')
    """
    tail = _READ_TIME_TAIL.search(text) if "read" in text or "読了" in text else None
    if tail is not None:  # "June 11, 2024 · 2-min read": the read time is share furniture
        text = text[: tail.start()]
    tail = _UPDATED_AGO_TAIL.search(text) if "ago" in text else None
    if tail is not None:  # "Published Sept. 3, 2021 | Updated 2 hours ago": no date is said
        text = text[: tail.start()]
    raws, flags = _raw_dates(text)
    if not raws:
        relative = relative_only(text)
        return (), (relative,) if relative else flags
    found: list[DateFound] = []
    covered: list[tuple[int, int]] = []
    prev_end = 0
    for i, raw in enumerate(raws):
        nxt = raws[i + 1].start if i + 1 < len(raws) else len(text)
        item, span = _resolve(text, raw, prev_end, nxt)
        covered.append(span)
        prev_end = max(raw.end, span[1])  # past the time and a label after the date
        if isinstance(item, str):
            flags += (item,)
        else:
            found.append(item)
            flags += item.flags
    if _residue_words(text, covered) > 0:
        return (), ()
    return tuple(found), flags


# No page of the web is older: an earlier day in a page or its address is a topic's (an "on this
# day" page filed under 1969/07/20), never its publication
MIN_DATE = date(1990, 1, 1)
# The latest day a page may state when its retrieval is not known: a fixed day, never the wall
# clock, so a re-run gives the same answer (a capture log's retrieval time bounds it closer)
MAX_DATE = date(2030, 12, 31)


def after_capture(value: datetime, precision: str | None, retrieved: datetime | None) -> bool:
    """Whether a date stated as ``value`` is later than its capture: than ``retrieved``, or,
    when the retrieval is not known, than ``MAX_DATE``. A day, month or year (``value`` its
    first midnight in UTC) is later only if it had begun nowhere yet: its zone is not known,
    and it begins earliest at UTC+14. Times without a zone are UTC."""
    if retrieved is None:
        return value.date() > MAX_DATE
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if retrieved.tzinfo is None:
        retrieved = retrieved.replace(tzinfo=UTC)
    return value - _EARLIEST_START.get(precision, _NO_SLACK) > retrieved


# how far ahead of UTC a day (a month, a year) may begin
_EARLIEST_START = dict.fromkeys(("day", "month", "year"), timedelta(hours=14))
_NO_SLACK = timedelta(0)


# A day in an address's path (/2016/12/09/, /2016-12-09-, /20161209/), as a CMS files a story
# under the day it was published
URL_DAY = re.compile(
    r"/((?:19|20)\d\d)(?:([/_-])([01]?\d)\2([0-3]?\d)|([01]\d)([0-3]\d))(?=[/_.-]|$)"
)


def url_day(url: str) -> date | None:
    """The calendar day ``url``'s path is filed under, or None.

    >>> url_day("https://news.example/2016/12/09/ferry-returns?page=2")
    datetime.date(2016, 12, 9)
    """
    m = URL_DAY.search(url.split("?", 1)[0].split("#", 1)[0])
    return None if m is None else filed_day(m)


def filed_day(m: re.Match[str]) -> date | None:
    """The day a match of ``URL_DAY`` names, or None when no calendar has it (/2016/02/30/)."""
    try:
        return date(int(m[1]), int(m[3] or m[5]), int(m[4] or m[6]))
    except ValueError:
        return None


def any_date(text: str) -> bool:
    """True when ``text`` mentions a full calendar date anywhere (used only to explain a null)."""
    low = text.lower()
    forms = _DATE_FORMS if len(low) == len(text) else _DATE_FORMS_I
    # every full date holds a year: look only around the years (the patterns are slow to
    # slide along a whole paragraph)
    for m in _YEARISH.finditer(low):
        window = low[max(0, m.start() - 40) : m.end() + 30]
        if any(p.search(window) for _, p in forms):
            return True
    return False


_READ_TIME_TAIL = re.compile(
    r"\s*(?:[·•|]\s*\d+[- ]?min(?:ute)?s?\.? read|読了時間\s*[:：]?\s*約?\s*\d+\s*分)\s*$", _I
)
# An update said only relative to a moment the capture does not give: it dates nothing, and
# the stated date before it still does.
_UPDATED_AGO_TAIL = re.compile(
    r"\s*[·•|]\s*(?:last )?updated:?\s+(?:an?|\d+)\s+(?:second|minute|min|hour|hr|day)s?\s+ago"
    r"\.?\s*$",
    _I,
)
_YEARISH = re.compile(r"(?:19|20)\d\d(?!\d)")  # 2024年 too: 年 is a word character


def has_year(text: str) -> bool:
    """Whether ``text`` holds a number of four digits that may be a year (1900-2099)."""
    return _YEAR_NUMBER.search(text) is not None


_YEAR_NUMBER = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


@lru_cache(maxsize=512)
def relative_only(text: str) -> str | None:
    """The flag for a header line that gives only a weekday or a relative time, else None."""
    m = _RELATIVE.match(text)
    if m is None:
        return None
    what = m["what"].lower()
    return (
        "date-weekday-only"
        if what.endswith("day") and what not in ("today", "yesterday")
        else "date-relative-only"
    )


def lead_in_date(text: str) -> tuple[DateFound | None, str | None]:
    """Read a wire-style dateline opening a story (``PLACE, 3 March 2021 (Agency) —``)."""
    m = LEAD_IN_DATE.match(text)
    if m is None:
        return None, None
    rest = m["rest"]
    found, flags = dateline(rest)
    if found:
        shift = m.start("rest")
        d = found[0]
        return DateFound(
            d.value,
            d.precision,
            "published",
            d.start + shift,
            d.end + shift,
            "dateline:lead-in",
            d.flags,
            d.utc_offset,
        ), None
    if _NO_YEAR.match(rest):
        return None, "date-no-year"
    return None, (flags[0] if flags else None)


def _raw_dates(text: str) -> tuple[list[_Raw], tuple[str, ...]]:
    raws: list[_Raw] = []
    flags: tuple[str, ...] = ()
    taken: list[tuple[int, int]] = []
    if _YEARISH.search(text) is None:  # every date form holds a year
        return raws, flags
    low = text.lower()
    if len(low) != len(text):  # lower-casing moved offsets (rare letters): match in place
        low = text
        forms = _DATE_FORMS_I
        named = True
    else:
        forms = _DATE_FORMS
        named = not _MONTH_NAMES.keys().isdisjoint(_WORDS.findall(low))
    for rule, pattern in forms:
        if not _may_hold(rule, low, named):
            continue
        for m in pattern.finditer(low):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            day, flag = _calendar_day(m, rule)
            taken.append((m.start(), m.end()))
            if day is None:
                flags += (flag,) if flag else ()
                continue
            wd, cwd = m["wd"], m["cwd"] if rule in _CJK_RULES else None
            weekday = _weekday(wd) if wd else _CJK_WEEKDAYS[cwd] if cwd else None
            raws.append(_Raw(day, m.start(), m.end(), rule, weekday, m))
    raws.sort(key=lambda r: r.start)
    return raws, flags


_WORDS = re.compile(r"\w+")


def _weekday(name: str) -> int:
    low = name.lower()
    return _FOREIGN_WEEKDAYS.get(low, _WEEKDAYS.get(low[:3], -1))


def _may_hold(rule: str, low: str, named: bool) -> bool:
    """False when the date form ``rule`` cannot match ``low``: each form needs a character
    (or, the named forms, a month name) that a line without it lacks. ``named``: a month name
    is one of ``low``'s words (its patterns set the month off by spaces, a comma or a stop)."""
    if rule == "date:iso":
        return "-" in low
    if rule == "date:numeric":
        return "/" in low or "." in low
    if rule == "date:cjk":
        return "年" in low or "년" in low
    if rule == "date:ymd":
        return "/" in low or "." in low
    return named


def _calendar_day(m: re.Match[str], rule: str) -> tuple[date | None, str | None]:
    year = int(m["year"])
    if rule == "date:numeric":
        a, b = int(m["n1"]), int(m["n2"])
        if m["sep"] == ".":
            day_, month = a, b  # dotted numeric dates are day-first wherever they are printed
        elif a > 12 >= b:
            day_, month = a, b
        elif b > 12 >= a:
            day_, month = b, a
        elif a == b:
            day_, month = a, b
        else:
            return None, "date-ambiguous"
    elif rule in ("date:iso", "date:cjk", "date:ymd"):
        day_, month = int(m["day"]), int(m["mon"])
    else:
        day_, month = int(m["day"]), _MONTH_NAMES[m["mon"].lower()]
    try:
        return date(year, month, day_), None
    except ValueError:
        return None, "date-invalid"


def _resolve(
    text: str, raw: _Raw, prev_end: int, next_start: int
) -> tuple[DateFound | str, tuple[int, int]]:
    label_zone = text[prev_end : raw.start]
    labels = list(_LABEL.finditer(label_zone))
    role = "modified" if labels and labels[-1]["mod"] else "published"
    start, end = raw.start, raw.end
    ambiguous = False
    if raw.rule == "date:iso":
        h, mi, zone, ampm = raw.match["h"], raw.match["m"], raw.match["zone"], None
        named = _ZONE_AFTER.match(text, raw.end, next_start) if h and not zone else None
        if named is not None:  # "2021-06-27 18:00 UTC"
            zone, end = named["zone"], named.end()
    else:
        after = _TIME_AFTER.match(text, raw.end, next_start)
        h = mi = zone = ampm = None
        if raw.rule in _CJK_RULES and (signed := _CJK_TIME_AFTER.match(text, raw.end, next_start)):
            h, mi, zone, end = signed["h"], signed["m"], signed["zone"], signed.end()
            ampm = _CJK_HALVES.get(signed["half"] or "")
            if ampm and int(h) == 0:  # 午前0時 is midnight, 午後0時 noon (an hour of 0 to 11)
                h, ampm = ("0" if ampm == "am" else "12"), None
            elif ampm and int(h) == 12:  # 午前12時: midnight to some, noon to others
                h, ambiguous = None, True
        elif after and (after["m"] or after["ampm"]):
            h, mi, zone, ampm = after["h"], after["m"], after["zone"], after["ampm"]
            end = after.end()
        elif before := _TIME_BEFORE.search(text, prev_end, raw.start):
            h, mi, zone, ampm = before["h"], before["m"], before["zone"], before["ampm"]
            start = before.start()
            named = _ZONE_AFTER.match(text, raw.end, next_start) if not zone else None
            if named is not None:  # "Updated 06.36, 18 Oct 2019 IST": the zone closes the line
                zone, end = named["zone"], named.end()
    said = None
    if not labels and raw.rule in _CJK_RULES:
        said = _CJK_LABEL_AFTER.match(text, end, next_start) or _KOREAN_LABEL_LAST.match(text, end)
    if said:  # "2019年4月21日 12時00分更新": the label is this date's, not the next one's
        role = "modified" if said["mod"] else "published"
        end = said.end()
    if raw.weekday is not None and raw.day.weekday() != raw.weekday:
        return "date-weekday-mismatch", (start, end)
    midnight = datetime(raw.day.year, raw.day.month, raw.day.day, tzinfo=UTC)
    if h is None:
        flags = ("date-time-ambiguous",) if ambiguous else ()
        return DateFound(midnight, "day", role, start, end, raw.rule, flags), (start, end)
    clock = _clock(int(h), int(mi or 0), ampm)
    if clock is None:
        return "date-time-invalid", (start, end)
    if zone is None:
        return DateFound(
            midnight, "day", role, start, end, raw.rule, ("date-time-without-zone",)
        ), (start, end)
    local = datetime(raw.day.year, raw.day.month, raw.day.day, *clock)
    offset = _utc_offset(local, zone)
    if offset is None:
        return DateFound(midnight, "day", role, start, end, raw.rule, ("date-zone-unknown",)), (
            start,
            end,
        )
    value = local.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    return DateFound(value, "minute", role, start, end, raw.rule, (), offset), (start, end)


def _clock(h: int, m: int, ampm: str | None) -> tuple[int, int] | None:
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm[0].lower() == "p" else 0)
    if h > 23 or m > 59:
        return None
    return h, m


def _utc_offset(local: datetime, zone: str) -> int | None:
    """Minutes east of UTC that ``zone`` means at the local time ``local`` (None: unknown)."""
    z = zone.replace(" ", "").upper()
    minutes: int | None = None
    if z in _FIXED_ZONES:
        minutes = _FIXED_ZONES[z]
    elif z in _REGION_ZONES:
        offset = local.replace(tzinfo=ZoneInfo(_REGION_ZONES[z])).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else None
    else:
        m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d\d)?", z)
        if m:
            minutes = (int(m[2]) * 60 + int(m[3] or 0)) * (1 if m[1] == "+" else -1)
    if minutes is None or abs(minutes) > 14 * 60:
        return None
    return minutes


def _residue_words(text: str, covered: list[tuple[int, int]]) -> int:
    pieces, pos = [], 0
    for s, e in sorted(covered):
        pieces.append(text[pos:s])
        pos = max(pos, e)
    pieces.append(text[pos:])
    rest = _FILLER.sub(" ", " ".join(pieces)).split()
    return len(rest)
