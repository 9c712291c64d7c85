"""Conversation-wide actions: the reply language on every turn, and cancelling a flow."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.flows.catalog import FLOW_SLOTS
from actions.flows.common import latest_entity, latest_intent, latest_text
from actions.parsing import parse_target_language
from bot.languages import normalize_language

# What a cancelled flow forgets: every fact, and what the repair mechanism kept.
RESET_SLOTS = (*FLOW_SLOTS, "requested_slot", "repair_attempts", "last_flow", "pending_flow", "answered_facts")


# Below this, a detection ("ok", "Osaka") does not switch a conversation's language.
WEAK_DETECTION = 0.5
# Russian and Ukrainian, Chinese and Japanese share words and characters: a short message
# ("не знаю", "до 30.09.2028", "2027年12月31日") detected weakly as the other language of the
# pair keeps the conversation's language.
CONFUSABLE = frozenset({frozenset({"ru", "uk"}), frozenset({"zh", "ja"})})
WEAK_BETWEEN_CONFUSABLE = 0.6


def language_before_latest_message(tracker: Tracker) -> str | None:
    """Return the reply language the conversation had before the latest user message."""
    seen_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user_message = True
        elif seen_user_message and event.get("event") == "slot" and event.get("name") == "language":
            return event.get("value")
    return None


class ValidateGlobalSlots(ValidationAction):
    """Keep the reply language: the detected one, unless the user chose one explicitly."""

    def name(self) -> str:
        """Return the name Rasa calls after extracting slots on every turn."""
        return "action_validate_slot_mappings"

    async def extract_chosen_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the language a user asks for ("говори по-украински", a language button)."""
        if latest_intent(tracker) != "change_language":
            return {}
        text = latest_text(tracker)
        target = latest_entity(tracker, "language") if text.startswith("/") else parse_target_language(text)
        target = normalize_language(target)
        return {"chosen_language": target} if target else {}

    async def validate_language(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Let an explicit choice win, and keep the language when this message says little."""
        chosen = tracker.get_slot("chosen_language")
        if chosen:
            return {"language": chosen}
        confidence = next(
            (e.get("confidence", 1.0) for e in tracker.latest_message.get("entities", []) if e.get("entity") == "language"),
            1.0,
        )
        previous = language_before_latest_message(tracker)
        if previous and confidence < WEAK_DETECTION:
            return {"language": previous}
        if previous and confidence < WEAK_BETWEEN_CONFUSABLE and frozenset({previous, slot_value}) in CONFUSABLE:
            return {"language": previous}
        return {"language": slot_value}


class ActionCancelFlow(Action):
    """Forget the answers of a cancelled flow and say so."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_cancel_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Reset every flow slot."""
        dispatcher.utter_message(response="utter_flow_cancelled")
        return [SlotSet(slot, None) for slot in RESET_SLOTS]
