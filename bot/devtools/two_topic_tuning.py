"""Choose when the parts of a message make it two-topic, on the tuning split (never on a held-out set).

    .venv/rasa/bin/python -m bot.devtools.two_topic_tuning reports/nlu-tuning/models/ours-*.tar.gz

The model is the one `make evaluate ARGS="--tuning-split"` trains on three quarters of the
training data. Two kinds of messages come from the quarter it held back:

- **pairs**: two messages of two different procedures joined the way people join two requests
  ("…, and also …", "… А ещё …", "…，还有…", "…。あと、…"), 200 per language, seeded, so
  every run makes the same ones;
- **singles**: every held-back message as written (one need each, long posts included).

Each is parsed once with the two-topic reading off; the word model's readings of every clause and
of both halves at every clause boundary are recorded (bot/nlu/intent_classifier.py
``clause_readings``). Then every setting of the grid (clauses or halves, thresholds, veto) is
scored: how many pairs get both procedures offered (by the two-topic reading, or by the ordinary
fallback when it already offered both), and how many singles the two-topic reading would turn
from an answer into a needless question. The table is printed per language; the cheapest
setting under the costs of bot/devtools/nlu_calibration.py is marked.

Pairs joined by a connector are easier than real two-topic messages, which often join their two
requests with a comma or ask them in one clause; the held-out two-topic messages
(tests/nlu/real/ambiguous.yml) say how far that carries, in `make evaluate`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.devtools.nlu_calibration import CLARIFIED_COST, Thresholds, configured_thresholds, falls_back, offered
from bot.devtools.nlu_data import LANGUAGES, Example, load_training_data
from bot.devtools.nlu_eval_core import CONFIG_FILE, classifier_ranking, in_tuning_part
from bot.paths import PROJECT_ROOT

PAIRS_PER_LANGUAGE = 200
SEED = 7
# How people join a second request to the first, per language (each clause keeps its own words).
CONNECTORS = {
    "en": (" and ", ". Also, ", ", and also ", ". And "),
    "ru": (" и ", ". А ещё ", ", а также ", ". И "),
    "uk": (" і ", ". А ще ", ", а також ", ". І "),
    "zh": ("，还有", "。另外，", "，而且", "。还有，"),
    "ja": ("。あと、", "。それと、", "、それから", "。また、"),
}
SURE = (0.3, 0.4, 0.5, 0.6, 0.7)
SUPPORT = (0.1, 0.2, 0.3, 1.0)
WHOLE_SUPPORT = (0.02, 0.05, 0.1)
# (whole_message_sure, whole_message_doubt, also_outweighs_whole_message): when the whole message
# outweighs its clauses, and whether a clause opened by "also" outweighs it back; (1, 0) never.
VETO = (
    *((sure, doubt, also) for sure, doubt in ((0.9, 0.01), (0.95, 0.01), (0.9, 0.05), (0.95, 0.05)) for also in (False, True)),
    (1.0, 0.0, False),
)
# A two-topic message read as one: the user gets half an answer and has to ask again.
HALF_ANSWER_COST = 1.0
ROWS = 12


@dataclass(frozen=True)
class Parsed:
    """One message of the tuning set, read once."""

    language: str
    intents: tuple[str, ...]  # one for a single, two for a pair
    ranking: tuple[tuple[str, float], ...]
    parts: Any  # PartReadings


def make_pairs(examples: Sequence[Example], topics: set[str]) -> list[tuple[str, str, tuple[str, str]]]:
    """Return (language, text, (first, second)) pairs of two procedures' messages, seeded."""
    rng = random.Random(SEED)
    by_intent: dict[tuple[str, str], list[str]] = {}
    for example in examples:
        if example.intent in topics:
            by_intent.setdefault((example.language, example.intent), []).append(example.text)
    pairs = []
    for language in LANGUAGES:
        intents = sorted(intent for lang, intent in by_intent if lang == language)
        if len(intents) < 2:
            continue
        for _ in range(PAIRS_PER_LANGUAGE):
            first, second = rng.sample(intents, 2)
            one = rng.choice(by_intent[(language, first)]).rstrip(".?!。？！ ")
            two = rng.choice(by_intent[(language, second)])
            connector = rng.choice(CONNECTORS[language])
            pairs.append((language, one + connector + two, (first, second)))
    return pairs


def parse_all(model: Path, items: Sequence[tuple[str, str, tuple[str, ...]]]) -> list[Parsed]:
    """Parse every message with the two-topic reading off, recording each clause's reading."""
    from rasa.core.agent import Agent

    from bot.nlu.intent_classifier import LinearIntentClassifier, PartReadings

    recorded: dict[str, Any] = {}
    original = LinearIntentClassifier.two_topics

    def record(self: LinearIntentClassifier, messages: Any, probabilities: Any) -> dict[int, tuple[str, str]]:
        for index, message in enumerate(messages):
            recorded[message.get("text")] = self.clause_readings(message, probabilities[index])
        return {}

    LinearIntentClassifier.two_topics = record  # type: ignore[method-assign]
    try:
        agent = Agent.load(str(model))

        async def run() -> list[Parsed]:
            parsed = []
            for language, text, intents in items:
                parse = await agent.parse_message(text)
                parsed.append(Parsed(language, intents, classifier_ranking(parse, 10), recorded.get(text, PartReadings())))
            return parsed

        return asyncio.run(run())
    finally:
        LinearIntentClassifier.two_topics = original  # type: ignore[method-assign]


