"""What the trainers decided about the inbox's messages: labelled, out of scope, or dismissed.

One table, `trainer_decisions`, in its own database (`TRAINER_DATABASE_URL`, else
`var/trainer.sqlite`; SQLite or PostgreSQL), created on first use. The tracker store is never
written: a decided message stays in the conversations (until they are pruned) and is only left
out of the inbox, by its key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

KINDS = ("labelled", "out_of_scope", "dismissed")


class _Base(DeclarativeBase):
    pass


class _DecisionRow(_Base):
    __tablename__ = "trainer_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Decision:
    """One decision, as the console's history shows it."""

    key: str
    kind: str  # "labelled" | "out_of_scope" | "dismissed"
    language: str
    text: str
    intent: str | None
    decided_at: datetime  # UTC


def _utc(moment: datetime) -> datetime:
    # SQLite gives the stored time back without its zone; it was stored in UTC.
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class Decisions:
    """The trainers' decisions, in SQLite or PostgreSQL through SQLAlchemy 2; the table is created on first use."""

    def __init__(self, url: str) -> None:
        """Remember the database; nothing is opened until the first read or write."""
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _connect(self) -> Engine:
        with self._lock:
            if self._engine is None:
                parsed = make_url(self.url)
                if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(self.url, pool_pre_ping=parsed.get_backend_name() != "sqlite")
                _Base.metadata.create_all(engine)
                self._engine = engine
            return self._engine

    def record(self, key: str, kind: str, *, language: str, text: str, intent: str | None = None) -> None:
        """Record a decision about the message ``key``: "labelled" (with its intent), "out_of_scope" or "dismissed"."""
        if kind not in KINDS:
            raise ValueError(f"unknown decision {kind!r}: one of {', '.join(KINDS)}")
        if kind == "labelled" and not intent:
            raise ValueError("a labelled message needs its intent")
        with Session(self._connect()) as session, session.begin():
            session.add(
                _DecisionRow(
                    key=key, kind=kind, language=language, text=text, intent=intent, decided_at=datetime.now(timezone.utc)
                )
            )

    def decided_keys(self) -> set[str]:
        """Return the keys of every message a trainer has decided about."""
        with Session(self._connect()) as session:
            return set(session.scalars(select(_DecisionRow.key).distinct()))

    def history(self, limit: int = 100) -> list[Decision]:
        """Return the latest decisions, newest first."""
        with Session(self._connect()) as session:
            rows = session.scalars(select(_DecisionRow).order_by(_DecisionRow.id.desc()).limit(max(limit, 0)))
            return [Decision(row.key, row.kind, row.language, row.text, row.intent, _utc(row.decided_at)) for row in rows]

    def close(self) -> None:
        """Release the database's connections."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
