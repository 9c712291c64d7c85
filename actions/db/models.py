"""Typed SQLAlchemy models of the procedures database.

Numbers that must agree across languages (deadline days, photo sizes, phone numbers, links)
are stored once on the language-neutral rows; the per-language rows hold sentence templates
whose ``{placeholders}`` are filled from them when an answer is rendered.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import CheckConstraint, Dialect, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.schema import CreateTable

from bot.languages import LANGUAGES

LANGUAGE_CHECK = f"language IN ({', '.join(repr(language) for language in LANGUAGES)})"


class Base(DeclarativeBase):
    """Declarative base of every table."""


class ContentVersion(Base):
    """The digest of the content files last loaded, so an unchanged load does nothing."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


class Procedure(Base):
    """One procedure of the guidebook; its key is the intent that asks for it."""

    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    section: Mapped[str] = mapped_column(String(200))  # the guidebook's heading, up to about 100 characters

    deadlines: Mapped[list[Deadline]] = relationship(back_populates="procedure", cascade="all, delete-orphan")
    values: Mapped[list[ProcedureValue]] = relationship(back_populates="procedure", cascade="all, delete-orphan")
    links: Mapped[list[Link]] = relationship(back_populates="procedure", cascade="all, delete-orphan", order_by="Link.position")
    texts: Mapped[list[ProcedureText]] = relationship(back_populates="procedure", cascade="all, delete-orphan")


class Deadline(Base):
    """A deadline as data: a number of days counted from a named event."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("procedure_id", "name"),
        CheckConstraint("days > 0", name="deadline_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    days: Mapped[int] = mapped_column(Integer)
    counted_from: Mapped[str] = mapped_column(String(64))

    procedure: Mapped[Procedure] = relationship(back_populates="deadlines")


class ProcedureValue(Base):
    """A number or fixed string that sentences of every language refer to by name."""

    __tablename__ = "procedure_value"
    __table_args__ = (UniqueConstraint("procedure_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(255))

    procedure: Mapped[Procedure] = relationship(back_populates="values")


class Link(Base):
    """An official link of a procedure, in the order it is shown."""

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("procedure_id", "position"),
        CheckConstraint("url LIKE 'https://%'", name="link_is_https"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(500))

    procedure: Mapped[Procedure] = relationship(back_populates="links")


class ProcedureText(Base):
    """The sentences of one procedure in one language."""

    __tablename__ = "procedure_text"
    __table_args__ = (
        UniqueConstraint("procedure_id", "language"),
        CheckConstraint(LANGUAGE_CHECK, name="procedure_text_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)

    procedure: Mapped[Procedure] = relationship(back_populates="texts")
    items: Mapped[list[ProcedureItem]] = relationship(
        back_populates="text_row",
        cascade="all, delete-orphan",
        order_by="(ProcedureItem.kind, ProcedureItem.position)",
    )


class ProcedureItem(Base):
    """One ordered sentence of a procedure text: a step, a document, a condition, a note or a link label."""

    __tablename__ = "procedure_item"
    __table_args__ = (
        UniqueConstraint("text_id", "kind", "position"),
        CheckConstraint(
            "kind IN ('step', 'document', 'condition', 'note', 'link_label')",
            name="procedure_item_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("procedure_text.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)

    text_row: Mapped[ProcedureText] = relationship(back_populates="items")


class Prefecture(Base):
    """One of the 47 prefectures, served by exactly one office."""

    __tablename__ = "prefecture"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))

    names: Mapped[list[PrefectureName]] = relationship(back_populates="prefecture", cascade="all, delete-orphan")
    office: Mapped[Office | None] = relationship(back_populates="prefectures")


class PrefectureName(Base):
    """The name of a prefecture in one language."""

    __tablename__ = "prefecture_name"
    __table_args__ = (
        UniqueConstraint("prefecture_id", "language"),
        CheckConstraint(LANGUAGE_CHECK, name="prefecture_name_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prefecture_id: Mapped[int] = mapped_column(ForeignKey("prefecture.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(100))

    prefecture: Mapped[Prefecture] = relationship(back_populates="names")


class PlaceAlias(Base):
    """A normalised place name people type (prefecture spelling or city) and its prefecture."""

    __tablename__ = "place_alias"
    __table_args__ = (UniqueConstraint("alias", "prefecture_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), index=True)
    prefecture_id: Mapped[int] = mapped_column(ForeignKey("prefecture.id", ondelete="CASCADE"))

    prefecture: Mapped[Prefecture] = relationship()


class Office(Base):
    """A regional bureau, district office, airport office, center or information service."""

    __tablename__ = "office"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('regional_bureau', 'district_office', 'branch_office', 'airport_office',"
            " 'immigration_center', 'support_center', 'information_center')",
            name="office_kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))
    address: Mapped[str | None] = mapped_column(Text)
    # The same address in Japanese script (seed 004), for Chinese and Japanese readers and taxis
    address_ja: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)

    names: Mapped[list[OfficeName]] = relationship(back_populates="office", cascade="all, delete-orphan")
    phones: Mapped[list[OfficePhone]] = relationship(
        back_populates="office", cascade="all, delete-orphan", order_by="OfficePhone.position"
    )
    prefectures: Mapped[list[Prefecture]] = relationship(back_populates="office")
    parent: Mapped[Office | None] = relationship(remote_side="Office.id")


class OfficeName(Base):
    """The name of an office in one language."""

    __tablename__ = "office_name"
    __table_args__ = (
        UniqueConstraint("office_id", "language"),
        CheckConstraint(LANGUAGE_CHECK, name="office_name_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(Text)

    office: Mapped[Office] = relationship(back_populates="names")


class OfficePhone(Base):
    """A phone number of an office, with what kind of line it is."""

    __tablename__ = "office_phone"
    __table_args__ = (UniqueConstraint("office_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("office.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    # JSON {language: text}: what this particular line is for (a department), when the seeds say
    labels: Mapped[str | None] = mapped_column(Text)

    office: Mapped[Office] = relationship(back_populates="phones")


class Status(Base):
    """A status of residence from the overview's appendix."""

    __tablename__ = "status"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    periods_of_stay: Mapped[str] = mapped_column(Text)  # JSON list, rendered per language
    # JSON: the upper limit of a period the Minister designates ({"years": 4, "months": 3}), or null
    max_period: Mapped[str | None] = mapped_column(Text)

    names: Mapped[list[StatusName]] = relationship(back_populates="status", cascade="all, delete-orphan")
    texts: Mapped[list[StatusText]] = relationship(back_populates="status", cascade="all, delete-orphan")


