"""The trainer console: `jra console` serves a web page where trainers label misunderstood
messages, retrain, compare and accept the new model (docs/trainers.md).

A Sanic app (Sanic is in the app environment already: rasa-sdk's action server runs on it) that
serves one static page (bot/trainer/console_static/) and a small JSON API under /api/:

- off unless TRAINER_TOKEN is set; a trainer logs in with that token (compared in constant
  time) and gets a random session id in a cookie (HttpOnly, SameSite=Strict, Secure behind
  https) that expires after an hour without use and after 12 hours in any case;
- every /api/ route but the login needs the session (401 otherwise, logged without the
  credential); every state-changing request needs the session's CSRF token in the
  X-CSRF-Token header (403 otherwise); failed logins are limited per client address (429);
- intents, languages, message keys and model names are checked against strict patterns and the
  known lists before anything reads a file (400 otherwise): no path reaches the disk from a request;
- user text is data: the page puts it in with textContent only, and the page's Content Security
  Policy allows no inline script.

"Retrain and evaluate" runs `python -m bot.devtools.candidate` in the Rasa environment as a
process of its own, following its progress lines; "Accept" and "Go back" switch the model links
and tell the Rasa servers (bot/trainer/live_model.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.languages import LANGUAGES
from bot.paths import MODELS_DIR, PROJECT_ROOT, rasa_executable
from bot.trainer import live_model

logger = logging.getLogger("trainer.console")

STATIC_DIR = Path(__file__).resolve().parent / "console_static"
STATIC_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/console.js": ("console.js", "application/javascript; charset=utf-8"),
    "/console.css": ("console.css", "text/css; charset=utf-8"),
}
# The page itself and the login; every other path needs a session.
PUBLIC_PATHS = frozenset({*STATIC_FILES, "/api/login", "/favicon.ico"})
COOKIE = "jra_console"
CSRF_HEADER = "X-CSRF-Token"
IDLE_SECONDS = 3600
SESSION_SECONDS = 12 * 3600
LOGIN_FAILURES = 5  # failed logins per client address within the window before 429
LOGIN_WINDOW_SECONDS = 300
INTENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MESSAGE_KEY = re.compile(r"^[0-9a-f]{16}$")  # bot/trainer/inbox.py message_key
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
OUT_OF_SCOPE = "out_of_scope"
DEFAULT_HELD_OUT = (PROJECT_ROOT / "tests" / "nlu", PROJECT_ROOT / "tests" / "nlu" / "real")


class BadRequest(ValueError):
    """A parameter that is not what the API accepts (answered with 400)."""


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console needs: the token and the folders it reads and writes."""

    token: str
    data_dir: Path
    models_dir: Path
    held_out_dirs: tuple[Path, ...]
    tracker_url: str
    decisions_url: str
    rasa_urls: tuple[str, ...]
    rasa_token: str

    @classmethod
    def from_environment(
        cls,
        environ: os._Environ[str] | dict[str, str] = os.environ,
        data_dir: Path | None = None,
        models_dir: Path | None = None,
        held_out_dirs: tuple[Path, ...] = (),
        tracker_url: str | None = None,
        decisions_url: str | None = None,
    ) -> ConsoleSettings:
        """Read the settings: options first, then TRAINER_* variables, then the project's defaults."""
        from bot.trainer import settings as trainer_settings
        from bot.trainer.examples import NLU_DATA_DIR

        held_out_env = tuple(Path(part) for part in environ.get("TRAINER_HELD_OUT", "").split(os.pathsep) if part)
        return cls(
            token=environ.get("TRAINER_TOKEN", "").strip(),
            data_dir=(data_dir or Path(environ.get("TRAINER_DATA_DIR") or NLU_DATA_DIR)).resolve(),
            models_dir=(models_dir or Path(environ.get("TRAINER_MODELS_DIR") or MODELS_DIR)).resolve(),
            held_out_dirs=tuple(path.resolve() for path in (held_out_dirs or held_out_env or DEFAULT_HELD_OUT)),
            tracker_url=tracker_url or trainer_settings.tracker_database_url(),
            decisions_url=decisions_url or trainer_settings.decisions_database_url(),
            rasa_urls=live_model.rasa_urls(environ),
            rasa_token=live_model.rasa_token(environ),
        )


