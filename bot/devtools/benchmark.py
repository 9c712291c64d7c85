"""`make bench`: this assistant next to a bare `rasa init` bot, in one run, on the same messages.

For each profile (the default of `make run`: one Rasa server and the action server on SQLite;
and the production profile with 1, 2 and 3 Rasa workers behind nginx, on PostgreSQL and Redis)
it starts our servers next to the bare bot (bot/devtools/bare_bot.py, trained once and cached)
and sends the same real-user-style messages (tests/nlu/real/, every language) to both:

- one message at a time, alternating between the two servers message by message (and which
  goes first), so that both see the same machine at the same moment: p50 and p95 round trip;
- then with concurrent senders for a fixed time, ours and the bare bot's in turns of half that
  time each, twice: messages per second and the share of errors.

It prints both, their ratios, ours per language, and the resident memory of each Rasa process,
and writes the numbers to reports/bench.json. Nothing is asserted here: the bars are read by
people (docs/architecture.md "Performance").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from bot.devtools import local_servers
from bot.devtools.bare_bot import bare_server, ensure_bare_bot
from bot.devtools.model import ensure_model
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT
from bot.ports import port_holders

REAL_SET_DIR = PROJECT_ROOT / "tests" / "nlu" / "real"
REPORT = PROJECT_ROOT / "reports" / "bench.json"
MESSAGES_PER_CONVERSATION = 5
PRODUCTION_START_SECONDS = 900.0


def real_messages(language: str) -> list[str]:
    """Return the real-user-style messages of one language (tests/nlu/real/)."""
    data = yaml.safe_load((REAL_SET_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    messages: list[str] = []
    for block in data.get("nlu", []):
        messages.extend(line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- "))
    return messages


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which ``share`` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_megabytes(pid: int) -> float:
    """Return a process's resident memory in MB, from /proc."""
    with contextlib.suppress(FileNotFoundError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Measurement:
    """One server's numbers in one profile."""

    latencies_ms: list[float] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    answered_under_load: int = 0
    errors_under_load: int = 0
    load_seconds: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return percentile(self.latencies_ms, 0.95)

    @property
    def throughput(self) -> float:
        return self.answered_under_load / self.load_seconds if self.load_seconds else 0.0

    @property
    def error_rate(self) -> float:
        total = self.sent + self.answered_under_load + self.errors_under_load
        return (self.errors + self.errors_under_load) / total if total else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": round(self.p50, 1),
            "p95_ms": round(self.p95, 1),
            "messages_per_second": round(self.throughput, 2),
            "error_rate": round(self.error_rate, 4),
        }


class Conversations:
    """Sender ids for one server: a new conversation every few messages."""

    def __init__(self) -> None:
        self.count = 0
        self.sender = uuid.uuid4().hex

    def next(self) -> str:
        if self.count % MESSAGES_PER_CONVERSATION == 0:
            self.sender = uuid.uuid4().hex
        self.count += 1
        return self.sender


def _send(client: httpx.Client, url: str, sender: str, message: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        reply = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message})
        ok = reply.status_code == 200
    except httpx.HTTPError:
        ok = False
    return (time.perf_counter() - started) * 1000, ok


def alternate(ours: str, bare: str, corpus: list[tuple[str, str]]) -> tuple[Measurement, Measurement]:
    """Send every message to both servers one at a time, alternating which goes first."""
    results = {ours: Measurement(), bare: Measurement()}
    senders = {ours: Conversations(), bare: Conversations()}
    with httpx.Client(timeout=60) as client:
        for url in (ours, bare):  # warm up: first requests load lazy parts
            for _, message in corpus[:10]:
                _send(client, url, senders[url].next(), message)
        for index, (language, message) in enumerate(corpus):
            for url in (ours, bare) if index % 2 == 0 else (bare, ours):
                milliseconds, ok = _send(client, url, senders[url].next(), message)
                measurement = results[url]
                measurement.sent += 1
                if ok:
                    measurement.latencies_ms.append(milliseconds)
                    measurement.languages.append(language)
                else:
                    measurement.errors += 1
    return results[ours], results[bare]


