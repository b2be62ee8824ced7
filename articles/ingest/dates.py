"""Dates as news sites and dump tools write them, to timezone-aware UTC datetimes.

Fast paths (ISO 8601, RFC 2822, numeric and month-name forms, English relative dates)
cover nearly everything real dumps hold; dateparser is the slow fallback for the rest
(other languages, odd orders). A value that names no day, month and year yields None:
a date is never invented.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta

MIN_YEAR = 1800
# Dates after the end of next year are typos or placeholders (9999-12-31), not publication dates.
MAX_YEARS_AHEAD = 1
# Epoch numbers from this on are milliseconds (2001-09-09 in milliseconds); below it,
# seconds. 253402300800 (year 10000 in seconds) is then out of range, not 1978 in ms.
EPOCH_MILLISECONDS_FROM = 10**12
# The two orders of numeric dates: day first (14/06/2017) and month first (06/14/2017).
ORDERS = ("dmy", "mdy")

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
# fmt: off
WEEKDAYS = (
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
)
# fmt: on

# Abbreviations news sites print after times; ambiguous ones (IST, AST, CST in China) are
# read the way English-language news sites mean them.
TZ_ABBREVIATIONS: dict[str, int] = {
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "wet": 0,
    "bst": 60,
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "eest": 180,
    "msk": 180,
    "ast": 180,  # Arabia Standard Time, as Gulf outlets use it
    "gst": 240,
    "ist": 330,
    "pkt": 300,
    "sgt": 480,
    "hkt": 480,
    "jst": 540,
    "kst": 540,
    "aest": 600,
    "aedt": 660,
    "nzst": 720,
    "nzdt": 780,
    "est": -300,
    "edt": -240,
    "et": -300,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
    "pt": -480,
    "akst": -540,
    "hst": -600,
}

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_PREFIX = re.compile(
    r"^(?:(?:first|last)\s+)?(?:published|posted|updated|modified|date|dated|created|"
    r"last\s+updated|publication\s+date|release\s+date)\b(?:\s+(?:on|at))?\s*[:\-\u2013\u2014]?\s*",
    re.IGNORECASE,
)
_ON_PREFIX = re.compile(r"^(?:on|at)\s+", re.IGNORECASE)

_TIME = (
    r"(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    r"(?:\s*\(?(?P<tz>[A-Za-z]{1,5}|(?:utc|gmt)?\s*[+-]\d{1,2}(?::?\d{2})?)\)?)?"
)
_TIME_RE = re.compile(rf"^{_TIME}$", re.IGNORECASE)
_WEEKDAY_RE = re.compile(rf"^(?:{'|'.join(WEEKDAYS)})\.?,?\s+", re.IGNORECASE)
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_SEP = r"(?:\s*(?:,|\bat\b|-|\u2013|\u2014|\|)\s*|\s+)"
_MONTH_FIRST = re.compile(rf"^{_MONTH}\s+{_DAY},?\s+{_YEAR}(?:{_SEP}(?P<rest>.+))?$", re.I)
_DAY_FIRST = re.compile(rf"^{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}(?:{_SEP}(?P<rest>.+))?$", re.I)
# asctime, as old Usenet and mail headers write it: "Apr  2 21:07:57 1993" (weekday removed).
_ASCTIME = re.compile(
    rf"^{_MONTH}\s+{_DAY}\s+(?P<time>\d{{1,2}}:\d{{2}}(?::\d{{2}})?)\s+{_YEAR}"
    r"(?:\s+(?P<tz>[A-Za-z]{1,5}|[+-]\d{4}))?$",
    re.I,
)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})(?:[T\s,]+(?P<rest>.+))?$"
)
_NUMERIC_ANYWHERE = re.compile(r"(?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-]\d")
_YMD_SLASH = re.compile(
    r"^(?P<year>\d{4})[/.](?P<month>\d{1,2})[/.](?P<day>\d{1,2})(?:[T\s,]+(?P<rest>.+))?$"
)
_RELATIVE = re.compile(
    r"^(?:about\s+|around\s+|over\s+)?(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve)\s*(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|"
    r"d|days?|w|wks?|weeks?|mos?|months?|y|yrs?|years?)\s+ago$",
    re.IGNORECASE,
)
_DAY_WORD = re.compile(
    r"^(?P<word>yesterday|today|now|just now|moments ago|a moment ago)"
    r"(?:,?\s+(?:at\s+)?(?P<rest>.+))?$",
    re.IGNORECASE,
)
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
_RFC2822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")

# Words that may appear in a line that is nothing but a date ("Updated 2 hours ago",
# "Wednesday, June 14, 2017 9:30 AM EDT"); a line with any other word is not a date line.
# fmt: off
_OTHER_DATE_WORDS = (
    "am", "pm", "a.m", "p.m", "at", "on", "of", "the", "ago", "yesterday", "today", "now",
    "just", "moments", "moment", "about", "around", "over", "st", "nd", "rd", "th", "published",
    "posted", "updated", "modified", "date", "dated", "created", "last", "first", "publication",
    "release", "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes",
    "h", "hr", "hrs", "hour", "hours", "d", "day", "days", "w", "wk", "wks", "week", "weeks",
    "mo", "mos", "month", "months", "y", "yr", "yrs", "year", "years", "t"
)
# fmt: on
_DATE_WORDS = frozenset([*MONTHS, *WEEKDAYS, *TZ_ABBREVIATIONS, *_NUMBER_WORDS, *_OTHER_DATE_WORDS])
_WORD = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*\.?", re.UNICODE)


class DateContext:
    """What relative and zone-less dates need: the reference time, the default zone, and
    the order of ambiguous numeric dates (dmy or mdy)."""

    __slots__ = ("max_year", "order", "reference", "tz")

    def __init__(self, reference: datetime, tz: tzinfo, order: str = "dmy") -> None:
        if reference.tzinfo is None:
            reference = reference.replace(tzinfo=tz)
        self.reference = reference
        self.tz = tz
        self.order = order
        self.max_year = max_year()  # once per file, not per date

    def with_order(self, order: str) -> DateContext:
        return self if order == self.order else DateContext(self.reference, self.tz, order)


class OutOfRange(Exception):
    """A well-formed date outside the years a news article can have (1800 to next year)."""

    def __init__(self, value: datetime) -> None:
        super().__init__(value.isoformat())
        self.value = value


def max_year() -> int:
    return date.today().year + MAX_YEARS_AHEAD


@lru_cache(maxsize=64)
def get_zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name (or 'UTC'); raises ValueError for an unknown one."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def _finish(value: datetime, ctx: DateContext) -> datetime | None:
    """`value` in UTC; raises OutOfRange for a year outside MIN_YEAR to next year."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ctx.tz)
    if not MIN_YEAR <= value.year <= ctx.max_year:
        raise OutOfRange(value)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _midnight(day: date, ctx: DateContext) -> datetime | None:
    return _finish(datetime.combine(day, time()), ctx)


