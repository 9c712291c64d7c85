"""Start the action server and the Rasa server as subprocesses on 127.0.0.1.

Used by the tests and the benchmarks, so both exercise the same real processes that
`make run` starts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.paths import PROJECT_ROOT, rasa_executable

START_TIMEOUT_SECONDS = 600.0


def load_procedures_database(database_url: str) -> None:
    """Create and load a procedures database the way `make db` does (`jra db load`, in a subprocess).

    The tools start the action server and the Rasa server as processes; they load the database
    through the same command too, so that they never import the action server's code.
    """
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "load"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        timeout=300,
    )


@dataclass(frozen=True)
class Server:
    """A running server: its URL and its process id (for memory measurements)."""

    url: str
    pid: int


class ServerStartError(RuntimeError):
    """A server exited or did not answer in time; the message holds the end of its log."""


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen) -> None:
    """Stop a server process: terminate, then kill if it does not end within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    stop_process(process)
    raise ServerStartError(f"{what} did not start in {START_TIMEOUT_SECONDS:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, cwd: Path = PROJECT_ROOT) -> Iterator[subprocess.Popen]:
    """Run ``command`` with its output in ``log``; stop it when the block ends."""
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop_process(process)


def rasa_answers(base: str) -> bool:
    """Tell whether the Rasa server at ``base`` answers a message on its REST channel."""
    try:
        reply = httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": "startup-probe", "message": "hello"}, timeout=30)
    except httpx.HTTPError:
        return False
    return reply.status_code == 200 and bool(reply.json())


@contextmanager
def action_server(
    database_url: str, workdir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Run the action server on the procedures database; yield its webhook URL."""
    port = port or free_port()
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "DATABASE_URL": database_url, **(extra_env or {})}
    log = workdir / "actions.log"
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    with running(command, env, log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{base}/health").status_code == 200, process, "action server", log)
        yield Server(f"{base}/webhook", process.pid)


@contextmanager
def rasa_server(
    model: Path, action_url: str, workdir: Path, port: int | None = None, enable_api: bool = False
) -> Iterator[Server]:
    """Run the Rasa server (REST and socket.io channels, SQL tracker store); yield its URL."""
    port = port or free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "{action_url}"\n'
        f'tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n  dialect: "sqlite"\n  db: "{workdir / "tracker.sqlite"}"\n'
    )
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    log = workdir / "rasa.log"
    command = [
        str(rasa_executable().parent / "python"),
        "-m",
        "bot.rasa_server",
        "run",
        "--model",
        str(model),
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--cors",
        "*",
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        "--endpoints",
        str(endpoints),
    ] + (["--enable-api"] if enable_api else [])
    with running(command, env, log) as process:
        base = f"http://127.0.0.1:{port}"

        wait_until(lambda: rasa_answers(base), process, "Rasa server", log)
        yield Server(base, process.pid)