def score(parsed: Sequence[Parsed], settings: Any, thresholds: Thresholds) -> dict[str, tuple[float, float, float, float]]:
    """Return per language (and "all"): pairs with both offered, singles asked needlessly, cost per message,
    and singles of two or more clauses asked needlessly."""
    both: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    needless: Counter[str] = Counter()
    singles: Counter[str] = Counter()
    cost: defaultdict[str, float] = defaultdict(float)
    longer: Counter[str] = Counter()  # singles of two or more clauses (long posts): where a needless question can happen
    longer_asked: Counter[str] = Counter()
    for item in parsed:
        topics = settings.topics(item.parts) if settings is not None else None
        for key in (item.language, "all"):
            if len(item.intents) == 2:
                pairs[key] += 1
                offered_both = (topics is not None and set(topics) == set(item.intents)) or (
                    topics is None and falls_back(item.ranking, thresholds) and set(item.intents) <= offered(item.ranking)
                )
                both[key] += offered_both
                cost[key] += CLARIFIED_COST if offered_both else HALF_ANSWER_COST
            else:
                singles[key] += 1
                longer[key] += len(item.parts.clauses) >= 2
                if topics is not None and not falls_back(item.ranking, thresholds):
                    needless[key] += 1
                    longer_asked[key] += 1
                    cost[key] += CLARIFIED_COST
    return {
        key: (
            both[key] / max(pairs[key], 1),
            needless[key] / max(singles[key], 1),
            cost[key] / max(pairs[key] + singles[key], 1),
            longer_asked[key] / max(longer[key], 1),
        )
        for key in pairs
    }


def report(parsed: Sequence[Parsed], not_topics: frozenset[str], thresholds: Thresholds, configured: Any) -> list[str]:
    """Return the Markdown table: every setting, cheapest first, with the configured one marked."""
    from bot.nlu.intent_classifier import TwoTopicSettings

    languages = [language for language in LANGUAGES if any(item.language == language for item in parsed)]
    rows = []
    grid = [None] + [
        TwoTopicSettings(sure, support, whole, not_topics, whole_sure, whole_doubt, also, halves)
        for sure in SURE
        for support in SUPPORT
        if support < sure or support == 1.0
        for whole in (WHOLE_SUPPORT if support < 1.0 else WHOLE_SUPPORT[:1])
        for whole_sure, whole_doubt, also in VETO
        for halves in (False, True)
    ]
    for settings in grid:
        scores = score(parsed, settings, thresholds)
        rows.append((scores["all"][2], settings, scores))
    rows.sort(key=lambda row: row[0])
    # The cheapest settings, then the configured one and "off" wherever they stand.
    rows = [row for index, row in enumerate(rows) if index < ROWS or row[1] is None or row[1] == configured]
    head = "| parts read | part confidence | part support / whole message | whole message sure / doubt | " + " | ".join(
        f"{language} pairs offered / singles asked" for language in languages
    )
    lines = [head + " | all | all singles of 2+ clauses asked | cost |", "|" + " --- |" * (len(languages) + 7)]
    for cost, settings, scores in rows:
        veto = (
            "-"
            if settings is None or settings.whole_sure >= 1.0
            else f"{settings.whole_sure:.2f} / {settings.whole_doubt:.3f}"
            + (" unless also" if settings.also_outweighs_whole else "")
        )
        if settings is None:
            read, name, support = "-", "off", "-"
        else:
            mark = " (config.yml)" if configured is not None and settings == configured else ""
            read = "halves" if settings.halves else "clauses"
            name = f"{settings.sure:.2f}{mark}"
            support = "-" if settings.support >= 1.0 else f"{settings.support:.2f} / {settings.whole_support:.2f}"
        cells = " | ".join(f"{100 * scores[lang][0]:.0f} % / {100 * scores[lang][1]:.1f} %" for lang in languages)
        lines.append(
            f"| {read} | {name} | {support} | {veto} | {cells} | {100 * scores['all'][0]:.0f} % / {100 * scores['all'][1]:.1f} % "
            f"| {100 * scores['all'][3]:.0f} % | {cost:.3f} |"
        )
    return lines


def configured_settings(config_path: Path) -> tuple[Any, frozenset[str]]:
    """Return config.yml's two-topic settings (None when off) and its intents that are not topics."""
    from bot.nlu.intent_classifier import LinearIntentClassifier, two_topic_settings

    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if str(component.get("name", "")).endswith("LinearIntentClassifier"):
            merged = {**LinearIntentClassifier.get_default_config(), **component}
            return two_topic_settings(merged), frozenset(merged["not_topics"])
    return None, frozenset()


def main(argv: Sequence[str] | None = None) -> int:
    """Print the grid for a tuning model."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or not Path(args[0]).is_file():
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)
    configured, not_topics = configured_settings(CONFIG_FILE)
    held_back = [example for example in load_training_data(PROJECT_ROOT / "nlu_data") if in_tuning_part(example)]
    topics = {example.intent for example in held_back} - not_topics
    items: list[tuple[str, str, tuple[str, ...]]] = [
        (language, text, pair) for language, text, pair in make_pairs(held_back, topics)
    ]
    items += [(example.language, example.text, (example.intent,)) for example in held_back]
    parsed = parse_all(Path(args[0]), items)
    print(f"{sum(len(item.intents) == 2 for item in parsed)} pairs, {sum(len(item.intents) == 1 for item in parsed)} singles\n")
    print("\n".join(report(parsed, not_topics, configured_thresholds(CONFIG_FILE), configured)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
