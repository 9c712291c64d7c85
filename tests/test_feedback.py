"""The "Was this helpful? 👍 / 👎" feedback (issue 14): which answers ask for it, how the two
buttons reach Rasa, what the bot says, and that a press is kept in the tracker store.

Written from the design (bot/feedback.py, docs/widget.md, docs/telegram.md): the end of a
procedure answer and of a personal answer asks for feedback in its metadata, nothing else
does; the front ends send `/feedback_helpful` or `/feedback_not_helpful`; the bot thanks or
apologises in the conversation's language, offering a person; a press in the middle of a
guided flow does not lose the flow. The widget and Telegram front ends are tested in
tests/test_widget.py and tests/test_telegram.py.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from actions.flows.common import STEERING_INTENTS
from actions.flows.lost_card import ActionLostCardAnswer
from actions.flows.reentry import ValidateReentryForm
from actions.flows.repair import ActionRepeatAnswer
from actions.procedures import ActionAnswerProcedure
from actions.statuses import ActionAnswerStatus
from bot.devtools.nlu_check import load_button_intents
from bot.devtools.nlu_data import NLU_DATA_DIR, load_training_data
from bot.feedback import FEEDBACK_INTENTS, FEEDBACK_KEY, FEEDBACK_PAYLOADS, HELPFUL, NOT_HELPFUL, feedback_payload
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT, rasa_executable
from bot.telegram import texts as telegram_texts
from bot.telegram.chats import ChatState
from bot.telegram.rendering import CALLBACK_DATA_LIMIT, render_reply, without_feedback
from bot.web.bundle import build_widget, load_texts
from tests.conftest import DOMAIN, chat, response_text, texts
from tests.phrases import LOST, REENTRY
from tests.tracker_events import TRACKER_FILE, stored_events, user_intents

GREETINGS = {"en": "hello", "ru": "привет", "uk": "привіт", "zh": "你好", "ja": "こんにちは"}
QUESTIONS = {
    "en": "how can I apply for permanent residency?",
    "ru": "как получить пмж в японии?",
    "uk": "як отримати дозвіл на постійне проживання в японії?",
    "zh": "怎么申请永住？",
    "ja": "永住許可を申請したいです",
}
RULES = yaml.safe_load((PROJECT_ROOT / "stories" / "rules.yml").read_text(encoding="utf-8"))["rules"]


def variation(response: str, language: str) -> dict[str, Any]:
    """Return a domain response's variation in one language (English is the default one)."""
    for candidate in DOMAIN["responses"][response]:
        conditions = {c["name"]: c["value"] for c in candidate.get("condition", [])}
        if conditions.get("language", "en") == language:
            return candidate
    raise KeyError(f"{response} has no {language} variation")


# ---- the domain: two button-only intents, their rules and their answers ----------------------


def test_the_feedback_intents_are_button_only_intents_of_the_domain() -> None:
    assert FEEDBACK_INTENTS == ("feedback_helpful", "feedback_not_helpful")
    assert FEEDBACK_PAYLOADS == ("/feedback_helpful", "/feedback_not_helpful")
    assert set(FEEDBACK_INTENTS) <= set(DOMAIN["intents"])
    trained = {example.intent for example in load_training_data(NLU_DATA_DIR)}
    assert not trained & set(FEEDBACK_INTENTS), "only the buttons send them: no training examples"
    assert set(FEEDBACK_INTENTS) <= load_button_intents(PROJECT_ROOT / "domain.yml"), "the data check expects no examples"
    with pytest.raises(ValueError):
        feedback_payload("greet")


def test_each_press_has_a_rule_thanks_or_an_apology() -> None:
    shapes = {(rule["steps"][0].get("intent"), rule["steps"][1].get("action")) for rule in RULES if len(rule["steps"]) == 2}
    assert (HELPFUL, "utter_feedback_thanks") in shapes
    assert (NOT_HELPFUL, "utter_feedback_sorry") in shapes
    for rule in RULES:
        if rule["steps"][0].get("intent") in FEEDBACK_INTENTS:
            assert "condition" not in rule, "one rule in and out of flows: the form comes back by itself"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apology_offers_a_person_with_the_domains_own_button(language: str) -> None:
    thanks, sorry = response_text("utter_feedback_thanks", language), response_text("utter_feedback_sorry", language)
    assert thanks.strip() and sorry.strip() and thanks != sorry
    [button] = variation("utter_feedback_sorry", language)["buttons"]
    assert button["payload"] == "/human_handoff"
    handoff = [b for b in variation("utter_life_in_japan", language)["buttons"] if b["payload"] == "/human_handoff"]
    assert [button["title"]] == [b["title"] for b in handoff], "the same 'Talk to a person' as elsewhere"


