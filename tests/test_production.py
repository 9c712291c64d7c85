"""The production profile (issue 15): `jra serve --production` with real PostgreSQL, Redis and nginx.

Each test runs the profile as `make run-production` does, as a subprocess on free ports of
127.0.0.1, with its state (the PostgreSQL cluster, the filled-in configuration files, the
logs) in a fresh temporary folder, and stops it afterwards, whatever happened: SIGTERM to
`jra serve` stops supervisord and everything under it; anything still listening on one of the
profile's ports after that is killed. The shipped files (deploy/nginx.conf, redis.conf,
postgresql.conf, endpoints.yml) are all used by these runs.

The drills with Rasa workers use two workers (each loads TensorFlow: about a minute and
1.1 GB) and need the trained model (`make test` trains it first).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from bot.devtools.local_servers import free_port
from bot.paths import MODELS_DIR, PROJECT_ROOT
from bot.ports import port_holders
from bot.production import APP_USER, PROCEDURES_DATABASE, Secrets, supervisor_rpc
from bot.supervision import StateDirectory
from tests.phrases import TODAY

pytestmark = pytest.mark.production

T = TypeVar("T")
LISTEN_STATE = "0A"
LOOPBACK = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it
STOP_SECONDS = 90.0
RASA_START_SECONDS = 600.0  # two workers loading TensorFlow at once on two busy cores


def wait_for(found: Callable[[], T | None], what: str, timeout: float = 60.0, every: float = 0.5) -> T:
    """Poll ``found()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = found()
        except (httpx.HTTPError, OSError, xmlrpc.client.Fault, psycopg.Error):
            result = None
        if result:
            return result
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class RunningProfile:
    """A running `jra serve --production`: its folder, ports and passwords."""

    state_dir: Path
    ports: dict[str, Any]
    command: list[str]
    log: Path
    environment: dict[str, str] = field(default_factory=dict)  # besides the test's own
    process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        """Start `jra serve --production` (again), its output appended to the log."""
        environment = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                env={**environment, "ASSISTANT_TODAY": TODAY, "PYTHONUNBUFFERED": "1", **self.environment},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def running(self) -> subprocess.Popen[bytes]:
        """Return the `jra serve` process; fail with its output if it has exited."""
        assert self.process is not None
        if self.process.poll() is not None:
            pytest.fail(f"jra serve exited with {self.process.returncode}:\n{self.output()}")
        return self.process

    def terminate(self) -> int:
        """Stop `jra serve` as Ctrl-C would; return its exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_SECONDS)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy']}"

    @property
    def secrets(self) -> Secrets:
        return Secrets.load_or_create(self.state_dir)

    def rpc(self) -> Any:
        return supervisor_rpc(StateDirectory(self.state_dir))

    def state(self, name: str) -> dict[str, Any]:
        return dict(self.rpc().supervisor.getProcessInfo(name))

    def connect(self, database: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.ports["postgres"],
            user=APP_USER,
            password=self.secrets.postgres_app,
            dbname=database,
            autocommit=True,
            connect_timeout=3,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def all_ports(self) -> list[int]:
        return [port for value in self.ports.values() for port in (value if isinstance(value, list) else [value])]


def _listeners(port: int) -> list[str]:
    """Return the local addresses (hex, as /proc/net/tcp{,6} write them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if fields[3] == LISTEN_STATE and int(hex_port, 16) == port:
                found.append(address)
    return found


def _stop(profile: RunningProfile) -> None:
    """Stop the profile; kill whatever still listens on its ports; remove its folder."""
    if profile.process is not None and profile.process.poll() is None:
        try:
            profile.terminate()
        except subprocess.TimeoutExpired:
            profile.process.kill()
            profile.process.wait()
    ours = (str(profile.state_dir), str(PROJECT_ROOT), ".venv/", "redis-server", "nginx", "postgres")
    for port in profile.all_ports():
        for holder in port_holders(port):
            if any(mark in holder.command for mark in ours):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(holder.pid, signal.SIGKILL)
    shutil.rmtree(profile.state_dir, ignore_errors=True)


def _model() -> Path:
    """Return the trained model (`make test` trains it first; only then do these tests run Rasa)."""
    current = MODELS_DIR / "current.tar.gz"
    if current.exists():
        return current
    from bot.devtools.model import ensure_model

    return ensure_model()


def _start(workers: int, model: Path | None = None, environment: Callable[[str], dict[str, str]] | None = None) -> RunningProfile:
    """Start the profile on free ports; ``environment`` gives extra variables from nginx's URL."""
    # Not under pytest's temporary folder, which only root may enter: PostgreSQL runs as its own user.
    state_dir = Path(tempfile.mkdtemp(prefix="jra-production-"))
    state_dir.chmod(0o755)
    ports: dict[str, Any] = {name: free_port() for name in ("proxy", "actions", "web", "telegram", "postgres", "redis")}
    ports["rasa"] = [free_port() for _ in range(workers)]
    log = state_dir / "serve.log"
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--production",
        "--workers",
        str(workers),
        "--state-dir",
        str(state_dir),
        "--port",
        str(ports["proxy"]),
        "--actions-port",
        str(ports["actions"]),
        "--web-port",
        str(ports["web"]),
        "--telegram-port",
        str(ports["telegram"]),
        "--postgres-port",
        str(ports["postgres"]),
        "--redis-port",
        str(ports["redis"]),
    ]
    if workers:
        command += ["--rasa-ports", ",".join(map(str, ports["rasa"])), "--model", str(model)]
    profile = RunningProfile(state_dir, ports, command, log)
    profile.environment = environment(profile.url) if environment else {}
    profile.launch()
    return profile


