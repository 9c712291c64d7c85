"""Run the Rasa server (`python -m bot.rasa_server run …`, the same arguments as `rasa run`).

Two changes to Rasa 3.6:

- It checks every action server response against a JSON schema with
  `jsonschema.validate(result, schema)`, which checks the schema itself again on every call; on
  this project's turns (an action or two each) that took about a sixth of the Rasa server's CPU
  (py-spy, docs/dialogue.md). Here the validator is built once and the response is checked
  against the same schema with the same error, so nothing that was rejected before is accepted.
- When the action server cannot be reached (crashed, restarting), Rasa logs the error and the
  user gets no answer at all. Here the turn ends with `utter_temporarily_unavailable` in the
  conversation's language instead, once per message; the conversation's state is what it was,
  so the next message after the action server is back continues the flow.
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
from rasa.core.processor import MessageProcessor
from rasa.shared.exceptions import RasaException

UNAVAILABLE_RESPONSE = "utter_temporarily_unavailable"
# The custom actions of the message being handled that could not reach the action server.
_unreachable: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("unreachable", default=None)
_run_remote_action = RemoteAction.run
_handle_message = MessageProcessor.handle_message
_run_prediction_loop = MessageProcessor._run_prediction_loop


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
    await output_channel.send_response(tracker.sender_id, uttered.message())
    unreachable.clear()


def main() -> None:
    """Start Rasa's command line with the compiled response validator and the apology in place."""
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_remote_action_noting_failures
    MessageProcessor.handle_message = _handle_message_noting_failures
    MessageProcessor._run_prediction_loop = _run_prediction_loop_or_apologise
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
