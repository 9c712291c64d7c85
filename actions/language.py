"""Which of the five languages an answer is written in: the conversation's `language` slot."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.languages import DEFAULT_LANGUAGE, normalize_language

LANGUAGE_SLOT = "language"


def reply_language(tracker: Tracker) -> str:
    """Return the conversation's language: the slot, else English, as Rasa's responses do.

    The slot is the one owner of the conversation's language: the NLU detects it (the
    client's `language_code` is a hint to that detection only), `action_validate_slot_mappings`
    keeps an explicit choice, and every reply carries it to the front ends (bot/rasa_server.py).
    Without a slot, Rasa's responses take their default variation, English; so do actions.
    """
    return normalize_language(tracker.get_slot(LANGUAGE_SLOT)) or DEFAULT_LANGUAGE
