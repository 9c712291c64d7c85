"""The answers as users read them: every procedure and status in every language, and every date.

The actions only name a response and its values; the text the user reads is the domain's
variation of that response for the language, filled the way Rasa fills it. These tests do the
same filling and compare the whole text with the files in tests/golden/, which were read once
by a person: a change of wording, a lost line or a broken placeholder is a visible diff.

To accept an intended change, rewrite the files and read the diff before committing:
``UPDATE_GOLDEN=1 .venv/app/bin/python -m pytest tests/test_rendered_answers.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.content_files import read_content, variation_language
from actions.db.engine import Database
from actions.flows.common import long_date
from actions.procedures import ActionAnswerProcedure
from actions.settings import CONTENT_DIR
from actions.statuses import ActionAnswerStatus
from bot.languages import LANGUAGES
from tests.conftest import DOMAIN, response_text

GOLDEN = Path(__file__).parent / "golden"
CONTENT = read_content(CONTENT_DIR)


@pytest.fixture(autouse=True)
def fixed_world(procedures_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-30")


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill a response the way Rasa's interpolator does: every {name} by its value."""
    missing = [name for name in re.findall(r"{([^\n{}]+?)}", template) if name not in values]
    assert not missing, f"placeholders without a value: {missing} in {template[:60]!r}"
    return re.sub(r"{([^\n{}]+?)}", lambda match: str(values[match.group(1)]), template)


def rendered(messages: list[dict], language: str) -> str:
    """Write the messages an action sent as the user reads them, with their buttons."""
    parts = []
    for message in messages:
        name = message["response"]
        variation = next(v for v in DOMAIN["responses"][name] if variation_language(v) == language)
        text = fill(variation["text"], message)
        buttons = " | ".join(button["title"] for button in variation.get("buttons") or [])
        parts.append(text + (f"\n[{buttons}]" if buttons else ""))
    return "\n\n".join(parts)


def tracker(intent: str, language: str, text: str = "") -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.99}, "entities": [], "text": text}
    return Tracker("golden", {"language": language}, latest, [], False, None, {}, "action_listen")


def compare(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: write it with UPDATE_GOLDEN=1 and read it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: compare with UPDATE_GOLDEN=1 and git diff"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_procedure_reads_as_reviewed(language: str) -> None:
    sections = []
    for key in CONTENT.procedures:
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker(key, language), {}))
        sections.append(f"=== {key} ===\n{rendered(dispatcher.messages, language)}")
    compare(f"procedures.{language}.txt", "\n\n".join(sections) + "\n")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_status_reads_as_reviewed(language: str) -> None:
    sections = []
    for key, status in CONTENT.statuses.items():
        dispatcher = CollectingDispatcher()
        asyncio.run(
            ActionAnswerStatus().run(dispatcher, tracker("status_of_residence_info", language, status["name"][language]), {})
        )
        sections.append(f"=== {key} ===\n{rendered(dispatcher.messages[:1], language)}")
    compare(f"statuses.{language}.txt", "\n\n".join(sections) + "\n")


def test_every_answer_shows_the_conditions_its_sentences_announce() -> None:
    """A procedure whose steps send the reader "below" shows what is below, in every language."""
    for language in LANGUAGES:
        for key in CONTENT.procedures:
            dispatcher = CollectingDispatcher()
            asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker(key, language), {}))
            sent = [message["response"] for message in dispatcher.messages]
            if CONTENT.sentences[language][key].conditions:
                assert "utter_procedure_conditions" in sent, (key, language)
                assert sent.index("utter_procedure_conditions") < sent.index("utter_procedure_link")


# Dates in Russian and Ukrainian: «до 16 декабря 2026 г. (среда)», never «до среда, 16 декабря».
DATE_RESPONSES = sorted(
    name
    for name, variations in DOMAIN["responses"].items()
    if any(re.search(r"{\w*date}", variation.get("text", "")) for variation in variations)
)
MONTH_AND_YEAR_ENDS = [
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 1),
    dt.date(2027, 2, 28),
    dt.date(2028, 2, 29),
    dt.date(2026, 11, 30),
    dt.date(2027, 3, 1),
]
WEEKDAYS = {
    "ru": "понедельник вторник среда четверг пятница суббота воскресенье".split(),
    "uk": [*"понеділок вівторок середа четвер пʼятниця субота неділя".split(), "п'ятниця", "п’ятниця"],
}


def test_dates_appear_in_responses() -> None:
    assert {"utter_lost_card_deadline", "utter_lost_card_deadline_today", "utter_child_deadline"} <= set(DATE_RESPONSES)


@pytest.mark.parametrize("language", ["ru", "uk"])
@pytest.mark.parametrize("name", DATE_RESPONSES)
def test_russian_and_ukrainian_dates_read_correctly_in_every_response(name: str, language: str) -> None:
    template = response_text(name, language)
    names = re.findall(r"{([^\n{}]+?)}", template)
    for date in MONTH_AND_YEAR_ENDS:
        values = {n: (long_date(date, language) if n.endswith("date") else "14 дней") for n in names}
        text = fill(template, values)
        written = long_date(date, language)
        assert written.startswith(str(date.day)), written
        assert re.search(rf"\(({'|'.join(WEEKDAYS[language])})\)$", written), written
        # No weekday right after a preposition or a verb ("до среда", "закончился понедельник").
        for weekday in WEEKDAYS[language]:
            assert not re.search(rf"(?<![(\w]){weekday}\b", text), text
        assert ".." not in text and "г.." not in text, text
        assert "((" not in text and "))" not in text, text
        assert not re.search(r"\([^()]*\([^()]*\)[^()]*\)", text), f"a date inside brackets: {text}"


def test_the_last_day_is_called_today_not_zero_days_left() -> None:
    from actions.flows.lost_card import ActionLostCardAnswer

    for language in LANGUAGES:
        slots = {"language": language, "lost_noticed_date": "2026-12-16", "loss_reason": "lost"}
        latest = {"intent": {"name": "inform", "confidence": 1.0}, "entities": [], "text": ""}
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionLostCardAnswer().run(dispatcher, Tracker("t", slots, latest, [], False, None, {}, "action_listen"), {}))
        text = rendered([m for m in dispatcher.messages if m["response"].startswith("utter_lost_card_deadline")], language)
        assert dispatcher.messages and "utter_lost_card_deadline_today" in [m["response"] for m in dispatcher.messages]
        assert re.search(r"today|сегодня|сьогодні|今天|今日", text, re.IGNORECASE), text
        assert not re.search(r"\b0\b", text), text


def test_golden_files_are_all_known() -> None:
    expected = {f"{kind}.{language}.txt" for kind in ("procedures", "statuses") for language in LANGUAGES}
    assert {path.name for path in GOLDEN.glob("*.txt")} <= expected
