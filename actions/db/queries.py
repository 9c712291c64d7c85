"""Query functions: take a session, return typed, rendered results.

Sentences are stored as templates; the numbers they show are filled in here from the
language-neutral rows, so every language renders the same deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from actions.content_files import ContentError, fill
from actions.db.models import (
    Label,
    Office,
    OfficePhone,
    PlaceAlias,
    Prefecture,
    Procedure,
    ProcedureText,
    Status,
    StatusName,
)
from actions.places import find_place_alias, normalize_place
from bot.languages import DEFAULT_LANGUAGE


@dataclass(frozen=True)
class LinkInfo:
    """An official link and its label in the answer's language."""

    url: str
    label: str


@dataclass(frozen=True)
class DeadlineInfo:
    """A deadline: days counted from an event."""

    days: int
    counted_from: str


@dataclass(frozen=True)
class ProcedureAnswer:
    """One procedure rendered in one language."""

    key: str
    section: str
    language: str
    requested_language: str
    title: str
    summary: str
    steps: list[str]
    documents: list[str]
    conditions: list[str]
    notes: list[str]
    links: list[LinkInfo]
    deadlines: dict[str, DeadlineInfo]
    values: dict[str, str]

    @property
    def fell_back(self) -> bool:
        """Tell whether the text is in English because the requested language was missing."""
        return self.language != self.requested_language


@dataclass(frozen=True)
class PhoneInfo:
    """A phone number and the kind of line it is."""

    number: str
    kind: str
    # Who the line is for, in the reply language ("from abroad or an IP phone"), when the seeds say.
    label: str | None = None


@dataclass(frozen=True)
class OfficeInfo:
    """An office rendered in one language."""

    key: str
    kind: str
    name: str
    address: str
    phones: list[PhoneInfo]
    prefecture: str | None = None


@dataclass(frozen=True)
class StatusInfo:
    """A status of residence rendered in one language."""

    key: str
    name: str
    activities: str
    examples: str
    periods_of_stay: list[dict[str, int] | str]
    # The upper limit of a period the Minister designates, when the appendix gives one.
    max_period: dict[str, int] | None = None


class _InOneLanguage(Protocol):
    @property
    def language(self) -> str: ...


_Row = TypeVar("_Row", bound=_InOneLanguage)


def _json(text: str) -> Any:
    """Decode a JSON column written by the loader, or raise ContentError."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise ContentError(f"a stored JSON value cannot be read: {error}") from error


def _in_language(rows: Iterable[_Row], language: str) -> _Row | None:
    """Return the row in ``language``, else the English one, else None."""
    by_language = {row.language: row for row in rows}
    return by_language.get(language) or by_language.get(DEFAULT_LANGUAGE)


def get_procedure(session: Session, key: str, language: str) -> ProcedureAnswer | None:
    """Return a procedure in ``language``, in English if that text is missing, or None."""
    procedure = session.scalar(
        select(Procedure)
        .where(Procedure.key == key)
        .options(
            selectinload(Procedure.texts).selectinload(ProcedureText.items),
            selectinload(Procedure.deadlines),
            selectinload(Procedure.values),
            selectinload(Procedure.links),
        )
    )
    if procedure is None:
        return None
    text = _in_language(procedure.texts, language)
    if text is None:
        return None
    values = {f"{deadline.name}_days": str(deadline.days) for deadline in procedure.deadlines}
    values.update({value.name: value.value for value in procedure.values})
    items: dict[str, list[str]] = {}
    for item in text.items:
        items.setdefault(item.kind, []).append(fill(item.text, values))
    labels = items.get("link_label", [])
    links = [
        LinkInfo(url=link.url, label=labels[index] if index < len(labels) else link.url)
        for index, link in enumerate(procedure.links)
    ]
    return ProcedureAnswer(
        key=procedure.key,
        section=procedure.section,
        language=text.language,
        requested_language=language,
        title=fill(text.title, values),
        summary=fill(text.summary, values),
        steps=items.get("step", []),
        documents=items.get("document", []),
        conditions=items.get("condition", []),
        notes=items.get("note", []),
        links=links,
        deadlines={d.name: DeadlineInfo(days=d.days, counted_from=d.counted_from) for d in procedure.deadlines},
        values=values,
    )


def place_aliases(session: Session) -> Mapping[str, str]:
    """Return the prefecture key of every place name (prefectures and cities, in every language)."""
    rows = session.execute(select(PlaceAlias.alias, Prefecture.key).join(PlaceAlias.prefecture)).all()
    prefecture_by_alias: dict[str, str] = {}
    for alias, key in rows:
        prefecture_by_alias.setdefault(alias, key)
    return MappingProxyType(prefecture_by_alias)


def prefecture_named_in(text: str, prefecture_by_alias: Mapping[str, str]) -> str | None:
    """Return the key of the prefecture a free text names, given ``place_aliases``, or None."""
    alias = find_place_alias(text, prefecture_by_alias)
    return prefecture_by_alias[alias] if alias else None


def find_prefecture(session: Session, text: str) -> str | None:
    """Return the key of the prefecture a free text names (by prefecture or city), or None."""
    return prefecture_named_in(text, place_aliases(session))


# Readers of these languages read the Japanese-script address; the others get both.
JAPANESE_SCRIPT_READERS = {"zh", "ja"}


def _address(office: Office, language: str) -> str:
    """Write an office's address: in Japanese script for Chinese and Japanese, else romaji and Japanese."""
    if not office.address_ja:
        return office.address or ""
    if language in JAPANESE_SCRIPT_READERS or not office.address:
        return office.address_ja
    return f"{office.address}\n{office.address_ja}"


