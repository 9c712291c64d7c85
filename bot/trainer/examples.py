"""Check a new training example the way `make check-nlu` would, and save it into nlu_data/.

``check_example`` runs the data check's own rules (bot/devtools/nlu_check.py, the same
functions on the same files) on the training data plus the new example and keeps what they say
about the new one, so the console and `make check-nlu` agree:

- ``unknown_language`` / ``unknown_intent``: only the five languages, and only intents that
  domain.yml lists and that have training data (docs/intents.md's catalogue);
- ``empty``, ``markup`` (Rasa's entity markup "[x](y)" would be read as an annotation),
  ``payload`` ("/intent" is a button's message, not an example);
- ``wrong_language``: the project's language identifier (bot/nlu/language_id.py) is sure the
  text is in another language;
- ``duplicate`` / ``near_duplicate``: already an example of this intent and language (equal once
  normalised, or nearly equal character by character);
- ``other_intent``: the same text is an example of another intent (in any language folder);
- ``held_out``: the text is a held-out evaluation message (tests/nlu/): it must never be
  trained on. The finding names the file and line, never the text.

Every finding above blocks the save. ``add_example`` saves one example as one added line at the
end of the intent's `examples: |` block (creating `nlu_data/<lang>/<intent>.yml` in the
project's layout if the intent has no file in that language), through a ruamel.yaml round trip
that keeps the file's layout and comments, and writes atomically (a temporary file renamed over
the old one). It refuses anything but one new line: the diff is always that line.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.devtools import nlu_check
from bot.devtools.nlu_data import HELD_OUT_DIR, NLU_DATA_DIR, Example, read_nlu_file, strip_annotations
from bot.languages import LANGUAGES
from bot.trainer.catalog import DOMAIN_FILE, INTENT_NAME, labelable_intents

MAX_LENGTH = 1000
NEW_FILE = 'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n    - {text}\n'
_write_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    """What the data check says about a new example."""

    kind: str  # "unknown_language" | "unknown_intent" | "empty" | "wrong_language" | "duplicate" | "other_intent" | ...
    message: str  # one English sentence naming the problem (file:line where useful)
    blocking: bool  # True: the example must not be saved as it is


class ExampleRejected(ValueError):
    """The example cannot be saved; ``findings`` say why (the message joins them)."""

    def __init__(self, findings: list[Finding]) -> None:
        """Keep the blocking findings."""
        super().__init__(" ".join(finding.message for finding in findings))
        self.findings = findings


def clean_text(text: str) -> str:
    """Return the example as one line: every run of white space (new lines included) becomes one space."""
    return " ".join(str(text).split())


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from bot.nlu.language_id import LanguageIdentifier

    return LanguageIdentifier.build()


def _display(path: Path, data_dir: Path) -> str:
    """Return a path as the maintainer sees it: relative to the project (or to the data folder's parent)."""
    shown = nlu_check._display_path(path)
    if Path(shown).is_absolute():
        try:
            return str(path.resolve().relative_to(data_dir.resolve().parent))
        except ValueError:
            return str(path)
    return shown


def _where(example: Example, data_dir: Path) -> str:
    line = nlu_check.example_line(example)
    return _display(example.path, data_dir) + (f":{line}" if line else "")


_file_cache: dict[Path, tuple[tuple[int, int], list[Example]]] = {}


def _read_cached(path: Path, language: str) -> list[Example]:
    """Read an NLU file as the data check does (nlu_data.read_nlu_file), again only when it changed."""
    status = path.stat()
    stamp = (status.st_mtime_ns, status.st_size)
    cached = _file_cache.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, read_nlu_file(path, language))
        _file_cache[path] = cached
    return cached[1]


def _training_data(data_dir: Path) -> list[Example]:
    """Return every training example (load_training_data's files and order), re-reading only changed files."""
    return [
        example
        for language in LANGUAGES
        for path in sorted((data_dir / language).glob("*.y*ml"))
        for example in _read_cached(path, language)
    ]


def _held_out(held_out_dir: Path) -> list[Example]:
    """Return the held-out messages (tests/nlu/<lang>.yml and tests/nlu/real/<lang>.yml), as the data check reads them."""
    paths = [(folder / f"{language}.yml", language) for folder in (held_out_dir, held_out_dir / "real") for language in LANGUAGES]
    return [example for path, language in paths if path.exists() for example in _read_cached(path, language)]


