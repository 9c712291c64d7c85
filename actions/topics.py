"""Two procedures asked in one message: which first, then the other one offered after the answer.

The NLU marks a message that asks two procedures at once with its two ``topics``
(bot/nlu/intent_classifier.py); ``action_did_you_mean`` asks which comes first and keeps both
in the ``asked_topics`` slot. When one of them has been answered (a procedure answer, or the
personal answer at the end of a guided flow), the other is offered as a button, once.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.language import reply_language

ASKED_TOPICS = "asked_topics"
SUGGESTIONS = 3


def message_topics(tracker: Tracker) -> list[str]:
    """Return the two procedures the latest message asked for at once ([] for a message of one need)."""
    topics = tracker.latest_message.get("topics")
    if isinstance(topics, list) and len(topics) == 2 and all(isinstance(topic, str) for topic in topics):
        return list(topics)
    return []


def procedure_buttons(intents: list[str], language: str, limit: int = SUGGESTIONS) -> list[dict[str, str]] | Unavailable:
    """Return a button per intent that has a procedure (at most ``limit``), titled in ``language``, in order.

    Each title comes from the procedure read kept per content version (actions/db/reads.py):
    a "which do you mean?" question no longer reads two or three whole procedures anew.
    """
    buttons: list[dict[str, str]] = []
    for intent in intents:
        if len(buttons) == limit:
            break
        procedure = reads.procedure(intent, language)
        if isinstance(procedure, Unavailable):
            return procedure
        if procedure is not None:
            buttons.append({"title": procedure.title, "payload": f"/{intent}"})
    return buttons


def offer_other_topic(dispatcher: CollectingDispatcher, tracker: Tracker, answered: str) -> list[dict[str, Any]]:
    """After the answer to ``answered``, offer the other procedure the user asked with it (once)."""
    topics = tracker.get_slot(ASKED_TOPICS)
    if not isinstance(topics, list) or answered not in topics:
        return []
    others = [topic for topic in topics if topic != answered and isinstance(topic, str)]
    buttons = procedure_buttons(others, reply_language(tracker))
    if buttons and not isinstance(buttons, Unavailable):
        dispatcher.utter_message(response="utter_other_topic", buttons=buttons)
    return [SlotSet(ASKED_TOPICS, None)]
