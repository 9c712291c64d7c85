"""The fallback-threshold calibration of `make evaluate`: what a pair of thresholds does to users."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.devtools.nlu_calibration import (
    AMBIGUITIES,
    THRESHOLDS,
    Thresholds,
    calibration_error,
    clarification_offered,
    configured_thresholds,
    falls_back,
    grid,
    load_rankings,
    load_two_topic_messages,
    main,
    outcome,
)
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT


@dataclass(frozen=True)
class Parsed:
    intent: str
    ranking: tuple[tuple[str, float], ...]


def test_the_fallback_fires_below_the_threshold_or_when_the_best_two_are_close() -> None:
    thresholds = Thresholds(0.4, 0.1)
    assert falls_back((("a", 0.35), ("b", 0.1)), thresholds)  # not confident enough
    assert falls_back((("a", 0.45), ("b", 0.4)), thresholds)  # two readings compete
    assert not falls_back((("a", 0.6), ("b", 0.2)), thresholds)
    assert falls_back((), thresholds)  # nothing ranked: the bot cannot answer


def test_a_wrong_answer_costs_more_than_a_clarification_and_a_helpful_one_least() -> None:
    thresholds = Thresholds(0.5, 0.0)
    messages = [
        Parsed("a", (("a", 0.9), ("b", 0.1))),  # answered right
        Parsed("a", (("b", 0.9), ("a", 0.1))),  # answered wrong
        Parsed("a", (("b", 0.45), ("a", 0.4))),  # clarified, the right procedure is a button
        Parsed("a", (("b", 0.45), ("c", 0.4), ("d", 0.1), ("a", 0.05))),  # clarified, a not offered
    ]
    result = outcome(messages, thresholds)
    assert (result.answered_right, result.answered_wrong, result.clarified) == (0.25, 0.25, 0.5)
    assert result.clarified_needlessly == 0.0
    assert abs(result.cost - (1 + 0.25 + 0.5) / 4) < 1e-9


def test_the_grid_puts_the_cheapest_pair_first() -> None:
    # Confident readings are right and unsure ones are wrong: a threshold between them is best.
    messages = [Parsed("a", (("a", 0.95), ("b", 0.05)))] * 8 + [Parsed("a", (("b", 0.3), ("a", 0.25)))] * 2
    best = grid(messages)[0]
    assert best.answered_wrong == 0.0 and best.answered_right == 0.8
    assert abs(best.cost - 2 * 0.25 / 10) < 1e-9  # the two unsure ones are asked about, never answered


def test_calibration_error_is_zero_when_confidence_matches_accuracy() -> None:
    right = Parsed("a", (("a", 0.75), ("b", 0.25)))
    wrong = Parsed("a", (("b", 0.75), ("a", 0.25)))
    assert calibration_error([right, right, right, wrong]) == 0.0
    overconfident = [Parsed("a", (("b", 0.99), ("a", 0.01)))] * 4
    assert abs(calibration_error(overconfident) - 0.99) < 1e-9
    assert calibration_error([]) is None


def test_a_two_topic_message_counts_only_when_both_procedures_are_buttons() -> None:
    thresholds = Thresholds(0.4, 0.1)
    both = (("a", 0.45), ("b", 0.4), ("c", 0.1))
    assert clarification_offered(both, ("b", "a"), thresholds)
    assert not clarification_offered((("a", 0.9), ("b", 0.05)), ("a", "b"), thresholds)  # answered, not asked
    assert not clarification_offered((("a", 0.35), ("c", 0.3), ("d", 0.2), ("b", 0.1)), ("a", "b"), thresholds)


def test_the_configured_thresholds_are_read_from_config_yml(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n- name: X\n- name: FallbackClassifier\n  threshold: 0.33\n  ambiguity_threshold: 0.07\n")
    assert configured_thresholds(config) == Thresholds(0.33, 0.07)
    assert configured_thresholds(PROJECT_ROOT / "config.yml").threshold > 0


def test_the_two_topic_messages_name_two_known_intents_each() -> None:
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = {item if isinstance(item, str) else next(iter(item)) for item in domain["intents"]}
    messages = load_two_topic_messages(PROJECT_ROOT / "tests" / "nlu" / "real" / "ambiguous.yml", LANGUAGES)
    assert {message.language for message in messages} == set(LANGUAGES)
    for message in messages:
        assert len(set(message.intents)) == 2 and set(message.intents) <= intents, message.text


def test_the_grid_is_printed_from_a_rankings_file_without_any_message_text(tmp_path: Path, capsys) -> None:
    rankings = tmp_path / "rankings.jsonl"
    rows = [
        {"language": "en", "intent": "a", "ranking": [["a", 0.9], ["b", 0.1]]},
        {"language": "ru", "intent": "a", "ranking": [["b", 0.5], ["a", 0.45]]},
    ]
    rankings.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    assert [r.intent for r in load_rankings(rankings)] == ["a", "a"]
    assert main([str(rankings)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| threshold | ambiguity |")
    # every pair of the grid is scored: a header, a rule, and one row per pair
    assert len(printed.strip().splitlines()) == 2 + len(THRESHOLDS) * len(AMBIGUITIES)
