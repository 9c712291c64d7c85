"""Train the Rasa model only when its inputs changed, and find the current model.

A model is named by a digest of everything that shapes it (config, domain, training data,
stories, the custom NLU components and the pinned versions), so an unchanged project reuses
the model it already has, in `make run`, in `make test` and in every test session.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path

from bot.paths import MODELS_DIR, PROJECT_ROOT, rasa_executable

logger = logging.getLogger(__name__)

TRAINING_INPUTS = ("config.yml", "domain.yml", "pyproject.toml", "nlu_data", "stories", "bot/nlu")


def _input_files(root: Path, inputs: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for name in inputs:
        path = root / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".py", ".txt"})
        elif path.is_file():
            files.append(path)
    return sorted(files)


def model_fingerprint(root: Path = PROJECT_ROOT, inputs: tuple[str, ...] = TRAINING_INPUTS) -> str:
    """Return a digest of every file that shapes the trained model."""
    digest = hashlib.sha256()
    for path in _input_files(root, inputs):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_model(root: Path = PROJECT_ROOT, models_dir: Path = MODELS_DIR) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    models_dir.mkdir(parents=True, exist_ok=True)
    name = f"model-{model_fingerprint(root)}"
    model = models_dir / f"{name}.tar.gz"
    with open(models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one training at a time, others wait and reuse it
        if not model.exists():
            started = time.monotonic()
            logger.info("Training %s (inputs changed)", model.name)
            subprocess.run(
                [
                    str(rasa_executable()),
                    "train",
                    "--config",
                    "config.yml",
                    "--domain",
                    "domain.yml",
                    "--data",
                    "nlu_data",
                    "stories",
                    "--out",
                    str(models_dir),
                    "--fixed-model-name",
                    name,
                ],
                cwd=root,
                check=True,
                # Rasa caches trained components by config and data, not by code: a change to
                # the project's own components must not restore stale ones.
                env={
                    **os.environ,
                    "RASA_CACHE_DIRECTORY": str(root / ".rasa" / f"cache-{model_fingerprint(root, ('bot/nlu',))}"),
                },
            )
            logger.info("Trained %s in %.0f s", model.name, time.monotonic() - started)
        current = models_dir / "current.tar.gz"
        current.unlink(missing_ok=True)
        current.symlink_to(model.name)
        _remove_old_models(models_dir, keep=model)
    return model


def _remove_old_models(models_dir: Path, keep: Path, how_many: int = 3) -> None:
    """Delete all but the newest few models (each is about 40 MB)."""
    models = sorted(models_dir.glob("model-*.tar.gz"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in models if path != keep][how_many - 1 :]:
        old.unlink(missing_ok=True)