def test_russian_and_ukrainian_answers_differ() -> None:
    for response in ("utter_feedback_thanks", "utter_feedback_sorry"):
        assert response_text(response, "ru") != response_text(response, "uk")


def test_a_press_is_never_read_as_the_answer_to_a_flows_question() -> None:
    assert set(FEEDBACK_INTENTS) <= STEERING_INTENTS
    tracker = Tracker(
        sender_id="test",
        slots={"language": "en", "away_months": 8.0, "requested_slot": "stay_end_date"},
        latest_message={"text": "/feedback_helpful", "intent": {"name": HELPFUL, "confidence": 1.0}, "entities": []},
        events=[{"event": "user", "text": REENTRY["en"]}, {"event": "user", "text": "/feedback_helpful"}],
        paused=False,
        followup_action=None,
        active_loop={"name": "reentry_form"},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReentryForm().run(dispatcher, tracker, DOMAIN))
    assert events == [] and dispatcher.messages == [], "the form rejects it, so the rules answer and the flow goes on"


# ---- the actions: the last message of an answer asks for feedback --------------------------


def action_tracker(intent: str, slots: dict[str, Any], text: str = "…") -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"language": "en", **slots},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def sent(action: Any, tracker: Tracker) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


def flags(messages: list[dict[str, Any]]) -> list[bool]:
    return [bool(message.get(FEEDBACK_KEY)) for message in messages]


@pytest.mark.usefixtures("procedures_database")
def test_a_procedure_answer_asks_for_feedback_on_its_last_message_only() -> None:
    messages = sent(ActionAnswerProcedure(), action_tracker("permanent_residence", {}))
    assert len(messages) > 2
    assert flags(messages) == [False] * (len(messages) - 1) + [True]
    assert messages[-1]["response"] == "utter_procedure_link"


@pytest.mark.usefixtures("procedures_database")
def test_a_status_description_asks_for_feedback_on_its_last_message_only() -> None:
    messages = sent(ActionAnswerStatus(), action_tracker("status_of_residence_info", {}, "what is the engineer visa?"))
    assert flags(messages) == [False] * (len(messages) - 1) + [True]


@pytest.mark.usefixtures("procedures_database")
def test_a_personal_answer_asks_for_feedback_and_its_repeat_does_not() -> None:
    slots = {"lost_noticed_date": "2026-12-25", "loss_reason": "stolen"}
    answer = sent(ActionLostCardAnswer(), action_tracker("inform", slots))
    assert len(answer) > 2
    assert flags(answer) == [False] * (len(answer) - 1) + [True]
    repeat = sent(ActionRepeatAnswer(), action_tracker("repeat", {**slots, "last_flow": "lost_card"}))
    assert repeat and not any(flags(repeat)), "the key line again is not a new answer"


# ---- the Telegram front end's rendering and the widget's texts ------------------------------


def test_telegram_feedback_labels_exist_in_five_distinct_languages() -> None:
    loaded = telegram_texts.load_texts()
    for labels in loaded.feedback.values():
        assert set(labels) == set(LANGUAGES)
        assert len(set(labels.values())) == len(LANGUAGES)
        assert labels["ru"] != labels["uk"]
    helpful, not_helpful = telegram_texts.feedback_labels("uk")
    assert helpful.startswith("👍") and not_helpful.startswith("👎")
    assert telegram_texts.feedback_labels(None) == telegram_texts.feedback_labels("en")


def test_telegram_puts_the_feedback_row_under_the_answers_own_buttons() -> None:
    reply = {
        "text": "Official information:\n\nhttps://www.moj.go.jp/isa/",
        "buttons": [{"title": "Where to apply", "payload": "/find_immigration_office"}],
        "metadata": {"language": "ja", "feedback": True},
    }
    [message] = render_reply(reply, ChatState().keep_payload)
    assert message.keyboard is not None
    rows = message.keyboard.inline_keyboard
    assert [b.callback_data for b in rows[0]] == ["/find_immigration_office"]
    assert [b.callback_data for b in rows[-1]] == list(FEEDBACK_PAYLOADS)
    assert [b.text for b in rows[-1]] == list(telegram_texts.feedback_labels("ja"))
    assert all(len(str(b.callback_data).encode()) <= CALLBACK_DATA_LIMIT for b in rows[-1])


