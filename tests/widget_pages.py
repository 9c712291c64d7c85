"""Page objects of the widget tests: the widget on a page, driven as a user drives it; what a
message says and whether it is one of the domain's sentences; the socket.io events a page sends;
a support organisation's site on another origin; a TCP relay that cuts the line to Rasa.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml
from playwright.sync_api import Locator, Page, expect

from bot.devtools.local_servers import free_port
from bot.paths import PROJECT_ROOT

ANSWER_MS = 30_000  # generous: a slow machine, not a performance requirement


class Widget:
    """The widget on a page, driven the way a user drives it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.input = page.locator("jra-chat textarea")
        self.bot = page.locator("jra-chat .msg--bot")
        self.user = page.locator("jra-chat .msg--user")
        self.notice = page.locator("jra-chat .notice")
        self.language_toggle = page.locator("jra-chat .language-toggle")
        self.replies = page.locator("jra-chat .replies button")

    @classmethod
    def load(cls, page: Page, url: str) -> Widget:
        """Open ``url`` and wait for the widget's message box."""
        page.goto(url)
        widget = cls(page)
        expect(widget.input).to_be_visible()
        return widget

    def send(self, text: str) -> None:
        """Type a message and press Enter."""
        self.input.fill(text)
        self.input.press("Enter")

    def choose_language(self, code: str) -> None:
        """Pick a language in the switcher."""
        self.language_toggle.click()
        self.page.locator(f'jra-chat .languages button[data-language="{code}"]').click()

    def answer_after(self, count: int) -> Locator:
        """Return the first bot message after the first ``count`` ones, once it is there."""
        answer = self.bot.nth(count)
        expect(answer).to_be_visible(timeout=ANSWER_MS)
        return answer


def message_text(message: Locator) -> str:
    """Return what a message says, without the screen-reader-only labels."""
    return message.evaluate(
        "node => { const copy = node.cloneNode(true); copy.querySelectorAll('.sr').forEach(n => n.remove());"
        " return copy.textContent.trim(); }"
    )


def domain_sentences(language: str) -> list[re.Pattern[str]]:
    """Return every bot sentence of domain.yml in ``language`` as a pattern (slots as wildcards)."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    patterns = []
    for variations in domain["responses"].values():
        for variation in variations:
            conditions = {c["name"]: c["value"] for c in variation.get("condition", [])}
            if conditions.get("language", "en") != language or "text" not in variation:
                continue
            # The socket.io channel sends each paragraph as a message of its own.
            for paragraph in variation["text"].strip().split("\n\n"):
                pattern = re.sub(r"\\\{\w+\\\}", ".+", re.escape(paragraph.strip()))
                patterns.append(re.compile(pattern, re.DOTALL))
    return patterns


def says_in(text: str, language: str) -> bool:
    """Tell whether ``text`` is one of the domain's sentences in ``language``."""
    return any(pattern.fullmatch(text) for pattern in domain_sentences(language))


def sent_events(page: Page, name: str) -> list[dict]:
    """Collect, as they happen, the data of socket.io events ``name`` that the page sends."""
    events: list[dict] = []

    def on_frame(payload: str | bytes) -> None:
        if isinstance(payload, str) and payload.startswith("42"):
            event = json.loads(payload[2:])
            if event[0] == name:
                events.append(event[1])

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return events


class OrganisationSite:
    """A support organisation's web site on a port of its own, so another origin than the widget's."""

    def __init__(self) -> None:
        pages: dict[str, bytes] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.pages = pages
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def page(self, widget_server: str, config: dict, head: str = "", body: str = "") -> str:
        """Publish a page that embeds the widget with ``config``; return its URL."""
        path = f"/page-{len(self.pages)}.html"
        self.pages[path] = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>{head}</head>"
            f"<body>{body}<script>window.jraChatConfig = {json.dumps(config)};</script>"
            f"<script src='{widget_server}/widget.js' defer></script></body></html>"
        ).encode()
        return self.url + path


class TcpRelay:
    """Relay connections from a port of its own to another; start and stop it to cut the line."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []

    def start(self) -> None:
        """Listen and relay until stopped."""
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every relayed connection."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for side in (source, target):
                with contextlib.suppress(OSError):
                    side.shutdown(socket.SHUT_RDWR)
