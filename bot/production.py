"""The production profile: `make run-production` (`jra serve --production --workers N`).

The same processes as `make run`, on real servers, all under the supervisor code `make run`
uses (bot/supervision.py), with their data and configuration in one state folder
(var/production by default):

- PostgreSQL (Debian's package) keeps the conversations (Rasa's SQL tracker store) and the
  procedures database; its cluster is created with initdb in the state folder on the first
  start, and it runs as the `postgres` user when started as root (PostgreSQL refuses root);
- Redis (Debian's package) is Rasa's lock store, so that the messages of one conversation
  are processed one at a time, in order, whichever workers they reach;
- N Rasa server processes, the action server with several Sanic workers, the web chat and the
  Telegram front end (webhook mode when TELEGRAM_WEBHOOK_URL is set) behind nginx (Debian's
  package), the one address users reach.

The configuration files shipped in deploy/ are filled in with this machine's paths, ports and
generated passwords and written to the state folder on every start; docs/deployment.md says
how the same files are used when the processes are spread over several machines. Everything
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.paths import MODELS_DIR, PROJECT_ROOT, VAR_DIR, rasa_executable
from bot.supervision import RASA_API_TOKEN, Program, StateDirectory, ensure_rasa_api_token, supervise

DEPLOY_DIR = PROJECT_ROOT / "deploy"
DEFAULT_STATE_DIR = VAR_DIR / "production"
HOST = "127.0.0.1"
APP_USER = "assistant"  # the PostgreSQL role of the Rasa workers and the action server
TRACKER_DATABASE = "tracker"
PROCEDURES_DATABASE = "procedures"
LOCK_STORE_DB = "1"
READY_TIMEOUT_SECONDS = 60.0
_FIELD = re.compile(r"\{\{(\w+)\}\}")


class ProductionError(RuntimeError):
    """The profile cannot start: a server is not installed, a port is taken, a step failed."""


@dataclass(frozen=True)
class Ports:
    """The TCP ports on 127.0.0.1 of every process of the profile."""

    proxy: int = 8000
    rasa: tuple[int, ...] = (5005, 5006)
    actions: int = 5055
    web: int = 8080
    telegram: int = 8443
    postgres: int = 5433  # not 5432: Debian's own cluster may be there
    redis: int = 6380  # not 6379: Debian's own Redis service may be there
    console: int = 8090  # the trainer console, when TRAINER_TOKEN is set

    def all(self) -> list[int]:
        """Return every port, the Rasa workers' included."""
        return [self.proxy, *self.rasa, self.actions, self.web, self.telegram, self.postgres, self.redis, self.console]


@dataclass(frozen=True)
class Profile:
    """What to run and where: the state folder, the ports, the model and the worker counts."""

    state_dir: Path = DEFAULT_STATE_DIR
    ports: Ports = field(default_factory=Ports)
    model: Path = MODELS_DIR / "current.tar.gz"
    action_workers: int = 2
    public_url: str = ""  # where users reach nginx; http://127.0.0.1:<proxy port> by default

    @property
    def workers(self) -> int:
        """Return the number of Rasa server processes."""
        return len(self.ports.rasa)

    @property
    def url(self) -> str:
        """Return the address of nginx, as users reach it."""
        return self.public_url or f"http://{HOST}:{self.ports.proxy}"

    @property
    def state(self) -> StateDirectory:
        """Return supervisord's folder (configuration, socket, logs): the state folder."""
        return StateDirectory(self.state_dir)

    @property
    def postgres_data(self) -> Path:
        """Return the PostgreSQL cluster's data directory."""
        return self.state_dir / "postgres"


@dataclass(frozen=True)
class Secrets:
    """Passwords generated on the first start and kept in the state folder (mode 0600)."""

    postgres_superuser: str
    postgres_app: str
    redis: str

    @classmethod
    def load_or_create(cls, state_dir: Path) -> Secrets:
        """Read the state folder's passwords, creating them on the first start."""
        path = state_dir / "secrets.json"
        if path.exists():
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        created = cls(secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(16))
        path.touch(mode=0o600)
        path.write_text(json.dumps(created.__dict__), encoding="utf-8")
        return created


