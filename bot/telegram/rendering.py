"""Turn Rasa's replies into Telegram messages: HTML text, inline keyboards, 4096-unit parts."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.feedback import FEEDBACK_KEY, FEEDBACK_PAYLOADS
from bot.languages import normalize_language
from bot.telegram.texts import feedback_labels

# Telegram's limits: message text after entity parsing, and a button's callback data in bytes.
MESSAGE_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
# Sent when a reply has buttons but no text: Telegram needs some text to hang a keyboard on.
KEYBOARD_ONLY_TEXT = "⬇"

# Links and code spans are found first so that emphasis never reaches into a URL.
_SPECIAL = re.compile(
    r"\[(?P<label>[^\]\n]+)\]\((?P<target>https?://[^\s)]+)\)"
    r"|(?P<url>https?://[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]+)"
    r"|`(?P<code>[^`\n]+)`"
)
_URL_ONLY = re.compile(r"https?://\S+")
_TRAILING_PUNCTUATION = ".,;:!?)"
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![\w*])")

# The splitter's tokens: tags, entities, blank lines, line breaks, other spaces, and runs of text
# that end after CJK punctuation (Chinese and Japanese have no spaces between words).
_CJK_BREAKS = "。！？、，；：）」』"
_TOKEN = re.compile(
    rf"<[^>]*>|&#?\w+;|\n\s*\n\s*|\n[^\S\n]*|[^\S\n]+|[^<&\s{_CJK_BREAKS}]+[{_CJK_BREAKS}]*|[{_CJK_BREAKS}]+|[<&]"
)
_TAG_NAME = re.compile(r"</?([A-Za-z][\w-]*)")
_PARAGRAPH, _LINE, _PHRASE = 3, 2, 1


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


def utf16_len(text: str) -> int:
    """Return the length of ``text`` as Telegram counts it, in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\2</i>", escaped)


