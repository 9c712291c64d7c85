"""Engine and sessions of the procedures database (SQLite by default, any URL by DATABASE_URL)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateTable

from actions.content_files import content_digest, read_content
from actions.db.loader import load_content
from actions.db.models import Base, ContentVersion
from actions.settings import Settings, load_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


def create_database_engine(database_url: str) -> Engine:
    """Create an engine; for a SQLite file, create its folder and enforce foreign keys."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _enable_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, pool_pre_ping=True)


def schema_fingerprint(engine: Engine) -> str:
    """Return a short digest of the tables' definitions, so a changed schema is noticed."""
    ddl = "\n".join(str(CreateTable(table).compile(dialect=engine.dialect)) for table in Base.metadata.sorted_tables)
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]


def prepare_database(engine: Engine, content_dir: Path) -> bool:
    """Create the tables and load the content files; return whether anything changed.

    The whole database is built from the content files, so when the code's schema differs from
    the one the database was built with (the stored digest starts with the schema's
    fingerprint), the tables are dropped and built again rather than migrated.
    """
    schema = schema_fingerprint(engine)
    digest = f"{schema}:{content_digest(content_dir)}"[:64]
    if inspect(engine).has_table(ContentVersion.__tablename__):
        with Session(engine) as session:
            stored = session.scalar(select(ContentVersion.digest))
        if stored is not None and not stored.startswith(f"{schema}:"):
            logger.info("The database schema changed: rebuilding the procedures database")
            Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
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


class Unavailable:
    """What ``read_database`` returns when the database could not be read (the error is logged)."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = Unavailable()


def read_database(read: Callable[[Session], T], settings: Settings | None = None) -> T | Unavailable:
    """Run ``read`` in one session; if the database fails, log why and return ``UNAVAILABLE``.

    Actions answer from what ``read`` returns, or tell the user politely that the answer cannot
    be had right now: a database error never reaches the user as a crash.
    """
    try:
        with session_scope(settings) as session:
            return read(session)
    except SQLAlchemyError:
        logger.exception("Procedures database unavailable")
        return UNAVAILABLE
