"""The chat widget in a real browser: Debian's Chromium driven by Playwright against the page
server, the real Rasa server (socket.io channel), the action server and the database.

Playwright's CSS locators pierce the widget's open shadow root, so `jra-chat textarea` finds
the message box inside it. Screenshots go to tests/artifacts/ (gitignored).
The page objects are in tests/widget_pages.py; the tests without a browser in
tests/test_widget_bundle.py.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy.orm import Session

from actions.content_files import variation_language
from actions.db.queries import get_procedure
from bot.languages import LANGUAGES
from bot.web.bundle import load_texts
from bot.web.server import make_server
from tests.conftest import DOMAIN, response_text
from tests.tracker_events import TRACKER_FILE, wait_for_intent
from tests.widget_pages import ANSWER_MS, OrganisationSite, TcpRelay, Widget, message_text, says_in, sent_events

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections are refused here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
RECONNECT_MS = 40_000  # socket.io retries with a back-off of up to 10 s
TEXTS = load_texts()
LOST_CARD = {
    "en": "I lost my residence card",
    "ru": "потерял карту резидента",
    "uk": "загубив картку резидента",
    "zh": "我的在留卡丢了怎么办",
    "ja": "在留カードをなくしました",
}
INJECTION = (
    '<img src=x onerror="window.pwned=1"> https://example.org/page <script>window.pwned=2</script>'
    '<b>bold</b> [click](javascript:window.pwned=3) javascript:window.pwned=4 <img src=y onerror="window.pwned=5">'
)


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch Debian's headless Chromium (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page_server(rasa_server: str) -> Iterator[str]:
    """Serve the widget and its page on a free port of 127.0.0.1; return the base URL."""
    server = make_server("127.0.0.1", 0, rasa_server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """Open a page in a fresh browser context (empty storage, so a new conversation)."""
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(ANSWER_MS)
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def organisation() -> Iterator[OrganisationSite]:
    """Serve a support organisation's pages that embed the widget."""
    site = OrganisationSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


# ---- conversations in the browser -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_question_gets_the_procedure_answer_in_its_language(
    page: Page, page_server: str, session: Session, language: str
) -> None:
    expected = get_procedure(session, "lost_residence_card", language)
    assert expected is not None and not expected.fell_back
    widget = Widget.load(page, page_server)

    widget.send(LOST_CARD[language])

    answer = widget.bot.filter(has_text=expected.title).first
    expect(answer).to_be_visible(timeout=ANSWER_MS)
    expect(answer).to_have_attribute("lang", language)  # fonts and line breaking follow it
    if language in ("zh", "ja"):  # Han characters: the font must follow the language
        expect(widget.user.first).to_have_attribute("lang", language)


def test_the_language_switcher_changes_the_widget_and_the_conversation_without_a_reload(page: Page, page_server: str) -> None:
    widget = Widget.load(page, page_server)
    page.evaluate("window.notReloaded = true")
    expect(widget.input).to_have_attribute("placeholder", TEXTS["en"]["placeholder"])

    widget.choose_language("uk")

    expect(widget.input).to_have_attribute("placeholder", TEXTS["uk"]["placeholder"])
    expect(page.locator("jra-chat .title")).to_have_text(TEXTS["uk"]["title"])
    expect(page.locator("jra-chat .send")).to_have_attribute("aria-label", TEXTS["uk"]["send"])
    expect(page.locator("jra-chat .log")).to_have_attribute("aria-label", TEXTS["uk"]["conversation"])
    expect(page.locator("jra-chat .root")).to_have_attribute("lang", "uk")
    expect(widget.bot.first).to_contain_text(TEXTS["uk"]["welcome"])
    answer = message_text(widget.answer_after(1))
    assert says_in(answer, "uk"), f"not a Ukrainian sentence of the domain: {answer!r}"
    assert page.evaluate("window.notReloaded") is True


def test_a_russian_conversation_turns_the_language_button_and_the_placeholder_russian(page: Page, page_server: str) -> None:
    """The conversation's language is Rasa's slot; every bot message carries it and the widget follows."""
    sent = sent_events(page, "user_uttered")
    widget = Widget.load(page, page_server)
    expect(widget.input).to_have_attribute("placeholder", TEXTS["en"]["placeholder"])
    expect(page.locator("jra-chat .current-language")).to_have_text(TEXTS["en"]["languages"]["en"])

    widget.send(LOST_CARD["ru"])

    expect(widget.answer_after(1)).to_have_attribute("lang", "ru")
    expect(widget.input).to_have_attribute("placeholder", TEXTS["ru"]["placeholder"])
    expect(page.locator("jra-chat .current-language")).to_have_text(TEXTS["ru"]["languages"]["ru"])
    expect(widget.language_toggle).to_have_attribute("aria-label", TEXTS["ru"]["languageButton"].replace("{name}", "Русский"))
    expect(page.locator("jra-chat .root")).to_have_attribute("lang", "ru")
    expect(widget.bot.first).to_contain_text(TEXTS["ru"]["welcome"])
    assert sent[0]["metadata"] == {"language_code": "en"}, "the widget's language goes to Rasa as a hint only"
    widget.send("ok")
    for _ in range(100):
        if len(sent) > 1:
            break
        page.wait_for_timeout(100)
    assert sent[1]["metadata"] == {"language_code": "ru"}
    page.reload()
    expect(widget.input).to_have_attribute("placeholder", TEXTS["ru"]["placeholder"])


