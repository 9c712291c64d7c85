"""Bounded dates, month and year spans, durations, hedges, loss reasons, stay plans and kana dates."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import inspect

import pytest

import actions.parsing_words
from actions.parsing import (
    DURATION_BOUNDS_MONTHS,
    DateSpan,
    duration_in_bounds,
    is_unsure,
    normalize_text,
    parse_date,
    parse_date_span,
    parse_duration_months,
    parse_loss_reason,
    parse_stay_plan,
    parse_yes_no,
)

TODAY = dt.date(2026, 12, 30)  # a Wednesday


def _month(year: int, month: int) -> DateSpan:
    """Build the span of a whole month."""
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return DateSpan(dt.date(year, month, 1), dt.date(year, month, last), "month")


def _year(year: int) -> DateSpan:
    """Build the span of a whole year."""
    return DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")


# ---------------------------------------------------------------- 1. bounded date parsing


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "2028"),
        ("en", "until 2031"),
        ("ru", "до 2028 года"),
        ("ja", "2028年まで"),
        ("ja", "2028年"),
        ("zh", "到2031年"),
        ("en", "until March"),
        ("ru", "до марта"),
        ("uk", "до березня"),
        ("ja", "3月まで"),
        ("zh", "到三月"),
        ("en", "March 2028"),
        ("ru", "в марте 2028"),
        ("en", "may I ask something"),
        ("en", "I will come back in 2028 I think"),
        ("en", "3 days"),
        ("en", "200 months"),
        ("en", "2 months ago"),
        ("en", "room 12"),
        ("en", "the 5th"),
        ("ru", "мой номер 5555"),
        ("en", "banana"),
        ("uk", "гадки не маю"),
    ],
)
def test_no_day_no_date(language: str, text: str) -> None:
    assert parse_date(text, language, TODAY, prefer="future") is None
    assert parse_date(text, language, TODAY, prefer="past") is None


@pytest.mark.parametrize(
    ("language", "text", "prefer", "expected"),
    [
        ("en", "I lost it on the 3rd of may at Shinjuku station", "past", dt.date(2026, 5, 3)),
        ("ru", "потеряла 5 марта вечером", "past", dt.date(2026, 3, 5)),
        ("ru", "3-го марта", "past", dt.date(2026, 3, 3)),
        ("uk", "загубила 5 березня", "past", dt.date(2026, 3, 5)),
        ("en", "until march 31", "future", dt.date(2027, 3, 31)),
        ("uk", "на 3 квітня", "future", dt.date(2027, 4, 3)),
        ("en", "the 5th of march 2027", "future", dt.date(2027, 3, 5)),
        ("en", "3 may 2041", "future", dt.date(2041, 5, 3)),
        ("ru", "31.12.2016", "past", dt.date(2016, 12, 31)),
    ],
)
def test_month_name_dates_in_running_text(language: str, text: str, prefer: str, expected: dt.date) -> None:
    assert parse_date(text, language, TODAY, prefer=prefer) == expected


@pytest.mark.parametrize(
    ("text", "prefer"),
    [("3 may 2042", "future"), ("3 may 2016", "past"), ("3 may 1990", "past"), ("2044年5月3日", "future"), ("1.1.1999", "past")],
)
def test_dates_outside_the_window_are_rejected(text: str, prefer: str) -> None:
    assert parse_date(text, "en", TODAY, prefer=prefer) is None


@pytest.mark.parametrize("text", ["99999999 days ago", "99999999 weeks ago", "0000年1月1日", "31.10.9999"])
def test_absurd_numbers_are_not_dates_and_do_not_raise(text: str) -> None:
    assert parse_date(text, "en", TODAY) is None
    assert parse_date_span(text, "en", TODAY) is None


def test_dateparser_sees_only_a_short_span(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real_parse = actions.parsing.dateparser.parse

    def spy(text: str, **kwargs: object) -> dt.datetime | None:
        seen.append(text)
        return real_parse(text, **kwargs)

    monkeypatch.setattr(actions.parsing.dateparser, "parse", spy)
    assert parse_date("I lost it on the 3rd of may at Shinjuku station", "en", TODAY) == dt.date(2026, 5, 3)
    assert parse_date("yes, I will be back in 2028 I think, or maybe in a year", "en", TODAY) is None
    assert seen == ["3 may"]


def test_strict_parsing_never_calls_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("dateparser called in strict mode")

    monkeypatch.setattr(actions.parsing.dateparser, "parse", boom)
    assert parse_date("3 мая", "ru", TODAY, strict=True) is None
    assert parse_date("may I ask about my card", "en", TODAY, strict=True) is None
    assert parse_date("on Monday", "en", TODAY, strict=True) is None  # more often opening hours than a date
    assert parse_date("3/5", "ru", TODAY, strict=True) == dt.date(2026, 5, 3)
    assert parse_date("last friday", "en", TODAY, strict=True) == dt.date(2026, 12, 25)
    assert parse_date("先週の月曜日", "ja", TODAY, strict=True) == dt.date(2026, 12, 21)


# ---------------------------------------------------------------- 2. months and years are spans


@pytest.mark.parametrize(
    ("language", "text", "prefer", "expected"),
    [
        ("en", "2028", "future", _year(2028)),
        ("en", "until 2031", "future", _year(2031)),
        ("ru", "до 2028 года", "future", _year(2028)),
        ("ja", "2028年まで", "future", _year(2028)),
        ("ja", "2028年", "future", _year(2028)),
        ("zh", "到2031年", "future", _year(2031)),
        ("en", "2016", "past", _year(2016)),
        ("en", "until March", "future", _month(2027, 3)),
        ("ru", "до марта", "future", _month(2027, 3)),
        ("uk", "до березня", "future", _month(2027, 3)),
        ("ja", "3月まで", "future", _month(2027, 3)),
        ("zh", "到三月", "future", _month(2027, 3)),
        ("en", "March 2028", "future", _month(2028, 3)),
        ("ru", "в марте 2028", "future", _month(2028, 3)),
        ("zh", "2028年3月", "future", _month(2028, 3)),
        ("en", "until March", "past", _month(2026, 3)),
        ("ru", "в феврале", "future", _month(2027, 2)),
        ("en", "until December", "future", _month(2026, 12)),  # the month is not over yet
        ("en", "in may", "future", _month(2027, 5)),
        ("ru", "3 мая", "future", DateSpan(dt.date(2027, 5, 3), dt.date(2027, 5, 3), "day")),
        ("ja", "2027年3月31日まで", "future", DateSpan(dt.date(2027, 3, 31), dt.date(2027, 3, 31), "day")),
    ],
)
def test_date_spans(language: str, text: str, prefer: str, expected: DateSpan) -> None:
    assert parse_date_span(text, language, TODAY, prefer=prefer) == expected


@pytest.mark.parametrize(
    "text", ["banana", "8 months", "3ヶ月", "на 8 месяцев", "March 1990", "2042", "0000", "may I ask something"]
)
def test_no_date_span(text: str) -> None:
    assert parse_date_span(text, "en", TODAY) is None


def test_date_span_is_frozen_and_defaults_to_the_future() -> None:
    span = parse_date_span("until March", "en", TODAY)
    assert span == _month(2027, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        span.grain = "day"  # type: ignore[misc]


# ---------------------------------------------------------------- 3. durations


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("两年", 24),
        ("三个月", 3),
        ("十二个月", 12),
        ("一年半", 18),
        ("半个月", 0.5),
        ("一个半月", 1.5),
        ("二十五个月", 25),
        ("3かげつ", 3),
        ("さんかげつ", 3),
        ("3ヶ月", 3),
        ("はんとし", 6),
        ("いちねん", 12),
        ("にねん", 24),
        ("半年", 6),
        ("1年半", 18),
        ("いっかげつ", 1),
        ("じゅうにかげつ", 12),
        ("日本ににねん", 24),
        ("3 kagetsu", 3),
        ("ni nen", 24),
        ("на 2 года", 24),
        ("полгода", 6),
        ("два месяца", 2),
        ("на два місяці", 2),
        ("півтора року", 18),
        ("на рік", 12),
        ("полтора месяца", 1.5),
        ("2 years", 24),
        ("a year and a half", 18),
        ("and if it were 2 years?", 24),
        ("half a year", 6),
        ("2028年から2年", 24),
        ("200 months", 200),
    ],
)
def test_durations(text: str, months: float) -> None:
    assert parse_duration_months(text) == months


@pytest.mark.parametrize(("text", "months"), [("两个星期", 0.46), ("six weeks", 1.38)])
def test_weeks_in_months(text: str, months: float) -> None:
    assert parse_duration_months(text) == pytest.approx(months, abs=0.01)


@pytest.mark.parametrize("text", ["срок до 2028 года", "2028年", "until 2028", "soon", "wait a moment", "3月", "12月25日"])
def test_no_duration(text: str) -> None:
    assert parse_duration_months(text) is None


def test_duration_bounds() -> None:
    assert DURATION_BOUNDS_MONTHS == (0.0, 120.0)
    assert parse_duration_months("200 months") == 200.0
    assert not duration_in_bounds(200.0)
    assert not duration_in_bounds(0.0)
    assert duration_in_bounds(0.5)
    assert duration_in_bounds(120.0)
    assert not duration_in_bounds(120.01)


def test_word_numbers_have_no_duplicate_keys() -> None:
    tree = ast.parse(inspect.getsource(actions.parsing_words))
    table = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_WORD_NUMBERS"
    )
    keys = [key.value for key in table.keys]
    assert len(keys) == len(set(keys))


def test_kanji_numbers() -> None:
    assert normalize_text("二十五") == "25"
    assert normalize_text("十二") == "12"
    assert normalize_text("二十") == "20"
    assert normalize_text("二〇二八年") == "2028年"


# ---------------------------------------------------------------- 4. hedges and yes/no


HEDGES = [
    "I don't know",
    "not sure",
    "no idea",
    "maybe",
    "I can't remember",
    "I can’t remember",
    "dunno",
    "не знаю",
    "не уверен",
    "не уверена",
    "понятия не имею",
    "не помню",
    "не пам'ятаю",
    "не пам’ятаю",
    "не впевнений",
    "не впевнена",
    "гадки не маю",
    "може бути",
    "不知道",
    "不清楚",
    "不确定",
    "记不得了",
    "也许",
    "わからない",
    "わかりません",
    "分からない",
    "しらない",
    "知らない",
    "たぶん",
    "覚えていない",
    "おぼえてない",
    "wakaranai",
]


@pytest.mark.parametrize("text", HEDGES)
def test_hedges_are_neither_yes_nor_no(text: str) -> None:
    assert is_unsure(text)
    for intent in (None, "deny", "affirm"):
        assert parse_yes_no(text, intent) is None


@pytest.mark.parametrize("text", ["yes", "no", "да", "нет", "是", "没有", "はい", "わかりました", "I know", "ok"])
def test_not_hedges(text: str) -> None:
    assert not is_unsure(text)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("はい", True),
        ("いいえ", False),
        ("ええ", True),
        ("うん", True),
        ("ううん", False),
        ("ありません", False),
        ("あります", True),
        ("いいえ、ありません", False),
        ("不是", False),
        ("没有", False),
        ("是", True),
        ("有", True),
        ("对", True),
        ("没有被判过刑", False),
        ("ええと", None),
        ("no", False),
        ("yes", True),
    ],
)
def test_yes_no_words(text: str, answer: bool | None) -> None:
    assert parse_yes_no(text, None) is answer


def test_intent_still_decides_plain_answers() -> None:
    assert parse_yes_no("nah", "deny") is False
    assert parse_yes_no("sure thing", "affirm") is True


# ---------------------------------------------------------------- 5. loss reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("とられました", "stolen"),
        ("ぬすまれました", "stolen"),
        ("すられた", "stolen"),
        ("someone took it from my bag", "stolen"),
        ("took it", "stolen"),
        ("it was taken", "stolen"),
        ("взяли из сумки", "stolen"),
        ("вытащили", "stolen"),
        ("забрали", "stolen"),
        ("витягли", "stolen"),
        ("被人拿走了", "stolen"),
        ("被拿走", "stolen"),
        ("かじで", "disaster"),
        ("じしんで", "disaster"),
        ("つなみ", "disaster"),
        ("火事で焼けました", "disaster"),
        ("おとしました", "lost"),
        ("なくしました", "lost"),
        ("I lost my card", "lost"),
        ("my residence card", None),
        ("моя карта", None),
        ("在留カード", None),
        ("在留卡", None),
        ("я говорю по-русски", None),
        ("я из Украины", None),
        ("close the door", None),
        ("возникли проблемы", None),
    ],
)
def test_loss_reasons(text: str, reason: str | None) -> None:
    assert parse_loss_reason(text) == reason


# ---------------------------------------------------------------- 6. stay plans


@pytest.mark.parametrize(
    ("text", "stays"),
    [
        ("she will live here with us", True),
        ("we're staying here", True),
        ("we live in Japan", True),
        ("он будет жить с нами в Японии", True),
        ("мы остаёмся", True),
        ("ми залишаємося", True),
        ("вона житиме з нами тут", True),
        ("我们会一直住在日本", True),
        ("孩子和我们一起住在日本", True),
        ("日本に すみます", True),
        ("ずっと 日本に いる", True),
        ("日本で そだてます", True),
        ("we won't go home", True),
        ("we go home next month", False),
        ("we will leave in three weeks", False),
        ("через месяц уедем домой", False),
        ("скоро поїдемо додому", False),
        ("下个月就回国", False),
        ("来月 国に かえります", False),
        ("we are not staying", False),
        ("hmm", None),
        ("すみません", None),
        ("we will stay a week and then go home", None),
    ],
)
def test_stay_plans(text: str, stays: bool | None) -> None:
    assert parse_stay_plan(text) is stays


# ---------------------------------------------------------------- 7. kana dates and weekdays


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("ja", "きのう", dt.date(2026, 12, 29)),
        ("ja", "おととい", dt.date(2026, 12, 28)),
        ("ja", "きょう", TODAY),
        ("ja", "せんしゅうの げつようび", dt.date(2026, 12, 21)),
        ("ja", "せんしゅうのきんようび", dt.date(2026, 12, 25)),
        ("ja", "みっかまえ", dt.date(2026, 12, 27)),
        ("ja", "3にちまえ", dt.date(2026, 12, 27)),
        ("ja", "月曜日", dt.date(2026, 12, 28)),
        ("ja", "げつようび", dt.date(2026, 12, 28)),
        ("ja", "先週の月曜日", dt.date(2026, 12, 21)),
        ("ja", "にちようび", dt.date(2026, 12, 27)),
        ("en", "on Monday", dt.date(2026, 12, 28)),
        ("en", "on Wednesday", dt.date(2026, 12, 23)),
        ("ru", "в понедельник", dt.date(2026, 12, 28)),
        ("ru", "в среду", dt.date(2026, 12, 23)),
        ("uk", "у понеділок", dt.date(2026, 12, 28)),
        ("uk", "у п’ятницю", dt.date(2026, 12, 25)),
        ("ru", "на прошлой неделе в понедельник", dt.date(2026, 12, 21)),
        ("zh", "星期一", dt.date(2026, 12, 28)),
        ("zh", "周一", dt.date(2026, 12, 28)),
        ("zh", "星期天", dt.date(2026, 12, 27)),
        ("zh", "上周五", dt.date(2026, 12, 25)),
        ("en", "2 weeks ago", dt.date(2026, 12, 16)),
        ("ru", "неделю назад", dt.date(2026, 12, 23)),
    ],
)
def test_past_kana_dates_and_weekdays(language: str, text: str, expected: dt.date) -> None:
    assert parse_date(text, language, TODAY, prefer="past") == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [("en", "on Monday", dt.date(2027, 1, 4)), ("zh", "下周一", dt.date(2027, 1, 4)), ("ja", "きんようび", dt.date(2027, 1, 1))],
)
def test_future_weekdays(language: str, text: str, expected: dt.date) -> None:
    assert parse_date(text, language, TODAY, prefer="future") == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("two days ago", "en", dt.date(2026, 12, 28)),
        ("три дня назад", "ru", dt.date(2026, 12, 27)),
        ("два дні тому", "uk", dt.date(2026, 12, 28)),
        ("учора", "uk", dt.date(2026, 12, 29)),
    ],
)
def test_days_ago_in_words_and_the_other_ukrainian_yesterday(text: str, language: str, expected: dt.date) -> None:
    assert parse_date(text, language, dt.date(2026, 12, 30), prefer="past") == expected


@pytest.mark.parametrize(
    ("text", "intent", "answer"),
    [
        # A reply that opens with yes or no is that answer, whatever the rest sounds like to the classifier.
        ("да, больше ничего", "deny", True),
        ("yes, nothing else", "deny", True),
        ("так, більше нічого", "deny", True),
        ("是的，没有别的问题", "deny", True),
        ("no, everything is fine", "affirm", False),
        ("нет, всё в порядке", "affirm", False),
        ("いいえ、だいじょうぶです", "affirm", False),
        # Openings that say neither by themselves: the classifier decides.
        ("да нет, не было", "deny", False),  # Russian "да нет" is a no
        ("да, нет", "deny", False),
        ("no problem", "affirm", True),
        ("no doubt about it", "affirm", True),
        ("нет проблем", "affirm", True),
        ("没问题", "affirm", True),
        ("没错", "affirm", True),  # "correct"
        ("有点难说", "deny", False),
        ("好难啊，没有", "deny", False),
        ("так и не нашёл её", "deny", False),
        ("так само ні", "deny", False),
        ("right now I can't", "deny", False),
        ("そうですね、とくにないです", "deny", False),
        ("はい、ありません", "deny", False),  # "yes, there is none" answers a negative question
    ],
)
def test_an_opening_yes_or_no_outweighs_the_classifier(text: str, intent: str, answer: bool) -> None:
    assert parse_yes_no(text, intent) is answer
