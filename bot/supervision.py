"""Run the processes of the Procfile under supervisor: `make run` (`jra run`).

The Procfile stays the one list of the assistant's processes. `jra run` turns it into a
supervisord configuration (var/supervisord.conf, written on every start), runs supervisord in
the foreground, and prints every process's log lines to the terminal with the process name in
front, as honcho did. supervisord restarts a process that dies (a crash, a `kill -9`); Ctrl-C
stops every process and then supervisord.

Restart policy (supervisor's own model): a process that was up (RUNNING) and then exits is
started again at once; a process that exits before it has been up for ``startsecs`` seconds
failed to start, and is retried after 1, 2, 3 … seconds, up to ``startretries`` times, before
supervisor gives up on it (FATAL) instead of looping on a broken model or a bad token.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from bot.paths import PROJECT_ROOT, VAR_DIR

PROCFILE = PROJECT_ROOT / "Procfile"
# Processes started only when their setting is present: name -> environment variable.
OPTIONAL_PROCESSES = {"telegram": "TELEGRAM_BOT_TOKEN", "console": "TRAINER_TOKEN"}
# The Rasa server's HTTP API (`--enable-api`, for the trainer console's `PUT /model`) needs this
# token; `jra run` makes one per run when it is not set and keeps it in the state folder (0600)
# for `jra model accept` / `rollback` in another terminal.
RASA_API_TOKEN = "RASA_API_TOKEN"
RASA_API_TOKEN_FILE = "rasa-api-token"
# Seconds a process must stay up to count as started. The Rasa server loads TensorFlow and the
# model for about a minute; one that dies while loading (a broken model) is a failed start,
# retried with a growing delay and then given up, rather than restarted forever.
START_SECONDS = {"rasa": 90}
DEFAULT_START_SECONDS = 5
START_RETRIES = 5
# Seconds between SIGTERM and SIGKILL when stopping (the Rasa server closes its tracker store).
STOP_WAIT_SECONDS = 20
LOG_MAX_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 3
FOLLOW_EVERY_SECONDS = 0.2
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PROCESS_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class ProcfileError(ValueError):
    """The Procfile has a line that is not `name: command`, or a name twice."""


@dataclass(frozen=True)
class Program:
    """One supervised process: its name, argument list and extra environment."""

    name: str
    arguments: tuple[str, ...]
    environment: tuple[tuple[str, str], ...] = ()
    # The production profile's settings (bot/production.py); the Procfile's processes keep these defaults.
    startsecs: int | None = None  # None: START_SECONDS by name, else DEFAULT_START_SECONDS
    user: str | None = None  # run as this user (supervisord runs as root): PostgreSQL refuses root
    stop_signal: str = "TERM"
    stop_as_group: bool = True  # False for a server that stops its own children (PostgreSQL)
    autostart: bool = True  # False: started later over supervisord's socket, once what it needs is up
    priority: int = 999  # lower starts first and stops last

    @property
    def start_seconds(self) -> int:
        """Return how long the process must stay up to count as started."""
        if self.startsecs is not None:
            return self.startsecs
        return START_SECONDS.get(self.name, DEFAULT_START_SECONDS)


@dataclass(frozen=True)
class StateDirectory:
    """Where supervisord keeps its configuration, socket, pid file and the processes' logs."""

    root: Path

    @property
    def config(self) -> Path:
        """Return the generated supervisord configuration."""
        return self.root / "supervisord.conf"

    @property
    def socket(self) -> Path:
        """Return supervisord's control socket (for `supervisorctl -c var/supervisord.conf`)."""
        return self.root / "supervisor.sock"

    @property
    def logs(self) -> Path:
        """Return the folder of the log files."""
        return self.root / "log"

    def log(self, name: str) -> Path:
        """Return the log file of one process (or of supervisord itself)."""
        return self.logs / f"{name}.log"