def _anchor(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def _trim_url(url: str) -> tuple[str, str]:
    """Split trailing punctuation (a sentence's full stop, a closing bracket) off a bare URL."""
    end = len(url)
    while end and url[end - 1] in _TRAILING_PUNCTUATION:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        end -= 1
    return url[:end], url[end:]


def to_html(text: str) -> str:
    """Turn a bot text into Telegram HTML: escaped, with links, code, bold and italics."""
    parts: list[str] = []
    position = 0
    for match in _SPECIAL.finditer(text):
        parts.append(_emphasis(escape(text[position : match.start()])))
        if match["code"]:
            parts.append(f"<code>{escape(match['code'])}</code>")
        elif match["label"]:
            parts.append(_anchor(match["target"], _emphasis(escape(match["label"]))))
        else:
            url, tail = _trim_url(match["url"])
            parts.append(_anchor(url, escape(url)) + escape(tail))
        position = match.end()
    parts.append(_emphasis(escape(text[position:])))
    return "".join(parts)


def plain_text(markup: str) -> str:
    """Return the text of Telegram HTML without its tags, for sending without a parse mode."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _tokens(markup: str, longest: int) -> Iterator[str]:
    for token in _TOKEN.findall(markup):
        if token.startswith("<") or utf16_len(token) <= longest:
            yield token
            continue
        # A "word" longer than a message can only be cut; cut it into pieces that fit.
        piece = ""
        for character in token:
            if utf16_len(piece + character) > longest:
                yield piece
                piece = ""
            piece += character
        if piece:
            yield piece


def _after(stack: list[str], token: str) -> list[str]:
    """Return the open tags after ``token``."""
    if not token.startswith("<") or len(token) < 3:
        return stack
    if token.startswith("</"):
        return stack[:-1]
    return [*stack, token]


def _closing(stack: list[str]) -> str:
    names = (_TAG_NAME.match(tag) for tag in reversed(stack))
    return "".join(f"</{name[1]}>" for name in names if name)


def _take(tokens: list[str], start: int, carried: list[str], limit: int) -> tuple[int, list[str]]:
    """Return where the part that starts at ``start`` ends and the tags still open there."""
    stack, size = carried, sum(utf16_len(tag) for tag in carried)
    breaks: dict[int, tuple[int, list[str], int]] = {}  # kind -> (end, open tags, size)
    index = start
    while index < len(tokens):
        token = tokens[index]
        after, grown = _after(stack, token), size + utf16_len(token)
        if grown + utf16_len(_closing(after)) > limit and index > start:
            break
        if index > start and token.isspace():
            kind = _PARAGRAPH if token.count("\n") > 1 else _LINE if "\n" in token else _PHRASE
            breaks[kind] = (index, stack, size)
        stack, size, index = after, grown, index + 1
        if token[-1] in _CJK_BREAKS and not token.startswith("<"):
            breaks[_PHRASE] = (index, stack, size)
    else:
        return index, stack
    # Prefer the strongest break that still fills half a message, then the latest break of
    # any kind, and cut inside a word only when the word itself is longer than a message.
    for kind in (_PARAGRAPH, _LINE, _PHRASE):
        if kind in breaks and breaks[kind][2] >= limit // 2:
            return breaks[kind][0], breaks[kind][1]
    if breaks:
        end, open_tags, _ = max(breaks.values(), key=lambda found: found[0])
        return end, open_tags
    return index, stack


def split_html(markup: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most ``limit`` UTF-16 units each.

    Parts end between words (blank lines first, then line ends, then spaces or CJK
    punctuation), never inside a tag or an entity; tags open at a cut are closed at the end
    of the part and opened again at the start of the next.
    """
    tokens = list(_tokens(markup, max(1, limit // 2)))
    parts: list[str] = []
    carried: list[str] = []
    start = 0
    while start < len(tokens):
        end, still_open = _take(tokens, start, carried, limit)
        part = "".join(carried) + "".join(tokens[start:end]) + _closing(still_open)
        if plain_text(part).strip():
            parts.append(part.strip())
        carried, start = still_open, end
        while start < len(tokens) and tokens[start].isspace():
            start += 1
    return parts


def _callback_data(payload: str, store: Callable[[str], str]) -> str:
    return payload if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT else store(payload)


def keyboard(buttons: list[dict[str, Any]], store: Callable[[str], str]) -> InlineKeyboardMarkup | None:
    """Turn Rasa buttons into an inline keyboard, one button a row.

    A payload longer than Telegram's 64-byte callback data is kept by ``store``, which
    returns a short key for it; a payload that is a URL becomes a link button.
    """
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or button.get("url") or "").strip()
        if not title or not payload:
            continue
        if _URL_ONLY.fullmatch(payload):
            rows.append([InlineKeyboardButton(title, url=payload)])
        else:
            rows.append([InlineKeyboardButton(title, callback_data=_callback_data(payload, store))])
    return InlineKeyboardMarkup(rows) if rows else None


def feedback_row(language: str | None) -> list[InlineKeyboardButton]:
    """Return the "Was this helpful?" row: 👍 and 👎 in ``language``, whose callback data is the
    payload for Rasa ("/feedback_helpful", well under Telegram's 64 bytes)."""
    return [
        InlineKeyboardButton(label, callback_data=payload)
        for label, payload in zip(feedback_labels(language), FEEDBACK_PAYLOADS, strict=True)
    ]


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """Return a keyboard without its feedback row (None when nothing else is left)."""
    rows = [
        list(row)
        for row in (markup.inline_keyboard if markup else ())
        if not any(button.callback_data in FEEDBACK_PAYLOADS for button in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def asks_for_feedback(reply: dict[str, Any]) -> bool:
    """Tell whether a Rasa reply is the end of an answer that asks "Was this helpful?" (bot/rasa_server.py)."""
    metadata = reply.get("metadata")
    return isinstance(metadata, dict) and metadata.get(FEEDBACK_KEY) is True


def render_reply(reply: dict[str, Any], store: Callable[[str], str]) -> list[Outgoing]:
    """Turn one Rasa reply into Telegram messages; its keyboard goes on the last one.

    A reply that asks for feedback gets the 👍 / 👎 row under its buttons, in the language the
    reply carries.
    """
    pieces = [str(reply[key]) for key in ("text", "image") if reply.get(key)]
    markup = to_html("\n".join(pieces))
    parts = split_html(markup) if markup.strip() else []
    buttons = keyboard(list(reply.get("buttons") or []), store)
    if asks_for_feedback(reply):
        language = normalize_language(str(reply["metadata"].get("language") or ""))
        rows = [*(buttons.inline_keyboard if buttons else ()), feedback_row(language)]
        buttons = InlineKeyboardMarkup(rows)
    if buttons and not parts:
        parts = [KEYBOARD_ONLY_TEXT]
    return [Outgoing(part, buttons if number == len(parts) else None) for number, part in enumerate(parts, start=1)]
