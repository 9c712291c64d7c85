"""Office finder: the bureau or district office that serves the place a user names."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.db.engine import Unavailable, read_database, session_scope
from actions.db.queries import OfficeInfo, find_prefecture, office_for_prefecture
from actions.flows.common import FlowValidation, latest_text
from actions.language import reply_language


FORM = "office_form"


def first_prefecture(session: Session, texts: list[str]) -> str | None:
    """Return the prefecture named in the first of ``texts`` that names one."""
    for text in texts:
        if prefecture := find_prefecture(session, text):
            return prefecture
    return None


def utter_office(dispatcher: CollectingDispatcher, office: OfficeInfo, response: str = "utter_office") -> None:
    """Send an office's name, address and phones (for a prefecture, or as a contact)."""
    dispatcher.utter_message(
        response=response,
        office_name=office.name,
        address=office.address,
        phones=" / ".join(phone.number for phone in office.phones),
        prefecture=office.prefecture or "",
    )


def _prefecture(tracker: Tracker, language: str, strict: bool) -> str | None:
    with session_scope() as session:
        return find_prefecture(session, latest_text(tracker))


class ValidateOfficeForm(FlowValidation):
    """Read the prefecture or city where the user lives."""

    parsers = {"office_prefecture": _prefecture}
    not_understood = {"office_prefecture": "utter_unknown_place"}

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    async def extract_office_prefecture(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the place from the latest message."""
        return self.extract("office_prefecture", dispatcher, tracker)


class ActionOfficeAnswer(Action):
    """Send the office that serves the prefecture the user named."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_office_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Look the office up and send it with the general-guidance reminder."""
        language = reply_language(tracker)
        prefecture = tracker.get_slot("office_prefecture")
        office = read_database(lambda session: office_for_prefecture(session, prefecture, language))
        if isinstance(office, Unavailable):
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return [SlotSet("office_prefecture", None)]
        if office is None:
            dispatcher.utter_message(response="utter_ask_information_center")
        else:
            utter_office(dispatcher, office)
            dispatcher.utter_message(response="utter_general_guidance")
        return [SlotSet("office_prefecture", None)]
