"""Create the procedures database and load the content files into it, idempotently.

The only writer of the database: `jra db load` (`make db`, run by `make run` and `make test`),
the test fixtures and the developer tools call it before they start an action server, which
only reads. The whole content is replaced in one transaction when the digest of the files
changed, and nothing is written when it did not: loading twice changes nothing, a changed file
updates its rows, and a reader never sees half a load.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import Engine, delete, inspect, select
from sqlalchemy.orm import Session

from actions.content_files import ITEM_KINDS, Content, content_digest, read_content
from actions.db.engine import create_database_engine
from actions.db.models import (
    Base,
    ContentVersion,
    Deadline,
    Label,
    Link,
    Office,
    OfficeName,
    OfficePhone,
    PlaceAlias,
    Prefecture,
    PrefectureName,
    Procedure,
    ProcedureItem,
    ProcedureText,
    ProcedureValue,
    Status,
    StatusName,
    StatusText,
    schema_fingerprint,
)
from actions.places import normalize_place, place_name_variants

logger = logging.getLogger(__name__)

# Children first, so that foreign keys hold while rows are removed.
CONTENT_TABLES = (
    ProcedureItem,
    ProcedureText,
    Link,
    ProcedureValue,
    Deadline,
    Procedure,
    PlaceAlias,
    PrefectureName,
    Prefecture,
    OfficePhone,
    OfficeName,
    Office,
    StatusText,
    StatusName,
    Status,
    Label,
)

KIND_BY_LIST = {
    "steps": "step",
    "documents": "document",
    "conditions": "condition",
    "notes": "note",
    "link_labels": "link_label",
}


def load_database_url(database_url: str, content_dir: Path) -> bool:
    """Create the database at ``database_url`` and load ``content_dir`` into it; return whether anything changed."""
    engine = create_database_engine(database_url)
    try:
        return load_database(engine, content_dir)
    finally:
        engine.dispose()


def load_database(engine: Engine, content_dir: Path) -> bool:
    """Create the tables and load the content files; return whether anything changed.

    The whole database is built from the content files, so when the code's schema differs from
    the one the database was built with (the stored digest starts with the schema's
    fingerprint), the tables are dropped and built again rather than migrated.
    """
    schema = schema_fingerprint(engine.dialect)
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


def load_content(session: Session, content: Content, digest: str) -> bool:
    """Replace the database content with ``content`` unless ``digest`` is already loaded."""
    version = session.scalar(select(ContentVersion))
    if version is not None and version.digest == digest:
        return False
    for table in CONTENT_TABLES:
        session.execute(delete(table))
    _add_procedures(session, content)
    offices = _add_offices(session, content)
    _add_prefectures(session, content, offices)
    _add_statuses(session, content)
    session.add_all(
        Label(key=key, language=language, text=text)
        for language, labels in content.labels.items()
        for key, text in labels.items()
    )
    if version is None:
        session.add(ContentVersion(digest=digest))
    else:
        version.digest = digest
    session.flush()
    logger.info("Loaded content %s", digest[:12])
    return True


def _add_procedures(session: Session, content: Content) -> None:
    for key, facts in content.procedures.items():
        procedure = Procedure(key=key, section=facts.section)
        procedure.deadlines = [
            Deadline(name=name, days=deadline.days, counted_from=deadline.counted_from)
            for name, deadline in facts.deadlines.items()
        ]
        procedure.values = [ProcedureValue(name=name, value=value) for name, value in facts.values.items()]
        procedure.links = [Link(position=index, url=url) for index, url in enumerate(facts.links)]
        for language, by_key in content.sentences.items():
            sentences = by_key.get(key)
            if sentences is None:
                continue
            text = ProcedureText(language=language, title=sentences.title, summary=sentences.summary)
            text.items = [
                ProcedureItem(kind=KIND_BY_LIST[kind], position=index, text=item)
                for kind in ITEM_KINDS
                for index, item in enumerate(getattr(sentences, kind))
            ]
            procedure.texts.append(text)
        session.add(procedure)


def _add_offices(session: Session, content: Content) -> dict[str, Office]:
    offices: dict[str, Office] = {}
    for key, raw in content.offices.items():
        office = Office(
            key=key,
            kind=str(raw["kind"]),
            address=raw.get("address"),
            address_ja=raw.get("address_ja"),
            source=raw.get("source"),
        )
        office.names = [OfficeName(language=lang, name=str(name)) for lang, name in (raw.get("name") or {}).items()]
        office.phones = [
            OfficePhone(
                position=index,
                number=str(phone["number"]),
                kind=str(phone.get("kind", "main")),
                labels=json.dumps(phone["label"], ensure_ascii=False) if phone.get("label") else None,
            )
            for index, phone in enumerate(raw.get("phones") or [])
        ]
        offices[key] = office
        session.add(office)
    for key, raw in content.offices.items():
        if raw.get("parent"):
            offices[key].parent = offices[raw["parent"]]
    return offices


def _add_prefectures(session: Session, content: Content, offices: dict[str, Office]) -> None:
    serving = {prefecture: offices[key] for key, raw in content.offices.items() for prefecture in raw.get("serves") or []}
    for key, raw in content.prefectures.items():
        prefecture = Prefecture(key=key, office=serving.get(key))
        names = raw.get("name") or {}
        prefecture.names = [PrefectureName(language=lang, name=str(name)) for lang, name in names.items()]
        spellings: set[str] = {key}
        spellings.update(str(name) for name in names.values())
        spellings.update(str(alias) for alias in raw.get("aliases") or [])
        for city in raw.get("cities") or []:
            spellings.update(str(name) for name in (city.values() if isinstance(city, dict) else [city]))
        aliases = {variant for spelling in spellings for variant in place_name_variants(spelling)}
        aliases.discard("")
        session.add(prefecture)
        session.add_all(PlaceAlias(alias=alias, prefecture=prefecture) for alias in sorted(aliases))


def _add_statuses(session: Session, content: Content) -> None:
    for key, raw in content.statuses.items():
        max_period = raw.get("max_period")
        status = Status(
            key=key,
            periods_of_stay=json.dumps(raw.get("periods_of_stay") or []),
            max_period=json.dumps(max_period) if max_period else None,
        )
        names = raw.get("name") or {}
        aliases = raw.get("aliases") or {}
        for language, name in names.items():
            spellings = {normalize_place(str(name))} | {normalize_place(str(a)) for a in aliases.get(language) or []}
            official = normalize_place(str(name))
            status.names.extend(
                StatusName(language=language, name=str(name), alias=alias, official=alias == official)
                for alias in sorted(spellings)
                if alias
            )
        for language, texts in content.status_texts.items():
            entry = texts.get(key)
            if entry:
                status.texts.append(
                    StatusText(
                        language=language,
                        activities=str(entry.get("activities", "")),
                        examples=str(entry.get("examples", "")),
                    )
                )
        session.add(status)
