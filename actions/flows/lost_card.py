"""Lost card flow: when the loss was noticed and how → last day to apply, proof, documents, office."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.flows.answers import Answer, FlowAnswer
from actions.flows.catalog import LOST_CARD, UNSURE
from actions.flows.common import (
    FlowValidation,
    Message,
    day_count,
    long_date,
    past_date_reader,
    question_actions,
    today_in_japan,
)
from actions.offices import office_values
from actions.parsing import parse_loss_reason
from actions.procedures import bulleted, fetch_procedure, links_text

FORM = LOST_CARD.form
LOSS_REASONS = ("lost", "stolen", "disaster")


# Reads the day the loss was noticed.
read_noticed_date = past_date_reader(LOST_CARD.intent)


def read_loss_reason(message: Message, asked: bool) -> str | None:
    """Read whether the card was lost, stolen or destroyed in a disaster (a button or words)."""
    reason = message.entity("loss_reason") or parse_loss_reason(message.text)
    return reason if reason in LOSS_REASONS else None


def read_prefecture(message: Message, asked: bool) -> str | None:
    """Read the prefecture of a place the user names, for the nearest office."""
    prefecture = reads.prefecture_in(message.text)
    return None if isinstance(prefecture, Unavailable) else prefecture


class ValidateLostCardForm(FlowValidation):
    """Read when the loss was noticed, how the card was lost, and where the user lives."""

    flow = LOST_CARD
    readers = {"lost_noticed_date": read_noticed_date, "loss_reason": read_loss_reason, "lost_card_prefecture": read_prefecture}
    not_understood = {"lost_noticed_date": "utter_not_a_past_date", "loss_reason": "utter_not_a_loss_reason"}
    unsure_allowed = frozenset({"loss_reason"})

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"


class ActionLostCardAnswer(FlowAnswer):
    """Tell the last day to apply, the proof to get, the documents and the office."""

    flow = LOST_CARD

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_lost_card_answer"

    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Compute the deadline from the noticed date; add the proof, documents and office."""
        answer = fetch_procedure(dispatcher, "lost_residence_card", language)
        if answer is None:
            return None
        noticed = dt.date.fromisoformat(tracker.get_slot("lost_noticed_date"))
        reason = tracker.get_slot("loss_reason") or "lost"
        days = answer.deadlines["apply"].days
        deadline = noticed + dt.timedelta(days=days)
        today = today_in_japan()
        values = {
            "deadline_date": long_date(deadline, language),
            "noticed_date": long_date(noticed, language),
            "period": day_count(days, language),
        }
        result = Answer()
        if deadline == today:
            result.add("utter_lost_card_deadline_today", **values)
        elif deadline > today:
            result.add("utter_lost_card_deadline", days_left=day_count((deadline - today).days, language), **values)
        else:
            result.add("utter_lost_card_deadline_passed", **values)
        for proof in ("lost", "stolen") if reason == UNSURE else (reason,):
            result.add(f"utter_lost_card_proof_{proof}")
        result.add("utter_procedure_documents", documents=bulleted(answer.documents))
        prefecture = tracker.get_slot("lost_card_prefecture")
        office = reads.office(prefecture, language) if prefecture else None
        if office is not None and not isinstance(office, Unavailable):
            result.add("utter_office", **office_values(office))
        else:
            result.add("utter_office_hint")
        result.add("utter_procedure_link", links=links_text(answer))
        return result


ASK_ACTIONS = question_actions(LOST_CARD.slots)