def read_procfile(path: Path = PROCFILE) -> list[Program]:
    """Read `name: command` lines; leading NAME=value words become the process's environment.

    A relative executable path (`.venv/app/bin/python`) is made absolute from the Procfile's
    folder; the processes run in that folder too.
    """
    programs: list[Program] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, separator, command = line.partition(":")
        name = name.strip()
        if not separator or not _PROCESS_NAME.match(name) or not command.strip():
            raise ProcfileError(f"{path}:{number}: expected 'name: command', not {line!r}")
        if any(program.name == name for program in programs):
            raise ProcfileError(f"{path}:{number}: the process {name!r} is listed twice")
        words = shlex.split(command)
        environment = []
        while words and _ENV_ASSIGNMENT.match(words[0]):
            key, _, value = words.pop(0).partition("=")
            environment.append((key, value))
        if not words:
            raise ProcfileError(f"{path}:{number}: {name!r} has no command")
        executable = words[0]
        if "/" in executable and not os.path.isabs(executable):
            # Not resolved: .venv/app/bin/python is a symbolic link, and the link is the environment.
            words[0] = os.path.normpath(path.parent.resolve() / executable)
        programs.append(Program(name, tuple(words), tuple(environment)))
    return programs


def select_programs(
    programs: Sequence[Program], names: Sequence[str] = (), environ: Mapping[str, str] = os.environ
) -> list[Program]:
    """Return the programs to run: ``names`` if given, else all but the optional ones not configured."""
    known = {program.name for program in programs}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ProcfileError(f"not in the Procfile: {', '.join(unknown)} (it has {', '.join(sorted(known))})")
    if names:
        return [program for program in programs if program.name in names]
    return [
        program
        for program in programs
        if program.name not in OPTIONAL_PROCESSES or environ.get(OPTIONAL_PROCESSES[program.name], "").strip()
    ]


def _escape(value: str) -> str:
    """Escape a value for supervisor's configuration, which expands %(name)s: % is doubled."""
    return value.replace("%", "%%")


def _quote(argument: str) -> str:
    """Quote one argument of a command line for supervisor, which splits it as a shell would."""
    return _escape(shlex.quote(argument))


def supervisord_config(programs: Sequence[Program], state: StateDirectory, directory: Path = PROJECT_ROOT) -> str:
    """Return the supervisord configuration that runs ``programs`` in ``directory``."""
    lines = [
        "; Written by `jra run` (bot/supervision.py) from the Procfile on every start; do not edit.",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={_escape(str(state.log('supervisord')))}",
        f"logfile_maxbytes={LOG_MAX_BYTES}",
        f"logfile_backups={LOG_BACKUPS}",
        f"pidfile={_escape(str(state.root / 'supervisord.pid'))}",
        f"childlogdir={_escape(str(state.logs))}",
        f"directory={_escape(str(directory))}",
        "loglevel=info",
        # Only to say so: root stays root, without supervisor's warning about it on every start.
        *(["user=root"] if os.geteuid() == 0 else []),
        "",
        "[unix_http_server]",
        f"file={_escape(str(state.socket))}",
        "chmod=0700",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_escape(str(state.socket))}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    for program in programs:
        # Unbuffered output, so that each log line reaches the terminal when it is written.
        environment = [*program.environment, ("PYTHONUNBUFFERED", "1")]
        lines += [
            "",
            f"[program:{program.name}]",
            f"command={' '.join(_quote(argument) for argument in program.arguments)}",
            f"directory={_escape(str(directory))}",
            "environment=" + ",".join(f'{key}="{_escape(value)}"' for key, value in environment),
            *([f"user={program.user}"] if program.user else []),
            f"priority={program.priority}",
            f"autostart={str(program.autostart).lower()}",
            "autorestart=true",
            f"startsecs={program.start_seconds}",
            f"startretries={START_RETRIES}",
            f"stopsignal={program.stop_signal}",
            f"stopwaitsecs={STOP_WAIT_SECONDS}",
            # Stop and kill the whole process group: a server's own workers go with it.
            f"stopasgroup={str(program.stop_as_group).lower()}",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={_escape(str(state.log(program.name)))}",
            f"stdout_logfile_maxbytes={LOG_MAX_BYTES}",
            f"stdout_logfile_backups={LOG_BACKUPS}",
        ]
    return "\n".join(lines) + "\n"


def write_config(programs: Sequence[Program], state: StateDirectory, directory: Path = PROJECT_ROOT) -> Path:
    """Write the configuration and create the folders it names; return its path."""
    state.logs.mkdir(parents=True, exist_ok=True)
    state.config.touch(mode=0o600)  # it may hold passwords (the production profile's)
    state.config.chmod(0o600)
    state.config.write_text(supervisord_config(programs, state, directory), encoding="utf-8")
    return state.config


