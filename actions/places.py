"""Find the place a user names in free text: a prefecture spelling or a big city, any language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Suffixes that people may or may not type after a prefecture or city name.
_CJK_SUFFIXES = ("県", "府", "都", "县", "市")
_LATIN_SUFFIXES = ("-ken", " ken", " prefecture", "-fu", " fu", "-to", " city", "-shi", " shi")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_place(text: str) -> str:
    """Lowercase, fold accents (ō → o) and collapse spaces."""
    folded = unicodedata.normalize("NFKD", text.strip().lower())
    without_marks = "".join(char for char in folded if not unicodedata.combining(char))
    # Re-compose so that Cyrillic й/ї and kana with dakuten stay single characters.
    return " ".join(unicodedata.normalize("NFC", without_marks).split())


def place_name_variants(name: str) -> set[str]:
    """Return the spellings of a place name worth matching: as written and without its suffix."""
    base = normalize_place(name)
    variants = {base}
    for suffix in _CJK_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            variants.add(base[: -len(suffix)])
    for suffix in _LATIN_SUFFIXES:
        if base.endswith(suffix):
            variants.add(base[: -len(suffix)])
    return {variant for variant in variants if variant}


# Russian and Ukrainian decline place names ("в Осаке", "у Фукуоці", "в Сендае"): the final
# vowel changes, and in Ukrainian к/г/х before -і become ц/з/с.
_SLAVIC_VOWELS = "аяоеиіїйуюы"
_ALTERNATIONS = {"к": "ц", "г": "з", "х": "с"}


@lru_cache(maxsize=8192)
def _alias_pattern(alias: str) -> re.Pattern[str]:
    if _CJK.search(alias):
        return re.compile(re.escape(alias))
    if re.search(r"[а-яёіїєґ]", alias) and len(alias) >= 4 and alias[-1] in _SLAVIC_VOWELS:
        stem = alias[:-1]
        stems = {stem}
        if stem[-1] in _ALTERNATIONS:
            stems.add(stem[:-1] + _ALTERNATIONS[stem[-1]])
        choice = "|".join(re.escape(s) for s in sorted(stems))
        return re.compile(rf"(?<!\w)(?:{choice})\w{{0,2}}(?!\w)")
    return re.compile(rf"(?<!\w){re.escape(alias)}(?!\w)")


def find_place_alias(text: str, aliases: Iterable[str]) -> str | None:
    """Return the longest alias that occurs in ``text`` as a place name, or None."""
    normalized = normalize_place(text)
    found = [alias for alias in aliases if alias and _alias_pattern(alias).search(normalized)]
    return max(found, key=len) if found else None
