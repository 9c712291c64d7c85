"""Decide which of the five languages an answer is written in."""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.languages import DEFAULT_LANGUAGE, normalize_language

LANGUAGE_SLOT = "language"


def reply_language(tracker: Tracker) -> str:
    """Return the conversation's language: the slot, then the client's hint, then English."""
    metadata = tracker.latest_message.get("metadata") or {}
    return (
        normalize_language(tracker.get_slot(LANGUAGE_SLOT))
        or normalize_language(metadata.get("language_code"))
        or DEFAULT_LANGUAGE
    )
