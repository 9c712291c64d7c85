"""Per-chat state and ordering: the conversation's language, the incoming rate, each chat in order."""

from __future__ import annotations

import asyncio
import enum
import itertools
from collections import OrderedDict, deque
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Payloads longer than Telegram's callback data that one chat keeps for its buttons.
KEPT_PAYLOADS = 50
KEPT_PAYLOAD_PREFIX = "#"
# Answers of one chat whose 👍 / 👎 was pressed, kept so that a second press is not sent.
KEPT_RATINGS = 50
# Updates that may wait for their chat's turn, per update being worked on.
WAITING_PER_WORKER = 64


class Admission(enum.Enum):
    """What to do with an incoming update under the per-chat rate limit."""

    ACCEPT = "accept"
    WARN = "warn"  # over the limit: answer politely once
    DROP = "drop"  # still over the limit after the polite answer


@dataclass
class ChatState:
    """What the front end keeps about one chat (PTB's chat_data)."""

    # The conversation's language carried by Rasa's last reply (bot/rasa_server.py).
    language: str | None = None
    recent: deque[float] = field(default_factory=deque)
    warned: bool = False
    payloads: OrderedDict[str, str] = field(default_factory=OrderedDict)
    payload_keys: itertools.count = field(default_factory=itertools.count)
    rated: deque[int] = field(default_factory=lambda: deque(maxlen=KEPT_RATINGS))

    def admit(self, now: float, limit: int, window: float) -> Admission:
        """Count an update at ``now`` against ``limit`` updates per ``window`` seconds."""
        while self.recent and now - self.recent[0] >= window:
            self.recent.popleft()
        if len(self.recent) < limit:
            self.recent.append(now)
            self.warned = False
            return Admission.ACCEPT
        if self.warned:
            return Admission.DROP
        self.warned = True
        return Admission.WARN

    def keep_payload(self, payload: str) -> str:
        """Keep a payload too long for callback data; return the short key a button carries."""
        key = f"{KEPT_PAYLOAD_PREFIX}{next(self.payload_keys)}"
        self.payloads[key] = payload
        while len(self.payloads) > KEPT_PAYLOADS:
            self.payloads.popitem(last=False)
        return key

    def rate(self, message_id: int) -> bool:
        """Note that the answer ``message_id`` was rated; False if it already was (a double tap)."""
        if message_id in self.rated:
            return False
        self.rated.append(message_id)
        return True

    def payload(self, callback_data: str) -> str | None:
        """Return the payload a pressed button stands for; None for a key no longer kept."""
        if callback_data.startswith(KEPT_PAYLOAD_PREFIX):
            return self.payloads.get(callback_data)
        return callback_data


@dataclass
class _ChatTurn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different chats concurrently and each chat's updates in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        # PTB's own semaphore is taken before an update waits for its chat, so a busy chat
        # could fill it and stall the others: it is set high, and the real bound on work in
        # progress is applied once an update has its chat's turn.
        super().__init__(max_concurrent_updates * WAITING_PER_WORKER)
        self._working = asyncio.Semaphore(max_concurrent_updates)
        self._turns: dict[int, _ChatTurn] = {}

    async def initialize(self) -> None:
        """Need nothing: locks are made per chat as updates arrive."""

    async def shutdown(self) -> None:
        """Forget the chats' turns."""
        self._turns.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then process this one."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._working:
                await coroutine
            return
        turn = self._turns.setdefault(chat.id, _ChatTurn())
        turn.waiting += 1
        try:
            async with turn.lock, self._working:
                await coroutine
        finally:
            turn.waiting -= 1
            if not turn.waiting:
                del self._turns[chat.id]