@dataclass(frozen=True)
class Servers:
    """The Debian packages' server programs."""

    postgres_bin: Path  # the folder of postgres and initdb
    redis: Path
    nginx: Path

    @classmethod
    def find(cls) -> Servers:
        """Find the installed servers, or say how to install them."""
        postgres = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda path: int(Path(path).parts[4]))
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        missing = [
            name
            for name, found in (("postgresql", postgres), ("redis-server", Path(redis).exists()), ("nginx", Path(nginx).exists()))
            if not found
        ]
        if missing:
            raise ProductionError(
                f"Not installed: {', '.join(missing)}. `make run-production` installs them from Debian's packages "
                f"(apt-get install postgresql redis-server nginx)."
            )
        return cls(Path(postgres[-1]).parent, Path(redis), Path(nginx))


def render(template: Path, values: dict[str, str]) -> str:
    """Fill in the {{name}} fields of a shipped configuration file; every field must be given."""
    text = template.read_text(encoding="utf-8")
    missing = sorted({name for name in _FIELD.findall(text) if name not in values})
    if missing:
        raise ProductionError(f"{template}: no value for {', '.join(missing)}")
    return _FIELD.sub(lambda match: values[match.group(1)], text)


def service_user(name: str) -> pwd.struct_passwd | None:
    """Return the system user a server runs as when started as root (None: stay who we are)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise ProductionError(f"The system user {name!r} is missing (Debian's packages create it).") from None


def _owned_folder(path: Path, user: pwd.struct_passwd | None, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(mode)
    return path


def init_postgres(profile: Profile, passwords: Secrets, servers: Servers) -> bool:
    """Create the PostgreSQL cluster in the state folder if there is none; return whether it was created."""
    data = profile.postgres_data
    if (data / "PG_VERSION").exists():
        return False
    user = service_user("postgres")
    _owned_folder(data, user)
    password_file = profile.state_dir / ".initdb-password"
    password_file.write_text(passwords.postgres_superuser + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    if user is not None:
        os.chown(password_file, user.pw_uid, user.pw_gid)
    command = [
        str(servers.postgres_bin / "initdb"),
        "--pgdata",
        str(data),
        "--username",
        "postgres",
        "--pwfile",
        str(password_file),
        "--auth-host=scram-sha-256",
        "--auth-local=peer",
        "--encoding=UTF8",
        "--no-locale",
    ]
    if user is not None:
        command = ["runuser", "-u", user.pw_name, "--", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        password_file.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise ProductionError(f"initdb failed:\n{result.stdout}{result.stderr}")
    # The cluster reads the profile's settings (deploy/postgresql.conf, filled in) after its own.
    with (data / "postgresql.conf").open("a", encoding="utf-8") as config:
        config.write("\n# The production profile's settings (deploy/postgresql.conf, filled in by jra serve).\n")
        config.write("include '../postgresql.conf'\n")
    return True


def write_configs(profile: Profile, passwords: Secrets) -> None:
    """Fill in deploy/'s PostgreSQL, Redis and nginx files and write them to the state folder."""
    state = profile.state
    state.logs.mkdir(parents=True, exist_ok=True)
    redis_user = service_user("redis")
    redis_dir = _owned_folder(profile.state_dir / "redis", redis_user)
    nginx_user = service_user("www-data")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        _owned_folder(profile.state_dir / "nginx" / name, nginx_user)
    (profile.state_dir / "postgresql.conf").write_text(
        render(DEPLOY_DIR / "postgresql.conf", {"listen": HOST, "port": str(profile.ports.postgres)}), encoding="utf-8"
    )
    redis_conf = profile.state_dir / "redis.conf"
    redis_conf.touch(mode=0o600)
    redis_conf.write_text(
        render(
            DEPLOY_DIR / "redis.conf",
            {"bind": HOST, "port": str(profile.ports.redis), "password": passwords.redis, "dir": str(redis_dir)},
        ),
        encoding="utf-8",
    )
    if redis_user is not None:
        os.chown(redis_conf, redis_user.pw_uid, redis_user.pw_gid)
    rasa_servers = [f"        server {HOST}:{port};" for port in profile.ports.rasa] or [
        f"        server {HOST}:{profile.ports.proxy} down;  # no Rasa worker in this profile"
    ]
    (profile.state_dir / "nginx.conf").write_text(
        render(
            DEPLOY_DIR / "nginx.conf",
            {
                # nginx's master runs as root (it was started as root) and its workers as www-data.
                "user": f"user {nginx_user.pw_name};" if nginx_user else "",
                "state": str(profile.state_dir),
                "logs": str(state.logs),
                "listen": f"{HOST}:{profile.ports.proxy}",
                "rasa_servers": "\n".join(rasa_servers),
                "web": f"{HOST}:{profile.ports.web}",
                "telegram": f"{HOST}:{profile.ports.telegram}",
            },
        ),
        encoding="utf-8",
    )


