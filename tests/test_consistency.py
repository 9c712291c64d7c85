"""The seams between domain.yml, the action code and the training data stay consistent.

Every action named in the domain exists in code and back; every response has a variation for each
language; every intent has enough examples in each language; every form's required slots agree
with its validation action; every `{placeholder}` of a response is filled by a slot or by every
action that sends it. Each check is a function of plain data that returns the problems it finds:
it runs once on the project and once on a planted violation, so that each check can fail.
No server is started.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.forms import FormValidationAction

from actions.content_files import read_yaml, variation_language
from actions.flows.common import FlowValidation
from bot.devtools.nlu_check import MIN_EXAMPLES, check_coverage, load_button_intents, load_domain_intents
from bot.devtools.nlu_data import NLU_DATA_DIR, Example, load_training_data
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
DOMAIN = read_yaml(DOMAIN_FILE)
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
SLOTS = frozenset(DOMAIN["slots"])
# Rasa fills a response with this pattern (rasa.core.nlg.interpolator); text in braces that spans
# lines or nests, such as a button's JSON payload, is left alone.
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
# Keyword arguments of CollectingDispatcher.utter_message that are not values for placeholders
# (`feedback` asks the front ends for "Was this helpful? 👍 / 👎", bot/feedback.py).
DISPATCHER_ARGUMENTS = frozenset(
    {"text", "image", "json_message", "template", "response", "attachment", "buttons", "elements", "feedback"}
)
RESPONSE_NAME = re.compile(r"utter_\w+")


def registered_actions() -> dict[str, Any]:
    """Return the actions the action server serves, by name, as rasa-sdk registers them."""
    executor = ActionExecutor()
    executor.register_package("actions")
    return {name: run.__self__ for name, run in executor.actions.items()}  # it keeps each instance's run


ACTIONS = registered_actions()


# ---- every custom action in the domain exists in code, and back ----------------------------


def action_mismatches(domain_actions: Iterable[str], code_actions: Iterable[str]) -> list[str]:
    """Return the actions the domain names that no code serves, and those the code serves that the domain lacks."""
    domain_set, code_set = set(domain_actions), set(code_actions)
    return [f"{name}: in domain.yml, not served by actions/" for name in sorted(domain_set - code_set)] + [
        f"{name}: served by actions/, not in domain.yml" for name in sorted(code_set - domain_set)
    ]


def test_every_domain_action_exists_in_code_and_back() -> None:
    assert action_mismatches(DOMAIN["actions"], ACTIONS) == []


def test_the_action_check_catches_a_missing_and_an_undeclared_action() -> None:
    domain_actions = [name for name in DOMAIN["actions"] if name != "action_repeat_answer"] + ["action_forgotten"]
    assert action_mismatches(domain_actions, ACTIONS) == [
        "action_forgotten: in domain.yml, not served by actions/",
        "action_repeat_answer: served by actions/, not in domain.yml",
    ]


# ---- every response has a variation for each language --------------------------------------


def missing_variations(responses: Mapping[str, Sequence[dict[str, Any]]], languages: Sequence[str]) -> list[str]:
    """Return each response that lacks a language's variation or has one for an unknown language."""
    problems: list[str] = []
    for name, variations in responses.items():
        present = {variation_language(variation) for variation in variations}
        problems += [f"{name}: no {language} variation" for language in languages if language not in present]
        problems += [f"{name}: a variation for unknown language {language!r}" for language in sorted(present - set(languages))]
    return problems


def test_every_response_has_a_variation_for_each_language() -> None:
    assert missing_variations(RESPONSES, LANGUAGES) == []


def test_the_variation_check_catches_a_missing_language() -> None:
    responses = copy.deepcopy(RESPONSES)
    responses["utter_greet"] = [v for v in responses["utter_greet"] if variation_language(v) != "uk"]
    responses["utter_goodbye"].append({"text": "Tschüss", "condition": [{"type": "slot", "name": "language", "value": "de"}]})
    assert missing_variations(responses, LANGUAGES) == [
        "utter_greet: no uk variation",
        "utter_goodbye: a variation for unknown language 'de'",
    ]


# ---- every intent has enough examples in each language (bot/devtools/nlu_check.py's rule) ------------


def thin_intents(examples: Iterable[Example], intents: Sequence[str], button_only: Iterable[str]) -> list[str]:
    """Return each intent with fewer than MIN_EXAMPLES examples in a language (button-only intents aside)."""
    return [str(problem) for problem in check_coverage(examples, intents, LANGUAGES, NLU_DATA_DIR, button_only)]


