"""Departure order flow: the six requirements of section 5-3 as yes/no questions → eligible or not."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.common import FlowValidation, latest_intent, latest_text
from actions.language import reply_language
from actions.parsing import parse_yes_no
from actions.procedures import bulleted, fetch_procedure, links_text

FORM = "departure_order_form"
# Each question in the order of the seed's requirements, and the answer that meets it.
REQUIREMENTS: tuple[tuple[str, bool], ...] = (
    ("do_appears_voluntarily", True),
    ("do_only_overstay", True),
    ("do_sentenced_for_crime", False),
    ("do_deported_before", False),
    ("do_departure_order_before", False),
    ("do_can_leave_soon", True),
)


def failed_requirements(answers: dict[str, bool | None]) -> list[int]:
    """Return the positions of the requirements the answers do not meet."""
    return [index for index, (slot, met_when) in enumerate(REQUIREMENTS) if answers.get(slot) is not met_when]


def _yes_no(tracker: Tracker, language: str, strict: bool) -> bool | None:
    return None if strict else parse_yes_no(latest_text(tracker), latest_intent(tracker))


class ValidateDepartureOrderForm(FlowValidation):
    """Read the yes/no answer to each requirement."""

    parsers = {slot: _yes_no for slot, _ in REQUIREMENTS}
    not_understood = {slot: "utter_not_yes_no" for slot, _ in REQUIREMENTS}

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    async def extract_do_appears_voluntarily(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 1: going to the bureau on one's own to leave."""
        return self.extract("do_appears_voluntarily", dispatcher, tracker)

    async def extract_do_only_overstay(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 2: no ground for deportation other than overstay."""
        return self.extract("do_only_overstay", dispatcher, tracker)

    async def extract_do_sentenced_for_crime(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 3: a prison sentence for certain crimes."""
        return self.extract("do_sentenced_for_crime", dispatcher, tracker)

    async def extract_do_deported_before(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 4: an earlier deportation."""
        return self.extract("do_deported_before", dispatcher, tracker)

    async def extract_do_departure_order_before(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 5: an earlier departure order."""
        return self.extract("do_departure_order_before", dispatcher, tracker)

    async def extract_do_can_leave_soon(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
        """Read requirement 6: being able to leave Japan promptly."""
        return self.extract("do_can_leave_soon", dispatcher, tracker)


class ActionDepartureOrderAnswer(Action):
    """Tell whether the requirements are met, which are not, and what each outcome means."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_departure_order_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Compare the answers with the six requirements and send the result kindly."""
        language = reply_language(tracker)
        reset = [SlotSet(slot, None) for slot, _ in REQUIREMENTS]
        answer = fetch_procedure(dispatcher, "departure_order", language)
        if answer is None:
            return reset
        failed = failed_requirements({slot: tracker.get_slot(slot) for slot, _ in REQUIREMENTS})
        values = {key: answer.values[key] for key in ("reentry_ban_years", "deportation_ban_years_short", "deportation_ban_years_long")}
        if failed:
            requirements = bulleted([answer.conditions[index] for index in failed])
            dispatcher.utter_message(response="utter_departure_order_not_met", requirements=requirements, **values)
        else:
            dispatcher.utter_message(response="utter_departure_order_met", **values)
        dispatcher.utter_message(response="utter_departure_order_where")
        dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer))
        return reset
