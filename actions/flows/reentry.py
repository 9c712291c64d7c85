"""Re-entry flow: how long away and when the period of stay ends → which permit, why, what to do."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.common import FlowValidation, latest_text, long_date, today_in_japan
from actions.language import reply_language
from actions.parsing import parse_date, parse_duration_months
from actions.procedures import fetch_procedure, links_text

FORM = "reentry_form"
SLOTS = ("away_months", "stay_end_date")
DAYS_PER_MONTH = 365.25 / 12


def _away_months(tracker: Tracker, language: str, strict: bool) -> float | None:
    months = parse_duration_months(latest_text(tracker))
    return months if months and months > 0 else None


def _stay_end(tracker: Tracker, language: str, strict: bool) -> str | None:
    if strict:  # a date in the opening question is about the trip, not the period of stay
        return None
    today = today_in_japan()
    date = parse_date(latest_text(tracker), language, today, prefer="future")
    return date.isoformat() if date else None


def add_months(start: dt.date, months: float) -> dt.date:
    """Return the date ``months`` after ``start`` (whole months by calendar, the rest in days)."""
    whole = int(months)
    years, month_index = divmod(start.month - 1 + whole, 12)
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, month_index + 1)[1])
    return dt.date(year, month_index + 1, day) + dt.timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def choose_permit(today: dt.date, away_months: float, stay_end: dt.date, special_max_years: int) -> str:
    """Return 'stay_ends_first', 'special' or 'permit' for a trip starting today."""
    back = add_months(today, away_months)
    if stay_end <= today or back > stay_end:
        return "stay_ends_first"
    if back <= add_months(today, 12 * special_max_years):
        return "special"
    return "permit"


class ValidateReentryForm(FlowValidation):
    """Read how long the user will be away and when their period of stay ends."""

    parsers = {"away_months": _away_months, "stay_end_date": _stay_end}
    not_understood = {"away_months": "utter_not_a_duration", "stay_end_date": "utter_not_a_date"}

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    async def extract_away_months(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read how long the trip will be."""
        return self.extract("away_months", dispatcher, tracker)

    async def extract_stay_end_date(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Read the last day of the period of stay."""
        return self.extract("stay_end_date", dispatcher, tracker)


class ActionReentryAnswer(Action):
    """Tell which permit fits the trip, why, and what to do at departure."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_reentry_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Compare the return date with one year and with the end of the period of stay."""
        language = reply_language(tracker)
        reset = [SlotSet(slot, None) for slot in SLOTS]
        answer = fetch_procedure(dispatcher, "reentry_permit", language)
        if answer is None:
            return reset
        today = today_in_japan()
        away = float(tracker.get_slot("away_months"))
        stay_end = dt.date.fromisoformat(tracker.get_slot("stay_end_date"))
        special_years = int(answer.values["special_reentry_max_years"])
        outcome = choose_permit(today, away, stay_end, special_years)
        dispatcher.utter_message(
            response=f"utter_reentry_{outcome}",
            months=f"{away:g}",
            back_date=long_date(add_months(today, away), language),
            stay_end=long_date(stay_end, language),
            special_years=special_years,
            max_years=answer.values["reentry_max_years"],
        )
        dispatcher.utter_message(response="utter_procedure_link", links=links_text(answer))
        return reset