def test_every_intent_has_enough_examples_in_each_language() -> None:
    intents = load_domain_intents(DOMAIN_FILE)
    assert thin_intents(load_training_data(NLU_DATA_DIR), intents, load_button_intents(DOMAIN_FILE)) == []


def test_the_example_check_catches_a_thin_language() -> None:
    examples = [
        Example(f"{intent} {language} {n}", intent, language, Path(f"{language}/{intent}.yml"))
        for intent in ("greet", "goodbye")
        for language in LANGUAGES
        for n in range(MIN_EXAMPLES if (intent, language) != ("goodbye", "zh") else MIN_EXAMPLES - 1)
    ]
    problems = thin_intents(examples, ["greet", "goodbye"], button_only=())
    assert len(problems) == 1 and "'goodbye' is thin in zh" in problems[0], problems


# ---- every form's required slots agree with its validation action ---------------------------


@dataclass(frozen=True)
class FormCode:
    """What a form's validation action in actions/ knows about its form."""

    action: str
    form: str
    reads: frozenset[str]  # the slots it reads from a message (readers, or validate_<slot> methods)
    asks: tuple[str, ...] | None = None  # the required slots in the order the flow asks them
    # The responses it may send about each slot: the re-ask of an unreadable answer, the hedge.
    responses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def form_code(action: FormValidationAction) -> FormCode:
    """Describe a validation action: a FlowValidation by its readers, any other by its validate_<slot> methods."""
    if isinstance(action, FlowValidation):
        slots = action.flow.slots
        responses = {slot: (action.not_understood.get(slot, ""), f"utter_unsure_{slot}") for slot in slots}
        return FormCode(action.name(), action.form_name(), frozenset(action.readers), slots, responses)
    methods = {name.removeprefix("validate_") for name in dir(action) if name.startswith("validate_")}
    return FormCode(action.name(), action.form_name(), frozenset(methods))


def form_problems(
    domain_forms: Mapping[str, Sequence[str]],
    domain_slots: Iterable[str],
    responses: Iterable[str],
    actions: Iterable[str],
    forms_in_code: Iterable[FormCode],
) -> list[str]:
    """Return where a form's required slots (domain.yml) and its validation action disagree."""
    slots, response_names, action_names = set(domain_slots), set(responses), set(actions)
    by_form = {code.form: code for code in forms_in_code}
    problems = [
        f"{code.action}: validates {code.form}, which is not a form of domain.yml"
        for form, code in by_form.items()
        if form not in domain_forms
    ]
    for form, required in domain_forms.items():
        code = by_form.get(form)
        if code is None:
            problems.append(f"{form}: no validation action validate_{form} in actions/")
            continue
        problems += [f"{form}: required slot {slot} is not a slot of domain.yml" for slot in required if slot not in slots]
        problems += [f"{code.action}: reads no value for the required slot {slot}" for slot in required if slot not in code.reads]
        problems += [f"{code.action}: reads {slot}, which is not a slot of domain.yml" for slot in sorted(code.reads - slots)]
        if code.asks is not None and tuple(code.asks) != tuple(required):
            problems.append(f"{code.action}: asks {list(code.asks)}, domain.yml requires {list(required)}")
        for slot in required:
            if f"action_ask_{slot}" not in action_names and f"utter_ask_{slot}" not in response_names:
                problems.append(f"{form}: nothing asks for {slot} (action_ask_{slot} or utter_ask_{slot})")
            for response in code.responses.get(slot, ()):
                if response not in response_names:
                    problems.append(f"{code.action}: sends {response or 'no response'} about {slot}, not in domain.yml")
    return problems


DOMAIN_FORMS = {form: list(spec.get("required_slots") or []) for form, spec in DOMAIN["forms"].items()}
FORMS_IN_CODE = [form_code(action) for action in ACTIONS.values() if isinstance(action, FormValidationAction)]


def test_every_form_agrees_with_its_validation_action() -> None:
    assert form_problems(DOMAIN_FORMS, SLOTS, RESPONSES, ACTIONS, FORMS_IN_CODE) == []
    assert {code.form for code in FORMS_IN_CODE} == set(DOMAIN_FORMS)


