"""Which model is live, and switching it: the trainer's "Accept" and "Go back" (`jra model accept` / `rollback`).

The models are files in models/, each named by the digest of its inputs
(`model-<fingerprint>.tar.gz`, bot/devtools/model.py). Two symbolic links say which is which:

- `current.tar.gz`: the live model, the one the Rasa server(s) load at start (Procfile,
  production profile);
- `previous.tar.gz`: the model that was live before the last switch, for "Go back".

Accepting a candidate points `previous.tar.gz` at the live model and `current.tar.gz` at the
candidate (each link is replaced atomically: a new link under a temporary name, renamed over
the old one), then asks every running Rasa server to load the new file through Rasa's HTTP API
(`PUT /model`, with the API token, on 127.0.0.1). Going back swaps the two links and does the
same. A Rasa server that cannot be reached loads the new `current.tar.gz` at its next start.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.paths import MODELS_DIR, VAR_DIR

CURRENT = "current.tar.gz"
PREVIOUS = "previous.tar.gz"
MODEL_NAME = re.compile(r"^model-[0-9a-f]{16}\.tar\.gz$")
DEFAULT_RASA_URLS = ("http://127.0.0.1:5005",)
# Where `jra run` and the production profile keep the per-run Rasa API token for `jra model`.
TOKEN_FILE_NAME = "rasa-api-token"
LOAD_TIMEOUT_SECONDS = 300.0


class ModelError(ValueError):
    """A model name that is not a model of the folder, or nothing to go back to."""


@dataclass(frozen=True)
class Switch:
    """The result of a switch: what is live now, what was before, and what each Rasa server said."""

    live: str
    previous: str | None
    servers: tuple[str, ...] = ()  # one line per Rasa server: loaded, or why not

    @property
    def all_loaded(self) -> bool:
        """Whether every Rasa server loaded the model."""
        return all(line.endswith(": loaded") for line in self.servers)


def _target(models_dir: Path, link: str) -> str | None:
    path = models_dir / link
    if not path.is_symlink():
        return path.name if path.is_file() else None
    target = Path(os.readlink(path)).name
    return target if (models_dir / target).is_file() else None


def live_model(models_dir: Path = MODELS_DIR) -> str | None:
    """Return the file name of the live model (what current.tar.gz points at)."""
    return _target(models_dir, CURRENT)


def previous_model(models_dir: Path = MODELS_DIR) -> str | None:
    """Return the file name of the model that was live before the last switch."""
    return _target(models_dir, PREVIOUS)


def check_model_name(models_dir: Path, name: str) -> Path:
    """Return the path of a model of the folder; refuse any other name (no path, no traversal)."""
    if not MODEL_NAME.match(name or ""):
        raise ModelError(f"{name!r} is not a model name (model-<16 hex digits>.tar.gz)")
    path = models_dir / name
    if not path.is_file():
        raise ModelError(f"there is no model {name} in {models_dir}")
    return path


def newest_candidate(models_dir: Path = MODELS_DIR) -> str | None:
    """Return the newest model that is not live (what `jra model accept` takes by default)."""
    live = live_model(models_dir)
    models = sorted(models_dir.glob("model-*.tar.gz"), key=lambda path: path.stat().st_mtime, reverse=True)
    return next((path.name for path in models if path.name != live and MODEL_NAME.match(path.name)), None)


def _point(models_dir: Path, link: str, target: str) -> None:
    temporary = models_dir / f".{link}.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, models_dir / link)


def rasa_urls(environ: os._Environ[str] | dict[str, str] = os.environ) -> tuple[str, ...]:
    """Return the Rasa servers to tell (RASA_API_URLS, comma-separated; default the local one)."""
    urls = tuple(url.strip().rstrip("/") for url in environ.get("RASA_API_URLS", "").split(",") if url.strip())
    return urls or DEFAULT_RASA_URLS


def rasa_token(environ: os._Environ[str] | dict[str, str] = os.environ, state_dir: Path = VAR_DIR) -> str:
    """Return the Rasa API token: RASA_API_TOKEN, else the one `jra run` wrote for this run ("" if none)."""
    token = environ.get("RASA_API_TOKEN", "").strip()
    if token:
        return token
    for folder in (state_dir, state_dir / "production"):
        try:
            return (folder / TOKEN_FILE_NAME).read_text(encoding="utf-8").strip()
        except OSError:
            continue
    return ""


def load_on_servers(model: Path, urls: tuple[str, ...], token: str, timeout: float = LOAD_TIMEOUT_SECONDS) -> tuple[str, ...]:
    """Ask each Rasa server to load ``model`` (`PUT /model`), one after another; return one line per server."""
    lines = []
    for url in urls:
        try:
            response = httpx.put(
                f"{url}/model",
                params={"token": token} if token else None,
                json={"model_file": str(model.resolve())},
                timeout=timeout,
            )
        except httpx.HTTPError as error:
            lines.append(f"{url}: not reached ({type(error).__name__}); it loads the model at its next start")
            continue
        if response.status_code == 204:
            lines.append(f"{url}: loaded")
        elif response.status_code in (401, 403):
            lines.append(f"{url}: refused (the Rasa API token is wrong or missing)")
        else:
            lines.append(f"{url}: answered {response.status_code}")
    return tuple(lines)


def accept(models_dir: Path, candidate: str, urls: tuple[str, ...] = (), token: str = "") -> Switch:
    """Make ``candidate`` the live model; the live one becomes the previous one."""
    path = check_model_name(models_dir, candidate)
    live = live_model(models_dir)
    if live == candidate:
        raise ModelError(f"{candidate} is already the live model")
    if live is not None:
        _point(models_dir, PREVIOUS, live)
    _point(models_dir, CURRENT, candidate)
    return Switch(candidate, live, load_on_servers(path, urls, token) if urls else ())


def rollback(models_dir: Path, urls: tuple[str, ...] = (), token: str = "") -> Switch:
    """Make the previous model live again; the one that was live becomes the previous one."""
    previous = previous_model(models_dir)
    if previous is None:
        raise ModelError("there is no previous model to go back to")
    live = live_model(models_dir)
    if live is not None:
        _point(models_dir, PREVIOUS, live)
    _point(models_dir, CURRENT, previous)
    return Switch(previous, live, load_on_servers(models_dir / previous, urls, token) if urls else ())
