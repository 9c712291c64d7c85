"""Check the NLU training data before training: what a trainer can get wrong by hand.

`python -m bot.devtools.nlu_check` (or `make check-nlu`) prints one line per problem, with the file
and the example, and exits with 1 if there is any:

- an intent of domain.yml that is missing, or thin (fewer than 30 examples), in a language;
- an example filed under the wrong language folder (the project's LanguageIdentifier
  disagrees; only where detection is meaningful, see ``detection_is_meaningful``);
- exact or near duplicates within a language (equal once normalised, or nearly equal
  character by character);
- the same example under two intents (in any language folders);
- a held-out message of tests/nlu/ that also appears in the training data;
- whatever `rasa data validate --fail-on-warnings` rejects.

The rule functions need only PyYAML and lingua, so they import and run without Rasa (the
tests run them in the app environment); `rasa data validate` is only called from ``main``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Protocol

import yaml

from bot.devtools.nlu_data import (
    HELD_OUT_DIR,
    NLU_DATA_DIR,
    Example,
    load_held_out,
    load_training_data,
    strip_annotations,
)
from bot.feedback import FEEDBACK_INTENTS
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT, rasa_executable

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"

MIN_EXAMPLES = 30
# The identifier is sure when script, unique letters or two or more distinguishing words or
# characters decide; below this it is guessing between two close languages (ru/uk, zh/ja).
SURE_LANGUAGE = 0.8
NEAR_DUPLICATE_RATIO = 0.95
# Below this many characters (normalised), only exact duplicates count: "yes pls" and
# "yes plz" are different ways people write, not a copy-paste slip.
NEAR_DUPLICATE_MIN_LENGTH = 12

_CJK = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f]")
_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+")
_PAYLOAD_INTENT = re.compile(r"/(\w+)")


@dataclass(frozen=True)
class Problem:
    """One problem found in the data, printed as a single line."""

    path: Path
    message: str
    example: str = ""
    line: int | None = None

    def __str__(self) -> str:
        example = f": {self.example!r}" if self.example else ""
        where = f"{_display_path(self.path)}:{self.line}" if self.line else _display_path(self.path)
        return f"{where}: {self.message}{example}"


class Identifier(Protocol):
    """Anything with the project's ``LanguageIdentifier.detect`` signature."""

    def detect(self, text: str, prior: str | None = None) -> _Detection:
        """Return the detected language of ``text`` and how sure the detector is."""


class _Detection(Protocol):
    @property
    def language(self) -> str: ...

    @property
    def confidence(self) -> float: ...


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def load_domain_intents(domain_path: Path) -> list[str]:
    """Return the intent names listed in a Rasa domain file."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    intents: list[str] = []
    for entry in domain.get("intents") or []:
        intents.append(next(iter(entry)) if isinstance(entry, dict) else str(entry))
    return intents


def load_button_intents(domain_path: Path) -> set[str]:
    """Return the intents that buttons send as payloads: the domain's buttons ("/inform{...}")
    and the front ends' "Was this helpful? 👍 / 👎" buttons (bot/feedback.py)."""
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8")) or {}
    intents: set[str] = set(FEEDBACK_INTENTS)
    for variations in (domain.get("responses") or {}).values():
        for variation in variations or []:
            for button in (variation or {}).get("buttons") or []:
                match = _PAYLOAD_INTENT.match(str(button.get("payload", "")))
                if match:
                    intents.add(match.group(1))
    return intents


def normalize(text: str) -> str:
    """Return ``text`` folded for comparison: NFKC, case-folded, punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION_OR_SPACE.sub(" ", folded).strip()


def cjk_characters(text: str) -> int:
    """Count the Chinese and Japanese characters (Han and kana) of ``text``."""
    return len(_CJK.findall(text))


def detection_is_meaningful(text: str) -> bool:
    """Tell whether a message is long enough to judge its language: 2+ words or 4+ CJK characters."""
    return len(text.split()) >= 2 or cjk_characters(text) >= 4


def is_latin_only(text: str) -> bool:
    """Tell whether ``text`` has no letters outside the Latin script (romaji, English words)."""
    return not _NON_LATIN_LETTER.search(text)


def check_coverage(
    examples: Iterable[Example],
    intents: Sequence[str],
    languages: Sequence[str],
    data_dir: Path,
    button_only: Iterable[str] = (),
    minimum: int = MIN_EXAMPLES,
) -> list[Problem]:
    """Return a problem for each intent that is missing or has fewer than ``minimum`` examples in a language."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    known = set(intents)
    problems: list[Problem] = []
    for example in examples:
        counts[(example.language, example.intent)] += 1
        if example.intent not in known:
            problems.append(Problem(example.path, f"intent {example.intent!r} is not in domain.yml"))
    trained = {intent for _, intent in counts}
    # An intent that only buttons send ("/inform{...}") needs no examples, in no language.
    expected = [intent for intent in intents if intent in trained or intent not in set(button_only)]
    for language in languages:
        for intent in expected:
            count = counts[(language, intent)]
            path = data_dir / language / f"{intent}.yml"
            if count == 0:
                problems.append(Problem(path, f"intent {intent!r} has no examples in {language}"))
            elif count < minimum:
                problems.append(Problem(path, f"intent {intent!r} is thin in {language}: {count} examples (< {minimum})"))
    return list(dict.fromkeys(problems))  # one line per unknown intent and file


