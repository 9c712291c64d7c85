"""The Rasa server launcher: action server responses checked as Rasa does, only faster; every
bot message carries the conversation's language to the REST and socket.io channels."""

from __future__ import annotations

import pytest

from bot.paths import PROJECT_ROOT
from tests.rasa_environment import assert_prints

# Each test imports Rasa in its own Python (.venv/rasa): seconds each.
pytestmark = pytest.mark.slow

CHECK = """
import jsonschema
from rasa.core.actions.action import RemoteAction
from bot.rasa_server import _validate_action_result

action = RemoteAction("action_x", None)
good = {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"response": "utter_greet"}]}
bad = [{"events": [{"event": "slot"}]}, {"events": [{"event": "no_such_event"}]}, {"responses": "not a list"}]
assert _validate_action_result(action, good) is True
for result in bad:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        pass
    else:
        raise SystemExit(f"Rasa itself accepts {result}")
    try:
        _validate_action_result(action, result)
    except jsonschema.ValidationError as error:
        assert "Failed to validate Action server response" in error.message
    else:
        raise SystemExit(f"accepted {result}")
print("same verdicts")
"""


def test_responses_rasa_rejects_are_still_rejected() -> None:
    assert_prints(CHECK, "same verdicts")


REPLY_LANGUAGE = """
import asyncio
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.processor import MessageProcessor
from types import SimpleNamespace
from rasa.shared.core.events import BotUttered
from bot.rasa_server import install

install()
tracker = SimpleNamespace(sender_id="chat", get_slot={"language": "uk"}.get)
uttered = [
    BotUttered("Добрий день!\\n\\nЩо сталося?"),
    BotUttered("Оберіть:", {"buttons": [{"title": "Так", "payload": "/affirm"}]}),
]

rest = CollectingOutputChannel()
asyncio.run(MessageProcessor._send_bot_messages(uttered, tracker, rest))
assert [m.get("metadata") for m in rest.messages] == [{"language": "uk"}] * 3, rest.messages
assert [m["text"] for m in rest.messages] == ["Добрий день!", "Що сталося?", "Оберіть:"], rest.messages
assert rest.messages[-1]["buttons"] == [{"title": "Так", "payload": "/affirm"}]

class Sio:
    def __init__(self):
        self.emitted = []
    async def emit(self, event, data, room):
        self.emitted.append((event, data, room))
sio = Sio()
asyncio.run(MessageProcessor._send_bot_messages(uttered, tracker, SocketIOOutput(sio, "bot_uttered")))
assert [(e, d.get("metadata"), r) for e, d, r in sio.emitted] == [("bot_uttered", {"language": "uk"}, "chat")] * 3
assert sio.emitted[-1][1]["quick_replies"][0]["payload"] == "/affirm"

# The apology when the action server cannot be reached carries the language too.
import bot.rasa_server as server

async def loop_without_action_server(processor, output_channel, tracker):
    server._unreachable.get().append("action_x")

class Generator:
    async def generate(self, name, tracker, channel):
        assert name == "utter_temporarily_unavailable"
        return {"text": "Вибачте, асистент тимчасово недоступний."}

async def turn(output_channel):
    server._unreachable.set([])
    await server._run_prediction_loop_or_apologise(SimpleNamespace(nlg=Generator()), output_channel, tracker)

server._run_prediction_loop = loop_without_action_server
tracker.update = lambda event: None
rest = CollectingOutputChannel()
asyncio.run(turn(rest))
assert rest.messages == [
    {"recipient_id": "chat", "text": "Вибачте, асистент тимчасово недоступний.", "metadata": {"language": "uk"}}
], rest.messages

tracker.get_slot = lambda name: None
rest = CollectingOutputChannel()
asyncio.run(MessageProcessor._send_bot_messages(uttered[:1], tracker, rest))
assert all("metadata" not in m for m in rest.messages), rest.messages
rest.messages.clear()
asyncio.run(rest.send_text_message("chat", "outside a turn"))
assert rest.messages == [{"recipient_id": "chat", "text": "outside a turn"}]
print("language on every message")
"""


def test_every_bot_message_carries_the_conversations_language_on_both_channels() -> None:
    assert_prints(REPLY_LANGUAGE, "language on every message")


