"""The Telegram front end: python-telegram-bot against a local Bot API stand-in and the real Rasa.

The front end runs as `python -m bot.cli telegram`, as `make run` starts it, with
TELEGRAM_BASE_URL pointing at tests/telegram_stub.py. A tiny fake Rasa is used only where
Rasa must go away or be slow; every other test talks to the real `rasa_server`.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session
from telegram import Bot

from actions.db.queries import get_procedure
from bot.languages import LANGUAGES
from bot.local_servers import free_port, stop_process
from bot.paths import PROJECT_ROOT
from bot.telegram import texts
from bot.telegram.app import RedactToken, build_application
from bot.telegram.chats import Admission, ChatState
from bot.telegram.handlers import send
from bot.telegram.rendering import MESSAGE_LIMIT, render_reply, split_html, to_html, utf16_len
from bot.telegram.settings import SettingsError, TelegramSettings, load_settings
from bot.telegram.texts import Message
from tests.conftest import DOMAIN, chat, response_text
from tests.telegram_stub import ApiError, BotApiStub, SentMessage, parse_html

TOKEN = "123456789:stub-token_for-the-local-Bot-API"
STARTUP_SECONDS = 120.0  # a deadline for a front end that does not start, not a performance claim
_chat_ids = itertools.count(1000)


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


def new_chat() -> int:
    """Return a chat id no other test uses."""
    return next(_chat_ids)


def button_title(response: str, language: str, payload: str) -> str:
    """Return the title of a domain response's button, in one language."""
    for variation in DOMAIN["responses"][response]:
        condition = variation.get("condition") or []
        if (not condition and language == "en") or any(c.get("value") == language for c in condition):
            return next(str(b["title"]) for b in variation["buttons"] if b["payload"] == payload)
    raise KeyError(f"{response} has no {language} variation")


def words(text: str) -> list[str]:
    """Split text into words: at spaces, and after CJK punctuation (no spaces in CJK)."""
    return re.findall(r"[^\s。！？、，；：）」』]+[。！？、，；：）」』]*|[。！？、，；：）」』]+", text)


# The front end as a process


@contextmanager
def front_end(api: BotApiStub, rasa_url: str, workdir: Path, **environment: str) -> Iterator[subprocess.Popen]:
    """Run `jra telegram` against the stand-in and ``rasa_url`` until the block ends."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "RASA_"))}
    env.update(TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_BASE_URL=api.url, RASA_URL=rasa_url, PYTHONUNBUFFERED="1")
    env.update(environment)
    log = workdir / "telegram.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    ready = "setWebhook" if "TELEGRAM_WEBHOOK_URL" in environment else "getUpdates"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not api.calls(ready):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Telegram front end did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield process
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def telegram(rasa_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotApiStub]:
    """Run the front end against the real Rasa server; return the Bot API stand-in it talks to."""
    with (
        BotApiStub(TOKEN) as api,
        front_end(api, rasa_server, tmp_path_factory.mktemp("telegram"), TELEGRAM_CHAT_LIMIT="10", TELEGRAM_CHAT_WINDOW="3600"),
    ):
        yield api


class FakeRasa:
    """A REST channel that answers "answer: <message>", can be held per sender, stopped and restarted.

    Only for the tests where Rasa must be down or slow; it keeps every request it got. With
    ``language`` set, its replies carry that conversation language as the real server's do.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[dict[str, Any]] = []
        self.language: str | None = None
        self._holds: dict[str, threading.Event] = {}
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeRasa:
        """Serve on the same port every time, as a restarted Rasa would."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                hold = fake._holds.get(body["sender"])
                if hold is not None:
                    hold.wait(timeout=120)
                answer: dict[str, Any] = {"recipient_id": body["sender"], "text": f"answer: {body['message']}"}
                if fake.language:
                    answer["metadata"] = {"language": fake.language}
                reply = json.dumps([answer]).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the front end stopped waiting

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering: connections are refused from now on."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self, sender: str) -> threading.Event:
        """Keep ``sender``'s requests waiting until the returned event is set."""
        self._holds[sender] = threading.Event()
        return self._holds[sender]

    def release(self, sender: str) -> None:
        """Let ``sender``'s held request go and answer its next ones at once."""
        self._holds.pop(sender).set()

    def release_all(self) -> None:
        """Let every held request go."""
        for event in self._holds.values():
            event.set()


