"""Replay the recorded flow stories with `rasa test`: NLU and dialogue must still agree."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.paths import PROJECT_ROOT, rasa_executable


def test_flow_stories_in_five_languages_replay_without_prediction_errors(trained_model: Path, tmp_path: Path) -> None:
    stories = sorted((PROJECT_ROOT / "tests" / "stories").glob("flows_*.yml"))
    assert {path.stem for path in stories} == {f"flows_{language}" for language in ("en", "ru", "uk", "zh", "ja")}
    result = subprocess.run(
        [str(rasa_executable()), "test", "core", "--model", str(trained_model),
         "--stories", str(PROJECT_ROOT / "tests" / "stories"), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True, text=True, timeout=900,
    )
    failed = (tmp_path / "failed_test_stories.yml")
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stdout[-3000:]
    assert "None of the test stories failed" in failed.read_text()
