"""Re-entry flow: how long away and when the period of stay ends → which permit, why, what to do."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.flows.answers import Answer, FlowAnswer
from actions.flows.catalog import REENTRY
from actions.flows.common import (
    INVALID,
    FlowValidation,
    Message,
    long_date,
    question_actions,
    today_in_japan,
)
from actions.parsing import duration_in_bounds, parse_date, parse_date_span, parse_duration_months
from actions.procedures import fetch_procedure, links_text

FORM = REENTRY.form
DAYS_PER_MONTH = 365.25 / 12
# Words that say a date is the end of the period of stay, not the day of the trip.
_STAY_END_WORDS = re.compile(
    r"visa|period of stay|status|residence card|expir|valid|until|till|ends?\b|"
    r"виз|срок|карт|действ|истека|закінч|строк|віз|дійс|до\s|"
    r"签证|在留|期限|到期|有效|到\d|截止|ビザ|きげん|期限|期間|まで|満了"
)

# A day and a month written together: when no date can be read from it, the day does not exist.
_MONTH_NAME = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек"
    r"|січ|лют|берез|квіт|трав|черв|лип|серп|верес|жовт|листоп|груд)"
)
_DAY_ATTEMPT = re.compile(
    rf"\b\d{{1,2}}\s*[./-]\s*\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH_NAME}|\b{_MONTH_NAME}\w*\s+\d{{1,2}}\b(?!\d)"
    r"|\d{1,2}\s*月\s*\d{1,2}\s*[日号]"
)


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


def read_away_months(message: Message, asked: bool) -> Any:
    """Read how long the trip will be; 0 or more than 120 months cannot be used."""
    months = parse_duration_months(message.text)
    if months is None:
        return None
    return months if duration_in_bounds(months) else (INVALID if asked else None)


def read_stay_end(message: Message, asked: bool) -> Any:
    """Read the end of the period of stay: a day, or a whole month or year ("until 2031").

    A month or a year alone is kept as "2031" or "2031-03"; `review` decides whether the
    answer is the same for every day of it.
    """
    if not asked and not _STAY_END_WORDS.search(message.text.lower()):
        return None  # a date in the opening question is about the trip, not the period of stay
    # The words say this is the end of the stay, so month names may be read too ("31 March 2028").
    date = parse_date(message.text, message.language, message.today, prefer="future")
    if date is not None:
        return date.isoformat()
    if _DAY_ATTEMPT.search(message.text.lower()):
        return INVALID if asked else None  # "31.02.2027", "31 February": a day that does not exist
    span = parse_date_span(message.text, message.language, message.today, prefer="future")
    if span is None:
        return None
    if span.grain == "year":
        return f"{span.first.year:04d}"
    if span.grain == "month":
        return f"{span.first.year:04d}-{span.first.month:02d}"
    return span.first.isoformat()


def stay_end_interval(value: str) -> tuple[dt.date, dt.date]:
    """Return the first and last day a stored end of stay may mean ("2031" → the whole year)."""
    if len(value) == 4:
        year = int(value)
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if len(value) == 7:
        year, month = int(value[:4]), int(value[5:])
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    day = dt.date.fromisoformat(value)
    return day, day


class ValidateReentryForm(FlowValidation):
    """Read how long the user will be away and when their period of stay ends."""

    flow = REENTRY
    readers = {"away_months": read_away_months, "stay_end_date": read_stay_end}
    not_understood = {"away_months": "utter_not_a_duration", "stay_end_date": "utter_not_a_date"}

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"

    def review(
        self, updates: dict[str, Any], message: Message, dispatcher: CollectingDispatcher, asked: str | None
    ) -> dict[str, Any]:
        """Keep a month or year of the end of stay only when every day of it gives the same answer."""
        stay_end = updates.get("stay_end_date")
        away = updates.get("away_months", message.tracker.get_slot("away_months"))
        if not stay_end or len(stay_end) == 10 or away is None:
            return updates
        procedure = reads.procedure("reentry_permit", message.language)
        if procedure is None or isinstance(procedure, Unavailable):
            return updates  # the answer will say that the database cannot be read
        special_years = int(procedure.values["special_reentry_max_years"])
        first, last = stay_end_interval(stay_end)
        if choose_permit(message.today, float(away), first, special_years) == choose_permit(
            message.today, float(away), last, special_years
        ):
            return updates
        if asked == "stay_end_date":
            dispatcher.utter_message(response="utter_need_exact_day")
        return {**updates, "stay_end_date": None}


class ActionReentryAnswer(FlowAnswer):
    """Tell which permit fits the trip, why, and what to do at departure."""

    flow = REENTRY

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_reentry_answer"

    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Compare the return date with one year and with the end of the period of stay."""
        answer = fetch_procedure(dispatcher, "reentry_permit", language)
        if answer is None:
            return None
        today = today_in_japan()
        away = float(tracker.get_slot("away_months"))
        stored_end = str(tracker.get_slot("stay_end_date"))
        first, last = stay_end_interval(stored_end)
        special_years = int(answer.values["special_reentry_max_years"])
        outcome = choose_permit(today, away, first, special_years)
        result = Answer()
        result.add(
            f"utter_reentry_{outcome}",
            months=f"{away:g}",
            back_date=long_date(add_months(today, away), language),
            stay_end=long_date(first, language) if first == last else stored_end,
            special_years=special_years,
            max_years=answer.values["reentry_max_years"],
        )
        if first != last:
            result.add("utter_assumed_stay_end", first=long_date(first, language), last=long_date(last, language))
        result.add("utter_procedure_link", links=links_text(answer))
        return result


ASK_ACTIONS = question_actions(REENTRY.slots)
