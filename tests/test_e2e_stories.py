"""The hand-written repair stories: the dialogue replays them with `rasa test`, and the NLU reads
every user text of them as the story says (`rasa test core` takes the intent from the story, so
the NLU is checked separately, through the running server's /model/parse)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import yaml

from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT, rasa_executable


def test_repair_stories_in_five_languages_replay_without_prediction_errors(trained_model: Path, tmp_path: Path) -> None:
    stories = sorted((PROJECT_ROOT / "tests" / "stories").glob("repair_*.yml"))
    assert {path.stem for path in stories} == {f"repair_{language}" for language in LANGUAGES}
    result = subprocess.run(
        [
            str(rasa_executable()),
            "test",
            "core",
            "--model",
            str(trained_model),
            "--stories",
            str(PROJECT_ROOT / "tests" / "stories"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stdout[-3000:]
    assert "None of the test stories failed" in failed.read_text()


def story_messages() -> list[tuple[str, str, str]]:
    """Return (story, user text, intent) of every user step of the repair stories."""
    messages = []
    for path in sorted((PROJECT_ROOT / "tests" / "stories").glob("repair_*.yml")):
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            for step in story["steps"]:
                if "user" in step:
                    messages.append((story["story"], step["user"].strip(), step["intent"]))
    return messages


def test_the_nlu_reads_every_story_message_as_its_intent(rasa_server: str) -> None:
    misread = []
    with httpx.Client(timeout=60) as client:
        for story, text, intent in story_messages():
            parsed = client.post(f"{rasa_server}/model/parse", json={"text": text}).json()["intent"]
            if parsed["name"] != intent:
                misread.append(f"{story}: {text!r} read as {parsed['name']} ({parsed['confidence']:.2f}), story says {intent}")
    assert not misread, "\n".join(misread)
