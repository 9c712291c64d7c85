"""The trainer console (bot/trainer/console.py): access control against the real server on
127.0.0.1, the live model's switch (accept, go back), and the whole loop in Debian's Chromium:
log in, label a message a real conversation left in the inbox, see the YAML file change,
retrain and evaluate on a small workspace, compare, accept; the main actions with the keyboard alone.

The console is pointed at a temporary workspace (tests/trainer_workspace.py): a small copy of
nlu_data/, a small held-out set and a models folder whose live model is the project's; the
project's own data and models are never written.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

from bot.devtools.local_servers import free_port
from bot.paths import PROJECT_ROOT
from bot.trainer import console, live_model
from bot.trainer.inbox import message_key
from tests import trainer_workspace
from tests.conftest import chat

TOKEN = "trainer-token-for-tests-0123456789"
RASA_API_TOKEN = "rasa-api-token-for-tests"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
SCRIPT_MESSAGE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> lost my card'
# A message the live model does not understand (it falls back), as a user could write it.
UNCLEAR_MESSAGE = "where can i buy a sim card"
LABEL_INTENT = "life_in_japan"
RETRAIN_MS = 600_000  # training the small workspace takes about a minute, evaluating about one more
GET_ROUTES = ("/api/session", "/api/intents", "/api/inbox", "/api/retrain", "/api/models")
POST_ROUTES = (
    "/api/logout",
    "/api/check",
    "/api/label",
    "/api/out-of-scope",
    "/api/dismiss",
    "/api/retrain",
    "/api/models/accept",
    "/api/models/rollback",
)


# ---- a tracker store written as Rasa writes it -------------------------------------------------

events = Table(  # Rasa 3.6's SQLTrackerStore.SQLEvent
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def write_fallback_conversation(url: str, text: str, language: str = "en") -> None:
    """Write one conversation in which ``text`` ended in the fallback."""
    sender, clock = uuid.uuid4().hex, time.time()
    rows = []

    def event(kind: str, data: dict[str, Any], intent: str | None = None, action: str | None = None) -> None:
        nonlocal clock
        clock += 1.0
        rows.append(
            {
                "sender_id": sender,
                "type_name": kind,
                "timestamp": clock,
                "intent_name": intent,
                "action_name": action,
                "data": json.dumps({"event": kind, "timestamp": clock, **data}),
            }
        )

    event("action", {"name": "action_session_start"}, action="action_session_start")
    event("session_started", {})
    event("action", {"name": "action_listen"}, action="action_listen")
    parse = {
        "intent": {"name": "nlu_fallback", "confidence": 0.4},
        "entities": [{"entity": "language", "value": language, "extractor": "LanguageDetector"}],
        "text": text,
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "lost_residence_card", "confidence": 0.3}],
    }
    event("user", {"text": text, "parse_data": parse, "input_channel": "rest"}, intent="nlu_fallback")
    event("slot", {"name": "language", "value": language}, action="language")
    event("action", {"name": "action_default_fallback"}, action="action_default_fallback")
    event("bot", {"text": "Sorry, I did not understand.", "metadata": {"utter_action": "utter_default"}})
    engine = create_engine(url)
    events.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(events), rows)
    engine.dispose()


# ---- a stand-in for the Rasa servers' HTTP API ---------------------------------------------------


class FakeRasaApi:
    """Records `PUT /model` as a Rasa server with `--enable-api --auth-token` answers it."""

    def __init__(self, token: str) -> None:
        self.loaded: list[str] = []
        self.refused = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if f"token={token}" not in self.path:
                    outer.refused += 1
                    self.send_response(401)
                else:
                    outer.loaded.append(body["model_file"])
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


# ---- the console as a process --------------------------------------------------------------------


@dataclass
class Console:
    """A running console: its URL, its workspace, its log and the Rasa API stand-in it tells."""

    url: str
    workspace: trainer_workspace.Workspace
    log: Path
    rasa: FakeRasaApi
    process: subprocess.Popen[bytes]

    def login(self, client: httpx.Client) -> str:
        """Log ``client`` in; return the CSRF token."""
        response = client.post(f"{self.url}/api/login", json={"token": TOKEN})
        assert response.status_code == 200, response.text
        return str(response.json()["csrf"])


def start_console(tmp: Path, tracker_url: str, token: str = TOKEN) -> Console:
    """Start `jra console` on a free port over a new small workspace."""
    workspace = trainer_workspace.build(tmp / "workspace")
    rasa = FakeRasaApi(RASA_API_TOKEN)
    port = free_port()
    log = tmp / "console.log"
    env = {
        **os.environ,
        "TRAINER_TOKEN": token,
        "TRAINER_DATA_DIR": str(workspace.data_dir),
        "TRAINER_MODELS_DIR": str(workspace.models_dir),
        "TRAINER_HELD_OUT": str(workspace.held_out_dir),
        "TRAINER_DATABASE_URL": f"sqlite:///{tmp / 'decisions.sqlite'}",
        "TRACKER_DATABASE_URL": tracker_url,
        "RASA_API_URLS": rasa.url,
        "RASA_API_TOKEN": RASA_API_TOKEN,
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", "--host", "127.0.0.1", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the console exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return Console(url, workspace, log, rasa, process)
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    pytest.fail(f"the console did not start:\n{log.read_text()}")


def stop_console(running: Console) -> None:
    """Stop the console and the stand-in."""
    running.process.terminate()
    try:
        running.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        running.process.kill()
    running.rasa.close()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console over a tracker store with one message holding HTML and script."""
    tmp = tmp_path_factory.mktemp("console")
    tracker = f"sqlite:///{tmp / 'tracker.sqlite'}"
    write_fallback_conversation(tracker, SCRIPT_MESSAGE)
    running = start_console(tmp, tracker)
    yield running
    stop_console(running)


