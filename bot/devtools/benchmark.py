"""Measure one message through the REST channel, action and database included.

Starts the real action server and Rasa server on free ports (as the tests do), sends the
held-out user messages of tests/nlu/ and prints, per language, the median and 95th percentile
round trip, then the sustained throughput with concurrent senders and the Rasa server's memory.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

from bot.devtools import local_servers
from bot.devtools.model import ensure_model
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT

HELD_OUT_DIR = PROJECT_ROOT / "tests" / "nlu"


def held_out_messages(language: str) -> list[str]:
    """Return the held-out user messages of one language."""
    data = yaml.safe_load((HELD_OUT_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    messages: list[str] = []
    for block in data.get("nlu", []):
        messages.extend(line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- "))
    return messages


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_megabytes(pid: int) -> float:
    """Return a process's resident memory in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sequential_latencies(url: str, messages: list[str], per_sender: int = 5) -> list[float]:
    """Send messages one after another (five per conversation); return round trips in ms."""
    latencies: list[float] = []
    with httpx.Client(timeout=60) as client:
        sender = uuid.uuid4().hex
        for index, message in enumerate(messages):
            if index % per_sender == 0:
                sender = uuid.uuid4().hex
            started = time.perf_counter()
            client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def _throughput(url: str, messages: list[str], concurrency: int, seconds: float) -> tuple[int, int]:
    done = errors = 0
    deadline = time.monotonic() + seconds

    async def sender_loop(worker: int) -> None:
        nonlocal done, errors
        async with httpx.AsyncClient(timeout=60) as client:
            index = worker
            while time.monotonic() < deadline:
                message = messages[index % len(messages)]
                response = await client.post(
                    f"{url}/webhooks/rest/webhook", json={"sender": f"load-{worker}", "message": message}
                )
                if response.status_code == 200:
                    done += 1
                else:
                    errors += 1
                index += concurrency

    await asyncio.gather(*(sender_loop(worker) for worker in range(concurrency)))
    return done, errors


def run(per_language: int = 60, concurrency: int = 8, seconds: float = 20.0) -> int:
    """Start the servers, measure, and print the numbers."""
    model = ensure_model()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        database_url = f"sqlite:///{workdir / 'procedures.sqlite'}"
        local_servers.load_procedures_database(database_url)
        with (
            local_servers.action_server(database_url, workdir) as actions,
            local_servers.rasa_server(model, actions.url, workdir) as rasa,
        ):
            corpus = {language: held_out_messages(language)[::3][:per_language] for language in LANGUAGES}
            sequential_latencies(rasa.url, [m for ms in corpus.values() for m in ms[:5]])  # warm up
            print(f"REST round trip, one message at a time ({per_language} held-out messages per language)")
            print(f"{'language':<10}{'p50 ms':>10}{'p95 ms':>10}")
            everything: list[float] = []
            for language, messages in corpus.items():
                latencies = sequential_latencies(rasa.url, messages)
                everything.extend(latencies)
                print(f"{language:<10}{statistics.median(latencies):>10.1f}{percentile(latencies, 0.95):>10.1f}")
            print(f"{'all':<10}{statistics.median(everything):>10.1f}{percentile(everything, 0.95):>10.1f}")
            mixed = [m for ms in corpus.values() for m in ms]
            done, errors = asyncio.run(_throughput(rasa.url, mixed, concurrency, seconds))
            print(
                f"Sustained: {done / seconds:.1f} messages/s with {concurrency} concurrent senders "
                f"for {seconds:.0f} s ({errors} errors)"
            )
            print(f"Rasa server RSS: {rss_megabytes(rasa.pid):.0f} MB; action server RSS: {rss_megabytes(actions.pid):.0f} MB")
    return 0