def test_telegram_shows_no_feedback_row_without_the_flag_and_on_the_last_part_only() -> None:
    [plain] = render_reply({"text": "Hello", "metadata": {"language": "en"}}, ChatState().keep_payload)
    assert plain.keyboard is None
    long = render_reply({"text": "word " * 2000, "metadata": {"feedback": True}}, ChatState().keep_payload)
    assert len(long) > 1
    assert [part.keyboard is not None for part in long] == [False] * (len(long) - 1) + [True]
    assert [b.text for b in long[-1].keyboard.inline_keyboard[0]] == list(telegram_texts.feedback_labels("en"))


def test_telegram_takes_off_only_the_feedback_row_and_rates_an_answer_once() -> None:
    other = [InlineKeyboardButton("Where to apply", callback_data="/find_immigration_office")]
    row = [InlineKeyboardButton(label, callback_data=payload) for label, payload in zip("👍👎", FEEDBACK_PAYLOADS, strict=True)]
    assert without_feedback(InlineKeyboardMarkup([other, row])) == InlineKeyboardMarkup([other])
    assert without_feedback(InlineKeyboardMarkup([row])) is None
    assert without_feedback(None) is None
    state = ChatState()
    assert state.rate(41) and not state.rate(41) and state.rate(42)


def test_the_widget_has_the_feedback_texts_and_payloads() -> None:
    widget_texts = load_texts()
    for language in LANGUAGES:
        assert {"feedbackQuestion", "helpful", "notHelpful"} <= set(widget_texts[language])
    assert widget_texts["ru"]["feedbackQuestion"] != widget_texts["uk"]["feedbackQuestion"]
    bundle = build_widget("http://127.0.0.1:5005")
    assert f"var FEEDBACK = {json.dumps({'key': FEEDBACK_KEY, 'payloads': list(FEEDBACK_PAYLOADS)})};" in bundle


# ---- the Rasa server: the flag reaches both channels on the last part of the message ---------

FLAG_ON_THE_LAST_PART = """
import asyncio
from types import SimpleNamespace
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.socketio import SocketIOOutput
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered
from bot.rasa_server import install

install()
tracker = SimpleNamespace(sender_id="chat", get_slot={"language": "ru"}.get)
uttered = [
    BotUttered("Срок: 14 дней."),
    BotUttered(
        "Официальная информация:\\n\\nhttps://www.moj.go.jp/isa/",
        {"buttons": [{"title": "Куда обращаться", "payload": "/find_immigration_office"}]},
        {"feedback": True, "utter_action": "utter_procedure_link"},
    ),
    BotUttered("Это общие сведения.\\n\\nРешает служба.", metadata={"feedback": True}),
]

rest = CollectingOutputChannel()
asyncio.run(MessageProcessor._send_bot_messages(uttered, tracker, rest))
assert [m.get("metadata") for m in rest.messages] == [
    {"language": "ru"}, {"language": "ru", "feedback": True}, {"language": "ru"}, {"language": "ru", "feedback": True}
], rest.messages
assert rest.messages[1]["buttons"][0]["payload"] == "/find_immigration_office"

class Sio:
    def __init__(self):
        self.emitted = []
    async def emit(self, event, data, room):
        self.emitted.append(data)
sio = Sio()
asyncio.run(MessageProcessor._send_bot_messages(uttered, tracker, SocketIOOutput(sio, "bot_uttered")))
assert [d["text"] for d in sio.emitted] == [
    "Срок: 14 дней.", "Официальная информация:", "https://www.moj.go.jp/isa/", "Это общие сведения.", "Решает служба."
], sio.emitted
assert [d["metadata"] for d in sio.emitted] == [
    {"language": "ru"}, {"language": "ru"}, {"language": "ru", "feedback": True}, {"language": "ru"},
    {"language": "ru", "feedback": True},
], sio.emitted
assert sio.emitted[2]["quick_replies"][0]["payload"] == "/find_immigration_office"

# Without a language yet, the flag alone.
tracker.get_slot = lambda name: None
rest = CollectingOutputChannel()
asyncio.run(MessageProcessor._send_bot_messages(uttered[2:], tracker, rest))
assert [m.get("metadata") for m in rest.messages] == [None, {"feedback": True}], rest.messages
print("flag on the last part")
"""