def database_url(profile: Profile, passwords: Secrets, database: str = PROCEDURES_DATABASE) -> str:
    """Return the SQLAlchemy URL of one of the profile's databases, as the application role."""
    return f"postgresql+psycopg://{APP_USER}:{passwords.postgres_app}@{HOST}:{profile.ports.postgres}/{database}"


def embedding_threads_per_worker(workers: int, cores: int | None = None) -> int:
    """Return the sentence embedding's threads in each of ``workers`` Rasa servers on this machine.

    The cores are shared out: two workers on two cores embed with one thread each. Two threads
    each on two cores made them wait for each other (bot/__init__.py): 5.9 messages/s instead of
    21 (docs/deployment.md "Performance"). NLU_EMBEDDING_THREADS, when set, wins.
    """
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def rasa_environment(profile: Profile, passwords: Secrets) -> tuple[tuple[str, str], ...]:
    """Return the variables that deploy/endpoints.yml reads, and each worker's embedding threads."""
    threads = os.environ.get("NLU_EMBEDDING_THREADS") or str(embedding_threads_per_worker(profile.workers))
    return (
        ("NLU_EMBEDDING_THREADS", threads),
        ("ACTION_ENDPOINT_URL", f"http://{HOST}:{profile.ports.actions}/webhook"),
        ("POSTGRES_HOST", HOST),
        ("POSTGRES_PORT", str(profile.ports.postgres)),
        ("POSTGRES_USER", APP_USER),
        ("POSTGRES_PASSWORD", passwords.postgres_app),
        ("TRACKER_DATABASE", TRACKER_DATABASE),
        ("REDIS_HOST", HOST),
        ("REDIS_PORT", str(profile.ports.redis)),
        ("REDIS_PASSWORD", passwords.redis),
        ("RASA_TELEMETRY_ENABLED", "false"),
    )


