"""Saving a trainer's example into nlu_data/: what the data check says first, then one added line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.devtools import nlu_check
from bot.devtools.nlu_data import NLU_DATA_DIR, load_training_data, read_nlu_file
from bot.nlu.language_id import LanguageIdentifier
from bot.paths import PROJECT_ROOT
from bot.trainer.catalog import INTENTS_DOC, intent_catalog
from bot.trainer.examples import ExampleRejected, Finding, add_example, check_example

EXAMPLES = {
    "lost_residence_card": {
        "en": ["i lost my residence card yesterday", "someone stole my zairyu card", "my card was destroyed in the flood"],
        "ru": ["я потерял свою карту резидента, что делать", "у меня украли вид на жительство"],
        "ja": ["在留カードをなくしました", "在留カードをぬすまれました"],
        "zh": ["我的在留卡丢了怎么办"],
        "uk": ["я загубив картку резидента"],
    },
    "greet": {"en": ["hello there", "good morning to you"], "ru": ["здравствуйте, есть кто-нибудь"]},
    "resume_flow": {},  # only a button sends it: no examples, not labelable
}
# A file as a maintainer might have written it: comments, a quoted version, a blank line.
COMMENTED = """\
# Lost, stolen or destroyed cards (seed section 1-3).
version: "3.1"

nlu:
# Keep the contrastive examples against residence_card_issuance at the end.
- intent: lost_residence_card
  examples: |
    - i lost my residence card yesterday
    - someone stole my zairyu card
    - my card was destroyed in the flood
  # reviewed 2026-11
