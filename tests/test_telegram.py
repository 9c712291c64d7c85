"""The Telegram front end: python-telegram-bot against a local Bot API stand-in and the real Rasa.

The front end runs as `python -m bot.cli telegram`, as `make run` starts it, with
TELEGRAM_BASE_URL pointing at tests/telegram_stub.py. A tiny fake Rasa is used only where
Rasa must go away or be slow; every other test talks to the real `rasa_server`. The fakes are in
tests/telegram_fakes.py; the texts, settings and rendering are tested without a process in
tests/test_telegram_rendering.py.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session
from telegram import Bot

from actions.db.queries import get_procedure
from bot.devtools.local_servers import free_port
from bot.feedback import FEEDBACK_PAYLOADS
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT
from bot.telegram import texts
from bot.telegram.chats import ChatState
from bot.telegram.handlers import send
from bot.telegram.rendering import MESSAGE_LIMIT, render_reply, utf16_len
from bot.telegram.texts import Message
from tests.conftest import DOMAIN, chat, response_text
from tests.telegram_fakes import STARTUP_SECONDS, TOKEN, FakeRasa, front_end, new_chat, words
from tests.telegram_stub import BotApiStub, SentMessage
from tests.tracker_events import TRACKER_FILE, user_intents, wait_for_intent

# Every test here starts the front end as a process (or needs the Rasa server).
pytestmark = pytest.mark.slow

# What users write to start each of the four guided flows, and their answers.
LOST = {"en": "I lost my residence card", "uk": "я загубив картку резидента", "ja": "在留カードをなくしました"}
YESTERDAY = {"en": "yesterday", "uk": "вчора", "ja": "きのう"}
REENTRY = {
    "en": "can I go home for 8 months and come back?",
    "uk": "чи можна поїхати додому на 8 місяців і повернутися?",
    "ja": "8か月くにに帰って、また日本にもどりたいです",
}
CHILD = {"en": "our baby was born in japan", "uk": "у нас народилася дитина в японії", "ja": "日本で子どもが生まれました"}
DEPARTURE = {
    "en": "I overstayed and want to leave japan, tell me about the departure order",
    "uk": "я прострочив візу і хочу виїхати, розкажіть про наказ про виїзд",
    "ja": "オーバーステイです。出国命令について教えてください",
}
# Procedures answered in one turn (the English question first), for long and ordered answers.
SINGLE_TURN_QUESTIONS = {
    "extend_period_of_stay": [
        "my visa expires next month, how do I extend it?",
        "виза скоро заканчивается, как продлить срок пребывания?",
        "віза скоро закінчується, як продовжити строк перебування?",
        "我的签证下个月到期，怎么延期？",
        "ビザの期限がもうすぐです。更新したいです",
    ],
    "permanent_residence": [
        "how can I apply for permanent residency?",
        "как получить пмж в японии?",
        "як отримати дозвіл на постійне проживання в японії?",
        "怎么申请永住？",
        "永住許可を申請したいです",
    ],
    "change_status_of_residence": [
        "I changed jobs and need to change my status of residence",
        "я сменил работу, как изменить статус пребывания?",
        "я змінив роботу, як змінити статус перебування?",
        "我换了工作，怎么变更在留资格？",
        "仕事がかわりました。在留資格を変更したいです",
    ],
}


def button_title(response: str, language: str, payload: str) -> str:
    """Return the title of a domain response's button, in one language."""
    for variation in DOMAIN["responses"][response]:
        condition = variation.get("condition") or []
        if (not condition and language == "en") or any(c.get("value") == language for c in condition):
            return next(str(b["title"]) for b in variation["buttons"] if b["payload"] == payload)
    raise KeyError(f"{response} has no {language} variation")


@pytest.fixture(scope="module")
def telegram(rasa_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotApiStub]:
    """Run the front end against the real Rasa server; return the Bot API stand-in it talks to."""
    with (
        BotApiStub(TOKEN) as api,
        front_end(api, rasa_server, tmp_path_factory.mktemp("telegram"), TELEGRAM_CHAT_LIMIT="10", TELEGRAM_CHAT_WINDOW="3600"),
    ):
        yield api


