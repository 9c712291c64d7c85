"""Read the values the guided flows need from free text in five languages.

Dates ("yesterday", "3 мая", "上周五", "3/5"), whole months and years ("until 2031", "до марта"),
durations ("8 months", "полгода", "半年"), yes/no answers, hedges, how a card was lost and whether a
child stays in Japan. Numeric, relative and CJK forms are read here; dateparser only ever sees a short
span around a month name, so it cannot find dates in random words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import dateparser

from actions.parsing_words import (
    _WORD_NUMBERS,
    DURATION_BOUNDS_MONTHS,
    LOSS_REASONS,
    duration_in_bounds,
    fold_text,
    is_unsure,
    normalize_text,
    parse_duration_months,
    parse_loss_reason,
    parse_stay_plan,
    parse_target_language,
    parse_yes_no,
)
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES

__all__ = [
    "DURATION_BOUNDS_MONTHS",
    "LOSS_REASONS",
    "DateSpan",
    "duration_in_bounds",
    "fold_text",
    "is_unsure",
    "normalize_text",
    "parse_date",
    "parse_date_span",
    "parse_duration_months",
    "parse_loss_reason",
    "parse_stay_plan",
    "parse_target_language",
    "parse_yes_no",
]

# Number words ("two days ago", "три дня назад"), longest first so that "одинадцять" wins over "один".
_NUMBER_WORDS = "|".join(sorted((re.escape(word) for word in _WORD_NUMBERS), key=len, reverse=True))
_PAST_YEARS, _FUTURE_YEARS = 10, 15  # a date further from today than this is a misreading, not an answer

_RELATIVE_DAYS = [
    (r"day before yesterday|позавчера|позавчора|前天|1昨日|おととい", -2),
    (r"yesterday|вчера|вчора|учора|昨天|昨日|きのう", -1),
    (r"today|сегодня|сьогодні|今天|今日|きょう", 0),
    (r"tomorrow|завтра|明天|明日|あした", 1),
]
_DAYS_AGO = re.compile(
    rf"(\d+|{_NUMBER_WORDS})\s*(?:days? ago|дн(?:я|ей|і|ів)? (?:назад|тому)|天前|日前|日まえ|にち\s*(?:まえ|前))"
)
_WEEKS_AGO = re.compile(
    r"(?:(\d+)\s*)?(?:weeks? ago|недел[юиь]\w* назад|тижн\w* тому|тиждень тому|[个個]?星期前|周前|週間前|しゅうかん\s*まえ)"
)
_KANA_DAYS = {
    "いちにち": 1,
    "ふつか": 2,
    "みっか": 3,
    "よっか": 4,
    "いつか": 5,
    "むいか": 6,
    "なのか": 7,
    "ようか": 8,
    "ここのか": 9,
    "とおか": 10,
}
_KANA_DAYS_AGO = re.compile(rf"({'|'.join(_KANA_DAYS)})\s*(?:まえ|前)")

_WEEKDAY_STEMS = [  # Monday first; stems are matched from the start of a word
    r"monday|понедельник\w*|понеділ\w*",
    r"tuesday|вторник\w*|вівтор\w*",
    r"wednesday|сред[аеуы]|серед[аиу]",
    r"thursday|четверг\w*|четвер",
    r"friday|пятниц\w*|п'ятниц\w*",
    r"saturday|суббот\w*|субот\w*",
    r"sunday|воскресень\w*|неділ\w*",
]
_WEEKDAY_WORD = re.compile(
    r"(?:\b(?P<last>last|прошл\w*|минул\w*)\s+)?\b(?:"
    + "|".join(f"(?P<d{i}>{stem})" for i, stem in enumerate(_WEEKDAY_STEMS))
    + r")\b"
)
_LAST_WEEK = re.compile(r"\blast week\b|прошлой неделе|минулого тижня|минулому тижні")
# 上周五, 下周一, 星期一 (digits after normalize_text); 这周一 (this week) is too vague to place
_ZH_WEEKDAY = re.compile(r"(?<![这這本])([上下])?(?:星期|礼拜|禮拜|周|週)([1-6日天])")
_JA_WEEKDAY = re.compile(r"(先週の?|せんしゅうの?)?\s*(?:([月火水木金土日])曜日?|(げつ|か|すい|もく|きん|ど|にち)ようび)")
_JA_WEEKDAY_INDEX = {
    "月": 0,
    "火": 1,
    "水": 2,
    "木": 3,
    "金": 4,
    "土": 5,
    "日": 6,
    "げつ": 0,
    "か": 1,
    "すい": 2,
    "もく": 3,
    "きん": 4,
    "ど": 5,
    "にち": 6,
}

_YMD = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})(?!\d)")
_MD_CJK = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})(?!\d)\s*[日号號]?")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?(?![\d/])")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4}))?(?![\d.])")

_MONTH_STEMS = [  # en, ru, uk; the English 'may' is read by _MAY because "may I ask" is not a month
    r"january|jan|январ\w*|січ(?:ень|ня|ні)",
    r"february|feb|феврал\w*|лют(?:ий|ого|ому|і)",
    r"march|mar|март\w*|берез(?:ень|ня|ні)",
    r"april|apr|апрел\w*|квіт(?:ень|ня|ні)",
    r"ма[йяе]|(?<=к )маю|трав(?:ень|ня|ні)",
    r"june|jun|июн\w*|черв(?:ень|ня|ні)",
    r"july|jul|июл\w*|лип(?:ень|ня|ні)",
    r"august|aug|август\w*|серп(?:ень|ня|ні)",
    r"september|sept|sep|сентябр\w*|верес(?:ень|ня|ні)",
    r"october|oct|октябр\w*|жовт(?:ень|ня|ні)",
    r"november|nov|ноябр\w*|листопад\w*",
    r"december|dec|декабр\w*|груд(?:ень|ня|ні)",
]
_MONTH_WORD = re.compile(r"\b(?:" + "|".join(f"(?P<m{i}>{stem})" for i, stem in enumerate(_MONTH_STEMS)) + r")\b\.?")
_MAY = re.compile(
    r"(?:^|\d\w*\s*(?:of\s+)?|\b(?:in|until|till|by|since|from|before|after|of|to|through)\s+)(may)\b"
    r"(?!\s+(?:i|we|you|he|she|they|it|be|not)\b)|\b(may)(?=\s*\d)"
)
_CJK_MONTH = re.compile(r"(?<!\d)(1[0-2]|0?[1-9])\s*月(?!\s*\d)")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_DAY_BEFORE = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|-?[а-яё]{1,3})?\s*(?:of\s+)?$")
_DAY_YEAR_AFTER = re.compile(r"\s*(?:the\s+)?(?:(\d{1,2})(?:st|nd|rd|th|-?[а-яё]{1,3})?(?!\d))?\s*,?\s*(\d{4})?")
# After the message's own language, dateparser also tries those written in Latin or Cyrillic letters.
_DATEPARSER_FALLBACKS = ("en", "ru", "uk")


@dataclass(frozen=True)
class DateSpan:
    """Hold a day, or a whole month or year, that a message names ("until 2031", "до марта")."""

    first: dt.date
    last: dt.date
    grain: str  # 'day' | 'month' | 'year'


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    """Build a date, or None when the numbers do not make one (31 February)."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _shift_years(day: dt.date, years: int) -> dt.date:
    """Move a date by whole years, landing 29 February on the 28th."""
    return _safe_date(day.year + years, day.month, day.day) or dt.date(day.year + years, day.month, 28)


