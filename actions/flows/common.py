"""What the guided flows share: reading facts from a message, and the one repair mechanism.

Every form's validation action is a `FlowValidation`: it reads the facts of its flow from the
latest message (the question asked, facts given up front, corrections of earlier answers) and
decides what the message was:

- an answer, or a correction: the slots it fills or changes;
- a hedge ("I don't know"): an explanation, and "unsure" where the flow can go on without it;
- an attempt that cannot be read ("31 February", "200 months", gibberish): a polite re-ask,
  and after the third one in a row the Stop button;
- another flow's question ("our baby was born" during the lost card): the offer to switch;
- anything else (another question, a person, small talk, stop): nothing, so that Rasa's form
  rejects and the rules answer it; the form then asks its question again, saying
  "Back to your …" (`FlowQuestion`).
"""

from __future__ import annotations

import datetime as dt
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_timedelta
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.db import reads
from actions.db.engine import Unavailable
from actions.flows.catalog import SWITCHABLE, UNSURE, FlowSpec, flow_by_form, flow_by_intent, flow_by_key
from actions.language import reply_language
from actions.parsing import is_unsure, parse_date
from bot.feedback import FEEDBACK_INTENTS

JAPAN = ZoneInfo("Asia/Tokyo")
BABEL_LOCALES = {"en": "en", "ru": "ru", "uk": "uk", "zh": "zh_Hans", "ja": "ja"}
REQUESTED_SLOT = "requested_slot"
REPAIR_ATTEMPTS = "repair_attempts"
LAST_FLOW = "last_flow"
PENDING_FLOW = "pending_flow"
# Messages that steer the conversation: never an answer, the rules handle them. A 👍 / 👎 under
# an earlier answer is one (bot/feedback.py): thanked or apologised for, then the flow goes on.
STEERING_INTENTS = frozenset({"stop", "change_language", "switch_flow", "resume_flow", "repeat", *FEEDBACK_INTENTS})
# Messages that are meant as an answer even when nothing can be read from them.
ANSWER_INTENTS = frozenset({"inform", "affirm", "deny", "unsure", "nlu_fallback"})
# Messages that are never an answer to a form's question, however short.
CONVERSATION_INTENTS = frozenset(
    {"greet", "goodbye", "thank", "bot_challenge", "human_handoff", "help", "stop", "change_language"}
)
# Unreadable answers in a row before the re-ask also offers to stop.
STOP_HINT_AFTER = 3


class Invalid:
    """A value was given but cannot be used (a future date of loss, 200 months)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


def today_in_japan() -> dt.date:
    """Return today's date in Japan, where every deadline is counted.

    ASSISTANT_TODAY (YYYY-MM-DD) fixes the date, for tests and demonstrations.
    """
    fixed = os.environ.get("ASSISTANT_TODAY")
    return dt.date.fromisoformat(fixed) if fixed else dt.datetime.now(JAPAN).date()


# Russian and Ukrainian: the full format puts the weekday first, in the nominative, which
# reads wrongly after "до" / "закончился"; the weekday goes in brackets after the date instead.
WEEKDAY_AFTER = frozenset({"ru", "uk"})


def long_date(date: dt.date, language: str) -> str:
    """Write a date with its weekday, as people of ``language`` write it ("16 декабря 2026 г. (среда)")."""
    locale = BABEL_LOCALES.get(language, "en")
    if language in WEEKDAY_AFTER:
        return f"{format_date(date, format='long', locale=locale)} ({format_date(date, format='EEEE', locale=locale)})"
    return format_date(date, format="full", locale=locale)


def day_count(days: int, language: str) -> str:
    """Write a number of days with the right plural ("14 days", "14 дней", "14日")."""
    return format_timedelta(
        dt.timedelta(days=days), granularity="day", threshold=10_000, locale=BABEL_LOCALES.get(language, "en")
    )


def latest_intent(tracker: Tracker) -> str | None:
    """Return the intent of the latest user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    """Return the text of the latest user message."""
    return tracker.latest_message.get("text") or ""


