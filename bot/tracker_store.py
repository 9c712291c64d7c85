"""Rasa's SQL tracker store, minus identity document numbers in what users wrote.

Named in endpoints.yml as `type: bot.tracker_store.RedactingSQLTrackerStore`; it runs in the
Rasa server. Conversations survive restarts as with Rasa's own SQL store.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import sqlalchemy
import sqlalchemy.orm
import sqlalchemy.pool
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

from bot.privacy import redact_document_numbers


def _redacted(event: Event) -> Event:
    if not isinstance(event, UserUttered) or not event.text:
        return event
    clean = redact_document_numbers(event.text)
    if clean == event.text:
        return event
    stored = copy.deepcopy(event)
    stored.text = clean
    stored.parse_data["text"] = clean  # the parse result keeps its own copy of the text
    return stored


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the writer work at once; NORMAL syncs at checkpoints rather than at
    # every commit, which is safe in WAL mode (a power cut loses at most the last messages).
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class RedactingSQLTrackerStore(SQLTrackerStore):
    """Store conversations in SQL with document numbers removed from user messages."""

    engine: Any  # set by SQLTrackerStore (rasa is seen as Any by mypy)
    sessionmaker: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        sqlite = self.engine.dialect.name == "sqlite"
        if sqlite:
            # SQLAlchemy 1.4 (Rasa 3.6's) opens a SQLite file anew for every session (NullPool):
            # two or three opens per message, each repeating the pragmas. A pool keeps them open;
            # connections may be handed from one thread to another (check_same_thread off),
            # which the pool makes safe by lending each to one user at a time.
            options: dict[str, Any] = {"poolclass": sqlalchemy.pool.QueuePool, "connect_args": {"check_same_thread": False}}
        else:
            # A database server that restarted (the production profile's PostgreSQL) closed the
            # pooled connections: test each one before use, so that the next message after a
            # restart finds a live connection instead of failing. Rasa's engine has no pre-ping.
            options = {"pool_pre_ping": True, **create_engine_kwargs(url)}
        self.engine.dispose()
        self.engine = sqlalchemy.create_engine(url, **options)
        if sqlite:
            event.listen(self.engine, "connect", _fast_sqlite)
        self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Return the events not stored yet, with user texts redacted."""
        return (_redacted(event) for event in super()._additional_events(session, tracker))