def _offset_zone(text: str) -> tzinfo | None:
    token = text.strip().lower().replace(" ", "")
    if token in TZ_ABBREVIATIONS:
        return _fixed(TZ_ABBREVIATIONS[token])
    match = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2}):?(\d{2})?", token)
    if match:
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        if minutes > 14 * 60:
            return None
        return _fixed(minutes if match.group(1) == "+" else -minutes)
    return None


@lru_cache(maxsize=128)
def _fixed(minutes: int) -> tzinfo:
    from datetime import timezone

    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes))


def _time_of(rest: str | None) -> tuple[time, tzinfo | None] | None:
    """Parse '9:30 AM EDT', '17:52', '10:00:00+03:00'; None when it is not a time."""
    if not rest:
        return time(), None
    rest = rest.strip()
    match = _TIME_RE.match(rest)
    if not match:
        return None
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    second = int(match.group("second") or 0)
    ampm = (match.group("ampm") or "").lower().replace(".", "").replace(" ", "")
    if not match.group("minute") and not ampm:
        return None  # a bare number is not a time
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    zone = None
    if match.group("tz"):
        zone = _offset_zone(match.group("tz"))
        if zone is None:
            return None
    return time(hour, minute, second), zone


def _build(year: int, month: int, day: int, rest: str | None, ctx: DateContext) -> datetime | None:
    parsed = _time_of(rest)
    if parsed is None:
        return None
    clock, zone = parsed
    try:
        value = datetime.combine(date(year, month, day), clock)
    except ValueError:
        return None
    if zone is not None:
        value = value.replace(tzinfo=zone)
    return _finish(value, ctx)


