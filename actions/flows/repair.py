"""Conversation repair actions that every flow shares: resume, repeat, facts outside a flow.

The rest of the mechanism lives where Rasa expects it: `FlowValidation` (actions/flows/common.py)
decides whether a message answers the form, and the rules in stories/repair.yml answer
everything else, then return to the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.answers import FlowAnswer
from actions.flows.catalog import SWITCHABLE, FlowSpec, flow_by_intent, flow_by_key
from actions.flows.child_birth import ActionChildBirthAnswer, ValidateChildBirthForm
from actions.flows.common import INVALID, LAST_FLOW, PENDING_FLOW, FlowValidation, last_answered_flow, latest_intent
from actions.flows.departure_order import ActionDepartureOrderAnswer, ValidateDepartureOrderForm
from actions.flows.lost_card import ActionLostCardAnswer, ValidateLostCardForm
from actions.flows.reentry import ActionReentryAnswer, ValidateReentryForm
from actions.language import reply_language
from actions.offices import ActionOfficeAnswer, ValidateOfficeForm
from actions.procedures import fetch_procedure

ANSWERS: dict[str, type[FlowAnswer]] = {
    answer.flow.key: answer
    for answer in (
        ActionLostCardAnswer,
        ActionReentryAnswer,
        ActionChildBirthAnswer,
        ActionDepartureOrderAnswer,
        ActionOfficeAnswer,
    )
}

VALIDATIONS: dict[str, type[FlowValidation]] = {
    validation.flow.key: validation
    for validation in (
        ValidateLostCardForm,
        ValidateReentryForm,
        ValidateChildBirthForm,
        ValidateDepartureOrderForm,
        ValidateOfficeForm,
    )
}


def is_revision(tracker: Tracker, flow_key: str) -> bool:
    """Tell whether the latest message changes a fact of the answer just given by this flow."""
    if tracker.get_slot(LAST_FLOW) != flow_key:
        return False  # nothing to revise: no need to read the message
    validation = VALIDATIONS[flow_key]()
    _, found = validation.read(tracker, None)
    return validation.changes_answer(tracker, found)


@dataclass(frozen=True)
class Route:
    """The flow a message of bare facts belongs to, and whether it revises that flow's answer."""

    flow: FlowSpec
    revising: bool


def route_by_facts(tracker: Tracker) -> Route | None:
    """Return the flow a message of bare facts belongs to ("8 months, until March 2028"), or None.

    A fact that changes the answer just given revises it; otherwise the flow whose questions the
    message answers most wins, the classifier's ranking breaking a tie.
    """
    last = last_answered_flow(tracker)
    if last is not None and is_revision(tracker, last.key):
        return Route(last, revising=True)
    ranking = [item.get("name") for item in tracker.latest_message.get("intent_ranking") or []]
    best: tuple[int, int, FlowSpec | None] = (0, 0, None)
    for flow in SWITCHABLE:
        _, found = VALIDATIONS[flow.key]().read(tracker, None, flow.slots)
        answered = sum(1 for value in found.values() if value is not INVALID)
        rank = -ranking.index(flow.intent) if flow.intent in ranking else -len(ranking) - 1
        best = max(best, (answered, rank, flow), key=lambda item: item[:2])
    chosen = best[2]
    return Route(chosen, revising=False) if chosen is not None and best[0] > 0 else None


def utter_summary(dispatcher: CollectingDispatcher, tracker: Tracker, flow: FlowSpec) -> bool:
    """Say the two-line summary of a flow's procedure; False when the database failed (already said)."""
    answer = fetch_procedure(dispatcher, flow.intent, reply_language(tracker))
    if answer is None:
        return False
    dispatcher.utter_message(response="utter_procedure_summary", title=answer.title, summary=answer.summary)
    return True


def start_flow(dispatcher: CollectingDispatcher, tracker: Tracker, route: Route) -> list[dict[str, Any]]:
    """Start (or revise) a flow from a message that did not name it: its summary, then its form."""
    if not route.revising and not utter_summary(dispatcher, tracker, route.flow):
        return []
    return [FollowupAction(route.flow.form)]


class ActionRouteFacts(Action):
    """Answer a message of bare facts outside any flow: the flow they belong to, or help."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_route_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Start the flow the facts answer, or say what the assistant can do."""
        route = route_by_facts(tracker)
        if route is None:
            dispatcher.utter_message(response="utter_help")
            return []
        return start_flow(dispatcher, tracker, route)


class ActionProcedureSummary(Action):
    """Say the procedure's two-line summary before a guided flow asks its questions.

    Silent when the message corrects the answer just given ("maybe someone took it"): the
    flow then gives its answer again at once.
    """

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_procedure_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Send the summary of the flow being started."""
        intent = latest_intent(tracker)
        pending = flow_by_key(tracker.get_slot(PENDING_FLOW))
        flow = pending if intent == "switch_flow" and pending else flow_by_intent(intent)
        if flow is not None and not is_revision(tracker, flow.key):
            utter_summary(dispatcher, tracker, flow)
        return []


class ActionResumeFlow(Action):
    """Continue the flow that was interrupted (the form asks its question again)."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_resume_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Say nothing inside a flow (its question follows); outside one, offer help."""
        if not tracker.active_loop.get("name"):
            dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet(PENDING_FLOW, None)]


class ActionRepeatAnswer(Action):
    """Repeat the key line of the last personal answer ("what was the deadline again?")."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_repeat_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Compose the last answer again from the kept facts and send its key line."""
        if tracker.active_loop.get("name"):
            return []  # inside a flow its question is asked again, which is the repeat
        flow = last_answered_flow(tracker)
        if flow is None or any(tracker.get_slot(slot) is None for slot in flow.slots):
            dispatcher.utter_message(response="utter_nothing_to_repeat")
            return []
        answer = ANSWERS[flow.key]().compose(dispatcher, tracker, reply_language(tracker))
        if answer is not None:
            answer.send(dispatcher, key_line_only=True)
        return []