def _near_duplicate(wanted: str, examples: list[Example]) -> Example | None:
    """Return the first example nearly equal to the normalised text ``wanted``, by the data check's own test."""
    ratio = nlu_check.NEAR_DUPLICATE_RATIO
    bigrams = nlu_check._bigrams(wanted)
    for example in examples:
        key = nlu_check.normalize(example.text)
        if (
            len(key) >= nlu_check.NEAR_DUPLICATE_MIN_LENGTH
            and key != wanted
            and nlu_check._could_be_near(key, wanted, ratio)
            and nlu_check._similar(key, wanted, ratio, nlu_check._bigrams(key), bigrams)
        ):
            return example
    return None


def _basic_findings(text: str, language: str, intent: str, data_dir: Path, domain_file: Path) -> list[Finding]:
    findings: list[Finding] = []
    if language not in LANGUAGES:
        findings.append(Finding("unknown_language", f"Unknown language {language!r}: use one of {', '.join(LANGUAGES)}.", True))
    if not INTENT_NAME.match(intent or "") or intent not in labelable_intents(data_dir, domain_file):
        findings.append(
            Finding("unknown_intent", f"Unknown intent {intent!r}: use an intent of domain.yml that has training data.", True)
        )
    if not text:
        findings.append(Finding("empty", "The example is empty.", True))
    elif len(text) > MAX_LENGTH:
        findings.append(Finding("too_long", f"The example is longer than {MAX_LENGTH} characters.", True))
    elif text.startswith("/"):
        findings.append(Finding("payload", "The example starts with '/', which Rasa reads as a button's intent.", True))
    elif strip_annotations(text) != text:
        findings.append(Finding("markup", "The example contains Rasa entity markup such as [text](entity).", True))
    elif any(unicodedata.category(character) in ("Cc", "Cs") for character in text):
        findings.append(Finding("control_characters", "The example contains control characters.", True))
    return findings


def check_example(
    text: str,
    language: str,
    intent: str,
    data_dir: Path = NLU_DATA_DIR,
    *,
    held_out_dir: Path = HELD_OUT_DIR,
    domain_file: Path = DOMAIN_FILE,
) -> list[Finding]:
    """Return what `make check-nlu` would say about adding ``text`` to ``nlu_data/<language>/<intent>.yml``."""
    text = clean_text(text)
    findings = _basic_findings(text, language, intent, data_dir, domain_file)
    if findings:
        return findings
    target = data_dir / language / f"{intent}.yml"
    new = Example(text, intent, language, target)
    training = _training_data(data_dir)

    for problem in nlu_check.check_languages([new], _identifier()):
        detected = problem.message.split()[2].rstrip(",")  # "example looks ru, not uk"
        findings.append(
            Finding("wrong_language", f"The example looks {detected}, not {language}: it belongs in nlu_data/{detected}/.", True)
        )

    wanted = nlu_check.normalize(text)
    same_text = [example for example in training if nlu_check.normalize(example.text) == wanted]
    for example in same_text:
        if example.intent == intent and example.language == language:
            findings.append(Finding("duplicate", f"Already an example of {intent}: {_where(example, data_dir)}.", True))
            break
    others = {example.intent: example for example in same_text if example.intent != intent}
    for other_intent, example in sorted(others.items()):
        findings.append(
            Finding("other_intent", f"Already an example of another intent, {other_intent}: {_where(example, data_dir)}.", True)
        )
    if not same_text and len(wanted) >= nlu_check.NEAR_DUPLICATE_MIN_LENGTH:
        # The data check's near-duplicate rule (check_duplicates), for the one new example.
        near = _near_duplicate(wanted, [example for example in training if example.language == language])
        if near is not None:
            findings.append(
                Finding("near_duplicate", f"Nearly the same as an example of {near.intent}: {_where(near, data_dir)}.", True)
            )

    # The data check's held-out rule (check_held_out_overlap): one-word messages are said by everybody.
    for message in _held_out(held_out_dir):
        if nlu_check.detection_is_meaningful(message.text) and nlu_check.normalize(message.text) == wanted:
            # The place, never the text: whoever reads this must not learn the held-out messages.
            place = _where(message, data_dir)
            findings.append(
                Finding("held_out", f"This is a held-out evaluation message ({place}): it must never be used for training.", True)
            )
            break
    return findings


