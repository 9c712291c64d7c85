"""When to ask "Which do you mean?" instead of answering: the fallback thresholds, measured.

Rasa's FallbackClassifier replaces the intent with nlu_fallback when the classifier's best
confidence is below ``threshold`` or the best two are closer than ``ambiguity_threshold``; the
bot then offers the likeliest procedures as buttons (actions/fallback.py). This module scores
any pair of thresholds on a set of parsed messages (their classifier rankings), so that
`make evaluate ARGS="--tuning-split"` can print a table of pairs and the pair that costs the
users least, and `make evaluate` can say how the configured pair does on both held-out sets
and on the two-topic messages of tests/nlu/real/ambiguous.yml.

What a reading costs the user (the numbers are a judgement, written down so they can be argued
with): a confident wrong answer costs 1 (the user reads a wrong procedure and may act on it);
a clarification whose buttons hold the right procedure costs 0.25 (one more tap); one whose
buttons do not costs 0.5 (the user has to rephrase); a right answer costs nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from bot.paths import PROJECT_ROOT

WRONG_ANSWER_COST = 1.0
CLARIFIED_COST = 0.25
UNHELPFUL_CLARIFICATION_COST = 0.5
BUTTONS = 3  # actions/fallback.py offers up to three procedures ...
BUTTON_CONFIDENCE = 0.05  # ... each read with at least this confidence
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
AMBIGUITIES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)
CALIBRATION_BINS = 10


class Ranked(Protocol):
    """A parsed message: its true intent and the classifier's ranking (nlu_fallback left out)."""

    @property
    def intent(self) -> str:
        """The message's true intent."""

    @property
    def ranking(self) -> tuple[tuple[str, float], ...]:
        """The classifier's intents and confidences, best first."""


@dataclass(frozen=True)
class Thresholds:
    """The FallbackClassifier's two numbers."""

    threshold: float
    ambiguity: float


@dataclass(frozen=True)
class Outcome:
    """What a pair of thresholds does to a set of messages (shares of all messages)."""

    thresholds: Thresholds
    messages: int
    answered_right: float
    answered_wrong: float
    clarified: float
    clarified_needlessly: float  # the best reading was right, yet the bot asked
    cost: float


@dataclass(frozen=True)
class TwoTopicMessage:
    """A message of tests/nlu/real/ambiguous.yml: it asks two procedures at once."""

    text: str
    language: str
    intents: tuple[str, str]


def falls_back(ranking: Sequence[tuple[str, float]], thresholds: Thresholds) -> bool:
    """Whether Rasa's FallbackClassifier would replace this ranking's intent with nlu_fallback."""
    if not ranking:
        return True
    top = ranking[0][1]
    second = ranking[1][1] if len(ranking) > 1 else 0.0
    return top < thresholds.threshold or top - second < thresholds.ambiguity


def offered(ranking: Sequence[tuple[str, float]]) -> set[str]:
    """Return the intents the clarification would offer as buttons."""
    return {name for name, confidence in ranking if confidence >= BUTTON_CONFIDENCE}.intersection(
        name for name, _ in ranking[:BUTTONS]
    )


def outcome(predictions: Sequence[Ranked], thresholds: Thresholds) -> Outcome:
    """Score one pair of thresholds on parsed messages."""
    right = wrong = clarified = needless = 0
    cost = 0.0
    for prediction in predictions:
        best = prediction.ranking[0][0] if prediction.ranking else None
        if falls_back(prediction.ranking, thresholds):
            clarified += 1
            needless += best == prediction.intent
            cost += CLARIFIED_COST if prediction.intent in offered(prediction.ranking) else UNHELPFUL_CLARIFICATION_COST
        elif best == prediction.intent:
            right += 1
        else:
            wrong += 1
            cost += WRONG_ANSWER_COST
    count = max(len(predictions), 1)
    return Outcome(thresholds, len(predictions), right / count, wrong / count, clarified / count, needless / count, cost / count)


def grid(predictions: Sequence[Ranked]) -> list[Outcome]:
    """Score every pair of the grid, cheapest first."""
    outcomes = [outcome(predictions, Thresholds(t, a)) for t in THRESHOLDS for a in AMBIGUITIES]
    return sorted(outcomes, key=lambda item: (round(item.cost, 6), -item.answered_right))


def calibration_error(predictions: Sequence[Ranked], bins: int = CALIBRATION_BINS) -> float | None:
    """Return the expected calibration error of the best reading's confidence (0 is perfect).

    Messages are put in bins by their best confidence; in each bin the gap between the mean
    confidence and the share that was right is weighted by the bin's size.
    """
    scored = [(p.ranking[0][1], p.ranking[0][0] == p.intent) for p in predictions if p.ranking]
    if not scored:
        return None
    error = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [(c, ok) for c, ok in scored if low <= c < high or (index == bins - 1 and c == 1.0)]
        if members:
            confidence = sum(c for c, _ in members) / len(members)
            accuracy = sum(ok for _, ok in members) / len(members)
            error += len(members) / len(scored) * abs(confidence - accuracy)
    return error