class StatusName(Base):
    """A name of a status in one language: the official one, or an alias people type."""

    __tablename__ = "status_name"
    __table_args__ = (
        UniqueConstraint("status_id", "language", "alias"),
        CheckConstraint(LANGUAGE_CHECK, name="status_name_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(Text)
    alias: Mapped[str] = mapped_column(String(200), index=True)  # normalised for lookup
    official: Mapped[bool] = mapped_column(default=False)

    status: Mapped[Status] = relationship(back_populates="names")


class StatusText(Base):
    """The authorised activities and examples of a status in one language."""

    __tablename__ = "status_text"
    __table_args__ = (
        UniqueConstraint("status_id", "language"),
        CheckConstraint(LANGUAGE_CHECK, name="status_text_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status_id: Mapped[int] = mapped_column(ForeignKey("status.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    activities: Mapped[str] = mapped_column(Text)
    examples: Mapped[str] = mapped_column(Text)

    status: Mapped[Status] = relationship(back_populates="texts")


class Label(Base):
    """A short phrase a data row needs in each language (for example a kind of period of stay)."""

    __tablename__ = "label"
    __table_args__ = (
        UniqueConstraint("key", "language"),
        CheckConstraint(LANGUAGE_CHECK, name="label_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)


def schema_fingerprint(dialect: Dialect) -> str:
    """Return a short digest of the tables' definitions, so a database built by other code is noticed."""
    ddl = "\n".join(str(CreateTable(table).compile(dialect=dialect)) for table in Base.metadata.sorted_tables)
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]