def latest_entity(tracker: Tracker, entity: str) -> Any:
    """Return the value of an entity of the latest message (buttons send them), or None."""
    return next(tracker.get_latest_entity_values(entity), None)


def user_events(tracker: Tracker) -> list[dict[str, Any]]:
    """Return the user's messages of the conversation, oldest first."""
    return [event for event in tracker.events if event.get("event") == "user"]


def fact_text(tracker: Tracker) -> str:
    """Return the text to read facts from: the latest message, or the one a switch button answers.

    After "/switch_flow" the facts are in the message that asked about the other flow.
    """
    if latest_intent(tracker) == "switch_flow":
        messages = user_events(tracker)
        return (messages[-2].get("text") or "") if len(messages) > 1 else ""
    return latest_text(tracker)


def activated_by_latest_message(tracker: Tracker, form: str) -> bool:
    """Tell whether ``form`` is being activated by the latest message (or is not active at all).

    Rasa sets the active loop before the form's first validation, with the message that
    triggered it; later messages of the same form are answers.
    """
    loop = tracker.active_loop or {}
    if loop.get("name") != form:
        return True
    trigger = (loop.get("trigger_message") or {}).get("message_id")
    return trigger is not None and trigger == tracker.latest_message.get("message_id")


def resuming_after_interruption(tracker: Tracker, form: str) -> bool:
    """Tell whether ``form`` runs again after Rasa rejected it for this message (an interruption)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action_execution_rejected" and event.get("name") == form:
            return True
    return False


def looks_like_an_answer(text: str) -> bool:
    """Tell whether a text is short, or has a digit, as answers to the flows' questions are."""
    compact = "".join(text.split())
    cjk = sum(1 for char in compact if "\u3040" <= char <= "\u9fff")
    short = len(text.split()) <= 3 and (cjk <= 8 if cjk else len(compact) <= 30)
    return short or any(char.isdigit() for char in text)


@dataclass(frozen=True)
class Message:
    """What the latest message holds, as the fact readers see it."""

    text: str
    language: str
    today: dt.date
    intent: str | None
    tracker: Tracker

    def entity(self, name: str) -> Any:
        """Return an entity a button sent, or None."""
        return latest_entity(self.tracker, name) if self.intent != "switch_flow" else None

    def may_mean(self, intents: set[str]) -> bool:
        """Tell whether the message is one of ``intents``, or, when the NLU was unsure, whether one
        of its two likeliest readings is ("our baby was born on 20 December and will live here":
        facts of the newborn flow, or the flow itself)."""
        if self.intent != "nlu_fallback":
            return self.intent in intents
        ranking = self.tracker.latest_message.get("intent_ranking") or []
        readings = [item.get("name") for item in ranking if item.get("name") != "nlu_fallback"][:2]
        return any(reading in intents for reading in readings)


# reader(message, asked) -> value, INVALID, or None when the message says nothing about it.
Reader = Callable[[Message, bool], Any]


def past_date_reader(flow_intent: str) -> Reader:
    """Make a reader of a day in the past (when a loss was noticed, a date of birth).

    Month names are read when the message answers the question or is about the flow; a day in
    the future cannot be the answer.
    """

    def read(message: Message, asked: bool) -> Any:
        loose = asked or message.may_mean({flow_intent, "inform"})
        date = parse_date(message.text, message.language, message.today, prefer="past", strict=not loose)
        if date is None:
            return None
        return date.isoformat() if date <= message.today else (INVALID if asked else None)

    return read