def configured_thresholds(config_path: Path) -> Thresholds:
    """Return the FallbackClassifier's thresholds from config.yml (Rasa's defaults if unset)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return Thresholds(float(component.get("threshold", 0.3)), float(component.get("ambiguity_threshold", 0.1)))
    return Thresholds(0.0, 0.0)


def load_two_topic_messages(path: Path, languages: Iterable[str]) -> list[TwoTopicMessage]:
    """Return the two-topic messages of ``path`` in the given languages."""
    wanted = set(languages)
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.exists() else []
    return [
        TwoTopicMessage(str(item["text"]), str(item["language"]), (str(item["intents"][0]), str(item["intents"][1])))
        for item in items
        if item.get("language") in wanted
    ]


def clarification_offered(ranking: Sequence[tuple[str, float]], intents: tuple[str, str], thresholds: Thresholds) -> bool:
    """Whether the bot asks "Which do you mean?" with both of the message's procedures as buttons."""
    return falls_back(ranking, thresholds) and set(intents) <= offered(ranking)


def percent(value: float | None) -> str:
    """Format a share as a percentage."""
    return "n/a" if value is None else f"{100 * value:.1f} %"


def grid_lines(predictions: Sequence[Ranked], configured: Thresholds, rows: int = 12) -> list[str]:
    """Return the Markdown table of the cheapest threshold pairs, with the configured pair marked."""
    outcomes = grid(predictions)
    chosen = outcome(predictions, configured)
    lines = [
        "| threshold | ambiguity | answered right | answered wrong | clarified | clarified needlessly | cost |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    shown = outcomes[:rows]
    if all(item.thresholds != configured for item in shown):
        shown = [*shown, chosen]
    for item in shown:
        mark = " (config.yml)" if item.thresholds == configured else ""
        lines.append(
            f"| {item.thresholds.threshold:.2f}{mark} | {item.thresholds.ambiguity:.2f} | {percent(item.answered_right)} | "
            f"{percent(item.answered_wrong)} | {percent(item.clarified)} | {percent(item.clarified_needlessly)} | {item.cost:.3f} |"
        )
    return lines


def summary_row(name: str, predictions: Sequence[Ranked], configured: Thresholds) -> str:
    """Return one Markdown row: how the configured pair does on a set of messages."""
    result = outcome(predictions, configured)
    return (
        f"| {name} | {result.messages} | {percent(result.answered_right)} | {percent(result.answered_wrong)} | "
        f"{percent(result.clarified)} | {percent(result.clarified_needlessly)} | {_fmt(calibration_error(predictions))} |"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def two_topic_lines(rankings: Sequence[tuple[TwoTopicMessage, Sequence[tuple[str, float]]]], configured: Thresholds) -> list[str]:
    """Return per-language lines: how often both topics of a two-topic message are offered."""
    lines = ["| language | two-topic messages | clarification fires | both procedures offered |", "| --- | --- | --- | --- |"]
    languages = sorted({message.language for message, _ in rankings})
    for language in [*languages, "all"]:
        subset = [(m, r) for m, r in rankings if language == "all" or m.language == language]
        if not subset:
            continue
        fires = sum(falls_back(r, configured) for _, r in subset) / len(subset)
        both = sum(clarification_offered(r, m.intents, configured) for m, r in subset) / len(subset)
        lines.append(f"| {language} | {len(subset)} | {percent(fires)} | {percent(both)} |")
    return lines


@dataclass(frozen=True)
class StoredRanking:
    """A line of the rankings file `make evaluate` writes (language, true intent, ranking)."""

    language: str
    intent: str
    ranking: tuple[tuple[str, float], ...]


def load_rankings(path: Path) -> list[StoredRanking]:
    """Read a rankings file (reports/nlu-tuning/rankings.jsonl)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        StoredRanking(row["language"], row["intent"], tuple((str(name), float(c)) for name, c in row["ranking"])) for row in rows
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print every pair of thresholds scored on a rankings file, cheapest first, per language too."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bot.devtools.nlu_calibration reports/nlu-tuning/rankings.jsonl", file=sys.stderr)
        return 2
    rankings = load_rankings(Path(args[0]))
    configured = configured_thresholds(PROJECT_ROOT / "config.yml")
    print("\n".join(grid_lines(rankings, configured, rows=len(THRESHOLDS) * len(AMBIGUITIES))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