# ---- the switch of the live model (no server) ----------------------------------------------------


def fake_models(folder: Path, *names: str) -> list[str]:
    """Create model files (a few bytes each) and make the first one live."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"model")
    (folder / live_model.CURRENT).symlink_to(names[0])
    return list(names)


def test_accept_switches_the_link_tells_each_rasa_server_and_go_back_returns(tmp_path: Path) -> None:
    old, new = fake_models(tmp_path, "model-" + "a" * 16 + ".tar.gz", "model-" + "b" * 16 + ".tar.gz")
    rasa = FakeRasaApi(RASA_API_TOKEN)
    try:
        switch = live_model.accept(tmp_path, new, (rasa.url, rasa.url), RASA_API_TOKEN)
        assert (switch.live, switch.previous) == (new, old) and switch.all_loaded
        assert os.readlink(tmp_path / "current.tar.gz") == new and os.readlink(tmp_path / "previous.tar.gz") == old
        assert rasa.loaded == [str(tmp_path / new)] * 2, "every server loads the file itself, one after the other"
        back = live_model.rollback(tmp_path, (rasa.url,), RASA_API_TOKEN)
        assert (back.live, back.previous) == (old, new) and os.readlink(tmp_path / "current.tar.gz") == old
        assert rasa.loaded[-1] == str(tmp_path / old)
        wrong = live_model.accept(tmp_path, new, (rasa.url,), "not-the-token")
        assert not wrong.all_loaded and "refused" in wrong.servers[0] and rasa.refused == 1
        assert os.readlink(tmp_path / "current.tar.gz") == new, "the link is switched; the server loads it at its next start"
    finally:
        rasa.close()


def test_a_rasa_server_that_cannot_be_reached_is_named_and_the_switch_stays(tmp_path: Path) -> None:
    _, new = fake_models(tmp_path, "model-" + "a" * 16 + ".tar.gz", "model-" + "b" * 16 + ".tar.gz")
    switch = live_model.accept(tmp_path, new, (f"http://127.0.0.1:{free_port()}",), "")
    assert "not reached" in switch.servers[0] and live_model.live_model(tmp_path) == new


@pytest.mark.parametrize(
    "name", ["../current.tar.gz", "/etc/passwd", "model-" + "a" * 16 + ".tar.gz/../../x", "model-zz.tar.gz", ""]
)
def test_only_model_files_of_the_folder_can_be_accepted(tmp_path: Path, name: str) -> None:
    fake_models(tmp_path, "model-" + "a" * 16 + ".tar.gz")
    with pytest.raises(live_model.ModelError):
        live_model.accept(tmp_path, name)


def test_there_is_nothing_to_go_back_to_before_a_first_accept(tmp_path: Path) -> None:
    fake_models(tmp_path, "model-" + "a" * 16 + ".tar.gz")
    with pytest.raises(live_model.ModelError, match="no previous model"):
        live_model.rollback(tmp_path)


def test_jra_model_accept_and_rollback_from_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import build_parser, cmd_model, main

    assert build_parser().parse_args(["model"]).func is cmd_model, "`jra model` alone still trains (make model)"
    old, new = fake_models(tmp_path, "model-" + "a" * 16 + ".tar.gz", "model-" + "b" * 16 + ".tar.gz")
    os.utime(tmp_path / new, (time.time() + 5, time.time() + 5))  # the newest
    rasa = FakeRasaApi(RASA_API_TOKEN)
    monkeypatch.setenv("RASA_API_URLS", rasa.url)
    monkeypatch.setenv("RASA_API_TOKEN", RASA_API_TOKEN)
    try:
        assert main(["model", "accept", "--models-dir", str(tmp_path)]) == 0
        assert live_model.live_model(tmp_path) == new and rasa.loaded == [str(tmp_path / new)]
        assert f"Live model: {new} (previous: {old})" in capsys.readouterr().out
        assert main(["model", "rollback", "--models-dir", str(tmp_path)]) == 0
        assert live_model.live_model(tmp_path) == old
        assert main(["model", "accept", "../../etc/passwd", "--models-dir", str(tmp_path)]) == 1
        assert "Cannot accept" in capsys.readouterr().err
    finally:
        rasa.close()


# ---- sessions, limits and parameters (no server) -------------------------------------------------


def test_failed_logins_are_limited_per_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(console.time, "monotonic", lambda: now[0])
    sessions = console.Sessions()
    for _ in range(console.LOGIN_FAILURES):
        assert sessions.blocked_for("10.0.0.1") == 0
        sessions.failed("10.0.0.1")
    assert sessions.blocked_for("10.0.0.1") > 0 and sessions.blocked_for("10.0.0.2") == 0
    now[0] += console.LOGIN_WINDOW_SECONDS + 1
    assert sessions.blocked_for("10.0.0.1") == 0


def test_sessions_expire_when_idle_and_after_their_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(console.time, "monotonic", lambda: now[0])
    sessions = console.Sessions()
    idle, _ = sessions.create()
    busy, _ = sessions.create()
    now[0] += console.IDLE_SECONDS - 10
    assert sessions.get(busy) is not None
    now[0] += 20
    assert sessions.get(idle) is None and sessions.get(busy) is not None
    while now[0] < 1000.0 + console.SESSION_SECONDS:
        now[0] += console.IDLE_SECONDS / 2
        sessions.get(busy)
    assert sessions.get(busy) is None
    assert len(set(sessions.create()[0] for _ in range(50))) == 50, "session ids are random"


@pytest.mark.parametrize("value", ["../../etc/passwd", "lost_residence_card/../x", "Lost", "a" * 70, "x.yml", ""])
def test_intent_parameters_outside_the_catalogue_are_refused(value: str) -> None:
    with pytest.raises(console.BadRequest):
        console.valid_intent(value, {"lost_residence_card", "x"})


@pytest.mark.parametrize("value", ["../en", "en/../../x", "EN", "xx", ""])
def test_language_parameters_outside_the_five_are_refused(value: str) -> None:
    with pytest.raises(console.BadRequest):
        console.valid_language(value)


def test_the_rasa_api_token_is_made_per_run_and_kept_private(tmp_path: Path) -> None:
    from bot.supervision import ensure_rasa_api_token

    environ: dict[str, str] = {}
    first = ensure_rasa_api_token(tmp_path, environ)
    assert len(first) >= 32 and environ["RASA_API_TOKEN"] == first
    assert (tmp_path / "rasa-api-token").stat().st_mode & 0o777 == 0o600
    assert live_model.rasa_token({}, tmp_path) == first, "jra model accept finds it from another terminal"
    assert ensure_rasa_api_token(tmp_path, {}) != first, "a new one each run"
    assert ensure_rasa_api_token(tmp_path, {"RASA_API_TOKEN": "given"}) == "given"


def test_the_production_profile_gives_its_workers_the_api_and_runs_the_console_with_a_token(tmp_path: Path) -> None:
    from bot.production import Ports, Profile, Secrets, Servers, programs

    profile = Profile(state_dir=tmp_path, ports=Ports(rasa=(5105, 5106)))
    servers = Servers(Path("/usr/lib/postgresql/15/bin"), Path("/usr/bin/redis-server"), Path("/usr/sbin/nginx"))
    environ = {"RASA_API_TOKEN": RASA_API_TOKEN, "TRAINER_TOKEN": TOKEN}
    processes = {program.name: program for program in programs(profile, Secrets("a", "b", "c"), servers, environ)}
    for worker in ("rasa-1", "rasa-2"):
        assert "--enable-api" in processes[worker].arguments and RASA_API_TOKEN not in processes[worker].arguments
        assert ("RASA_API_TOKEN", RASA_API_TOKEN) in processes[worker].environment
    console_env = dict(processes["console"].environment)
    assert console_env["RASA_API_URLS"] == "http://127.0.0.1:5105,http://127.0.0.1:5106"
    assert console_env["RASA_API_TOKEN"] == RASA_API_TOKEN and "/tracker" in console_env["TRACKER_DATABASE_URL"]
    assert processes["console"].arguments[-4:] == ("--host", "127.0.0.1", "--port", "8090")
    without = {program.name for program in programs(profile, Secrets("a", "b", "c"), servers, {})}
    assert "console" not in without


def test_nginx_proxies_no_route_of_the_rasa_api() -> None:
    template = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    locations = dict(re.findall(r"location\s+([^{]+?)\s*\{\s*proxy_pass\s+http://(\w+);", template))
    assert locations == {
        "/webhooks/": "rasa_rest",
        "/socket.io/": "rasa_socketio",
        "= /telegram": "telegram_webhook",
        "/": "web_chat",
    }, "only the channels reach Rasa: /model, /conversations, /status ... fall to the web chat"


# ---- access control against the real server -----------------------------------------------------


@pytest.mark.slow
def test_without_trainer_token_the_console_is_off() -> None:
    env = {key: value for key, value in os.environ.items() if key != "TRAINER_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "The trainer console is off: set TRAINER_TOKEN=<a long random secret> to start it."
    ]


@pytest.mark.slow
def test_every_api_route_needs_a_session_and_refusals_are_logged_without_the_credential(secured: Console) -> None:
    with httpx.Client() as client, httpx.Client(cookies={console.COOKIE: "not-a-session"}) as forged:
        assert client.post(f"{secured.url}/api/login", json={"token": "wrong-" + TOKEN}).status_code == 401
        assert client.post(f"{secured.url}/api/login", json={"token": TOKEN[:-1]}).status_code == 401
        assert client.post(f"{secured.url}/api/login", content=b"not json").status_code == 401
        for path in GET_ROUTES:
            assert client.get(secured.url + path).status_code == 401, path
            assert forged.get(secured.url + path).status_code == 401, path
        for path in ("/%61pi/inbox", "/api%2finbox", "/API/inbox", "/api//inbox", "/anything/else"):
            assert client.get(secured.url + path).status_code == 401, path
        for path in POST_ROUTES:
            assert client.post(secured.url + path, json={}, headers={"X-CSRF-Token": "x"}).status_code == 401, path
            assert forged.post(secured.url + path, json={}, headers={"X-CSRF-Token": "x"}).status_code == 401, path
    log = secured.log.read_text()
    assert "Failed login from 127.0.0.1" in log and "Refused GET /api/inbox from 127.0.0.1: not logged in" in log
    assert "wrong-" not in log and TOKEN not in log and "not-a-session" not in log


@pytest.mark.slow
def test_the_session_cookie_is_httponly_and_samesite_strict(secured: Console) -> None:
    response = httpx.post(f"{secured.url}/api/login", json={"token": TOKEN})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    session_id = re.search(rf"{console.COOKIE}=([^;]+)", cookie)
    assert session_id is not None and len(session_id.group(1)) >= 40
    behind_https = httpx.post(f"{secured.url}/api/login", json={"token": TOKEN}, headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_https.headers["set-cookie"]
    page = httpx.get(secured.url + "/")
    assert "script-src 'self'" in page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"


@pytest.mark.slow
def test_every_state_change_needs_the_csrf_token(secured: Console) -> None:
    with httpx.Client() as client:
        csrf = secured.login(client)
        key = message_key("en", SCRIPT_MESSAGE)
        for path in POST_ROUTES:
            assert client.post(secured.url + path, json={"key": key}).status_code == 403, path
            response = client.post(secured.url + path, json={"key": key}, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
            assert response.status_code == 403, path
        assert client.get(f"{secured.url}/api/inbox").status_code == 200, "still logged in"
        assert any(
            message["key"] == key for group in client.get(f"{secured.url}/api/inbox").json() for message in group["messages"]
        )
    assert "no valid CSRF token" in secured.log.read_text()


@pytest.mark.slow
def test_path_traversal_in_an_intent_language_key_or_model_is_refused(secured: Console) -> None:
    before = sorted(str(path) for path in secured.workspace.root.rglob("*"))
    key = message_key("en", SCRIPT_MESSAGE)
    with httpx.Client() as client:
        headers = {"X-CSRF-Token": secured.login(client)}
        attempts = [
            ("/api/label", {"key": key, "intent": "../../../tmp/evil"}),
            ("/api/label", {"key": key, "intent": "lost_residence_card", "language": "../../tmp"}),
            ("/api/label", {"key": "../../etc/passwd", "intent": "lost_residence_card"}),
            ("/api/check", {"key": key, "intent": "../domain"}),
            ("/api/dismiss", {"key": "..%2F..%2Fx"}),
            ("/api/models/accept", {"candidate": "../../models/current.tar.gz"}),
            ("/api/models/accept", {"candidate": "/etc/passwd"}),
        ]
        for path, body in attempts:
            assert client.post(secured.url + path, json=body, headers=headers).status_code == 400, (path, body)
        assert client.get(f"{secured.url}/api/inbox", params={"language": "../en"}).status_code == 400
        assert client.get(f"{secured.url}/api/../../etc/passwd").status_code in (401, 404)
    assert sorted(str(path) for path in secured.workspace.root.rglob("*")) == before, "nothing was written"


@pytest.mark.slow
def test_failed_logins_are_rate_limited(tmp_path: Path) -> None:
    tracker = f"sqlite:///{tmp_path / 'tracker.sqlite'}"
    running = start_console(tmp_path, tracker)
    try:
        for _ in range(console.LOGIN_FAILURES):
            assert httpx.post(f"{running.url}/api/login", json={"token": "guess"}).status_code == 401
        limited = httpx.post(f"{running.url}/api/login", json={"token": TOKEN})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    finally:
        stop_console(running)
    assert "too many failed logins" in running.log.read_text()


def test_a_real_rasa_server_loads_a_model_through_its_api_and_goes_on_answering(rasa_server: str, trained_model: Path) -> None:
    started = time.monotonic()
    lines = live_model.load_on_servers(trained_model, (rasa_server,), "")  # the test server has no token
    seconds = time.monotonic() - started
    assert lines == (f"{rasa_server}: loaded",)
    status = httpx.get(f"{rasa_server}/status", timeout=30).json()
    assert Path(status["model_file"]).name == trained_model.resolve().name
    assert chat(rasa_server, "I lost my residence card"), "it answers after the load"
    print(f"\nPUT /model took {seconds:.1f} s")


def test_the_rasa_api_takes_the_token_from_the_environment_and_refuses_other_callers(trained_model: Path, tmp_path: Path) -> None:
    from bot.paths import rasa_executable

    port = free_port()
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.tracker_store.RedactingSQLTrackerStore\n"
        f'  dialect: "sqlite"\n  db: "{tmp_path / "tracker.sqlite"}"\n'
    )
    command = [
        str(rasa_executable().parent / "python"),
        *("-m", "bot.rasa_server", "run", "--model", str(trained_model), "--interface", "127.0.0.1"),
        *("--port", str(port), "--credentials", str(PROJECT_ROOT / "credentials.yml"), "--endpoints", str(endpoints)),
        "--enable-api",  # as the Procfile's rasa line
    ]
    env = {**os.environ, "RASA_API_TOKEN": RASA_API_TOKEN, "RASA_TELEMETRY_ENABLED": "false"}
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "rasa.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(url + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        assert process.poll() is None, (tmp_path / "rasa.log").read_text()[-3000:]
        assert RASA_API_TOKEN not in Path(f"/proc/{process.pid}/cmdline").read_text(), "not shown by ps"
        assert httpx.get(f"{url}/status").status_code == 401
        assert "refused" in live_model.load_on_servers(trained_model, (url,), "")[0]
        assert "refused" in live_model.load_on_servers(trained_model, (url,), "wrong")[0]
        assert live_model.load_on_servers(trained_model, (url,), RASA_API_TOKEN) == (f"{url}: loaded",)
        status = httpx.get(f"{url}/status", params={"token": RASA_API_TOKEN}).json()
        assert Path(status["model_file"]).name == trained_model.resolve().name
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# ---- in the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Launch Debian's headless Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context, failing the test on any JavaScript error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def log_in(page: Any, url: str) -> None:
    """Open the console and log in with the token, with the keyboard."""
    from playwright.sync_api import expect

    page.goto(url)
    page.locator("#token").fill(TOKEN)
    page.locator("#token").press("Enter")
    expect(page.locator("#inbox-title")).to_be_visible()


def card_of(page: Any, text: str) -> Any:
    """Return the inbox card of a message."""
    return page.locator("#inbox .message").filter(has=page.locator(".message__text", has_text=text))


def screenshot(page: Any, name: str) -> None:
    """Save a screenshot for docs/trainers.md when JRA_SCREENSHOTS is set (a folder)."""
    folder = os.environ.get("JRA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_html_and_script_in_a_message_are_shown_as_text(page: Any, secured: Console) -> None:
    from playwright.sync_api import expect

    log_in(page, secured.url)
    card = card_of(page, "lost my card")
    expect(card.locator(".message__text")).to_have_text(SCRIPT_MESSAGE)
    assert page.evaluate("window.pwned") is None, "the message's script did not run"
    assert card.locator("script, img").count() == 0


@pytest.fixture(scope="module")
def loop_console(rasa_server: str, rasa_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console over the real Rasa server's tracker store, after a conversation it did not understand."""
    replies = chat(rasa_server, UNCLEAR_MESSAGE)
    assert replies, "the Rasa server answered"
    running = start_console(tmp_path_factory.mktemp("loop"), f"sqlite:///{rasa_workdir / 'tracker.sqlite'}")
    yield running
    stop_console(running)