def test_the_form_check_catches_a_slot_the_validation_does_not_read() -> None:
    forms = copy.deepcopy(DOMAIN_FORMS)
    forms["reentry_form"].append("loss_reason")
    forms["visa_form"] = ["away_months"]
    problems = form_problems(forms, SLOTS, RESPONSES, ACTIONS, FORMS_IN_CODE)
    assert problems == [
        "validate_reentry_form: reads no value for the required slot loss_reason",
        "validate_reentry_form: asks ['away_months', 'stay_end_date'], domain.yml requires "
        "['away_months', 'stay_end_date', 'loss_reason']",
        "visa_form: no validation action validate_visa_form in actions/",
    ], problems


def test_the_form_check_catches_a_validation_without_its_responses_or_form() -> None:
    lost_card = next(code for code in FORMS_IN_CODE if code.form == "lost_card_form")
    no_reask = FormCode(
        lost_card.action,
        lost_card.form,
        lost_card.reads,
        lost_card.asks,
        {**lost_card.responses, "loss_reason": ("", "utter_unsure_loss_reason")},
    )
    stray = FormCode("validate_old_form", "old_form", frozenset({"old_slot"}))
    others = [code for code in FORMS_IN_CODE if code.form != "lost_card_form"]
    problems = form_problems(DOMAIN_FORMS, SLOTS, RESPONSES, ACTIONS, [*others, no_reask, stray])
    assert problems == [
        "validate_old_form: validates old_form, which is not a form of domain.yml",
        "validate_lost_card_form: sends no response about loss_reason, not in domain.yml",
    ], problems


# ---- every placeholder of a response is filled ----------------------------------------------


@dataclass(frozen=True)
class Send:
    """A place that sends a response: its name (or the prefix of an f-string name) and the values it passes."""

    response: str
    where: str
    values: frozenset[str] | None = frozenset()  # None: the values cannot be read from the code
    prefix: bool = False

    def sends(self, name: str) -> bool:
        """Tell whether this place may send the response ``name``."""
        return name.startswith(self.response) if self.prefix else name == self.response


def _strings(nodes: Iterable[ast.expr | None]) -> frozenset[str] | None:
    """Return the values of string constants, or None if any node is something else."""
    nodes = list(nodes)
    if all(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in nodes):
        return frozenset(str(n.value) for n in nodes if isinstance(n, ast.Constant))
    return None


def _dict_keys(node: ast.expr) -> frozenset[str] | None:
    """Return the keys of a dict literal, or of a comprehension over a tuple of names ({k: v for k in ("a", "b")})."""
    if isinstance(node, ast.Dict):
        return _strings(node.keys)
    if isinstance(node, ast.DictComp) and len(node.generators) == 1:
        loop = node.generators[0]
        if (
            isinstance(loop.iter, ast.Tuple | ast.List)
            and isinstance(loop.target, ast.Name)
            and isinstance(node.key, ast.Name)
            and node.key.id == loop.target.id
        ):
            return _strings(loop.iter.elts)
    return None


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def _dict_returning(trees: Iterable[ast.AST]) -> dict[str, frozenset[str]]:
    """Return the functions whose every return is a dict literal, with its keys (office_values)."""
    found: dict[str, frozenset[str]] = {}
    for tree in trees:
        for function in _functions(tree):
            returns = [node.value for node in ast.walk(function) if isinstance(node, ast.Return) and node.value]
            keys = [_dict_keys(value) for value in returns]
            if keys and all(k is not None for k in keys):
                found[function.name] = frozenset().union(*(k for k in keys if k is not None))
    return found


def _string_defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, tuple[int, ast.Constant]]:
    """Return the parameters with a string default: name -> (position, default)."""
    arguments = [*function.args.posonlyargs, *function.args.args]
    defaults = dict(zip(arguments[len(arguments) - len(function.args.defaults) :], function.args.defaults, strict=True))
    return {
        argument.arg: (position, default)
        for position, argument in enumerate(arguments)
        if isinstance(default := defaults.get(argument), ast.Constant) and isinstance(default.value, str)
    }


