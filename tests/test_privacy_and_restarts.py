"""Document numbers are not stored; conversations survive a restart of the Rasa server."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from bot.devtools import local_servers
from bot.privacy import REMOVED, redact_document_numbers
from tests.conftest import chat, response_text, texts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card number is AB12345678CD", f"my card number is {REMOVED}"),
        ("passport TK1234567 lost", f"passport {REMOVED} lost"),
        ("マイナンバー 1234 5678 9012 です", f"マイナンバー {REMOVED} です"),
        ("I lost my card on 2026-11-03 in Osaka", "I lost my card on 2026-11-03 in Osaka"),
        ("8 months", "8 months"),
    ],
)
def test_document_numbers_are_redacted(text: str, expected: str) -> None:
    assert redact_document_numbers(text) == expected


def stored_texts(tracker_db: Path) -> str:
    with sqlite3.connect(tracker_db) as connection:
        return "\n".join(row[0] for row in connection.execute("SELECT data FROM events"))


def test_a_residence_card_number_is_neither_echoed_nor_stored(rasa_server: str, rasa_workdir: Path) -> None:
    reply = texts(chat(rasa_server, "I lost my residence card, the number was AB12345678CD"))
    assert "AB12345678CD" not in reply
    stored = stored_texts(rasa_workdir / "tracker.sqlite")
    assert "I lost my residence card" in stored, "the message itself is kept"
    assert "AB12345678CD" not in stored


def test_a_flow_continues_after_the_rasa_server_restarts(trained_model: Path, action_server: str, tmp_path: Path) -> None:
    sender = uuid.uuid4().hex
    with local_servers.rasa_server(trained_model, action_server, tmp_path) as rasa:
        first = texts(chat(rasa.url, "I lost my residence card", sender=sender))
        assert response_text("utter_ask_lost_noticed_date", "en") in first
    with local_servers.rasa_server(trained_model, action_server, tmp_path) as rasa:
        answer = texts(chat(rasa.url, "yesterday", sender=sender))
    assert response_text("utter_lost_card_proof_lost", "en") in answer
