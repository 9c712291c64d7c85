"""Reading dates, durations, yes/no and loss reasons from free text in five languages."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.parsing import parse_date, parse_duration_months, parse_loss_reason, parse_target_language, parse_yes_no

TODAY = dt.date(2026, 11, 21)  # a Saturday


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "yesterday", dt.date(2026, 11, 20)),
        ("en", "I noticed it last friday", dt.date(2026, 11, 20)),
        ("en", "on 3 may", dt.date(2026, 5, 3)),
        ("en", "3 days ago", dt.date(2026, 11, 18)),
        ("ru", "вчера", dt.date(2026, 11, 20)),
        ("ru", "3 мая", dt.date(2026, 5, 3)),
        ("ru", "3/5", dt.date(2026, 5, 3)),
        ("ru", "31.10.2026", dt.date(2026, 10, 31)),
        ("uk", "позавчора", dt.date(2026, 11, 19)),
        ("uk", "3 травня", dt.date(2026, 5, 3)),
        ("zh", "昨天", dt.date(2026, 11, 20)),
        ("zh", "上周五", dt.date(2026, 11, 13)),
        ("zh", "三月五号", dt.date(2026, 3, 5)),
        ("zh", "3/5", dt.date(2026, 3, 5)),
        ("ja", "きのう", dt.date(2026, 11, 20)),
        ("ja", "先週の金曜日", dt.date(2026, 11, 13)),
        ("ja", "12月25日", dt.date(2025, 12, 25)),
        ("ja", "２０２６年１１月３日", dt.date(2026, 11, 3)),
    ],
)
def test_past_dates(language: str, text: str, expected: dt.date) -> None:
    assert parse_date(text, language, TODAY, prefer="past") == expected


def test_future_dates_pick_the_next_year() -> None:
    assert parse_date("3/31", "en", TODAY, prefer="future") == dt.date(2027, 3, 31)
    assert parse_date("2027年3月31日まで", "ja", TODAY, prefer="future") == dt.date(2027, 3, 31)


@pytest.mark.parametrize("text", ["banana", "", "я не знаю", "不知道"])
def test_no_date(text: str) -> None:
    assert parse_date(text, "en", TODAY) is None


def test_strict_parsing_ignores_loose_words() -> None:
    assert parse_date("may I ask about my card", "en", TODAY, strict=True) is None


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("8 months", 8),
        ("can I go home for 8 months?", 8),
        ("полгода", 6),
        ("на 2 года", 24),
        ("пів року", 6),
        ("вісім місяців", 8),
        ("半年", 6),
        ("8个月", 8),
        ("一年半", 18),
        ("2年", 24),
        ("8か月", 8),
        ("1.5 years", 18),
    ],
)
def test_durations(text: str, months: float) -> None:
    assert parse_duration_months(text) == months


def test_no_duration() -> None:
    assert parse_duration_months("soon") is None


@pytest.mark.parametrize(
    ("text", "intent", "answer"),
    [
        ("yes", None, True),
        ("да", None, True),
        ("так", None, True),
        ("是的", None, True),
        ("はい", None, True),
        ("no", None, False),
        ("ні", None, False),
        ("没有", None, False),
        ("いいえ", None, False),
        ("whatever", "affirm", True),
        ("maybe", None, None),
    ],
)
def test_yes_no(text: str, intent: str | None, answer: bool | None) -> None:
    assert parse_yes_no(text, intent) is answer


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("someone stole it", "stolen"),
        ("у меня украли карту", "stolen"),
        ("在留卡被偷了", "stolen"),
        ("火事で燃えた", "disaster"),
        ("lost it on the train", "lost"),
        ("загубила", "lost"),
        ("hmm", None),
    ],
)
def test_loss_reasons(text: str, reason: str | None) -> None:
    assert parse_loss_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("говори по-украински", "uk"),
        ("請用日語", "ja"),  # traditional Chinese (Taiwan, Hong Kong)
        ("請說普通話", "zh"),
        ("可以用華語回答嗎", "zh"),
        ("请用日语", "ja"),
        ("英語で話して", "en"),
        ("switch to chinese", "zh"),
        ("можна російською", "ru"),
        ("請問在留卡怎麼辦", None),
    ],
)
def test_target_language(text: str, language: str | None) -> None:
    assert parse_target_language(text) == language
