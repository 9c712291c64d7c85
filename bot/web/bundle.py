"""Build the chat widget's single script, /widget.js.

The page server builds it on each request from the files it is made of, so an edit shows on
the next reload. Everything goes into one function scope: the vendored socket.io client never
becomes a page global (a host page may have its own, or an AMD loader), and the texts and
styles need no second request. The list of languages is bot/languages.py's, as everywhere
else, and the feedback buttons' metadata key and payloads are bot/feedback.py's. The result is ASCII only, so a site whose pages are in Shift_JIS that copies the file to
its own server cannot garble it.

Save a copy for another web server with:
    .venv/app/bin/python -m bot.web.bundle --rasa-url https://assistant.example.org > widget.js
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from bot.feedback import FEEDBACK_KEY, FEEDBACK_PAYLOADS
from bot.languages import LANGUAGES

WEB_DIR = Path(__file__).resolve().parent
WIDGET_DIR = WEB_DIR / "widget"
STATIC_DIR = WEB_DIR / "static"
SOCKET_IO = STATIC_DIR / "vendor" / "socket.io.min.js"
SOURCES = ("helpers.js", "config.js", "connection.js", "view.js", "widget.js")

TEMPLATE = """\
/*! Chat widget of the Japan residence assistant (docs/widget.md). Apache-2.0.
    Includes the Socket.IO client v{socket_io_version}, MIT licence: /vendor/socket.io-client.LICENSE */
(function () {{
var io = (function () {{
var module = {{ exports: {{}} }}, exports = module.exports, define;
{socket_io}
;return module.exports;
}})();
(function () {{
"use strict";
var LANGUAGES = {languages};
var TEXTS = {texts};
var STYLES = {css};
var DEFAULTS = {defaults};
var FEEDBACK = {feedback};
{sources}
}})();
}})();
"""


def socket_io_version() -> str:
    """Return the version of the vendored socket.io client, read from its banner."""
    match = re.search(r"Socket\.IO v(\d+\.\d+\.\d+)", SOCKET_IO.read_text(encoding="ascii")[:200])
    if match is None:
        raise ValueError(f"{SOCKET_IO} has no version banner")
    return match.group(1)


def load_texts() -> dict[str, dict]:
    """Return the widget's texts per language from widget/texts.json."""
    return json.loads((WIDGET_DIR / "texts.json").read_text(encoding="utf-8"))


def build_widget(rasa_url: str) -> str:
    """Return the widget script whose default server is ``rasa_url``."""
    return TEMPLATE.format(
        socket_io_version=socket_io_version(),
        socket_io=SOCKET_IO.read_text(encoding="ascii"),
        languages=json.dumps(list(LANGUAGES), ensure_ascii=True),
        texts=json.dumps(load_texts(), ensure_ascii=True, separators=(",", ":")),
        css=json.dumps((WIDGET_DIR / "widget.css").read_text(encoding="utf-8"), ensure_ascii=True),
        defaults=json.dumps({"serverUrl": rasa_url}, ensure_ascii=True),
        feedback=json.dumps({"key": FEEDBACK_KEY, "payloads": list(FEEDBACK_PAYLOADS)}, ensure_ascii=True),
        sources="\n".join((WIDGET_DIR / name).read_text(encoding="utf-8") for name in SOURCES),
    )


def main(argv: list[str] | None = None) -> int:
    """Write the widget script to standard output."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005", help="the Rasa server as browsers reach it")
    args = parser.parse_args(argv)
    sys.stdout.write(build_widget(args.rasa_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