@pytest.fixture()
def fake_rasa() -> Iterator[FakeRasa]:
    """Run a fake Rasa; stop it after the test."""
    fake = FakeRasa().start()
    yield fake
    fake.release_all()
    fake.stop()


def test_very_long_answer_reaches_telegram_in_parts(rasa_server: str) -> None:
    """Rasa's real answers in every language, sent as one reply by a real Bot, arrive in parts."""
    answer = "\n\n".join(
        reply.get("text", "")
        for questions in SINGLE_TURN_QUESTIONS.values()
        for question in questions
        for reply in chat(rasa_server, question)
    )
    assert utf16_len(answer) > 2 * MESSAGE_LIMIT
    chat_id = new_chat()

    async def send_answer(api: BotApiStub) -> None:
        async with Bot(TOKEN, base_url=api.url) as bot:
            for outgoing in render_reply({"text": answer}, ChatState().keep_payload):
                await send(bot, chat_id, outgoing)

    with BotApiStub(TOKEN) as api:
        api.text_update(chat_id, "hello")  # the stand-in only sends to chats it has seen
        asyncio.run(send_answer(api))
        sent = api.messages(chat_id)
    assert len(sent) >= 3
    assert all(message.parse_mode == "HTML" and utf16_len(message.text) <= MESSAGE_LIMIT for message in sent)
    assert [word for message in sent for word in words(message.text)] == words(answer)
    for url in set(re.findall(r"https?://[^\s]+", answer)):
        assert any(f'href="{url}"' in message.html for message in sent), url


# The command line


def run_cli(**environment: str) -> subprocess.CompletedProcess[str]:
    """Run `jra telegram` with only ``environment`` for the Telegram settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "RASA_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "telegram"],
        cwd=PROJECT_ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_token_is_one_line_and_a_failure() -> None:
    result = run_cli()
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in result.stderr


def test_rejected_token_is_one_line_and_a_failure() -> None:
    with BotApiStub(TOKEN) as api:
        result = run_cli(TELEGRAM_BOT_TOKEN="123456789:not-the-right-token", TELEGRAM_BASE_URL=api.url)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "TELEGRAM_BOT_TOKEN was rejected" in result.stderr.strip().splitlines()[-1]
    assert "not-the-right-token" not in result.stderr + result.stdout


# The front end against the real Rasa server


def test_command_menu_is_registered_in_five_languages(telegram: BotApiStub) -> None:
    registered = telegram.commands()
    assert set(registered) == {"", *LANGUAGES}
    for language in LANGUAGES:
        expected = [{"command": name, "description": text} for name, text in texts.command_descriptions(language)]
        assert registered[language] == expected
    assert registered[""] == registered["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_start_greets_in_the_telegram_language(telegram: BotApiStub, language: str) -> None:
    chat_id = new_chat()
    telegram.send_text(chat_id, "/start", language_code=language)
    greeting = response_text("utter_greet", language)
    telegram.wait_for_text(chat_id, greeting[:25])


def press(api: BotApiStub, chat_id: int, after: int, title: str, language: str) -> SentMessage:
    """Wait for the bot's next message with buttons after ``after`` and press ``title`` on it."""
    question = api.wait_for(
        lambda: next((m for m in api.messages(chat_id) if m.sequence > after and m.buttons()), None),
        f"a question with buttons in chat {chat_id}",
    )
    query_id = api.press(question, title, language_code=language)
    api.wait_for(lambda: api.answered(query_id), "the button press to be answered")
    return question


def lost_card(api: BotApiStub, chat_id: int, language: str) -> list[str]:
    """Walk the lost-card flow; return texts the answer must contain."""
    api.send_text(chat_id, LOST[language], language_code=language)
    api.wait_for_text(chat_id, response_text("utter_ask_lost_noticed_date", language))
    api.send_text(chat_id, YESTERDAY[language], language_code=language)
    return [response_text("utter_lost_card_proof_lost", language)]


