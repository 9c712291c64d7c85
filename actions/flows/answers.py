"""The personal answer at the end of a flow, given again after a correction or a what-if.

A flow's answer action composes its messages from the slots (`compose`); `FlowAnswer.run`
sends them, first saying which facts changed since the last answer, and keeps the facts with
`last_flow`, so that "and if it were 2 years?" or "can you repeat the date?" is read in the
context of this flow.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from babel.units import format_unit
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.db.engine import Unavailable, read_database
from actions.db.queries import get_labels, office_for_prefecture
from actions.flows.catalog import UNSURE, FlowSpec
from actions.flows.common import BABEL_LOCALES, LAST_FLOW, REPAIR_ATTEMPTS, long_date
from actions.language import reply_language
from actions.topics import offer_other_topic
from bot.feedback import FEEDBACK_KEY

ANSWERED_FACTS = "answered_facts"
DATE_SLOTS = frozenset({"lost_noticed_date", "stay_end_date", "birth_date"})
PREFECTURE_SLOTS = frozenset({"lost_card_prefecture", "office_prefecture"})


@dataclass
class Answer:
    """The messages of one personal answer: domain responses with their values, key line first."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    key_line: int = 0

    def add(self, response: str, **values: Any) -> None:
        """Append a message with the values of its placeholders."""
        self.messages.append((response, values))

    def add_key(self, response: str, **values: Any) -> None:
        """Append the key line, the one "repeat" sends again (without one, the first line is)."""
        self.key_line = len(self.messages)
        self.add(response, **values)

    def send(self, dispatcher: CollectingDispatcher, key_line_only: bool = False, feedback: bool = False) -> None:
        """Send every message, or only the key line (the deadline or the outcome).

        With ``feedback`` the last message asks the front ends for "Was this helpful? 👍 / 👎"
        (bot/feedback.py).
        """
        messages = self.messages[self.key_line : self.key_line + 1] if key_line_only else self.messages
        for number, (response, values) in enumerate(messages, start=1):
            flag = {FEEDBACK_KEY: True} if feedback and number == len(messages) else {}
            dispatcher.utter_message(response=response, **values, **flag)


def describe_value(slot: str, value: Any, language: str, labels: dict[str, str], session: Session) -> str:
    """Write one fact's value as the user would say it."""
    if value == UNSURE:
        return labels.get("answer_unsure", UNSURE)
    if slot in DATE_SLOTS:
        text = str(value)
        return long_date(dt.date.fromisoformat(text), language) if len(text) == 10 else text
    if slot == "away_months":
        return months_text(float(value), language, labels)
    if slot in PREFECTURE_SLOTS:
        office = office_for_prefecture(session, str(value), language)
        return office.prefecture or str(value) if office else str(value)
    if isinstance(value, bool):
        return labels.get("answer_yes" if value else "answer_no", str(value))
    return labels.get(f"{slot}_{value}", str(value))


def months_text(months: float, language: str, labels: dict[str, str]) -> str:
    """Write a number of months with the right plural ("8 months", "8 месяцев", "8か月")."""
    written = format_unit(months, "duration-month", length="long", locale=BABEL_LOCALES.get(language, "en"))
    # Babel has no month unit for Chinese and Japanese: their pattern is a label.
    if "duration-month" in written and "months_pattern" in labels:
        return labels["months_pattern"].format(months=f"{months:g}")
    return written


def changed_facts(tracker: Tracker, flow: FlowSpec) -> dict[str, Any]:
    """Return the facts that differ from those of the last answer of this flow."""
    before = tracker.get_slot(ANSWERED_FACTS) or {}
    if tracker.get_slot(LAST_FLOW) != flow.key or not before:
        return {}
    return {
        slot: tracker.get_slot(slot)
        for slot in flow.facts
        if tracker.get_slot(slot) is not None and tracker.get_slot(slot) != before.get(slot)
    }


def describe_changes(changes: dict[str, Any], language: str) -> str | None:
    """Write "when you noticed the loss: Monday, 28 December 2026; …", or None without the database."""

    def read(session: Session) -> str:
        labels = get_labels(session, language)
        return "; ".join(
            f"{labels.get(f'fact_{slot}', slot)}: {describe_value(slot, value, language, labels, session)}"
            for slot, value in changes.items()
        )

    described = read_database(read)
    return None if isinstance(described, Unavailable) else described


class FlowAnswer(Action, ABC):
    """Send a flow's personal answer and keep its facts for corrections and follow-ups."""

    flow: FlowSpec

    @abstractmethod
    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Compose the answer from the slots; None when the procedures database failed (already said)."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Say what changed (after a correction), send the answer with the 👍 / 👎 request, and remember the flow."""
        language = reply_language(tracker)
        changes = changed_facts(tracker, self.flow)
        answer = self.compose(dispatcher, tracker, language)
        if answer is None:
            return [SlotSet(LAST_FLOW, None)]
        described = describe_changes(changes, language) if changes else None
        if described:
            dispatcher.utter_message(response="utter_fact_changed", changes=described)
        answer.send(dispatcher, feedback=True)
        facts = {slot: tracker.get_slot(slot) for slot in self.flow.facts}
        other = offer_other_topic(dispatcher, tracker, self.flow.intent)
        return [SlotSet(LAST_FLOW, self.flow.key), SlotSet(ANSWERED_FACTS, facts), SlotSet(REPAIR_ATTEMPTS, None), *other]