def _in_window(day: dt.date, today: dt.date) -> bool:
    """Tell whether a day lies within the years an answer can sensibly mean."""
    return _shift_years(today, -_PAST_YEARS) <= day <= _shift_years(today, _FUTURE_YEARS)


def _full_year(year: str | None) -> int | None:
    """Read a two- or four-digit year."""
    if not year:
        return None
    value = int(year)
    return value + 2000 if value < 100 else value


def _place_in_time(month: int, day: int, year: int | None, today: dt.date, prefer: str) -> dt.date | None:
    """Pick the year for a day and month: the nearest one in the past or in the future."""
    if year is not None:
        return _safe_date(year, month, day)
    candidate = _safe_date(today.year, month, day)
    if candidate is None:
        return None
    if prefer == "past" and candidate > today:
        return _safe_date(today.year - 1, month, day)
    if prefer == "future" and candidate < today:
        return _safe_date(today.year + 1, month, day)
    return candidate


def _last_weekday(weekday: int, today: dt.date) -> dt.date:
    """Return the most recent ``weekday`` strictly before today (last Friday)."""
    return today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)


def _next_weekday(weekday: int, today: dt.date) -> dt.date:
    """Return the first ``weekday`` strictly after today (next Friday)."""
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _other_week_day(weekday: int, today: dt.date, weeks: int) -> dt.date:
    """Return ``weekday`` of the calendar week ``weeks`` away (上周五 is -1, 下周一 is +1)."""
    monday_this_week = today - dt.timedelta(days=today.weekday())
    return monday_this_week + dt.timedelta(weeks=weeks, days=weekday)