def reentry(api: BotApiStub, chat_id: int, language: str) -> list[str]:
    """Walk the re-entry flow (8 months away, stay ends in 2028)."""
    api.send_text(chat_id, REENTRY[language], language_code=language)
    api.wait_for_text(chat_id, response_text("utter_ask_stay_end_date", language))
    api.send_text(chat_id, "2028-03-31", language_code=language)
    return [response_text("utter_reentry_special", language).split("{")[0]]


def child_born(api: BotApiStub, chat_id: int, language: str) -> list[str]:
    """Walk the child-born-in-Japan flow, answering the last question with its Yes button."""
    api.send_text(chat_id, CHILD[language], language_code=language)
    asked = api.wait_for_text(chat_id, response_text("utter_ask_birth_date", language))
    api.send_text(chat_id, YESTERDAY[language], language_code=language)
    press(api, chat_id, asked.sequence, button_title("utter_child_stays_question", language, "/affirm"), language)
    return [response_text("utter_child_register_birth_first", language)]


def departure_order(api: BotApiStub, chat_id: int, language: str) -> list[str]:
    """Walk the departure-order flow by pressing the bot's Yes and No buttons."""
    api.send_text(chat_id, DEPARTURE[language], language_code=language)
    after = 0
    for payload in ("/affirm", "/affirm", "/deny", "/deny", "/deny", "/affirm"):
        title = button_title("utter_ask_do_appears_voluntarily", language, payload)
        after = press(api, chat_id, after, title, language).sequence
    return [response_text("utter_departure_order_met", language).split("{")[0]]


FLOWS = {
    "lost_residence_card": lost_card,
    "reentry_permit": reentry,
    "child_born_in_japan": child_born,
    "departure_order": departure_order,
}


@pytest.mark.parametrize("language", ["en", "uk", "ja"])
@pytest.mark.parametrize("topic", list(FLOWS))
def test_four_topics_are_answered_in_the_users_language_with_links(
    telegram: BotApiStub, session: Session, topic: str, language: str
) -> None:
    chat_id = new_chat()
    expected_texts = FLOWS[topic](telegram, chat_id, language)
    telegram.wait_for_text(chat_id, response_text("utter_general_guidance", language))
    sent = telegram.messages(chat_id)
    shown = "\n".join(message.text for message in sent)
    for expected in expected_texts:
        assert expected in shown
    procedure = get_procedure(session, topic, language)
    assert procedure is not None
    for link in procedure.links:
        assert any(f'<a href="{link.url}">' in message.html for message in sent), link.url
    assert all(message.parse_mode == "HTML" for message in sent)
    assert all(not message.buttons() for message in sent[:-1]), "every pressed keyboard was taken off"
    # The answer ends with buttons for the natural next questions, then "Was this helpful?".
    assert [b["callback_data"] for b in sent[-1].buttons()] == [
        "/find_immigration_office",
        "/contact_information_center",
        *FEEDBACK_PAYLOADS,
    ]
    typing = [call for call in telegram.calls("sendChatAction") if call.params["chat_id"] == chat_id]
    assert typing and typing[0].params["action"] == "typing"


def feedback_payloads(message: SentMessage) -> list[str]:
    return [str(b.get("callback_data")) for b in message.buttons() if b.get("callback_data") in FEEDBACK_PAYLOADS]


