"""A bare `rasa init` bot, the yardstick of `make bench`.

`rasa init --no-prompt` scaffolds Rasa's own starter project (moodbot: DIET, TED and memoization,
an in-memory tracker store, no action server) and trains it. It is made once into
.cache/bare-rasa-bot/rasa-<version>/ and reused by every later benchmark; deleting the folder
makes it again. It runs exactly as scaffolded, with `rasa run` and its own endpoints and
credentials, so that the comparison is with what a new Rasa project gives out of the box.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.devtools import local_servers
from bot.paths import PROJECT_ROOT, rasa_executable

RASA_VERSION = "3.6.21"
CACHE_DIR = PROJECT_ROOT / ".cache" / "bare-rasa-bot" / f"rasa-{RASA_VERSION}"


def _trained_model(project: Path) -> Path | None:
    models = sorted((project / "models").glob("*.tar.gz"))
    return models[-1] if models else None


def ensure_bare_bot(cache_dir: Path = CACHE_DIR) -> Path:
    """Return the folder of the bare bot, scaffolding and training it first if it is not there."""
    if _trained_model(cache_dir) is not None:
        return cache_dir
    partial = cache_dir.with_name(cache_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    print("Training the bare `rasa init` bot once (about two minutes; kept in .cache/bare-rasa-bot/)", flush=True)
    log = partial.parent / "rasa-init.log"
    with log.open("w") as output:
        subprocess.run(
            [str(rasa_executable()), "init", "--no-prompt", "--init-dir", str(partial)],
            cwd=partial,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=1800,
        )
    if _trained_model(partial) is None:
        raise RuntimeError(f"rasa init trained no model: see {log}")
    shutil.rmtree(cache_dir, ignore_errors=True)
    partial.replace(cache_dir)
    return cache_dir


@contextmanager
def bare_server(project: Path, workdir: Path, port: int | None = None) -> Iterator[local_servers.Server]:
    """Run the bare bot with `rasa run` and its own endpoints and credentials; yield its URL."""
    port = port or local_servers.free_port()
    model = _trained_model(project)
    if model is None:
        raise RuntimeError(f"No trained model in {project}: run ensure_bare_bot() first")
    command = [
        str(rasa_executable()),
        "run",
        "--model",
        str(model),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--endpoints",
        str(project / "endpoints.yml"),
        "--credentials",
        str(project / "credentials.yml"),
    ]
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    log = workdir / "bare-rasa.log"
    with local_servers.running(command, env, log, cwd=project) as process:
        base = f"http://127.0.0.1:{port}"
        local_servers.wait_until(lambda: local_servers.rasa_answers(base), process, "bare Rasa server", log)
        yield local_servers.Server(base, process.pid)
