"""The production profile's lock store: two workers taking a ticket at the same instant get two tickets.

Rasa's RedisLockStore reads, changes and writes a conversation's lock in three Redis calls, so
workers arriving together could all take the first ticket and handle their messages at once
(bot/lock_store.py). These tests run a real redis-server on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.rasa_environment import assert_prints


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_port() -> Iterator[int]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


# Eight workers (one store each, as in eight processes) take a ticket for one conversation at once.
TICKETS = """
import threading
from rasa.utils.endpoints import EndpointConfig
from bot.lock_store import AtomicRedisLockStore

config = EndpointConfig(url="127.0.0.1", port=PORT, db=1, key_prefix="drill", type="bot.lock_store.AtomicRedisLockStore")
for round in range(20):
    stores = [AtomicRedisLockStore(config) for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    tickets = []

    def take(store):
        barrier.wait()
        tickets.append(store.issue_ticket(f"conversation-{round}"))

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(8)), tickets
    lock = stores[0].get_lock(f"conversation-{round}")
    assert len(lock.tickets) == 8, "every ticket was written, none overwritten"
    # Each gives its ticket back; the last one deletes the lock.
    for store, ticket in zip(stores, sorted(tickets)):
        store.cleanup(f"conversation-{round}", ticket)
    assert stores[0].get_lock(f"conversation-{round}") is None
print("one ticket each")
"""


@pytest.mark.slow  # starts redis-server and the Rasa environment's Python
def test_workers_taking_a_ticket_at_the_same_instant_each_get_their_own(redis_port: int) -> None:
    assert_prints(TICKETS.replace("PORT", str(redis_port)), "one ticket each", timeout=180)
