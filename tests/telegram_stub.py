"""A local stand-in for the Telegram Bot API, for python-telegram-bot pointed at it by base_url.

It answers the methods the front end uses as the real API shapes them (getMe, getUpdates,
sendMessage, sendChatAction, answerCallbackQuery, editMessageReplyMarkup, setMyCommands,
deleteWebhook, setWebhook) and refuses what Telegram refuses: a wrong token, HTML that does
not parse, a text over 4096 characters, callback data over 64 bytes, a callback query answered
twice, a chat it never saw. Tests feed updates and read what the bot sent; fault drills make it
refuse the next calls of a method as Telegram does when it is overloaded (429 with retry_after,
502 from its front proxy).
Standard library only: ThreadingHTTPServer on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

T = TypeVar("T")

MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
LONGEST_POLL_SECONDS = 10.0
# Form fields that are plain strings; python-telegram-bot JSON-encodes every other value.
STRING_FIELDS = {"text", "parse_mode", "action", "callback_query_id", "url", "secret_token", "language_code"}
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_HTML_PIECE = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s[^<>]*)?)>|&(?:#x[0-9A-Fa-f]+|#\d+|lt|gt|amp|quot);|[<>&]")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status and Telegram's description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def utf16_len(text: str) -> int:
    """Return the length of ``text`` as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> str:
    """Return the text of a message in Telegram's HTML parse mode; raise ApiError as Telegram does."""
    plain: list[str] = []
    stack: list[str] = []
    position = 0
    for piece in _HTML_PIECE.finditer(markup):
        plain.append(markup[position : piece.start()])
        position = piece.end()
        whole = piece.group(0)
        offset = len(markup[: piece.start()].encode("utf-8"))
        if whole in {"<", ">", "&"}:
            raise ApiError(400, f"Bad Request: can't parse entities: unexpected {whole!r} at byte offset {offset}")
        if whole.startswith("&"):
            plain.append(html.unescape(whole))
            continue
        closing, name, attributes = piece.group(1), piece.group(2).lower(), piece.group(3)
        if name not in HTML_TAGS:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
        if closing:
            if not stack or stack[-1] != name:
                raise ApiError(400, f"Bad Request: can't parse entities: Unmatched end tag at byte offset {offset}")
            stack.pop()
        else:
            if name == "a" and "href=" not in attributes:
                raise ApiError(400, f"Bad Request: can't parse entities: <a> without href at byte offset {offset}")
            stack.append(name)
    plain.append(markup[position:])
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(plain)


@dataclass(frozen=True)
class Refusal:
    """An error answer the stand-in gives to one call instead of carrying it out (a fault drill)."""

    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Refusal:
        """Return Telegram's flood-control answer: 429 with parameters.retry_after in seconds."""
        answer = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
        return cls(429, json.dumps(answer).encode("utf-8"))

    @classmethod
    def bad_gateway(cls) -> Refusal:
        """Return the HTML page Telegram's front proxy answers when the Bot API behind it fails."""
        page = (
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
        return cls(502, page.encode("ascii"), "text/html")


@dataclass(frozen=True)
class RefusedCall:
    """A call the stand-in refused: method, the HTTP status given and when (time.monotonic())."""

    method: str
    status: int
    at: float


@dataclass
class SentMessage:
    """A message the bot sent, as the stand-in keeps it."""

    message_id: int
    chat_id: int
    html: str  # the text as sent
    text: str  # the text after parsing, as a Telegram client shows it
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    sequence: int = 0

    def buttons(self) -> list[dict[str, Any]]:
        """Return the inline buttons of the message's current keyboard."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def to_api(self, bot_user: dict[str, Any]) -> dict[str, Any]:
        """Return the Message object the Bot API returns for this message."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot_user,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Tester"},
            "date": int(time.time()),
            "text": self.text,
        }
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class Call:
    """One request the bot made: method name, decoded parameters and its order."""

    method: str
    params: dict[str, Any]
    sequence: int


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, SentMessage] = field(default_factory=dict)
    chats: dict[int, str | None] = field(default_factory=dict)  # chat id -> language_code
    open_queries: set[str] = field(default_factory=set)
    answered_queries: set[str] = field(default_factory=set)
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    webhook: dict[str, Any] | None = None
    refusals: dict[str, list[Refusal]] = field(default_factory=dict)  # method -> the next answers
    refused: list[RefusedCall] = field(default_factory=list)


