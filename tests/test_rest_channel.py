"""End to end over the REST channel: the real Rasa server, action server and database."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.content_files import variation_language
from actions.db.models import Procedure
from actions.db.queries import get_procedure
from bot.languages import LANGUAGES
from tests.conftest import DOMAIN, chat, response_text, texts

GREETINGS = {"en": "hello", "ru": "привет", "uk": "привіт", "zh": "你好", "ja": "こんにちは"}
# Procedures answered in one turn, as real users ask them.
QUESTIONS = {
    "extend_period_of_stay": {
        "en": "my visa expires next month, how do I extend it?",
        "ru": "виза скоро заканчивается, как продлить срок пребывания?",
        "uk": "віза скоро закінчується, як продовжити строк перебування?",
        "zh": "我的签证下个月到期，怎么延期？",
        "ja": "ビザの期限がもうすぐです。更新したいです",
    },
    "permanent_residence": {
        "en": "how can I apply for permanent residency?",
        "ru": "как получить пмж в японии?",
        "uk": "як отримати дозвіл на постійне проживання в японії?",
        "zh": "怎么申请永住？",
        "ja": "永住許可を申請したいです",
    },
}
GUIDANCE = "utter_general_guidance"

# Every text of domain.yml as a pattern (a placeholder stands for any value), with its language.
DOMAIN_SENTENCES = [
    (
        variation_language(variation),
        re.compile(".+?".join(re.escape(part) for part in re.split(r"{[^\n{}]+?}", str(variation["text"]).strip())), re.DOTALL),
    )
    for variations in DOMAIN["responses"].values()
    for variation in variations
    if variation.get("text")
]


def domain_sentence_languages(text: str) -> set[str]:
    """Return the languages of the domain responses that a reply's text is (none: it is not the bot's own sentence)."""
    return {language for language, pattern in DOMAIN_SENTENCES if pattern.fullmatch(text.strip())}


@pytest.mark.parametrize("language", LANGUAGES)
def test_greeting_in_the_users_language(rasa_server: str, language: str) -> None:
    assert response_text("utter_greet", language) in texts(chat(rasa_server, GREETINGS[language]))


@pytest.mark.parametrize("key", list(QUESTIONS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_procedure_answer_comes_from_the_database_in_the_users_language(
    rasa_server: str, session: Session, key: str, language: str
) -> None:
    expected = get_procedure(session, key, language)
    assert expected is not None and not expected.fell_back

    reply = texts(chat(rasa_server, QUESTIONS[key][language]))

    assert expected.title in reply, f"not the {language} answer for {key}:\n{reply}"
    assert expected.summary in reply
    assert reply.index(expected.summary) < reply.index(expected.links[-1].url), "short first, link last"
    tail = reply.split(expected.links[-1].url)[-1]
    assert response_text(GUIDANCE, language) in tail or response_text("utter_procedure_link", language).split("\n\n")[-1] in tail


def test_conversation_keeps_its_language_per_sender(rasa_server: str) -> None:
    sender = uuid.uuid4().hex
    assert response_text("utter_greet", "uk") in texts(chat(rasa_server, GREETINGS["uk"], sender=sender))
    assert response_text("utter_greet", "ja") in texts(chat(rasa_server, GREETINGS["ja"], sender=sender))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "x" * 20000,
        "\x00\x01\x02",
        "😀😀😀",
        "<script>alert(1)</script>",
        "**bold** [link](http://evil)",
        "'; DROP TABLE procedure; --",
    ],
)
def test_bad_input_gets_a_polite_answer(rasa_server: str, session: Session, text: str) -> None:
    """An answer in the bot's own sentences, values filled in, in English for a message that names no language.

    Whatever a crash, a stack trace or an internal message would say is none of the domain's sentences.
    """
    procedures = session.scalar(select(func.count()).select_from(Procedure))
    replies = chat(rasa_server, text)
    assert replies, "no answer at all"
    for reply in replies:
        assert reply.get("text"), reply
        assert "en" in domain_sentence_languages(reply["text"]), f"not an English sentence of the bot: {reply['text']}"
        assert not re.search(r"{\w+}", reply["text"]), f"a placeholder left unfilled: {reply['text']}"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Procedure)) == procedures, "the procedures were changed"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "what will the weather be like in tokyo tomorrow"),
        ("ru", "я хочу поговорить с живым человеком"),
        ("ja", "人と 話したいです"),
    ],
)
def test_out_of_scope_and_handoff_give_the_information_center_and_fresc(rasa_server: str, language: str, text: str) -> None:
    reply = texts(chat(rasa_server, text))
    assert "0570-013904" in reply and "0570-011000" in reply, reply


def test_nonsense_gets_a_polite_way_forward(rasa_server: str) -> None:
    reply = texts(chat(rasa_server, "qqqq zzzz wwww"))
    assert response_text("utter_did_you_mean", "en") in reply or response_text("utter_default", "en") in reply
