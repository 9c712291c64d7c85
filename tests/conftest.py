"""Shared fixtures: a real SQLite procedures database, the trained model, and the two
Rasa processes (action server and Rasa server) started as subprocesses on free ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.orm import Session

from actions.content_files import variation_language
from actions.db.engine import Database, close_database, create_database_engine, open_database
from actions.db.loader import load_database_url
from actions.settings import CONTENT_DIR, Settings
from bot.devtools import local_servers
from bot.devtools.model import ensure_model
from bot.paths import PROJECT_ROOT
from tests.phrases import TODAY  # the action server's "today", so deadlines are known

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

# Fixtures that start a server, a browser or a model: a test that uses one, directly or through
# another fixture, is marked `slow` (`pytest -m "not slow"` runs the rest in seconds).
SLOW_FIXTURES = frozenset({"trained_model", "action_server", "rasa_server", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `slow` every test that needs a slow fixture or the production profile."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.get_closest_marker("production"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a SQLite file loaded with the real content."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'procedures.sqlite'}"
    load_database_url(url, CONTENT_DIR)  # as `make db` does: the action server only reads
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


@pytest.fixture()
def procedures_database(settings: Settings) -> Database:
    """Open this process's procedures database (what actions read) on the loaded test database."""
    return open_database(settings)


@pytest.fixture(autouse=True)
def _close_procedures_database() -> Iterator[None]:
    """Dispose of the engine a test opened, so no test sees another's database or leaks an engine."""
    close_database()
    yield
    close_database()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Return the model, training it only if its inputs changed since the last training."""
    return ensure_model()


@pytest.fixture(scope="session")
def action_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the action server on a free port; return its webhook URL."""
    try:
        with local_servers.action_server(
            database_url, tmp_path_factory.mktemp("actions"), extra_env={"ASSISTANT_TODAY": TODAY}
        ) as server:
            yield server.url
    except local_servers.ServerStartError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def rasa_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder of the Rasa server's endpoints file, log and tracker database."""
    return tmp_path_factory.mktemp("rasa")


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, action_server: str, rasa_workdir: Path) -> Iterator[str]:
    """Run the Rasa server with the REST channel on a free port; return its base URL."""
    try:
        # The HTTP API (on 127.0.0.1 only) lets tests ask the NLU what it reads (/model/parse).
        with local_servers.rasa_server(trained_model, action_server, rasa_workdir, enable_api=True) as server:
            yield server.url
    except local_servers.ServerStartError as error:
        pytest.fail(str(error))


def texts(replies: list[dict]) -> str:
    """Join the text of every reply."""
    return "\n".join(reply.get("text", "") for reply in replies)


def response_text(name: str, language: str) -> str:
    """Return the text of a domain response in one language (English is the default variation)."""
    for variation in DOMAIN["responses"][name]:
        if variation_language(variation) == language:
            return variation["text"]
    raise KeyError(f"{name} has no {language} variation")


def chat(rasa_url: str, text: str, sender: str | None = None, metadata: dict | None = None) -> list[dict]:
    """Send one message to the REST channel and return the bot's replies."""
    payload: dict = {"sender": sender or uuid.uuid4().hex, "message": text}
    if metadata:
        payload["metadata"] = metadata
    response = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json=payload, timeout=60)
    response.raise_for_status()
    return response.json()
