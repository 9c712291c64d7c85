"""The Telegram tests' fakes: the front end run as a process (`python -m bot.cli telegram`, as
`make run` starts it) against the Bot API stand-in of tests/telegram_stub.py, a fake Rasa for the
tests where Rasa must go away or be slow, and the chat ids and word splitting the tests share.
"""

from __future__ import annotations

import itertools
import json
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

import pytest

from bot.devtools.local_servers import free_port, stop_process
from bot.paths import PROJECT_ROOT
from tests.telegram_stub import BotApiStub

TOKEN = "123456789:stub-token_for-the-local-Bot-API"
STARTUP_SECONDS = 120.0  # a deadline for a front end that does not start, not a performance claim
_chat_ids = itertools.count(1000)


def new_chat() -> int:
    """Return a chat id no other test uses."""
    return next(_chat_ids)


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
