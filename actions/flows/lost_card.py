"""Lost card flow: when the loss was noticed and how → last day to apply, proof, documents, office."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.db.engine import Unavailable, read_database
from actions.db.queries import OfficeInfo, office_for_prefecture
from actions.flows.common import (
    FlowValidation,
    day_count,
    latest_entity,
    latest_text,
    long_date,
    today_in_japan,
    user_texts_since,
)
from actions.language import reply_language
from actions.offices import first_prefecture, utter_office
from actions.parsing import parse_date, parse_loss_reason
from actions.procedures import bulleted, fetch_procedure, links_text


FORM = "lost_card_form"
SLOTS = ("lost_noticed_date", "loss_reason")


def _noticed_date(tracker: Tracker, language: str, strict: bool) -> str | None:
    today = today_in_japan()
    date = parse_date(latest_text(tracker), language, today, prefer="past", strict=strict)
    return date.isoformat() if date and date <= today else None


def _loss_reason(tracker: Tracker, language: str, strict: bool) -> str | None:
    return latest_entity(tracker, "loss_reason") or parse_loss_reason(latest_text(tracker))


class ValidateLostCardForm(FlowValidation):
    """Read when the loss was noticed and how the card was lost."""

    parsers = {"lost_noticed_date": _noticed_date, "loss_reason": _loss_reason}
    not_understood = {"lost_noticed_date": "utter_not_a_past_date", "loss_reason": "utter_not_a_loss_reason"}
    fill_any_time = frozenset({"loss_reason"})

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    async def extract_lost_noticed_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the day the loss was noticed."""
        return self.extract("lost_noticed_date", dispatcher, tracker)

    async def extract_loss_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read whether the card was lost, stolen or destroyed in a disaster."""
        return self.extract("loss_reason", dispatcher, tracker)


def nearest_office(tracker: Tracker, language: str) -> OfficeInfo | None:
    """Return the office for a place the user named during the flow, if any."""

    def read(session: Session) -> OfficeInfo | None:
        prefecture = first_prefecture(session, user_texts_since(tracker, FORM))
        return office_for_prefecture(session, prefecture, language) if prefecture else None

    office = read_database(read)
    return None if isinstance(office, Unavailable) else office


class ActionLostCardAnswer(Action):
    """Tell the last day to apply, the proof to get, the documents and the office."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_lost_card_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Compute the deadline from the noticed date and send the personal answer."""
        language = reply_language(tracker)
        reset = [SlotSet(slot, None) for slot in SLOTS]
        noticed = dt.date.fromisoformat(tracker.get_slot("lost_noticed_date"))
        reason = tracker.get_slot("loss_reason") or "lost"
        answer = fetch_procedure(dispatcher, "lost_residence_card", language)
        if answer is None:
            return reset
        office = nearest_office(tracker, language)
        days = answer.deadlines["apply"].days
        deadline = noticed + dt.timedelta(days=days)
        today = today_in_japan()
        values = {"deadline_date": long_date(deadline, language), "noticed_date": long_date(noticed, language),
                  "period": day_count(days, language)}
        if deadline >= today:
            dispatcher.utter_message(response="utter_lost_card_deadline", days_left=day_count((deadline - today).days, language), **values)
        else:
            dispatcher.utter_message(response="utter_lost_card_deadline_passed", **values)
        dispatcher.utter_message(response=f"utter_lost_card_proof_{reason}")
        dispatcher.utter_message(response="utter_procedure_documents", documents=bulleted(answer.documents))
        if office is not None:
            utter_office(dispatcher, office)
        else:
            dispatcher.utter_message(response="utter_office_hint")
        dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer))
        return reset
