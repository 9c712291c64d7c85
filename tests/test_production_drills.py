"""Crash and fault drills of the production profile with two Rasa workers (issue 15 item 3).

The whole profile runs once for the module (`jra serve --production --workers 2`, see
tests/test_production.py for how it is started and always stopped): PostgreSQL, Redis, nginx,
two Rasa workers (each loads TensorFlow: about a minute and 1.1 GB), the action server and the
web chat. The drills need the trained model (`make test` trains it first).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from bot.ports import port_holders
from bot.production import TRACKER_DATABASE
from tests.conftest import response_text, texts
from tests.phrases import LOST, YESTERDAY
from tests.telegram_stub import BotApiStub
from tests.test_production import RASA_START_SECONDS, RunningProfile, _model, _start, _stop, wait_for

pytestmark = pytest.mark.production

TOKEN = "123456789:stub-token_for-the-production-profile"
WEBHOOK_SECRET = "production_webhook-secret"


@pytest.fixture(scope="module")
def telegram_api() -> Iterator[BotApiStub]:
    """The Bot API stand-in the profile's Telegram front end talks to."""
    with BotApiStub(TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def production(telegram_api: BotApiStub) -> Iterator[RunningProfile]:
    """The whole profile with two Rasa workers and Telegram in webhook mode, shared by the drills below."""
    profile = _start(
        workers=2,
        model=_model(),
        environment=lambda url: {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": telegram_api.url,
            "TELEGRAM_WEBHOOK_URL": f"{url}/telegram",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        },
    )
    try:

        def up() -> bool:
            profile.running()
            return all(rasa_answers(port) for port in profile.ports["rasa"])

        wait_for(up, "both Rasa workers to answer", timeout=RASA_START_SECONDS, every=2)
        yield profile
    finally:
        _stop(profile)


def rasa_answers(port: int) -> bool:
    """Tell whether a Rasa worker answers a REST message itself."""
    reply = httpx.post(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": "startup-probe", "message": "hello"}, timeout=30
    )
    return reply.status_code == 200 and bool(reply.json())


def send(url: str, sender: str, text: str) -> tuple[str, str]:
    """Send one REST message; return the replies' text and which worker answered (nginx's X-Upstream)."""
    reply = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return texts(reply.json()), reply.headers.get("X-Upstream", "")


def stored_events(profile: RunningProfile, sender: str) -> list[tuple[str, str | None, str | None]]:
    """Return (type, action, text) of every stored event of a conversation, in the order stored."""
    with profile.connect(TRACKER_DATABASE) as connection:
        rows = connection.execute(
            "SELECT type_name, action_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,)
        ).fetchall()
    return [(kind, action, json.loads(data).get("text") if kind == "user" else None) for kind, action, data in rows]


def test_a_conversation_through_nginx_is_kept_in_postgresql(production: RunningProfile) -> None:
    sender = uuid.uuid4().hex
    reply, worker = send(production.url, sender, LOST["en"])
    assert response_text("utter_ask_lost_noticed_date", "en") in reply
    assert worker.rsplit(", ", 1)[-1] in {f"127.0.0.1:{port}" for port in production.ports["rasa"]}
    events = stored_events(production, sender)
    assert ("user", None, LOST["en"]) in events
    assert events[-1][:2] == ("action", "action_listen")
    # The web chat's socket.io handshake goes through nginx to a worker.
    handshake = httpx.get(f"{production.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    assert handshake.status_code == 200 and '"sid"' in handshake.text


def test_telegram_updates_reach_the_front_end_through_nginx(production: RunningProfile, telegram_api: BotApiStub) -> None:
    webhook = f"{production.url}/telegram"
    wait_for(lambda: telegram_api.webhook() == {"url": webhook, "secret_token": WEBHOOK_SECRET}, "the front end's setWebhook")
    chat_id = 4242
    update = telegram_api.text_update(chat_id, LOST["en"], language_code="en")

    def post(headers: dict[str, str]) -> int | None:
        status = httpx.post(webhook, json=update, headers=headers, timeout=30).status_code
        return None if status == 502 else status  # 502: nginx finds no listener yet

    # nginx passes the update to the front end, which checks Telegram's secret header...
    assert wait_for(lambda: post({}), "the front end's webhook listener") == 403
    assert post({"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}) == 200
    # ... and asks Rasa through nginx; the reply goes out through the Bot API.
    telegram_api.wait_for_text(chat_id, response_text("utter_ask_lost_noticed_date", "en"))


def test_two_messages_at_once_on_two_workers_are_processed_in_order(production: RunningProfile) -> None:
    sender = uuid.uuid4().hex
    messages = ["hello", "what is a residence card"]
    barrier = threading.Barrier(len(messages))
    replies: dict[int, str] = {}

    def post(port: int, text: str) -> None:
        barrier.wait()
        reply = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120
        )
        reply.raise_for_status()
        replies[port] = texts(reply.json())

    threads = [
        threading.Thread(target=post, args=(port, text)) for port, text in zip(production.ports["rasa"], messages, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    assert len(replies) == 2 and all(replies.values()), replies

    # One session start, then each message with all of its own events before the next message.
    events = stored_events(production, sender)
    users = [text for kind, _, text in events if kind == "user"]
    assert sorted(users) == sorted(messages)
    assert [action for kind, action, _ in events if action == "action_session_start"] == ["action_session_start"]
    turns = [index for index, (kind, _, _) in enumerate(events) if kind == "user"]
    for start, end in zip(turns, [*turns[1:], len(events)], strict=True):
        turn = events[start + 1 : end]
        assert any(kind == "bot" for kind, _, _ in turn), turn
        assert turn[-1][:2] == ("action", "action_listen"), turn


def test_postgresql_restarts_mid_flow_and_the_flow_goes_on(production: RunningProfile) -> None:
    sender = uuid.uuid4().hex
    reply, _ = send(production.url, sender, LOST["en"])
    assert response_text("utter_ask_lost_noticed_date", "en") in reply
    before = stored_events(production, sender)
    rpc = production.rpc()
    rpc.supervisor.stopProcess("postgres")
    rpc.supervisor.startProcess("postgres")
    wait_for(lambda: production.connect(TRACKER_DATABASE), "PostgreSQL to accept connections again")
    # Neither Rasa worker nor the action server was restarted: they reconnect on their own.
    reply, _ = send(production.url, sender, YESTERDAY["en"])
    assert response_text("utter_lost_card_proof_lost", "en") in reply
    after = stored_events(production, sender)
    assert after[: len(before)] == before
    assert ("user", None, YESTERDAY["en"]) in after[len(before) :]


def test_without_the_action_server_mid_flow_a_polite_answer_then_the_flow_goes_on(production: RunningProfile) -> None:
    sender = uuid.uuid4().hex
    reply, _ = send(production.url, sender, LOST["uk"])
    assert response_text("utter_ask_lost_noticed_date", "uk") in reply
    rpc = production.rpc()
    rpc.supervisor.stopProcess("actions")
    try:
        # Rasa cannot reach the action server: one apology, in the conversation's language.
        reply, _ = send(production.url, sender, YESTERDAY["uk"])
        assert reply.count(response_text("utter_temporarily_unavailable", "uk")) == 1, reply
    finally:
        rpc.supervisor.startProcess("actions")
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{production.ports['actions']}/health", timeout=5).status_code == 200, "actions")
    reply, _ = send(production.url, sender, YESTERDAY["uk"])
    assert response_text("utter_lost_card_proof_lost", "uk") in reply


def test_a_killed_worker_mid_flow_another_answers_and_it_comes_back(production: RunningProfile) -> None:
    sender = uuid.uuid4().hex
    reply, worker = send(production.url, sender, LOST["en"])
    assert response_text("utter_ask_lost_noticed_date", "en") in reply
    answered = worker.rsplit(", ", 1)[-1]
    numbers = {f"127.0.0.1:{port}": number for number, port in enumerate(production.ports["rasa"], start=1)}
    name = f"rasa-{numbers[answered]}"
    killed = production.state(name)["pid"]
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: not port_holders(int(answered.rsplit(":", 1)[1])), f"{name} to be gone")

    # The next message of the flow, through nginx: the other worker answers, the flow goes on.
    reply, worker = send(production.url, sender, YESTERDAY["en"])
    assert worker.rsplit(", ", 1)[-1] != answered
    assert response_text("utter_lost_card_proof_lost", "en") in reply

    # supervisor starts the killed worker again; it answers once it has loaded.
    wait_for(lambda: production.state(name)["pid"] not in (0, killed), f"supervisor to restart {name}", timeout=30)
    wait_for(
        lambda: rasa_answers(int(answered.rsplit(":", 1)[1])), f"{name} to answer again", timeout=RASA_START_SECONDS, every=2
    )
