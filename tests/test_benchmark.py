"""make bench's measurement: both servers get every message, alternating which goes first."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.devtools.benchmark import alternate, percentile

ARRIVALS: list[tuple[str, str]] = []  # (server, message) in the order they arrived


def _server(name: str, status: int = 200) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ARRIVALS.append((name, body["message"]))
            reply = json.dumps([{"recipient_id": body["sender"], "text": "ok"}]).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture()
def two_servers() -> Iterator[tuple[str, str]]:
    servers = [_server("ours"), _server("bare", status=500)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ARRIVALS.clear()
    yield tuple(f"http://127.0.0.1:{server.server_address[1]}" for server in servers)  # type: ignore[misc]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_every_message_reaches_both_servers_and_the_first_alternates(two_servers: tuple[str, str]) -> None:
    ours_url, bare_url = two_servers
    corpus = [("en", f"message {index}") for index in range(6)]
    ours, bare = alternate(ours_url, bare_url, corpus)
    measured = [arrival for arrival in ARRIVALS if arrival[1] in {message for _, message in corpus}][-12:]
    assert [server for server, _ in measured] == ["ours", "bare", "bare", "ours"] * 3
    assert [message for _, message in measured[::2]] == [message for _, message in corpus]
    assert len(ours.latencies_ms) == 6 and ours.languages == ["en"] * 6 and ours.errors == 0
    # A server that answers with an error is counted, not timed.
    assert bare.latencies_ms == [] and bare.errors == 6 and bare.error_rate == 1.0


def test_percentiles() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0