@dataclass
class Session:
    """A logged-in trainer's session."""

    csrf: str
    created: float
    last_used: float


@dataclass
class Sessions:
    """The sessions in memory (a restart of the console logs everybody out) and the failed logins."""

    sessions: dict[str, Session] = field(default_factory=dict)
    failures: dict[str, deque[float]] = field(default_factory=dict)

    def create(self) -> tuple[str, Session]:
        """Start a session; return its id and the session."""
        now = time.monotonic()
        session_id = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), now, now)
        self.sessions[session_id] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """Return the live session of an id, forgetting expired ones."""
        now = time.monotonic()
        for key, session in list(self.sessions.items()):
            if now - session.last_used > IDLE_SECONDS or now - session.created > SESSION_SECONDS:
                del self.sessions[key]
        found = self.sessions.get(session_id or "")
        if found is not None:
            found.last_used = now
        return found

    def end(self, session_id: str | None) -> None:
        """Log out."""
        self.sessions.pop(session_id or "", None)

    def blocked_for(self, address: str) -> float:
        """Return the seconds until ``address`` may try to log in again (0: now)."""
        now = time.monotonic()
        failures = self.failures.get(address)
        while failures and now - failures[0] > LOGIN_WINDOW_SECONDS:
            failures.popleft()
        if failures is not None and len(failures) >= LOGIN_FAILURES:
            return LOGIN_WINDOW_SECONDS - (now - failures[0])
        return 0.0

    def failed(self, address: str) -> None:
        """Count a failed login of ``address``."""
        self.failures.setdefault(address, deque()).append(time.monotonic())


# ---- retrain and evaluate --------------------------------------------------------------------


class RetrainJob:
    """The background "Retrain and evaluate": one at a time, followed through its progress lines."""

    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.folder = settings.models_dir / ".console"
        self.status: dict[str, Any] = {"state": "idle"}
        self.task: asyncio.Task[None] | None = None
        result = self.folder / "last-result.json"
        if result.exists():
            with contextlib.suppress(ValueError):
                self.status = {"state": "done", "percent": 100, "result": json.loads(result.read_text(encoding="utf-8"))}

    @property
    def running(self) -> bool:
        """Whether a retraining is under way."""
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        """Start retraining and evaluating in the background."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.status = {"state": "running", "stage": "starting", "percent": 0, "started": time.time(), "stages": {}}
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        out = self.folder / "result.json"
        out.unlink(missing_ok=True)
        command = [
            str(rasa_executable().parent / "python"),
            "-m",
            "bot.devtools.candidate",
            "--data-dir",
            str(self.settings.data_dir),
            "--models-dir",
            str(self.settings.models_dir),
            "--out",
            str(out),
        ]
        for folder in self.settings.held_out_dirs:
            command += ["--held-out", str(folder)]
        started = time.monotonic()
        error = ""
        with (self.folder / "retrain.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=PROJECT_ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            assert process.stdout is not None
            async for raw in process.stdout:
                line = raw.decode("utf-8", "replace").strip()
                try:
                    progress = json.loads(line) if line.startswith("{") else None
                except ValueError:
                    progress = None
                if not isinstance(progress, dict) or "stage" not in progress:
                    log.write(raw)  # rasa train's own output
                    continue
                stage = str(progress["stage"])
                self.status["stages"].setdefault(stage, round(time.monotonic() - started, 1))
                self.status.update(stage=stage, percent=float(progress.get("percent", 0)), detail=progress.get("detail", ""))
                error = str(progress.get("error", "")) or error
            code = await process.wait()
        seconds = round(time.monotonic() - started, 1)
        if code == 0 and out.exists():
            result = json.loads(out.read_text(encoding="utf-8"))
            result["total_seconds"] = seconds
            (self.folder / "last-result.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
            self.status = {"state": "done", "percent": 100, "result": result, "stages": self.status["stages"]}
            logger.info("Retrained and evaluated in %.0f s: candidate %s", seconds, result.get("candidate"))
        else:
            self.status = {"state": "failed", "percent": 100, "error": error or f"the retraining process exited with {code}"}
            logger.error("Retraining failed (%s); see %s", self.status["error"], self.folder / "retrain.log")


# ---- parameters ------------------------------------------------------------------------------


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise BadRequest(f"{name} is missing")
    return value


def valid_language(value: str) -> str:
    """Return a language code of the five; refuse anything else."""
    if value not in LANGUAGES:
        raise BadRequest("unknown language")
    return value


def valid_intent(value: str, known: set[str]) -> str:
    """Return an intent of the catalogue; refuse anything else (a path, another name)."""
    if not INTENT.match(value) or value not in known:
        raise BadRequest("unknown intent")
    return value


def valid_key(value: str) -> str:
    """Return a message key of the inbox's form; refuse anything else."""
    if not MESSAGE_KEY.match(value):
        raise BadRequest("malformed message key")
    return value