def _numeric_date(text: str, language: str, today: dt.date, prefer: str) -> dt.date | None:
    """Read 2026年11月3日, 11月3日, 3/5 and 31.10.2026."""
    if match := _YMD.search(text):
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _MD_CJK.search(text):
        return _place_in_time(int(match.group(1)), int(match.group(2)), None, today, prefer)
    if match := _SLASH.search(text):
        first, second = int(match.group(1)), int(match.group(2))
        month, day = (second, first) if language in {"ru", "uk"} else (first, second)
        return _place_in_time(month, day, _full_year(match.group(3)), today, prefer)
    if match := _DOTTED.search(text):
        return _place_in_time(int(match.group(2)), int(match.group(1)), _full_year(match.group(3)), today, prefer)
    return None


def _days_ago(days: int, today: dt.date) -> dt.date:
    """Return the day ``days`` before today; absurd counts stop at a day the window rejects, not an overflow."""
    return today - dt.timedelta(days=min(days, 100_000))


def _relative_day(text: str, today: dt.date) -> dt.date | None:
    """Read yesterday, 3 days ago, みっかまえ and 2 weeks ago."""
    for pattern, offset in _RELATIVE_DAYS:
        if re.search(pattern, text):
            return today + dt.timedelta(days=offset)
    if match := _DAYS_AGO.search(text):
        raw = match.group(1)
        return _days_ago(int(raw) if raw.isdigit() else int(_WORD_NUMBERS[raw]), today)
    if match := _KANA_DAYS_AGO.search(text):
        return _days_ago(_KANA_DAYS[match.group(1)], today)
    if match := _WEEKS_AGO.search(text):
        return _days_ago(7 * int(match.group(1) or 1), today)
    return None


def _find_weekday(text: str) -> tuple[int, str] | None:
    """Return (weekday, scope) of a weekday named in normalized text; scope is 'last', 'prev', 'next' or 'bare'."""
    if match := _ZH_WEEKDAY.search(text):
        weekday = 6 if match.group(2) in "日天" else int(match.group(2)) - 1
        return weekday, {"上": "prev", "下": "next"}.get(match.group(1) or "", "bare")
    if match := _JA_WEEKDAY.search(text):
        return _JA_WEEKDAY_INDEX[match.group(2) or match.group(3)], "prev" if match.group(1) else "bare"
    if match := _WEEKDAY_WORD.search(text):
        scope = "last" if match.group("last") else "prev" if _LAST_WEEK.search(text) else "bare"
        return next(i for i in range(7) if match.group(f"d{i}")), scope
    return None


def _weekday_date(text: str, today: dt.date, prefer: str, strict: bool) -> dt.date | None:
    """Read a weekday: of last or next week (上周五, 先週の月曜日), the last one (last Friday) or the nearest one."""
    found = _find_weekday(text)
    if found is None or (strict and found[1] == "bare"):
        return None  # outside a date question, "on Monday" is more often about opening hours
    weekday, scope = found
    if scope in {"prev", "next"}:
        return _other_week_day(weekday, today, -1 if scope == "prev" else 1)
    if scope == "last" or prefer == "past":
        return _last_weekday(weekday, today)
    return _next_weekday(weekday, today)


def _find_month(text: str) -> tuple[int, int, int] | None:
    """Return (month, start, end) of the first month name or 3月 in normalized text."""
    if (match := _MONTH_WORD.search(text)) and match.lastgroup:  # the group of the month: m0 ... m11
        return int(match.lastgroup[1:]) + 1, match.start(), match.end()
    if match := _MAY.search(text):
        group = 1 if match.group(1) else 2
        return 5, match.start(group), match.end(group)
    if match := _CJK_MONTH.search(text):
        return int(match.group(1)), match.start(), match.end()
    return None