async def _load(url: str, messages: list[str], concurrency: int, seconds: float) -> tuple[int, int]:
    done = errors = 0
    deadline = time.monotonic() + seconds
    run = uuid.uuid4().hex[:8]

    async def sender_loop(worker: int) -> None:
        nonlocal done, errors
        async with httpx.AsyncClient(timeout=60) as client:
            index = worker
            while time.monotonic() < deadline:
                sender = f"load-{run}-{worker}-{index // (concurrency * MESSAGES_PER_CONVERSATION)}"
                try:
                    response = await client.post(
                        f"{url}/webhooks/rest/webhook",
                        json={"sender": sender, "message": messages[index % len(messages)]},
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                done += ok
                errors += not ok
                index += concurrency

    await asyncio.gather(*(sender_loop(worker) for worker in range(concurrency)))
    return done, errors


def load_in_turns(
    ours: str, bare: str, messages: list[str], concurrency: int, seconds: float, measured: tuple[Measurement, Measurement]
) -> None:
    """Load each server with concurrent senders, in turns (ours, bare, bare, ours), ``seconds`` each in all."""
    for url, measurement in ((ours, measured[0]), (bare, measured[1]), (bare, measured[1]), (ours, measured[0])):
        done, errors = asyncio.run(_load(url, messages, concurrency, seconds / 2))
        measurement.answered_under_load += done
        measurement.errors_under_load += errors
        measurement.load_seconds += seconds / 2


@dataclass(frozen=True)
class Ours:
    """Our servers in one profile: the URL users reach and the Rasa processes."""

    url: str
    rasa_pids: tuple[int, ...]


@contextmanager
def default_profile(model: Path, workdir: Path) -> Iterator[Ours]:
    """`make run`'s servers: the action server and one Rasa server, on SQLite."""
    database_url = f"sqlite:///{workdir / 'procedures.sqlite'}"
    local_servers.load_procedures_database(database_url)
    with (
        local_servers.action_server(database_url, workdir) as actions,
        local_servers.rasa_server(model, actions.url, workdir) as rasa,
    ):
        yield Ours(rasa.url, (rasa.pid,))


@contextmanager
def production_profile(model: Path, workers: int) -> Iterator[Ours]:
    """`jra serve --production --workers N` on free ports, in a folder of its own, stopped afterwards."""
    # Not under a private temporary folder: PostgreSQL runs as its own user and must enter it.
    state_dir = Path(tempfile.mkdtemp(prefix="jra-bench-"))
    state_dir.chmod(0o755)
    names = ("proxy", "actions", "web", "telegram", "postgres", "redis")
    ports = {name: local_servers.free_port() for name in names}
    rasa_ports = [local_servers.free_port() for _ in range(workers)]
    command = [sys.executable, "-m", "bot.cli", "serve", "--production", "--workers", str(workers)]
    command += ["--state-dir", str(state_dir), "--model", str(model), "--rasa-ports", ",".join(map(str, rasa_ports))]
    command += ["--port", str(ports["proxy"]), "--actions-port", str(ports["actions"]), "--web-port", str(ports["web"])]
    command += ["--telegram-port", str(ports["telegram"]), "--postgres-port", str(ports["postgres"])]
    command += ["--redis-port", str(ports["redis"])]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    log = state_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + PRODUCTION_START_SECONDS
        while not all(local_servers.rasa_answers(f"http://127.0.0.1:{port}") for port in rasa_ports):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The production profile did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(2)
        pids = tuple(holder.pid for port in rasa_ports for holder in port_holders(port)[:1])
        yield Ours(f"http://127.0.0.1:{ports['proxy']}", pids)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for port in [*ports.values(), *rasa_ports]:  # anything the profile left behind
            for holder in port_holders(port):
                if str(state_dir) in holder.command or ".venv/" in holder.command:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(holder.pid, signal.SIGKILL)
        subprocess.run(["rm", "-rf", str(state_dir)], check=False)


def _ratio(ours: float, bare: float) -> str:
    return f"{ours / bare:.2f}x" if bare else "-"


def print_profile(name: str, ours: Measurement, bare: Measurement, rss: Sequence[float]) -> None:
    """Print one profile's table: both servers and the ratios."""
    print(f"\n{name}: {len(ours.latencies_ms)} messages one at a time (alternating), then {ours.load_seconds:.0f} s of load each")
    print(f"{'':<22}{'p50 ms':>10}{'p95 ms':>10}{'msg/s':>10}{'errors':>10}")
    for label, measurement in (("this assistant", ours), ("bare rasa init bot", bare)):
        print(
            f"{label:<22}{measurement.p50:>10.1f}{measurement.p95:>10.1f}"
            f"{measurement.throughput:>10.1f}{measurement.error_rate:>10.1%}"
        )
    print(
        f"{'ours / bare':<22}{_ratio(ours.p50, bare.p50):>10}{_ratio(ours.p95, bare.p95):>10}"
        f"{_ratio(ours.throughput, bare.throughput):>10}"
    )
    print("Rasa server RSS: " + ", ".join(f"{megabytes:.0f} MB" for megabytes in rss))


def print_languages(ours: Measurement) -> dict[str, dict[str, float]]:
    """Print ours per language (p50, p95); return them."""
    print(f"\n{'language':<10}{'p50 ms':>10}{'p95 ms':>10}")
    table: dict[str, dict[str, float]] = {}
    for language in LANGUAGES:
        latencies = [ms for ms, lang in zip(ours.latencies_ms, ours.languages, strict=True) if lang == language]
        if latencies:
            table[language] = {"p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(percentile(latencies, 0.95), 1)}
            print(f"{language:<10}{table[language]['p50_ms']:>10.1f}{table[language]['p95_ms']:>10.1f}")
    return table


def run(
    per_language: int = 40, concurrency: int = 8, seconds: float = 20.0, profiles: Sequence[str] = ("default", "1", "2", "3")
) -> int:
    """Measure every profile next to the bare bot; print the numbers and write reports/bench.json."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    model = ensure_model()
    bare_project = ensure_bare_bot()
    corpus = [(language, message) for language in LANGUAGES for message in real_messages(language)[::3][:per_language]]
    mixed = [message for _, message in corpus]
    report: dict[str, object] = {"messages": len(corpus), "concurrency": concurrency, "load_seconds": seconds, "profiles": {}}
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        with bare_server(bare_project, workdir) as bare:
            for profile in profiles:
                if profile == "default":
                    name, servers = "Default profile (make run)", default_profile(model, workdir)
                else:
                    workers = int(profile)
                    name = f"Production profile, {workers} Rasa worker{'s' if workers > 1 else ''} behind nginx"
                    servers = production_profile(model, workers)
                with servers as ours:
                    measured = alternate(ours.url, bare.url, corpus)
                    load_in_turns(ours.url, bare.url, mixed, concurrency, seconds, measured)
                    rss = [rss_megabytes(pid) for pid in ours.rasa_pids]
                print_profile(name, *measured, rss)
                entry: dict[str, object] = {
                    "ours": measured[0].summary(),
                    "bare": measured[1].summary(),
                    "rasa_rss_mb": [round(megabytes) for megabytes in rss],
                }
                if profile == "default":
                    entry["ours_per_language"] = print_languages(measured[0])
                report["profiles"][profile] = entry  # type: ignore[index]
            report["bare_rasa_rss_mb"] = round(rss_megabytes(bare.pid))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nBare bot RSS: {report['bare_rasa_rss_mb']} MB. Numbers written to {REPORT.relative_to(PROJECT_ROOT)}.")
    return 0