def servers_running(profile: RunningProfile) -> bool:
    """Tell whether the servers, the action server and the web chat are up (fail if jra serve exited)."""
    profile.running()
    return all(profile.state(name)["statename"] == "RUNNING" for name in ("postgres", "redis", "nginx", "actions", "web"))


@pytest.fixture()
def servers_only() -> Iterator[RunningProfile]:
    """The profile without Rasa workers: PostgreSQL, Redis, nginx, the action server, the web chat."""
    profile = _start(workers=0)
    try:
        try:
            wait_for(lambda: servers_running(profile), "the servers and the action server", timeout=180)
        except pytest.fail.Exception:
            pytest.fail(f"The production servers did not all start: {process_states(profile)}\n{profile.output()[-4000:]}")
        yield profile
    finally:
        _stop(profile)


def process_states(profile: RunningProfile) -> dict[str, str]:
    """Return the supervisor's state of each server (for a failure message)."""
    states: dict[str, str] = {}
    for name in ("postgres", "redis", "nginx", "actions", "web"):
        try:
            states[name] = str(profile.state(name).get("statename"))
        except (OSError, xmlrpc.client.Fault, httpx.HTTPError) as error:
            states[name] = f"unknown ({error.__class__.__name__})"
    return states


def answer_procedure(actions_port: int) -> list[str]:
    """Ask the action server for the lost-card procedure in English; return the responses' names."""
    request = {
        "next_action": "action_answer_procedure",
        "sender_id": "production-test",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "production-test",
            "slots": {"language": "en"},
            "latest_message": {"intent": {"name": "lost_residence_card", "confidence": 1.0}, "entities": [], "text": "…"},
            "events": [],
            "latest_action_name": "action_listen",
        },
    }
    reply = httpx.post(f"http://127.0.0.1:{actions_port}/webhook", json=request, timeout=30)
    reply.raise_for_status()
    return [response["response"] for response in reply.json()["responses"]]


