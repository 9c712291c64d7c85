"""The tuning split of `python -m bot.nlu_eval --tuning-split`: stable, a quarter, loadable by Rasa."""

from __future__ import annotations

from pathlib import Path

from bot.nlu_check import NLU_DATA_DIR, Example, load_training_data, read_nlu_file
from bot.nlu_eval import TUNING_SHARE, in_tuning_part, write_training_part


def test_about_a_quarter_of_every_language_is_held_back() -> None:
    training = load_training_data(NLU_DATA_DIR)
    for language in {example.language for example in training}:
        examples = [example for example in training if example.language == language]
        share = sum(map(in_tuning_part, examples)) / len(examples)
        assert abs(share - 1 / TUNING_SHARE) < 0.05, (language, share)


def test_adding_examples_does_not_move_the_others(tmp_path: Path) -> None:
    path = tmp_path / "greet.yml"
    before = [Example(f"hello number {n}", "greet", "en", path) for n in range(200)]
    after = before + [Example(f"hi there {n}", "greet", "en", path) for n in range(50)]
    assert [in_tuning_part(e) for e in before] == [in_tuning_part(e) for e in after[: len(before)]]


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


def _prediction(language: str, intent: str, predicted: str):  # type: ignore[no-untyped-def]
    from bot.nlu_eval import Prediction

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
    from bot.nlu_eval import near_domain_rate

    predictions = [
        _prediction("en", "life_in_japan", "life_in_japan"),
        _prediction("en", "life_in_japan", "out_of_scope"),
        _prediction("en", "life_in_japan", "extend_period_of_stay"),
        _prediction("en", "lost_residence_card", "lost_residence_card"),
    ]
    rate, count = near_domain_rate(predictions)
    assert count == 3 and abs(rate - 2 / 3) < 1e-9
