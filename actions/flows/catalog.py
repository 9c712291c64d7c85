"""The guided flows, written once: their key, form, starting intent and facts.

Everything that treats flows alike (conversation repair, cancelling, the switch between
flows, consistency tests) reads this list instead of naming the flows again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlowSpec:
    """One guided flow: a form, the intent that starts it, and the facts it collects."""

    key: str
    form: str
    intent: str
    # Required slots in the order the form asks them, then facts it reads but never asks.
    slots: tuple[str, ...]
    optional_slots: tuple[str, ...] = ()

    @property
    def facts(self) -> tuple[str, ...]:
        """Return every slot that holds a fact of this flow."""
        return self.slots + self.optional_slots


LOST_CARD = FlowSpec(
    "lost_card", "lost_card_form", "lost_residence_card", ("lost_noticed_date", "loss_reason"), ("lost_card_prefecture",)
)
REENTRY = FlowSpec("reentry", "reentry_form", "reentry_permit", ("away_months", "stay_end_date"))
CHILD_BIRTH = FlowSpec("child_birth", "child_birth_form", "child_born_in_japan", ("birth_date", "child_stays_beyond_60_days"))
DEPARTURE_ORDER = FlowSpec(
    "departure_order",
    "departure_order_form",
    "departure_order",
    (
        "do_appears_voluntarily",
        "do_only_overstay",
        "do_sentenced_for_crime",
        "do_deported_before",
        "do_departure_order_before",
        "do_can_leave_soon",
    ),
)
OFFICE = FlowSpec("office", "office_form", "find_immigration_office", ("office_prefecture",))

FLOWS: tuple[FlowSpec, ...] = (LOST_CARD, REENTRY, CHILD_BIRTH, DEPARTURE_ORDER, OFFICE)
# Flows that a user can be asked to switch to in the middle of another one; a question for an
# office is answered in passing instead (it needs no questions when a place is named).
SWITCHABLE: tuple[FlowSpec, ...] = (LOST_CARD, REENTRY, CHILD_BIRTH, DEPARTURE_ORDER)
# Flows whose answer can be revised by a later fact ("and if it were 2 years?"); the six
# departure-order answers are yes/no questions that free text after the answer cannot change.
REVISABLE: tuple[FlowSpec, ...] = (LOST_CARD, REENTRY, CHILD_BIRTH, OFFICE)
FLOW_SLOTS: tuple[str, ...] = tuple(slot for flow in FLOWS for slot in flow.facts)
# A user may answer "not sure" to these; the answer then says what could not be checked.
UNSURE = "unsure"


def flow_by_key(key: str | None) -> FlowSpec | None:
    """Return the flow with this key, or None."""
    return next((flow for flow in FLOWS if flow.key == key), None)


def flow_by_form(form: str | None) -> FlowSpec | None:
    """Return the flow of a form, or None."""
    return next((flow for flow in FLOWS if flow.form == form), None)


def flow_by_intent(intent: str | None) -> FlowSpec | None:
    """Return the flow an intent starts, or None."""
    return next((flow for flow in FLOWS if flow.intent == intent), None)
