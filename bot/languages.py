"""The five languages the assistant speaks, shared by every process."""

from typing import Final

LANGUAGES: Final[tuple[str, ...]] = ("en", "ru", "uk", "zh", "ja")
DEFAULT_LANGUAGE: Final[str] = "en"


def normalize_language(code: str | None) -> str | None:
    """Return one of LANGUAGES for a code such as 'ru-RU' or 'zh-hans', or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None
