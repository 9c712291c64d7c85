"""Rasa's SQL tracker store, minus identity document numbers in what users wrote.

Named in endpoints.yml as `type: bot.tracker_store.RedactingSQLTrackerStore`; it runs in the
Rasa server. Conversations survive restarts as with Rasa's own SQL store.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import redact_document_numbers


def _redacted(event: Event) -> Event:
    if not isinstance(event, UserUttered) or not event.text:
        return event
    clean = redact_document_numbers(event.text)
    if clean == event.text:
        return event
    stored = copy.deepcopy(event)
    stored.text = clean
    stored.parse_data["text"] = clean  # the parse result keeps its own copy of the text
    return stored


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Store conversations in SQL with document numbers removed from user messages."""

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Return the events not stored yet, with user texts redacted."""
        return (_redacted(event) for event in super()._additional_events(session, tracker))