class BotApiStub:
    """A Bot API server for one bot token, on 127.0.0.1, with helpers to feed and inspect."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Residence assistant",
            "username": "residence_assistant_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._state = _State()
        self._changed = threading.Condition(threading.RLock())
        self._ids = itertools.count(1)
        self._sequence = itertools.count(1)
        self._closed = False
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Server lifecycle

    @property
    def url(self) -> str:
        """Return the base URL for python-telegram-bot (the token is appended to it)."""
        assert self._server is not None, "the stand-in is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def start(self) -> BotApiStub:
        """Start serving on a free port of 127.0.0.1."""
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stub._serve(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep the test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="bot-api-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release long polls."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Feeding updates

    def _user(self, chat_id: int, language_code: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": "Tester"}
        if language_code:
            user["language_code"] = language_code
        return user

    def _message(self, chat_id: int, language_code: str | None, **content: Any) -> dict[str, Any]:
        with self._changed:
            self._state.chats[chat_id] = language_code
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Tester"},
            "from": self._user(chat_id, language_code),
            **content,
        }

    def text_update(self, chat_id: int, text: str, language_code: str | None = "en") -> dict[str, Any]:
        """Return an update with a text message, marking a leading /command as Telegram does."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return {"update_id": next(self._ids), "message": self._message(chat_id, language_code, **content)}

    def attachment_update(self, chat_id: int, kind: str, language_code: str | None = "en") -> dict[str, Any]:
        """Return an update with a photo, sticker, voice message or document."""
        file = {"file_id": f"{kind}-file-{chat_id}", "file_unique_id": f"{kind}{chat_id}"}
        content = {
            "photo": {"photo": [{**file, "width": 320, "height": 240, "file_size": 20480}]},
            "sticker": {
                "sticker": {**file, "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False}
            },
            "voice": {"voice": {**file, "duration": 3, "mime_type": "audio/ogg"}},
            "document": {"document": {**file, "file_name": "scan.pdf", "mime_type": "application/pdf"}},
        }[kind]
        return {"update_id": next(self._ids), "message": self._message(chat_id, language_code, **content)}

    def press_update(self, message: SentMessage, button_text: str, language_code: str | None = "en") -> dict[str, Any]:
        """Return the callback query of pressing a button that ``message`` really shows."""
        with self._changed:
            current = self._state.messages[message.message_id]
            pressed = [button for button in current.buttons() if button.get("text") == button_text]
            assert pressed, f"message {message.message_id} has no button {button_text!r}: {current.buttons()}"
            query_id = str(next(self._ids))
            self._state.open_queries.add(query_id)
            api_message = current.to_api(self.bot_user)
        query = {
            "id": query_id,
            "from": self._user(message.chat_id, language_code),
            "message": api_message,
            "chat_instance": f"instance-{message.chat_id}",
            "data": pressed[0]["callback_data"],
        }
        return {"update_id": next(self._ids), "callback_query": query}

    def feed(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates."""
        with self._changed:
            self._state.updates.append(update)
            self._changed.notify_all()
        return update

    def send_text(self, chat_id: int, text: str, language_code: str | None = "en") -> None:
        """Queue a text message from a user."""
        self.feed(self.text_update(chat_id, text, language_code))

    def send_attachment(self, chat_id: int, kind: str, language_code: str | None = "en") -> None:
        """Queue a photo, sticker, voice message or document from a user."""
        self.feed(self.attachment_update(chat_id, kind, language_code))

    def press(self, message: SentMessage, button_text: str, language_code: str | None = "en") -> str:
        """Queue a press of one of ``message``'s buttons; return the callback query id."""
        update = self.feed(self.press_update(message, button_text, language_code))
        return str(update["callback_query"]["id"])

    # Fault drills

    def refuse_next(self, method: str, *refusals: Refusal) -> None:
        """Answer the next calls of ``method`` with ``refusals``, in order, then normally again."""
        with self._changed:
            self._state.refusals.setdefault(method, []).extend(refusals)

    def refused(self, method: str | None = None) -> list[RefusedCall]:
        """Return the calls refused so far, of one method or all."""
        with self._changed:
            return [call for call in self._state.refused if method is None or call.method == method]

    def _take_refusal(self, method: str) -> Refusal | None:
        with self._changed:
            for name, pending in self._state.refusals.items():
                if name.lower() == method.lower() and pending:
                    refusal = pending.pop(0)
                    self._state.refused.append(RefusedCall(name, refusal.status, time.monotonic()))
                    self._changed.notify_all()
                    return refusal
        return None

    # Inspecting what the bot did

    def calls(self, method: str | None = None) -> list[Call]:
        """Return the bot's requests, of one method or all."""
        with self._changed:
            return [call for call in self._state.calls if method is None or call.method == method]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Return the messages the bot sent to a chat, in order."""
        with self._changed:
            found = [message for message in self._state.messages.values() if message.chat_id == chat_id]
        return sorted(found, key=lambda message: message.sequence)

    def commands(self) -> dict[str, list[dict[str, str]]]:
        """Return the command lists registered with setMyCommands, by language code ('' is the default)."""
        with self._changed:
            return dict(self._state.commands)

    def answered(self, query_id: str) -> bool:
        """Tell whether the bot answered a callback query."""
        with self._changed:
            return query_id in self._state.answered_queries

    def webhook(self) -> dict[str, Any] | None:
        """Return the parameters of the last setWebhook, None when deleted or never set."""
        with self._changed:
            return self._state.webhook

    def wait_for(self, found: Callable[[], T], what: str, timeout: float = 90.0) -> T:
        """Wait until ``found()`` is truthy and return it; fail with what the bot sent otherwise.

        The timeout is a deadline for a bot that is broken, not a performance requirement.
        """
        with self._changed:
            result = self._changed.wait_for(found, timeout)
            if not result:
                recent = sorted(self._state.messages.values(), key=lambda message: message.sequence)[-10:]
                sent = [(message.chat_id, message.text[:100]) for message in recent]
                raise AssertionError(f"timed out waiting for {what}; the bot's last messages: {sent}")
            return result

    def wait_for_text(self, chat_id: int, needle: str, timeout: float = 90.0) -> SentMessage:
        """Wait for a message to ``chat_id`` whose text contains ``needle``."""
        return self.wait_for(
            lambda: next((message for message in self.messages(chat_id) if needle in message.text), None),
            f"{needle!r} in chat {chat_id}",
            timeout,
        )

    # The API

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path).path.split("/")
        method = parts[-1] if len(parts) >= 3 else ""
        token = parts[1][3:] if len(parts) >= 3 and parts[1].startswith("bot") else ""
        try:
            params = self._params(request)
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            refusal = self._take_refusal(method)
            if refusal is not None:
                self._respond_bytes(request, refusal.status, refusal.body, refusal.content_type)
                return
            result = self._call(method, params)
        except ApiError as error:
            answer = {"ok": False, "error_code": error.code, "description": error.description}
            self._respond(request, error.code, answer)
            return
        self._respond(request, 200, {"ok": True, "result": result})

    @staticmethod
    def _params(request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode("utf-8") if length else ""
        if "json" in (request.headers.get("Content-Type") or ""):
            return json.loads(body or "{}")
        params: dict[str, Any] = {}
        for key, value in parse_qsl(urlsplit(request.path).query) + parse_qsl(body, keep_blank_values=True):
            if key in STRING_FIELDS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    @staticmethod
    def _respond(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        BotApiStub._respond_bytes(request, status, json.dumps(payload).encode("utf-8"), "application/json")

    @staticmethod
    def _respond_bytes(request: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot gave up on a long poll while shutting down

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda _: self.bot_user,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendChatAction": self._send_chat_action,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "setMyCommands": self._set_my_commands,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
        }
        # Method names are case-insensitive in the Bot API; calls are kept under their documented names.
        name = next((known for known in handlers if known.lower() == method.lower()), None)
        if name is None:
            raise ApiError(404, "Not Found")
        if name != "getUpdates":
            with self._changed:
                self._state.calls.append(Call(name, params, next(self._sequence)))
                self._changed.notify_all()
        return handlers[name](params)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        allowed = params.get("allowed_updates") or []
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), LONGEST_POLL_SECONDS)
        with self._changed:
            if self._state.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._state.calls.append(Call("getUpdates", params, next(self._sequence)))
            self._changed.notify_all()
            # Updates below the offset are confirmed and forgotten, as Telegram does.
            self._state.updates = [update for update in self._state.updates if update["update_id"] >= offset]
            while not self._state.updates and not self._closed and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            pending = [update for update in self._state.updates if not allowed or set(update) & set(allowed)]
            return pending[:limit]

    def _chat_id(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._state.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if not markup:
            return None
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not isinstance(rows, list):
            raise ApiError(400, "Bad Request: object expected as reply markup")
        for button in (button for row in rows for button in row):
            if not str(button.get("text") or "").strip():
                raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is None and "url" not in button:
                raise ApiError(400, 'Bad Request: can\'t find field "callback_data"')
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            chat_id = self._chat_id(params)
            raw = str(params.get("text") or "")
            parse_mode = params.get("parse_mode")
            text = parse_html(raw) if parse_mode == "HTML" else raw
            if parse_mode not in (None, "HTML"):
                raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r} in this stand-in")
            if not text.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if utf16_len(text) > MESSAGE_LIMIT:
                raise ApiError(400, "Bad Request: message is too long")
            message = SentMessage(
                message_id=next(self._ids),
                chat_id=chat_id,
                html=raw,
                text=text,
                parse_mode=parse_mode,
                reply_markup=self._check_markup(params.get("reply_markup")),
                sequence=next(self._sequence),
            )
            self._state.messages[message.message_id] = message
            self._changed.notify_all()
            return message.to_api(self.bot_user)

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        with self._changed:
            self._chat_id(params)
            if params.get("action") not in CHAT_ACTIONS:
                raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        with self._changed:
            if query_id not in self._state.open_queries:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            self._state.open_queries.discard(query_id)
            self._state.answered_queries.add(query_id)
            self._changed.notify_all()
        return True

    def _edit_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            chat_id = self._chat_id(params)
            message = self._state.messages.get(int(params.get("message_id") or 0))
            if message is None or message.chat_id != chat_id:
                raise ApiError(400, "Bad Request: message to edit not found")
            markup = self._check_markup(params.get("reply_markup"))
            if markup == message.reply_markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup",
                )
            message.reply_markup = markup
            self._changed.notify_all()
            return message.to_api(self.bot_user)

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        language = str(params.get("language_code") or "")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be a list of at most 100 commands")
        for command in commands:
            if not _COMMAND.match(str(command.get("command") or "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: LANG_CODE_INVALID")
        with self._changed:
            self._state.commands[language] = commands
            self._changed.notify_all()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._changed:
            self._state.webhook = None
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._changed:
            self._state.webhook = {"url": url, "secret_token": secret} if url else None
            self._changed.notify_all()
        return True
