"""The front end's own sentences, read from texts.yml, in the five languages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.languages import DEFAULT_LANGUAGE, LANGUAGES

TEXTS_FILE = Path(__file__).with_name("texts.yml")


class Message(str, enum.Enum):
    """A sentence the front end sends by itself; the value is its key in texts.yml."""

    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    NON_TEXT = "non_text"
    CHOOSE_LANGUAGE = "choose_language"
    CONVERSATION_RESET = "conversation_reset"


class TextsError(ValueError):
    """texts.yml lacks a sentence or a language."""


# The labels of the "Was this helpful?" buttons, 👍 first (bot/feedback.py's intents, in order).
FEEDBACK_LABELS = ("helpful", "not_helpful")


@dataclass(frozen=True)
class Texts:
    """Every front-end sentence: messages, feedback buttons, command descriptions and language names."""

    messages: dict[str, dict[str, str]]
    feedback: dict[str, dict[str, str]]
    commands: dict[str, dict[str, str]]
    language_names: dict[str, str]


def _in_every_language(where: str, entry: object) -> dict[str, str]:
    if not isinstance(entry, dict):
        raise TextsError(f"{TEXTS_FILE.name}: {where} is not a mapping of languages")
    missing = [language for language in LANGUAGES if not str(entry.get(language) or "").strip()]
    if missing:
        raise TextsError(f"{TEXTS_FILE.name}: {where} has no text for {', '.join(missing)}")
    return {language: str(entry[language]).strip() for language in LANGUAGES}


@cache
def load_texts() -> Texts:
    """Read texts.yml once and check that every entry exists in all five languages."""
    data = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")) or {}
    messages = {key: _in_every_language(f"messages.{key}", entry) for key, entry in (data.get("messages") or {}).items()}
    missing = [message.value for message in Message if message.value not in messages]
    if missing:
        raise TextsError(f"{TEXTS_FILE.name}: messages lack {', '.join(missing)}")
    feedback_entries = data.get("feedback") or {}
    feedback = {key: _in_every_language(f"feedback.{key}", feedback_entries.get(key)) for key in FEEDBACK_LABELS}
    commands = {key: _in_every_language(f"commands.{key}", entry) for key, entry in (data.get("commands") or {}).items()}
    return Texts(
        messages=messages,
        feedback=feedback,
        commands=commands,
        language_names=_in_every_language("language_names", data.get("language_names")),
    )


def message(key: Message, language: str | None) -> str:
    """Return one of the front end's sentences in ``language`` (English if unknown)."""
    translations = load_texts().messages[key.value]
    return translations.get(language or DEFAULT_LANGUAGE, translations[DEFAULT_LANGUAGE])


def feedback_labels(language: str | None) -> tuple[str, str]:
    """Return the labels of the 👍 and 👎 buttons in ``language`` (English if unknown)."""
    feedback = load_texts().feedback
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return feedback["helpful"][chosen], feedback["not_helpful"][chosen]


def command_descriptions(language: str) -> list[tuple[str, str]]:
    """Return (command, description) pairs of the command menu in ``language``."""
    return [(command, descriptions[language]) for command, descriptions in load_texts().commands.items()]


def language_names() -> dict[str, str]:
    """Return each language's name written in that language, in the order of LANGUAGES."""
    return dict(load_texts().language_names)