def check_languages(examples: Iterable[Example], identifier: Identifier, sure: float = SURE_LANGUAGE) -> list[Problem]:
    """Return a problem for each example that the identifier is sure belongs to another language."""
    problems: list[Problem] = []
    for example in examples:
        if not detection_is_meaningful(example.text):
            continue
        if example.language != "en" and is_latin_only(example.text):
            continue  # romaji and English words are normal in every language's messages
        detection = identifier.detect(example.text)
        if detection.language != example.language and detection.confidence >= sure:
            problems.append(Problem(example.path, f"example looks {detection.language}, not {example.language}", example.text))
    return problems


def _could_be_near(a: str, b: str, ratio: float) -> bool:
    return 2 * min(len(a), len(b)) / (len(a) + len(b)) >= ratio


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


def _similar(a: str, b: str, ratio: float, bigrams_a: frozenset[str], bigrams_b: frozenset[str]) -> bool:
    # Each edit changes at most two bigrams, so nearly equal texts share most of them; the
    # set intersection is a cheap filter before the character-by-character comparison.
    if 2 * len(bigrams_a & bigrams_b) < ratio * (len(bigrams_a) + len(bigrams_b)) - 4 * (1 - ratio) * len(a + b):
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= ratio


def check_duplicates(
    examples: Iterable[Example],
    ratio: float = NEAR_DUPLICATE_RATIO,
    min_length: int = NEAR_DUPLICATE_MIN_LENGTH,
) -> list[Problem]:
    """Return a problem for each example that repeats, or nearly repeats, another of its language."""
    by_language: dict[str, list[tuple[str, Example]]] = defaultdict(list)
    order: dict[Example, int] = {}
    for example in examples:
        order.setdefault(example, len(order))
        by_language[example.language].append((normalize(example.text), example))
    problems: list[Problem] = []
    for items in by_language.values():
        items.sort(key=lambda item: len(item[0]))
        bigrams = [_bigrams(key) for key, _ in items]
        seen: dict[str, Example] = {}
        for index, (key, example) in enumerate(items):
            if key in seen:
                first = seen[key]
                problems.append(Problem(example.path, f"duplicate of {first.text!r} ({first.intent})", example.text))
                continue
            seen[key] = example
            if len(key) < min_length:
                continue
            for other_index in range(index - 1, -1, -1):
                other_key, other = items[other_index]
                if not _could_be_near(other_key, key, ratio):
                    break  # sorted by length: every earlier one is shorter still
                if (
                    len(other_key) >= min_length
                    and other_key != key
                    and _similar(other_key, key, ratio, bigrams[other_index], bigrams[index])
                ):
                    first, second = (other, example) if order[other] < order[example] else (example, other)
                    problems.append(Problem(second.path, f"near duplicate of {first.text!r} ({first.intent})", second.text))
                    break
    return problems


def check_cross_intent(examples: Iterable[Example]) -> list[Problem]:
    """Return a problem for each example text filed under two or more intents."""
    intents: dict[str, dict[str, Example]] = defaultdict(dict)
    for example in examples:
        intents[normalize(example.text)].setdefault(example.intent, example)
    problems: list[Problem] = []
    for key, by_intent in intents.items():
        if key and len(by_intent) > 1:
            names = ", ".join(sorted(by_intent))
            for example in by_intent.values():
                problems.append(Problem(example.path, f"same example under intents {names}", example.text))
    return problems


def example_line(example: Example) -> int | None:
    """Return the 1-based line of ``example`` in its file (the first "- " item with its text), if found."""
    wanted = normalize(example.text)
    for number, line in enumerate(example.path.read_text(encoding="utf-8").splitlines(), start=1):
        item = line.strip()
        if item.startswith("- ") and normalize(strip_annotations(item[2:]).strip()) == wanted:
            return number
    return None


def check_held_out_overlap(training: Iterable[Example], held_out: Iterable[Example]) -> list[Problem]:
    """Return a problem for each held-out message (2+ words or 4+ CJK characters) that is also in the training data.

    The problem names the training file and line and the held-out file and line, never the text:
    whoever reads the data check must not learn the held-out messages from it.
    """
    trained = {normalize(example.text): example for example in training}
    problems: list[Problem] = []
    for message in held_out:
        # One word ("ok", "yes", "/help", "zaitoku") is said by everybody, not copied.
        if not detection_is_meaningful(message.text):
            continue
        found = trained.get(normalize(message.text))
        if found is not None:
            held_out_line = example_line(message)
            held_out_at = _display_path(message.path) + (f":{held_out_line}" if held_out_line else "")
            problems.append(
                Problem(found.path, f"this example is a held-out message ({held_out_at}); remove it", line=example_line(found))
            )
    return problems


