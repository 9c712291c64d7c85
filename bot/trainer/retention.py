"""The retention rule: old conversations are deleted from the tracker store (`jra conversations prune`).

What "a conversation older than the limit" means, in Rasa's SQL tracker store (table `events`,
one row per event, a conversation being every event of one `sender_id`):

1. A conversation whose newest event is older than the limit is deleted whole: every event of
   that sender.
2. A conversation that is still going on keeps its recent part only: its sessions (Rasa starts
   a new one after 120 minutes of silence, domain.yml's `session_config`, with the
   `action_session_start` event) that ended before the limit are deleted; the session that was
   going on at the limit and everything after it stay. A Telegram chat keeps one sender id for
   years, so without this rule a user who writes once a month would be kept for ever. Rasa reads
   a conversation from its latest session start on (slots carried over are set again in the new
   session), so the assistant behaves the same after a prune.

Runs on SQLite and PostgreSQL (SQLAlchemy Core), one conversation batch per transaction, so the
Rasa server keeps writing in between; what is deleted is counted from what the deletes report.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, create_engine, delete, func, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.trainer.inbox import SESSION_START, database_error, events_table

DEFAULT_RETENTION_DAYS = 90
BATCH = 500
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dh])\s*$", re.IGNORECASE)


class RetentionError(RuntimeError):
    """The prune cannot run; the message says why (without the password)."""


@dataclass(frozen=True)
class PruneResult:
    """What a prune deleted."""

    conversations: int  # deleted whole
    conversation_events: int
    trimmed: int  # conversations still going on whose old sessions were deleted
    trimmed_events: int

    @property
    def events(self) -> int:
        """Return every deleted event."""
        return self.conversation_events + self.trimmed_events


def parse_age(text: str) -> timedelta:
    """Read an age such as "90d" or "36h" (days or hours); raise ValueError otherwise."""
    match = _AGE.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an age: write a number of days or hours, e.g. 90d or 36h")
    amount = float(match.group(1))
    return timedelta(days=amount) if match.group(2).lower() == "d" else timedelta(hours=amount)


def _engine(tracker_url: str) -> Engine | None:
    try:
        url = make_url(tracker_url)
    except Exception:
        raise RetentionError("the tracker store's URL cannot be parsed") from None
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:") and not Path(database).exists():
            return None  # no conversation was ever stored
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_pre_ping=True)


def prune_conversations(tracker_url: str, older_than: timedelta, *, now: float | None = None) -> PruneResult:
    """Delete the conversations (and the sessions of ongoing ones) that ended more than ``older_than`` ago."""
    if older_than <= timedelta(0):
        raise ValueError("the age must be positive")
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    engine = _engine(tracker_url)
    if engine is None:
        return PruneResult(0, 0, 0, 0)
    events = events_table.c
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return PruneResult(0, 0, 0, 0)
        # 1. Conversations that ended before the cutoff.
        with engine.connect() as connection:
            old = list(
                connection.scalars(
                    select(events.sender_id).group_by(events.sender_id).having(func.max(events.timestamp) < cutoff)
                )
            )
        conversations = conversation_events = 0
        for start in range(0, len(old), BATCH):
            senders = old[start : start + BATCH]
            with engine.begin() as connection:
                # Checked again in the delete: a conversation that got a message meanwhile stays.
                still_old = (
                    select(events.sender_id)
                    .where(events.sender_id.in_(senders))
                    .group_by(events.sender_id)
                    .having(func.max(events.timestamp) < cutoff)
                )
                gone = list(connection.scalars(still_old))
                if gone:
                    # One statement that checks again what it deletes.
                    result = connection.execute(delete(events_table).where(events.sender_id.in_(still_old)))
                    conversations += len(gone)
                    conversation_events += result.rowcount or 0
        # 2. Ongoing conversations: keep from the session that was going on at the cutoff.
        first_recent = (
            select(events.sender_id, func.min(events.id).label("first_recent"))
            .where(events.timestamp >= cutoff)
            .group_by(events.sender_id)
            .subquery()
        )
        boundaries_query = (
            select(events.sender_id, func.max(events.id))
            .join(first_recent, first_recent.c.sender_id == events.sender_id)
            .where(
                events.type_name == "action",
                events.action_name == SESSION_START,
                events.id <= first_recent.c.first_recent,
            )
            .group_by(events.sender_id)
        )
        with engine.connect() as connection:
            boundaries = [(sender, boundary) for sender, boundary in connection.execute(boundaries_query) if boundary is not None]
        trimmed = trimmed_events = 0
        for start in range(0, len(boundaries), BATCH):
            with engine.begin() as connection:
                for sender, boundary in boundaries[start : start + BATCH]:
                    result = connection.execute(
                        delete(events_table).where(and_(events.sender_id == sender, events.id < boundary))
                    )
                    if result.rowcount:
                        trimmed += 1
                        trimmed_events += result.rowcount
    except SQLAlchemyError as error:
        reason = database_error(error)
        raise RetentionError(f"the tracker store cannot be pruned: {reason}") from None
    finally:
        engine.dispose()
    return PruneResult(conversations, conversation_events, trimmed, trimmed_events)
