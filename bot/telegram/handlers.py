"""The handlers: what the front end does with each kind of update, in one typed shape.

Every handler takes (update, context) and forwards to Rasa through `converse`, or sends one
of the front end's own sentences through `say`. Registered in app.build_application.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram import Message as TelegramMessage
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, CallbackContext, ExtBot

from bot.feedback import FEEDBACK_PAYLOADS
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from bot.telegram import texts
from bot.telegram.chats import Admission, ChatState
from bot.telegram.rasa_client import RasaClient, RasaUnavailable, conversation_language
from bot.telegram.rendering import Outgoing, escape, plain_text, render_reply, without_feedback
from bot.telegram.settings import TelegramSettings
from bot.telegram.texts import Message

logger = logging.getLogger(__name__)

# Telegram shows "typing…" for 5 seconds, so it is repeated while Rasa thinks.
TYPING_EVERY_SECONDS = 4.0
# Answers end with official links; a preview of the ministry's home page would only add noise.
NO_LINK_PREVIEW = LinkPreviewOptions(is_disabled=True)
# The language buttons in two rows, three then two, in the order of LANGUAGES.
LANGUAGE_KEYBOARD_ROWS = (LANGUAGES[:3], LANGUAGES[3:])
LANGUAGE_PAYLOAD = re.compile(r'^/change_language\{"language": "(?P<language>[a-z]{2})"\}$')
# The "Was this helpful?" buttons' callback data: the payloads for Rasa (bot/feedback.py).
FEEDBACK_PAYLOAD = re.compile("^(?:" + "|".join(re.escape(payload) for payload in FEEDBACK_PAYLOADS) + ")$")


class BotServices:
    """What every handler shares (PTB's bot_data): the settings and the Rasa client."""

    settings: TelegramSettings
    rasa: RasaClient


Context = CallbackContext[ExtBot[None], dict[Any, Any], ChatState, BotServices]


def intent_payload(intent: str, **entities: str) -> str:
    """Return a Rasa intent payload such as /greet{"language": "ru"}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def chat_language(update: Update, context: Context) -> str:
    """Return the language of the front end's own sentences in this chat.

    The conversation's language as Rasa's last reply carried it (its `language` slot, the one
    owner); before any reply, the language of the user's Telegram app.
    """
    user = update.effective_user
    conversation = context.chat_data.language if context.chat_data else None
    return conversation or normalize_language(user.language_code if user else None) or DEFAULT_LANGUAGE


async def send(bot: Bot, chat_id: int, outgoing: Outgoing) -> None:
    """Send one rendered message in HTML, as plain text if Telegram rejects its HTML."""
    try:
        await bot.send_message(
            chat_id,
            outgoing.text,
            parse_mode=ParseMode.HTML,
            reply_markup=outgoing.keyboard,
            link_preview_options=NO_LINK_PREVIEW,
        )
    except BadRequest as error:
        if "entities" not in str(error).lower():
            raise
        logger.error("Telegram rejected the HTML of a reply (%s); sent as plain text", error)
        await bot.send_message(
            chat_id, plain_text(outgoing.text), reply_markup=outgoing.keyboard, link_preview_options=NO_LINK_PREVIEW
        )


async def say(update: Update, context: Context, key: Message, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Send one of the front end's own sentences in the chat's language."""
    if update.effective_chat:
        text = texts.message(key, chat_language(update, context))
        await send(context.bot, update.effective_chat.id, Outgoing(escape(text), keyboard))


@contextlib.asynccontextmanager
async def typing(context: Context, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends."""

    async def keep_typing() -> None:
        while True:
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as error:
                logger.debug("Could not show typing: %s", type(error).__name__)
            await asyncio.sleep(TYPING_EVERY_SECONDS)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def converse(update: Update, context: Context, message: str) -> bool:
    """Send ``message`` to Rasa for this chat and its replies to the chat; False if Rasa is down."""
    chat, user, state = update.effective_chat, update.effective_user, context.chat_data
    if chat is None or state is None:
        return False
    if context.bot_data.settings.log_messages:
        logger.info("Chat %s sends %r", chat.id, message)
    async with typing(context, chat.id):
        try:
            replies = await context.bot_data.rasa.send(str(chat.id), message, user.language_code if user else None)
        except RasaUnavailable:
            await say(update, context, Message.UNAVAILABLE)
            return False
        state.language = conversation_language(replies) or state.language
        for reply in replies:
            for outgoing in render_reply(reply, state.keep_payload):
                await send(context.bot, chat.id, outgoing)
    return True


async def answer_quietly(query: CallbackQuery) -> None:
    """Answer a button press so the client stops its spinner; an expired query is no error."""
    try:
        await query.answer()
    except TelegramError as error:
        logger.info("Could not answer a button press: %s", type(error).__name__)


async def remove_keyboard(query: CallbackQuery, keep: InlineKeyboardMarkup | None = None) -> None:
    """Take the keyboard off the message whose button was pressed (or leave only ``keep``), so it is pressed once."""
    try:
        await query.edit_message_reply_markup(reply_markup=keep)
    except TelegramError as error:
        logger.debug("Could not remove a keyboard: %s", type(error).__name__)


async def limit_chat_rate(update: Update, context: Context) -> None:
    """Stop updates over the chat's limit, saying so politely once."""
    if update.effective_chat is None or context.chat_data is None:
        return
    settings = context.bot_data.settings
    admission = context.chat_data.admit(time.monotonic(), settings.chat_limit, settings.chat_window)
    if admission is Admission.ACCEPT:
        return
    if update.callback_query:
        await answer_quietly(update.callback_query)
    if admission is Admission.WARN:
        logger.info("Chat %s is over its rate limit", update.effective_chat.id)
        await say(update, context, Message.RATE_LIMITED)
    raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """Greet the user in their language; this also sets Rasa's language slot."""
    await converse(update, context, intent_payload("greet", language=chat_language(update, context)))


async def help_command(update: Update, context: Context) -> None:
    """Ask Rasa for its examples of questions."""
    await converse(update, context, intent_payload("help"))


async def language_command(update: Update, context: Context) -> None:
    """Offer the five languages as buttons."""
    names = texts.language_names()
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(names[code], callback_data=intent_payload("change_language", language=code)) for code in row]
            for row in LANGUAGE_KEYBOARD_ROWS
        ]
    )
    await say(update, context, Message.CHOOSE_LANGUAGE, keyboard)


