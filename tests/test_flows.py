"""The guided flows' actions with a real Tracker and CollectingDispatcher and fixed dates.

Trackers hold several user events where the behaviour depends on the conversation so far
(an interruption, a correction after the answer, a switch between flows).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db.engine import Database
from actions.flows.child_birth import ActionChildBirthAnswer, ValidateChildBirthForm
from actions.flows.common import FlowQuestion, long_date, question_actions
from actions.flows.departure_order import (
    REQUIREMENTS,
    ActionDepartureOrderAnswer,
    ValidateDepartureOrderForm,
    failed_requirements,
)
from actions.flows.lost_card import ActionLostCardAnswer, ValidateLostCardForm
from actions.flows.reentry import ActionReentryAnswer, ValidateReentryForm, add_months, choose_permit
from actions.flows.repair import ActionProcedureSummary, ActionRepeatAnswer, ActionRouteFacts

DOMAIN: dict[str, Any] = {"slots": {}, "forms": {}}
MET = {slot: met_when for slot, met_when in REQUIREMENTS}


@pytest.fixture(autouse=True)
def fixed_world(procedures_database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-12-30")


def make_tracker(
    slots: dict[str, Any],
    text: str = "",
    intent: str = "inform",
    language: str = "en",
    active_loop: str | None = None,
    entities: list | None = None,
    events: list[dict] | None = None,
    latest_action: str = "action_listen",
) -> Tracker:
    """Build a tracker with slots, the events so far and a latest user message."""
    return Tracker(
        sender_id="test",
        slots={"language": language, **slots},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        events=(events or []) + [{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name=latest_action,
    )


def run(action: Action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def responses(messages: list[dict]) -> list[str]:
    return [message["response"] for message in messages]


# Answers: deadline arithmetic across month and year ends (the leap day is further down).
@pytest.mark.parametrize(
    ("noticed", "deadline_text"),
    [("2026-12-25", "Friday, January 8, 2027"), ("2026-12-17", "Thursday, December 31, 2026")],
)
def test_lost_card_deadline_is_noticed_plus_14_days_with_weekday(noticed: str, deadline_text: str) -> None:
    messages, events = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": noticed, "loss_reason": "stolen"}))
    assert messages[0]["response"] == "utter_lost_card_deadline"
    assert messages[0]["deadline_date"] == deadline_text
    assert responses(messages[1:]) == [
        "utter_lost_card_proof_stolen",
        "utter_procedure_documents",
        "utter_office_hint",
        "utter_procedure_link",
    ]
    # The facts are kept, so that a correction or a what-if revises this answer.
    assert slot_events(events) == {
        "last_flow": "lost_card",
        "repair_attempts": None,
        "answered_facts": {"lost_noticed_date": noticed, "loss_reason": "stolen", "lost_card_prefecture": None},
    }


def test_lost_card_deadline_in_japanese_and_russian() -> None:
    messages, _ = run(
        ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-12-25", "loss_reason": "lost"}, language="ja")
    )
    assert messages[0]["deadline_date"] == "2027年1月8日金曜日"
    messages, _ = run(
        ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-12-25", "loss_reason": "lost"}, language="ru")
    )
    assert messages[0]["deadline_date"] == "8 января 2027\u202fг. (пятница)"
    assert messages[0]["period"] == "14 дней"


@pytest.mark.parametrize(
    ("date", "language", "written"),
    [
        (dt.date(2026, 12, 16), "ru", "16 декабря 2026\u202fг. (среда)"),
        (dt.date(2026, 12, 31), "ru", "31 декабря 2026\u202fг. (четверг)"),
        (dt.date(2027, 1, 1), "ru", "1 января 2027\u202fг. (пятница)"),
        (dt.date(2027, 2, 28), "ru", "28 февраля 2027\u202fг. (воскресенье)"),
        (dt.date(2026, 12, 16), "uk", "16 грудня 2026\u202fр. (середа)"),
        (dt.date(2026, 12, 31), "uk", "31 грудня 2026\u202fр. (четвер)"),
        (dt.date(2027, 1, 1), "uk", "1 січня 2027\u202fр. (пʼятниця)"),
        (dt.date(2027, 3, 1), "uk", "1 березня 2027\u202fр. (понеділок)"),
    ],
)
def test_russian_and_ukrainian_dates_put_the_weekday_after_the_date(date: dt.date, language: str, written: str) -> None:
    assert long_date(date, language) == written


def test_lost_card_past_deadline_is_said_kindly() -> None:
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-11-01", "loss_reason": "lost"}))
    assert messages[0]["response"] == "utter_lost_card_deadline_passed"
    assert messages[0]["deadline_date"] == "Sunday, November 15, 2026"


def test_lost_card_names_the_office_of_the_place_read_during_the_flow() -> None:
    tracker = make_tracker({"lost_noticed_date": "2026-12-28", "loss_reason": "lost", "lost_card_prefecture": "miyagi"})
    messages, _ = run(ActionLostCardAnswer(), tracker)
    office = next(m for m in messages if m["response"] == "utter_office")
    assert "Sendai" in office["office_name"] and "022-256-6076" in office["phones"]


def test_unsure_loss_reason_shows_both_police_proofs() -> None:
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2026-12-28", "loss_reason": "unsure"}))
    assert "utter_lost_card_proof_lost" in responses(messages) and "utter_lost_card_proof_stolen" in responses(messages)


@pytest.mark.parametrize(
    ("birth", "stays", "expected", "deadline_text"),
    [
        ("2026-12-20", True, ["utter_child_register_birth_first", "utter_child_deadline"], "Tuesday, January 19, 2027"),
        ("2026-11-01", True, ["utter_child_register_birth_first", "utter_child_deadline_passed"], "Tuesday, December 1, 2026"),
        (
            "2026-12-20",
            "unsure",
            ["utter_child_register_birth_first", "utter_child_deadline", "utter_child_stay_unsure"],
            "Tuesday, January 19, 2027",
        ),
        ("2026-12-20", False, ["utter_child_leaves_early"], None),
    ],
)
def test_child_birth_answer(birth: str, stays: Any, expected: list[str], deadline_text: str | None) -> None:
    messages, _ = run(ActionChildBirthAnswer(), make_tracker({"birth_date": birth, "child_stays_beyond_60_days": stays}))
    assert responses(messages)[: len(expected)] == expected
    if deadline_text:
        assert messages[1]["deadline_date"] == deadline_text
    else:
        assert messages[0]["stay_days"] == "60"


# 29 February 2028 is a day like any other: 30 days from 9 February 2028 end on 10 March, a day
# earlier than the same 30 days in 2027, and a child born on the leap day is answered too.
@pytest.mark.parametrize(
    ("today", "birth", "deadline_text"),
    [
        ("2028-02-10", "2028-02-09", "Friday, March 10, 2028"),
        ("2027-02-10", "2027-02-09", "Thursday, March 11, 2027"),
        ("2028-03-01", "2028-02-29", "Thursday, March 30, 2028"),
    ],
)
def test_the_birth_deadline_counts_the_leap_day(
    monkeypatch: pytest.MonkeyPatch, today: str, birth: str, deadline_text: str
) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", today)
    messages, _ = run(ActionChildBirthAnswer(), make_tracker({"birth_date": birth, "child_stays_beyond_60_days": True}))
    assert responses(messages)[:2] == ["utter_child_register_birth_first", "utter_child_deadline"]
    assert messages[1]["deadline_date"] == deadline_text


def test_the_lost_card_deadline_counts_the_leap_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", "2028-02-21")
    messages, _ = run(ActionLostCardAnswer(), make_tracker({"lost_noticed_date": "2028-02-20", "loss_reason": "lost"}))
    assert messages[0]["deadline_date"] == "Sunday, March 5, 2028"


@pytest.mark.parametrize(
    ("today", "text", "stored"),
    [("2028-03-10", "29.02.2028", "2028-02-29"), ("2028-03-10", "29 February", "2028-02-29"), ("2027-03-10", "29.02.2027", None)],
)
def test_a_birth_on_the_leap_day_is_read_only_in_a_leap_year(
    monkeypatch: pytest.MonkeyPatch, today: str, text: str, stored: str | None
) -> None:
    monkeypatch.setenv("ASSISTANT_TODAY", today)
    tracker = make_tracker({"requested_slot": "birth_date"}, text=text, active_loop="child_birth_form")
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert slot_events(events)["birth_date"] == stored
    assert responses(messages) == ([] if stored else ["utter_not_a_past_date"])


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


def test_reentry_answer_with_a_year_only_says_what_was_assumed() -> None:
    messages, _ = run(ActionReentryAnswer(), make_tracker({"away_months": 3.0, "stay_end_date": "2031"}))
    assert responses(messages) == ["utter_reentry_special", "utter_assumed_stay_end", "utter_procedure_link"]
    assert messages[1]["first"] == "Wednesday, January 1, 2031" and messages[1]["last"] == "Wednesday, December 31, 2031"


def test_departure_order_requirements() -> None:
    assert failed_requirements(MET) == []
    assert failed_requirements({**MET, "do_deported_before": True}) == [3]
    messages, _ = run(ActionDepartureOrderAnswer(), make_tracker({**MET, "do_only_overstay": False}))
    assert messages[0]["response"] == "utter_departure_order_not_met"
    assert "no ground for deportation other than overstaying" in messages[0]["requirements"]
    assert messages[0]["deportation_ban_years_short"] == "5"
    messages, _ = run(ActionDepartureOrderAnswer(), make_tracker(MET))
    assert messages[0]["response"] == "utter_departure_order_met" and messages[0]["reentry_ban_years"] == "1"


def test_an_unsure_requirement_is_never_counted_as_met() -> None:
    messages, _ = run(ActionDepartureOrderAnswer(), make_tracker({**MET, "do_sentenced_for_crime": "unsure"}))
    assert "utter_departure_order_met" not in responses(messages)
    assert messages[0]["response"] == "utter_departure_order_unchecked"
    assert failed_requirements({**MET, "do_sentenced_for_crime": "unsure"}) == []


# Reading answers.
def test_facts_given_up_front_fill_the_form_on_activation() -> None:
    # Rasa sets the active loop, with the triggering message, before the first validation.
    tracker = make_tracker(
        {}, text="I lost my card yesterday in Osaka", intent="lost_residence_card", latest_action="lost_card_form"
    )
    tracker.latest_message["message_id"] = "m1"
    tracker.active_loop = {"name": "lost_card_form", "trigger_message": {"message_id": "m1"}}
    _, events = run(ValidateLostCardForm(), tracker)
    slots = slot_events(events)
    assert (slots["lost_noticed_date"], slots["loss_reason"], slots["lost_card_prefecture"]) == ("2026-12-29", "lost", "osaka")


@pytest.mark.parametrize(
    ("ranking", "read"),
    [
        ([("nlu_fallback", 0.4), ("inform", 0.58), ("child_born_in_japan", 0.41)], True),
        ([("nlu_fallback", 0.4), ("child_born_in_japan", 0.5), ("greet", 0.3)], True),
        # an unsure reading that is neither the flow nor its facts reads month names strictly
        ([("nlu_fallback", 0.4), ("greet", 0.35), ("thank", 0.3)], False),
    ],
)
def test_an_unsure_reading_of_the_flow_or_its_facts_still_fills_the_form_up_front(
    ranking: list[tuple[str, float]], read: bool
) -> None:
    # "which do you mean?" aside: facts that the flow started from are not asked again.
    tracker = make_tracker(
        {},
        text="our baby was born on 20 December and will live here with us",
        intent="nlu_fallback",
        latest_action="child_birth_form",
    )
    tracker.latest_message["intent_ranking"] = [{"name": name, "confidence": c} for name, c in ranking]
    tracker.latest_message["message_id"] = "m1"
    tracker.active_loop = {"name": "child_birth_form", "trigger_message": {"message_id": "m1"}}
    _, events = run(ValidateChildBirthForm(), tracker)
    assert (slot_events(events).get("birth_date") == "2026-12-20") is read


def test_the_opening_message_names_the_office_even_when_the_date_comes_later() -> None:
    tracker = make_tracker(
        {}, text="I lost my card in Fukuoka last week", intent="lost_residence_card", latest_action="action_procedure_summary"
    )
    _, events = run(ValidateLostCardForm(), tracker)
    slots = slot_events(events)
    assert slots["lost_card_prefecture"] == "fukuoka" and "lost_noticed_date" not in slots


def test_an_answer_to_the_question_fills_the_slot() -> None:
    tracker = make_tracker({"requested_slot": "away_months"}, text="полгода", language="ru", active_loop="reentry_form")
    _, events = run(ValidateReentryForm(), tracker)
    assert slot_events(events) == {"away_months": 6.0, "repair_attempts": None}


def test_nonsense_is_reasked_politely_and_the_third_time_offers_to_stop() -> None:
    tracker = make_tracker({"requested_slot": "birth_date"}, text="banana", intent="nlu_fallback", active_loop="child_birth_form")
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert responses(messages) == ["utter_not_a_past_date"]
    assert slot_events(events) == {"birth_date": None, "repair_attempts": 1.0}
    tracker = make_tracker(
        {"requested_slot": "birth_date", "repair_attempts": 2.0},
        text="banana",
        intent="nlu_fallback",
        active_loop="child_birth_form",
    )
    messages, _ = run(ValidateChildBirthForm(), tracker)
    assert responses(messages) == ["utter_not_a_past_date", "utter_flow_stop_hint"]


@pytest.mark.parametrize(("text", "slot"), [("2027-05-01", "birth_date"), ("31 February", "birth_date")])
def test_a_future_or_impossible_date_is_not_stored(text: str, slot: str) -> None:
    tracker = make_tracker({"requested_slot": slot}, text=text, active_loop="child_birth_form")
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert slot_events(events)[slot] is None and responses(messages) == ["utter_not_a_past_date"]


def test_a_duration_out_of_bounds_is_asked_again() -> None:
    tracker = make_tracker(
        {"requested_slot": "away_months"}, text="for 200 months", intent="reentry_permit", active_loop="reentry_form"
    )
    messages, events = run(ValidateReentryForm(), tracker)
    assert slot_events(events)["away_months"] is None and responses(messages) == ["utter_not_a_duration"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("which office do I go to in Yokohama?", "find_immigration_office"),
        ("can I speak to a human?", "human_handoff"),
        ("how does health insurance work?", "life_in_japan"),
        ("tell me a joke", "out_of_scope"),
        ("tell me about permanent residence", "permanent_residence"),
        ("cancel", "stop"),
    ],
)
def test_another_question_is_not_an_answer_so_the_form_is_rejected(text: str, intent: str) -> None:
    tracker = make_tracker({"requested_slot": "lost_noticed_date"}, text=text, intent=intent, active_loop="lost_card_form")
    messages, events = run(ValidateLostCardForm(), tracker)
    assert messages == [] and events == []


def test_the_form_reads_nothing_when_it_returns_after_an_interruption() -> None:
    tracker = make_tracker(
        {"requested_slot": "lost_noticed_date"},
        text="yesterday",
        intent="greet",
        active_loop="lost_card_form",
        latest_action="lost_card_form",
    )
    tracker.events.extend(
        [{"event": "action_execution_rejected", "name": "lost_card_form"}, {"event": "action", "name": "utter_greet"}]
    )
    assert run(ValidateLostCardForm(), tracker) == ([], [])


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("no idea", "deny", "en"),
        ("не знаю", "deny", "ru"),
        ("不知道", "affirm", "zh"),
        ("わからない", "unsure", "ja"),
    ],
)
def test_a_hedge_is_never_a_yes_or_a_no(text: str, intent: str, language: str) -> None:
    tracker = make_tracker(
        {"requested_slot": "do_sentenced_for_crime"},
        text=text,
        intent=intent,
        language=language,
        active_loop="departure_order_form",
    )
    messages, events = run(ValidateDepartureOrderForm(), tracker)
    assert slot_events(events)["do_sentenced_for_crime"] == "unsure"
    assert responses(messages) == ["utter_unsure_do_sentenced_for_crime"]


def test_a_hedge_about_a_date_is_explained_and_asked_again() -> None:
    tracker = make_tracker(
        {"requested_slot": "stay_end_date", "away_months": 3.0}, text="I don't know", intent="unsure", active_loop="reentry_form"
    )
    messages, events = run(ValidateReentryForm(), tracker)
    assert responses(messages) == ["utter_unsure_stay_end_date"] and slot_events(events) == {"stay_end_date": None}


def test_a_correction_during_the_flow_changes_only_that_fact() -> None:
    tracker = make_tracker(
        {"requested_slot": "loss_reason", "lost_noticed_date": "2026-12-29"},
        text="no, it was on Monday",
        active_loop="lost_card_form",
    )
    _, events = run(ValidateLostCardForm(), tracker)
    assert slot_events(events) == {"lost_noticed_date": "2026-12-28"}


ANSWERED_LOST = {"lost_noticed_date": "2026-12-29", "loss_reason": "lost", "lost_card_prefecture": None}


def test_a_correction_after_the_answer_keeps_the_other_facts() -> None:
    tracker = make_tracker(
        {**ANSWERED_LOST, "last_flow": "lost_card", "answered_facts": ANSWERED_LOST},
        text="hmm, maybe someone took it from my bag",
        intent="lost_residence_card",
        latest_action="action_procedure_summary",
    )
    _, events = run(ValidateLostCardForm(), tracker)
    slots = slot_events(events)
    assert slots["loss_reason"] == "stolen" and "lost_noticed_date" not in slots
    messages, _ = run(ActionProcedureSummary(), tracker)
    assert messages == [], "a correction gives the answer again without the introduction"


def test_the_same_opening_again_starts_afresh() -> None:
    tracker = make_tracker(
        {**ANSWERED_LOST, "last_flow": "lost_card", "answered_facts": ANSWERED_LOST},
        text="I lost my residence card",
        intent="lost_residence_card",
        latest_action="action_procedure_summary",
    )
    _, events = run(ValidateLostCardForm(), tracker)
    assert slot_events(events)["lost_noticed_date"] is None


def test_a_what_if_after_the_answer_changes_one_fact() -> None:
    answered = {"away_months": 8.0, "stay_end_date": "2028-03-31"}
    tracker = make_tracker(
        {**answered, "last_flow": "reentry", "answered_facts": answered}, text="а если я задержусь на 2 года?", language="ru"
    )
    _, events = run(ValidateReentryForm(), tracker)
    slots = slot_events(events)
    assert slots["away_months"] == 24.0 and "stay_end_date" not in slots


def test_the_revised_answer_starts_with_what_changed() -> None:
    answered = {"away_months": 8.0, "stay_end_date": "2028-03-31"}
    tracker = make_tracker(
        {"away_months": 24.0, "stay_end_date": "2028-03-31", "last_flow": "reentry", "answered_facts": answered}
    )
    messages, _ = run(ActionReentryAnswer(), tracker)
    assert responses(messages)[:2] == ["utter_fact_changed", "utter_reentry_stay_ends_first"]
    assert messages[0]["changes"] == "how long you will be away: 24 months"


def test_a_year_only_end_of_stay_is_kept_when_the_answer_is_the_same_all_year() -> None:
    tracker = make_tracker(
        {"requested_slot": "stay_end_date", "away_months": 3.0}, text="до 2031 года", language="ru", active_loop="reentry_form"
    )
    _, events = run(ValidateReentryForm(), tracker)
    assert slot_events(events)["stay_end_date"] == "2031"


def test_a_month_only_end_of_stay_asks_for_the_day_when_the_answer_depends_on_it() -> None:
    # Back on 2027-03-30: a period of stay ending in March 2027 may end before or after that.
    tracker = make_tracker(
        {"requested_slot": "stay_end_date", "away_months": 3.0}, text="until March 2027", active_loop="reentry_form"
    )
    messages, events = run(ValidateReentryForm(), tracker)
    assert slot_events(events)["stay_end_date"] is None and responses(messages) == ["utter_need_exact_day"]


def test_switching_flows_reads_the_facts_of_the_message_that_asked_for_the_other_flow() -> None:
    events = [
        {"event": "user", "text": "I lost my card", "parse_data": {}},
        {"event": "user", "text": "I'm going home for 3 months", "parse_data": {}},
    ]
    tracker = make_tracker(
        {"pending_flow": "reentry", "requested_slot": None},
        text="/switch_flow",
        intent="switch_flow",
        events=events,
        latest_action="action_procedure_summary",
    )
    _, slot_events_ = run(ValidateReentryForm(), tracker)
    assert slot_events(slot_events_)["away_months"] == 3.0 and slot_events(slot_events_)["pending_flow"] is None


@pytest.mark.parametrize(
    ("validation", "form", "asked", "intent", "wanted"),
    [
        (ValidateLostCardForm, "lost_card_form", "lost_noticed_date", "reentry_permit", "reentry"),
        (ValidateReentryForm, "reentry_form", "stay_end_date", "child_born_in_japan", "child_birth"),
        (ValidateDepartureOrderForm, "departure_order_form", "do_only_overstay", "lost_residence_card", "lost_card"),
    ],
)
def test_another_flow_in_the_middle_offers_to_switch(validation: type, form: str, asked: str, intent: str, wanted: str) -> None:
    tracker = make_tracker({"requested_slot": asked}, text="and another thing", intent=intent, active_loop=form)
    messages, events = run(validation(), tracker)
    assert responses(messages) == ["utter_offer_flow_switch"]
    assert slot_events(events) == {"pending_flow": wanted}


def test_the_switch_offer_names_both_flows_in_the_users_language() -> None:
    tracker = make_tracker(
        {"requested_slot": "lost_noticed_date"},
        text="можно уехать на 3 месяца?",
        intent="reentry_permit",
        language="ru",
        active_loop="lost_card_form",
    )
    messages, _ = run(ValidateLostCardForm(), tracker)
    assert (messages[0]["current"], messages[0]["wanted"]) == ("потерянная карта резидента", "поездка за границу")


def test_the_question_after_an_interruption_says_where_the_conversation_returns() -> None:
    ask = next(action for action in question_actions(("lost_noticed_date",)))
    rejected = [{"event": "action_execution_rejected", "name": "lost_card_form"}, {"event": "action", "name": "utter_greet"}]
    tracker = make_tracker({}, text="hi", intent="greet", active_loop="lost_card_form")
    tracker.events.extend(rejected)
    messages, _ = run(ask(), tracker)
    assert responses(messages) == ["utter_flow_resume", "utter_ask_lost_noticed_date"] and messages[0]["flow"] == "lost card"
    messages, _ = run(ask(), make_tracker({}, text="I lost my card", intent="lost_residence_card", active_loop="lost_card_form"))
    assert responses(messages) == ["utter_ask_lost_noticed_date"]
    assert issubclass(ask, FlowQuestion)


def test_repeat_sends_the_key_line_of_the_last_answer_again() -> None:
    tracker = make_tracker(
        {"birth_date": "2026-12-20", "child_stays_beyond_60_days": True, "last_flow": "child_birth"},
        text="what was the deadline again?",
        intent="repeat",
    )
    messages, _ = run(ActionRepeatAnswer(), tracker)
    assert responses(messages) == ["utter_child_deadline"] and messages[0]["deadline_date"] == "Tuesday, January 19, 2027"
    messages, _ = run(ActionRepeatAnswer(), make_tracker({}, text="repeat please", intent="repeat"))
    assert responses(messages) == ["utter_nothing_to_repeat"]


def test_maybe_stolen_is_an_answer_but_i_dont_know_yet_we_might_move_is_a_hedge() -> None:
    tracker = make_tracker(
        {"requested_slot": "loss_reason", "lost_noticed_date": "2026-12-29"},
        text="maybe someone took it from my bag",
        active_loop="lost_card_form",
    )
    _, events = run(ValidateLostCardForm(), tracker)
    assert slot_events(events)["loss_reason"] == "stolen"
    tracker = make_tracker(
        {"requested_slot": "child_stays_beyond_60_days", "birth_date": "2026-12-20"},
        text="I don't know yet, we might move back home",
        active_loop="child_birth_form",
    )
    messages, events = run(ValidateChildBirthForm(), tracker)
    assert slot_events(events)["child_stays_beyond_60_days"] == "unsure"
    assert responses(messages) == ["utter_unsure_child_stays_beyond_60_days"]


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("en", "from abroad or an IP phone"),
        ("ru", "из-за границы или с IP-телефона"),
        ("uk", "з-за кордону або з IP-телефону"),
        ("zh", "从国外或用IP电话拨打"),
        ("ja", "海外やIP電話から"),
    ],
)
def test_the_number_for_calls_from_abroad_says_so(language: str, label: str) -> None:
    tracker = make_tracker(
        {"lost_noticed_date": "2026-12-28", "loss_reason": "lost", "lost_card_prefecture": "osaka"}, language=language
    )
    messages, _ = run(ActionLostCardAnswer(), tracker)
    office = next(m for m in messages if m["response"] == "utter_office")
    assert office["phones"] == f"0570-064259 / 06-4703-2050 ({label})"


def test_bare_facts_outside_a_flow_start_the_flow_they_answer() -> None:
    tracker = make_tracker({}, text="3 months away, my period of stay ends on 2028-03-31", intent="inform")
    messages, events = run(ActionRouteFacts(), tracker)
    assert responses(messages) == ["utter_procedure_summary"]
    assert events == [{"event": "followup", "timestamp": None, "name": "reentry_form"}]


def test_a_fact_that_changes_the_last_answer_revises_it_without_the_introduction() -> None:
    answered = {"birth_date": "2026-12-20", "child_stays_beyond_60_days": True}
    tracker = make_tracker(
        {**answered, "last_flow": "child_birth", "answered_facts": answered},
        text="sorry, the baby was born on 25 December",
        intent="inform",
    )
    messages, events = run(ActionRouteFacts(), tracker)
    assert messages == [] and events == [{"event": "followup", "timestamp": None, "name": "child_birth_form"}]
