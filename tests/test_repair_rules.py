"""The repair mechanism covers every flow: rules for every pair of flows, questions, responses."""

from __future__ import annotations

import yaml

from actions.flows.catalog import FLOWS, OFFICE, REVISABLE, SWITCHABLE
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT
from tests.conftest import DOMAIN

RULES = yaml.safe_load((PROJECT_ROOT / "stories" / "repair.yml").read_text(encoding="utf-8"))["rules"]


def rule_shapes() -> set[tuple[str | None, str, str]]:
    """Return (active loop condition, intent, first action) of every repair rule."""
    shapes = set()
    for rule in RULES:
        loop = next((step["active_loop"] for step in rule.get("condition", []) if "active_loop" in step), None)
        intent = next(step["intent"] for step in rule["steps"] if "intent" in step)
        action = next(step["action"] for step in rule["steps"] if "action" in step)
        shapes.add((loop, intent, action))
    return shapes


def test_a_question_for_an_office_is_answered_in_passing_in_every_other_flow() -> None:
    shapes = rule_shapes()
    for flow in FLOWS:
        if flow != OFFICE:
            assert (flow.form, OFFICE.intent, "action_office_in_passing") in shapes


def test_every_switch_and_every_revision_has_its_rule() -> None:
    conditions = [rule.get("condition", []) for rule in RULES]
    for flow in SWITCHABLE:
        assert [{"slot_was_set": [{"pending_flow": flow.key}]}] in conditions
    for flow in REVISABLE:
        assert [{"slot_was_set": [{"last_flow": flow.key}]}] in conditions


def test_every_form_slot_is_asked_by_an_action_that_can_say_back_to_your() -> None:
    actions = set(DOMAIN["actions"])
    for flow in FLOWS:
        assert DOMAIN["forms"][flow.form]["required_slots"] == list(flow.slots)
        for slot in flow.slots:
            assert f"action_ask_{slot}" in actions
            assert f"utter_unsure_{slot}" in DOMAIN["responses"], slot


def test_repair_responses_exist_in_every_language() -> None:
    for name, variations in DOMAIN["responses"].items():
        if name.startswith(("utter_unsure_", "utter_flow_", "utter_offer_", "utter_fact_")):
            languages = {"en"} | {c["value"] for v in variations for c in v.get("condition", [])}
            assert languages == set(LANGUAGES), name


def test_categorical_slots_know_every_flow() -> None:
    assert DOMAIN["slots"]["last_flow"]["values"] == [flow.key for flow in FLOWS]
    assert DOMAIN["slots"]["pending_flow"]["values"] == [flow.key for flow in SWITCHABLE]
