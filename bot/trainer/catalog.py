"""The intents a trainer can assign a message to, with their descriptions from docs/intents.md.

docs/intents.md is the one description of what each intent means (its tables "Procedure
intents" and "Conversation intents"); the catalogue keeps its order. An intent is labelable
when domain.yml lists it and it has training examples in `nlu_data/` (in some language): the
intents that only buttons send (`resume_flow`, `switch_flow`, the 👍/👎 feedback) have none and
are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.devtools.nlu_data import NLU_DATA_DIR
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT

INTENTS_DOC = PROJECT_ROOT / "docs" / "intents.md"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_ROW = re.compile(r"^\|\s*([a-z][a-z0-9_]*)\s*\|\s*(.*?)\s*\|")
_HEADING = re.compile(r"^#+\s+(.*)$")


@dataclass(frozen=True)
class IntentEntry:
    """One labelable intent: its name, what it means (docs/intents.md) and its table's heading."""

    name: str
    description: str
    group: str  # "Procedure intents (answered from the procedures database)", "Conversation intents"


_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, when PyYAML has it: domain.yml is large
_domain_cache: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}


def read_domain(domain_file: Path = DOMAIN_FILE) -> dict[str, Any]:
    """Return domain.yml parsed, read again only when the file changed."""
    status = domain_file.stat()
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _domain_cache.get(domain_file)
    if cached is None or cached[0] != stamp:
        loaded = yaml.load(domain_file.read_text(encoding="utf-8"), Loader=_SafeLoader)  # a safe loader
        cached = (stamp, loaded if isinstance(loaded, dict) else {})
        _domain_cache[domain_file] = cached
    return cached[1]


def domain_intents(domain_file: Path = DOMAIN_FILE) -> list[str]:
    """Return the intents domain.yml lists, in its order."""
    return [
        next(iter(entry)) if isinstance(entry, dict) else str(entry) for entry in read_domain(domain_file).get("intents") or []
    ]


def trained_intents(data_dir: Path = NLU_DATA_DIR) -> set[str]:
    """Return the intents that have a training data file in some language folder."""
    return {path.stem for language in LANGUAGES for path in (data_dir / language).glob("*.yml")}


def labelable_intents(data_dir: Path = NLU_DATA_DIR, domain_file: Path = DOMAIN_FILE) -> list[str]:
    """Return the intents an example may be saved under: in domain.yml and trained in some language."""
    trained = trained_intents(data_dir)
    return [intent for intent in domain_intents(domain_file) if intent in trained and INTENT_NAME.match(intent)]


@lru_cache(maxsize=1)
def _described(doc: Path = INTENTS_DOC) -> tuple[IntentEntry, ...]:
    entries: list[IntentEntry] = []
    group = ""
    for line in doc.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            group = heading.group(1).strip()
            continue
        row = _ROW.match(line)
        if row and row.group(1) != "intent":
            entries.append(IntentEntry(row.group(1), row.group(2).replace("\\|", "|"), group))
    return tuple(entries)


def intent_catalog(data_dir: Path = NLU_DATA_DIR, domain_file: Path = DOMAIN_FILE, doc: Path = INTENTS_DOC) -> list[IntentEntry]:
    """Return the labelable intents with their descriptions, in docs/intents.md's order.

    A labelable intent that docs/intents.md does not describe comes last, with an empty description.
    """
    labelable = labelable_intents(data_dir, domain_file)
    described = [entry for entry in _described(doc) if entry.name in labelable]
    named = {entry.name for entry in described}
    return [*dict({entry.name: entry for entry in described}).values()] + [
        IntentEntry(intent, "", "") for intent in labelable if intent not in named
    ]
