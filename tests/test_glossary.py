"""The terminology glossary (actions/content/glossary.yml) and its check (actions/content_glossary.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from actions.content_check import check_content
from actions.content_glossary import check_glossary, load_glossary
from actions.settings import CONTENT_DIR
from bot.languages import LANGUAGES

REPOSITORY = CONTENT_DIR.parent.parent


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the content and domain.yml laid out as in the repository; returns the content dir."""
    content = tmp_path / "actions" / "content"
    shutil.copytree(CONTENT_DIR, content)
    shutil.copy(REPOSITORY / "domain.yml", tmp_path / "domain.yml")
    return content


def plant_label(content: Path, language: str, text: str) -> None:
    """Add a label with ``text`` to <language>/labels.yml (labels are shown in the repair flows)."""
    path = content / language / "labels.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["labels"]["glossary_test"] = text
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.slow
def test_the_repository_passes() -> None:
    assert check_glossary(CONTENT_DIR) == []


def test_the_glossary_covers_every_language_and_its_terms_are_not_forbidden() -> None:
    rules, _, problems = load_glossary(CONTENT_DIR / "glossary.yml")
    assert problems == []
    assert {rule.language for rule in rules} == set(LANGUAGES)
    for concept in (
        "residence_card",
        "status_of_residence",
        "period_of_stay",
        "reentry_permit",
        "special_reentry_permit",
        "regional_bureau",
        "information_center",
        "fresc",
        "departure_order",
        "deportation",
        "municipal_office",
        "my_number_card",
        "airports",
    ):
        for language in LANGUAGES:
            assert any(rule.concept == concept and rule.language == language for rule in rules), (concept, language)


@pytest.mark.parametrize(
    ("language", "planted", "found", "preferred"),
    [
        ("en", "Bring your residency card.", "residency card", "residence card"),
        ("ru", "Ваш срок проживания скоро закончится.", "срок проживания", "срок пребывания"),
        ("ru", "Вы сами придёте в иммиграционное бюро?", "иммиграционное бюро", "региональное бюро иммиграционной службы"),
        ("uk", "Ви загубили картку резидента?", "картку резидента", "посвідка на проживання"),
        ("uk", "Коли закінчується строк перебування?", "строк перебування", "період проживання"),
        ("zh", "请咨询入管局。", "入管", "地方出入国在留管理局"),
        ("zh", "请办理在留资格变更。", "在留资格", "居留资格"),
        ("ja", "前に強制送還されましたか。", "強制送還", "退去強制"),
        ("ja", "大阪の入管はどこですか。", "入管", "地方出入国在留管理局"),
    ],
)
@pytest.mark.slow
def test_a_planted_variant_fails_with_file_key_and_preferred_term(
    copy: Path, language: str, planted: str, found: str, preferred: str
) -> None:
    plant_label(copy, language, planted)
    problems = check_glossary(copy)
    assert len(problems) == 1, problems
    message = problems[0]
    assert message.startswith(f"actions/content/{language}/labels.yml labels.glossary_test [{language}]: ")
    assert repr(found) in message and repr(preferred) in message


@pytest.mark.slow
def test_a_japanese_middle_dot_in_chinese_fails(copy: Path) -> None:
    plant_label(copy, "zh", "《生活・就业指南》")
    problems = check_glossary(copy)
    assert len(problems) == 1 and "middle dot" in problems[0] and "labels.glossary_test [zh]" in problems[0]


@pytest.mark.slow
def test_spaced_japanese_fails_but_a_spaced_reading_passes(copy: Path) -> None:
    plant_label(copy, "ja", "在留カードを なくしました")
    problems = check_glossary(copy)
    assert len(problems) == 1 and "a space between Japanese words" in problems[0]
    plant_label(copy, "ja", "遺失届受理証明書（いしつとどけ じゅり しょうめいしょ）をもらいます。")
    assert check_glossary(copy) == []


