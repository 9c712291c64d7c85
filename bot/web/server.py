"""Serve the chat widget and its local page (http://127.0.0.1:8080 by default).

A small static server from the standard library. `/widget.js` is the embeddable widget,
built by bot/web/bundle.py with this server's Rasa URL as its default; `/` is a page that
embeds it like any support organisation's page would; `/vendor/` holds the socket.io
client's licence. The browser talks to the Rasa server's socket.io channel directly.
"""

from __future__ import annotations

import gzip
import logging
import sys
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from bot.web.bundle import STATIC_DIR, build_widget

logger = logging.getLogger(__name__)


class ChatPageHandler(SimpleHTTPRequestHandler):
    """Serve /widget.js from the bundle and everything else from the static folder."""

    rasa_url = "http://127.0.0.1:5005"
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "application/javascript; charset=utf-8"}

    def do_GET(self) -> None:
        """Answer /widget.js from the bundle and other paths from the static folder."""
        if self.path.split("?")[0] == "/widget.js":
            self._send_widget(include_body=True)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        """Answer HEAD like GET, without the body."""
        if self.path.split("?")[0] == "/widget.js":
            self._send_widget(include_body=False)
        else:
            super().do_HEAD()

    def _send_widget(self, include_body: bool) -> None:
        body = build_widget(self.rasa_url).encode("ascii")
        compress = "gzip" in self.headers.get("Accept-Encoding", "")
        if compress:  # 93 KB become 28 KB: it matters on a phone
            body = gzip.compress(body)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        # Embedding pages should pick up a new widget version on their next load.
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def end_headers(self) -> None:
        """Add headers that every answer carries."""
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def list_directory(self, path: str) -> None:  # type: ignore[override]
        """Refuse directory listings: only the files themselves are served."""
        self.send_error(HTTPStatus.NOT_FOUND)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Log requests at debug level (they never hold messages: those go to Rasa)."""
        logger.debug("%s %s", self.address_string(), format % args)


def make_server(host: str, port: int, rasa_url: str) -> ThreadingHTTPServer:
    """Return a server for the widget and its page, bound but not yet serving."""
    handler = partial(type("Handler", (ChatPageHandler,), {"rasa_url": rasa_url}), directory=str(STATIC_DIR))
    return ThreadingHTTPServer((host, port), handler)


def serve(host: str, port: int, rasa_url: str) -> int:
    """Serve the widget and its page until interrupted; a busy port gives one clear line."""
    try:
        server = make_server(host, port, rasa_url)
    except OSError as error:
        print(f"Cannot serve the web chat on {host}:{port}: {error.strerror}.", file=sys.stderr)
        return 1
    print(f"Web chat: http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