class FlowValidation(FormValidationAction, ABC):
    """Fill one flow's slots from free text, and repair the conversation when it strays.

    Subclasses give the flow, a reader per slot, and the responses for an unreadable answer
    and for a hedge; `review` may adjust what was read (e.g. an interval of dates).
    """

    flow: FlowSpec
    readers: dict[str, Reader] = {}
    not_understood: dict[str, str] = {}
    # Slots a hedge may answer ("unsure"); for the others a hedge is explained and asked again.
    unsure_allowed: frozenset[str] = frozenset()
    # Yes/no questions, where a hedge wins over words read in the same message ("I don't know
    # yet, we might move back" is not a no); elsewhere "maybe someone took it" is an answer.
    hedge_wins: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str:
        """Return `validate_<form name>`; abstract so rasa-sdk registers only the real forms."""

    def review(
        self, updates: dict[str, Any], message: Message, dispatcher: CollectingDispatcher, asked: str | None
    ) -> dict[str, Any]:
        """Adjust the slot updates read from one message (override per flow)."""
        return updates

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Return the slot events for the latest message (none means: not an answer)."""
        updates = self.decide(dispatcher, tracker)
        return [SlotSet(slot, value) for slot, value in updates.items()]

    def read(self, tracker: Tracker, asked: str | None, slots: tuple[str, ...] | None = None) -> tuple[Message, dict[str, Any]]:
        """Read the facts of the flow (or only ``slots``) that the latest message states."""
        message = Message(fact_text(tracker), reply_language(tracker), today_in_japan(), latest_intent(tracker), tracker)
        found = {slot: reader(message, slot == asked) for slot, reader in self.readers.items() if slots is None or slot in slots}
        return message, {slot: value for slot, value in found.items() if value is not None}

    def decide(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """Decide what the latest message is for this form (see the module docstring)."""
        intent = latest_intent(tracker)
        activating = activated_by_latest_message(tracker, self.flow.form)
        if intent in STEERING_INTENTS and not activating:
            return {}
        if not activating and resuming_after_interruption(tracker, self.flow.form):
            return {}  # the form runs again after an interruption: nothing new to read
        asked = None if activating else tracker.get_slot(REQUESTED_SLOT)
        message, found = self.read(tracker, asked)
        hedged = is_unsure(message.text) or intent == "unsure"
        if asked in self.hedge_wins and not activating and hedged:
            return self._hedge(dispatcher, asked)  # "I don't know yet, we might move" is not a no
        valid = {slot: value for slot, value in found.items() if value is not INVALID}
        if activating:
            return self.review(self._activation(tracker, valid, intent), message, dispatcher, asked)
        updates = {slot: value for slot, value in valid.items() if value != tracker.get_slot(slot)}
        if asked in valid:
            return self.review({**updates, REPAIR_ATTEMPTS: None}, message, dispatcher, asked)
        meant_as_answer = self.meant_as_answer(message)
        if updates and meant_as_answer:  # a correction of an earlier answer; the question is asked again
            return self.review(updates, message, dispatcher, asked)
        if asked is None:
            return {}
        wanted = flow_by_intent(intent)
        if wanted in SWITCHABLE and wanted != self.flow:
            return self._offer_switch(dispatcher, message, wanted)
        if hedged:
            return self._hedge(dispatcher, asked)
        if found.get(asked) is INVALID or meant_as_answer:
            return self._ask_again(dispatcher, tracker, asked)
        return {}  # another question: Rasa rejects the form and the rules answer it

    def _activation(self, tracker: Tracker, found: dict[str, Any], intent: str | None) -> dict[str, Any]:
        """Start the flow: keep the earlier facts for a correction or a what-if, else start afresh."""
        revising = tracker.get_slot(LAST_FLOW) == self.flow.key and (self.changes_answer(tracker, found) or intent == "inform")
        updates: dict[str, Any] = {REPAIR_ATTEMPTS: None, PENDING_FLOW: None}
        for slot in self.flow.facts:
            if slot in found:
                updates[slot] = found[slot]
            elif not revising and tracker.get_slot(slot) is not None:
                updates[slot] = None
        if not revising:
            updates["answered_facts"] = None
        return updates

    def meant_as_answer(self, message: Message) -> bool:
        """Tell whether a message that could not be read was meant as an answer (not another question).

        An unclear message (the fallback) is an answer attempt when it is short or has a number
        ("banana", "31st of Smarch"); a longer one is more likely another question.
        """
        if message.intent == "nlu_fallback":
            return looks_like_an_answer(message.text)
        return message.intent in ANSWER_INTENTS or message.intent == self.flow.intent

    def changes_answer(self, tracker: Tracker, found: dict[str, Any]) -> bool:
        """Tell whether facts read from a message differ from those of the answer just given.

        "maybe someone took it" after a lost-card answer is a correction; "I lost my card"
        again, with nothing new, starts the flow afresh.
        """
        if tracker.get_slot(LAST_FLOW) != self.flow.key:
            return False
        return any(value is not INVALID and value != tracker.get_slot(slot) for slot, value in found.items())

    def _offer_switch(self, dispatcher: CollectingDispatcher, message: Message, wanted: FlowSpec) -> dict[str, Any]:
        """Ask whether to leave this flow for the one just asked about (Switch / Continue buttons).

        The form then asks its question again; "/switch_flow" starts the other flow
        (stories/repair.yml), "/resume_flow" or an answer goes on with this one.
        """
        dispatcher.utter_message(
            response="utter_offer_flow_switch",
            current=flow_title(self.flow, message.language),
            wanted=flow_title(wanted, message.language),
        )
        return {PENDING_FLOW: wanted.key}

    def _hedge(self, dispatcher: CollectingDispatcher, asked: str) -> dict[str, Any]:
        dispatcher.utter_message(response=f"utter_unsure_{asked}")
        if asked in self.unsure_allowed:
            return {asked: UNSURE, REPAIR_ATTEMPTS: None}
        return {asked: None}

    def _ask_again(self, dispatcher: CollectingDispatcher, tracker: Tracker, asked: str) -> dict[str, Any]:
        attempts = int(tracker.get_slot(REPAIR_ATTEMPTS) or 0) + 1
        dispatcher.utter_message(response=self.not_understood[asked])
        if attempts >= STOP_HINT_AFTER:
            dispatcher.utter_message(response="utter_flow_stop_hint")
        return {asked: None, REPAIR_ATTEMPTS: float(attempts)}


class FlowQuestion(Action, ABC):
    """Ask a flow's question; after an interruption, first say "Back to your …" with buttons.

    One subclass per slot is made by `question_actions`; the question itself is the domain
    response `utter_ask_<slot>`.
    """

    @property
    @abstractmethod
    def slot(self) -> str:
        """Return the slot asked for; abstract so rasa-sdk registers only the real questions."""

    def name(self) -> str:
        """Return the name a form calls to ask for this slot."""
        return f"action_ask_{self.slot}"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Send the question (override for questions with values from the database)."""
        dispatcher.utter_message(response=f"utter_ask_{self.slot}")

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Say where the conversation returns to, then ask."""
        flow = flow_by_form(tracker.active_loop.get("name"))
        if flow is not None and resuming_after_interruption(tracker, flow.form):
            dispatcher.utter_message(response="utter_flow_resume", flow=flow_title(flow, reply_language(tracker)))
        self.ask(dispatcher, tracker)
        return []


def question_actions(slots: tuple[str, ...], base: type[FlowQuestion] = FlowQuestion) -> list[type[FlowQuestion]]:
    """Make the `action_ask_<slot>` action of each slot (rasa-sdk registers every subclass)."""
    return [type(f"Ask_{slot}", (base,), {"slot": slot, "__doc__": f"Ask for {slot}."}) for slot in slots]


def flow_title(flow: FlowSpec, language: str) -> str:
    """Return a flow's name in ``language`` ("lost card"), from the content labels."""
    labels = reads.labels(language)
    return flow.key.replace("_", " ") if isinstance(labels, Unavailable) else labels.get(f"flow_{flow.key}", flow.key)


def last_answered_flow(tracker: Tracker) -> FlowSpec | None:
    """Return the flow whose personal answer was given last, or None."""
    return flow_by_key(tracker.get_slot(LAST_FLOW))
