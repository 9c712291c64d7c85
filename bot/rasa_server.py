"""Run the Rasa server (`python -m bot.rasa_server run …`, the same arguments as `rasa run`).

Three changes to Rasa 3.6:

- It checks every action server response against a JSON schema with
  `jsonschema.validate(result, schema)`, which checks the schema itself again on every call; on
  this project's turns (an action or two each) that took about a sixth of the Rasa server's CPU
  (py-spy, docs/dialogue.md). Here the validator is built once and the response is checked
  against the same schema with the same error, so nothing that was rejected before is accepted.
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
"""

from __future__ import annotations

import contextvars
import sys
from functools import lru_cache
from typing import Any

import aiohttp  # type: ignore[import-not-found]  # only in .venv/rasa, with Rasa
from jsonschema import exceptions, validators
from rasa.__main__ import main as rasa_main
from rasa.core.actions.action import RemoteAction, create_bot_utterance
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

from bot.languages import normalize_language

UNAVAILABLE_RESPONSE = "utter_temporarily_unavailable"
LANGUAGE_SLOT = "language"
# The custom actions of the message being handled that could not reach the action server.
_unreachable: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("unreachable", default=None)
_run_remote_action = RemoteAction.run
_handle_message = MessageProcessor.handle_message
_run_prediction_loop = MessageProcessor._run_prediction_loop
# The language of the conversation whose bot messages are being sent.
_reply_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("reply_language", default=None)
_send_bot_messages = MessageProcessor._send_bot_messages
_collected_message = CollectingOutputChannel._message
_emit_socketio_message = SocketIOOutput._send_message


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    return validators.validator_for(schema)(schema)


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
    await _send_bot_messages_with_language([uttered], tracker, output_channel)
    unreachable.clear()


def with_language(message: dict[str, Any], language: str | None) -> dict[str, Any]:
    """Return ``message`` carrying the conversation's language in its metadata (unchanged without one)."""
    if language is None:
        return message
    return {**message, "metadata": {**(message.get("metadata") or {}), LANGUAGE_SLOT: language}}


async def _send_bot_messages_with_language(events: list[Any], tracker: Any, output_channel: Any) -> None:
    """Send the bot messages of ``events`` as Rasa does, each carrying the conversation's language."""
    token = _reply_language.set(normalize_language(tracker.get_slot(LANGUAGE_SLOT)))
    try:
        await _send_bot_messages(events, tracker, output_channel)
    finally:
        _reply_language.reset(token)


def _collected_message_with_language(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Build a REST channel reply as Rasa does, with the conversation's language."""
    return with_language(_collected_message(*args, **kwargs), _reply_language.get())


async def _emit_socketio_message_with_language(self: SocketIOOutput, socket_id: str, response: Any) -> None:
    """Emit a socket.io `bot_uttered` as Rasa does, with the conversation's language."""
    await _emit_socketio_message(self, socket_id, with_language(response, _reply_language.get()))


def install() -> None:
    """Put the compiled response validator, the apology and the reply language in place."""
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_remote_action_noting_failures
    MessageProcessor.handle_message = _handle_message_noting_failures
    MessageProcessor._run_prediction_loop = _run_prediction_loop_or_apologise
    MessageProcessor._send_bot_messages = staticmethod(_send_bot_messages_with_language)
    CollectingOutputChannel._message = staticmethod(_collected_message_with_language)
    SocketIOOutput._send_message = _emit_socketio_message_with_language


def main() -> None:
    """Start Rasa's command line with the changes in place."""
    install()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
