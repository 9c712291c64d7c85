"""Child born in Japan flow: date of birth, staying beyond 60 days → steps and the last day to apply."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.common import FlowValidation, day_count, latest_intent, latest_text, long_date, today_in_japan
from actions.language import reply_language
from actions.parsing import parse_date, parse_yes_no
from actions.procedures import bulleted, fetch_procedure, links_text

FORM = "child_birth_form"
SLOTS = ("birth_date", "child_stays_beyond_60_days")


def _birth_date(tracker: Tracker, language: str, strict: bool) -> str | None:
    today = today_in_japan()
    date = parse_date(latest_text(tracker), language, today, prefer="past", strict=strict)
    return date.isoformat() if date and date <= today else None


def _stays(tracker: Tracker, language: str, strict: bool) -> bool | None:
    return None if strict else parse_yes_no(latest_text(tracker), latest_intent(tracker))


class ValidateChildBirthForm(FlowValidation):
    """Read the child's date of birth and whether the child stays beyond 60 days."""

    parsers = {"birth_date": _birth_date, "child_stays_beyond_60_days": _stays}
    not_understood = {"birth_date": "utter_not_a_past_date", "child_stays_beyond_60_days": "utter_not_yes_no"}

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    async def extract_birth_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the date of birth."""
        return self.extract("birth_date", dispatcher, tracker)

    async def extract_child_stays_beyond_60_days(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read whether the child will stay in Japan beyond 60 days after birth."""
        return self.extract("child_stays_beyond_60_days", dispatcher, tracker)


class ActionChildBirthAnswer(Action):
    """Tell the birth-notification step, the last day to apply, and the documents."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_child_birth_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Compute birth + 30 days and send the personal answer."""
        language = reply_language(tracker)
        reset = [SlotSet(slot, None) for slot in SLOTS]
        answer = fetch_procedure(dispatcher, "child_born_in_japan", language)
        if answer is None:
            return reset
        birth = dt.date.fromisoformat(tracker.get_slot("birth_date"))
        stay_days = answer.values["stay_beyond_days"]
        if not tracker.get_slot("child_stays_beyond_60_days"):
            dispatcher.utter_message(response="utter_child_leaves_early", stay_days=stay_days)
            dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer))
            return reset
        days = answer.deadlines["apply"].days
        deadline = birth + dt.timedelta(days=days)
        today = today_in_japan()
        values = {"deadline_date": long_date(deadline, language), "birth_date": long_date(birth, language),
                  "period": day_count(days, language), "stay_days": stay_days}
        dispatcher.utter_message(response="utter_child_register_birth_first")
        if deadline >= today:
            dispatcher.utter_message(response="utter_child_deadline", days_left=day_count((deadline - today).days, language), **values)
        else:
            dispatcher.utter_message(response="utter_child_deadline_passed", **values)
        dispatcher.utter_message(response="utter_procedure_documents", documents=bulleted(answer.documents))
        dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer))
        return reset


class ActionAskChildStays(Action):
    """Ask whether the child stays beyond the number of days the procedures database holds."""

    def name(self) -> str:
        """Return the name a form calls to ask for this slot."""
        return "action_ask_child_stays_beyond_60_days"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Send the question with yes/no buttons."""
        answer = fetch_procedure(dispatcher, "child_born_in_japan", reply_language(tracker))
        if answer is not None:
            dispatcher.utter_message(response="utter_child_stays_question", stay_days=answer.values["stay_beyond_days"])
        return []
