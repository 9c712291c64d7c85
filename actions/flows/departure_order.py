"""Departure order flow: the six requirements of section 5-3 as yes/no questions → eligible or not."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.answers import Answer, FlowAnswer
from actions.flows.catalog import DEPARTURE_ORDER, UNSURE
from actions.flows.common import FlowValidation, Message, question_actions
from actions.parsing import parse_yes_no
from actions.procedures import bulleted, fetch_procedure, links_text

FORM = DEPARTURE_ORDER.form
# Each question in the order of the seed's requirements, and the answer that meets it.
REQUIREMENTS: tuple[tuple[str, bool], ...] = (
    ("do_appears_voluntarily", True),
    ("do_only_overstay", True),
    ("do_sentenced_for_crime", False),
    ("do_deported_before", False),
    ("do_departure_order_before", False),
    ("do_can_leave_soon", True),
)


def failed_requirements(answers: dict[str, Any]) -> list[int]:
    """Return the positions of the requirements the answers do not meet (unsure ones aside)."""
    return [
        index
        for index, (slot, met_when) in enumerate(REQUIREMENTS)
        if answers.get(slot) != UNSURE and answers.get(slot) is not met_when
    ]


def unchecked_requirements(answers: dict[str, Any]) -> list[int]:
    """Return the positions of the requirements the user was not sure about."""
    return [index for index, (slot, _) in enumerate(REQUIREMENTS) if answers.get(slot) == UNSURE]


def read_yes_no(message: Message, asked: bool) -> bool | None:
    """Read a yes or a no, only as the answer to the question asked (never "I don't know")."""
    return parse_yes_no(message.text, message.intent) if asked else None


class ValidateDepartureOrderForm(FlowValidation):
    """Read the yes/no answer to each requirement."""

    flow = DEPARTURE_ORDER
    readers = {slot: read_yes_no for slot, _ in REQUIREMENTS}
    not_understood = {slot: "utter_not_yes_no" for slot, _ in REQUIREMENTS}
    unsure_allowed = frozenset(slot for slot, _ in REQUIREMENTS)
    hedge_wins = unsure_allowed

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"


class ActionDepartureOrderAnswer(FlowAnswer):
    """Tell whether the requirements are met, which are not or could not be checked, and what that means."""

    flow = DEPARTURE_ORDER

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_departure_order_answer"

    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Compare the answers with the six requirements and word the result kindly."""
        answer = fetch_procedure(dispatcher, "departure_order", language)
        if answer is None:
            return None
        answers = {slot: tracker.get_slot(slot) for slot, _ in REQUIREMENTS}
        failed, unchecked = failed_requirements(answers), unchecked_requirements(answers)
        values = {
            key: answer.values[key] for key in ("reentry_ban_years", "deportation_ban_years_short", "deportation_ban_years_long")
        }
        result = Answer()
        if failed:
            result.add("utter_departure_order_not_met", requirements=bulleted([answer.conditions[i] for i in failed]), **values)
        if unchecked:
            result.add("utter_departure_order_unchecked", requirements=bulleted([answer.conditions[i] for i in unchecked]))
        if not failed and not unchecked:
            result.add("utter_departure_order_met", **values)
        result.add("utter_departure_order_where")
        result.add("utter_procedure_link", links=links_text(answer))
        return result


ASK_ACTIONS = question_actions(DEPARTURE_ORDER.slots)
