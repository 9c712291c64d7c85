"""Office finder: the bureau or district office that serves the place a user names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.db.queries import OfficeInfo
from actions.flows.answers import Answer, FlowAnswer
from actions.flows.catalog import OFFICE
from actions.flows.common import (
    CONVERSATION_INTENTS,
    FlowValidation,
    Message,
    latest_text,
    looks_like_an_answer,
    question_actions,
)
from actions.language import reply_language

FORM = OFFICE.form
# Below this confidence, a short message in the office form is read as a place name, not small talk.
SURE = 0.8


def office_values(office: OfficeInfo) -> dict[str, str]:
    """Return the values of the office responses: name, address, phones, prefecture."""
    return {
        "office_name": office.name,
        "address": office.address,
        "phones": " / ".join(f"{phone.number} ({phone.label})" if phone.label else phone.number for phone in office.phones),
        "prefecture": office.prefecture or "",
    }


def utter_office(dispatcher: CollectingDispatcher, office: OfficeInfo, response: str = "utter_office") -> None:
    """Send an office's name, address and phones (for a prefecture, or as a contact)."""
    dispatcher.utter_message(response=response, **office_values(office))


def read_place(message: Message, asked: bool) -> str | None:
    """Read the prefecture of the place the user names (a prefecture or a city)."""
    prefecture = reads.prefecture_in(message.text)
    return None if isinstance(prefecture, Unavailable) else prefecture


class ValidateOfficeForm(FlowValidation):
    """Read the prefecture or city where the user lives."""

    flow = OFFICE
    readers = {"office_prefecture": read_place}
    not_understood = {"office_prefecture": "utter_unknown_place"}

    def meant_as_answer(self, message: Message) -> bool:
        """Take a short message as a place name ("Paris", "ニューヨーク") unless it is small talk."""
        confidence = float((message.tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
        unclear = message.intent not in CONVERSATION_INTENTS or confidence < SURE
        return super().meant_as_answer(message) or (looks_like_an_answer(message.text) and unclear)

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"


class ActionOfficeAnswer(FlowAnswer):
    """Send the office that serves the prefecture the user named."""

    flow = OFFICE

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_office_answer"

    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Look the office up; the general-guidance reminder follows it."""
        prefecture = tracker.get_slot("office_prefecture")
        office = reads.office(prefecture, language)
        if isinstance(office, Unavailable):
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return None
        result = Answer()
        if office is None:
            result.add("utter_ask_information_center")
        else:
            result.add("utter_office", **office_values(office))
            result.add("utter_general_guidance")
        return result


class ActionOfficeInPassing(Action):
    """Answer a question for an office in the middle of another flow, which then goes on."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_office_in_passing"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Send the office for the place named, or say how to ask for one."""
        language = reply_language(tracker)

        prefecture = reads.prefecture_in(latest_text(tracker))
        office = reads.office(prefecture, language) if isinstance(prefecture, str) else prefecture
        if isinstance(office, Unavailable):
            dispatcher.utter_message(response="utter_temporarily_unavailable")
        elif office is None:
            dispatcher.utter_message(response="utter_office_hint")
        else:
            utter_office(dispatcher, office)
        return []


ASK_ACTIONS = question_actions(OFFICE.slots)
