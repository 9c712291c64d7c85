"""The actions' reads of content that only `jra db load` changes, kept per content version.

Each returns what ``read_database`` returns: the value, or ``UNAVAILABLE`` when the database
cannot be read. The value is read once per content version and shared (engine.py's cache), so
callers must not change it; the content version is checked on every call.
"""

from __future__ import annotations

from collections.abc import Mapping

from actions.db.engine import Unavailable, read_database
from actions.db.queries import (
    OfficeInfo,
    ProcedureAnswer,
    StatusInfo,
    get_labels,
    get_office,
    get_procedure,
    get_status,
    office_for_prefecture,
    place_aliases,
    prefecture_named_in,
    status_alias_in,
    status_aliases,
)


def procedure(key: str, language: str) -> ProcedureAnswer | Unavailable | None:
    """Return a procedure in ``language`` (English where its text is missing), or None."""
    return read_database(lambda session: get_procedure(session, key, language), cache_key=("procedure", key, language))


def office(prefecture: str, language: str) -> OfficeInfo | Unavailable | None:
    """Return the office that serves a prefecture, in ``language``, or None."""
    return read_database(
        lambda session: office_for_prefecture(session, prefecture, language), cache_key=("office", prefecture, language)
    )


def contact_offices(keys: tuple[str, ...], language: str) -> list[OfficeInfo] | Unavailable:
    """Return the offices named by ``keys`` that exist (the information and support centres), in ``language``."""
    return read_database(
        lambda session: [office for key in keys if (office := get_office(session, key, language)) is not None],
        cache_key=("contact_offices", keys, language),
    )


def prefecture_in(text: str) -> str | Unavailable | None:
    """Return the key of the prefecture a free text names (by prefecture or city), or None."""
    aliases: Mapping[str, str] | Unavailable = read_database(place_aliases, cache_key=("place_aliases",))
    return aliases if isinstance(aliases, Unavailable) else prefecture_named_in(text, aliases)


def labels(language: str) -> Mapping[str, str] | Unavailable:
    """Return the short phrases of ``language`` (English where one is missing)."""
    return read_database(lambda session: get_labels(session, language), cache_key=("labels", language))


def status_named_in(text: str, language: str) -> StatusInfo | Unavailable | None:
    """Return the status of residence a free text names (in any of the five languages), in ``language``, or None."""
    aliases: Mapping[str, str] | Unavailable = read_database(status_aliases, cache_key=("status_aliases",))
    if isinstance(aliases, Unavailable):
        return aliases
    alias = status_alias_in(text, aliases)
    if alias is None:
        return None
    key = aliases[alias]
    return read_database(lambda session: get_status(session, key, language), cache_key=("status", key, language))
