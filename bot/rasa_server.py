"""Run the Rasa server (`python -m bot.rasa_server run …`, the same arguments as `rasa run`).

One change to Rasa 3.6: it checks every action server response against a JSON schema with
`jsonschema.validate(result, schema)`, which checks the schema itself again on every call; on
this project's turns (an action or two each) that took about a sixth of the Rasa server's CPU
(py-spy, docs/dialogue.md). Here the validator is built once and the response is checked
against the same schema with the same error, so nothing that was rejected before is accepted.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.__main__ import main as rasa_main
from rasa.core.actions.action import RemoteAction


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


def main() -> None:
    """Start Rasa's command line with the compiled response validator in place."""
    RemoteAction._validate_action_result = _validate_action_result
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
