"""Status of residence: what a named status allows, with examples and periods of stay."""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_timedelta
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.db.engine import Unavailable, read_database
from actions.db.queries import ProcedureAnswer, StatusInfo, find_status, get_labels, get_procedure
from actions.flows.common import BABEL_LOCALES, latest_text
from actions.language import reply_language
from actions.procedures import utter_procedure

DAYS = {"years": 365, "months": 30, "days": 1}


def period_text(period: dict[str, int] | str, language: str, labels: dict[str, str]) -> str:
    """Write one period of stay ("5 years", "3 месяца", a designated period) in ``language``."""
    if isinstance(period, str):
        return labels.get(f"period_{period}", period)
    unit, amount = next(iter(period.items()))
    return format_timedelta(dt.timedelta(days=amount * DAYS[unit]), granularity=unit.rstrip("s"),
                            threshold=10_000 if unit == "days" else 1.1, locale=BABEL_LOCALES.get(language, "en"))


class ActionAnswerStatus(Action):
    """Describe the status of residence the user names, or the general answer if none is named."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_answer_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Look the status up by any of its names in the five languages."""
        language = reply_language(tracker)
        text = latest_text(tracker)

        def read(session: Session) -> tuple[StatusInfo | None, dict[str, str], ProcedureAnswer | None]:
            status = find_status(session, text, language)
            general = None if status else get_procedure(session, "status_of_residence_info", language)
            return status, get_labels(session, language), general

        found = read_database(read)
        if isinstance(found, Unavailable):
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        status, labels, general = found
        if status is None:
            if general is None:
                dispatcher.utter_message(response="utter_ask_information_center")
            else:
                utter_procedure(dispatcher, general)
            return []
        periods = ", ".join(period_text(period, language, labels) for period in status.periods_of_stay)
        dispatcher.utter_message(response="utter_status_info", status_name=status.name,
                                 activities=status.activities, examples=status.examples, periods=periods)
        dispatcher.utter_message(response="utter_general_guidance")
        return []