"""
HELD_OUT = 'version: "3.1"\nnlu:\n- intent: lost_residence_card\n  examples: |\n    - my wallet with the card fell into the sea in okinawa\n'


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """Write a small project: nlu_data/, domain.yml and tests/nlu/ (held-out) under tmp_path."""
    for intent, by_language in EXAMPLES.items():
        for language, examples in by_language.items():
            path = tmp_path / "nlu_data" / language / f"{intent}.yml"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = "\n".join(f"    - {example}" for example in examples)
            path.write_text(f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{body}\n', encoding="utf-8")
    (tmp_path / "nlu_data" / "en" / "lost_residence_card.yml").write_text(COMMENTED, encoding="utf-8")
    (tmp_path / "domain.yml").write_text(yaml.safe_dump({"version": "3.1", "intents": sorted(EXAMPLES)}), encoding="utf-8")
    (tmp_path / "held_out" / "real").mkdir(parents=True)
    (tmp_path / "held_out" / "en.yml").write_text(HELD_OUT, encoding="utf-8")
    return tmp_path


def check(project: Path, text: str, language: str, intent: str) -> list[Finding]:
    return check_example(
        text, language, intent, project / "nlu_data", held_out_dir=project / "held_out", domain_file=project / "domain.yml"
    )


def add(project: Path, text: str, language: str, intent: str) -> Path:
    return add_example(
        text, language, intent, project / "nlu_data", held_out_dir=project / "held_out", domain_file=project / "domain.yml"
    )


def kinds(findings: list[Finding]) -> list[str]:
    return [finding.kind for finding in findings]


def files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


# ---------------------------------------------------------------------------------------------
# Saving


def test_adding_keeps_comments_and_layout_the_diff_is_one_line(project: Path) -> None:
    path = project / "nlu_data" / "en" / "lost_residence_card.yml"
    before = path.read_bytes()

    saved = add(project, "  my card\nfell out of my bag on the train  ", "en", "lost_residence_card")

    assert saved == path
    after = path.read_bytes()
    added = b"    - my card fell out of my bag on the train\n"
    position = before.index(b"  # reviewed")
    assert after == before[:position] + added + before[position:]
    assert "examples: |" in after.decode()
    assert read_nlu_file(path, "en")[-1].text == "my card fell out of my bag on the train"


def test_adding_to_a_real_file_changes_one_line_only(tmp_path: Path) -> None:
    data = tmp_path / "nlu_data"
    shutil.copytree(NLU_DATA_DIR, data)
    path = data / "en" / "lost_residence_card.yml"
    before = path.read_text(encoding="utf-8").splitlines(keepends=True)

    add_example("my residence card slipped into a storm drain in sendai", "en", "lost_residence_card", data)

    after = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert after[: len(before)] == before
    assert after[len(before) :] == ["    - my residence card slipped into a storm drain in sendai\n"]
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_an_intent_without_a_file_in_that_language_gets_one_in_the_projects_layout(project: Path) -> None:
    path = add(project, "こんにちは、だれかいますか", "ja", "greet")
    assert path == project / "nlu_data" / "ja" / "greet.yml"
    assert (
        path.read_text(encoding="utf-8")
        == 'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - こんにちは、だれかいますか\n'
    )
    assert [example.text for example in read_nlu_file(path, "ja")] == ["こんにちは、だれかいますか"]


def test_html_is_saved_as_text(project: Path) -> None:
    path = add(project, "<b>card</b> stolen & gone, what now?", "en", "lost_residence_card")
    assert read_nlu_file(path, "en")[-1].text == "<b>card</b> stolen & gone, what now?"


@pytest.mark.parametrize(
    ("language", "intent"),
    [
        ("../x", "greet"),
        ("en/../../etc", "greet"),
        ("en", "../../etc/passwd"),
        ("en", "greet/../../../x"),
        ("en", "../ja/greet"),
        ("", "greet"),
        ("en", ""),
    ],
)
def test_path_traversal_is_refused_and_nothing_is_written(project: Path, language: str, intent: str) -> None:
    before = files(project)
    with pytest.raises(ExampleRejected):
        add(project, "hello again my friend", language, intent)
    assert files(project) == before


@pytest.mark.parametrize(
    ("language", "intent", "kind"),
    [
        ("de", "greet", "unknown_language"),
        ("EN", "greet", "unknown_language"),
        ("en", "not_an_intent", "unknown_intent"),
        ("en", "resume_flow", "unknown_intent"),  # in domain.yml, but only a button sends it
        ("en", "Greet", "unknown_intent"),
    ],
)
def test_unknown_languages_and_intents_are_refused(project: Path, language: str, intent: str, kind: str) -> None:
    assert kind in kinds(check(project, "hello again my friend", language, intent))
    before = files(project)
    with pytest.raises(ExampleRejected) as refused:
        add(project, "hello again my friend", language, intent)
    assert kind in kinds(refused.value.findings)
    assert files(project) == before


def test_a_blocked_example_is_not_saved(project: Path) -> None:
    before = files(project)
    with pytest.raises(ExampleRejected, match="Already an example of lost_residence_card"):
        add(project, "I lost my residence card, yesterday!", "en", "lost_residence_card")
    assert files(project) == before


# ---------------------------------------------------------------------------------------------
# What the data check says


def test_a_clean_example_has_no_finding(project: Path) -> None:
    assert check(project, "the police have my lost card report, what next", "en", "lost_residence_card") == []


def test_the_wrong_language_folder_is_found(project: Path) -> None:
    [finding] = check(project, "我的卡被偷了，现在怎么办", "en", "lost_residence_card")
    assert (finding.kind, finding.blocking) == ("wrong_language", True)
    assert "zh" in finding.message


@pytest.mark.parametrize(
    "text",
    [
        "i lost my residence card yesterday",
        "I LOST my residence card, yesterday!!",
        "ｉ ｌｏｓｔ ｍｙ ｒｅｓｉｄｅｎｃｅ ｃａｒｄ ｙｅｓｔｅｒｄａｙ",
    ],
)
def test_a_duplicate_is_found_with_its_file_and_line(project: Path, text: str) -> None:
    [finding] = check(project, text, "en", "lost_residence_card")
    assert finding.kind == "duplicate"
    assert "nlu_data/en/lost_residence_card.yml:8" in finding.message


def test_a_near_duplicate_is_found(project: Path) -> None:
    [finding] = check(project, "someone stole my zairyu cards", "en", "lost_residence_card")
    assert finding.kind == "near_duplicate"
    assert "nlu_data/en/lost_residence_card.yml:9" in finding.message


def test_an_example_of_another_intent_is_found(project: Path) -> None:
    found = check(project, "hello there", "en", "lost_residence_card")
    assert kinds(found) == ["other_intent"]
    assert "greet" in found[0].message and "nlu_data/en/greet.yml:5" in found[0].message


def test_a_held_out_message_is_found_by_its_place_never_its_text(project: Path) -> None:
    text = "My wallet with the card fell into the sea in Okinawa"
    [finding] = check(project, text, "en", "lost_residence_card")
    assert (finding.kind, finding.blocking) == ("held_out", True)
    assert "held_out/en.yml:5" in finding.message
    assert "okinawa" not in finding.message.lower() and "wallet" not in finding.message


@pytest.mark.parametrize(
    ("text", "kind"), [("", "empty"), ("   \n ", "empty"), ("/greet", "payload"), ("my [card](thing) is gone", "markup")]
)
def test_texts_that_cannot_be_examples(project: Path, text: str, kind: str) -> None:
    assert kinds(check(project, text, "en", "lost_residence_card")) == [kind]


def test_the_console_and_make_check_nlu_agree(project: Path) -> None:
    """What check_example blocks, the data check reports once written by hand; what it allows, the check accepts."""
    identifier = LanguageIdentifier.build()
    data = project / "nlu_data"

    def check_nlu_problems() -> list[str]:
        examples = load_training_data(data)
        held_out = nlu_check.load_held_out(project / "held_out")
        return [
            str(problem)
            for problem in [
                *nlu_check.check_languages(examples, identifier),
                *nlu_check.check_duplicates(examples),
                *nlu_check.check_cross_intent(examples),
                *nlu_check.check_held_out_overlap(examples, held_out),
            ]
        ]

    assert check_nlu_problems() == []
    add(project, "the police have my lost card report, what next", "en", "lost_residence_card")
    assert check_nlu_problems() == []

    path = data / "en" / "lost_residence_card.yml"
    clean = path.read_text(encoding="utf-8")
    for text in (
        "someone stole my zairyu cards",
        "hello there",
        "我的卡被偷了，现在怎么办",
        "my wallet with the card fell into the sea in okinawa",
    ):
        assert check(project, text, "en", "lost_residence_card"), text
        path.write_text(clean.replace("  # reviewed", f"    - {text}\n  # reviewed"), encoding="utf-8")
        assert check_nlu_problems(), text
        path.write_text(clean, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The catalogue


def test_the_catalogue_follows_docs_intents_md_with_labelable_intents_only() -> None:
    catalog = intent_catalog()
    names = [entry.name for entry in catalog]
    doc = INTENTS_DOC.read_text(encoding="utf-8")
    assert names == sorted(names, key=lambda name: doc.index(f"| {name} |"))
    assert names[0] == "residence_card_info"
    assert {"out_of_scope", "life_in_japan", "deny", "lost_residence_card"} <= set(names)
    assert not {"resume_flow", "switch_flow", "nlu_fallback"} & set(names)
    assert all(entry.description for entry in catalog)
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(names) <= set(domain["intents"])
    lost = next(entry for entry in catalog if entry.name == "lost_residence_card")
    assert "lost my card" in lost.description and lost.group.startswith("Procedure intents")