def response_sends(sources: Mapping[str, str]) -> list[Send]:
    """Return every place in the sources that sends a domain response, with the values it passes.

    Read from the code: `dispatcher.utter_message(response=..., **values)` and `Answer.add(...)`
    calls, `**` of a local dict literal or of a function that returns one, helpers that forward
    a `response` parameter with a default, and any other "utter_..." string (sent without values,
    as the forms' re-ask responses are).
    """
    trees = {path: ast.parse(source) for path, source in sources.items()}
    returns_dict = _dict_returning(trees.values())
    sends: list[Send] = []
    consumed: set[int] = set()
    forwarders: dict[str, tuple[str, int, frozenset[str] | None]] = {}
    for path, tree in trees.items():
        for function in _functions(tree):
            local_dicts = {
                target.id: keys
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
                if (keys := _dict_keys(node.value)) is not None
            }
            parameters = _string_defaults(function)
            for call in (node for node in ast.walk(function) if isinstance(node, ast.Call)):
                if not isinstance(call.func, ast.Attribute):
                    continue
                keywords = {k.arg: k.value for k in call.keywords if k.arg}
                if call.func.attr == "utter_message" and "response" in keywords:
                    target = keywords["response"]
                elif call.func.attr in {"add", "add_key"} and call.args and _is_response_name(call.args[0]):
                    target = call.args[0]
                else:
                    continue
                values: frozenset[str] | None = frozenset(keywords) - DISPATCHER_ARGUMENTS
                for spread in (k.value for k in call.keywords if k.arg is None):
                    keys = None
                    if isinstance(spread, ast.Name):
                        keys = local_dicts.get(spread.id)
                    elif isinstance(spread, ast.Call) and isinstance(spread.func, ast.Name):
                        keys = returns_dict.get(spread.func.id)
                    values = None if keys is None or values is None else values | keys
                where = f"{path}:{call.lineno}"
                if isinstance(target, ast.Constant) and isinstance(target.value, str):
                    sends.append(Send(target.value, where, values))
                    consumed.add(id(target))
                elif isinstance(target, ast.JoinedStr) and _is_response_name(target):
                    first = target.values[0]
                    assert isinstance(first, ast.Constant)
                    sends.append(Send(str(first.value), where, values, prefix=True))
                    consumed.add(id(first))
                elif isinstance(target, ast.Name) and target.id in parameters:
                    position, default = parameters[target.id]
                    sends.append(Send(str(default.value), where, values))
                    consumed.add(id(default))
                    forwarders[function.name] = (target.id, position, values)
    for path, tree in trees.items():
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            if isinstance(call.func, ast.Name) and call.func.id in forwarders:
                parameter, position, values = forwarders[call.func.id]
                passed = {k.arg: k.value for k in call.keywords if k.arg}.get(parameter)
                if passed is None and len(call.args) > position:
                    passed = call.args[position]
                if isinstance(passed, ast.Constant) and isinstance(passed.value, str):
                    sends.append(Send(passed.value, f"{path}:{call.lineno}", values))
                    consumed.add(id(passed))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in consumed
                and RESPONSE_NAME.fullmatch(node.value)
            ):
                sends.append(Send(node.value, f"{path}:{node.lineno}"))
    return sends


def _is_response_name(node: ast.expr) -> bool:
    """Tell whether an expression is an "utter_..." string or an f-string that starts with one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.startswith("utter_")
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return isinstance(first, ast.Constant) and str(first.value).startswith("utter_")
    return False


def story_sends(story_files: Iterable[Path]) -> list[Send]:
    """Return the responses that stories and rules run as actions: Rasa sends them with slots only."""
    sends: list[Send] = []
    for path in story_files:
        data = read_yaml(path)
        for block in [*(data.get("stories") or []), *(data.get("rules") or [])]:
            for step in block.get("steps") or []:
                action = step.get("action") if isinstance(step, dict) else None
                if action and str(action).startswith("utter_"):
                    sends.append(Send(str(action), str(path.relative_to(PROJECT_ROOT))))
    return sends


def placeholders(variations: Iterable[dict[str, Any]]) -> set[str]:
    """Return the placeholders of a response's texts and button titles, in every language."""
    names: set[str] = set()
    for variation in variations:
        names.update(PLACEHOLDER.findall(str(variation.get("text") or "")))
        for button in variation.get("buttons") or []:
            names.update(PLACEHOLDER.findall(str(button.get("title") or "")))
    return names


def unfilled_placeholders(
    responses: Mapping[str, Sequence[dict[str, Any]]], slots: Iterable[str], sends: Iterable[Send]
) -> list[str]:
    """Return each placeholder that is not a slot and that some place sending its response does not pass.

    Rasa fills a response from the slots and the values an action passes; one missing value
    leaves the whole text unfilled, braces and all.
    """
    slot_names, all_sends = set(slots), list(sends)
    problems: list[str] = []
    for name, variations in responses.items():
        needed = placeholders(variations) - slot_names
        if not needed:
            continue
        senders = [send for send in all_sends if send.sends(name)]
        if not senders:
            problems.append(f"{name}: {sorted(needed)} are not slots, and no action sends {name} with values")
        for send in senders:
            if send.values is None:
                problems.append(f"{name}: cannot tell which values {send.where} passes")
            elif missing := needed - send.values:
                problems.append(f"{name}: sent by {send.where} without {sorted(missing)}")
    return problems