@pytest.mark.parametrize(("language", "pressed"), [("uk", 1), ("ja", 0)])
def test_an_answer_asks_whether_it_helped_and_a_press_is_answered_taken_off_and_kept(
    telegram: BotApiStub, rasa_workdir: Path, language: str, pressed: int
) -> None:
    chat_id = new_chat()
    question = SINGLE_TURN_QUESTIONS["permanent_residence"][LANGUAGES.index(language)]
    telegram.send_text(chat_id, question, language_code="en")
    answer = telegram.wait_for(
        lambda: next((m for m in telegram.messages(chat_id) if feedback_payloads(m)), None), "the answer's feedback row"
    )
    labels = texts.feedback_labels(language)
    rows = answer.reply_markup["inline_keyboard"]
    assert [(b["text"], b["callback_data"]) for b in rows[-1]] == list(zip(labels, FEEDBACK_PAYLOADS, strict=True))
    others = [b["callback_data"] for row in rows[:-1] for b in row]
    assert others == ["/find_immigration_office", "/contact_information_center"]
    assert [m.message_id for m in telegram.messages(chat_id) if feedback_payloads(m)] == [answer.message_id], "one row"

    query_id = telegram.press(answer, labels[pressed], language_code="en")

    telegram.wait_for(lambda: telegram.answered(query_id), "the press to be answered")
    reply = ("utter_feedback_thanks", "utter_feedback_sorry")[pressed]
    telegram.wait_for_text(chat_id, response_text(reply, language)[:20])
    assert feedback_payloads(answer) == [], "the row is taken off: an answer is rated once"
    assert [b["callback_data"] for b in answer.buttons()] == others, "the answer's own buttons stay"
    intent = FEEDBACK_PAYLOADS[pressed].lstrip("/")
    wait_for_intent(rasa_workdir / TRACKER_FILE, str(chat_id), intent)
    assert user_intents(rasa_workdir / TRACKER_FILE, str(chat_id))[-2:] == ["permanent_residence", intent]


def test_language_keyboard_sends_the_choice_to_rasa_and_it_sticks(telegram: BotApiStub) -> None:
    chat_id = new_chat()
    telegram.send_text(chat_id, "/language", language_code="uk")
    prompt = telegram.wait_for_text(chat_id, texts.message(Message.CHOOSE_LANGUAGE, "uk"))
    assert [button["text"] for button in prompt.buttons()] == list(texts.language_names().values())
    query_id = telegram.press(prompt, "Русский", language_code="uk")
    telegram.wait_for(lambda: telegram.answered(query_id), "the button press to be answered")
    changed = telegram.wait_for_text(chat_id, response_text("utter_language_changed", "ru"))
    assert telegram.messages(chat_id)[0].buttons() == [], "the keyboard is taken off once pressed"
    # Rasa's own answer offers the languages as buttons too: pressing one of them is the same choice.
    telegram.press(changed, "日本語", language_code="uk")
    telegram.wait_for_text(chat_id, response_text("utter_language_changed", "ja"))
    telegram.send_text(chat_id, "hello", language_code="uk")
    telegram.wait_for_text(chat_id, response_text("utter_greet", "ja")[:20])
    telegram.send_attachment(chat_id, "photo", language_code="uk")
    telegram.wait_for_text(chat_id, texts.message(Message.NON_TEXT, "ja"))


def test_a_typed_language_change_reaches_the_front_ends_own_sentences(telegram: BotApiStub) -> None:
    """Rasa's language slot is the one owner: its replies carry it, and the front end follows."""
    chat_id = new_chat()
    telegram.send_text(chat_id, "hello", language_code="en")
    telegram.wait_for_text(chat_id, response_text("utter_greet", "en")[:20])
    telegram.send_text(chat_id, "говори по-украински", language_code="en")
    telegram.wait_for_text(chat_id, response_text("utter_language_changed", "uk"))
    telegram.send_text(chat_id, "/language", language_code="en")
    telegram.wait_for_text(chat_id, texts.message(Message.CHOOSE_LANGUAGE, "uk"))
    telegram.send_attachment(chat_id, "sticker", language_code="en")
    telegram.wait_for_text(chat_id, texts.message(Message.NON_TEXT, "uk"))


