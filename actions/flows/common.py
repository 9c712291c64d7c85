"""What the guided flows share: reading answers from free text and writing dates per language."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
import os
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_timedelta
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.language import reply_language

JAPAN = ZoneInfo("Asia/Tokyo")
BABEL_LOCALES = {"en": "en", "ru": "ru", "uk": "uk", "zh": "zh_Hans", "ja": "ja"}
# Messages that are not answers: the flow stops or changes language instead of re-asking.
INTERRUPTING_INTENTS = frozenset({"stop", "change_language"})
REQUESTED_SLOT = "requested_slot"


def today_in_japan() -> dt.date:
    """Return today's date in Japan, where every deadline is counted.

    ASSISTANT_TODAY (YYYY-MM-DD) fixes the date, for tests and demonstrations.
    """
    fixed = os.environ.get("ASSISTANT_TODAY")
    return dt.date.fromisoformat(fixed) if fixed else dt.datetime.now(JAPAN).date()


def long_date(date: dt.date, language: str) -> str:
    """Write a date with its weekday, as people of ``language`` write it."""
    return format_date(date, format="full", locale=BABEL_LOCALES.get(language, "en"))


def day_count(days: int, language: str) -> str:
    """Write a number of days with the right plural ("14 days", "14 дней", "14日")."""
    return format_timedelta(dt.timedelta(days=days), granularity="day", threshold=10_000,
                            locale=BABEL_LOCALES.get(language, "en"))


def latest_text(tracker: Tracker) -> str:
    """Return the text of the latest user message."""
    return tracker.latest_message.get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    """Return the intent of the latest user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, entity: str) -> Any:
    """Return the value of an entity of the latest message (buttons send them), or None."""
    return next(tracker.get_latest_entity_values(entity), None)


def user_texts_since(tracker: Tracker, action_name: str) -> list[str]:
    """Return the user's messages since ``action_name`` (a form) last started."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            texts.append(event.get("text") or "")
        if event.get("event") == "action" and event.get("name") == action_name and len(texts) > 1:
            break
    return list(reversed(texts))


class FlowValidation(FormValidationAction, ABC):
    """Fill a form's slots from free text: the slot it asked for, or facts given up front.

    Subclasses map each slot to a parser and to the response sent when an answer to that
    slot cannot be read; `extract_<slot>` methods call `extract` (rasa-sdk finds them by name).
    """

    # slot -> parse(tracker, language, strict); strict parsing (no guessing from loose words)
    # is used for facts given up front, when the slot was not asked for.
    parsers: dict[str, Callable[[Tracker, str, bool], Any]] = {}
    not_understood: dict[str, str] = {}
    # Slots that may be filled from a message that answered another question.
    fill_any_time: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str:
        """Return `validate_<form name>`; abstract so rasa-sdk registers only the real forms."""

    def extract(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Read one slot from the latest message; re-ask politely when it was asked and unreadable."""
        if latest_intent(tracker) in INTERRUPTING_INTENTS or tracker.get_slot(slot) is not None:
            return {}
        requested = tracker.get_slot(REQUESTED_SLOT)
        if requested not in (None, slot) and slot not in self.fill_any_time:
            return {}
        value = self.parsers[slot](tracker, reply_language(tracker), requested != slot)
        if value is not None:
            return {slot: value}
        if requested == slot:
            dispatcher.utter_message(response=self.not_understood[slot])
            return {slot: None}
        return {}
