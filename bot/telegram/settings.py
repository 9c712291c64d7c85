"""Settings of the Telegram front end, read from the environment in one place."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
DEFAULT_RASA_TIMEOUT_SECONDS = 15.0
DEFAULT_CHAT_LIMIT = 20
DEFAULT_CHAT_WINDOW_SECONDS = 60.0
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1"
DEFAULT_WEBHOOK_PORT = 8443

# BotFather's tokens look like 123456789:AAE...; checking the shape catches a pasted
# placeholder or a stray quote before any request is made.
TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and - as a webhook secret token.
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TRUE_WORDS = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class WebhookSettings:
    """Where Telegram posts updates in webhook mode, and the secret it must send along."""

    url: str
    secret_token: str
    listen: str
    port: int

    @property
    def url_path(self) -> str:
        """Return the path the local server answers on: the public URL's path."""
        return urlsplit(self.url).path.lstrip("/")


@dataclass(frozen=True)
class TelegramSettings:
    """Everything the front end needs to run."""

    token: str
    base_url: str | None = None
    rasa_url: str = DEFAULT_RASA_URL
    rasa_timeout: float = DEFAULT_RASA_TIMEOUT_SECONDS
    chat_limit: int = DEFAULT_CHAT_LIMIT
    chat_window: float = DEFAULT_CHAT_WINDOW_SECONDS
    webhook: WebhookSettings | None = None
    log_messages: bool = False


def _number(environ: Mapping[str, str], name: str, default: float, kind: type[int] | type[float]) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}.") from None
    if value <= 0:
        raise SettingsError(f"{name} must be greater than 0, not {raw!r}.")
    return value


def _webhook(environ: Mapping[str, str]) -> WebhookSettings | None:
    url = environ.get("TELEGRAM_WEBHOOK_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SettingsError(f"TELEGRAM_WEBHOOK_URL must be a full URL such as https://bot.example.org/telegram, not {url!r}.")
    # Without a configured secret a random one still protects the webhook: it is sent to
    # Telegram with setWebhook on every start.
    secret = environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or secrets.token_urlsafe(32)
    if not SECRET_SHAPE.match(secret):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET may only hold 1-256 letters, digits, '_' and '-'.")
    return WebhookSettings(
        url=url,
        secret_token=secret,
        listen=environ.get("TELEGRAM_WEBHOOK_LISTEN", "").strip() or DEFAULT_WEBHOOK_LISTEN,
        port=int(_number(environ, "TELEGRAM_WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT, int)),
    )


def load_settings(environ: Mapping[str, str]) -> TelegramSettings:
    """Read the settings from ``environ``; raise SettingsError with one clear line."""
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set its token (see docs/telegram.md)."
        )
    if not TOKEN_SHAPE.match(token):
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters): copy it again from @BotFather."
        )
    return TelegramSettings(
        token=token,
        base_url=environ.get("TELEGRAM_BASE_URL", "").strip() or None,
        rasa_url=(environ.get("RASA_URL", "").strip() or DEFAULT_RASA_URL).rstrip("/"),
        rasa_timeout=_number(environ, "RASA_TIMEOUT", DEFAULT_RASA_TIMEOUT_SECONDS, float),
        chat_limit=int(_number(environ, "TELEGRAM_CHAT_LIMIT", DEFAULT_CHAT_LIMIT, int)),
        chat_window=_number(environ, "TELEGRAM_CHAT_WINDOW", DEFAULT_CHAT_WINDOW_SECONDS, float),
        webhook=_webhook(environ),
        log_messages=environ.get("TELEGRAM_LOG_MESSAGES", "").strip().lower() in TRUE_WORDS,
    )
