"""The procedures database of this process: one engine, one sessionmaker, one way in for actions.

The action server only reads the database. Its tables and content are written by `jra db load`
(`actions/db/loader.py`, run by `make db`, `make run`, `make test` and the test fixtures), never
by a read: a SQLite file is even opened read-only, so a missing file is not created empty.

The settings are read from the environment once, when the first action reads the database;
the engine and its sessionmaker are created then and kept for the life of the process.
``close_database`` disposes of them (tests, tools), and ``open_database(settings)`` points the
process at another database explicitly.

A read may name a ``cache_key``: what it returned is kept for the content version it was read
from (the loader's digest, read on every call anyway) and served again without querying, until
`jra db load` writes other content. A procedure answer is otherwise a dozen ORM queries, a third of
the action server's time per turn (py-spy, docs/deployment.md "Performance").
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from actions.content_files import ContentError
from actions.db.models import ContentVersion, schema_fingerprint
from actions.settings import Settings, load_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

LOAD_HINT: Final = "run `make db` (jra db load) to create and load it"


def create_database_engine(database_url: str, *, read_only: bool = False) -> Engine:
    """Create an engine; for a SQLite file, enforce foreign keys, and create its folder or open it read-only."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    path = url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        if read_only:
            # A URI filename with mode=ro: reading cannot write, nor create a missing file.
            url = url.set(database=f"file:{quote(path)}").update_query_dict({"mode": "ro", "uri": "true"})
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _enable_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@dataclass(frozen=True)
class Database:
    """The engine and sessionmaker of one procedures database, and what the loader must have written."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    schema: str

    @property
    def name(self) -> str:
        """Name the database for a log line, without its password."""
        return make_url(self.settings.database_url).render_as_string(hide_password=True)


_lock = threading.Lock()
_current: Database | None = None


def open_database(settings: Settings | None = None) -> Database:
    """Return this process's database, created on first use from ``settings`` or else the environment."""
    global _current
    with _lock:
        if _current is not None:
            if settings is not None and settings != _current.settings:
                raise RuntimeError(f"The procedures database is already open on {_current.name}: close it first")
            return _current
        settings = settings or load_settings()
        engine = create_database_engine(settings.database_url, read_only=True)
        _current = Database(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine, expire_on_commit=False),
            schema=schema_fingerprint(engine.dialect),
        )
        return _current


def close_database() -> None:
    """Dispose of this process's engine and forget it and its settings; the next read opens it again."""
    global _current
    with _lock:
        if _current is not None:
            _current.engine.dispose()
            _current = None
    forget_cached_reads()


class Unavailable:
    """What ``read_database`` returns when the database could not be read (the reason is logged)."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = Unavailable()


# Reads kept per content version: the loader's digest they were read from, and the values by key.
CACHE_LIMIT: Final = 4096
_cache_lock = threading.Lock()
_cache_digest: str | None = None
_cache: OrderedDict[Hashable, Any] = OrderedDict()


def _cached(digest: str, key: Hashable, read: Callable[[], T]) -> T:
    """Return the value kept for ``key`` and this content version, or read and keep it."""
    global _cache_digest
    with _cache_lock:
        if _cache_digest != digest:
            _cache.clear()
            _cache_digest = digest
        elif key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    value = read()
    with _cache_lock:
        if _cache_digest == digest:
            _cache[key] = value
            if len(_cache) > CACHE_LIMIT:
                _cache.popitem(last=False)
    return value


def forget_cached_reads() -> None:
    """Drop every kept read (the next reads query the database)."""
    global _cache_digest
    with _cache_lock:
        _cache.clear()
        _cache_digest = None


def _not_loaded(digest: str | None, schema: str) -> str | None:
    """Say why the loader's content is missing from the database, or None when it is there."""
    if digest is None:
        return f"is empty: {LOAD_HINT}"
    if not digest.startswith(f"{schema}:"):
        return f"was built by other code (its tables differ): {LOAD_HINT} again"
    return None


def _diagnose(database: Database, error: SQLAlchemyError) -> str:
    """Say what is wrong with a database whose read failed."""
    try:
        has_tables = inspect(database.engine).has_table(ContentVersion.__tablename__)
    except SQLAlchemyError:
        cause = getattr(error, "orig", None) or error
        return f"cannot be opened ({cause.__class__.__name__}: {cause}): check DATABASE_URL, or {LOAD_HINT}"
    if not has_tables:
        return f"has no tables: {LOAD_HINT}"
    return f"failed a query ({error.__class__.__name__})"


def read_database(read: Callable[[Session], T], cache_key: Hashable | None = None) -> T | Unavailable:
    """Run ``read`` in one short session; if the database fails, log why and return ``UNAVAILABLE``.

    Actions answer from what ``read`` returns, or tell the user politely that the answer cannot
    be had right now: neither a database error nor a broken content row reaches the user as a crash.
    With a ``cache_key`` (naming the read and its arguments), the value read for the database's
    current content is returned again without querying; it is shared, so it must not be changed.
    The content version is still checked on every call, so a database that is down, empty or
    reloaded is noticed at once.
    """
    try:
        database = open_database()
    except SQLAlchemyError:
        logger.exception("Procedures database unavailable: DATABASE_URL cannot be used")
        return UNAVAILABLE
    try:
        with database.sessions() as session, session.begin():
            digest = session.scalar(select(ContentVersion.digest))
            problem = _not_loaded(digest, database.schema)
            if problem is None:
                assert digest is not None
                if cache_key is None:
                    return read(session)
                return _cached(digest, cache_key, lambda: read(session))
    except SQLAlchemyError as error:
        problem = _diagnose(database, error)
        logger.error("Procedures database unavailable: %s %s", database.name, problem, exc_info=problem.startswith("failed"))
        return UNAVAILABLE
    except ContentError:
        logger.exception("Procedures database unavailable: %s holds content that cannot be rendered", database.name)
        return UNAVAILABLE
    logger.error("Procedures database unavailable: %s %s", database.name, problem)
    return UNAVAILABLE
