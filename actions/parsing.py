"""Read the values the guided flows need from free text in five languages.

Dates ("yesterday", "3 мая", "上周五", "3/5"), durations ("8 months", "полгода", "半年"),
yes/no answers and how a card was lost. Numeric and relative forms that dateparser misses for
Chinese and Japanese are read here first; dateparser handles month names and the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from dateparser.search import search_dates

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WORD_NUMBERS = {
    # en
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    # ru
    "один": 1, "одну": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12,
    # uk
    "одну": 1, "дві": 2, "чотири": 4, "п'ять": 5, "пʼять": 5, "шість": 6, "сім": 7, "вісім": 8,
    "дев'ять": 9, "десять": 10, "одинадцять": 11, "дванадцять": 12,
}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "понедельник": 0, "вторник": 1, "сред": 2, "четверг": 3, "пятниц": 4, "суббот": 5, "воскресень": 6,
    "понеділ": 0, "вівтор": 1, "серед": 2, "четвер": 3, "п'ятниц": 4, "пʼятниц": 4, "субот": 5, "неділ": 6,
}
_CJK_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                 "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5}
_RELATIVE_DAYS = [
    (r"day before yesterday|позавчера|позавчора|前天|1昨日|おととい", -2),
    (r"yesterday|вчера|вчора|昨天|昨日|きのう", -1),
    (r"today|сегодня|сьогодні|今天|今日|きょう", 0),
    (r"tomorrow|завтра|明天|明日|あした", 1),
]
_DAYS_AGO = re.compile(r"(\d+)\s*(?:days? ago|дн(?:я|ей|і|ів)? (?:назад|тому)|天前|日前)")
_YMD = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})")
_MD_CJK = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{2,4}))?(?![\d/])")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?:\.(\d{2,4}))?(?![\d.])")
_DATEPARSER_LANGUAGES = {"en": "en", "ru": "ru", "uk": "uk", "zh": "zh", "ja": "ja"}


def normalize_text(text: str) -> str:
    """Fold full-width digits and letters, lowercase, and write kanji numbers as digits."""
    folded = unicodedata.normalize("NFKC", text).lower()
    folded = re.sub(r"十([一二三四五六七八九])", lambda m: "1" + str(_KANJI_DIGITS[m.group(1)]), folded)
    folded = re.sub(r"([一二三四五六七八九])十", lambda m: str(_KANJI_DIGITS[m.group(1)]) + "0", folded)
    folded = folded.replace("十", "10")
    return "".join(str(_KANJI_DIGITS[c]) if c in _KANJI_DIGITS else c for c in folded)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _full_year(year: str | None, today: dt.date) -> int | None:
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
    """Return the most recent past ``weekday`` before today (last Friday)."""
    delta = (today.weekday() - weekday) % 7 or 7
    return today - dt.timedelta(days=delta)


def _previous_week_day(weekday: int, today: dt.date) -> dt.date:
    """Return ``weekday`` of the previous calendar week (上周五, 先週の金曜日)."""
    monday_this_week = today - dt.timedelta(days=today.weekday())
    return monday_this_week - dt.timedelta(days=7 - weekday)


def _relative_date(text: str, today: dt.date) -> dt.date | None:
    for pattern, offset in _RELATIVE_DAYS:
        if re.search(pattern, text):
            return today + dt.timedelta(days=offset)
    if match := _DAYS_AGO.search(text):
        return today - dt.timedelta(days=int(match.group(1)))
    if match := re.search(r"(?:上周|上星期|上礼拜|先週の?)([一二三四五六日天月火水木金土1-6])", text):
        char = match.group(1)
        weekday = int(char) - 1 if char.isdigit() else _CJK_WEEKDAYS[char]
        return _previous_week_day(weekday, today)
    if match := re.search(r"(?:last|прошл\w*|минул\w*)\s+(\w+['ʼ]?\w*)", text):
        for name, weekday in _WEEKDAYS.items():
            if match.group(1).startswith(name):
                return _last_weekday(weekday, today)
    return None


def parse_date(
    text: str, language: str, today: dt.date, prefer: str = "past", strict: bool = False
) -> dt.date | None:
    """Return the date a message names, or None; ``prefer`` is 'past' or 'future' for a bare day.

    ``strict`` skips dateparser's search in running text, which can mistake words for dates
    ("may I ask"); it is used when the message was not an answer to a date question.
    """
    normalized = normalize_text(text)
    if match := _YMD.search(normalized):
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _MD_CJK.search(normalized):
        return _place_in_time(int(match.group(1)), int(match.group(2)), None, today, prefer)
    if match := _SLASH.search(normalized):
        first, second = int(match.group(1)), int(match.group(2))
        month, day = (second, first) if language in {"ru", "uk"} else (first, second)
        return _place_in_time(month, day, _full_year(match.group(3), today), today, prefer)
    if match := _DOTTED.search(normalized):
        return _place_in_time(int(match.group(2)), int(match.group(1)), _full_year(match.group(3), today), today, prefer)
    if relative := _relative_date(normalized, today):
        return relative
    if strict:
        return None
    base = dt.datetime.combine(today, dt.time())
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer, "PREFER_DAY_OF_MONTH": "first"}
    found = search_dates(text, languages=[_DATEPARSER_LANGUAGES.get(language, "en")], settings=settings)
    if found:
        return found[0][1].date()
    return None


_DURATION_UNITS = [
    (r"years?|yrs?|год(?:а|ов)?|лет|рок(?:и|ів)?|рік|年", 12.0),
    (r"months?|mos?|месяц\w*|мес|місяц\w*|міс|个月|個月|ヶ月|か月|カ月|ケ月|ヵ月|箇月|月", 1.0),
    (r"weeks?|недел\w*|нед|тижн\w*|тиждень|个星期|星期|周|週間|週", 12.0 / 52),
    (r"days?|дн(?:я|ей|і|ів)|день|天|日間|日", 12.0 / 365),
]
_HALF_YEAR = re.compile(r"half a year|half year|полгода|пол года|пів ?року|半年")
_YEAR_AND_HALF = re.compile(r"(?:a |one )?year and a half|полтора года|півтора року|1年半|1年半")
_A_YEAR = re.compile(r"(?<!\d)(?:a year|one year|год|рік|1年)(?!\w)")


def parse_duration_months(text: str) -> float | None:
    """Return how many months a message says ("8 months", "полгода", "半年", "2年"), or None."""
    normalized = normalize_text(text)
    if _YEAR_AND_HALF.search(normalized):
        return 18.0
    if _HALF_YEAR.search(normalized):
        return 6.0
    words = "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
    number = rf"(\d+(?:[.,]\d+)?|{words})"
    for unit, months in _DURATION_UNITS:
        if match := re.search(rf"(?<![0-9a-zа-яёіїєґ.]){number}\s*-?\s*(?:{unit})", normalized):
            raw = match.group(1).replace(",", ".")
            value = float(raw) if raw[0].isdigit() else float(_WORD_NUMBERS[raw])
            return round(value * months, 2)
    if _A_YEAR.search(normalized):
        return 12.0
    return None


_YES = re.compile(r"^(?:yes|yeah|yep|sure|correct|right|ok|да|ага|верно|так|звісно|是|是的|对|对的|有|好|はい|そうです|ええ|うん)(?:\W|$)")
_NO = re.compile(r"^(?:no|nope|not|never|нет|неа|никогда|ні|ніколи|不|不是|没有|没|否|いいえ|いや|ない|ありません|ちがいます)(?:\W|$)")


def parse_yes_no(text: str, intent: str | None) -> bool | None:
    """Return True for yes, False for no (by intent first, then by words), or None."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    normalized = normalize_text(text).strip()
    if _NO.search(normalized):
        return False
    if _YES.search(normalized):
        return True
    return None


