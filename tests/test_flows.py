"""The guided flows' actions with a real Tracker and CollectingDispatcher and fixed dates."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.child_birth import ActionChildBirthAnswer, ValidateChildBirthForm
from actions.flows.departure_order import REQUIREMENTS, ActionDepartureOrderAnswer, failed_requirements
from actions.flows.lost_card import ActionLostCardAnswer, ValidateLostCardForm
from actions.flows.reentry import ActionReentryAnswer, ValidateReentryForm, add_months, choose_permit
from actions.settings import Settings

FORMS_DOMAIN = {
    "slots": {},
    "forms": {
        "lost_card_form": {"required_slots": ["lost_noticed_date", "loss_reason"]},
        "reentry_form": {"required_slots": ["away_months", "stay_end_date"]},
        "child_birth_form": {"required_slots": ["birth_date", "child_stays_beyond_60_days"]},
    },
}


@pytest.fixture(autouse=True)
def fixed_world(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-30")


def make_tracker(slots: dict[str, Any], text: str = "", intent: str = "inform", language: str = "en",
                 active_loop: str | None = None, entities: list | None = None) -> Tracker:
    """Build a tracker with slots and a latest user message."""
    return Tracker(
        sender_id="test",
        slots={"language": language, **slots},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=[{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Action, tracker: Tracker, domain: dict | None = None) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or FORMS_DOMAIN))
    return dispatcher.messages, events


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


# Deadline arithmetic across month and year ends and a leap day.
@pytest.mark.parametrize(
    ("noticed", "deadline_text"),
    [
        ("2026-12-25", "Friday, January 8, 2027"),
        ("2026-12-17", "Thursday, December 31, 2026"),
    ],
)
def test_lost_card_deadline_is_noticed_plus_14_days_with_weekday(noticed: str, deadline_text: str) -> None:
    messages, events = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": noticed, "loss_reason": "stolen"}))
    deadline = messages[0]
    assert deadline["response"] == "utter_lost_card_deadline"
    assert deadline["deadline_date"] == deadline_text
    assert [m["response"] for m in messages[1:]] == [
        "utter_lost_card_proof_stolen", "utter_procedure_documents", "utter_office_hint", "utter_procedure_link"]
    assert slot_events(events) == {"lost_noticed_date": None, "loss_reason": None}


def test_lost_card_deadline_in_japanese_and_russian() -> None:
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-12-25", "loss_reason": "lost"}, language="ja"))
    assert messages[0]["deadline_date"] == "2027年1月8日金曜日"
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-12-25", "loss_reason": "lost"}, language="ru"))
    assert messages[0]["deadline_date"] == "пятница, 8 января 2027\u202fг."
    assert messages[0]["period"] == "14 дней"


def test_lost_card_past_deadline_is_said_kindly() -> None:
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-11-01", "loss_reason": "lost"}))
    assert messages[0]["response"] == "utter_lost_card_deadline_passed"
    assert messages[0]["deadline_date"] == "Sunday, November 15, 2026"


def test_lost_card_names_the_office_of_the_city_the_user_mentioned() -> None:
    tracker = make_tracker({"lost_noticed_date": "2026-12-28", "loss_reason": "lost"}, text="lost it in Sendai")
    messages, _ = run(ActionLostCardAnswer(), tracker)
    office = next(m for m in messages if m["response"] == "utter_office")
    assert "Sendai" in office["office_name"] and office["phones"]


@pytest.mark.parametrize(
    ("birth", "stays", "first", "deadline_text"),
    [
        ("2026-12-20", True, "utter_child_register_birth_first", "Tuesday, January 19, 2027"),
        ("2026-11-01", True, "utter_child_register_birth_first", "Tuesday, December 1, 2026"),
        ("2026-12-20", False, "utter_child_leaves_early", None),
    ],
)
def test_child_birth_answer(birth: str, stays: bool, first: str, deadline_text: str | None) -> None:
    messages, _ = run(ActionChildBirthAnswer(), make_tracker({"birth_date": birth, "child_stays_beyond_60_days": stays}))
    assert messages[0]["response"] == first
    if deadline_text:
        deadline = messages[1]
        assert deadline["deadline_date"] == deadline_text
        expected = "utter_child_deadline" if deadline_text.endswith("2027") else "utter_child_deadline_passed"
        assert deadline["response"] == expected
    else:
        assert messages[0]["stay_days"] == "60"


def test_leap_year_birth_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", "2028-02-10")
    messages, _ = run(ActionChildBirthAnswer(), make_tracker({"birth_date": "2028-02-09", "child_stays_beyond_60_days": True}))
    assert messages[1]["deadline_date"] == "Friday, March 10, 2028"


@pytest.mark.parametrize(
    ("away", "stay_end", "outcome"),
    [
        (8, dt.date(2028, 1, 1), "special"),
        (12, dt.date(2028, 6, 1), "special"),
        (13, dt.date(2029, 1, 1), "permit"),
        (8, dt.date(2027, 3, 31), "stay_ends_first"),
        (2, dt.date(2026, 12, 1), "stay_ends_first"),
    ],
)
def test_choose_permit(away: float, stay_end: dt.date, outcome: str) -> None:
    assert choose_permit(dt.date(2026, 12, 30), away, stay_end, 1) == outcome


def test_add_months_handles_month_ends() -> None:
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 30), 6) == dt.date(2027, 6, 30)


def test_reentry_answer_names_the_permit_and_dates() -> None:
    messages, _ = run(ActionReentryAnswer(), make_tracker({"away_months": 18.0, "stay_end_date": "2030-01-01"}))
    assert messages[0]["response"] == "utter_reentry_permit"
    assert messages[0]["max_years"] == "5" and messages[0]["months"] == "18"
    assert messages[-1]["response"] == "utter_procedure_link"


def test_departure_order_requirements() -> None:
    met = {slot: met_when for slot, met_when in REQUIREMENTS}
    assert failed_requirements(met) == []
    assert failed_requirements({**met, "do_deported_before": True}) == [3]
    messages, events = run(ActionDepartureOrderAnswer(), make_tracker({**met, "do_only_overstay": False}))
    assert messages[0]["response"] == "utter_departure_order_not_met"
    assert "no ground for deportation other than overstaying" in messages[0]["requirements"]
    assert messages[0]["deportation_ban_years_short"] == "5"
    assert all(value is None for value in slot_events(events).values())
    messages, _ = run(ActionDepartureOrderAnswer(), make_tracker(met))
    assert messages[0]["response"] == "utter_departure_order_met" and messages[0]["reentry_ban_years"] == "1"


def test_facts_given_up_front_fill_the_form() -> None:
    tracker = make_tracker({"requested_slot": None}, text="I lost my card yesterday in Osaka", intent="lost_residence_card")
    _, events = run(ValidateLostCardForm(), tracker)
    assert slot_events(events) == {"lost_noticed_date": "2026-12-29", "loss_reason": "lost"}


def test_an_answer_to_the_question_fills_the_slot() -> None:
    tracker = make_tracker({"requested_slot": "away_months"}, text="полгода", language="ru", active_loop="reentry_form")
    _, events = run(ValidateReentryForm(), tracker)
    assert slot_events(events) == {"away_months": 6.0}


def test_nonsense_is_reasked_politely() -> None:
    tracker = make_tracker({"requested_slot": "birth_date"}, text="banana", active_loop="child_birth_form")
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_not_a_past_date"]
    assert slot_events(events) == {"birth_date": None}


def test_a_future_date_is_not_a_birth_date() -> None:
    tracker = make_tracker({"requested_slot": "birth_date"}, text="2027-05-01", active_loop="child_birth_form")
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert slot_events(events) == {"birth_date": None}


def test_stop_is_not_an_answer() -> None:
    tracker = make_tracker({"requested_slot": "lost_noticed_date"}, text="cancel", intent="stop", active_loop="lost_card_form")
    messages, events = run(ValidateLostCardForm(), tracker)
    assert messages == [] and slot_events(events) == {}


def test_a_button_entity_answers_the_loss_reason() -> None:
    tracker = make_tracker({"requested_slot": "loss_reason", "lost_noticed_date": "2026-12-29"}, text='/inform{"loss_reason": "disaster"}',
                           active_loop="lost_card_form", entities=[{"entity": "loss_reason", "value": "disaster"}])
    _, events = run(ValidateLostCardForm(), tracker)
    assert slot_events(events) == {"loss_reason": "disaster"}