@pytest.mark.slow
def test_a_response_and_its_buttons_in_domain_yml_are_checked(copy: Path) -> None:
    domain_path = copy.parent.parent / "domain.yml"
    domain = yaml.safe_load(domain_path.read_text(encoding="utf-8"))
    domain["responses"]["utter_glossary_test"] = [
        {"text": "Ask the immigration bureau.", "buttons": [{"title": "Visa status", "payload": "/help"}]},
        {"condition": [{"type": "slot", "name": "language", "value": "uk"}], "text": "Що сталося з карткою?"},
    ]
    domain_path.write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    problems = check_glossary(copy)
    assert len(problems) == 3, problems
    assert any(p.startswith("domain.yml responses.utter_glossary_test[en].text [en]: 'immigration bureau'") for p in problems)
    assert any(
        p.startswith("domain.yml responses.utter_glossary_test[en].buttons[0].title [en]: 'Visa status'") for p in problems
    )
    assert any(p.startswith("domain.yml responses.utter_glossary_test[uk].text [uk]: 'карткою'") for p in problems)


@pytest.mark.slow
def test_the_names_in_the_shared_files_are_checked_per_language(copy: Path) -> None:
    path = copy / "shared" / "offices.yml"
    offices = yaml.safe_load(path.read_text(encoding="utf-8"))
    offices["offices"]["chubu_airport"]["name"]["ru"] = "Отделение иммиграционной службы в аэропорту Тюбу"
    offices["offices"]["chubu_airport"]["note"] = "Тюбу in a note is not shown to users"
    path.write_text(yaml.safe_dump(offices, allow_unicode=True), encoding="utf-8")
    problems = check_glossary(copy)
    assert len(problems) == 1
    assert problems[0].startswith("actions/content/shared/offices.yml offices.chubu_airport.name.ru [ru]: 'Тюбу'")
    assert "'Нарита, Ханеда, Чубу" in problems[0]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("uk", "Підготуйте картку My Number."),  # «картка» of My Number is fine
        ("zh", "补发申请书（在留カード再交付申請書）"),  # a quoted Japanese name
        ("ru", "Краткосрочное пребывание, короткострокове"),  # no stem match inside a word
        ("en", "Length of stay in Japan for permanent residence."),  # another concept
    ],
)
@pytest.mark.slow
def test_no_false_positives(copy: Path, language: str, text: str) -> None:
    plant_label(copy, language, text)
    assert check_glossary(copy) == []


@pytest.mark.slow
def test_the_allow_list_lets_one_string_through_and_a_stale_entry_is_reported(copy: Path) -> None:
    plant_label(copy, "en", "In some translations: residency card.")
    glossary_path = copy / "glossary.yml"
    glossary = yaml.safe_load(glossary_path.read_text(encoding="utf-8"))
    glossary["allow"].append(
        {
            "language": "en",
            "file": "actions/content/en/labels.yml",
            "key": "labels.glossary_test",
            "variant": "resident card",
            "reason": "test",
        }
    )
    glossary["allow"].append(
        {"language": "ru", "file": "actions/content/ru/labels.yml", "key": "labels.nothing", "variant": "Тюбу", "reason": "stale"}
    )
    glossary_path.write_text(yaml.safe_dump(glossary, allow_unicode=True), encoding="utf-8")
    problems = check_glossary(copy)
    assert len(problems) == 1 and "allow entry for actions/content/ru/labels.yml labels.nothing" in problems[0]


@pytest.mark.slow
def test_notes_are_internal_and_not_checked(copy: Path) -> None:
    path = copy / "uk" / "procedures.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["procedures"]["lost_residence_card"]["notes"].append("У російському перекладі — «картка резидента».")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert check_glossary(copy) == []


@pytest.mark.slow
def test_content_check_reports_glossary_problems(copy: Path) -> None:
    plant_label(copy, "uk", "втрачена картка резидента")
    assert any("labels.glossary_test [uk]" in problem for problem in check_content(copy))
