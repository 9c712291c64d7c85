"""Read the reviewable YAML content files into typed values.

The files live in ``actions/content/``: ``shared/`` holds language-neutral facts written once,
``<lang>/`` holds sentences only (see docs/content.md).
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.languages import DEFAULT_LANGUAGE, LANGUAGES

ITEM_KINDS: tuple[str, ...] = ("steps", "documents", "conditions", "notes", "link_labels")


class ContentError(ValueError):
    """A content file (or a row loaded from one) is missing, unreadable or not shaped as docs/content.md describes."""


@dataclass(frozen=True)
class DeadlineFacts:
    """A deadline as data: days counted from an event."""

    days: int
    counted_from: str


@dataclass(frozen=True)
class ProcedureFacts:
    """The language-neutral facts of one procedure."""

    key: str
    section: str
    deadlines: dict[str, DeadlineFacts]
    values: dict[str, str]
    links: list[str]

    def placeholders(self) -> dict[str, str]:
        """Return the values that ``{placeholders}`` in sentences may use."""
        names = {f"{name}_days": str(deadline.days) for name, deadline in self.deadlines.items()}
        names.update(self.values)
        return names


@dataclass(frozen=True)
class ProcedureSentences:
    """The sentence templates of one procedure in one language."""

    title: str
    summary: str
    steps: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    link_labels: list[str] = field(default_factory=list)

    def templates(self) -> list[str]:
        """Return every sentence template, for validation."""
        items = [self.title, self.summary]
        for kind in ITEM_KINDS:
            items.extend(getattr(self, kind))
        return items


@dataclass(frozen=True)
class Content:
    """Everything under ``actions/content/``, parsed."""

    procedures: dict[str, ProcedureFacts]
    sentences: dict[str, dict[str, ProcedureSentences]]
    offices: dict[str, dict[str, Any]]
    prefectures: dict[str, dict[str, Any]]
    statuses: dict[str, dict[str, Any]]
    status_texts: dict[str, dict[str, dict[str, str]]]
    labels: dict[str, dict[str, str]]


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML file into a mapping, or raise ContentError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"{path}: {error}") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping at the top level")
    return data


def variation_language(variation: dict[str, Any]) -> str:
    """Return the language a domain.yml response variation is for (English has no condition)."""
    languages = [c.get("value") for c in variation.get("condition") or [] if c.get("name") == "language"]
    return str(languages[0]) if languages else DEFAULT_LANGUAGE


def _optional(path: Path, section: str) -> dict[str, Any]:
    return (read_yaml(path).get(section) or {}) if path.exists() else {}


def _procedure_facts(key: str, raw: dict[str, Any]) -> ProcedureFacts:
    try:
        deadlines = {
            name: DeadlineFacts(days=int(item["days"]), counted_from=str(item["counted_from"]))
            for name, item in (raw.get("deadlines") or {}).items()
        }
        links = [str(link["url"]) if isinstance(link, dict) else str(link) for link in raw.get("links") or []]
    except (KeyError, TypeError, ValueError) as error:
        raise ContentError(f"shared/procedures.yml: {key}: {error!r}") from error
    values = {str(name): str(value) for name, value in (raw.get("values") or {}).items()}
    return ProcedureFacts(key=key, section=str(raw.get("section", "")), deadlines=deadlines, values=values, links=links)


def _procedure_sentences(path: Path, key: str, raw: dict[str, Any]) -> ProcedureSentences:
    if not isinstance(raw, dict) or "title" not in raw or "summary" not in raw:
        raise ContentError(f"{path}: {key}: needs at least a title and a summary")
    lists = {kind: [str(item) for item in raw.get(kind) or []] for kind in ITEM_KINDS}
    return ProcedureSentences(title=str(raw["title"]).strip(), summary=str(raw["summary"]).strip(), **lists)


def read_content(content_dir: Path) -> Content:
    """Read every content file under ``content_dir``."""
    shared = content_dir / "shared"
    raw_procedures = read_yaml(shared / "procedures.yml").get("procedures") or {}
    procedures = {key: _procedure_facts(key, raw) for key, raw in raw_procedures.items()}
    sentences: dict[str, dict[str, ProcedureSentences]] = {}
    status_texts: dict[str, dict[str, dict[str, str]]] = {}
    labels: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        path = content_dir / language / "procedures.yml"
        raw_language = _optional(path, "procedures")
        sentences[language] = {key: _procedure_sentences(path, key, raw) for key, raw in raw_language.items()}
        status_texts[language] = _optional(content_dir / language / "statuses.yml", "statuses")
        labels[language] = {str(k): str(v) for k, v in _optional(content_dir / language / "labels.yml", "labels").items()}
    return Content(
        procedures=procedures,
        sentences=sentences,
        offices=_optional(shared / "offices.yml", "offices"),
        prefectures=_optional(shared / "prefectures.yml", "prefectures"),
        statuses=_optional(shared / "statuses.yml", "statuses"),
        status_texts=status_texts,
        labels=labels,
    )


def content_digest(content_dir: Path) -> str:
    """Return a digest of every content file, so an unchanged load can be skipped."""
    digest = hashlib.sha256()
    for path in sorted(content_dir.rglob("*.yml")):
        digest.update(str(path.relative_to(content_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def placeholder_names(template: str) -> list[str]:
    """Return the names of the ``{placeholders}`` in a sentence template."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def fill(template: str, values: dict[str, str]) -> str:
    """Fill a sentence template's placeholders from the shared data, or raise ContentError."""
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as error:
        raise ContentError(f"cannot fill {template[:60]!r}: {error!r}") from error
