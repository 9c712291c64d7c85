"""The Telegram front end without a process: its texts and settings, and how Rasa's replies
are rendered as Telegram HTML, keyboards and messages under Telegram's limit.
"""

from __future__ import annotations

import io
import logging
import re

import pytest

from bot.languages import LANGUAGES
from bot.telegram import texts
from bot.telegram.app import RedactToken, build_application
from bot.telegram.chats import Admission, ChatState
from bot.telegram.rendering import MESSAGE_LIMIT, render_reply, split_html, to_html, utf16_len
from bot.telegram.settings import SettingsError, TelegramSettings, load_settings
from bot.telegram.texts import Message
from tests.telegram_fakes import TOKEN, words
from tests.telegram_stub import ApiError, parse_html

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
