"""The chat widget without a browser: its texts in five languages and the bundle /widget.js serves."""

from __future__ import annotations

import json
import re

from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT
from bot.web.bundle import SOURCES, WIDGET_DIR, build_widget, load_texts, socket_io_version

TEXTS = load_texts()


# ---- the widget's data and bundle (no browser) ----------------------------------------------


def test_every_widget_text_exists_in_all_five_languages() -> None:
    assert set(TEXTS) == set(LANGUAGES)
    for language in LANGUAGES:
        assert TEXTS[language].keys() == TEXTS["en"].keys(), language
        assert set(TEXTS[language]["languages"]) == set(LANGUAGES), language
        for key, text in TEXTS[language].items():
            if key == "languages":
                assert all(name.strip() for name in text.values()), language
                continue
            assert text.strip(), f"{language}.{key} is empty"
            assert ("{name}" in text) == ("{name}" in TEXTS["en"][key]), f"{language}.{key}"
    # Russian and Ukrainian are different languages, not copies of each other.
    same = [key for key in TEXTS["ru"] if key != "languages" and TEXTS["ru"][key] == TEXTS["uk"][key]]
    assert not same, f"identical in ru and uk: {same}"


def test_the_bundle_is_self_contained_ascii() -> None:
    bundle = build_widget("http://127.0.0.1:5005")
    assert bundle.isascii(), "a page in Shift_JIS that saves the file would garble it"
    # Only the server URL it was given, and socket.io's link in an error message.
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+\.[a-z]{2,})", bundle))
    assert hosts <= {"socket.io"}, f"the widget must not load anything from {hosts}"
    assert "@import" not in bundle and "url(" not in bundle, "no web fonts or remote styles"


def test_the_bundle_takes_its_languages_from_bot_languages() -> None:
    bundle = build_widget("http://127.0.0.1:5005")
    assert f"var LANGUAGES = {json.dumps(list(LANGUAGES))};" in bundle
    language_list = re.compile(r"""["'](?:en|ru|uk|zh|ja)["']\s*,\s*["'](?:en|ru|uk|zh|ja)["']""")
    for name in SOURCES:
        source = (WIDGET_DIR / name).read_text(encoding="utf-8")
        assert not language_list.search(source), f"{name} types a list of languages"


def test_the_vendored_socket_io_version_is_documented() -> None:
    docs = (PROJECT_ROOT / "docs" / "widget.md").read_text(encoding="utf-8")
    version = socket_io_version()
    assert version.startswith("4."), "Rasa 3.6's python-socketio 5 speaks Engine.IO 4: socket.io-client 4.x"
    assert f"socket.io-client@{version}" in docs
