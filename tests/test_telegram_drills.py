"""Fault drill of the Telegram front end (issue 15): the Bot API refuses to deliver a reply.

The front end runs as `make run` starts it (`python -m bot.cli telegram`) against the Bot API
stand-in and the fake Rasa of tests/telegram_fakes.py, so no trained model is needed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.telegram import texts
from bot.telegram.texts import Message
from tests.telegram_fakes import TOKEN, FakeRasa, front_end, new_chat
from tests.telegram_stub import BotApiStub, Refusal

pytestmark = pytest.mark.slow  # the front end runs as a process

RETRY_AFTER_SECONDS = 2
# How long to keep watching after the reply arrived, for a late duplicate.
DUPLICATE_WATCH_SECONDS = 3.0


@pytest.fixture()
def rasa_stand_in() -> Iterator[FakeRasa]:
    """Run a fake Rasa REST channel ("answer: <message>"); stop it after the test."""
    fake = FakeRasa().start()
    yield fake
    fake.release_all()
    fake.stop()


def test_reply_waits_out_flood_control_and_a_bad_gateway_and_arrives_once(rasa_stand_in: FakeRasa, tmp_path: Path) -> None:
    chat_id = new_chat()
    with BotApiStub(TOKEN) as api, front_end(api, rasa_stand_in.url, tmp_path):
        api.refuse_next("sendMessage", Refusal.too_many_requests(RETRY_AFTER_SECONDS), Refusal.bad_gateway())
        api.send_text(chat_id, "hello", language_code="en")
        api.wait_for_text(chat_id, "answer: hello", timeout=60)
        delivered_at = time.monotonic()
        time.sleep(DUPLICATE_WATCH_SECONDS)
        refused = api.refused("sendMessage")
        delivered = [call for call in api.calls("sendMessage") if call.params.get("chat_id") == chat_id]
        shown = [message.text for message in api.messages(chat_id)]
    assert [call.status for call in refused] == [429, 502]
    # The front end waited as long as Telegram asked before sending again.
    assert refused[1].at - refused[0].at >= RETRY_AFTER_SECONDS
    assert delivered_at >= refused[1].at
    # Exactly one reply, and not the "temporarily unavailable" notice: Rasa was asked once.
    assert shown == ["answer: hello"], shown
    assert len(delivered) == 1
    assert texts.message(Message.UNAVAILABLE, "en") not in shown
    assert [request["message"] for request in rasa_stand_in.requests] == ["hello"]
