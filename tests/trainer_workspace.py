"""A small copy of the project's training data, held-out sets and live model for the trainer
console's tests and screenshots: the same config.yml, domain.yml and stories/, few examples, so
that "Retrain and evaluate" trains in about a minute instead of six.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.languages import LANGUAGES
from bot.paths import MODELS_DIR, PROJECT_ROOT

EXAMPLES_PER_INTENT = 6  # per language
HELD_OUT_PER_LANGUAGE = 25


@dataclass(frozen=True)
class Workspace:
    """The folders the console is pointed at."""

    root: Path

    @property
    def data_dir(self) -> Path:
        """Return the NLU data folder (nlu_data/<lang>/<intent>.yml)."""
        return self.root / "nlu_data"

    @property
    def models_dir(self) -> Path:
        """Return the models folder (current.tar.gz is the project's live model)."""
        return self.root / "models"

    @property
    def held_out_dir(self) -> Path:
        """Return the held-out folder (<lang>.yml)."""
        return self.root / "held_out"


def _block(intent: str, texts: list[str]) -> str:
    lines = [f"- intent: {intent}", "  examples: |"] + [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"


def _first_examples(path: Path, count: int) -> list[tuple[str, list[str]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    blocks = []
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and block.get("intent") and isinstance(block.get("examples"), str):
            texts = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
            blocks.append((str(block["intent"]), texts[:count]))
    return blocks


def build(root: Path, examples_per_intent: int = EXAMPLES_PER_INTENT, held_out: int = HELD_OUT_PER_LANGUAGE) -> Workspace:
    """Write a small workspace under ``root``; its live model is the project's current model (linked, not copied).

    The loop's test starts the Rasa server first, which trains the model if there is none.
    """
    workspace = Workspace(root)
    for language in LANGUAGES:
        target = workspace.data_dir / language
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((PROJECT_ROOT / "nlu_data" / language).glob("*.yml")):
            blocks = _first_examples(path, examples_per_intent)
            if blocks:
                body = "".join(_block(intent, texts) for intent, texts in blocks)
                (target / path.name).write_text(f'version: "3.1"\nnlu:\n{body}', encoding="utf-8")
    workspace.held_out_dir.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        blocks = _first_examples(PROJECT_ROOT / "tests" / "nlu" / f"{language}.yml", 1)
        picked = blocks[:held_out]
        body = "".join(_block(intent, texts) for intent, texts in picked)
        (workspace.held_out_dir / f"{language}.yml").write_text(f'version: "3.1"\nnlu:\n{body}', encoding="utf-8")
    workspace.models_dir.mkdir(parents=True, exist_ok=True)
    live = (MODELS_DIR / "current.tar.gz").resolve()
    if live.exists():
        (workspace.models_dir / live.name).symlink_to(live)
    else:  # no model trained yet: the access tests need a live model's name, not a model
        live = workspace.models_dir / f"model-{'0' * 16}.tar.gz"
        live.write_bytes(b"not a model")
    (workspace.models_dir / "current.tar.gz").symlink_to(live.name)
    return workspace


def remove(workspace: Workspace) -> None:
    """Delete the workspace."""
    shutil.rmtree(workspace.root, ignore_errors=True)