def check_data(
    data_dir: Path,
    held_out_dir: Path,
    domain_path: Path,
    identifier: Identifier,
    languages: Sequence[str] = LANGUAGES,
    minimum: int = MIN_EXAMPLES,
) -> list[Problem]:
    """Run every data rule (all but `rasa data validate`) and return the problems."""
    examples = load_training_data(data_dir, languages)
    intents = load_domain_intents(domain_path)
    return [
        *check_coverage(examples, intents, languages, data_dir, load_button_intents(domain_path), minimum),
        *check_languages(examples, identifier),
        *check_duplicates(examples),
        *check_cross_intent(examples),
        *check_held_out_overlap(
            examples, [*load_held_out(held_out_dir, languages), *load_held_out(held_out_dir / "real", languages)]
        ),
    ]


_WARNING = re.compile(r"(?:UserWarning|WARNING|ERROR)\W+(.*)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_QUOTED = re.compile(r"'([^']*)'")


def parse_validate_output(output: str) -> list[str]:
    """Return the warnings and errors that `rasa data validate` printed, one per line."""
    messages: list[str] = []
    for line in _ANSI.sub("", output).splitlines():
        if "site-packages" in line and "UserWarning" not in line:
            continue  # library deprecation notices, not about the data
        match = _WARNING.search(line)
        if match and match.group(1).strip():
            messages.append(match.group(1).strip())
    return list(dict.fromkeys(messages))


def group_notes(messages: Sequence[str]) -> list[str]:
    """Return the warnings with one line per kind ("The utterance '…' is not used ...: 12 names")."""
    groups: dict[str, list[str]] = defaultdict(list)
    for message in messages:
        names = _QUOTED.findall(message)
        groups[_QUOTED.sub("'…'", message) if len(names) == 1 else message].extend(names[:1] if len(names) == 1 else [])
    return [f"{kind} ({len(names)}: {', '.join(sorted(names))})" if names else kind for kind, names in groups.items()]


_MISSING_INTENT = re.compile(r"The intent '([^']+)' is listed in the domain file, but is not found in the NLU training data")


def _is_missing_button_intent(message: str, button_only: set[str]) -> bool:
    match = _MISSING_INTENT.search(message)
    return match is not None and match.group(1) in button_only


def run_rasa_validate(
    data_dir: Path = NLU_DATA_DIR, domain_path: Path = DOMAIN_FILE, root: Path = PROJECT_ROOT
) -> tuple[list[Problem], list[str]]:
    """Run `rasa data validate --fail-on-warnings`; return its failures and its non-failing warnings."""
    command = [
        str(rasa_executable()),
        "data",
        "validate",
        "--fail-on-warnings",
        "--config",
        str(root / "config.yml"),
        "--domain",
        str(domain_path),
        "--data",
        str(data_dir),
        str(root / "stories"),
    ]
    environment = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    try:
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, env=environment, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        return [Problem(root / "config.yml", f"rasa data validate could not run: {error}")], []
    # An intent that only buttons send has no examples on purpose (see check_coverage).
    button_only = load_button_intents(domain_path)
    messages = [
        message
        for message in parse_validate_output(result.stdout + result.stderr)
        if not _is_missing_button_intent(message, button_only)
    ]
    if result.returncode == 0 or not messages:
        return [], messages
    found = messages or [f"exit code {result.returncode}"]
    return [Problem(domain_path, f"rasa data validate: {message}") for message in found], []


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.nlu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=NLU_DATA_DIR, help="training data folder (nlu_data)")
    parser.add_argument("--held-out", type=Path, default=HELD_OUT_DIR, help="held-out folder (tests/nlu)")
    parser.add_argument("--domain", type=Path, default=DOMAIN_FILE, help="domain file with the intent list")
    parser.add_argument("--min-examples", type=int, default=MIN_EXAMPLES, help="fewest examples per intent and language")
    parser.add_argument("--skip-rasa", action="store_true", help="do not run `rasa data validate`")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Check the data; print each problem on one line; return 1 if there is any."""
    from bot.nlu.language_id import LanguageIdentifier

    args = build_parser().parse_args(argv)
    problems = check_data(args.data, args.held_out, args.domain, LanguageIdentifier.build(), minimum=args.min_examples)
    notes: list[str] = []
    if not args.skip_rasa:
        rasa_problems, notes = run_rasa_validate(args.data, args.domain)
        problems.extend(rasa_problems)
    for problem in problems:
        print(problem)
    for note in group_notes(notes):
        print(f"note (rasa data validate, not failing): {note}")
    examples = len(load_training_data(args.data))
    print(f"{len(problems)} problem(s) found." if problems else f"NLU data is clean ({examples} examples).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
