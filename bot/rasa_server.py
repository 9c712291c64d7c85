"""Run the Rasa server (`python -m bot.rasa_server run …`, the same arguments as `rasa run`).

Changes to Rasa 3.6:

- It checks every action server response against a JSON schema with
  `jsonschema.validate(result, schema)`, which checks the schema itself again on every call; on
  this project's turns (an action or two each) that took about a sixth of the Rasa server's CPU
  (py-spy, docs/dialogue.md). Here the validator is built once and the response is checked
  against the same schema with the same error, so nothing that was rejected before is accepted.
- Every call to the action server carries the domain, and 98 % of this project's domain (212 of
  217 kB of JSON) is its responses in five languages, which only the Rasa server renders: the
  actions name a response and never read one. Encoding it for each of a turn's two or three
  calls and decoding it in the action server was the largest cost after the NLU (py-spy,
  docs/deployment.md "Performance"). Here the domain goes without its responses, built once
  per loaded domain; intents, entities, slots, forms and actions (what rasa-sdk's forms and
  slot validation read) are sent as before. Rasa's own switch, `enable_selective_domain`,
  sends either the whole domain or none, and the validation actions need the slots and forms.
- Each stored event is turned back into an object by `Event.resolve_by_type`, which walks every
  subclass of `Event` (recursively, checking each for abstractness) to find the one of that
  name: 3 % of the Rasa server's CPU under load, for a tracker of fifty events. Here the class
  found for a name is remembered (the same class Rasa finds; names it does not know still fail
  or fall back as before).
- Rasa opens a new HTTP session, and so a new connection, for every call to the action server
  (two or three per message). Here each endpoint keeps one session per event loop whose idle
  connections are reused for up to 2 s, less than the action server's 5 s keep-alive (Sanic's
  default), so a connection is never reused just as the server closes it. A killed action
  server's connections are closed by the kernel and never reused; the next call connects anew.
- After reading a message's slots, Rasa calls `action_validate_slot_mappings` on every message,
  an HTTP call carrying the whole conversation. That action (`actions/conversation.py`) decides
  the reply language: it keeps an explicit choice (intent `change_language`) and the language
  a weakly detected message would switch away from. When a message is not `change_language`
  and sets no slot but a `language` equal to the conversation's, the action can only return
  that same language, so the call is skipped and the slot event kept as read (most messages
  of a conversation: it is one round trip per message). Any other message calls it as before.
  `tests/test_rasa_server.py` checks that the action still validates only these slots.
- When the action server cannot be reached (crashed, restarting), Rasa logs the error and the
  user gets no answer at all. Here the turn ends with `utter_temporarily_unavailable` in the
  conversation's language instead, once per message; the conversation's state is what it was,
  so the next message after the action server is back continues the flow.
- Every message the bot sends carries the conversation's language, the `language` slot, as
  `"metadata": {"language": "uk"}` on the REST channel's replies and the socket.io channel's
  `bot_uttered` events, so the front ends' own sentences follow the conversation. Rasa 3.6 has
  no way to do this: its channels drop a response's metadata, a custom payload is a message of
  its own on the REST channel, and the socket.io channel emits custom payloads as keyword
  arguments, so they reach the client empty (RasaHQ/rasa#8445). The slot is read when each
  message is sent, after the action that wrote it; a conversation without one yet sends none.
- A bot message whose action asked for feedback (`dispatcher.utter_message(...,
  feedback=True)`, kept by Rasa in the BotUttered event's metadata) also carries
  `"feedback": true` (bot/feedback.py), so the front ends draw "Was this helpful? 👍 / 👎"
  under it. The channels send a text's paragraphs as messages of their own; only the last
  part of the message carries the flag, so the row is drawn once, under the end of the answer.
- Rasa fills slots into every text of a domain response, button payloads included, and reads
  any `{…}` as a slot name: the entity payloads of this project's buttons
  (`/inform{"loss_reason": "lost"}`) are not slots, so each such question logged an ERROR with a
  stack trace and its locals, and the response went out unchanged. Here a text without a
  `{slot_name}` placeholder is returned as it is, without the log (the same text Rasa sends);
  a text with one is filled by Rasa as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import aiohttp  # type: ignore[import-not-found]  # only in .venv/rasa, with Rasa
import rasa
from jsonschema import exceptions, validators
from rasa.__main__ import main as rasa_main
from rasa.core.actions.action import ActionExtractSlots, RemoteAction, create_bot_utterance
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.nlg import interpolator
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.feedback import FEEDBACK_KEY
from bot.languages import normalize_language

UNAVAILABLE_RESPONSE = "utter_temporarily_unavailable"
LANGUAGE_SLOT = "language"
# The custom actions of the message being handled that could not reach the action server.
_unreachable: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("unreachable", default=None)
_run_remote_action = RemoteAction.run
_handle_message = MessageProcessor.handle_message
_run_prediction_loop = MessageProcessor._run_prediction_loop
_collected_message = CollectingOutputChannel._message
_emit_socketio_message = SocketIOOutput._send_message


@dataclass
class _Reply:
    """The bot message being sent: the metadata its parts carry, and its parts held back.

    Without feedback every part goes out at once with the language. With feedback the parts
    are held until the whole message has been built, so that only the last one carries the flag.
    """

    language: str | None
    feedback: bool = False
    collected: list[dict[str, Any]] = field(default_factory=list)
    emitted: list[tuple[SocketIOOutput, str, Any]] = field(default_factory=list)


# The bot message being sent (None outside the sending of a turn's messages).
_reply: contextvars.ContextVar[_Reply | None] = contextvars.ContextVar("reply", default=None)


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return validators.validator_for(schema)(schema)


# The domain as the actions read it, kept on each loaded Domain object (a new model, a new one).
_ACTION_DOMAIN_ATTRIBUTE = "_domain_for_actions"


def domain_for_actions(domain: Domain) -> dict[str, Any]:
    """Return the domain as sent to the action server: everything but the responses."""
    kept = domain.__dict__.get(_ACTION_DOMAIN_ATTRIBUTE)
    if kept is None:
        kept = {key: value for key, value in domain.as_dict().items() if key != "responses"}
        domain.__dict__[_ACTION_DOMAIN_ATTRIBUTE] = kept
    return kept


def _action_call_without_responses(self: RemoteAction, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """Build the action server request as Rasa 3.6 does (RemoteAction._action_call_format), without the responses."""
    result: dict[str, Any] = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": tracker.current_state(EventVerbosity.ALL),
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain_for_actions(domain)
    return result


# The intent whose message may choose the reply language (actions/conversation.py).
CHANGE_LANGUAGE_INTENT = "change_language"
_execute_validation_action = ActionExtractSlots._execute_validation_action


def validation_would_change_nothing(slot_events: list[Any], tracker: DialogueStateTracker) -> bool:
    """Whether `action_validate_slot_mappings` can only confirm these slot events (see the module doc)."""
    latest = tracker.latest_message
    if latest is None or (latest.intent or {}).get("name") == CHANGE_LANGUAGE_INTENT:
        return False
    current = tracker.get_slot(LANGUAGE_SLOT)
    return current is not None and all(
        isinstance(event, SlotSet) and event.key == LANGUAGE_SLOT and event.value == current for event in slot_events
    )


async def _validate_when_it_can_change_something(
    self: ActionExtractSlots,
    extraction_events: list[Any],
    output_channel: Any,
    nlg: Any,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Any]:
    """Run Rasa's call of `action_validate_slot_mappings`, unless it could only confirm the events."""
    if validation_would_change_nothing(extraction_events, tracker):
        return [event for event in extraction_events if isinstance(event, SlotSet)]
    return await _execute_validation_action(self, extraction_events, output_channel, nlg, tracker, domain)


