"""End to end over the REST channel: the real Rasa server, action server and database."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy.orm import Session

from actions.db.queries import get_procedure
from tests.conftest import chat

# What real users write, per language and procedure.
MESSAGES = {
    "lost_residence_card": {
        "en": "I lost my residence card",
        "ru": "потерял карту резидента что делать",
        "uk": "я загубив картку резидента що робити",
        "zh": "我的在留卡丢了怎么办",
        "ja": "在留カードをなくしました。どうしたらいいですか",
    },
    "reentry_permit": {
        "en": "can I go home for 8 months and come back to japan?",
        "ru": "можно уехать домой на 8 месяцев и потом вернуться в японию?",
        "uk": "чи можна поїхати додому на 8 місяців і потім повернутися в японію?",
        "zh": "我想回国8个月，还能回日本吗？",
        "ja": "8か月くにに帰って、また日本にもどりたいです",
    },
    "child_born_in_japan": {
        "en": "our baby was born in Japan last week, what papers does she need?",
        "ru": "у нас родился ребенок в японии, какие документы нужны?",
        "uk": "у нас народилася дитина в японії, які документи потрібні?",
        "zh": "孩子在日本出生了，需要办什么手续？",
        "ja": "日本で子どもが生まれました。なにをすればいいですか",
    },
    "departure_order": {
        "en": "I overstayed my visa and want to go home by myself, how does the departure order work?",
        "ru": "я просрочил визу и хочу сам уехать домой, как работает приказ о выезде?",
        "uk": "я прострочив візу і хочу сам виїхати додому, як працює наказ про виїзд?",
        "zh": "我签证过期了，想自己回国，出国命令怎么办理？",
        "ja": "オーバーステイです。自分で国に帰りたいです。出国命令について教えてください",
    },
}
GREETINGS = {"en": "hello", "ru": "привет", "uk": "привіт", "zh": "你好", "ja": "こんにちは"}
GREETING_WORDS = {"en": "Hello", "ru": "Здравствуйте", "uk": "Вітаю", "zh": "您好", "ja": "こんにちは"}
GUIDANCE = {
    "en": "general guidance",
    "ru": "общие сведения",
    "uk": "загальні відомості",
    "zh": "一般性说明",
    "ja": "一般的な 案内",
}
CASES = [(key, language) for key in MESSAGES for language in MESSAGES[key]]


def texts(replies: list[dict]) -> str:
    """Join the text of every reply."""
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.mark.parametrize(("language"), list(GREETINGS))
def test_greeting_in_the_users_language(rasa_server: str, language: str) -> None:
    reply = texts(chat(rasa_server, GREETINGS[language]))
    assert GREETING_WORDS[language] in reply


@pytest.mark.parametrize(("key", "language"), CASES)
def test_procedure_answer_comes_from_the_database_in_the_users_language(
    rasa_server: str, session: Session, key: str, language: str
) -> None:
    expected = get_procedure(session, key, language)
    assert expected is not None and not expected.fell_back

    reply = texts(chat(rasa_server, MESSAGES[key][language]))

    assert expected.title in reply, f"not the {language} answer for {key}:\n{reply}"
    assert expected.summary in reply
    for link in expected.links:
        assert link.url in reply
    assert GUIDANCE[language] in reply.split(expected.links[-1].url)[-1], "the reminder comes after the link"


@pytest.mark.parametrize("language", list(GREETINGS))
def test_lost_card_answer_states_the_14_day_deadline_and_documents(
    rasa_server: str, session: Session, language: str
) -> None:
    reply = texts(chat(rasa_server, MESSAGES["lost_residence_card"][language]))
    assert re.search(r"(?<!\d)14(?!\d)", reply)
    expected = get_procedure(session, "lost_residence_card", language)
    assert expected is not None
    for document in expected.documents:
        assert document in reply


def test_conversation_keeps_its_language_per_sender(rasa_server: str) -> None:
    sender = uuid.uuid4().hex
    assert GREETING_WORDS["uk"] in texts(chat(rasa_server, GREETINGS["uk"], sender=sender))
    assert GREETING_WORDS["ja"] in texts(chat(rasa_server, GREETINGS["ja"], sender=sender))
