"""Replay the hand-written repair stories with `rasa test`: NLU and dialogue must agree with them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT, rasa_executable


def test_repair_stories_in_five_languages_replay_without_prediction_errors(trained_model: Path, tmp_path: Path) -> None:
    stories = sorted((PROJECT_ROOT / "tests" / "stories").glob("repair_*.yml"))
    assert {path.stem for path in stories} == {f"repair_{language}" for language in LANGUAGES}
    result = subprocess.run(
        [str(rasa_executable()), "test", "core", "--model", str(trained_model),
         "--stories", str(PROJECT_ROOT / "tests" / "stories"), "--fail-on-prediction-errors", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True, text=True, timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stdout[-3000:]
    assert "None of the test stories failed" in failed.read_text()