# Idle connections to an endpoint are kept this long: under the action server's keep-alive (5 s).
KEEP_IDLE_CONNECTIONS_SECONDS = 2.0
# By endpoint: the event loop a session was made in (kept, so its id is not reused) and the session.
_SESSIONS: dict[str, tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}


class _KeptSession:
    """What `EndpointConfig.session()` returns here: Rasa's `async with` uses it without closing it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_exception: object) -> None:
        return None


def _kept_session(self: EndpointConfig) -> _KeptSession:
    """Return the endpoint's session for the running event loop, made as Rasa makes one, kept open."""
    loop = asyncio.get_running_loop()
    key = repr((id(loop), self.url, sorted(self.headers.items()), sorted(self.basic_auth.items())))
    made_in, session = _SESSIONS.get(key, (None, None))
    if session is None or session.closed or made_in is not loop:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_IDLE_CONNECTIONS_SECONDS),
        )
        _SESSIONS[key] = (loop, session)
    return _KeptSession(session)


_resolve_event_type = Event.resolve_by_type
_EVENT_TYPES: dict[str, type[Event]] = {}


def _resolve_event_type_remembered(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Return the event class of a name as Rasa does, remembering each class found."""
    found = _EVENT_TYPES.get(type_name)
    if found is not None:
        return found
    try:
        found = _resolve_event_type(type_name)
    except ValueError:  # a name no event class has: Rasa's default, or its error
        if default is not None:
            return default
        raise
    if found is not None:  # None: Rasa's answer for the old "topic" events
        _EVENT_TYPES[type_name] = found
    return found


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Check an action server response as Rasa does, with the validator built once."""
    error = exceptions.best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action endpoint is valid."
        )
        raise error
    return True


