"""Keep the terminology of each language consistent with the glossary (actions/content/glossary.yml).

The glossary names, per language and concept, the preferred term and the variants that must not
be used instead, each with a reason. ``check_glossary`` scans every string a user reads in that
language:

- the responses of domain.yml in that language (the English variant is the one without a
  condition), their text and button titles;
- actions/content/<lang>/*.yml, every string but the internal ones (``notes``, ``language``);
- the names of that language in actions/content/shared/*.yml (office names, phone labels,
  prefecture and city names, status names; not the ``aliases`` users type, nor ``note``/``source``).

It reports each forbidden variant with the file, the key and the preferred term. Variants are
regular expressions, so inflected forms are found (``картк\\w*\\s+резидент`` finds «картку
резидента»). Not scanned: ``{placeholders}``, links and, outside Japanese, a Japanese quotation in
brackets, for example "(遺失届受理証明書)": a document's Japanese name quoted on purpose. A string
that must use a variant on purpose is listed under ``allow`` in the glossary; an allow entry that
no longer matches anything is reported too.

Two rules need no glossary entry: Chinese text has no Japanese middle dot ``・`` (write ``·``, or
``、`` between list items), and Japanese sentences are written without spaces between words (a
reading in kana in parentheses may be spaced: 遺失届受理証明書（いしつとどけ じゅり しょうめいしょ）).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.content_files import read_yaml, variation_language
from bot.languages import LANGUAGES

GLOSSARY_FILE = "glossary.yml"

# Fields of the content files that no user reads (see the field lists in actions/content_check.py).
INTERNAL_FIELDS = frozenset({"notes", "language"})
# Keys of the shared files whose subtree is never shown, even when it holds a language's text.
SHARED_INTERNAL_FIELDS = frozenset({"aliases", "note", "source", "section", "links", "serves", "kind"})

_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_URL = re.compile(r"https?://\S+")
_KANA = "\u3040-\u30ff"
# Kanji that Japanese writes and simplified Chinese does not: they mark a quotation as Japanese.
_JAPANESE_ONLY = "届証載項資認査庁帰続関験務拠駅労団転写盗難遺罹災"
_JAPANESE_QUOTE = re.compile(rf"[(（〔「『][^()（）〔〕「」『』]*[{_KANA}{_JAPANESE_ONLY}][^()（）〔〕「」『』]*[)）〕」』]")
_JAPANESE_CHAR = rf"[\u3400-\u9fff{_KANA}々〆ー]"
_JAPANESE_SPACE = re.compile(rf"(?<={_JAPANESE_CHAR})[ \u3000]+(?={_JAPANESE_CHAR})")
# A reading in kana may be spaced for legibility: 遺失届受理証明書（いしつとどけ じゅり しょうめいしょ）.
_READING = re.compile(rf"（[{_KANA} ]+）")
_MIDDLE_DOT = "・"
_HIDDEN = "\ufffc"


@dataclass(frozen=True)
class Rule:
    """One forbidden variant of a concept's term in one language."""

    language: str
    concept: str
    term: str
    variant: str
    pattern: re.Pattern[str]
    reason: str


@dataclass(frozen=True)
class Text:
    """One string a user reads: where it is and what it says."""

    language: str
    file: str
    key: str
    text: str
    sentence: bool = True  # False for the names in the shared files


def _literal_pattern(variant: str) -> str:
    """Return a pattern for a variant written literally: whole words for Latin and Cyrillic."""
    pattern = re.escape(variant)
    if variant[:1].isalpha() and ord(variant[0]) < 0x2E80:
        pattern = r"\b" + pattern
    if variant[-1:].isalpha() and ord(variant[-1]) < 0x2E80:
        pattern += r"\b"
    return pattern


def load_glossary(path: Path) -> tuple[list[Rule], list[dict[str, Any]], list[str]]:
    """Return the rules, the allow entries and the problems of the glossary file itself."""
    if not path.exists():
        return [], [], [f"glossary: {path.name} is missing"]
    data = read_yaml(path)
    rules: list[Rule] = []
    problems: list[str] = []
    languages = data.get("languages") or {}
    for language in LANGUAGES:
        if language not in languages:
            problems.append(f"glossary: no terms for {language}")
    for language, concepts in languages.items():
        if language not in LANGUAGES:
            problems.append(f"glossary: unknown language {language}")
            continue
        for concept, entry in (concepts or {}).items():
            term = str((entry or {}).get("term") or "")
            if not term:
                problems.append(f"glossary [{language}] {concept}: no preferred term")
            for forbidden in (entry or {}).get("forbidden") or []:
                variant = str(forbidden.get("variant") or "")
                if not variant or not forbidden.get("reason"):
                    problems.append(f"glossary [{language}] {concept}: a forbidden variant without variant or reason")
                    continue
                try:
                    pattern = re.compile(forbidden.get("match") or _literal_pattern(variant), re.IGNORECASE)
                except re.error as error:
                    problems.append(f"glossary [{language}] {concept}: bad match for {variant!r}: {error}")
                    continue
                if pattern.search(term):
                    problems.append(
                        f"glossary [{language}] {concept}: the preferred term {term!r} matches "
                        f"its own forbidden variant {variant!r}"
                    )
                rules.append(Rule(language, concept, term, variant, pattern, str(forbidden["reason"])))
    return rules, list(data.get("allow") or []), problems


