"""Engine and sessions of the procedures database (SQLite by default, any URL by DATABASE_URL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from actions.content_files import content_digest, read_content
from actions.db.loader import load_content
from actions.db.models import Base
from actions.settings import Settings, load_settings

logger = logging.getLogger(__name__)


def create_database_engine(database_url: str) -> Engine:
    """Create an engine; for a SQLite file, create its folder and enforce foreign keys."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _enable_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, pool_pre_ping=True)


def prepare_database(engine: Engine, content_dir: Path) -> bool:
    """Create the tables and load the content files; return whether anything changed."""
    Base.metadata.create_all(engine)
    digest = content_digest(content_dir)
    with Session(engine) as session, session.begin():
        return load_content(session, read_content(content_dir), digest)


@lru_cache(maxsize=1)
def _session_factory(settings: Settings) -> sessionmaker[Session]:
    engine = create_database_engine(settings.database_url)
    prepare_database(engine, settings.content_dir)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """Open one short session for one action run; the database is prepared on first use."""
    factory = _session_factory(settings or load_settings())
    with factory() as session, session.begin():
        yield session