async def _run_remote_action_noting_failures(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
    """Run a custom action as Rasa does; note it when the action server could not be reached."""
    try:
        return await _run_remote_action(self, *args, **kwargs)
    except RasaException as error:
        # Rasa raises its own exception inside `except aiohttp.ClientConnectionError`.
        unreachable = _unreachable.get()
        if unreachable is not None and isinstance(error.__context__, aiohttp.ClientConnectionError):
            unreachable.append(self.name())
        raise


async def _handle_message_noting_failures(self: MessageProcessor, message: Any) -> Any:
    """Handle one message as Rasa does, with a fresh list of unreachable actions."""
    token = _unreachable.set([])
    try:
        return await _handle_message(self, message)
    finally:
        _unreachable.reset(token)


async def _run_prediction_loop_or_apologise(self: MessageProcessor, output_channel: Any, tracker: Any) -> None:
    """Run Rasa's prediction loop; if the action server could not be reached, say so politely."""
    await _run_prediction_loop(self, output_channel, tracker)
    unreachable = _unreachable.get()
    if not unreachable:
        return
    response = await self.nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
    if response is None:
        return
    response["utter_action"] = UNAVAILABLE_RESPONSE
    uttered = create_bot_utterance(response)
    tracker.update(uttered)
    await _send_bot_messages_with_metadata([uttered], tracker, output_channel)
    unreachable.clear()


def with_metadata(message: dict[str, Any], language: str | None, feedback: bool = False) -> dict[str, Any]:
    """Return ``message`` carrying the conversation's language and the feedback flag in its metadata.

    Unchanged without a language and without feedback.
    """
    added: dict[str, Any] = {}
    if language is not None:
        added[LANGUAGE_SLOT] = language
    if feedback:
        added[FEEDBACK_KEY] = True
    if not added:
        return message
    return {**message, "metadata": {**(message.get("metadata") or {}), **added}}


async def _send_bot_messages_with_metadata(events: list[Any], tracker: Any, output_channel: Any) -> None:
    """Send the bot messages of ``events`` as Rasa does, each with the conversation's language,
    and the answers that asked for it with the feedback flag on their last part."""
    language = normalize_language(tracker.get_slot(LANGUAGE_SLOT))
    for event in events:
        if not isinstance(event, BotUttered):
            continue
        reply = _Reply(language, feedback=bool((event.metadata or {}).get(FEEDBACK_KEY)))
        token = _reply.set(reply)
        try:
            await output_channel.send_response(tracker.sender_id, event.message())
        finally:
            _reply.reset(token)
        if reply.collected:  # REST: the parts are in the channel's list already
            reply.collected[-1].setdefault("metadata", {})[FEEDBACK_KEY] = True
        for number, (channel, socket_id, response) in enumerate(reply.emitted, start=1):
            await _emit_socketio_message(
                channel, socket_id, with_metadata(response, language, feedback=number == len(reply.emitted))
            )


def _collected_message_with_metadata(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Build a REST channel reply as Rasa does, with the conversation's language."""
    reply = _reply.get()
    if reply is None:
        return _collected_message(*args, **kwargs)
    message = with_metadata(_collected_message(*args, **kwargs), reply.language)
    if reply.feedback:
        reply.collected.append(message)  # the last part gets the flag once all are built
    return message


async def _emit_socketio_message_with_metadata(self: SocketIOOutput, socket_id: str, response: Any) -> None:
    """Emit a socket.io `bot_uttered` as Rasa does, with the conversation's language.

    The parts of an answer that asked for feedback are held until the answer is complete.
    """
    reply = _reply.get()
    if reply is None:
        await _emit_socketio_message(self, socket_id, response)
    elif reply.feedback:
        reply.emitted.append((self, socket_id, response))
    else:
        await _emit_socketio_message(self, socket_id, with_metadata(response, reply.language))


# A slot placeholder as Rasa's templates write one: `{name}` (a slot name, no quotes or spaces).
_SLOT_PLACEHOLDER = re.compile(r"{[A-Za-z_][A-Za-z0-9_.-]*}")
_interpolate_text = interpolator.interpolate_text


def _interpolate_slots_only(response: str, values: dict[str, Any]) -> str:
    """Fill slots into a response text as Rasa does; leave texts without a slot placeholder alone."""
    if not _SLOT_PLACEHOLDER.search(response):
        return response
    return str(_interpolate_text(response, values))


def install() -> None:
    """Put the changes of the module docstring in place (before Rasa starts)."""
    RemoteAction._action_call_format = _action_call_without_responses
    EndpointConfig.session = _kept_session
    ActionExtractSlots._execute_validation_action = _validate_when_it_can_change_something
    Event.resolve_by_type = staticmethod(_resolve_event_type_remembered)
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_remote_action_noting_failures
    MessageProcessor.handle_message = _handle_message_noting_failures
    MessageProcessor._run_prediction_loop = _run_prediction_loop_or_apologise
    MessageProcessor._send_bot_messages = staticmethod(_send_bot_messages_with_metadata)
    CollectingOutputChannel._message = staticmethod(_collected_message_with_metadata)
    SocketIOOutput._send_message = _emit_socketio_message_with_metadata
    interpolator.interpolate_text = _interpolate_slots_only


def with_api_token(arguments: list[str], token: str) -> list[str]:
    """Add `--auth-token` from RASA_API_TOKEN when the HTTP API is on and no token is given.

    The token stays out of the command line that `ps` shows (the Procfile's and the production
    profile's `--enable-api`); the trainer console and `jra model accept` use it for `PUT /model`.
    """
    given = any(argument in ("-t", "--auth-token") or argument.startswith("--auth-token=") for argument in arguments)
    if token and "--enable-api" in arguments and not given:
        # One argument with "=": a token that starts with "-" is not read as another option.
        return [*arguments, f"--auth-token={token}"]
    return arguments


def main() -> None:
    """Start Rasa's command line with the changes in place."""
    install()
    sys.argv[1:] = with_api_token(sys.argv[1:], os.environ.get("RASA_API_TOKEN", "").strip())
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
