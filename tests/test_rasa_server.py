"""The Rasa server launcher checks action server responses exactly as Rasa does, only faster."""

from __future__ import annotations

import subprocess

from bot.paths import PROJECT_ROOT, rasa_executable

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
    result = subprocess.run(
        [str(rasa_executable().parent / "python"), "-c", CHECK], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "same verdicts" in result.stdout, result.stdout + result.stderr[-2000:]
