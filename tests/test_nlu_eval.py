"""The tuning split of `python -m bot.devtools.nlu_eval --tuning-split`: stable, a quarter, loadable by Rasa."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.devtools.nlu_data import NLU_DATA_DIR, Example, load_training_data, read_nlu_file
from bot.devtools.nlu_eval_core import TUNING_SHARE, Prediction, in_tuning_part, write_training_part
from bot.paths import PROJECT_ROOT


def test_about_a_quarter_of_every_language_is_held_back() -> None:
    training = load_training_data(NLU_DATA_DIR)
    for language in {example.language for example in training}:
        examples = [example for example in training if example.language == language]
        share = sum(map(in_tuning_part, examples)) / len(examples)
        assert abs(share - 1 / TUNING_SHARE) < 0.05, (language, share)


def _held_back(examples: list[Example]) -> set[tuple[str, str, str]]:
    return {(e.language, e.intent, e.text) for e in examples if in_tuning_part(e)}


def test_adding_moving_or_reordering_examples_does_not_move_the_others() -> None:
    """An example is held back or not by what it says, not by its file, its place or what else is there."""
    texts = [f"hello number {n}" for n in range(200)]
    before = [Example(text, "greet", "en", Path("nlu_data/en/greet.yml")) for text in texts]
    after = [
        *(Example(f"hi there {n}", "greet", "en", Path("nlu_data/en/greet.yml")) for n in range(50)),
        *(Example(text, "greet", "en", Path("nlu_data/en/greetings.yml")) for text in reversed(texts)),
    ]
    held = _held_back(before)
    assert 0 < len(held) < len(before)
    assert {item for item in _held_back(after) if item[2] in texts} == held


def test_the_split_is_the_same_in_another_process() -> None:
    """A run of `make evaluate --tuning-split` next week holds back the same examples (no per-process hash seed)."""
    texts = [f"how do I extend my visa {n}" for n in range(100)]
    here = sorted(text for text in texts if in_tuning_part(Example(text, "extend_period_of_stay", "en", Path("x"))))
    script = (
        "import json, sys; from pathlib import Path; from bot.devtools.nlu_check import Example; "
        "from bot.devtools.nlu_eval_core import in_tuning_part; texts = json.loads(sys.argv[1]); "
        "print(json.dumps(sorted(t for t in texts if in_tuning_part(Example(t, 'extend_period_of_stay', 'en', Path('y'))))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(texts)],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == here


def test_the_training_part_is_written_as_rasa_nlu_files(tmp_path: Path) -> None:
    examples = [
        Example("re-entry?", "reentry_permit", "en", Path("x")),
        Example("- starts with a dash: and a colon", "reentry_permit", "en", Path("x")),
        Example("在留カード なくした", "lost_residence_card", "ja", Path("x")),
    ]
    (tmp_path / "stale.yml").write_text("old", encoding="utf-8")
    write_training_part(examples, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["en.yml", "ja.yml"]
    read = read_nlu_file(tmp_path / "en.yml", "en") + read_nlu_file(tmp_path / "ja.yml", "ja")
    assert [(e.text, e.intent, e.language) for e in read] == [(e.text, e.intent, e.language) for e in examples]


def _prediction(language: str, intent: str, predicted: str) -> Prediction:
    return Prediction(
        language=language,
        intent=intent,
        predicted=predicted,
        top_intent=predicted,
        detected_language=language,
        language_scored=True,
        parse_ms=1.0,
    )


def test_near_domain_questions_count_as_kept_out_when_not_read_as_a_procedure() -> None:
    from bot.devtools.nlu_eval_reports import near_domain_rate

    predictions = [
        _prediction("en", "life_in_japan", "life_in_japan"),
        _prediction("en", "life_in_japan", "out_of_scope"),
        _prediction("en", "life_in_japan", "extend_period_of_stay"),
        _prediction("en", "lost_residence_card", "lost_residence_card"),
    ]
    rate, count = near_domain_rate(predictions)
    assert count == 3 and abs(rate - 2 / 3) < 1e-9


def test_the_embedded_share_is_printed_per_language_and_missing_without_a_word_model() -> None:
    from bot.devtools.nlu_eval_core import LanguageMetrics
    from bot.devtools.nlu_eval_metrics import _share
    from bot.devtools.nlu_eval_reports import ours_table

    # Three classified messages, one embedded (a message like "😀" is never classified: no flag).
    share = _share([True, False, False])
    assert share is not None and abs(share - 1 / 3) < 1e-9
    assert _share([]) is None  # a system without the word model
    metrics = LanguageMetrics(4, 1.0, 1.0, 0.25, 1.0, None, 0, [], 5.0, 20.0, share)
    assert ours_table({"uk": metrics})[-1].endswith("| 0.33 |")
    assert ours_table({"uk": LanguageMetrics(4, 1.0, 1.0, 0.25, 1.0, None, 0, [], 5.0, 20.0)})[-1].endswith("| n/a |")