INTERPOLATION = """
import yaml
from rasa.core.nlg import interpolator
from bot.rasa_server import install

install()
logged = []
interpolator.structlogger.exception = lambda *args, **kwargs: logged.append(args)
domain = yaml.safe_load(open("domain.yml", encoding="utf-8"))
asked = [
    variation
    for variations in domain["responses"].values()
    for variation in variations
    if any("{" in button.get("payload", "") for button in variation.get("buttons", []))
]
assert asked, "the domain has questions with entity payloads"
for variation in asked:
    filled = interpolator.interpolate(variation, {"language": "en"})
    assert filled["buttons"] == variation["buttons"], filled["buttons"]
assert interpolator.interpolate("Your card: {card_kind}.", {"card_kind": "residence card"}) == "Your card: residence card."
assert interpolator.interpolate("{no_such_slot}", {}) == "{no_such_slot}"
assert len(logged) == 1, logged  # only the text that names a slot without a value is reported
print("payloads untouched")
"""


def test_entity_payloads_of_buttons_are_sent_as_written_without_an_error_in_the_log() -> None:
    assert_prints(INTERPOLATION, "payloads untouched")


ACTION_CALL = """
import json
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from bot.rasa_server import install

domain = Domain.load("domain.yml")
tracker = DialogueStateTracker.from_events("chat", [UserUttered("I lost my card"), SlotSet("language", "en")], domain.slots)
endpoint = EndpointConfig("http://127.0.0.1:9/webhook")
before = RemoteAction("validate_lost_card_form", endpoint)._action_call_format(tracker, domain)
install()
after = RemoteAction("validate_lost_card_form", endpoint)._action_call_format(tracker, domain)
assert before["domain"]["responses"] and "responses" not in after["domain"]
assert after["domain"] == {key: value for key, value in before["domain"].items() if key != "responses"}
assert {k: v for k, v in after.items() if k != "domain"} == {k: v for k, v in before.items() if k != "domain"}
assert after["domain"]["forms"] and after["domain"]["slots"]  # what rasa-sdk's forms and validation read
# Rasa's selective domain still decides whether an action gets a domain at all.
selective = EndpointConfig("http://127.0.0.1:9/webhook", enable_selective_domain=True)
assert "domain" not in RemoteAction("action_answer_procedure", selective)._action_call_format(tracker, domain)
print("sizes", len(json.dumps(before)), len(json.dumps(after)))
"""


def test_the_action_server_gets_the_domain_without_the_responses_only_rasa_renders() -> None:
    output = assert_prints(ACTION_CALL, "sizes")
    before, after = (int(size) for size in output.split("sizes", 1)[1].split())
    assert after < before / 10, (before, after)


def test_no_action_reads_a_response_text_from_the_domain_it_is_sent() -> None:
    # The responses are left out of the domain the actions get: an action names a response
    # (dispatcher.utter_message(response=...)) and the Rasa server renders it.
    for path in (PROJECT_ROOT / "actions").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if "def run(" in source or "def validate_" in source:
            assert 'domain["responses"]' not in source and "domain['responses']" not in source, path
            assert 'domain.get("responses")' not in source or path.name in {"content_check.py", "content_glossary.py"}, path


EVENT_TYPES = """
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from bot.rasa_server import install

original = {name: Event.resolve_by_type(name) for name in ("user", "slot", "action", "bot", "session_started")}
install()
for _ in range(2):  # found, then remembered
    assert {name: Event.resolve_by_type(name) for name in original} == original
assert Event.resolve_by_type("user") is UserUttered and Event.resolve_by_type("slot") is SlotSet
assert Event.resolve_by_type("no_such_event", ActionExecuted) is ActionExecuted
assert Event.resolve_by_type("topic") is None
try:
    Event.resolve_by_type("no_such_event")
except ValueError:
    pass
else:
    raise SystemExit("an unknown event name was accepted")
assert Event.from_parameters({"event": "slot", "name": "language", "value": "uk"}) == SlotSet("language", "uk")
print("same event classes")
"""


def test_event_classes_are_found_by_name_as_rasa_finds_them() -> None:
    assert_prints(EVENT_TYPES, "same event classes")


