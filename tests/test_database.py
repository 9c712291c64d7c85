"""The procedures database's lifecycle: `jra db load` writes it, actions only read it.

One engine per process, reads that never write (not even a missing file), and every way a
database can be unusable turned into the polite "temporarily unavailable" answer plus a log
line that tells the operator what to do.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session

from actions.db import reads
from actions.db.engine import UNAVAILABLE, close_database, create_database_engine, open_database, read_database
from actions.db.loader import load_database_url
from actions.db.models import ContentVersion, ProcedureText
from actions.db.queries import get_procedure
from actions.fallback import CONTACT_OFFICES
from actions.procedures import ActionAnswerProcedure
from actions.settings import CONTENT_DIR, Settings
from actions.topics import procedure_buttons
from bot.devtools import local_servers
from bot.paths import PROJECT_ROOT


def settings_for(path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{path}", content_dir=CONTENT_DIR)


def read_lost_card(session: Session) -> object:
    return get_procedure(session, "lost_residence_card", "en")


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def answer_lost_card() -> list[str]:
    """Run the procedure action as the action server does; return the responses it sent."""
    tracker = Tracker(
        "test",
        {"language": "en"},
        {"intent": {"name": "lost_residence_card", "confidence": 1.0}, "entities": [], "text": "…"},
        [],
        False,
        None,
        {},
        "action_listen",
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerProcedure().run(dispatcher, tracker, {}))
    return [message["response"] for message in dispatcher.messages]


# ---- reading never writes -------------------------------------------------------------------


def test_reading_an_empty_file_leaves_it_without_tables(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "procedures.sqlite"
    path.touch()
    open_database(settings_for(path))
    assert read_database(read_lost_card) is UNAVAILABLE
    assert answer_lost_card() == ["utter_temporarily_unavailable"]
    close_database()
    assert tables(path) == []
    assert path.stat().st_size == 0
    assert "has no tables: run `make db`" in caplog.text


def test_reading_a_missing_file_does_not_create_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "var" / "procedures.sqlite"
    open_database(settings_for(path))
    assert answer_lost_card() == ["utter_temporarily_unavailable"]
    assert not path.parent.exists()
    assert "cannot be opened" in caplog.text and "make db" in caplog.text


@pytest.mark.slow
def test_reading_a_loaded_database_changes_no_byte(tmp_path: Path) -> None:
    path = tmp_path / "procedures.sqlite"
    load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    before = digest(path)
    open_database(settings_for(path))
    for _ in range(3):
        assert answer_lost_card()[0] == "utter_procedure_summary"
    close_database()
    assert digest(path) == before


# ---- one engine per process -----------------------------------------------------------------


def engines() -> int:
    gc.collect()
    return sum(isinstance(thing, Engine) for thing in gc.get_objects())


def test_one_engine_serves_every_read_and_the_settings_are_read_once(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    before = engines()
    binds = set()
    for _ in range(5):
        assert answer_lost_card()[0] == "utter_procedure_summary"
        read_database(lambda session: binds.add(session.get_bind()))
    # The environment is not read again: a changed DATABASE_URL does not reach a running process.
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent/procedures.sqlite")
    assert answer_lost_card()[0] == "utter_procedure_summary"
    read_database(lambda session: binds.add(session.get_bind()))
    assert engines() == before + 1
    assert binds == {open_database().engine}


def test_closing_disposes_of_the_engine_and_the_next_read_opens_it_again(settings: Settings) -> None:
    first = open_database(settings)
    assert read_database(read_lost_card) is not UNAVAILABLE
    assert first.engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    close_database()
    assert first.engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    second = open_database(settings)
    assert second is not first and second.engine is not first.engine
    assert read_database(read_lost_card) is not UNAVAILABLE


def test_opening_another_database_while_one_is_open_is_refused(settings: Settings, tmp_path: Path) -> None:
    open_database(settings)
    assert open_database(settings) is open_database()
    with pytest.raises(RuntimeError, match="close it first"):
        open_database(settings_for(tmp_path / "other.sqlite"))


# ---- a broken database gives Unavailable ----------------------------------------------------


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a SQLite database" * 200)


def tables_only(path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{path}")
    ContentVersion.metadata.create_all(engine)
    engine.dispose()


def built_by_other_code(path: Path) -> None:
    load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE content_version SET digest = 'oldschema:' || digest")


def unrenderable_sentence(path: Path) -> None:
    load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    engine = create_database_engine(f"sqlite:///{path}")
    with Session(engine) as session, session.begin():
        session.execute(update(ProcedureText).values(summary="Apply within {no_such_value} days."))
    engine.dispose()


@pytest.mark.parametrize(
    ("break_it", "logged"),
    [
        (garbage, "cannot be opened"),
        (tables_only, "is empty: run `make db`"),
        (built_by_other_code, "was built by other code"),
        (unrenderable_sentence, "holds content that cannot be rendered"),
    ],
)
@pytest.mark.slow
def test_a_broken_database_gives_unavailable_and_says_why(
    break_it: Callable[[Path], None], logged: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "procedures.sqlite"
    break_it(path)
    open_database(settings_for(path))
    assert read_database(read_lost_card) is UNAVAILABLE
    assert answer_lost_card() == ["utter_temporarily_unavailable"]
    assert f"Procedures database unavailable: sqlite:///{path} " in caplog.text
    assert logged in caplog.text


def test_a_database_url_that_cannot_be_used_gives_unavailable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", "nosuchdialect://host/procedures")
    assert read_database(read_lost_card) is UNAVAILABLE
    assert answer_lost_card() == ["utter_temporarily_unavailable"]
    assert "Procedures database unavailable: DATABASE_URL cannot be used" in caplog.text


# ---- reads kept per content version --------------------------------------------------------


def test_a_kept_read_is_served_again_until_the_content_changes(tmp_path: Path) -> None:
    path = tmp_path / "procedures.sqlite"
    assert load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    open_database(settings_for(path))
    calls: list[str] = []

    def read(session: Session) -> object:
        calls.append("read")
        return get_procedure(session, "lost_residence_card", "en")

    first = read_database(read, cache_key=("lost card", "en"))
    assert read_database(read, cache_key=("lost card", "en")) is first
    assert calls == ["read"]
    assert read_database(read) is not first and calls == ["read", "read"]  # without a key: read every time
    # `jra db load` writes other content (a new digest): the next read sees it.
    engine = create_database_engine(f"sqlite:///{path}")
    with Session(engine) as session, session.begin():
        session.execute(update(ProcedureText).where(ProcedureText.language == "en").values(title="Changed title"))
        session.execute(update(ContentVersion).values(digest=ContentVersion.digest + "-changed"))
    engine.dispose()
    changed = read_database(read, cache_key=("lost card", "en"))
    assert calls == ["read", "read", "read"]
    assert changed is not UNAVAILABLE and changed.title == "Changed title"  # type: ignore[union-attr]


def test_a_kept_read_is_not_served_when_the_database_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "procedures.sqlite"
    assert load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    open_database(settings_for(path))
    assert read_database(read_lost_card, cache_key="lost card") is not UNAVAILABLE
    with sqlite3.connect(path) as connection:  # the content is taken away under the running process
        connection.execute("DELETE FROM content_version")
    assert read_database(read_lost_card, cache_key="lost card") is UNAVAILABLE
    assert answer_lost_card() == ["utter_temporarily_unavailable"]


def test_questions_built_from_several_reads_read_only_the_content_version_once_kept(tmp_path: Path) -> None:
    """ "Which do you mean?" buttons, the contacts and a status answer are kept per content version too.

    Each read checks the content version (one short query) and nothing else once kept: before,
    a "which do you mean?" question read two or three whole procedures anew, a dozen queries each.
    """
    path = tmp_path / "procedures.sqlite"
    assert load_database_url(f"sqlite:///{path}", CONTENT_DIR)
    database = open_database(settings_for(path))
    statements: list[str] = []
    event.listen(database.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))

    def ask() -> list[object]:
        return [
            procedure_buttons(["lost_residence_card", "reentry_permit", "extend_period_of_stay"], "ru"),
            reads.contact_offices(CONTACT_OFFICES, "uk"),
            reads.status_named_in("I work as an Engineer/Specialist in Humanities/International Services", "zh"),
            reads.status_named_in("no status named here", "en"),
        ]

    first = ask()
    buttons, offices, status, nothing = first
    assert [button["payload"] for button in buttons] == ["/lost_residence_card", "/reentry_permit", "/extend_period_of_stay"]  # type: ignore[union-attr]
    assert len(offices) == len(CONTACT_OFFICES)  # type: ignore[arg-type]
    assert status is not None and status.key == "engineer_humanities_international" and nothing is None  # type: ignore[union-attr]
    statements.clear()
    assert ask() == first
    assert statements and all("content_version" in statement for statement in statements), statements


# ---- jra db load ----------------------------------------------------------------------------


def jra_db_load(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "load"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_jra_db_load_creates_and_loads_then_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "new" / "procedures.sqlite"
    first = jra_db_load(f"sqlite:///{path}")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "Procedures database loaded."
    loaded = digest(path)
    again = jra_db_load(f"sqlite:///{path}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "Procedures database is up to date."
    assert digest(path) == loaded
    open_database(settings_for(path))
    assert answer_lost_card()[0] == "utter_procedure_summary"


@pytest.mark.slow
def test_jra_db_load_says_in_one_line_when_it_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "procedures.sqlite"
    garbage(path)
    result = jra_db_load(f"sqlite:///{path}")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["The procedures database cannot be written: file is not a database"]


# ---- the action server process --------------------------------------------------------------


@pytest.mark.slow
def test_the_action_server_answers_politely_from_an_empty_database(tmp_path: Path) -> None:
    empty = tmp_path / "procedures.sqlite"
    empty.touch()
    request = {
        "next_action": "action_answer_procedure",
        "sender_id": "test",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "test",
            "slots": {"language": "ja"},
            "latest_message": {"intent": {"name": "lost_residence_card", "confidence": 1.0}, "entities": [], "text": "…"},
            "events": [],
            "latest_action_name": "action_listen",
        },
    }
    with local_servers.action_server(f"sqlite:///{empty}", tmp_path) as server:
        reply = httpx.post(server.url, json=request, timeout=30)
        second = httpx.post(server.url, json=request, timeout=30)
    assert reply.status_code == 200 and second.status_code == 200
    assert [r["response"] for r in reply.json()["responses"]] == ["utter_temporarily_unavailable"]
    log = (tmp_path / "actions.log").read_text()
    assert f"Procedures database unavailable: sqlite:///{empty} has no tables: run `make db` (jra db load)" in log
    assert tables(empty) == [] and empty.stat().st_size == 0