def test_help_and_reset_commands(telegram: BotApiStub) -> None:
    chat_id = new_chat()
    telegram.send_text(chat_id, "/start", language_code="ru")
    telegram.wait_for_text(chat_id, response_text("utter_greet", "ru")[:25])
    telegram.send_text(chat_id, "/help", language_code="ru")
    telegram.wait_for_text(chat_id, response_text("utter_help", "ru").splitlines()[0][:25])
    telegram.send_text(chat_id, "/reset", language_code="ru")
    reset = telegram.wait_for_text(chat_id, texts.message(Message.CONVERSATION_RESET, "ru"))
    telegram.wait_for(
        lambda: [m for m in telegram.messages(chat_id) if m.sequence > reset.sequence and "Здравствуйте" in m.text],
        "a new greeting after the reset",
    )


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "document"])
def test_non_text_messages_get_a_short_explanation(telegram: BotApiStub, kind: str) -> None:
    chat_id = new_chat()
    telegram.send_attachment(chat_id, kind, language_code="zh")
    telegram.wait_for_text(chat_id, texts.message(Message.NON_TEXT, "zh"))


def test_an_unknown_command_gets_the_examples_of_questions(telegram: BotApiStub) -> None:
    """Any other /command is treated as /help (docs/telegram.md): Rasa's examples, not a restart."""
    chat_id = new_chat()
    telegram.send_text(chat_id, "/restart_everything now", language_code="en")
    telegram.wait_for_text(chat_id, response_text("utter_help", "en").splitlines()[0][:25])


def test_html_and_command_lookalikes_reach_rasa_as_typed_and_come_back_as_text(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    """Rasa gets what the user typed; a reply with <, > and & is escaped, so the client shows text, not markup."""
    chat_id = new_chat()
    typed = "<b>hello</b> & <script>alert(1)</script>"
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path):
        api.send_text(chat_id, typed, language_code="en")
        shown = api.wait_for_text(chat_id, f"answer: {typed}")
        api.send_text(chat_id, "/restart_everything now", language_code="en")
        api.wait_for_text(chat_id, "answer: /help")
    assert [request["message"] for request in fake_rasa.requests if request["sender"] == str(chat_id)] == [typed, "/help"]
    assert shown.text == f"answer: {typed}" and "<b>" not in shown.html and "<script>" not in shown.html


def test_each_chat_is_answered_in_order(telegram: BotApiStub, session: Session) -> None:
    chat_id = new_chat()
    topics = list(SINGLE_TURN_QUESTIONS)
    for topic in topics:
        telegram.send_text(chat_id, SINGLE_TURN_QUESTIONS[topic][0], language_code="en")
    guidance = response_text("utter_general_guidance", "en")
    telegram.wait_for(
        lambda: sum(guidance in message.text for message in telegram.messages(chat_id)) == len(topics), "the answers"
    )
    titles = [get_procedure(session, topic, "en").title for topic in topics]
    shown = [title for message in telegram.messages(chat_id) for title in titles if title in message.text]
    assert shown == titles


def test_a_chat_over_its_limit_is_told_once_and_others_are_not(telegram: BotApiStub) -> None:
    chat_id, other = new_chat(), new_chat()
    for _ in range(12):
        telegram.send_text(chat_id, "hello", language_code="en")
    notice = texts.message(Message.RATE_LIMITED, "en")
    telegram.wait_for_text(chat_id, notice)
    texts_sent = [message.text for message in telegram.messages(chat_id)]
    greeting = response_text("utter_greet", "en")
    assert texts_sent[-1] == notice and [greeting in text for text in texts_sent[:-1]] == [True] * 10, texts_sent
    telegram.send_text(other, "hello", language_code="en")
    telegram.wait_for(lambda: telegram.messages(other), "an answer in another chat")
    assert [message.text for message in telegram.messages(chat_id)].count(notice) == 1


# Rasa down or slow (the fake Rasa)


