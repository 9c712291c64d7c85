"""Child born in Japan flow: date of birth, staying beyond 60 days → steps and the last day to apply."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.answers import Answer, FlowAnswer
from actions.flows.catalog import CHILD_BIRTH, UNSURE
from actions.flows.common import (
    FlowQuestion,
    FlowValidation,
    Message,
    day_count,
    long_date,
    past_date_reader,
    question_actions,
    today_in_japan,
)
from actions.language import reply_language
from actions.parsing import parse_stay_plan, parse_yes_no
from actions.procedures import bulleted, fetch_procedure, links_text

FORM = CHILD_BIRTH.form


# Reads the child's date of birth.
read_birth_date = past_date_reader(CHILD_BIRTH.intent)


def read_stays(message: Message, asked: bool) -> bool | None:
    """Read whether the child will stay in Japan beyond 60 days ("she will live here with us")."""
    plan = parse_stay_plan(message.text)
    if plan is not None or not asked:
        return plan
    return parse_yes_no(message.text, message.intent)


class ValidateChildBirthForm(FlowValidation):
    """Read the child's date of birth and whether the child stays beyond 60 days."""

    flow = CHILD_BIRTH
    readers = {"birth_date": read_birth_date, "child_stays_beyond_60_days": read_stays}
    not_understood = {"birth_date": "utter_not_a_past_date", "child_stays_beyond_60_days": "utter_not_yes_no"}
    unsure_allowed = frozenset({"child_stays_beyond_60_days"})
    hedge_wins = unsure_allowed

    def name(self) -> str:
        """Return the action's name in the domain."""
        return f"validate_{FORM}"


class ActionChildBirthAnswer(FlowAnswer):
    """Tell the birth-notification step, the last day to apply, and the documents."""

    flow = CHILD_BIRTH

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_child_birth_answer"

    def compose(self, dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> Answer | None:
        """Compute birth + 30 days; a child who leaves early needs no application."""
        answer = fetch_procedure(dispatcher, "child_born_in_japan", language)
        if answer is None:
            return None
        birth = dt.date.fromisoformat(tracker.get_slot("birth_date"))
        stay_days = answer.values["stay_beyond_days"]
        stays = tracker.get_slot("child_stays_beyond_60_days")
        result = Answer()
        if stays is False:
            result.add("utter_child_leaves_early", stay_days=stay_days)
            result.add("utter_procedure_link", links=links_text(answer))
            return result
        days = answer.deadlines["apply"].days
        deadline = birth + dt.timedelta(days=days)
        today = today_in_japan()
        values = {
            "deadline_date": long_date(deadline, language),
            "birth_date": long_date(birth, language),
            "period": day_count(days, language),
            "stay_days": stay_days,
        }
        result.add("utter_child_register_birth_first")
        if deadline == today:
            result.add_key("utter_child_deadline_today", **values)
        elif deadline > today:
            result.add_key("utter_child_deadline", days_left=day_count((deadline - today).days, language), **values)
        else:
            result.add_key("utter_child_deadline_passed", **values)
        if stays == UNSURE:
            result.add("utter_child_stay_unsure", stay_days=stay_days)
        result.add("utter_procedure_documents", documents=bulleted(answer.documents))
        result.add("utter_procedure_link", links=links_text(answer))
        return result


class AskChildStays(FlowQuestion):
    """Ask whether the child stays beyond the number of days the procedures database holds."""

    slot = "child_stays_beyond_60_days"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Send the question with yes/no buttons."""
        answer = fetch_procedure(dispatcher, "child_born_in_japan", reply_language(tracker))
        if answer is not None:
            dispatcher.utter_message(response="utter_child_stays_question", stay_days=answer.values["stay_beyond_days"])


ASK_ACTIONS = question_actions(("birth_date",))
