"""The "Was this helpful? 👍 / 👎" feedback: the names every part of the mechanism shares.

An action asks for feedback on its answer by putting ``feedback=True`` on the answer's last
message (`dispatcher.utter_message(..., feedback=True)`); Rasa keeps the key in the
BotUttered event's metadata, and bot/rasa_server.py sends that message out with
``"metadata": {"language": …, "feedback": true}``. The front ends draw 👍 / 👎 under it from
their own texts and send the pressed one to Rasa as the user's message, an intent payload:
``/feedback_helpful`` or ``/feedback_not_helpful``. Those two intents are only ever sent by these
buttons, so they have no training examples (the data check reads them from here).

Pure Python without dependencies: the Rasa server, the action server, the front ends and the
developer tools all import it (docs/architecture.md).
"""

from __future__ import annotations

# The key of a bot message's metadata that asks the front ends for the 👍 / 👎 row.
FEEDBACK_KEY = "feedback"
HELPFUL = "feedback_helpful"
NOT_HELPFUL = "feedback_not_helpful"
# The intents the feedback buttons send, 👍 first; button-only, without training examples.
FEEDBACK_INTENTS = (HELPFUL, NOT_HELPFUL)


def feedback_payload(intent: str) -> str:
    """Return the payload a feedback button sends to Rasa ("/feedback_helpful")."""
    if intent not in FEEDBACK_INTENTS:
        raise ValueError(f"not a feedback intent: {intent!r}")
    return f"/{intent}"


FEEDBACK_PAYLOADS = tuple(feedback_payload(intent) for intent in FEEDBACK_INTENTS)
