"""Actions with a real Tracker and CollectingDispatcher against a real SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db.engine import close_database, open_database
from actions.fallback import ActionDidYouMean, ActionShowContacts
from actions.offices import ActionOfficeAnswer
from actions.procedures import ActionAnswerProcedure
from actions.settings import CONTENT_DIR, Settings
from actions.statuses import ActionAnswerStatus
from bot.languages import LANGUAGES


def tracker_for(intent: str, language: str | None, metadata: dict | None = None) -> Tracker:
    """Build a tracker whose latest message has ``intent``, with the language slot set."""
    latest = {"intent": {"name": intent, "confidence": 0.99}, "entities": [], "text": "…", "metadata": metadata or {}}
    return Tracker(
        sender_id="test",
        slots={"language": language},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


pytestmark = pytest.mark.usefixtures("procedures_database")


def run_action(tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


@pytest.mark.parametrize("language", LANGUAGES)
def test_lost_card_answer_is_sent_short_first_and_link_last(language: str) -> None:
    messages, events = run_action(tracker_for("lost_residence_card", language))
    assert events == []
    assert [m["response"] for m in messages] == [
        "utter_procedure_summary",
        "utter_procedure_steps",
        "utter_procedure_documents",
        "utter_procedure_conditions",
        "utter_procedure_link",
    ]
    assert "14" in messages[0]["summary"]
    assert "16" in messages[3]["conditions"]  # under 16: no photo
    assert "https://www.moj.go.jp/isa/applications/procedures/nyuukokukanri10_00010.html" in messages[-1]["links"]
    assert messages[2]["documents"].count("•") == 4


def test_the_slot_decides_the_language_and_the_clients_hint_does_not() -> None:
    """The client's language_code is a hint to the NLU only: without a slot, English, as Rasa's responses."""
    messages, _ = run_action(tracker_for("reentry_permit", "uk", {"language_code": "en-US"}))
    assert "повторн" in messages[0]["title"].lower() or "в'їзд" in messages[0]["title"].lower()
    for metadata in ({"language_code": "uk-UA"}, None):
        messages, _ = run_action(tracker_for("reentry_permit", None, metadata))
        assert "re-entry" in messages[0]["title"].lower()


def test_unknown_procedure_points_to_the_information_center() -> None:
    messages, events = run_action(tracker_for("no_such_procedure", "en"))
    assert events == []
    assert [m["response"] for m in messages] == ["utter_ask_information_center"]


def status_tracker(text: str, language: str) -> Tracker:
    latest = {"intent": {"name": "status_of_residence_info", "confidence": 0.99}, "entities": [], "text": text}
    return Tracker("test", {"language": language}, latest, [], False, None, {}, "action_listen")


@pytest.mark.parametrize(
    ("text", "language", "periods"),
    [
        ("what can I do with the permanent resident status?", "en", "no limit"),
        ("что разрешено по статусу гидзинкоку", "ru", "5 лет, 3 года, 1 год или 3 месяца"),
        ("技術・人文知識・国際業務でできる仕事は？", "ja", "5年、3年、1年、または3か月"),
        ("student visa: what can I do", "en", "a period the Minister of Justice designates, up to 4 years and 3 months"),
        ("что можно со статусом рюгаку", "ru", "срок, который устанавливает министр юстиции (самое большее — 4 года и 3 месяца)"),
        ("留学签证可以做什么", "zh", "法务大臣指定的期间（4年3个月以内）"),
        ("tourist visa", "en", "90 days, 30 days, or 15 days or less"),
        ("短期滞在で何ができますか", "ja", "90日、30日、または15日以内"),
    ],
)
def test_a_named_status_is_described_with_its_periods(text: str, language: str, periods: str) -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerStatus().run(dispatcher, status_tracker(text, language), {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_status_info", "utter_general_guidance"]
    assert dispatcher.messages[0]["periods"] == periods
    assert dispatcher.messages[0]["activities"]


def test_without_a_status_name_the_general_answer_is_given() -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerStatus().run(dispatcher, status_tracker("what visa types exist", "en"), {}))
    assert dispatcher.messages[0]["response"] == "utter_procedure_summary"


@pytest.mark.parametrize(
    ("action", "intent", "expected"),
    [
        (ActionAnswerProcedure(), "lost_residence_card", ["utter_temporarily_unavailable"]),
        (ActionAnswerStatus(), "status_of_residence_info", ["utter_temporarily_unavailable"]),
        (ActionOfficeAnswer(), "find_immigration_office", ["utter_temporarily_unavailable"]),
        (ActionShowContacts(), "contact_information_center", ["utter_ask_information_center"]),
        (ActionDidYouMean(), "nlu_fallback", ["utter_default"]),
    ],
)
def test_a_broken_database_gets_a_polite_answer_not_a_crash(
    action: Action,
    intent: str,
    expected: list[str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = tmp_path / "procedures.sqlite"
    broken.write_bytes(b"this is not a SQLite database" * 200)
    close_database()
    open_database(Settings(database_url=f"sqlite:///{broken}", content_dir=CONTENT_DIR))
    tracker = tracker_for(intent, "en")
    tracker.slots["office_prefecture"] = "tokyo"
    tracker.latest_message["intent_ranking"] = [{"name": "lost_residence_card", "confidence": 0.3}]
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == expected
    assert "Procedures database unavailable" in caplog.text
