"""Remove identity document numbers from text before it is stored.

The assistant never asks for residence card, passport or My Number numbers; when a user sends
one anyway it is neither repeated nor kept.
"""

from __future__ import annotations

import re

REMOVED = "[number removed]"
_DOCUMENT_NUMBERS = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"[A-Za-z]{2}\s?\d{8}\s?[A-Za-z]{2}"  # residence card: two letters, eight digits, two letters
    r"|[A-Za-z]{1,2}\d{7,8}"  # passport
    r"|\d{4}\s?\d{4}\s?\d{4}"  # My Number: twelve digits
    r")(?![A-Za-z0-9])"
)


def redact_document_numbers(text: str) -> str:
    """Replace anything shaped like a residence card, passport or My Number number."""
    return _DOCUMENT_NUMBERS.sub(REMOVED, text)
