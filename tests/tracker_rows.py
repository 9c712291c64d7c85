"""Tracker store rows as Rasa's SQLTrackerStore writes them, for the trainers' inbox and retention tests.

`Store` is a SQLite file with Rasa 3.6's `events` table (id, sender_id, type_name, timestamp,
intent_name, action_name, data: the event's JSON); `Conversation` writes one conversation's
events in order, as the Rasa server would for the project's rules and forms.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, create_engine, insert

T0 = 1_790_000_000.0  # 2026-09-21, a fixed clock for the rows

metadata = MetaData()
events = Table(  # Rasa 3.6's SQLTrackerStore.SQLEvent
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
    Index("ix_events_sender_id", "sender_id"),
)
MODEL = {"model_id": "591da76aaa4b41779748198b8b718df0", "assistant_id": "japan-residence-assistant"}


class Conversation:
    """Writes one conversation's events as Rasa does (ids in order, one timestamp each)."""

    def __init__(self, store: Store, sender: str | None = None, start: float = T0, metadata: dict | None = None) -> None:
        self.store = store
        self.sender = sender or uuid.uuid4().hex
        self.clock = start
        self.metadata = metadata or {}
        self.new_session()

    def new_session(self, at: float | None = None) -> None:
        """Start a session as Rasa does after session_expiration_time (at ``at`` if given)."""
        if at is not None:
            self.clock = at - 1.0
        self.action("action_session_start")
        self.event("session_started", {})
        self.action("action_listen")

    def event(self, kind: str, data: dict[str, Any], intent: str | None = None, action: str | None = None) -> None:
        self.clock += 1.0
        row = {"event": kind, "timestamp": self.clock, "metadata": dict(MODEL), **data}
        self.store.rows.append(
            {
                "sender_id": self.sender,
                "type_name": kind,
                "timestamp": self.clock,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps(row),
            }
        )

    def action(self, name: str) -> None:
        self.event("action", {"name": name, "policy": "RulePolicy", "confidence": 1.0}, action=name)

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        ranking: list[tuple[str, float]] | None = None,
        language: str | None = "en",
    ) -> None:
        ranking = ranking or [(intent, confidence)]
        entities = [{"entity": "language", "value": language, "extractor": "LanguageDetector"}] if language else []
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities,
            "text": text,
            "message_id": uuid.uuid4().hex,
            "metadata": self.metadata,
            "intent_ranking": [{"name": name, "confidence": value} for name, value in ranking],
        }
        self.event(
            "user", {"text": text, "parse_data": parse, "input_channel": "telegram", "metadata": self.metadata}, intent=intent
        )
        if language:
            self.event("slot", {"name": "language", "value": language}, action="language")
        self.event("user_featurization", {"use_text_for_featurization": False})

    def bot(self, text: str, response: str | None = None, buttons: list[dict[str, str]] | None = None) -> None:
        meta = {"utter_action": response} if response else {}
        self.event(
            "bot",
            {
                "text": text,
                "metadata": {**meta, **MODEL},
                "data": {
                    "elements": None,
                    "quick_replies": None,
                    "buttons": buttons,
                    "attachment": None,
                    "image": None,
                    "custom": None,
                },
            },
        )

    def loop(self, name: str | None) -> None:
        self.event("active_loop", {"name": name}, action=name)

    def rejected(self, name: str) -> None:
        self.event("action_execution_rejected", {"name": name}, action=name)

    def listen(self) -> None:
        self.action("action_listen")

    # Whole turns, as the project's rules answer them.
    def answered(self, text: str, intent: str, reply: str = "Here is what to do.", **parse: Any) -> None:
        self.user(text, intent, **parse)
        self.action("action_answer_procedure")
        self.bot(reply, "utter_procedure_summary")
        self.bot("This is general guidance; the Immigration Services Agency decides each case.", "utter_general_guidance")
        self.listen()

    def fell_back(self, text: str, ranking: list[tuple[str, float]], language: str = "en") -> None:
        self.user(text, "nlu_fallback", 0.4, [("nlu_fallback", 0.4), *ranking], language=language)
        self.action("action_did_you_mean")
        self.bot(
            "Sorry, I am not sure I understood. Did you mean one of these?",
            "utter_did_you_mean",
            [{"title": "Lost residence card", "payload": "/lost_residence_card"}],
        )
        self.listen()


class Store:
    """A SQLite tracker store file with Rasa's events table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.rows: list[dict[str, Any]] = []

    def conversation(self, **options: Any) -> Conversation:
        return Conversation(self, **options)

    def write(self) -> str:
        engine = create_engine(self.url)
        metadata.create_all(engine)
        with engine.begin() as connection:
            if self.rows:
                connection.execute(insert(events), self.rows)
        engine.dispose()
        self.rows = []
        return self.url
