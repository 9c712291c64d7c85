"""Telegram front end: forward each chat's messages to the Rasa server and send its replies.

Long polling by default, so no public URL is needed. Settings come from the environment:
TELEGRAM_BOT_TOKEN (required), TELEGRAM_BASE_URL (another Bot API server, e.g. a local one),
RASA_URL (the Rasa server, http://127.0.0.1:5005 by default).
"""

from __future__ import annotations

import html
import logging
import os
import sys
from dataclasses import dataclass

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.languages import normalize_language

logger = logging.getLogger(__name__)

RASA_TIMEOUT_SECONDS = 15.0
# Sent when Rasa cannot be reached; the language comes from the user's Telegram settings.
UNAVAILABLE = {
    "en": "Sorry, the assistant is temporarily unavailable. Please try again in a few minutes.",
    "ru": "Извините, помощник временно недоступен. Пожалуйста, попробуйте через несколько минут.",
    "uk": "Вибачте, помічник тимчасово недоступний. Будь ласка, спробуйте за кілька хвилин.",
    "zh": "抱歉，助手暂时无法使用。请过几分钟再试。",
    "ja": "ごめんなさい。いま つかえません。すこし あとで もう一度 ためしてください。",
}


@dataclass(frozen=True)
class TelegramSettings:
    """Settings of the Telegram front end, from the environment."""

    token: str
    base_url: str | None
    rasa_url: str


def load_settings() -> TelegramSettings | None:
    """Read the settings; None when no token is set."""
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return None
    return TelegramSettings(
        token=token,
        base_url=os.environ.get("TELEGRAM_BASE_URL") or None,
        rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
    )


async def ask_rasa(context: ContextTypes.DEFAULT_TYPE, sender: str, text: str, language_code: str | None) -> list[dict]:
    """Send one message to Rasa's REST channel and return its replies."""
    settings: TelegramSettings = context.bot_data["settings"]
    client: httpx.AsyncClient = context.bot_data["http"]
    response = await client.post(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"language_code": language_code}},
        timeout=RASA_TIMEOUT_SECONDS,
    )
    response.raise_for_status()
    return response.json()


def render(reply: dict) -> tuple[str, InlineKeyboardMarkup | None]:
    """Turn one Rasa reply into escaped HTML text and an inline keyboard."""
    text = html.escape(reply.get("text") or "")
    buttons = reply.get("buttons") or []
    keyboard = None
    if buttons:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b["title"], callback_data=b["payload"][:64])] for b in buttons]
        )
    return text, keyboard


async def forward(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Forward a text to Rasa for this chat and send the replies back."""
    chat = update.effective_chat
    user = update.effective_user
    language_code = user.language_code if user else None
    await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
    try:
        replies = await ask_rasa(context, str(chat.id), text, language_code)
    except (httpx.HTTPError, ValueError):
        logger.warning("Rasa server unavailable")
        language = normalize_language(language_code) or "en"
        await context.bot.send_message(chat.id, UNAVAILABLE[language])
        return
    for reply in replies:
        body, keyboard = render(reply)
        if body or keyboard:
            await context.bot.send_message(
                chat.id, body or "…", parse_mode=ParseMode.HTML, reply_markup=keyboard,
                disable_web_page_preview=True,
            )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user in the language of their Telegram settings."""
    user = update.effective_user
    language = normalize_language(user.language_code if user else None) or "en"
    await forward(update, context, f'/greet{{"language": "{language}"}}')


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forward a text message to Rasa."""
    await forward(update, context, update.effective_message.text or "")


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the callback query and send the button's payload to Rasa."""
    query = update.callback_query
    await query.answer()
    await forward(update, context, query.data or "")


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an error without the message contents; never show internals to the user."""
    logger.error("Telegram update failed: %s", type(context.error).__name__, exc_info=context.error)


async def _open_http(application: Application) -> None:
    application.bot_data["http"] = httpx.AsyncClient()


async def _close_http(application: Application) -> None:
    await application.bot_data["http"].aclose()


def build_application(settings: TelegramSettings) -> Application:
    """Build the application with its handlers registered in one place."""
    builder = Application.builder().token(settings.token).concurrent_updates(False)
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    application = builder.post_init(_open_http).post_shutdown(_close_http).build()
    application.bot_data["settings"] = settings
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button_pressed))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_message))
    application.add_error_handler(error_handler)
    return application


def main() -> int:
    """Run the bot with long polling until interrupted."""
    settings = load_settings()
    if settings is None:
        print("Telegram is off: set TELEGRAM_BOT_TOKEN to run the Telegram front end.", file=sys.stderr)
        return 2
    try:
        build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print("TELEGRAM_BOT_TOKEN was rejected by Telegram; check the token from BotFather.", file=sys.stderr)
        return 2
    except TelegramError as error:
        print(f"Telegram front end stopped: {error}", file=sys.stderr)
        return 1
    return 0