def test_a_trainer_labels_a_message_retrains_compares_and_accepts(page: Any, loop_console: Console) -> None:
    from playwright.sync_api import expect

    timings: dict[str, float] = {}
    log_in(page, loop_console.url)
    card = card_of(page, UNCLEAR_MESSAGE)
    expect(card).to_be_visible()
    expect(card.locator(".message__reply-text")).not_to_be_empty()
    screenshot(page, "console-inbox")

    started = time.monotonic()
    card.locator(".action-label").click()
    card.locator(".picker__filter").fill(LABEL_INTENT)
    screenshot(page, "console-picker")
    card.locator(f'.picker__list button[data-intent="{LABEL_INTENT}"]').click()
    expect(card.locator(".check__findings li").first).not_to_have_text("Checking…")
    screenshot(page, "console-check")
    card.locator(".action-save").click()
    expect(page.locator("#inbox .done")).to_contain_text(f"nlu_data/en/{LABEL_INTENT}.yml")
    timings["label"] = time.monotonic() - started
    saved = yaml.safe_load((loop_console.workspace.data_dir / "en" / f"{LABEL_INTENT}.yml").read_text(encoding="utf-8"))
    assert f"- {UNCLEAR_MESSAGE}\n" in saved["nlu"][0]["examples"]
    expect(card_of(page, UNCLEAR_MESSAGE)).to_have_count(0)

    live = live_model.live_model(loop_console.workspace.models_dir)
    started = time.monotonic()
    page.locator("#retrain").click()
    expect(page.locator("#progress-bar")).to_be_visible()
    expect(page.locator("#progress-text")).to_have_text(re.compile(r"Training the new model: [1-9][0-9]* %"))
    screenshot(page, "console-progress")
    expect(page.locator("#accuracy-table tbody tr")).to_have_count(5, timeout=RETRAIN_MS)
    timings["retrain_and_evaluate"] = time.monotonic() - started
    assert live_model.live_model(loop_console.workspace.models_dir) == live, "retraining switched nothing"
    rows = page.locator("#accuracy-table tbody tr").all_inner_texts()
    assert sorted(row.split("\t")[1] for row in rows) == ["en", "ja", "ru", "uk", "zh"]
    assert page.locator("#chart .chart__bar--after").count() == 5
    assert page.locator("#changed-table tbody tr").count() >= 1
    result = json.loads((loop_console.workspace.models_dir / ".console" / "last-result.json").read_text())
    candidate = result["candidate"]
    assert (loop_console.workspace.models_dir / candidate).is_file() and candidate != live
    page.locator("#results").scroll_into_view_if_needed()
    screenshot(page, "console-results")

    started = time.monotonic()
    page.locator("#accept").click()
    expect(page.locator("#model-status")).to_contain_text(f"The new model is live: {candidate}")
    timings["accept"] = time.monotonic() - started
    assert live_model.live_model(loop_console.workspace.models_dir) == candidate
    assert loop_console.rasa.loaded == [str(loop_console.workspace.models_dir / candidate)]
    expect(page.locator("#live-model")).to_have_text(candidate)
    screenshot(page, "console-accepted")

    page.locator("#rollback").click()
    expect(page.locator("#model-status")).to_contain_text(f"Back to the previous model: {live}")
    assert live_model.live_model(loop_console.workspace.models_dir) == live
    stages = result.get("training_seconds"), result.get("evaluation_seconds")
    print(f"\nLoop timings (s): {json.dumps({k: round(v, 1) for k, v in timings.items()})}; training, evaluation: {stages}")