def _full_year(text: str, ctx: DateContext) -> int:
    year = int(text)
    if len(text) == 2:
        pivot = ctx.reference.year % 100 + 1
        year += 2000 if year <= pivot else 1900
        if year > ctx.reference.year + 1:
            year -= 100
    return year


def _relative(text: str, ctx: DateContext) -> datetime | None:
    match = _RELATIVE.match(text)
    if match:
        raw = match.group("n").lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        unit = match.group("unit").lower()
        delta: timedelta | relativedelta
        if unit.startswith("s"):
            delta = timedelta(seconds=n)
        elif unit in ("m", "min", "mins", "minute", "minutes"):
            delta = timedelta(minutes=n)
        elif unit.startswith("h"):
            delta = timedelta(hours=n)
        elif unit.startswith("d"):
            delta = timedelta(days=n)
        elif unit.startswith("w"):
            delta = timedelta(weeks=n)
        elif unit.startswith("mo"):
            delta = relativedelta(months=n)
        else:
            delta = relativedelta(years=n)
        try:
            return _finish(ctx.reference - delta, ctx)
        except (OverflowError, ValueError):
            return None
    match = _DAY_WORD.match(text)
    if match:
        word = match.group("word").lower()
        if word not in ("yesterday", "today"):
            return _finish(ctx.reference, ctx)
        local = ctx.reference.astimezone(ctx.tz).date()
        if word == "yesterday":
            local -= timedelta(days=1)
        # A calendar day without a time is that day's midnight in the default zone.
        return _build(local.year, local.month, local.day, match.group("rest"), ctx)
    return None


def _time_first(text: str, ctx: DateContext) -> datetime | None:
    """'10:00 AM ET, Wed June 14, 2017' (CNN and others print the time first)."""
    head, sep, tail = text.partition(",")
    if not sep or not _TIME_RE.match(head.strip()):
        return None
    day = _absolute(tail.strip(), ctx, time_first=False)
    if day is None:
        return None
    local = day.astimezone(ctx.tz)
    if local.time() != time():
        return None  # the date part had its own time
    return _build(local.year, local.month, local.day, head, ctx)


def _absolute(text: str, ctx: DateContext, *, time_first: bool = True) -> datetime | None:
    if time_first and text[:1].isdigit() and ":" in text[:6]:
        value = _time_first(text, ctx)
        if value is not None:
            return value
    if _ISO_START.match(text):
        iso = text.replace(" UTC", "Z").replace(" GMT", "Z")
        try:
            value = datetime.fromisoformat(iso)
        except ValueError:
            value = None
        if value is not None:
            if len(text) == 10:
                return _midnight(value.date(), ctx)
            return _finish(value, ctx)
    if _RFC2822.match(text):
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            value = None
        if value is not None:
            return _finish(value, ctx)
    text = _WEEKDAY_RE.sub("", text)
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        match = pattern.match(text)
        if match:
            month = MONTHS.get(match.group("month").lower())
            if month is None:
                return None
            rest = match.group("rest")
            return _build(int(match.group("year")), month, int(match.group("day")), rest, ctx)
    match = _YMD_SLASH.match(text)
    if match:
        return _build(
            int(match.group("year")),
            int(match.group("month")),
            int(match.group("day")),
            match.group("rest"),
            ctx,
        )
    match = _ASCTIME.match(text)
    if match:
        month = MONTHS.get(match.group("month").lower())
        if month is None:
            return None
        rest = match.group("time") + (" " + match.group("tz") if match.group("tz") else "")
        return _build(int(match.group("year")), month, int(match.group("day")), rest, ctx)
    match = _NUMERIC.match(text)
    if match:
        a, b = int(match.group("a")), int(match.group("b"))
        # In the dump's order (day first unless told), unless that cannot be a date.
        if ctx.order == "mdy":
            month, day = (a, b) if a <= 12 else (b, a)
        else:
            day, month = (a, b) if b <= 12 else (b, a)
        return _build(_full_year(match.group("year"), ctx), month, day, match.group("rest"), ctx)
    return None


