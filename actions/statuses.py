"""Status of residence: what a named status allows, with examples and periods of stay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from babel.dates import format_timedelta
from babel.lists import format_list
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.db.queries import StatusInfo
from actions.flows.common import BABEL_LOCALES, latest_text
from actions.language import reply_language
from actions.procedures import utter_procedure

DAYS = {"years": 365, "months": 30, "days": 1}
UNITS = ("years", "months", "days")
GRANULARITY: dict[str, Literal["year", "month", "day"]] = {"years": "year", "months": "month", "days": "day"}
# Chinese and Japanese write "5年", "3か月" with no space between number and unit.
UNSPACED = {"zh", "ja"}


def amount_text(period: dict[str, int], language: str) -> str:
    """Write an amount of time ("4 years and 3 months", "4 года и 3 месяца", "4年3か月")."""
    locale = BABEL_LOCALES.get(language, "en")
    parts = [
        format_timedelta(
            dt.timedelta(days=period[unit] * DAYS[unit]),
            granularity=GRANULARITY[unit],
            threshold=10_000 if unit == "days" else 1.1,
            locale=locale,
        )
        for unit in UNITS
        if period.get(unit)
    ]
    if language in UNSPACED:
        return "".join(part.replace(" ", "") for part in parts)
    return format_list(parts, locale=locale)


def period_text(
    period: dict[str, int] | str, language: str, labels: Mapping[str, str], max_period: dict[str, int] | None = None
) -> str:
    """Write one period of stay ("5 years", "3 месяца", "15 days or less", a designated period)."""
    if isinstance(period, str):
        if period == "designated_by_minister" and max_period and "period_designated_by_minister_up_to" in labels:
            return labels["period_designated_by_minister_up_to"].format(period=amount_text(max_period, language))
        return labels.get(f"period_{period}", period)
    text = amount_text(period, language)
    if period.get("or_less") and "period_or_less" in labels:
        return labels["period_or_less"].format(period=text)
    return text


def periods_text(status: StatusInfo, language: str, labels: Mapping[str, str]) -> str:
    """Write all periods of a status as one list ("5 years, 3 years, 1 year or 3 months")."""
    texts = [period_text(period, language, labels, status.max_period) for period in status.periods_of_stay]
    return format_list(texts, style="or", locale=BABEL_LOCALES.get(language, "en"))


class ActionAnswerStatus(Action):
    """Describe the status of residence the user names, or the general answer if none is named."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_answer_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Look the status up by any of its names in the five languages."""
        language = reply_language(tracker)
        text = latest_text(tracker)

        status = reads.status_named_in(text, language)
        if status is None:
            general = reads.procedure("status_of_residence_info", language)
            if isinstance(general, Unavailable):
                dispatcher.utter_message(response="utter_temporarily_unavailable")
            elif general is None:
                dispatcher.utter_message(response="utter_ask_information_center")
            else:
                utter_procedure(dispatcher, general)
            return []
        labels = reads.labels(language)
        if isinstance(status, Unavailable) or isinstance(labels, Unavailable):
            dispatcher.utter_message(response="utter_temporarily_unavailable")
            return []
        periods = periods_text(status, language, labels)
        dispatcher.utter_message(
            response="utter_status_info",
            status_name=status.name,
            activities=status.activities,
            examples=status.examples,
            periods=periods,
        )
        dispatcher.utter_message(response="utter_general_guidance", feedback=True)
        return []