def test_rasa_stopped_mid_conversation_then_back(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    chat_id = new_chat()
    unavailable = texts.message(Message.UNAVAILABLE, "uk")
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path, RASA_TIMEOUT="5"):
        api.send_text(chat_id, "привіт", language_code="uk")
        api.wait_for_text(chat_id, "answer: привіт")
        assert fake_rasa.requests[-1] == {"sender": str(chat_id), "message": "привіт", "metadata": {"language_code": "uk"}}
        fake_rasa.stop()
        api.send_text(chat_id, "ви тут?", language_code="uk")
        api.wait_for_text(chat_id, unavailable)
        fake_rasa.start()
        api.send_text(chat_id, "а тепер?", language_code="uk")
        api.wait_for_text(chat_id, "answer: а тепер?")
    assert [message.text for message in api.messages(chat_id)] == ["answer: привіт", unavailable, "answer: а тепер?"]


def test_rasa_down_is_told_in_the_language_of_rasas_last_reply(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    """Not the Telegram app's language: the conversation's, as Rasa's last reply carried it."""
    chat_id = new_chat()
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path, RASA_TIMEOUT="5"):
        api.send_text(chat_id, "hello", language_code="en")
        api.wait_for_text(chat_id, "answer: hello")
        fake_rasa.language = "uk"
        api.send_text(chat_id, "говори по-украински", language_code="en")
        api.wait_for_text(chat_id, "answer: говори по-украински")
        fake_rasa.stop()
        api.send_text(chat_id, "ви тут?", language_code="en")
        api.wait_for_text(chat_id, texts.message(Message.UNAVAILABLE, "uk"))
    assert texts.message(Message.UNAVAILABLE, "en") not in [message.text for message in api.messages(chat_id)]


def test_slow_rasa_gets_a_polite_answer_and_recovers(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    chat_id = new_chat()
    fake_rasa.hold(str(chat_id))
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path, RASA_TIMEOUT="1"):
        api.send_text(chat_id, "こんにちは", language_code="ja")
        api.wait_for_text(chat_id, texts.message(Message.UNAVAILABLE, "ja"))
        fake_rasa.release(str(chat_id))
        api.send_text(chat_id, "もう一度", language_code="ja")
        api.wait_for_text(chat_id, "answer: もう一度")


def test_a_slow_chat_does_not_hold_up_other_chats_and_keeps_its_order(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    slow, quick = new_chat(), new_chat()
    fake_rasa.hold(str(slow))
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path, RASA_TIMEOUT="60"):
        api.send_text(slow, "first", language_code="en")
        api.send_text(slow, "second", language_code="en")
        api.send_text(quick, "meanwhile", language_code="en")
        api.wait_for_text(quick, "answer: meanwhile")
        assert api.messages(slow) == []
        assert [r["message"] for r in fake_rasa.requests if r["sender"] == str(slow)] == ["first"]
        fake_rasa.release(str(slow))
        api.wait_for_text(slow, "answer: second")
    assert [message.text for message in api.messages(slow)] == ["answer: first", "answer: second"]


# Webhook mode


def test_webhook_mode_registers_the_webhook_and_checks_the_secret_token(fake_rasa: FakeRasa, tmp_path: Path) -> None:
    port, secret, chat_id = free_port(), "webhook_secret-42", new_chat()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    settings = {
        "TELEGRAM_WEBHOOK_URL": url,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(port),
    }
    with BotApiStub(TOKEN) as api, front_end(api, fake_rasa.url, tmp_path, **settings):
        assert api.webhook() == {"url": url, "secret_token": secret}
        assert not api.calls("getUpdates")
        update = api.text_update(chat_id, "hello", language_code="en")

        def post(headers: dict[str, str]) -> int:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                try:
                    return httpx.post(url, json=update, headers=headers, timeout=30).status_code
                except httpx.ConnectError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)

        assert post({}) == 403
        assert post({"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403
        assert api.messages(chat_id) == [] and fake_rasa.requests == []
        assert post({"X-Telegram-Bot-Api-Secret-Token": secret}) == 200
        api.wait_for_text(chat_id, "answer: hello")