KEPT_SESSION = """
import asyncio
from aiohttp import web
from rasa.utils.endpoints import EndpointConfig
from bot.rasa_server import install

install()
client_ports = []  # the calling side's port of each request: one per connection


async def webhook(request):
    client_ports.append(request.transport.get_extra_info("peername")[1])
    return web.json_response({"events": [], "responses": [], "echo": await request.json()})


async def serve(port):
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, runner.addresses[0][1]


async def main():
    runner, port = await serve(0)
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    for number in range(3):
        assert (await endpoint.request(json={"n": number}))["echo"] == {"n": number}
    assert len(set(client_ports)) == 1, client_ports  # one connection for the three calls
    await runner.cleanup()  # the server goes away, as a killed action server does
    runner, _ = await serve(port)
    assert (await endpoint.request(json={"n": 3}))["echo"] == {"n": 3}  # the next call connects anew
    assert len(set(client_ports)) == 2, client_ports
    await runner.cleanup()

asyncio.run(main())
print("one connection kept")
"""


def test_calls_to_the_action_server_reuse_one_connection_and_reconnect_after_a_restart() -> None:
    assert_prints(KEPT_SESSION, "one connection kept")


VALIDATION_SKIP = """
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.rasa_server import validation_would_change_nothing

domain = Domain.load("domain.yml")


def tracker(intent, language):
    events = [SlotSet("language", language)] if language else []
    events.append(UserUttered("…", {"name": intent, "confidence": 0.9}))
    return DialogueStateTracker.from_events("chat", events, domain.slots)


same = [SlotSet("language", "uk")]
assert validation_would_change_nothing(same, tracker("lost_residence_card", "uk"))
assert validation_would_change_nothing([], tracker("affirm", "uk"))
assert not validation_would_change_nothing([SlotSet("language", "ru")], tracker("lost_residence_card", "uk"))
assert not validation_would_change_nothing(same, tracker("change_language", "uk"))  # an explicit choice
assert not validation_would_change_nothing(same, tracker("greet", None))  # the first message
assert not validation_would_change_nothing([*same, SlotSet("office_prefecture", "miyagi")], tracker("inform", "uk"))
print("skipped only when nothing can change")
"""


def test_the_language_validation_is_skipped_only_when_it_could_change_nothing() -> None:
    assert_prints(VALIDATION_SKIP, "skipped only when nothing can change")


def test_the_global_slot_validation_still_decides_only_the_reply_language() -> None:
    # bot/rasa_server.py skips action_validate_slot_mappings when a message is not change_language
    # and sets no slot but the conversation's own language. If the action validates or extracts
    # more, that rule must be revisited.
    from rasa_sdk.forms import ValidationAction

    from actions.conversation import ValidateGlobalSlots

    own = {
        name
        for name in vars(ValidateGlobalSlots)
        if name.startswith(("validate_", "extract_")) and not hasattr(ValidationAction, name)
    }
    assert own == {"validate_language", "extract_chosen_language"}
    assert "run" not in vars(ValidateGlobalSlots) and "get_validation_events" not in vars(ValidateGlobalSlots)


# The API token goes to `rasa run` as one argument: a token starting with "-" is not read as an option.
API_TOKEN = """
from rasa.cli.arguments.run import add_server_arguments
import argparse
from bot.rasa_server import with_api_token

parser = argparse.ArgumentParser()
add_server_arguments(parser)
for token in ("-dash-first", "plain"):
    arguments = with_api_token(["--enable-api"], token)
    assert parser.parse_args(arguments).auth_token == token, arguments
assert with_api_token(["--enable-api", "--auth-token", "given"], "other") == ["--enable-api", "--auth-token", "given"]
assert with_api_token(["--enable-api", "--auth-token=given"], "other") == ["--enable-api", "--auth-token=given"]
assert with_api_token(["--port", "5005"], "token") == ["--port", "5005"], "no API, no token"
print("token passed")
"""


@pytest.mark.slow  # starts the Rasa environment's Python
def test_the_api_token_reaches_rasa_even_when_it_starts_with_a_dash() -> None:
    assert_prints(API_TOKEN, "token passed", timeout=180)