def test_a_quick_reply_button_sends_its_payload_and_the_conversation_goes_on(page: Page, page_server: str) -> None:
    sent = sent_events(page, "user_uttered")
    widget = Widget.load(page, page_server)
    widget.choose_language("ru")
    # Rasa's answer offers the languages as buttons; its answer to the click offers them again,
    # so the button clicked is the first one.
    button = widget.replies.filter(has_text=TEXTS["ja"]["languages"]["ja"]).first
    expect(button).to_be_enabled(timeout=ANSWER_MS)
    bot_before = widget.bot.count()

    button.click()

    expect(widget.user.last).to_contain_text(TEXTS["ja"]["languages"]["ja"])
    expect(button).to_be_disabled()  # a choice answers only its own question
    answer = message_text(widget.answer_after(bot_before))
    assert says_in(answer, "ja"), f"not a Japanese sentence of the domain: {answer!r}"
    assert sent[-1]["message"] == '/change_language{"language": "ja"}'
    assert sent[-1]["session_id"] == sent[0]["session_id"]


def test_a_reload_keeps_the_history_and_the_session(page: Page, page_server: str, session: Session) -> None:
    requests = sent_events(page, "session_request")
    widget = Widget.load(page, page_server)
    widget.send(LOST_CARD["zh"])
    title = get_procedure(session, "lost_residence_card", "zh").title
    expect(widget.bot.filter(has_text=title).first).to_be_visible(timeout=ANSWER_MS)
    # The whole answer has arrived once the flow's question is shown (it is the last message).
    question = response_text("utter_ask_lost_noticed_date", "zh")
    expect(widget.bot.filter(has_text=question).first).to_be_visible(timeout=ANSWER_MS)
    history = [message_text(message) for message in page.locator("jra-chat .msg").all()]

    page.reload()

    expect(widget.bot.filter(has_text=title).first).to_be_visible()
    expect(page.locator("jra-chat .msg")).to_have_count(len(history))
    assert [message_text(message) for message in page.locator("jra-chat .msg").all()] == history
    for _ in range(100):  # the new page's session_request follows its connection
        if len(requests) >= 2:
            break
        page.wait_for_timeout(100)
    assert requests[-1]["session_id"] == requests[0]["session_id"], "the same Rasa conversation after the reload"


def test_a_new_conversation_starts_a_new_session_with_an_empty_history(page: Page, page_server: str) -> None:
    requests = sent_events(page, "session_request")
    widget = Widget.load(page, page_server)
    widget.send("hello")
    expect(widget.answer_after(1)).to_be_visible()

    page.locator("jra-chat .restart").click()

    expect(widget.user).to_have_count(0)
    expect(widget.bot).to_have_count(1)  # the welcome only
    widget.send("hello")
    expect(widget.answer_after(1)).to_be_visible()
    assert len({request["session_id"] for request in requests}) == 2


def test_html_and_script_in_a_message_are_shown_as_text(page: Page, page_server: str) -> None:
    widget = Widget.load(page, page_server)

    widget.send(INJECTION)

    expect(widget.answer_after(1)).to_be_visible()  # the bot answered the message
    message = widget.user.last
    assert message_text(message) == INJECTION
    assert message.locator("img, script, b").count() == 0
    links = message.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://example.org/page")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    assert page.evaluate("window.pwned") is None


def test_a_server_outage_shows_a_notice_and_the_widget_reconnects_by_itself(
    page: Page, page_server: str, rasa_server: str, organisation: OrganisationSite
) -> None:
    relay = TcpRelay(int(rasa_server.rsplit(":", 1)[1]))
    url = organisation.page(page_server, {"serverUrl": f"http://127.0.0.1:{relay.port}", "open": True})
    widget = Widget.load(page, url)
    try:
        expect(widget.notice).to_be_visible()
        expect(widget.notice).to_have_text(TEXTS["en"]["offline"])
        widget.send("hello")
        expect(widget.user.last.locator(".pending")).to_have_text(TEXTS["en"]["pending"])

        relay.start()

        expect(widget.notice).to_be_hidden(timeout=RECONNECT_MS)
        expect(widget.user.last.locator(".pending")).to_have_count(0)
        assert says_in(message_text(widget.answer_after(1)), "en")

        relay.stop()

        expect(widget.notice).to_be_visible(timeout=RECONNECT_MS)
    finally:
        relay.stop()


