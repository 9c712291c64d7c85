"""The NLU data files, read one way for every tool: training examples and held-out messages.

`nlu_data/<language>/<intent>.yml` and `tests/nlu/<language>.yml` (and `tests/nlu/real/`) are
Rasa YAML NLU files; the data check (`nlu_check`) and the evaluation (`nlu_eval`) both read them
through this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT

NLU_DATA_DIR = PROJECT_ROOT / "nlu_data"
HELD_OUT_DIR = PROJECT_ROOT / "tests" / "nlu"
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


@dataclass(frozen=True)
class Example:
    """One training (or held-out) example: its text, intent, language and file."""

    text: str
    intent: str
    language: str
    path: Path


def strip_annotations(text: str) -> str:
    """Return an example's text without Rasa entity markup ("[Tokyo](city)" -> "Tokyo")."""
    return _ANNOTATION.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)


def read_nlu_file(path: Path, language: str) -> list[Example]:
    """Return the intent examples of one Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in data.get("nlu") or []:
        intent = block.get("intent") if isinstance(block, dict) else None
        if not intent:
            continue
        raw = block.get("examples") or ""
        if isinstance(raw, str):
            texts = [line.strip()[2:] for line in raw.splitlines() if line.strip().startswith("- ")]
        else:
            texts = [item.get("text", "") if isinstance(item, dict) else str(item) for item in raw]
        examples.extend(Example(strip_annotations(text).strip(), intent, language, path) for text in texts)
    return examples


def load_training_data(data_dir: Path, languages: Sequence[str] = LANGUAGES) -> list[Example]:
    """Return every example under ``data_dir/<language>/*.yml``."""
    examples: list[Example] = []
    for language in languages:
        for path in sorted((data_dir / language).glob("*.y*ml")):
            examples.extend(read_nlu_file(path, language))
    return examples


def load_held_out(held_out_dir: Path, languages: Sequence[str] = LANGUAGES) -> list[Example]:
    """Return the held-out messages of ``held_out_dir/<language>.yml``."""
    examples: list[Example] = []
    for language in languages:
        path = held_out_dir / f"{language}.yml"
        if path.exists():
            examples.extend(read_nlu_file(path, language))
    return examples
