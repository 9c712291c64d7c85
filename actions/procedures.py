"""Answer a procedure question from the procedures database."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.db.queries import ProcedureAnswer
from actions.language import reply_language
from actions.topics import offer_other_topic

logger = logging.getLogger(__name__)


def numbered(items: list[str]) -> str:
    """Format steps as a numbered list."""
    return "\n".join(f"{index}. {item}" for index, item in enumerate(items, start=1))


def bulleted(items: list[str]) -> str:
    """Format documents as a bulleted list."""
    return "\n".join(f"• {item}" for item in items)


def links_text(answer: ProcedureAnswer) -> str:
    """Format the official links, one per line with its label."""
    return "\n".join(f"{link.label}: {link.url}" for link in answer.links)


def utter_procedure(dispatcher: CollectingDispatcher, answer: ProcedureAnswer) -> None:
    """Send a procedure short first: summary, steps, documents, conditions, then the official link.

    The conditions (who it is for, the cases, the exceptions) come after the steps and the
    documents because the steps point to them ("the exceptions below"). The link, the answer's
    last message, asks the front ends for "Was this helpful? 👍 / 👎" (bot/feedback.py).
    """
    if answer.fell_back:
        dispatcher.utter_message(response="utter_content_in_english")
    dispatcher.utter_message(response="utter_procedure_summary", title=answer.title, summary=answer.summary)
    if answer.steps:
        dispatcher.utter_message(response="utter_procedure_steps", steps=numbered(answer.steps))
    if answer.documents:
        dispatcher.utter_message(response="utter_procedure_documents", documents=bulleted(answer.documents))
    if answer.conditions:
        dispatcher.utter_message(response="utter_procedure_conditions", conditions=bulleted(answer.conditions))
    dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer), feedback=True)


def fetch_procedure(dispatcher: CollectingDispatcher, key: str, language: str) -> ProcedureAnswer | None:
    """Load a procedure for an answer; when it cannot be had, tell the user politely and return None."""
    answer = reads.procedure(key, language)
    if isinstance(answer, Unavailable):
        dispatcher.utter_message(response="utter_temporarily_unavailable")
        return None
    if answer is None:
        logger.warning("No content for procedure %r", key)
        dispatcher.utter_message(response="utter_ask_information_center")
    return answer


class ActionAnswerProcedure(Action):
    """Answer the procedure the latest intent asks about."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_answer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Look the procedure up in the reply language and send it."""
        key = (tracker.latest_message.get("intent") or {}).get("name") or ""
        answer = fetch_procedure(dispatcher, key, reply_language(tracker))
        if answer is None:
            return []
        utter_procedure(dispatcher, answer)
        return offer_other_topic(dispatcher, tracker, key)