def unknown_responses(responses: Iterable[str], sends: Iterable[Send]) -> list[str]:
    """Return the places that send a response the domain does not have."""
    names = set(responses)
    return [
        f"{send.where}: sends {send.response}{'…' if send.prefix else ''}, not in domain.yml"
        for send in sends
        if not any(send.sends(name) for name in names)
    ]


ACTION_SOURCES = {
    str(path.relative_to(PROJECT_ROOT)): path.read_text(encoding="utf-8")
    for path in sorted((PROJECT_ROOT / "actions").rglob("*.py"))
}
SENDS = response_sends(ACTION_SOURCES) + story_sends(sorted((PROJECT_ROOT / "stories").glob("*.yml")))


def test_every_placeholder_of_a_response_is_filled() -> None:
    assert unfilled_placeholders(RESPONSES, SLOTS, SENDS) == []


def test_every_response_the_code_and_stories_send_exists() -> None:
    assert unknown_responses(RESPONSES, SENDS) == []


def test_the_sends_are_read_from_the_code() -> None:
    """The reading of the code finds the senders the check relies on (or the check would pass vacuously)."""
    by_response = {send.response: send for send in SENDS if not send.prefix}
    assert by_response["utter_office"].values == {"office_name", "address", "phones", "prefecture"}
    assert by_response["utter_contact"].values == {"office_name", "address", "phones", "prefecture"}
    assert by_response["utter_lost_card_deadline"].values == {"deadline_date", "noticed_date", "period", "days_left"}
    assert by_response["utter_greet"].values == frozenset()
    reentry = next(send for send in SENDS if send.prefix and send.response == "utter_reentry_")
    assert reentry.values == {"months", "back_date", "stay_end", "special_years", "max_years"}


PLANTED = """
def office_values(office):
    return {"office_name": office.name, "address": office.address}

def utter_office(dispatcher, office, response: str = "utter_office") -> None:
    dispatcher.utter_message(response=response, **office_values(office))

def answer(dispatcher, result, outcome, values, office) -> None:
    dates = {"deadline_date": "x", "noticed_date": "y"}
    result.add("utter_lost_card_deadline", days_left="3", **dates)
    result.add(f"utter_reentry_{outcome}", months="8")
    dispatcher.utter_message(response="utter_status_info", **values)
    utter_office(dispatcher, office, response="utter_contact")
    reasks = {"birth_date": "utter_procedure_link"}
"""


def test_the_placeholder_check_catches_values_an_action_does_not_pass() -> None:
    sends = response_sends({"planted.py": PLANTED})
    problems = unfilled_placeholders(RESPONSES, SLOTS, sends)
    assert "utter_lost_card_deadline: sent by planted.py:10 without ['period']" in problems
    assert "utter_reentry_special: sent by planted.py:11 without ['back_date', 'special_years', 'stay_end']" in problems
    assert "utter_status_info: cannot tell which values planted.py:12 passes" in problems
    assert "utter_office: sent by planted.py:6 without ['phones', 'prefecture']" in problems
    assert "utter_contact: sent by planted.py:13 without ['phones']" in problems
    assert "utter_procedure_link: sent by planted.py:14 without ['links']" in problems
    # A placeholder that is neither a slot nor passed by anyone.
    responses = {**RESPONSES, "utter_greet": [{**RESPONSES["utter_greet"][0], "text": "Hello {user_name}"}]}
    assert unfilled_placeholders(responses, SLOTS, SENDS) == ["utter_greet: sent by stories/rules.yml without ['user_name']"]


def test_the_response_check_catches_a_response_the_domain_lacks() -> None:
    sends = response_sends(
        {
            "planted.py": 'dispatcher.utter_message(response="utter_gone")\n'
            'def f(d):\n    d.utter_message(response=f"utter_never_{x}")\n'
        }
    )
    assert sorted(unknown_responses(RESPONSES, sends)) == [
        "planted.py:1: sends utter_gone, not in domain.yml",
        "planted.py:3: sends utter_never_…, not in domain.yml",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_the_same_in_every_language(language: str) -> None:
    """A translation that drops or renames a value would say less, or show braces, in one language."""
    for name, variations in RESPONSES.items():
        english = placeholders(v for v in variations if variation_language(v) == "en")
        translated = placeholders(v for v in variations if variation_language(v) == language)
        assert translated == english, (name, language)
