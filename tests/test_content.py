"""The procedures database: loading, rendering, lookups and the content validator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.content_check import check_content, is_official_link
from actions.content_files import read_content
from actions.db.engine import create_database_engine, prepare_database
from actions.db.models import Base, Deadline, Procedure, ProcedureItem
from actions.db.queries import find_prefecture, find_status, get_office, get_procedure, office_for_prefecture
from actions.settings import CONTENT_DIR
from bot.languages import LANGUAGES

CONTENT = read_content(CONTENT_DIR)
PROCEDURES = sorted(CONTENT.procedures)
PREFECTURES = sorted(CONTENT.prefectures)


def row_counts(session: Session) -> dict[str, int]:
    """Count the rows of every table."""
    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def test_the_catalog_has_all_24_procedures() -> None:
    assert len(PROCEDURES) == 24


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


def test_loading_twice_changes_nothing(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert prepare_database(engine, CONTENT_DIR) is True
    with Session(engine) as session:
        before = row_counts(session)
        ids = session.scalars(select(ProcedureItem.id).order_by(ProcedureItem.id)).all()
    assert prepare_database(engine, CONTENT_DIR) is False
    with Session(engine) as session:
        assert row_counts(session) == before
        assert session.scalars(select(ProcedureItem.id).order_by(ProcedureItem.id)).all() == ids


def test_a_changed_file_updates_its_rows(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    prepare_database(engine, content)
    english = content / "en" / "procedures.yml"
    english.write_text(english.read_text(encoding="utf-8").replace(
        "title: Lost, stolen or destroyed residence card", "title: Lost residence card (edited)"), encoding="utf-8")
    assert prepare_database(engine, content) is True
    with Session(engine) as session:
        answer = get_procedure(session, "lost_residence_card", "en")
        assert answer is not None and answer.title == "Lost residence card (edited)"


def test_a_missing_translation_falls_back_to_english_and_says_so(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content)
    (content / "uk" / "procedures.yml").write_text("language: uk\nprocedures: {}\n", encoding="utf-8")
    engine = create_database_engine("sqlite://")
    prepare_database(engine, content)
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
        ("shared/procedures.yml", "https://www.moj.go.jp/isa/applications/procedures/nyuukokukanri10_00010.html",
         "http://example.com/reissue", "not an official https address"),
    ],
)
def test_the_validator_fails_on_a_broken_copy(tmp_path: Path, relative: str, old: str, new: str, problem: str) -> None:
    problems = check_content(_broken_copy(tmp_path, relative, old, new))
    assert any(problem in line for line in problems), problems


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