def test_the_widget_and_the_host_page_do_not_style_each_other(
    page: Page, page_server: str, organisation: OrganisationSite
) -> None:
    hostile = (
        "<style>* { font-family: serif !important; color: rgb(255, 0, 0) !important; line-height: 3 !important; }"
        " button, textarea, div, li { font-size: 30px !important; background: rgb(0, 255, 0) !important; }"
        " p { margin: 7px; }</style>"
        "<script>window.io = 'the page own io'; window.define = function () { throw new Error('AMD'); };"
        " window.define.amd = {};</script>"
    )
    config = {"open": True, "title": "City hall help", "colors": {"accent": "#8a1538"}}
    url = organisation.page(page_server, config, head=hostile, body="<p>Our own page</p><button>Ours</button>")
    widget = Widget.load(page, url)

    expect(page.locator("jra-chat .title")).to_have_text("City hall help")
    styles = widget.input.evaluate(
        "n => { const s = getComputedStyle(n); return [s.fontSize, s.color, s.backgroundColor, s.fontFamily]; }"
    )
    assert styles[:3] == ["16px", "rgb(26, 26, 26)", "rgb(255, 255, 255)"]
    assert styles[3].split(",")[0].strip() != "serif"
    send_colour = page.locator("jra-chat .send").evaluate("n => getComputedStyle(n).backgroundColor")
    assert send_colour == "rgb(138, 21, 56)"  # the configured accent
    # The page keeps its own look and globals: the widget adds no style or global of its own.
    assert page.locator("body > p").evaluate("n => getComputedStyle(n).margin") == "7px"
    assert page.locator("body > button").evaluate("n => getComputedStyle(n).fontSize") == "30px"
    assert page.evaluate("window.io") == "the page own io"
    assert page.locator("head style").count() == 1
    widget.send("hello")
    expect(widget.answer_after(1)).to_be_visible()


def test_the_widget_works_with_the_keyboard_alone(page: Page, page_server: str, organisation: OrganisationSite) -> None:
    url = organisation.page(page_server, {})
    page.goto(url)
    launcher = page.locator("jra-chat .launcher")
    expect(launcher).to_have_attribute("aria-label", TEXTS["en"]["openChat"])

    page.keyboard.press("Tab")
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    widget = Widget(page)
    expect(widget.input).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(widget.answer_after(1)).to_be_visible()

    widget.language_toggle.focus()
    page.keyboard.press("Enter")
    expect(widget.language_toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator('jra-chat .languages button[data-language="en"]')).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # English, Русский, Українська
    page.keyboard.press("Enter")
    expect(widget.input).to_have_attribute("placeholder", TEXTS["uk"]["placeholder"])
    expect(widget.language_toggle).to_be_focused()

    page.keyboard.press("Escape")
    expect(widget.input).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-label", TEXTS["uk"]["openChat"])


@pytest.mark.parametrize("mode", ["page", "floating"])
def test_the_widget_fits_a_phone_and_a_desktop_screen(
    page: Page, page_server: str, session: Session, organisation: OrganisationSite, mode: str
) -> None:
    url = page_server if mode == "page" else organisation.page(page_server, {"open": True})
    widget = Widget.load(page, url)
    widget.choose_language("ja")
    widget.send(LOST_CARD["ja"])
    title = get_procedure(session, "lost_residence_card", "ja").title
    expect(widget.bot.filter(has_text=title).first).to_be_visible(timeout=ANSWER_MS)
    ARTIFACTS.mkdir(exist_ok=True)

    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # let the layout settle before the picture
        page.screenshot(path=ARTIFACTS / f"widget-{mode}-{name}.png")
        width = viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
        for part in ("jra-chat .panel", "jra-chat .send", "jra-chat textarea", "jra-chat .language-toggle"):
            box = page.locator(part).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, part
            assert box["y"] + box["height"] <= viewport["height"] + 0.5, part
        for message in page.locator("jra-chat .msg").all():
            box = message.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, message_text(message)[:40]
        if name == "phone" and mode == "floating":
            assert page.locator("jra-chat .panel").bounding_box()["width"] == width  # the whole screen


# ---- "Was this helpful? 👍 / 👎" under an answer (bot/feedback.py) ------------------------------