# ---- the app ---------------------------------------------------------------------------------


def create_app(settings: ConsoleSettings) -> Any:
    """Return the console's Sanic app."""
    from sanic import Sanic, response
    from sanic.request import Request

    from bot.trainer import catalog, examples, inbox
    from bot.trainer.decisions import Decisions

    app = Sanic(f"trainer_console_{secrets.token_hex(4)}", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 64 * 1024
    sessions = Sessions()
    job = RetrainJob(settings)
    decisions = Decisions(settings.decisions_url)
    catalogue = catalog.intent_catalog(data_dir=settings.data_dir)
    intents = {entry.name: entry.description for entry in catalogue}
    held_out_dir = settings.held_out_dirs[0] if settings.held_out_dirs else examples.HELD_OUT_DIR

    def json_response(body: Any, status: int = 200) -> Any:
        return response.json(body, status=status, headers={"Cache-Control": "no-store"}, ensure_ascii=False)

    def client(request: Request) -> str:
        return str(request.ip or "unknown")

    @app.middleware("request")
    async def guard(request: Request) -> Any:
        path = request.path
        if path in PUBLIC_PATHS:  # everything else, an unknown path included, needs the session
            return None
        session = sessions.get(request.cookies.get(COOKIE))
        if session is None:
            # The log line names the route and the address, never the cookie or the token.
            logger.warning("Refused %s %s from %s: not logged in", request.method, path, client(request))
            return json_response({"error": "not logged in"}, 401)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(), session.csrf.encode()
        ):
            logger.warning("Refused %s %s from %s: no valid CSRF token", request.method, path, client(request))
            return json_response({"error": "missing or wrong CSRF token"}, 403)
        request.ctx.session = session
        return None

    @app.middleware("response")
    async def headers(_: Request, answer: Any) -> None:
        for name, value in SECURITY_HEADERS.items():
            answer.headers.setdefault(name, value)

    @app.exception(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> Any:
        return json_response({"error": str(error)}, 400)

    @app.exception(inbox.InboxError)
    async def inbox_error(_: Request, error: inbox.InboxError) -> Any:
        logger.error("The inbox cannot be read: %s", error)
        return json_response({"error": str(error)}, 503)

    @app.exception(live_model.ModelError)
    async def model_error(_: Request, error: live_model.ModelError) -> Any:
        return json_response({"error": str(error)}, 409)

    def body_of(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise BadRequest("the body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("the body is not a JSON object")
        return body

    async def message_of(key: str) -> Any:
        message = await asyncio.to_thread(inbox.find_message, settings.tracker_url, decisions, valid_key(key))
        if message is None:
            raise BadRequest("no such message in the inbox")
        return message

    def language_for(body: dict[str, Any], message: Any) -> str:
        return valid_language(str(body.get("language") or message.language))

    @app.get("/")
    async def page(_: Request) -> Any:
        return static("/")

    @app.get("/console.js")
    async def script(_: Request) -> Any:
        return static("/console.js")

    @app.get("/console.css")
    async def style(_: Request) -> Any:
        return static("/console.css")

    def static(path: str) -> Any:
        name, content_type = STATIC_FILES[path]
        return response.raw((STATIC_DIR / name).read_bytes(), content_type=content_type, headers={"Cache-Control": "no-cache"})

    @app.post("/api/login")
    async def login(request: Request) -> Any:
        address = client(request)
        wait = sessions.blocked_for(address)
        if wait > 0:
            logger.warning("Refused a login from %s: too many failed logins", address)
            return response.json(
                {"error": "too many failed logins; try again later"}, status=429, headers={"Retry-After": str(int(wait) + 1)}
            )
        try:
            token = _text(body_of(request), "token")
        except BadRequest:
            token = ""
        if not hmac.compare_digest(token.encode(), settings.token.encode()):
            sessions.failed(address)
            logger.warning("Failed login from %s", address)
            return json_response({"error": "wrong token"}, 401)
        sessions.failures.pop(address, None)
        session_id, session = sessions.create()
        logger.info("Trainer logged in from %s", address)
        answer = json_response({"csrf": session.csrf})
        answer.cookies[COOKIE] = session_id
        cookie = answer.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/"
        cookie["max-age"] = SESSION_SECONDS
        if request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "") == "https":
            cookie["secure"] = True
        return answer

    @app.get("/api/session")
    async def session_info(request: Request) -> Any:
        return json_response({"csrf": request.ctx.session.csrf, "languages": list(LANGUAGES)})

    @app.post("/api/logout")
    async def logout(request: Request) -> Any:
        sessions.end(request.cookies.get(COOKIE))
        answer = json_response({"ok": True})
        del answer.cookies[COOKIE]
        return answer

    @app.get("/api/intents")
    async def intent_list(_: Request) -> Any:
        return json_response(
            [{"name": entry.name, "description": entry.description, "group": entry.group} for entry in catalogue]
        )

    @app.get("/api/inbox")
    async def inbox_list(request: Request) -> Any:
        language = request.args.get("language") or None
        if language is not None:
            valid_language(language)
        groups = await asyncio.to_thread(inbox.read_inbox, settings.tracker_url, decisions, language=language)
        return json_response(
            [
                {
                    "language": group.language,
                    "predicted_intent": group.predicted_intent,
                    "messages": [message.as_json() for message in group.messages],
                }
                for group in groups
            ]
        )

    async def findings_for(text: str, language: str, intent: str) -> list[dict[str, Any]]:
        found = await asyncio.to_thread(
            examples.check_example, text, language, intent, settings.data_dir, held_out_dir=held_out_dir
        )
        return [{"kind": finding.kind, "message": finding.message, "blocking": finding.blocking} for finding in found]

    @app.post("/api/check")
    async def check(request: Request) -> Any:
        body = body_of(request)
        message = await message_of(_text(body, "key"))
        intent = valid_intent(_text(body, "intent"), set(intents))
        language = language_for(body, message)
        findings = await findings_for(message.text, language, intent)
        return json_response({"findings": findings, "blocking": any(item["blocking"] for item in findings)})

    async def save(request: Request, intent: str) -> Any:
        body = body_of(request)
        message = await message_of(_text(body, "key"))
        intent = valid_intent(intent, set(intents))
        language = language_for(body, message)
        findings = await findings_for(message.text, language, intent)
        if any(item["blocking"] for item in findings):
            return json_response({"error": "the data check refuses this example", "findings": findings}, 409)
        started = time.monotonic()
        try:
            path = await asyncio.to_thread(
                examples.add_example, message.text, language, intent, settings.data_dir, held_out_dir=held_out_dir
            )
        except examples.ExampleRejected as rejected:
            found = [{"kind": item.kind, "message": item.message, "blocking": item.blocking} for item in rejected.findings]
            return json_response({"error": "the data check refuses this example", "findings": found}, 409)
        except ValueError as error:  # the file cannot take it as one added line
            return json_response({"error": str(error)}, 409)
        # Out of scope is saved as an example of out_of_scope, as `jra inbox out-of-scope` does.
        kind = "out_of_scope" if intent == OUT_OF_SCOPE else "labelled"
        await asyncio.to_thread(decisions.record, message.key, kind, language=language, text=message.text, intent=intent)
        logger.info("Saved a %s message as %s in %.2f s", language, intent, time.monotonic() - started)
        return json_response({"saved": _shown_path(Path(path), settings.data_dir), "findings": findings})

    @app.post("/api/label")
    async def label(request: Request) -> Any:
        return await save(request, _text(body_of(request), "intent"))

    @app.post("/api/out-of-scope")
    async def out_of_scope(request: Request) -> Any:
        return await save(request, OUT_OF_SCOPE)

    @app.post("/api/dismiss")
    async def dismiss(request: Request) -> Any:
        body = body_of(request)
        message = await message_of(_text(body, "key"))
        await asyncio.to_thread(decisions.record, message.key, "dismissed", language=message.language, text=message.text)
        return json_response({"ok": True})

    @app.get("/api/retrain")
    async def retrain_status(_: Request) -> Any:
        return json_response(job.status)

    @app.post("/api/retrain")
    async def retrain(_: Request) -> Any:
        if job.running:
            return json_response({"error": "a retraining is already running"}, 409)
        job.start()
        return json_response(job.status, 202)

    def models_status() -> dict[str, Any]:
        return {
            "live": live_model.live_model(settings.models_dir),
            "previous": live_model.previous_model(settings.models_dir),
        }

    @app.get("/api/models")
    async def models(_: Request) -> Any:
        return json_response(models_status())

    @app.post("/api/models/accept")
    async def accept(request: Request) -> Any:
        candidate = _text(body_of(request), "candidate")
        if not live_model.MODEL_NAME.match(candidate):
            raise BadRequest("not a model name")
        if job.running:
            return json_response({"error": "wait for the retraining to finish"}, 409)
        switch = await asyncio.to_thread(
            live_model.accept, settings.models_dir, candidate, settings.rasa_urls, settings.rasa_token
        )
        logger.info("Accepted %s (was %s): %s", switch.live, switch.previous, "; ".join(switch.servers))
        return json_response({**models_status(), "servers": list(switch.servers), "all_loaded": switch.all_loaded})

    @app.post("/api/models/rollback")
    async def rollback(_: Request) -> Any:
        switch = await asyncio.to_thread(live_model.rollback, settings.models_dir, settings.rasa_urls, settings.rasa_token)
        logger.info("Went back to %s (was %s): %s", switch.live, switch.previous, "; ".join(switch.servers))
        return json_response({**models_status(), "servers": list(switch.servers), "all_loaded": switch.all_loaded})

    return app


def _shown_path(path: Path, data_dir: Path) -> str:
    try:
        return str(Path(data_dir.name) / path.resolve().relative_to(data_dir))
    except ValueError:
        return path.name


def serve(host: str, port: int, settings: ConsoleSettings) -> int:
    """Run the console until interrupted; without TRAINER_TOKEN it does not start."""
    if not settings.token:
        print("The trainer console is off: set TRAINER_TOKEN=<a long random secret> to start it.", file=sys.stderr)
        return 2
    if len(settings.token) < 16:
        print("TRAINER_TOKEN is too short: use at least 16 characters (e.g. `openssl rand -hex 16`).", file=sys.stderr)
        return 2
    logging.getLogger("trainer.console").setLevel(logging.INFO)
    app = create_app(settings)
    print(f"Trainer console: http://{host}:{port} (log in with TRAINER_TOKEN)", flush=True)
    try:
        app.run(host=host, port=port, access_log=False, motd=False, workers=1)
    except OSError as error:
        print(f"Cannot serve the trainer console on {host}:{port}: {error.strerror}.", file=sys.stderr)
        return 1
    return 0