def _strings(node: Any, key: str, skip: frozenset[str]) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name not in skip:
                yield from _strings(value, f"{key}.{name}" if key else str(name), skip)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{key}[{index}]", skip)
    elif isinstance(node, str):
        yield key, node


def _shared_names(node: Any, key: str, language: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name in SHARED_INTERNAL_FIELDS:
                continue
            child = f"{key}.{name}" if key else str(name)
            if name == language and isinstance(value, str):
                yield child, value
            else:
                yield from _shared_names(value, child, language)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _shared_names(value, f"{key}[{index}]", language)


def _read_yaml(path: Path) -> Any:
    return read_yaml(path) if path.exists() else None


def user_texts(root: Path) -> Iterator[Text]:
    """Yield every string a user reads, in every language; ``root`` is the content directory."""
    repository = root.parent.parent
    domain = _read_yaml(repository / "domain.yml") or {}
    for name, variants in (domain.get("responses") or {}).items():
        for variant in variants or []:
            language = variation_language(variant)
            if isinstance(variant.get("text"), str):
                yield Text(language, "domain.yml", f"responses.{name}[{language}].text", variant["text"])
            for index, button in enumerate(variant.get("buttons") or []):
                if isinstance(button.get("title"), str):
                    yield Text(language, "domain.yml", f"responses.{name}[{language}].buttons[{index}].title", button["title"])
    for language in LANGUAGES:
        for path in sorted((root / language).glob("*.yml")):
            file = path.relative_to(repository).as_posix()
            for key, text in _strings(_read_yaml(path), "", INTERNAL_FIELDS):
                yield Text(language, file, key, text)
    for path in sorted((root / "shared").glob("*.yml")):
        file = path.relative_to(repository).as_posix()
        data = _read_yaml(path)
        for language in LANGUAGES:
            for key, text in _shared_names(data, "", language):
                yield Text(language, file, key, text, sentence=False)


def scannable(text: str, language: str) -> str:
    """Return the text without placeholders, links and (outside Japanese) Japanese quotations.

    Each is replaced by one mark that is neither a letter nor a Japanese character.
    """
    text = _URL.sub(_HIDDEN, _PLACEHOLDER.sub(_HIDDEN, text))
    if language != "ja":
        previous = None
        while previous != text:
            previous, text = text, _JAPANESE_QUOTE.sub(_HIDDEN, text)
    return text


def _excerpt(text: str, start: int, end: int) -> str:
    left, right = max(0, start - 20), min(len(text), end + 20)
    shown = text[left:right].replace("\n", " ").replace(_HIDDEN, "{…}")
    return ("…" if left else "") + shown + ("…" if right < len(text) else "")


def _is_allowed(allow: list[dict[str, Any]], used: set[int], item: Text, variant: str) -> bool:
    for index, entry in enumerate(allow):
        if (entry.get("language"), entry.get("file"), entry.get("key"), entry.get("variant")) == (
            item.language,
            item.file,
            item.key,
            variant,
        ):
            used.add(index)
            return True
    return False


def check_glossary(root: Path) -> list[str]:
    """Return every use of a forbidden term variant; ``root`` is the content directory."""
    rules, allow, problems = load_glossary(root / GLOSSARY_FILE)
    by_language: dict[str, list[Rule]] = {}
    for rule in rules:
        by_language.setdefault(rule.language, []).append(rule)
    used: set[int] = set()
    for item in user_texts(root):
        text = scannable(item.text, item.language)
        where = f"{item.file} {item.key} [{item.language}]"
        taken: list[tuple[int, int]] = []
        for rule in by_language.get(item.language, []):
            for match in rule.pattern.finditer(text):
                if any(start < match.end() and match.start() < end for start, end in taken):
                    continue
                taken.append(match.span())
                if _is_allowed(allow, used, item, rule.variant):
                    continue
                start, end = match.span()
                while end < len(text) and text[end].isalpha() and ord(text[end]) < 0x2E80:
                    end += 1  # show the whole inflected word, not only the stem the pattern needs
                problems.append(
                    f"{where}: {text[start:end]!r} ({rule.concept}); use {rule.term!r}: {rule.reason} "
                    f"— in {_excerpt(text, start, end)!r}"
                )
        if item.language == "zh" and _MIDDLE_DOT in text:
            position = text.index(_MIDDLE_DOT)
            problems.append(
                f"{where}: Japanese middle dot '・' in Chinese text; write '·' (or '、' between "
                f"list items) — in {_excerpt(text, position, position + 1)!r}"
            )
        if item.language == "ja" and item.sentence:
            space = _JAPANESE_SPACE.search(_READING.sub("（）", text))
            if space:
                problems.append(
                    f"{where}: a space between Japanese words; write Japanese without spaces "
                    f"(a reading in parentheses may be spaced) — in "
                    f"{_excerpt(_READING.sub('（）', text), *space.span())!r}"
                )
    for index, entry in enumerate(allow):
        if index not in used:
            problems.append(
                f"glossary: allow entry for {entry.get('file')} {entry.get('key')} "
                f"({entry.get('variant')}) matches nothing; remove it"
            )
    return problems