async def reset(update: Update, context: Context) -> None:
    """Restart the Rasa conversation and greet again."""
    if await converse(update, context, intent_payload("restart")):
        await say(update, context, Message.CONVERSATION_RESET)
        await start(update, context)


async def text_message(update: Update, context: Context) -> None:
    """Forward a text message to Rasa."""
    text = (update.effective_message.text if update.effective_message else None) or ""
    # A leading slash would make Rasa read the text as an intent payload; only the front
    # end's commands and buttons may send those.
    await converse(update, context, text.lstrip("/") or text)


async def unknown_command(update: Update, context: Context) -> None:
    """Answer a command the bot does not have with Rasa's examples of questions."""
    await help_command(update, context)


async def not_text(update: Update, context: Context) -> None:
    """Explain that only text is understood."""
    await say(update, context, Message.NON_TEXT)


async def language_chosen(update: Update, context: Context) -> None:
    """Tell Rasa the chosen language; its reply carries the conversation's language back."""
    query = update.callback_query
    if query is None or context.chat_data is None:
        return
    await answer_quietly(query)
    match = LANGUAGE_PAYLOAD.match(query.data or "")
    if match is None or match["language"] not in LANGUAGES:
        return
    await remove_keyboard(query)
    await converse(update, context, query.data or "")


async def button_pressed(update: Update, context: Context) -> None:
    """Send the pressed button's payload to Rasa."""
    query = update.callback_query
    if query is None:
        return
    await answer_quietly(query)
    payload = context.chat_data.payload(query.data or "") if context.chat_data else None
    if not payload:
        return
    await remove_keyboard(query)
    await converse(update, context, payload)


async def feedback_chosen(update: Update, context: Context) -> None:
    """Send a 👍 or 👎 under an answer to Rasa, as the user's message.

    The press is answered and the feedback row taken off the answer first (its other buttons
    stay), so an answer is rated once; Rasa thanks or apologises in the conversation's language.
    """
    query = update.callback_query
    if query is None or context.chat_data is None:
        return
    await answer_quietly(query)
    message = query.message if isinstance(query.message, TelegramMessage) else None
    if query.data not in FEEDBACK_PAYLOADS or message is None or not context.chat_data.rate(message.message_id):
        return
    await remove_keyboard(query, keep=without_feedback(message.reply_markup))
    await converse(update, context, query.data)


async def report_error(update: object, context: Context) -> None:
    """Log an error without message contents; tell the user only that it did not work."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden):
        logger.info("Update %s: the user blocked the bot or left the chat", update_id)
        return
    logger.error("Update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await say(update, context, Message.UNAVAILABLE)
        except TelegramError as error:
            logger.warning("Could not tell the user about the error: %s", type(error).__name__)
