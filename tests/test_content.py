"""The procedures database: loading, rendering, lookups and the content validator."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.content_check import check_content, is_official_link
from actions.content_files import read_content
from actions.db.engine import create_database_engine
from actions.db.loader import load_database
from actions.db.models import Base, Deadline, Procedure, ProcedureItem
from actions.db.queries import find_prefecture, find_status, get_office, get_procedure, office_for_prefecture
from actions.settings import CONTENT_DIR
from bot.languages import LANGUAGES

# A file of the project (relative to its root) and a change made to its parsed YAML.
Edit = tuple[str, Callable[[dict[str, Any]], None]]

CONTENT = read_content(CONTENT_DIR)
PROCEDURES = sorted(CONTENT.procedures)
PREFECTURES = sorted(CONTENT.prefectures)


def row_counts(session: Session) -> dict[str, int]:
    """Count the rows of every table."""
    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def test_the_catalog_has_all_28_procedures() -> None:
    # 24 from the guidebook chapter, 4 from the overview only (seed 002, docs/content.md)
    assert len(PROCEDURES) == 28


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", PROCEDURES)
def test_every_procedure_renders_in_every_language(session: Session, key: str, language: str) -> None:
    answer = get_procedure(session, key, language)
    assert answer is not None
    assert not answer.fell_back
    assert answer.title and answer.summary
    assert "{" not in answer.summary + "".join(answer.steps + answer.documents)
    assert answer.links and all(link.url.startswith("https://") for link in answer.links)


def test_deadlines_are_rendered_from_the_shared_data(session: Session) -> None:
    deadline = session.scalar(
        select(Deadline).join(Procedure).where(Procedure.key == "lost_residence_card", Deadline.name == "apply")
    )
    assert deadline is not None and deadline.days == 14
    deadline.days = 21
    session.flush()
    for language in LANGUAGES:
        answer = get_procedure(session, "lost_residence_card", language)
        assert answer is not None and "21" in answer.summary and "14" not in answer.summary
    session.rollback()


@pytest.mark.slow
def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert load_database(engine, CONTENT_DIR) is True
    with Session(engine) as session:
        before = row_counts(session)
        ids = session.scalars(select(ProcedureItem.id).order_by(ProcedureItem.id)).all()
    assert load_database(engine, CONTENT_DIR) is False
    with Session(engine) as session:
        assert row_counts(session) == before
        assert session.scalars(select(ProcedureItem.id).order_by(ProcedureItem.id)).all() == ids


@pytest.mark.slow
def test_a_changed_file_updates_its_rows(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    load_database(engine, content)
    english = content / "en" / "procedures.yml"
    english.write_text(
        english.read_text(encoding="utf-8").replace(
            "title: Lost, stolen or destroyed residence card", "title: Lost residence card (edited)"
        ),
        encoding="utf-8",
    )
    assert load_database(engine, content) is True
    with Session(engine) as session:
        answer = get_procedure(session, "lost_residence_card", "en")
        assert answer is not None and answer.title == "Lost residence card (edited)"


@pytest.mark.slow
def test_a_missing_translation_falls_back_to_english_and_says_so(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "uk" / "procedures.yml").write_text("language: uk\nprocedures: {}\n", encoding="utf-8")
    engine = create_database_engine("sqlite://")
    load_database(engine, content)
    with Session(engine) as session:
        answer = get_procedure(session, "reentry_permit", "uk")
    assert answer is not None and answer.fell_back and answer.language == "en"


@pytest.mark.parametrize("prefecture", PREFECTURES)
def test_every_prefecture_has_an_office_with_address_and_phone(session: Session, prefecture: str) -> None:
    office = office_for_prefecture(session, prefecture, "en")
    assert office is not None
    assert office.kind in {"regional_bureau", "district_office"}
    assert office.address and office.phones


@pytest.mark.parametrize(
    ("text", "prefecture"),
    [
        ("where is the immigration office in Sendai", "miyagi"),
        ("我住在大阪，入管在哪里", "osaka"),
        ("где иммиграционное бюро в Осаке", "osaka"),
        ("де імміграційне бюро у Фукуоці", "fukuoka"),
        ("横浜の入管はどこですか", "kanagawa"),
        ("I live in Kawasaki", "kanagawa"),
        ("nyukan in hokkaido?", "hokkaido"),
    ],
)
def test_places_in_free_text_map_to_their_prefecture(session: Session, text: str, prefecture: str) -> None:
    assert find_prefecture(session, text) == prefecture


def test_unknown_place_finds_nothing(session: Session) -> None:
    assert find_prefecture(session, "where is the office in Paris") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Engineer/Specialist in Humanities/International Services", "en"),
        ("技術・人文知識・国際業務", "ja"),
        ("技术·人文知识·国际业务", "zh"),
    ],
)
def test_status_lookup_by_name(session: Session, text: str, language: str) -> None:
    status = find_status(session, text, language)
    assert status is not None and status.activities and status.periods_of_stay


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_lookup_by_its_name_in_every_language(session: Session, language: str) -> None:
    name = CONTENT.statuses["permanent_resident"]["name"][language]
    status = find_status(session, name, language)
    assert status is not None and status.key == "permanent_resident"
    assert status.name == name


def test_support_center_has_a_phone(session: Session) -> None:
    centers = [key for key, office in CONTENT.offices.items() if office["kind"] == "support_center"]
    assert centers
    office = get_office(session, centers[0], "ja")
    assert office is not None and office.phones


@pytest.mark.slow
def test_the_real_content_is_consistent() -> None:
    assert check_content(CONTENT_DIR) == []


def _broken_copy(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    path = content / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return content


@pytest.mark.parametrize(
    ("relative", "old", "new", "problem"),
    [
        ("ru/procedures.yml", "{apply_days}", "30", "the number 30 disagrees"),
        ("uk/procedures.yml", "  reentry_permit:", "  reentry_permit_removed:", "reentry_permit: missing in uk"),
        ("en/procedures.yml", "{apply_days}", "{apply_dayz}", "placeholder {apply_dayz}"),
        (
            "shared/procedures.yml",
            "https://www.moj.go.jp/isa/applications/procedures/nyuukokukanri10_00010.html",
            "http://example.com/reissue",
            "not an official https address",
        ),
    ],
)
@pytest.mark.slow
def test_the_validator_fails_on_a_broken_copy(tmp_path: Path, relative: str, old: str, new: str, problem: str) -> None:
    problems = check_content(_broken_copy(tmp_path, relative, old, new))
    assert any(problem in line for line in problems), problems


@pytest.mark.slow
def test_the_validator_fails_on_an_office_without_phone_and_a_prefecture_without_office(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    offices = content / "shared" / "offices.yml"
    import yaml

    data = yaml.safe_load(offices.read_text(encoding="utf-8"))
    first = next(iter(data["offices"]))
    data["offices"][first]["phones"] = []
    data["offices"]["sapporo_bureau"]["serves"] = []
    offices.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = check_content(content)
    assert f"office {first}: has no phone" in problems
    assert any(line.startswith("prefecture hokkaido: served by 0 offices") for line in problems)


@pytest.mark.parametrize(
    ("url", "official"),
    [
        ("https://www.moj.go.jp/isa/index.html", True),
        ("https://twitter.com/MOJ_IMMI", True),
        ("http://www.moj.go.jp/isa/index.html", False),
        ("https://moj.go.jp.evil.example/isa", False),
        ("https://twitter.com/someone_else", False),
    ],
)
def test_official_links(url: str, official: bool) -> None:
    assert is_official_link(url) is official


# Addresses, phone labels and the checks added for issue 13.
@pytest.mark.parametrize("language", ["zh", "ja"])
def test_chinese_and_japanese_readers_see_the_address_in_japanese_script(session: Session, language: str) -> None:
    office = office_for_prefecture(session, "osaka", language)
    assert office is not None
    assert office.address == "〒559-0034 大阪府大阪市住之江区南港北1-29-53"


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_other_readers_see_the_romaji_and_the_japanese_for_the_taxi(session: Session, language: str) -> None:
    office = office_for_prefecture(session, "hokkaido", language)
    assert office is not None
    assert office.address.splitlines() == [
        "Sapporo Third Joint Government Building, Odori-nishi 12-chome, Chuo-ku, Sapporo-shi, Hokkaido 060-0042",
        "〒060-0042 北海道札幌市中央区大通西12丁目",
    ]


def test_every_office_with_an_address_has_it_in_japanese_script() -> None:
    for key, office in CONTENT.offices.items():
        if office.get("address"):
            assert office.get("address_ja", "").startswith("〒"), key


@pytest.mark.parametrize(("language", "label"), [("en", "from abroad or an IP phone"), ("uk", None)])
def test_a_second_number_says_who_it_is_for(session: Session, language: str, label: str | None) -> None:
    office = office_for_prefecture(session, "tokyo", language)
    assert office is not None and len(office.phones) == 2
    assert office.phones[0].label is None
    assert office.phones[1].label and (label is None or office.phones[1].label == label)


def test_department_lines_carry_their_own_label(session: Session) -> None:
    office = get_office(session, "tokyo_yotsuya_branch", "ru")
    assert office is not None
    labels = {phone.number: phone.label for phone in office.phones}
    assert labels["03-5363-3030"] and "онлайн" in labels["03-5363-3030"]


@pytest.mark.slow
def test_a_database_built_with_an_older_schema_is_rebuilt(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    engine = create_database_engine(f"sqlite:///{path}")
    load_database(engine, CONTENT_DIR)
    engine.dispose()
    with sqlite3.connect(path) as connection:  # an older build: no Japanese-script address yet
        connection.execute("ALTER TABLE office DROP COLUMN address_ja")
        connection.execute("UPDATE content_version SET digest = 'oldschema:' || digest")
    engine = create_database_engine(f"sqlite:///{path}")
    assert load_database(engine, CONTENT_DIR) is True
    with Session(engine) as session:
        office = office_for_prefecture(session, "osaka", "ja")
    assert office is not None and office.address.startswith("〒")
    assert load_database(engine, CONTENT_DIR) is False


def _edited_copy(tmp_path: Path, edit: Edit) -> Path:
    """Copy the content and domain.yml to a temporary project and change one file there."""
    import yaml

    root = tmp_path / "project"
    content = root / "actions" / "content"
    shutil.copytree(CONTENT_DIR, content)
    shutil.copy(CONTENT_DIR.parent.parent / "domain.yml", root / "domain.yml")
    relative, change = edit
    path = root / relative
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return content


def _unlabel_second_phone(data: dict) -> None:
    data["offices"]["tokyo_bureau"]["phones"].append({"number": "03-0000-0000", "kind": "main"})


def _drop_student_cap(data: dict) -> None:
    del data["statuses"]["student"]["max_period"]


def _drop_ukrainian_label(data: dict) -> None:
    del data["labels"]["phone_overseas_ip"]


def _drop_japanese_response(data: dict) -> None:
    data["responses"]["utter_procedure_conditions"] = data["responses"]["utter_procedure_conditions"][:-1]


def _add_unknown_field(data: dict) -> None:
    data["procedures"]["reentry_permit"]["fee"] = "unknown"


def _announce_nothing(data: dict) -> None:
    record = data["procedures"]["address_notification"]
    record["documents"], record["conditions"] = [], []
    record["steps"].append("Check the list below.")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("actions/content/shared/offices.yml", _unlabel_second_phone), "office tokyo_bureau: phone numbers without a label"),
        (("actions/content/shared/statuses.yml", _drop_student_cap), "status student: a period the Minister designates"),
        (("actions/content/uk/labels.yml", _drop_ukrainian_label), "label phone_overseas_ip: missing in uk"),
        (("domain.yml", _drop_japanese_response), "response utter_procedure_conditions: missing in ja"),
        (("actions/content/shared/procedures.yml", _add_unknown_field), "field 'fee' is neither rendered nor"),
        (("actions/content/en/procedures.yml", _announce_nothing), "address_notification [en]: says 'below'"),
    ],
)
@pytest.mark.slow
def test_the_content_check_fails_on_what_would_not_reach_the_user(tmp_path: Path, edit: Edit, problem: str) -> None:
    problems = check_content(_edited_copy(tmp_path, edit))
    assert any(problem in line for line in problems), problems
