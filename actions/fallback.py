"""When the NLU is unsure, offer what the user may have meant; point to people who can help."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.db import reads
from actions.db.engine import Unavailable
from actions.flows.catalog import FLOWS
from actions.flows.repair import route_by_facts, start_flow
from actions.language import reply_language
from actions.offices import utter_office
from actions.topics import ASKED_TOPICS, message_topics, procedure_buttons

MINIMUM_CONFIDENCE = 0.05
# Two procedures compete when the second is at least this share of the first: the message is
# most likely about both ("my wife's card expired while she was abroad on the special re-entry
# permit"), so the bot asks which one first instead of saying it did not understand.
COMPETING_SHARE = 0.5
# Offices whose contacts answer out-of-scope questions and requests for a person.
CONTACT_OFFICES = ("information_center", "fresc")
# Daily-life questions next to the domain (pensions, insurance, housing): answered by pointing
# to the municipality, FRESC and the guidebook, never by a procedure.
NEAR_DOMAIN = "life_in_japan"
# The intents that start a guided flow.
FLOW_INTENTS = frozenset(flow.intent for flow in FLOWS)


class ActionDidYouMean(Action):
    """Offer up to three procedures the message may have been about, as buttons.

    When two procedures compete, ask which one the user means first, with both as buttons.
    When the likeliest reading is a daily-life question, say who handles those instead.
    """

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_did_you_mean"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Turn the intent ranking into buttons titled in the user's language."""
        language = reply_language(tracker)
        topics = message_topics(tracker)
        route = route_by_facts(tracker)
        if topics:
            # Asked as two requests (bot/nlu/intent_classifier.py); the other one is offered after the
            # answer. Facts for the one guided flow of the two ("our son was born on 18 December")
            # start it at once; otherwise the user chooses which first, in the order written (with
            # two flows, the message's facts cannot be told apart: "stolen yesterday" is no stay end).
            flows = [topic for topic in topics if topic in FLOW_INTENTS]
            if route is not None and not route.revising and flows == [route.flow.intent]:
                return [SlotSet(ASKED_TOPICS, topics), *start_flow(dispatcher, tracker, route)]
            buttons = procedure_buttons(topics, language)
            if not isinstance(buttons, Unavailable) and len(buttons) == len(topics):
                dispatcher.utter_message(response="utter_which_do_you_mean", buttons=buttons)
                return [SlotSet(ASKED_TOPICS, topics)]
        if route is not None:  # "sorry, the baby was born on 25 December": facts of a flow
            return start_flow(dispatcher, tracker, route)
        ranking = tracker.latest_message.get("intent_ranking") or []
        candidates = [
            item["name"]
            for item in ranking
            if item.get("name") != "nlu_fallback" and item.get("confidence", 0) >= MINIMUM_CONFIDENCE
        ]
        if candidates and candidates[0] == NEAR_DOMAIN:
            # Most likely a daily-life question: its answer only names who can help, so it is
            # safe to give while unsure, and a button for it would say nothing.
            dispatcher.utter_message(response="utter_life_in_japan")
            return await ActionShowContacts().run(dispatcher, tracker, domain)

        buttons = procedure_buttons(candidates, language)
        if buttons and not isinstance(buttons, Unavailable):
            if competing(ranking, [button["payload"][1:] for button in buttons]):
                dispatcher.utter_message(response="utter_which_do_you_mean", buttons=buttons[:2])
                return [SlotSet(ASKED_TOPICS, [button["payload"][1:] for button in buttons[:2]])]
            else:
                dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_default")
        return []


def competing(ranking: list[dict[str, Any]], procedures: list[str]) -> bool:
    """Whether the two likeliest readings are both procedures, the second close to the first."""
    readings = [item for item in ranking if item.get("name") != "nlu_fallback"][:2]
    if len(readings) < 2 or any(item.get("name") not in procedures for item in readings):
        return False
    first, second = (float(item.get("confidence") or 0.0) for item in readings)
    return second >= COMPETING_SHARE * first


class ActionShowContacts(Action):
    """Send the information center's and the support center's contacts."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_show_contacts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        """Look the contacts up in the database (phones are stored once)."""
        language = reply_language(tracker)
        offices = reads.contact_offices(CONTACT_OFFICES, language)
        if isinstance(offices, Unavailable) or not offices:
            dispatcher.utter_message(response="utter_ask_information_center")
            return []
        for office in offices:
            utter_office(dispatcher, office, response="utter_contact")
        return []