PERMANENT_RESIDENCE = {
    "en": "how can I apply for permanent residency?",
    "uk": "як отримати дозвіл на постійне проживання в японії?",
    "ja": "永住許可を申請したいです",
}


def handoff_title(language: str) -> str:
    """Return the apology's "Talk to a person" button title in one language."""
    for variation in DOMAIN["responses"]["utter_feedback_sorry"]:
        if variation_language(variation) == language:
            return str(variation["buttons"][0]["title"])
    raise KeyError(language)


def rating_button(page: Page, rating: str) -> Locator:
    """Return the 👍 ("helpful") or 👎 ("notHelpful") button of the only feedback row."""
    return page.locator(f'jra-chat .feedback button[data-rating="{rating}"]')


@pytest.mark.parametrize("language", ["uk", "ja"])
def test_a_procedure_answer_asks_whether_it_helped_and_a_thumbs_down_is_apologised_for_and_kept(
    page: Page, page_server: str, rasa_workdir: Path, language: str
) -> None:
    sent = sent_events(page, "user_uttered")
    widget = Widget.load(page, page_server)
    widget.send(PERMANENT_RESIDENCE[language])

    row = page.locator("jra-chat .feedback")
    expect(row).to_have_count(1, timeout=ANSWER_MS)  # one row, under the end of the answer
    expect(row).to_have_attribute("aria-label", TEXTS[language]["feedbackQuestion"])
    expect(row).to_contain_text(TEXTS[language]["feedbackQuestion"])
    up, down = rating_button(page, "helpful"), rating_button(page, "notHelpful")
    expect(up).to_have_text("👍")
    expect(up).to_have_attribute("aria-label", TEXTS[language]["helpful"])
    expect(down).to_have_text("👎")
    expect(down).to_have_attribute("aria-label", TEXTS[language]["notHelpful"])
    expect(down).to_have_attribute("aria-pressed", "false")
    # The row follows the answer's last message (the official link) and its own buttons.
    assert row.evaluate("node => node.previousElementSibling.className") == "replies"
    bot_before = widget.bot.count()

    down.click()

    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    for button in (up, down):
        expect(button).to_have_attribute("aria-disabled", "true")
    expect(widget.user.last).to_have_text(re.compile("👎"))
    apology = widget.answer_after(bot_before)
    assert message_text(apology) == response_text("utter_feedback_sorry", language)
    expect(widget.replies.last).to_have_text(handoff_title(language))
    assert sent[-1]["message"] == "/feedback_not_helpful"
    session_id = sent[-1]["session_id"]
    events = wait_for_intent(rasa_workdir / TRACKER_FILE, session_id, "feedback_not_helpful")
    assert [event["parse_data"]["intent"]["name"] for event in events if event["event"] == "user"][-1] == "feedback_not_helpful"

    # Used once: pressing again sends nothing; the choice is still shown after a reload.
    presses = len(sent)
    down.click(force=True)
    up.click(force=True)
    page.wait_for_timeout(500)
    assert len(sent) == presses
    page.reload()
    expect(rating_button(page, "notHelpful")).to_have_attribute("aria-pressed", "true")
    expect(rating_button(page, "helpful")).to_have_attribute("aria-disabled", "true")


def test_the_feedback_buttons_work_with_the_keyboard_and_may_be_ignored(page: Page, page_server: str) -> None:
    sent = sent_events(page, "user_uttered")
    widget = Widget.load(page, page_server)
    widget.send(PERMANENT_RESIDENCE["en"])
    up, down = rating_button(page, "helpful"), rating_button(page, "notHelpful")
    expect(down).to_be_visible(timeout=ANSWER_MS)

    # Typing on is fine: the row waits, and the conversation goes on without it.
    widget.send("hello")
    greeting = widget.bot.filter(has_text=response_text("utter_greet", "en")[:20]).last
    expect(greeting).to_be_visible(timeout=ANSWER_MS)
    expect(up).to_have_attribute("aria-pressed", "false")
    assert up.get_attribute("aria-disabled") is None

    up.focus()
    expect(up).to_be_focused()
    page.keyboard.press("Tab")
    expect(down).to_be_focused()
    page.keyboard.press("Shift+Tab")
    bot_before = widget.bot.count()
    page.keyboard.press("Enter")

    expect(up).to_have_attribute("aria-pressed", "true")
    expect(up).to_be_focused()  # the focus stays where it was
    thanks = widget.answer_after(bot_before)
    assert message_text(thanks) == response_text("utter_feedback_thanks", "en")
    assert [event["message"] for event in sent][-1] == "/feedback_helpful"
    page.keyboard.press("Space")  # a second press does nothing
    page.wait_for_timeout(500)
    assert [event["message"] for event in sent].count("/feedback_helpful") == 1
