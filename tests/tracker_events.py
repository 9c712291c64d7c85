"""What the Rasa server wrote into its SQL tracker store: the tests' Rasa server keeps it in a
SQLite file of its working folder (bot/devtools/local_servers.py), read here as any reader of
Rasa's `events` table would read it."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

TRACKER_FILE = "tracker.sqlite"


def stored_events(database: Path, sender: str) -> list[dict[str, Any]]:
    """Return the events stored for one conversation, oldest first, as Rasa wrote them."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def user_intents(database: Path, sender: str) -> list[str]:
    """Return the intents of the user's messages stored for one conversation, oldest first."""
    return [
        str((event.get("parse_data") or {}).get("intent", {}).get("name"))
        for event in stored_events(database, sender)
        if event.get("event") == "user"
    ]


def wait_for_intent(database: Path, sender: str, intent: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Wait until a user message with ``intent`` is stored for ``sender``; return the conversation's events.

    Rasa writes a conversation once its turn is over, after the bot's messages went out.
    """
    deadline = time.monotonic() + timeout
    while True:
        if database.exists() and intent in user_intents(database, sender):
            return stored_events(database, sender)
        if time.monotonic() > deadline:
            found = user_intents(database, sender) if database.exists() else []
            raise AssertionError(f"no {intent} stored for {sender}; its user intents: {found}")
        time.sleep(0.2)
