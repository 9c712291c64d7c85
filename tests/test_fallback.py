"""Unsure NLU gets "did you mean" buttons; out-of-scope and handoff get real contacts."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDidYouMean, ActionShowContacts
from bot.languages import LANGUAGES

pytestmark = pytest.mark.usefixtures("procedures_database")


def tracker(language: str, ranking: list[tuple[str, float]]) -> Tracker:
    latest = {
        "text": "…",
        "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
        "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking],
        "entities": [],
    }
    return Tracker("test", {"language": language}, latest, [], False, None, {}, "action_listen")


def run(action: Action, tracker_: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages


def test_did_you_mean_offers_up_to_three_procedures_in_the_users_language() -> None:
    ranking = [
        ("nlu_fallback", 0.4),
        ("reentry_permit", 0.3),
        ("greet", 0.2),
        ("return_residence_card", 0.2),
        ("extend_period_of_stay", 0.1),
        ("deportation", 0.08),
    ]
    messages = run(ActionDidYouMean(), tracker("ru", ranking))
    assert messages[0]["response"] == "utter_did_you_mean"
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/reentry_permit", "/return_residence_card", "/extend_period_of_stay"]
    assert all(any("а" <= ch <= "я" for ch in b["title"].lower()) for b in buttons), "titles in Russian"


@pytest.mark.parametrize("language", ["ja", "uk"])
def test_an_unsure_daily_life_question_is_told_who_handles_it(language: str) -> None:
    ranking = [("nlu_fallback", 0.4), ("life_in_japan", 0.36), ("contact_information_center", 0.29)]
    messages = run(ActionDidYouMean(), tracker(language, ranking))
    assert [m["response"] for m in messages] == ["utter_life_in_japan", "utter_contact", "utter_contact"]
    assert "0570-013904" in " ".join(m.get("phones", "") for m in messages)


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_competing_procedures_are_both_offered_with_which_do_you_mean(language: str) -> None:
    # "my wife's card expired while she was abroad on the special re-entry permit"
    ranking = [("nlu_fallback", 0.4), ("reentry_permit", 0.38), ("extend_period_of_stay", 0.3), ("greet", 0.1)]
    messages = run(ActionDidYouMean(), tracker(language, ranking))
    assert [m["response"] for m in messages] == ["utter_which_do_you_mean"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/reentry_permit", "/extend_period_of_stay"]


def test_a_distant_second_procedure_is_not_called_a_second_question() -> None:
    ranking = [("nlu_fallback", 0.4), ("reentry_permit", 0.36), ("deportation", 0.1)]
    messages = run(ActionDidYouMean(), tracker("en", ranking))
    assert messages[0]["response"] == "utter_did_you_mean"


def test_a_procedure_first_still_offers_buttons_even_with_life_in_japan_close() -> None:
    ranking = [("nlu_fallback", 0.4), ("reentry_permit", 0.35), ("life_in_japan", 0.34)]
    messages = run(ActionDidYouMean(), tracker("en", ranking))
    assert messages[0]["response"] == "utter_did_you_mean"
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/reentry_permit"]


def test_without_candidates_the_user_is_asked_to_rephrase() -> None:
    messages = run(ActionDidYouMean(), tracker("en", [("nlu_fallback", 0.4), ("greet", 0.3)]))
    assert [m["response"] for m in messages] == ["utter_default"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_contacts_come_from_the_database(language: str) -> None:
    messages = run(ActionShowContacts(), tracker(language, [("out_of_scope", 0.9)]))
    assert [m["response"] for m in messages] == ["utter_contact", "utter_contact"]
    phones = " ".join(m["phones"] for m in messages)
    assert "0570-013904" in phones and "0570-011000" in phones
