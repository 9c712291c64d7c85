"""Where the trainers' tools find the conversations and keep their decisions.

- The conversations are Rasa's SQL tracker store (`bot.tracker_store.RedactingSQLTrackerStore`):
  `TRACKER_DATABASE_URL` (any SQLAlchemy URL) if it is set, else the `tracker_store` section of
  endpoints.yml (`var/tracker.sqlite` for `make run`). The production profile
  (`bot/production.py`) sets `TRACKER_DATABASE_URL` for the processes it runs, and
  ``production_tracker_database_url`` builds it from the profile's state folder for a
  maintainer's shell (`jra inbox list --production`).
- The trainers' decisions (labelled, out of scope, dismissed): `TRAINER_DATABASE_URL`, else
  `var/trainer.sqlite`.

Rasa's environment has psycopg2 and this one psycopg 3: a `postgresql://` URL is read with
psycopg 3 here (`postgresql+psycopg://`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import URL, make_url

from bot.paths import PROJECT_ROOT, VAR_DIR

ENDPOINTS_FILE = PROJECT_ROOT / "endpoints.yml"
DEFAULT_TRACKER_DB = "var/tracker.sqlite"
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class SettingsError(ValueError):
    """A database cannot be named from the configuration; the message says what to set."""


def _interpolate(value: Any, environ: dict[str, str] | os._Environ[str]) -> Any:
    """Fill in ${VARIABLE}s as Rasa does when it reads endpoints.yml."""
    if not isinstance(value, str):
        return value
    missing = [name for name in _VARIABLE.findall(value) if name not in environ]
    if missing:
        raise SettingsError(f"endpoints.yml's tracker_store needs {', '.join(missing)} (or set TRACKER_DATABASE_URL)")
    return _VARIABLE.sub(lambda match: environ[match.group(1)], value)


def app_database_url(url: str) -> str:
    """Return ``url`` with the app environment's PostgreSQL driver (psycopg 3) and an absolute SQLite path."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute() and not parsed.database.startswith("file:"):
            parsed = parsed.set(database=str(PROJECT_ROOT / path))
    return parsed.render_as_string(hide_password=False)


def tracker_url_from_endpoints(endpoints_file: Path = ENDPOINTS_FILE, environ: dict[str, str] | None = None) -> str:
    """Return the SQLAlchemy URL of the SQL tracker store named in an endpoints file.

    Built as Rasa's `SQLTrackerStore.get_db_url` builds it: `dialect:///db` for SQLite (a
    relative path is relative to the project folder, where the Rasa server runs), otherwise
    dialect, host (`url`), port, user, password and database (`login_db` if given, as Rasa).
    """
    env = os.environ if environ is None else environ
    try:
        endpoints = yaml.safe_load(endpoints_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SettingsError(f"cannot read {endpoints_file}: {error}") from None
    store = endpoints.get("tracker_store") or {}
    if not isinstance(store, dict):
        raise SettingsError(f"{endpoints_file}: tracker_store is not a mapping")
    kind = str(store.get("type") or "")
    if kind and kind != "sql" and not kind.endswith("SQLTrackerStore"):
        raise SettingsError(f"{endpoints_file}: the tracker store {kind!r} is not an SQL store; set TRACKER_DATABASE_URL")
    values = {key: _interpolate(value, env) for key, value in store.items()}
    dialect = str(values.get("dialect") or "sqlite")
    database = str(values.get("login_db") or values.get("db") or ("rasa.db" if dialect == "sqlite" else "rasa"))
    if dialect == "sqlite":
        return app_database_url(f"sqlite:///{database}")
    port = values.get("port")
    url = URL.create(
        drivername=dialect,
        username=values.get("username"),
        password=values.get("password"),
        host=values.get("url"),
        port=int(port) if port not in (None, "") else None,
        database=database,
    )
    return app_database_url(url.render_as_string(hide_password=False))


def tracker_database_url() -> str:
    """Return the SQLAlchemy URL of the tracker store: TRACKER_DATABASE_URL, else endpoints.yml's."""
    explicit = os.environ.get("TRACKER_DATABASE_URL", "").strip()
    return app_database_url(explicit) if explicit else tracker_url_from_endpoints()


def decisions_database_url() -> str:
    """Return the SQLAlchemy URL of the trainers' decisions: TRAINER_DATABASE_URL, else var/trainer.sqlite."""
    explicit = os.environ.get("TRAINER_DATABASE_URL", "").strip()
    return app_database_url(explicit) if explicit else f"sqlite:///{VAR_DIR / 'trainer.sqlite'}"


def production_tracker_database_url(state_dir: Path | None = None, postgres_port: int | None = None) -> str:
    """Return the tracker store's URL in the production profile, from its state folder's passwords."""
    from bot.production import APP_USER, DEFAULT_STATE_DIR, HOST, TRACKER_DATABASE, Ports

    folder = state_dir or DEFAULT_STATE_DIR
    try:
        password = json.loads((folder / "secrets.json").read_text(encoding="utf-8"))["postgres_app"]
    except (OSError, ValueError, KeyError):
        raise SettingsError(
            f"no production profile in {folder} (secrets.json is missing): start it once with `make run-production`"
        ) from None
    url = URL.create(
        "postgresql+psycopg",
        username=APP_USER,
        password=password,
        host=HOST,
        port=postgres_port or Ports().postgres,
        database=TRACKER_DATABASE,
    )
    return url.render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """Return ``url`` without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as nothing rather than leaked
        return "(an invalid database URL)"
