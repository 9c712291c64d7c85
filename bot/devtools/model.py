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


def _input_files(root: Path, inputs: tuple[str, ...], data_dir: Path | None = None) -> list[tuple[Path, Path]]:
    """Return (name in the project, file) of every input, sorted by name; ``data_dir`` stands for nlu_data/."""
    files: list[tuple[Path, Path]] = []
    for name in inputs:
        path = data_dir if data_dir is not None and name == "nlu_data" else root / name
        if path.is_dir():
            files.extend(
                (Path(name) / p.relative_to(path), p)
                for p in path.rglob("*")
                if p.is_file() and p.suffix in {".yml", ".yaml", ".py", ".txt"}
            )
        elif path.is_file():
            files.append((Path(name), path))
    return sorted(files)


def model_fingerprint(root: Path = PROJECT_ROOT, inputs: tuple[str, ...] = TRAINING_INPUTS, data_dir: Path | None = None) -> str:
    """Return a digest of every file that shapes the trained model (``data_dir`` instead of nlu_data/)."""
    digest = hashlib.sha256()
    for name, path in _input_files(root, inputs, data_dir):
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def training_environment(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Return the environment of `rasa train`: Rasa's training cache is kept per version of bot/nlu/."""
    # Rasa caches trained components by config and data, not by code: a change to the
    # project's own components must not restore stale ones.
    cache = root / ".rasa" / f"cache-{model_fingerprint(root, ('bot/nlu',))}"
    # Training embeds examples in batches, where a second thread pays (the served model uses one).
    threads = os.environ.get("NLU_EMBEDDING_THREADS", "2")
    return {**os.environ, "RASA_CACHE_DIRECTORY": str(cache), "NLU_EMBEDDING_THREADS": threads, "OMP_NUM_THREADS": threads}


def ensure_model(
    root: Path = PROJECT_ROOT, models_dir: Path = MODELS_DIR, *, data_dir: Path | None = None, switch: bool = True
) -> Path:
    """Return the model for the current inputs, training it first if it does not exist.

    ``data_dir`` trains on other NLU data than nlu_data/ (the trainer console's workspace);
    ``switch=False`` leaves models/current.tar.gz as it is (a candidate the trainer accepts or not).
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    name = f"model-{model_fingerprint(root, data_dir=data_dir)}"
    model = models_dir / f"{name}.tar.gz"
    with open(models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one training at a time, others wait and reuse it
        if not model.exists():
            started = time.monotonic()
            logger.info("Training %s (inputs changed)", model.name)
            # Trained into a folder of its own and moved in whole: a half-written model is never seen.
            partial = models_dir / f".training-{name}"
            partial.mkdir(exist_ok=True)
            subprocess.run(
                [
                    str(rasa_executable()),
                    "train",
                    "--config",
                    "config.yml",
                    "--domain",
                    "domain.yml",
                    "--data",
                    str(data_dir) if data_dir is not None else "nlu_data",
                    "stories",
                    "--out",
                    str(partial),
                    "--fixed-model-name",
                    name,
                ],
                cwd=root,
                check=True,
                env=training_environment(root),
            )
            (partial / model.name).replace(model)
            partial.rmdir()
            logger.info("Trained %s in %.0f s", model.name, time.monotonic() - started)
        if switch:
            current = models_dir / "current.tar.gz"
            current.unlink(missing_ok=True)
            current.symlink_to(model.name)
        _remove_old_models(models_dir, keep=model)
    return model


def _remove_old_models(models_dir: Path, keep: Path, how_many: int = 3) -> None:
    """Delete all but the newest few models (each is about 15 MB), never the live or the previous one."""
    # current.tar.gz is the live model; previous.tar.gz the one the trainer console goes back to.
    linked = {(models_dir / link).resolve() for link in ("current.tar.gz", "previous.tar.gz") if (models_dir / link).exists()}
    models = sorted(models_dir.glob("model-*.tar.gz"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in [path for path in models if path != keep][how_many - 1 :]:
        if old.resolve() not in linked:
            old.unlink(missing_ok=True)
