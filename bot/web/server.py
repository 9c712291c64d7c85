"""Serve the local web chat page (http://127.0.0.1:8080 by default).

A small static server from the standard library: the page itself talks to the Rasa server,
whose address it reads from /config.js.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)


class ChatPageHandler(SimpleHTTPRequestHandler):
    """Serve the static files and a /config.js that tells the page where Rasa is."""

    rasa_url = "http://127.0.0.1:5005"

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        """Answer /config.js from settings and everything else from the static folder."""
        if self.path.split("?")[0] == "/config.js":
            body = f"window.JRA_CONFIG = {json.dumps({'rasaUrl': self.rasa_url})};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Log requests without the query string (it never holds messages, but stay safe)."""
        logger.debug("%s %s", self.address_string(), format % args)


def serve(host: str, port: int, rasa_url: str) -> int:
    """Serve the chat page until interrupted; a busy port gives one clear line."""
    handler = partial(type("Handler", (ChatPageHandler,), {"rasa_url": rasa_url}), directory=str(STATIC_DIR))
    try:
        server = ThreadingHTTPServer((host, port), handler)
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