class LogFollower:
    """Print the new lines of each process's log file to the terminal, prefixed with its name.

    Starts at the current end of each file (earlier runs are not repeated) and reopens a file
    that supervisor rotated.
    """

    def __init__(self, logs: dict[str, Path]) -> None:
        self._logs = logs
        self._width = max(len(name) for name in logs) if logs else 0
        self._positions: dict[str, tuple[int, int]] = {}  # name -> (inode, offset)
        self._partial: dict[str, bytes] = {}
        for name, path in logs.items():
            if path.exists():
                status = path.stat()
                self._positions[name] = (status.st_ino, status.st_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-follower", daemon=True)

    def start(self) -> LogFollower:
        """Start following in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Print what is left and stop."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.poll(final=True)

    def _run(self) -> None:
        while not self._stop.wait(FOLLOW_EVERY_SECONDS):
            self.poll()

    def poll(self, final: bool = False) -> None:
        """Print the lines written since the last poll."""
        for name, path in self._logs.items():
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            inode, offset = self._positions.get(name, (status.st_ino, 0))
            if inode != status.st_ino or status.st_size < offset:
                inode, offset = status.st_ino, 0  # rotated or truncated: read the new file
            if status.st_size == offset:
                self._positions[name] = (inode, offset)
                continue
            with path.open("rb") as log:
                log.seek(offset)
                data = self._partial.pop(name, b"") + log.read()
                offset = log.tell()
            self._positions[name] = (inode, offset)
            *lines, rest = data.split(b"\n")
            if rest and final:
                lines.append(rest)
            elif rest:
                self._partial[name] = rest
            for line in lines:
                sys.stdout.write(f"{name:<{self._width}} | {line.decode('utf-8', 'replace')}\n")
        sys.stdout.flush()


def supervise(
    programs: Sequence[Program],
    state: StateDirectory,
    directory: Path = PROJECT_ROOT,
    after_start: Callable[[], bool] | None = None,
) -> int:
    """Run ``programs`` under supervisord in the foreground until Ctrl-C or SIGTERM; return its exit code.

    ``after_start`` runs in a thread once supervisord is started (the production profile
    prepares its databases there, then starts the processes that need them); when it returns
    False, everything is stopped.
    """
    config = write_config(programs, state, directory)
    follower = LogFollower({program.name: state.log(program.name) for program in programs}).start()
    # supervisord echoes its own log (spawned, exited, restarts) to the terminal in the foreground.
    supervisord = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c", str(config)])
    if after_start is not None:

        def run_after_start() -> None:
            if not after_start() and supervisord.poll() is None:
                supervisord.send_signal(signal.SIGTERM)

        threading.Thread(target=run_after_start, name="after-start", daemon=True).start()

    def stop(signal_number: int, _: FrameType | None) -> None:
        # Ctrl-C reaches supervisord too (same process group); a SIGTERM sent to `jra run` only
        # is passed on. supervisord stops every process, then exits.
        if supervisord.poll() is None:
            supervisord.send_signal(signal.SIGTERM if signal_number == signal.SIGTERM else signal.SIGINT)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = supervisord.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        follower.stop()
    return code


def ensure_rasa_api_token(state_dir: Path, environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    """Set RASA_API_TOKEN for the supervised processes (a new random one unless it is set) and keep it in the state folder."""
    token = environ.get(RASA_API_TOKEN, "").strip() or secrets.token_hex(32)
    environ[RASA_API_TOKEN] = token  # supervisord and every process it starts inherit it
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / RASA_API_TOKEN_FILE
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(token + "\n", encoding="utf-8")
    return token


def run(names: Sequence[str] = (), procfile: Path = PROCFILE, state_dir: Path = VAR_DIR) -> int:
    """Run the Procfile's processes (``names``, or every configured one) supervised; the `jra run` command."""
    try:
        programs = select_programs(read_procfile(procfile), names)
    except (ProcfileError, OSError) as error:
        print(f"Cannot run the processes: {error}", file=sys.stderr)
        return 2
    if not programs:
        print(f"{procfile} lists no process to run.", file=sys.stderr)
        return 2
    state = StateDirectory(state_dir)
    ensure_rasa_api_token(state.root)
    print(
        f"Starting {', '.join(program.name for program in programs)} under supervisor "
        f"(logs in {state.logs}; restarted if they crash; Ctrl-C stops everything).",
        flush=True,
    )
    started = time.monotonic()
    code = supervise(programs, state, procfile.parent.resolve())
    print(f"Stopped after {time.monotonic() - started:.0f} s.", flush=True)
    return code