def programs(
    profile: Profile, passwords: Secrets, servers: Servers, environ: dict[str, str] | os._Environ[str] = os.environ
) -> list[Program]:
    """Return the supervised processes: the servers first, then the assistant's (started once they are up)."""
    python = sys.executable  # the app environment's, where `jra` runs
    postgres_user = service_user("postgres")
    redis_user = service_user("redis")
    result = [
        Program(
            "postgres",
            (str(servers.postgres_bin / "postgres"), "-D", str(profile.postgres_data)),
            user=postgres_user.pw_name if postgres_user else None,
            stop_signal="INT",  # fast shutdown: SIGTERM would wait for every client to leave
            stop_as_group=False,  # the postmaster stops its own backends
            priority=10,
            startsecs=3,
        ),
        Program(
            "redis",
            (str(servers.redis), str(profile.state_dir / "redis.conf")),
            user=redis_user.pw_name if redis_user else None,
            priority=10,
            startsecs=2,
        ),
        Program(
            "nginx",
            (
                str(servers.nginx),
                "-p",
                str(profile.state_dir),
                "-e",
                str(profile.state.log("nginx-error")),
                "-c",
                str(profile.state_dir / "nginx.conf"),
            ),
            priority=20,
            startsecs=2,
        ),
        Program(
            "actions",
            (python, "-m", "bot.action_server", "--actions", "actions", "--port", str(profile.ports.actions)),
            (
                ("SANIC_HOST", HOST),
                ("DATABASE_URL", database_url(profile, passwords)),
                ("ACTION_SERVER_SANIC_WORKERS", str(profile.action_workers)),
            ),
            autostart=False,
            priority=30,
        ),
    ]
    rasa_python = str(rasa_executable().parent / "python")
    for number, port in enumerate(profile.ports.rasa, start=1):
        result.append(
            Program(
                f"rasa-{number}",
                (
                    rasa_python,
                    "-m",
                    "bot.rasa_server",
                    "run",
                    "--model",
                    str(profile.model),
                    "--interface",
                    HOST,
                    "--port",
                    str(port),
                    "--cors",
                    "*",
                    "--credentials",
                    str(PROJECT_ROOT / "credentials.yml"),
                    "--endpoints",
                    str(DEPLOY_DIR / "endpoints.yml"),
                    # Rasa's HTTP API on 127.0.0.1 with the run's token (bot/rasa_server.py adds it),
                    # for the trainer console's PUT /model; nginx never proxies its routes.
                    "--enable-api",
                ),
                (*rasa_environment(profile, passwords), (RASA_API_TOKEN, environ.get(RASA_API_TOKEN, ""))),
                startsecs=90,  # loads TensorFlow and the model for about a minute
                autostart=False,
                priority=40,
            )
        )
    result.append(
        Program(
            "web",
            (python, "-m", "bot.cli", "web", "--host", HOST, "--port", str(profile.ports.web), "--rasa-url", profile.url),
            autostart=False,
            priority=50,
        )
    )
    result.append(
        Program(
            # The retention rule (docs/deployment.md): prunes the tracker store at start, then every 24 hours.
            "prune",
            (python, "-m", "bot.cli", "conversations", "prune", "--every", "24h"),
            (
                ("TRACKER_DATABASE_URL", database_url(profile, passwords, TRACKER_DATABASE)),
                ("CONVERSATION_RETENTION_DAYS", environ.get("CONVERSATION_RETENTION_DAYS", "").strip() or "90"),
            ),
            autostart=False,
            priority=50,
        )
    )
    if environ.get("TELEGRAM_BOT_TOKEN", "").strip():
        result.append(
            Program(
                "telegram",
                (python, "-m", "bot.cli", "telegram"),
                (
                    ("RASA_URL", f"http://{HOST}:{profile.ports.proxy}"),  # any worker, through nginx
                    ("TELEGRAM_WEBHOOK_LISTEN", HOST),
                    ("TELEGRAM_WEBHOOK_PORT", str(profile.ports.telegram)),
                ),
                autostart=False,
                priority=50,
            )
        )
    if environ.get("TRAINER_TOKEN", "").strip():
        result.append(
            Program(
                "console",
                (python, "-m", "bot.cli", "console", "--host", HOST, "--port", str(profile.ports.console)),
                (
                    ("RASA_API_URLS", ",".join(f"http://{HOST}:{port}" for port in profile.ports.rasa)),
                    (RASA_API_TOKEN, environ.get(RASA_API_TOKEN, "")),
                    ("TRACKER_DATABASE_URL", database_url(profile, passwords, TRACKER_DATABASE)),
                ),
                autostart=False,
                priority=50,
            )
        )
    return result


def supervisor_rpc(state: StateDirectory) -> Any:
    """Return an XML-RPC proxy to supervisord's control socket."""
    from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{state.socket}"))