LOSS_REASONS: dict[str, str] = {
    "stolen": r"stole|stolen|theft|thief|robbed|pickpocket|укра|краж|вор|вкра|краді|злодій|被偷|偷|被盗|盗|扒手|盗まれ|盗難|すられ|スリ|とられ",
    "disaster": r"disaster|fire|flood|earthquake|typhoon|tsunami|пожар|наводнен|землетряс|стихийн|тайфун|повін|землетрус|стихійн|火灾|火災|火事|燃え|焼け|地震|洪水|台风|台風|灾害|災害|津波|水害|罹災|被災",
    "lost": r"lost|lose|missing|can't find|cannot find|потерял|потеря|утер|не могу найти|пропал|загуб|втрат|не можу знайти|зник|丢|遗失|遺失|找不到|不见了|落とし|なくし|無くし|紛失|失くし|見つからない",
}


def parse_loss_reason(text: str) -> str | None:
    """Return 'stolen', 'disaster' or 'lost' when a message says how the card was lost."""
    normalized = normalize_text(text)
    for reason, pattern in LOSS_REASONS.items():
        if re.search(pattern, normalized):
            return reason
    return None


_LANGUAGE_NAMES = {
    "uk": r"ukrain|украин|україн|乌克兰|烏克蘭|ウクライナ",
    "ru": r"russian|русск|по-русски|російськ|росій|俄|ロシア",
    "en": r"english|англ|英",
    "zh": r"chinese|китай|中文|汉语|漢語|普通话|中国語|中国话",
    "ja": r"japanese|япон|日语|日本語|日本话|にほんご",
}


def parse_target_language(text: str) -> str | None:
    """Return the language a user asks to switch to ("говори по-украински" → 'uk'), or None."""
    normalized = normalize_text(text)
    for language, pattern in _LANGUAGE_NAMES.items():
        if re.search(pattern, normalized):
            return language
    return None
