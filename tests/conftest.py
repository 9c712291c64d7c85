"""Shared fixtures: a real SQLite procedures database, the trained model, and the two
Rasa processes (action server and Rasa server) started as subprocesses on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from actions.db.engine import create_database_engine, prepare_database
from actions.settings import CONTENT_DIR, Settings
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT, rasa_executable

SERVER_START_TIMEOUT = 600.0


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen) -> None:
    """Stop a server process and wait for it."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until(ready, process: subprocess.Popen, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    """Poll ``ready()`` until it is true; fail with the process log if the process dies."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop(process)
    pytest.fail(f"{what} did not start within {SERVER_START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a SQLite file loaded with the real content."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'procedures.sqlite'}"
    engine = create_database_engine(url)
    prepare_database(engine, CONTENT_DIR)
    engine.dispose()
    return url


@pytest.fixture()
def session(database_url: str) -> Iterator[Session]:
    """Open a session on the loaded database."""
    engine = create_database_engine(database_url)
    with Session(engine) as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Return settings that point at the test database."""
    return Settings(database_url=database_url, content_dir=CONTENT_DIR)


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Return the model, training it only if its inputs changed since the last training."""
    return ensure_model()


@pytest.fixture(scope="session")
def action_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the action server on a free port; return its webhook URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "actions.log"
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "DATABASE_URL": database_url}
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, process, "action server", log)
    yield f"{base}/webhook"
    stop(process)


@pytest.fixture(scope="session")
def rasa_server(
    trained_model: Path, action_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run the Rasa server with the REST channel on a free port; return its base URL."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("rasa")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "{action_server}"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.sqlite"}"\n'
    )
    log = workdir / "rasa.log"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(rasa_executable()), "run", "--model", str(trained_model),
                "--interface", "127.0.0.1", "--port", str(port),
                "--credentials", str(PROJECT_ROOT / "credentials.yml"), "--endpoints", str(endpoints),
            ],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        reply = httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": "probe", "message": "hello"}, timeout=30)
        return reply.status_code == 200 and bool(reply.json())

    wait_until(answers, process, "Rasa server", log)
    yield base
    stop(process)


def chat(rasa_url: str, text: str, sender: str | None = None, metadata: dict | None = None) -> list[dict]:
    """Send one message to the REST channel and return the bot's replies."""
    payload = {"sender": sender or uuid.uuid4().hex, "message": text}
    if metadata:
        payload["metadata"] = metadata
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json=payload, timeout=60)
    response.raise_for_status()
    return response.json()
