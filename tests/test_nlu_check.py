"""The trainer's NLU data check, on small data folders written for each test (no Rasa needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.devtools import nlu_check
from bot.devtools.nlu_check import check_coverage, check_data, parse_validate_output
from bot.devtools.nlu_data import NLU_DATA_DIR, Example, load_training_data
from bot.languages import LANGUAGES
from bot.nlu.language_id import LanguageIdentifier

# Three examples per intent and language, each clearly in its language and unlike the others.
CLEAN = {
    "greet": {
        "en": ["hello there", "good morning to you", "hi, is anybody here"],
        "ru": ["здравствуйте, есть кто-нибудь", "добрый вечер всем", "привет, как дела"],
        "uk": ["привіт, як справи", "добрий вечір усім", "вітаю вас щиро"],
        "zh": ["你好，请问有人在吗", "您好，打扰一下", "早上好"],
        "ja": ["こんにちは、だれかいますか", "おはようございます", "はじめまして、よろしくお願いします"],
    },
    "lost_residence_card": {
        "en": ["i lost my residence card yesterday", "someone stole my zairyu card", "my card was destroyed in the flood"],
        "ru": [
            "я потерял свою карту резидента, что делать",
            "у меня украли вид на жительство",
            "карта сгорела при пожаре что делать",
        ],
        "uk": ["я загубив картку резидента", "у мене вкрали посвідку", "картка згоріла під час пожежі"],
        "zh": ["我的在留卡丢了怎么办", "在留卡被偷了", "火灾把在留卡烧了"],
        "ja": ["在留カードをなくしました", "在留カードをぬすまれました", "火事で在留カードが燃えました"],
    },
}


def write_nlu_file(path: Path, intent: str, examples: list[str]) -> None:
    """Write one intent's examples in Rasa's YAML format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(f"    - {example}" for example in examples)
    path.write_text(f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{body}\n', encoding="utf-8")


def make_project(root: Path, data: dict[str, dict[str, list[str]]], domain_extra: dict | None = None) -> Path:
    """Write nlu_data/<lang>/<intent>.yml, domain.yml and an empty held-out folder under ``root``."""
    for intent, by_language in data.items():
        for language, examples in by_language.items():
            write_nlu_file(root / "nlu_data" / language / f"{intent}.yml", intent, examples)
    domain = {"version": "3.1", "intents": sorted(data), **(domain_extra or {})}
    (root / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    (root / "held_out").mkdir()
    return root


def copy_of_clean() -> dict[str, dict[str, list[str]]]:
    """Return a deep copy of the clean data to spoil in one test."""
    return {intent: {language: list(examples) for language, examples in langs.items()} for intent, langs in CLEAN.items()}


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.build()


def problems_of(root: Path, identifier: LanguageIdentifier, minimum: int = 3) -> list[str]:
    """Run every rule on a written project and return the problems as printed lines."""
    found = check_data(root / "nlu_data", root / "held_out", root / "domain.yml", identifier, LANGUAGES, minimum)
    return [str(problem) for problem in found]


def test_clean_data_passes(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    root = make_project(tmp_path, CLEAN)
    assert problems_of(root, identifier) == []


def test_a_thin_intent_fails_with_the_real_minimum(tmp_path: Path) -> None:
    data_dir = tmp_path / "nlu_data"
    examples = [Example(f"example {n}", "greet", "en", data_dir / "en" / "greet.yml") for n in range(29)]
    problems = [str(p) for p in check_coverage(examples, ["greet"], ["en"], data_dir)]
    assert len(problems) == 1 and "thin in en: 29 examples (< 30)" in problems[0]
    examples.append(Example("example 29", "greet", "en", data_dir / "en" / "greet.yml"))
    assert check_coverage(examples, ["greet"], ["en"], data_dir) == []


def test_an_intent_missing_in_one_language_fails(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    data = copy_of_clean()
    del data["greet"]["uk"]
    problems = problems_of(make_project(tmp_path, data), identifier)
    assert len(problems) == 1
    assert "uk/greet.yml" in problems[0] and "has no examples in uk" in problems[0]


def test_an_intent_only_buttons_send_needs_no_examples(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    buttons = {
        "responses": {
            "utter_ask_reason": [{"text": "How?", "buttons": [{"title": "Lost", "payload": '/inform{"reason": "lost"}'}]}]
        }
    }
    root = make_project(tmp_path, CLEAN, buttons)
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    domain["intents"].append("inform")
    (root / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    assert problems_of(root, identifier) == []


def test_an_example_in_the_wrong_language_folder_fails(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    data = copy_of_clean()
    data["lost_residence_card"]["uk"].append("я потерял свою карту, что теперь делать")
    problems = problems_of(make_project(tmp_path, data), identifier)
    assert len(problems) == 1
    assert "uk/lost_residence_card.yml: example looks ru, not uk" in problems[0]


def test_romaji_and_single_words_are_not_judged(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    data = copy_of_clean()
    data["lost_residence_card"]["ru"].append("zairyu card lost")  # Latin letters in a Russian folder
    data["greet"]["uk"].append("привет")  # one word: too short to judge
    assert problems_of(make_project(tmp_path, data), identifier) == []


@pytest.mark.parametrize(
    ("duplicate", "message"),
    [
        ("I lost my residence card yesterday!", "duplicate of 'i lost my residence card yesterday'"),
        ("i lost my residence card yesterdy", "near duplicate of 'i lost my residence card yesterday'"),
    ],
)
def test_a_duplicate_fails(tmp_path: Path, identifier: LanguageIdentifier, duplicate: str, message: str) -> None:
    data = copy_of_clean()
    data["lost_residence_card"]["en"].append(duplicate)
    problems = problems_of(make_project(tmp_path, data), identifier)
    assert len(problems) == 1 and message in problems[0] and duplicate in problems[0]


def test_the_same_example_under_two_intents_fails(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    data = copy_of_clean()
    data["greet"]["en"].append("someone stole my zairyu card")
    problems = problems_of(make_project(tmp_path, data), identifier)
    assert any("same example under intents greet, lost_residence_card" in problem for problem in problems)
    assert {problem.split(":")[0].rsplit("/", 2)[-1] for problem in problems} >= {"greet.yml", "lost_residence_card.yml"}


def test_a_held_out_message_in_the_training_data_fails(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    root = make_project(tmp_path, CLEAN)
    write_nlu_file(root / "held_out" / "en.yml", "lost_residence_card", ["Someone stole my zairyu card", "ok"])
    problems = problems_of(root, identifier)
    assert len(problems) == 1  # "ok" is one word: everybody says it, nobody copied it
    # The problem names both files and lines, and never prints the held-out text.
    assert "held-out message" in problems[0] and "held_out/en.yml:" in problems[0]
    assert "zairyu" not in problems[0].lower()
    training_file, line = problems[0].split(": ")[0].rsplit(":", 1)
    assert training_file.endswith("en/lost_residence_card.yml")
    lines = Path(training_file).read_text(encoding="utf-8").splitlines()
    assert lines[int(line) - 1].strip().lower() == "- someone stole my zairyu card"


def test_a_real_user_message_in_the_training_data_fails_too(tmp_path: Path, identifier: LanguageIdentifier) -> None:
    root = make_project(tmp_path, CLEAN)
    (root / "held_out" / "real").mkdir()
    write_nlu_file(root / "held_out" / "real" / "en.yml", "lost_residence_card", ["Someone stole my zairyu card"])
    problems = problems_of(root, identifier)
    assert len(problems) == 1 and "held_out/real/en.yml:" in problems[0]
    assert "zairyu" not in problems[0].lower()


def test_the_command_exits_1_on_a_problem_and_0_on_clean_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = make_project(tmp_path / "clean", CLEAN)
    arguments = ["--held-out", str(clean / "held_out"), "--min-examples", "3", "--skip-rasa"]
    assert nlu_check.main(["--data", str(clean / "nlu_data"), "--domain", str(clean / "domain.yml"), *arguments]) == 0
    assert "NLU data is clean" in capsys.readouterr().out

    data = copy_of_clean()
    data["greet"]["ja"].append("おはようございます")
    dirty = make_project(tmp_path / "dirty", data)
    arguments[1] = str(dirty / "held_out")
    assert nlu_check.main(["--data", str(dirty / "nlu_data"), "--domain", str(dirty / "domain.yml"), *arguments]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("ja/greet.yml: duplicate of 'おはようございます' (greet): 'おはようございます'")
    assert lines[-1] == "1 problem(s) found."


def test_the_reader_sees_every_example_of_the_real_data() -> None:
    examples = load_training_data(NLU_DATA_DIR)
    assert {example.language for example in examples} == set(LANGUAGES)
    assert all(example.text and not example.text.startswith("- ") for example in examples)


def test_rasa_validate_warnings_are_read_from_its_output() -> None:
    output = (
        "2026-01-01 10:00:00 INFO     rasa.validator  - Validating intents...\n"
        "\x1b[93m/venv/site-packages/rasa/shared/utils/io.py:100: UserWarning: The intent 'x' is not used in any story.\n"
        "\x1b[0m/venv/site-packages/pkg_resources/__init__.py:1: DeprecationWarning: pkg_resources is deprecated\n"
    )
    assert parse_validate_output(output) == ["The intent 'x' is not used in any story."]