def test_the_main_actions_work_with_the_keyboard_alone(page: Any, secured: Console) -> None:
    from playwright.sync_api import expect

    write_fallback_conversation(_tracker_of(secured), "how much is a bus ticket to kyoto")
    write_fallback_conversation(_tracker_of(secured), "what time does the zoo open")
    page.goto(secured.url)
    page.keyboard.press("Tab")  # the language buttons come first
    page.locator("#token").focus()
    page.keyboard.type(TOKEN)
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-title")).to_be_visible()
    first = card_of(page, "bus ticket to kyoto")
    first.locator(".action-label").focus()
    page.keyboard.press("Enter")
    expect(first.locator(".picker__filter")).to_be_focused()
    page.keyboard.type("out_of_scope")
    page.keyboard.press("Enter")  # the first intent the filter leaves
    expect(first.locator(".action-save")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#inbox .done").first).to_contain_text("nlu_data/en/out_of_scope.yml")
    zoo = card_of(page, "zoo open")
    zoo.locator(".action-dismiss").focus()
    page.keyboard.press("Enter")
    expect(card_of(page, "zoo open")).to_have_count(0)
    page.locator('[data-ui-language="ja"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-title")).to_have_text("ボットが 分からなかった メッセージ")
    expect(page.locator("#retrain")).to_have_text("学習しなおして 評価する")
    screenshot(page, "console-japanese")
    page.locator("#retrain").focus()
    expect(page.locator("#retrain")).to_be_focused()


def _tracker_of(running: Console) -> str:
    return f"sqlite:///{running.log.parent / 'tracker.sqlite'}"