def numeric_order(text: str) -> str | None:
    """What a numeric date proves about its dump's order.

    'dmy' for 25/12/2018 (cannot be month first), 'mdy' for 12/25/2018, 'either' for
    04/06/2019, None for anything else (04/04/2019 reads the same both ways).
    """
    if not _NUMERIC_ANYWHERE.search(text):
        return None  # ISO 8601, month names, epochs: most values, cheaply
    text = strip_prefix(" ".join(text.split()))
    match = _NUMERIC.match(_WEEKDAY_RE.sub("", text))
    if not match:
        return None
    a, b = int(match.group("a")), int(match.group("b"))
    if not (1 <= a <= 31 and 1 <= b <= 31) or a == b:
        return None
    if a > 12 and b <= 12:
        return "dmy"
    if b > 12 and a <= 12:
        return "mdy"
    return "either" if a <= 12 and b <= 12 else None


def _with_dateparser(text: str, ctx: DateContext) -> datetime | None:
    import dateparser

    reference = ctx.reference.astimezone(ctx.tz).replace(tzinfo=None)
    tz_name = getattr(ctx.tz, "key", None) or "UTC"
    try:
        value = dateparser.parse(
            text,
            settings={
                "RELATIVE_BASE": reference,
                "TIMEZONE": tz_name,
                "TO_TIMEZONE": "UTC",
                "RETURN_AS_TIMEZONE_AWARE": True,
                "DATE_ORDER": ctx.order.upper(),
                "PREFER_DATES_FROM": "past",
                "REQUIRE_PARTS": ["day", "month", "year"],
            },
        )
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return _finish(value, ctx) if value is not None else None


def strip_prefix(text: str) -> str:
    """'Published: 14/06/2017' -> '14/06/2017'; 'Updated 3 days ago' -> '3 days ago'."""
    text = _PREFIX.sub("", text.strip())
    return _ON_PREFIX.sub("", text).strip(" \t,;|-\u2013\u2014")


def parse_date(text: str, ctx: DateContext, *, fallback: bool = True) -> datetime | None:
    """The UTC datetime a date string means, or None; `fallback` allows the slow dateparser.

    Raises OutOfRange for a real date outside the years an article can have.
    """
    text = " ".join(text.split())
    if not text or len(text) > 100:
        return None
    text = strip_prefix(text)
    if not text:
        return None
    value = _absolute(text, ctx)
    if value is None:
        value = _relative(text, ctx)
    if value is None and fallback and any(ch.isdigit() for ch in text):
        value = _with_dateparser(text, ctx)
    return value


def looks_like_date_line(line: str) -> bool:
    """Cheap test that a line holds nothing but a date (English words only)."""
    if len(line) > 80:
        return False
    if not any(ch.isdigit() for ch in line):
        lowered = line.lower()
        if not ("ago" in lowered or "yesterday" in lowered or "today" in lowered):
            return False
    return all(word.lower().rstrip(".") in _DATE_WORDS for word in _WORD.findall(line))


def parse_date_line(line: str, ctx: DateContext) -> datetime | None:
    """The date a line of a text dump states, if the line is only a date."""
    if not looks_like_date_line(line):
        return None
    # English words only, so the fast paths cover every complete form; dateparser would
    # only add slowness (seconds on first use) and guesses for incomplete dates.
    try:
        return parse_date(line, ctx, fallback=False)
    except OutOfRange:
        return None  # "June 14, 1750" is text about history, not this article's date


def from_value(value: object, ctx: DateContext) -> datetime | None:
    """A metadata value (string, epoch number, YAML date or datetime) as a UTC datetime.

    None when it is not a date; raises OutOfRange for a date no article can have.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _finish(value, ctx)
    if isinstance(value, date):
        return _midnight(value, ctx)
    if isinstance(value, int | float):
        seconds = float(value)
        if abs(seconds) >= EPOCH_MILLISECONDS_FROM:
            seconds /= 1000
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            # Beyond what datetime holds (year 10000 on): a placeholder, not a date.
            raise OutOfRange(datetime.max.replace(tzinfo=UTC)) from None
        return _finish(moment, ctx)
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"\d{9,13}(?:\.\d+)?", stripped):
            return from_value(float(stripped), ctx)
        return parse_date(stripped, ctx)
    return None