def _phone_label(phone: OfficePhone, language: str, labels: dict[str, str]) -> str | None:
    """Say who a line is for: the line's own label (a department), else its kind's label."""
    own = _json(phone.labels) if phone.labels else {}
    return own.get(language) or own.get(DEFAULT_LANGUAGE) or labels.get(f"phone_{phone.kind}")


def _office_info(session: Session, office: Office, language: str, prefecture: Prefecture | None) -> OfficeInfo:
    name = _in_language(office.names, language)
    labels = get_labels(session, language)
    prefecture_name = _in_language(prefecture.names, language) if prefecture else None
    return OfficeInfo(
        key=office.key,
        kind=office.kind,
        name=name.name if name else office.key,
        address=_address(office, language),
        phones=[
            PhoneInfo(number=phone.number, kind=phone.kind, label=_phone_label(phone, language, labels))
            for phone in office.phones
        ],
        prefecture=prefecture_name.name if prefecture_name else None,
    )


def office_for_prefecture(session: Session, prefecture_key: str, language: str) -> OfficeInfo | None:
    """Return the office that serves a prefecture, in ``language``, or None."""
    prefecture = session.scalar(
        select(Prefecture)
        .where(Prefecture.key == prefecture_key)
        .options(
            selectinload(Prefecture.names),
            selectinload(Prefecture.office).selectinload(Office.names),
            selectinload(Prefecture.office).selectinload(Office.phones),
        )
    )
    if prefecture is None or prefecture.office is None:
        return None
    return _office_info(session, prefecture.office, language, prefecture)


def get_office(session: Session, key: str, language: str) -> OfficeInfo | None:
    """Return an office by key (for example the support center), in ``language``."""
    office = session.scalar(
        select(Office).where(Office.key == key).options(selectinload(Office.names), selectinload(Office.phones))
    )
    return _office_info(session, office, language, None) if office else None


def status_aliases(session: Session) -> Mapping[str, str]:
    """Return the key of the status of residence of every name of one, in every language.

    Keys, not row ids: `jra db load` writes the rows anew, so an id read before a load could name
    another status after it.
    """
    rows = session.execute(select(StatusName.alias, Status.key).join(StatusName.status)).all()
    return MappingProxyType({alias: key for alias, key in rows})


def status_alias_in(text: str, status_by_alias: Mapping[str, str]) -> str | None:
    """Return the name of a status that a free text gives (all of it, or inside it), or None."""
    normalized = normalize_place(text)
    return normalized if normalized in status_by_alias else find_place_alias(text, status_by_alias)


def get_status(session: Session, key: str, language: str) -> StatusInfo | None:
    """Return a status of residence by key, in ``language``, or None."""
    status = session.scalar(
        select(Status).where(Status.key == key).options(selectinload(Status.names), selectinload(Status.texts))
    )
    if status is None:
        return None
    official = [name for name in status.names if name.official]
    name = _in_language(official, language)
    texts = _in_language(status.texts, language)
    return StatusInfo(
        key=status.key,
        name=name.name if name else status.key,
        activities=texts.activities if texts else "",
        examples=texts.examples if texts else "",
        periods_of_stay=_json(status.periods_of_stay),
        max_period=_json(status.max_period) if status.max_period else None,
    )


def find_status(session: Session, text: str, language: str) -> StatusInfo | None:
    """Return the status of residence a free text names, in any of the five languages."""
    status_by_alias = status_aliases(session)
    alias = status_alias_in(text, status_by_alias)
    return None if alias is None else get_status(session, status_by_alias[alias], language)


def get_labels(session: Session, language: str) -> dict[str, str]:
    """Return the short phrases of ``language`` (English where one is missing)."""
    rows = session.execute(
        select(Label.key, Label.language, Label.text).where(Label.language.in_({language, DEFAULT_LANGUAGE}))
    ).all()
    labels = {key: text for key, lang, text in rows if lang == DEFAULT_LANGUAGE}
    labels.update({key: text for key, lang, text in rows if lang == language})
    return labels