@pytest.fixture()
def fake_rasa() -> Iterator[FakeRasa]:
    """Run a fake Rasa; stop it after the test."""
    fake = FakeRasa().start()
    yield fake
    fake.release_all()
    fake.stop()


# Texts and settings


def test_every_front_end_sentence_exists_in_five_distinct_languages() -> None:
    loaded = texts.load_texts()
    assert set(loaded.messages) == {message.value for message in Message}
    for entries in [*loaded.messages.values(), *loaded.commands.values()]:
        assert set(entries) == set(LANGUAGES)
        assert entries["ru"] != entries["uk"], "Russian and Ukrainian are different languages"
        assert len(set(entries.values())) == len(LANGUAGES)
        assert re.search(r"[\u3040-\u30ff]", entries["ja"]), f"not plain Japanese: {entries['ja']}"
        assert re.search(r"[\u4e00-\u9fff]", entries["zh"]) and not re.search(r"[\u3040-\u30ff]", entries["zh"])
    assert list(loaded.language_names) == list(LANGUAGES)


def test_every_registered_command_has_a_description_and_back() -> None:
    application = build_application(TelegramSettings(token=TOKEN))
    handled = {command for handler in application.handlers[0] for command in getattr(handler, "commands", ())}
    described = {command for command, _ in texts.command_descriptions("en")}
    assert handled == described == {"start", "help", "language", "reset"}


def test_settings_come_from_the_environment() -> None:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "RASA_URL": "http://rasa:5005/",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/updates",
            "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-1",
            "TELEGRAM_WEBHOOK_PORT": "8001",
        }
    )
    assert (settings.base_url, settings.rasa_url) == ("http://127.0.0.1:8081/bot", "http://rasa:5005")
    assert settings.webhook is not None
    assert (settings.webhook.url_path, settings.webhook.secret_token) == ("telegram/updates", "s3cret_token-1")
    assert (settings.webhook.listen, settings.webhook.port) == ("127.0.0.1", 8001)
    assert load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}).webhook is None


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"TELEGRAM_BOT_TOKEN": "paste-your-token-here"},
        {"TELEGRAM_BOT_TOKEN": TOKEN, "RASA_TIMEOUT": "soon"},
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "bot.example.org"},
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x.org/t", "TELEGRAM_WEBHOOK_SECRET": "a b"},
    ],
)
def test_bad_settings_are_one_clear_line(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ)
    assert "\n" not in str(raised.value) and str(raised.value).split()[0].isupper()


def test_the_token_never_reaches_the_log() -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(RedactToken(TOKEN))
    log = logging.getLogger("tests.telegram.redaction")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
        except RuntimeError:
            log.exception("request to %s failed", f"https://api.telegram.org/bot{TOKEN}/getMe")
    finally:
        log.removeHandler(handler)
    written = handler.stream.getvalue()
    assert "getMe failed" in written and "<token>" in written and TOKEN not in written


def test_chat_rate_limit_warns_once_then_drops_then_recovers() -> None:
    state = ChatState()
    verdicts = [state.admit(now=float(second), limit=3, window=60) for second in range(6)]
    assert verdicts == [Admission.ACCEPT] * 3 + [Admission.WARN, Admission.DROP, Admission.DROP]
    assert state.admit(now=61.0, limit=3, window=60) is Admission.ACCEPT


# Rendering


def test_bot_text_is_escaped_and_links_and_emphasis_become_html() -> None:
    text = "**Note** <b>&</b> see https://www.moj.go.jp/isa/index.html. Or [the form](https://x.jp/a?b=1&c=2)"
    markup = to_html(text)
    assert markup.startswith("<b>Note</b> &lt;b&gt;&amp;&lt;/b&gt; see ")
    assert '<a href="https://www.moj.go.jp/isa/index.html">https://www.moj.go.jp/isa/index.html</a>.' in markup
    assert '<a href="https://x.jp/a?b=1&amp;c=2">the form</a>' in markup
    assert parse_html(markup) == "Note <b>&</b> see https://www.moj.go.jp/isa/index.html. Or the form"


def test_user_snake_case_and_bullets_are_left_alone() -> None:
    text = "* item one\nfile_name_here and 2*3*4"
    assert parse_html(to_html(text)) == text


