"""The retention rule: `jra conversations prune --older-than 90d` removes old conversations, keeps newer ones intact."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.production import Ports, Profile, Secrets, Servers, programs
from bot.trainer.retention import DEFAULT_RETENTION_DAYS, parse_age, prune_conversations
from tests.tracker_rows import Conversation, Store

NOW = 1_790_000_000.0
DAY = 86_400.0


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT * FROM events ORDER BY id").fetchall()


def rows_of(path: Path, sender: str) -> list[tuple]:
    return [row for row in rows(path) if row[1] == sender]


def talk(conversation: Conversation, text: str) -> None:
    conversation.answered(text, "lost_residence_card")


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "tracker.sqlite")


def test_old_conversations_are_removed_and_newer_ones_are_intact(store: Store) -> None:
    old = store.conversation(start=NOW - 120 * DAY)
    talk(old, "i lost my card long ago")
    recent = store.conversation(start=NOW - 3 * DAY)
    talk(recent, "i lost my card this week")
    across = store.conversation(start=NOW - 91 * DAY)  # one session going on over the limit
    talk(across, "card gone")
    across.clock = NOW - 89 * DAY
    talk(across, "still no card")
    store.write()
    before = rows(store.path)

    result = prune_conversations(store.url, timedelta(days=90), now=NOW)

    assert (result.conversations, result.trimmed) == (1, 0)
    assert result.conversation_events == len(rows_of_list(before, old.sender)) > 0
    assert rows_of(store.path, old.sender) == []
    assert rows_of(store.path, recent.sender) == rows_of_list(before, recent.sender)
    assert rows_of(store.path, across.sender) == rows_of_list(before, across.sender)


def rows_of_list(table: list[tuple], sender: str) -> list[tuple]:
    return [row for row in table if row[1] == sender]


def test_an_ongoing_conversation_loses_only_its_sessions_that_ended_before_the_limit(store: Store) -> None:
    chat = store.conversation(start=NOW - 200 * DAY)
    talk(chat, "my card, 200 days ago")
    chat.new_session(at=NOW - 150 * DAY)
    talk(chat, "my card, 150 days ago")
    chat.new_session(at=NOW - 5 * DAY)
    talk(chat, "my card, this week")
    store.write()
    before = rows_of(store.path, chat.sender)
    texts_before = [row for row in before if row[2] == "user"]

    result = prune_conversations(store.url, timedelta(days=90), now=NOW)

    after = rows_of(store.path, chat.sender)
    assert (result.conversations, result.trimmed) == (0, 1)
    assert result.trimmed_events == len(before) - len(after)
    assert [row for row in after if row[2] == "user"] == texts_before[-1:]
    assert after == before[-len(after) :]  # the recent session, untouched
    assert after[0][2:6] == ("action", NOW - 5 * DAY, None, "action_session_start")


def test_pruning_again_removes_nothing_more(store: Store) -> None:
    talk(store.conversation(start=NOW - 100 * DAY), "old")
    talk(store.conversation(start=NOW - DAY), "new")
    store.write()
    assert prune_conversations(store.url, timedelta(days=90), now=NOW).events > 0
    kept = rows(store.path)
    assert prune_conversations(store.url, timedelta(days=90), now=NOW).events == 0
    assert rows(store.path) == kept


def test_a_missing_store_has_nothing_to_prune_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "tracker.sqlite"
    assert prune_conversations(f"sqlite:///{missing}", timedelta(days=90)).events == 0
    assert not missing.exists()


@pytest.mark.parametrize(
    ("text", "age"), [("90d", timedelta(days=90)), ("36h", timedelta(hours=36)), (" 7D ", timedelta(days=7))]
)
def test_ages_are_days_or_hours(text: str, age: timedelta) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["90", "0d", "-1d", "3w", "ninety days", ""])
def test_other_ages_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an age"):
        parse_age(text)


# ---------------------------------------------------------------------------------------------
# The command


def test_the_command_prints_what_it_removed(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    now = time.time()  # the command prunes by the real clock
    talk(store.conversation(start=now - 365 * DAY), "a year ago")
    talk(store.conversation(start=now - 365 * DAY), "also a year ago")
    talk(store.conversation(start=now - 60), "today")
    store.write()
    kept_sender = rows(store.path)[-1][1]

    code = main(["conversations", "prune", "--older-than", "90d", "--tracker-url", store.url])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert "2 conversation(s) removed" in out.out and "older than 90 days" in out.out
    assert rows_of(store.path, kept_sender)


def test_the_retention_default_comes_from_the_environment(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write()
    monkeypatch.setenv("CONVERSATION_RETENTION_DAYS", "30")
    assert main(["conversations", "prune", "--tracker-url", store.url]) == 0
    assert "older than 30 days" in capsys.readouterr().out
    monkeypatch.delenv("CONVERSATION_RETENTION_DAYS")
    assert main(["conversations", "prune", "--tracker-url", store.url]) == 0
    assert f"older than {DEFAULT_RETENTION_DAYS} days" in capsys.readouterr().out


@pytest.mark.parametrize("age", ["90", "3 weeks", "0h"])
def test_a_wrong_age_is_one_line_and_exit_2(store: Store, capsys: pytest.CaptureFixture[str], age: str) -> None:
    assert main(["conversations", "prune", "--older-than", age, "--tracker-url", store.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an age" in err and "Traceback" not in err


def test_an_unreadable_store_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"not a database" * 200)
    assert main(["conversations", "prune", "--tracker-url", f"sqlite:///{broken}"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot be pruned" in err and "Traceback" not in err


def test_the_production_profile_prunes_daily_with_the_retention_setting(tmp_path: Path) -> None:
    servers = Servers(Path("/usr/lib/postgresql/15/bin"), Path("/usr/bin/redis-server"), Path("/usr/sbin/nginx"))
    profile = Profile(state_dir=tmp_path, ports=Ports(postgres=5999))
    passwords = Secrets("super", "app-secret", "redis")
    try:
        supervised = programs(profile, passwords, servers, environ={"CONVERSATION_RETENTION_DAYS": "60"})
    except Exception as error:  # the servers' system users are missing on this machine
        pytest.skip(str(error))
    [prune] = [program for program in supervised if program.name == "prune"]
    assert prune.arguments[2:] == ("bot.cli", "conversations", "prune", "--every", "24h")
    environment = dict(prune.environment)
    assert environment["CONVERSATION_RETENTION_DAYS"] == "60"
    assert environment["TRACKER_DATABASE_URL"] == "postgresql+psycopg://assistant:app-secret@127.0.0.1:5999/tracker"
    assert not prune.autostart  # started once PostgreSQL is up
    default = dict(next(p for p in programs(profile, passwords, servers, environ={}) if p.name == "prune").environment)
    assert default["CONVERSATION_RETENTION_DAYS"] == "90"