@pytest.mark.slow
def test_the_feedback_flag_goes_out_on_the_last_part_of_the_message_on_both_channels() -> None:
    result = subprocess.run(
        [str(rasa_executable().parent / "python"), "-c", FLAG_ON_THE_LAST_PART],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "flag on the last part" in result.stdout, result.stdout + result.stderr[-2000:]


# ---- over REST with the real servers -------------------------------------------------------


def asked(replies: list[dict[str, Any]]) -> list[bool]:
    """Return, per reply, whether it asks "Was this helpful?"."""
    return [(reply.get("metadata") or {}).get(FEEDBACK_KEY) is True for reply in replies]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_procedure_answer_ends_with_the_feedback_flag_in_its_language(rasa_server: str, language: str) -> None:
    replies = chat(rasa_server, QUESTIONS[language])
    assert len(replies) > 2
    assert asked(replies) == [False] * (len(replies) - 1) + [True]
    assert replies[-1]["metadata"] == {"language": language, "feedback": True}


def test_greetings_and_a_flows_question_do_not_ask_for_feedback(rasa_server: str) -> None:
    for language, greeting in GREETINGS.items():
        assert not any(asked(chat(rasa_server, greeting))), language
    sender = uuid.uuid4().hex
    question = chat(rasa_server, LOST["en"], sender=sender)
    assert response_text("utter_ask_lost_noticed_date", "en") in texts(question)
    assert not any(asked(question)), "the summary before a flow's question is not an answer"
    answer = chat(rasa_server, "yesterday", sender=sender)
    assert asked(answer) == [False] * (len(answer) - 1) + [True], "the personal answer is"


@pytest.mark.parametrize("language", ["en", "uk", "ja"])
def test_a_thumbs_down_gets_an_apology_and_is_kept_in_the_tracker_store(
    rasa_server: str, rasa_workdir: Path, language: str
) -> None:
    sender = uuid.uuid4().hex
    chat(rasa_server, QUESTIONS[language], sender=sender)
    [reply] = chat(rasa_server, "/feedback_not_helpful", sender=sender)
    assert reply["text"] == response_text("utter_feedback_sorry", language)
    assert [b["payload"] for b in reply["buttons"]] == ["/human_handoff"]
    assert not any(asked([reply]))
    events = stored_events(rasa_workdir / TRACKER_FILE, sender)
    users = [event for event in events if event["event"] == "user"]
    assert [event["parse_data"]["intent"]["name"] for event in users][-2:] == ["permanent_residence", NOT_HELPFUL]
    # The rated answer is the one before the press: its last message asked for feedback.
    rated = [event for event in events if event["event"] == "bot" and event["timestamp"] < users[-1]["timestamp"]]
    assert rated[-1]["metadata"].get(FEEDBACK_KEY) is True


def test_a_thumbs_up_gets_thanks(rasa_server: str, rasa_workdir: Path) -> None:
    sender = uuid.uuid4().hex
    chat(rasa_server, QUESTIONS["zh"], sender=sender)
    assert texts(chat(rasa_server, "/feedback_helpful", sender=sender)) == response_text("utter_feedback_thanks", "zh")
    assert user_intents(rasa_workdir / TRACKER_FILE, sender)[-1] == HELPFUL


@pytest.mark.parametrize("payload", FEEDBACK_PAYLOADS)
def test_an_old_press_in_the_middle_of_a_flow_does_not_lose_the_flow(rasa_server: str, payload: str) -> None:
    sender = uuid.uuid4().hex
    chat(rasa_server, QUESTIONS["ru"], sender=sender)  # an answer whose buttons stay in the chat
    first = texts(chat(rasa_server, REENTRY["ru"], sender=sender))
    assert response_text("utter_ask_stay_end_date", "ru") in first, "8 months were given up front"

    pressed = texts(chat(rasa_server, payload, sender=sender))

    answer = "utter_feedback_thanks" if payload == "/feedback_helpful" else "utter_feedback_sorry"
    assert response_text(answer, "ru") in pressed
    assert response_text("utter_flow_resume", "ru").split("{")[0] in pressed, "Back to your re-entry"
    assert response_text("utter_ask_stay_end_date", "ru") in pressed, "the question is asked again"
    assert response_text("utter_ask_away_months", "ru") not in pressed, "the 8 months are kept"
    result = chat(rasa_server, "2028-03-31", sender=sender)
    assert response_text("utter_reentry_special", "ru").split("{")[0] in texts(result)
    assert "8" in texts(result) and asked(result)[-1]
