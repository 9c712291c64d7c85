"""Settings of the action server, read from the environment in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = Path(__file__).resolve().parent / "content"
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "var" / "procedures.sqlite"


@dataclass(frozen=True)
class Settings:
    """Configuration of the procedures database and its content."""

    database_url: str
    content_dir: Path


def load_settings() -> Settings:
    """Read the settings from the environment (DATABASE_URL, CONTENT_DIR)."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_PATH}"
    content_dir = Path(os.environ.get("CONTENT_DIR") or CONTENT_DIR)
    return Settings(database_url=database_url, content_dir=content_dir)