def _yaml() -> YAML:
    round_trip = YAML()  # round trip: comments, order and scalar styles are kept
    round_trip.preserve_quotes = True
    round_trip.width = 1 << 20  # never fold a long line
    round_trip.indent(mapping=2, sequence=2, offset=0)  # the project's layout: "- intent:" under "nlu:"
    return round_trip


def target_path(language: str, intent: str, data_dir: Path = NLU_DATA_DIR) -> Path:
    """Return ``data_dir/<language>/<intent>.yml``, refusing any name that could leave that folder."""
    if language not in LANGUAGES:
        raise ExampleRejected([Finding("unknown_language", f"Unknown language {language!r}.", True)])
    if not INTENT_NAME.match(intent or ""):
        raise ExampleRejected([Finding("unknown_intent", f"Unknown intent {intent!r}.", True)])
    folder = (data_dir / language).resolve()
    path = (folder / f"{intent}.yml").resolve()
    if path.parent != folder:
        raise ExampleRejected([Finding("unknown_intent", f"Unknown intent {intent!r}.", True)])
    return data_dir / language / f"{intent}.yml"


def _with_example(original: str, intent: str, text: str, path: Path) -> str:
    """Return the file's text with one example added to the intent's block, through a ruamel.yaml round trip."""
    round_trip = _yaml()
    try:
        data = round_trip.load(original)
    except YAMLError as error:
        raise ValueError(f"{path.name} is not valid YAML: {str(error).splitlines()[0]}") from None
    blocks = data.get("nlu") if isinstance(data, CommentedMap) else None
    if not isinstance(blocks, CommentedSeq):
        raise ValueError(f"{path.name} has no nlu: list")
    block = next((item for item in blocks if isinstance(item, CommentedMap) and item.get("intent") == intent), None)
    if block is None:
        block = CommentedMap([("intent", intent), ("examples", LiteralScalarString(""))])
        blocks.append(block)
    examples = block.get("examples")
    if examples is None:
        examples = LiteralScalarString("")
    if not isinstance(examples, LiteralScalarString):
        raise ValueError(f"{path.name}: the examples of {intent} are not a literal block (examples: |)")
    body = str(examples)
    if body and not body.endswith("\n"):
        body += "\n"
    block["examples"] = LiteralScalarString(f"{body}- {text}\n")
    out = io.StringIO()
    round_trip.dump(data, out)
    return out.getvalue()


def _one_line_added(before: str, after: str) -> bool:
    """Tell whether ``after`` is ``before`` with exactly one line inserted, every other byte unchanged."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    if len(new) != len(old) + 1:
        return False
    first = next((index for index, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), len(old))
    return new[:first] + new[first + 1 :] == old


def _last_example(document: str, intent: str) -> str | None:
    """Return the last example of ``intent`` as the data check reads the file (PyYAML), or None."""
    try:
        data = yaml.safe_load(document) or {}
    except yaml.YAMLError:
        return None
    for block in data.get("nlu") or []:
        if isinstance(block, dict) and block.get("intent") == intent and isinstance(block.get("examples"), str):
            lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
            return lines[-1] if lines else None
    return None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_example(
    text: str,
    language: str,
    intent: str,
    data_dir: Path = NLU_DATA_DIR,
    *,
    held_out_dir: Path = HELD_OUT_DIR,
    domain_file: Path = DOMAIN_FILE,
) -> Path:
    """Save ``text`` as an example of ``intent`` in ``data_dir/<language>/<intent>.yml``; return the file.

    Raises ``ExampleRejected`` (with the findings) if the data check blocks the example, and
    ``ValueError`` if the file cannot be changed by exactly one added line.
    """
    path = target_path(language, intent, data_dir)
    text = clean_text(text)
    blocking = [
        finding
        for finding in check_example(text, language, intent, data_dir, held_out_dir=held_out_dir, domain_file=domain_file)
        if finding.blocking
    ]
    if blocking:
        raise ExampleRejected(blocking)
    with _write_lock:
        if path.exists():
            original = path.read_text(encoding="utf-8")
            updated = _with_example(original, intent, text, path)
            if not _one_line_added(original, updated) or _last_example(updated, intent) != text:
                raise ValueError(f"{path.name} cannot take the example as one added line; add it by hand")
        else:
            updated = NEW_FILE.format(intent=intent, text=text)
            if _last_example(updated, intent) != text:  # the text must stay one plain line
                raise ValueError("the example cannot be written as one line of a literal block")
        _write_atomically(path, updated)
    return path
