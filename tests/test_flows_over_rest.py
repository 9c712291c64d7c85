"""The four guided flows over the REST channel, in every language, with the real servers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from actions.flows.common import long_date
from bot.languages import LANGUAGES
from tests.conftest import chat, response_text, texts
from tests.phrases import CHILD, DEPARTURE, LOST, NO, REENTRY, TODAY, YES, YESTERDAY

TODAY_DATE = dt.date.fromisoformat(TODAY)


class Conversation:
    """One user talking to the bot over REST."""

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.sender = uuid.uuid4().hex

    def say(self, text: str) -> str:
        return texts(chat(self.rasa_url, text, sender=self.sender))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lost_card_flow(rasa_server: str, language: str) -> None:
    user = Conversation(rasa_server)
    first = user.say(LOST[language])
    assert response_text("utter_ask_lost_noticed_date", language) in first
    answer = user.say(YESTERDAY[language])
    deadline = TODAY_DATE - dt.timedelta(days=1) + dt.timedelta(days=14)
    assert long_date(deadline, language) in answer
    assert response_text("utter_lost_card_proof_lost", language) in answer
    assert "nyuukokukanri10_00010.html" in answer


@pytest.mark.parametrize(
    ("language", "text", "city"),
    [
        ("en", "I lost my zairyu card yesterday in Osaka", "Osaka"),
        ("ru", "вчера в осаке украли карту резидента", "Осак"),
        ("ja", "きのう大阪で在留カードをなくしました", "大阪"),
    ],
)
def test_facts_given_up_front_are_not_asked_again(rasa_server: str, language: str, text: str, city: str) -> None:
    answer = Conversation(rasa_server).say(text)
    assert response_text("utter_ask_lost_noticed_date", language) not in answer
    assert long_date(TODAY_DATE + dt.timedelta(days=13), language) in answer
    assert city in answer and "06-4703-2050" in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_reentry_flow(rasa_server: str, language: str) -> None:
    user = Conversation(rasa_server)
    first = user.say(REENTRY[language])
    assert response_text("utter_ask_stay_end_date", language) in first, "the 8 months were given up front"
    answer = user.say("2028-03-31")
    assert long_date(dt.date(2028, 3, 31), language) in answer
    special = response_text("utter_reentry_special", language)
    assert special.split("{")[0] in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_child_born_in_japan_flow(rasa_server: str, language: str) -> None:
    user = Conversation(rasa_server)
    assert response_text("utter_ask_birth_date", language) in user.say(CHILD[language])
    assert "60" in user.say(YESTERDAY[language])
    answer = user.say(YES[language])
    assert response_text("utter_child_register_birth_first", language) in answer
    assert long_date(TODAY_DATE - dt.timedelta(days=1) + dt.timedelta(days=30), language) in answer


@pytest.mark.parametrize("language", LANGUAGES)
def test_departure_order_flow(rasa_server: str, language: str) -> None:
    user = Conversation(rasa_server)
    assert response_text("utter_ask_do_appears_voluntarily", language) in user.say(DEPARTURE[language])
    for reply in (YES, YES, NO, NO, NO):
        user.say(reply[language])
    answer = user.say(YES[language])
    assert response_text("utter_departure_order_met", language).split("{")[0] in answer


def test_departure_order_names_the_failed_requirement(rasa_server: str) -> None:
    user = Conversation(rasa_server)
    user.say(DEPARTURE["en"])
    for reply in ("yes", "yes", "no", "yes", "no"):
        user.say(reply)
    answer = user.say("yes")
    assert "You have never been deported from Japan before." in answer
    assert "5 or 10 years" in answer


@pytest.mark.parametrize(("language", "stop"), [("en", "cancel"), ("ru", "отмена"), ("ja", "やめて")])
def test_a_flow_can_be_cancelled(rasa_server: str, language: str, stop: str) -> None:
    user = Conversation(rasa_server)
    user.say(LOST[language])
    assert response_text("utter_flow_cancelled", language) in user.say(stop)
    assert response_text("utter_greet", language) in user.say({"en": "hello", "ru": "привет", "ja": "こんにちは"}[language])


def test_nonsense_is_reasked_politely(rasa_server: str) -> None:
    user = Conversation(rasa_server)
    user.say(CHILD["en"])
    reply = user.say("banana")
    assert response_text("utter_not_a_past_date", "en") in reply
    assert response_text("utter_ask_birth_date", "en") in reply


def test_language_switch_mid_flow_keeps_the_flow(rasa_server: str) -> None:
    user = Conversation(rasa_server)
    assert response_text("utter_ask_lost_noticed_date", "ru") in user.say(LOST["ru"])
    switched = user.say("говори по-украински")
    assert response_text("utter_language_changed", "uk") in switched
    assert response_text("utter_ask_lost_noticed_date", "uk") in switched
    answer = user.say("вчора")
    assert long_date(TODAY_DATE + dt.timedelta(days=13), "uk") in answer


def test_language_choice_sticks_until_changed(rasa_server: str) -> None:
    user = Conversation(rasa_server)
    user.say('/change_language{"language": "ja"}')
    assert response_text("utter_greet", "ja") in user.say("hello")
    user.say('/change_language{"language": "en"}')
    assert response_text("utter_greet", "en") in user.say("hello")


@pytest.mark.parametrize(
    ("text", "office"),
    [
        ("where is the immigration office in Sendai", "Sendai"),
        ("我住在大阪，入管在哪里", "大阪"),
    ],
)
def test_office_finder(rasa_server: str, text: str, office: str) -> None:
    assert office in Conversation(rasa_server).say(text)


def test_office_finder_asks_for_the_place(rasa_server: str) -> None:
    user = Conversation(rasa_server)
    assert response_text("utter_ask_office_prefecture", "en") in user.say("where is the nearest immigration office?")
    assert response_text("utter_unknown_place", "en") in user.say("Paris")
    assert "Fukuoka" in user.say("fukuoka")