def connect_postgres(profile: Profile, user: str, password: str, database: str, timeout: float = READY_TIMEOUT_SECONDS) -> Any:
    """Connect to the profile's PostgreSQL, waiting for it to accept connections."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(
                host=HOST,
                port=profile.ports.postgres,
                user=user,
                password=password,
                dbname=database,
                autocommit=True,
                connect_timeout=3,
            )
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise ProductionError(f"PostgreSQL did not accept connections in {timeout:.0f} s: {error}") from error
            time.sleep(0.3)


def ensure_databases(profile: Profile, passwords: Secrets) -> None:
    """Create the application role and its two databases if they are missing."""
    from psycopg import sql

    with connect_postgres(profile, "postgres", passwords.postgres_superuser, "postgres") as connection:
        if connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_USER,)).fetchone() is None:
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(APP_USER), sql.Literal(passwords.postgres_app))
            )
        for database in (TRACKER_DATABASE, PROCEDURES_DATABASE):
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(APP_USER))
                )


def load_procedures(profile: Profile, passwords: Secrets) -> None:
    """Create the procedures tables and load actions/content (`jra db load`), before the action server starts."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "load"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url(profile, passwords)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise ProductionError(f"jra db load failed: {(result.stderr or result.stdout).strip()[-2000:]}")


def start_assistant(profile: Profile, passwords: Secrets, later: Sequence[Program]) -> bool:
    """Prepare the databases once PostgreSQL is up, then start the processes that need them."""
    try:
        ensure_databases(profile, passwords)
        load_procedures(profile, passwords)
        rpc = supervisor_rpc(profile.state)
        for program in later:
            rpc.supervisor.startProcess(program.name, False)
    except Exception as error:  # any failure stops the whole profile with one clear line
        print(f"The production profile could not start: {error}", file=sys.stderr, flush=True)
        return False
    print(f"Databases ready; starting {', '.join(program.name for program in later)}.", flush=True)
    return True


def busy_ports(ports: Sequence[int]) -> list[str]:
    """Describe every port of the profile something already listens on."""
    from bot.ports import describe_busy_port, port_is_free

    return [describe_busy_port(HOST, port) for port in ports if not port_is_free(HOST, port)]


def serve(profile: Profile) -> int:
    """Run the production profile in the foreground until Ctrl-C or SIGTERM (`jra serve --production`)."""
    try:
        if profile.workers and not profile.model.exists():
            raise ProductionError(f"No model at {profile.model}: run `make model` (make run-production does).")
        servers = Servers.find()
        busy = busy_ports(profile.ports.all())
        if busy:
            raise ProductionError("\n".join(busy))
        profile.state_dir.mkdir(parents=True, exist_ok=True)
        profile.state_dir.chmod(0o755)  # the servers' own users must reach their folders
        passwords = Secrets.load_or_create(profile.state_dir)
        ensure_rasa_api_token(profile.state_dir)  # a new one per run unless RASA_API_TOKEN is set
        if init_postgres(profile, passwords, servers):
            print(f"Created the PostgreSQL cluster in {profile.postgres_data}.", flush=True)
        write_configs(profile, passwords)
        supervised = programs(profile, passwords, servers)
    except (ProductionError, OSError, subprocess.SubprocessError) as error:
        print(f"Cannot run the production profile: {error}", file=sys.stderr)
        return 2
    later = [program for program in supervised if not program.autostart]
    print(
        f"Starting the production profile: {', '.join(program.name for program in supervised)} under supervisor "
        f"(state and logs in {profile.state_dir}; Ctrl-C stops everything). Web chat and REST: {profile.url}",
        flush=True,
    )
    started = time.monotonic()
    code = supervise(supervised, profile.state, PROJECT_ROOT, after_start=lambda: start_assistant(profile, passwords, later))
    print(f"Stopped after {time.monotonic() - started:.0f} s.", flush=True)
    return code