def _month_name_span(text: str) -> str | None:
    """Cut "3 марта 2027" out of running text around a month name, or None when no day stands by it."""
    found = _find_month(text)
    if found is None or "月" in text[found[1] : found[2]]:
        return None  # a CJK month with a day was already read by _MD_CJK
    _, start, end = found
    before = _DAY_BEFORE.search(text[:start])
    after = _DAY_YEAR_AFTER.match(text, end)
    day_after, year = (after.group(1), after.group(2)) if after else (None, None)
    day = (before and before.group(1)) or day_after
    if not day:
        return None
    return " ".join(part for part in (day, text[start:end].rstrip("."), year) if part)


def _dateparser_day(text: str, language: str, today: dt.date, prefer: str) -> dt.date | None:
    """Let dateparser read a short candidate span: around a month name, or a short message with a digit."""
    span = _month_name_span(text)
    if span is None and _find_month(text) is None and len(text.split()) <= 4 and re.search(r"\d", text):
        # dateparser reads "3 days" as a date three days off and "2 months ago" as the 1st of a month
        span = None if parse_duration_months(text) is not None else text
    if span is None:
        return None
    own = language if language in LANGUAGES else DEFAULT_LANGUAGE
    languages = list(dict.fromkeys([own, *_DATEPARSER_FALLBACKS]))
    settings = {
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time()),
        "PREFER_DATES_FROM": prefer,
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month"],  # a month or a year alone is a DateSpan, not a day
    }
    found = dateparser.parse(span, languages=languages, settings=settings)
    return found.date() if found else None


def parse_date(text: str, language: str, today: dt.date, prefer: str = "past", strict: bool = False) -> dt.date | None:
    """Return the day a message names, or None; ``prefer`` is 'past' or 'future' for a bare day.

    ``strict`` skips dateparser, which can mistake words for dates ("may I ask"); it is used when the
    message was not an answer to a date question. A month or a year alone is not a day: see
    parse_date_span. Days more than 10 years back or 15 years ahead are read as misreadings.
    """
    normalized = normalize_text(text)
    day = (
        _numeric_date(normalized, language, today, prefer)
        or _relative_day(normalized, today)
        or _weekday_date(normalized, today, prefer, strict)
    )
    if day is None and not strict:
        day = _dateparser_day(normalized, language, today, prefer)
    return day if day and _in_window(day, today) else None


def _year_in_text(text: str) -> int | None:
    """Return the first four-digit number in a text, or None."""
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def _is_sane_year(year: int, today: dt.date) -> bool:
    """Tell whether a year lies within the years an answer can sensibly mean."""
    return today.year - _PAST_YEARS <= year <= today.year + _FUTURE_YEARS


def _month_span(text: str, today: dt.date, prefer: str) -> DateSpan | None:
    """Read a whole month ("until March", "в марте 2028", "3月まで"), placing a bare one by ``prefer``."""
    found = _find_month(text)
    year = _year_in_text(text)
    if found is None or (year is not None and not _is_sane_year(year, today)):
        return None
    month = found[0]
    if year is None and prefer == "past":
        year = today.year if month <= today.month else today.year - 1
    elif year is None:
        year = today.year if month >= today.month else today.year + 1
    last_day = calendar.monthrange(year, month)[1]
    return DateSpan(dt.date(year, month, 1), dt.date(year, month, last_day), "month")


def _year_span(text: str, today: dt.date) -> DateSpan | None:
    """Read a whole year ("until 2031", "до 2028 года", "2028年まで")."""
    year = _year_in_text(text)
    if year is None or not _is_sane_year(year, today):
        return None
    return DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")


def parse_date_span(text: str, language: str, today: dt.date, prefer: str = "future") -> DateSpan | None:
    """Return the day, month or year a message names as a span, or None."""
    if day := parse_date(text, language, today, prefer):
        return DateSpan(day, day, "day")
    normalized = normalize_text(text)
    if _find_month(normalized):
        return _month_span(normalized, today, prefer)  # "March 1990" is not the year 1990 either
    return _year_span(normalized, today)
