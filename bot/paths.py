"""Where the project's files and tools are, for the CLI and the tests."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
VAR_DIR = PROJECT_ROOT / "var"


def rasa_executable() -> Path:
    """Return the `rasa` command of the Rasa environment (RASA_BIN overrides it)."""
    return Path(os.environ.get("RASA_BIN") or PROJECT_ROOT / ".venv" / "rasa" / "bin" / "rasa")