def redis_says(port: int, *commands: str) -> bytes:
    """Send inline commands to Redis and return what it answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall("".join(f"{command}\r\n" for command in commands).encode())
        time.sleep(0.3)
        return connection.recv(4096)


def test_the_servers_run_on_127_0_0_1_and_the_action_server_reads_postgresql(servers_only: RunningProfile) -> None:
    profile = servers_only
    # nginx serves the web chat page and the widget, which talks to nginx (socket.io) too.
    page = httpx.get(f"{profile.url}/", timeout=10)
    assert page.status_code == 200 and "widget.js" in page.text
    widget = httpx.get(f"{profile.url}/widget.js", timeout=10)
    assert widget.status_code == 200 and f'"serverUrl": "{profile.url}"' in widget.text
    # No Rasa worker in this profile: nginx answers for it with a 502, it does not hang.
    assert (
        httpx.post(f"{profile.url}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=10).status_code == 502
    )

    # The procedures database is in PostgreSQL, loaded before the action server started; the
    # action server answers from it with its Sanic workers.
    with profile.connect(PROCEDURES_DATABASE) as connection:
        assert connection.execute("SELECT count(*) FROM procedure").fetchone()[0] > 20
    assert answer_procedure(profile.ports["actions"])[0] == "utter_procedure_summary"
    assert len(port_holders(profile.ports["actions"])) >= 3, "the action server's main process and two Sanic workers"

    # Redis wants its password.
    assert redis_says(profile.ports["redis"], "PING").startswith(b"-NOAUTH")
    assert redis_says(profile.ports["redis"], f"AUTH {profile.secrets.redis}", "PING") == b"+OK\r\n+PONG\r\n"

    # Everything listens on 127.0.0.1 and nowhere else (no IPv6 wildcard either).
    for port in profile.all_ports():
        if port != profile.ports["telegram"]:  # Telegram is off here
            assert _listeners(port) == [LOOPBACK], f"port {port}"

    # PostgreSQL restarts under the action server: the next answer still comes from the database.
    rpc = profile.rpc()
    old = profile.state("postgres")["pid"]
    rpc.supervisor.stopProcess("postgres")
    rpc.supervisor.startProcess("postgres")
    assert profile.state("postgres")["pid"] != old
    wait_for(lambda: profile.connect(PROCEDURES_DATABASE), "PostgreSQL to accept connections again")
    assert answer_procedure(profile.ports["actions"])[0] == "utter_procedure_summary"

    # SIGTERM to `jra serve` (Ctrl-C is the same) stops every process: nothing is left listening.
    assert profile.terminate() == 0, profile.output()
    assert [port for port in profile.all_ports() if _listeners(port)] == []


def test_a_second_start_reuses_the_cluster_and_its_passwords(servers_only: RunningProfile) -> None:
    profile = servers_only
    passwords = profile.secrets
    assert profile.terminate() == 0, profile.output()
    # The same folder again: no initdb, the same passwords, the database still loaded.
    profile.launch()
    wait_for(lambda: servers_running(profile), "the second start", timeout=120)
    assert profile.secrets == passwords
    assert profile.log.read_text(errors="replace").count("Created the PostgreSQL cluster") == 1
    assert answer_procedure(profile.ports["actions"])[0] == "utter_procedure_summary"


def alive(pid: int) -> bool:
    """Tell whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_a_killed_action_server_takes_its_workers_along_and_is_started_again(servers_only: RunningProfile) -> None:
    profile = servers_only
    port = profile.ports["actions"]
    main = profile.state("actions")["pid"]
    workers = {holder.pid for holder in port_holders(port)} - {main}
    assert len(workers) == 2, "two Sanic workers besides the main process"
    os.kill(main, signal.SIGKILL)
    # The workers die with it (bot/action_server.py), so the port is free for the fresh start.
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to stop", timeout=10)
    wait_for(lambda: profile.state("actions")["pid"] not in (0, main), "supervisor to start the action server again")
    wait_for(lambda: len(port_holders(port)) == 3, "the new action server and its workers")
    assert {holder.pid for holder in port_holders(port)}.isdisjoint({main, *workers})
    assert answer_procedure(port)[0] == "utter_procedure_summary"
