"""Telegram front end: forward each chat's messages to the Rasa server and render its replies.

Long polling by default, so no public URL is needed; webhook mode when TELEGRAM_WEBHOOK_URL
is set. Every setting comes from the environment (settings.py, docs/telegram.md). Rasa
answers the conversation; the front end only adds the few sentences of texts.yml.
`jra telegram` runs `main()`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys

from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.languages import DEFAULT_LANGUAGE, LANGUAGES
from bot.telegram import texts
from bot.telegram.chats import ChatState, PerChatUpdateProcessor
from bot.telegram.handlers import (
    FEEDBACK_PAYLOAD,
    LANGUAGE_PAYLOAD,
    BotServices,
    button_pressed,
    feedback_chosen,
    help_command,
    language_chosen,
    language_command,
    limit_chat_rate,
    not_text,
    report_error,
    reset,
    start,
    text_message,
    unknown_command,
)
from bot.telegram.rasa_client import RasaClient
from bot.telegram.retrying import RetryingRequest
from bot.telegram.settings import SettingsError, TelegramSettings, load_settings

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# Updates worked on at once (Rasa calls in flight); each chat still gets one at a time.
MAX_CONCURRENT_UPDATES = 32
# How often AIORateLimiter retries a request that Telegram answered with "retry after".
FLOOD_RETRIES = 3
# Connections for the Bot API calls other than getUpdates (python-telegram-bot's default).
CONNECTION_POOL_SIZE = 256


async def register_commands(application: Application) -> None:
    """Register the command menu with Telegram: the default (English) and each language."""
    for language in (None, *LANGUAGES):
        descriptions = texts.command_descriptions(language or DEFAULT_LANGUAGE)
        commands = [BotCommand(command, description) for command, description in descriptions]
        await application.bot.set_my_commands(commands, language_code=language)


async def start_services(application: Application) -> None:
    """Open the Rasa client and register the command menu (PTB's post_init)."""
    services: BotServices = application.bot_data
    services.rasa = RasaClient(services.settings.rasa_url, services.settings.rasa_timeout)
    try:
        await register_commands(application)
    except TelegramError as error:
        logger.warning("Could not register the command menu: %s", error)


async def stop_services(application: Application) -> None:
    """Close the Rasa client (PTB's post_shutdown)."""
    rasa: RasaClient | None = getattr(application.bot_data, "rasa", None)
    if rasa is not None:
        await rasa.aclose()


def build_application(settings: TelegramSettings) -> Application:
    """Build the application with its handlers registered in one place."""
    texts.load_texts()  # a broken texts.yml stops the start, not a conversation
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .context_types(ContextTypes(bot_data=BotServices, chat_data=ChatState))
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        # Sends again after a 502/503/504 or a refused connection (retrying.py); never twice
        # a request Telegram may have carried out.
        .request(RetryingRequest(connection_pool_size=CONNECTION_POOL_SIZE))
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .post_init(start_services)
        .post_shutdown(stop_services)
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    application = builder.build()
    application.bot_data.settings = settings
    application.add_handlers(
        {
            -1: [TypeHandler(Update, limit_chat_rate)],
            0: [
                CommandHandler("start", start),
                CommandHandler("help", help_command),
                CommandHandler("language", language_command),
                CommandHandler("reset", reset),
                MessageHandler(filters.COMMAND, unknown_command),
                MessageHandler(filters.TEXT, text_message),
                MessageHandler(filters.ATTACHMENT, not_text),
                CallbackQueryHandler(language_chosen, pattern=LANGUAGE_PAYLOAD),
                CallbackQueryHandler(feedback_chosen, pattern=FEEDBACK_PAYLOAD),
                CallbackQueryHandler(button_pressed),
            ],
        }
    )
    application.add_error_handler(report_error)
    return application


def run(application: Application, settings: TelegramSettings) -> None:
    """Receive updates by long polling, or by webhook when one is configured."""
    webhook = settings.webhook
    if webhook is None:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        return
    application.run_webhook(
        listen=webhook.listen,
        port=webhook.port,
        url_path=webhook.url_path,
        webhook_url=webhook.url,
        secret_token=webhook.secret_token,
        allowed_updates=ALLOWED_UPDATES,
    )


class RedactToken(logging.Filter):
    """Replace the bot token in log records (Bot API URLs and some PTB errors contain it)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message and traceback without the token."""
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "<token>")
        return True


async def check_token(settings: TelegramSettings) -> None:
    """Ask the Bot API who the bot is; raise InvalidToken for a token Telegram rejects."""
    bot = Bot(settings.token, base_url=settings.base_url) if settings.base_url else Bot(settings.token)
    async with bot:
        logger.info("Telegram bot @%s", bot.username)


def main() -> int:
    """Run the Telegram front end until interrupted; return the process exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")  # no-op under `jra`
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactToken(settings.token))
    if settings.webhook and importlib.util.find_spec("tornado") is None:
        print(
            "Webhook mode needs tornado: install python-telegram-bot[webhooks] into the app environment.",
            file=sys.stderr,
        )
        return 2
    try:
        # Checked before PTB starts: its start-up loop would log a traceback with the token.
        asyncio.run(check_token(settings))
        run(build_application(settings), settings)
    except InvalidToken:
        print("TELEGRAM_BOT_TOKEN was rejected by Telegram: copy the token again from @BotFather.", file=sys.stderr)
        return 2
    except TelegramError as error:
        print(f"The Telegram front end stopped: {str(error).replace(settings.token, '<token>')}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"The Telegram front end could not listen for its webhook: {error}", file=sys.stderr)
        return 1
    return 0