def test_rasa_buttons_become_an_inline_keyboard() -> None:
    kept: list[str] = []

    def keep(payload: str) -> str:
        kept.append(payload)
        return "#0"

    long_payload = '/inform{"date": "' + "2024-01-01 " * 8 + '"}'
    reply = {
        "text": "Pick one",
        "buttons": [
            {"title": "Yes", "payload": "/affirm"},
            {"title": "Long", "payload": long_payload},
            {"title": "Site", "payload": "https://www.moj.go.jp/isa/"},
        ],
    }
    [message] = render_reply(reply, keep)
    buttons = [row[0] for row in message.keyboard.inline_keyboard]
    assert [(b.text, b.callback_data, b.url) for b in buttons] == [
        ("Yes", "/affirm", None),
        ("Long", "#0", None),
        ("Site", None, "https://www.moj.go.jp/isa/"),
    ]
    assert kept == [long_payload]


def test_chat_keeps_long_payloads_for_its_buttons() -> None:
    state = ChatState()
    key = state.keep_payload("/x" * 100)
    assert state.payload(key) == "/x" * 100
    assert state.payload("/affirm") == "/affirm"
    assert state.payload("#999") is None


def test_short_text_is_one_message() -> None:
    assert split_html("Hello <b>there</b>") == ["Hello <b>there</b>"]


def test_long_text_splits_between_words_under_the_limit() -> None:
    text = " ".join(f"word{number}" for number in range(3000))
    parts = split_html(to_html(text))
    assert len(parts) > 1
    assert all(utf16_len(parse_html(part)) <= MESSAGE_LIMIT for part in parts)
    assert [word for part in parts for word in words(parse_html(part))] == words(text)


def test_split_prefers_paragraphs_and_keeps_tags_balanced() -> None:
    paragraph = "**" + "bold words " * 150 + "end**"  # about 1 660 characters each
    text = "\n\n".join([paragraph] * 6)
    parts = split_html(to_html(text))
    assert len(parts) >= 3
    for part in parts:
        plain = parse_html(part)  # raises on a broken or unbalanced tag
        assert utf16_len(plain) <= MESSAGE_LIMIT
        assert plain.endswith("end") and part.startswith("<b>"), "cut at a paragraph, not inside one"


def test_split_reopens_a_tag_cut_in_the_middle() -> None:
    markup = to_html("**" + " ".join(["emphasised"] * 1000) + "**")
    parts = split_html(markup, limit=500)
    assert len(parts) > 10
    assert all(part.startswith("<b>") and part.endswith("</b>") for part in parts)
    assert all(utf16_len(part) <= 500 for part in parts)


def test_split_never_cuts_links_or_entities() -> None:
    text = " ".join(f"A&B <see> https://www.moj.go.jp/isa/procedures/{number}.html" for number in range(400))
    parts = split_html(to_html(text))
    for part in parts:
        parse_html(part)
    urls = re.findall(r'href="([^"]+)"', "".join(parts))
    assert len(urls) == 400 and all(url.endswith(".html") for url in urls)
    assert [word for part in parts for word in words(parse_html(part))] == words(text)


def test_split_counts_utf16_units_and_breaks_cjk_after_punctuation() -> None:
    japanese = "在留カードをなくしたら、十四日以内に申請します。" * 400
    parts = split_html(to_html(japanese))
    assert len(parts) > 1
    assert all(utf16_len(parse_html(part)) <= MESSAGE_LIMIT for part in parts)
    assert all(parse_html(part)[-1] in "。、" for part in parts)
    assert "".join(parse_html(part) for part in parts) == japanese
    emoji = "🙂" * 5000  # two UTF-16 units each
    assert [utf16_len(part) for part in split_html(emoji)] == [4096, 4096, 1808]


def test_a_word_longer_than_a_message_is_cut_and_nothing_is_lost() -> None:
    word = "x" * 10_000
    parts = split_html(f"before {word} after")
    assert "".join(parts).replace(" ", "") == f"before{word}after"
    assert all(utf16_len(part) <= MESSAGE_LIMIT for part in parts)


def test_stand_in_rejects_what_telegram_rejects() -> None:
    for bad in ["<b>open", "a < b", "<script>x</script>", "<b><i>x</b></i>", "AT&T"]:
        with pytest.raises(ApiError):
            parse_html(bad)


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
    # The answer ends with buttons for the natural next questions.
    assert [b["callback_data"] for b in sent[-1].buttons()] == ["/find_immigration_office", "/contact_information_center"]
    typing = [call for call in telegram.calls("sendChatAction") if call.params["chat_id"] == chat_id]
    assert typing and typing[0].params["action"] == "typing"


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
