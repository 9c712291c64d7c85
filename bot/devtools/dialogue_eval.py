"""Evaluate whole conversations: every repair pattern, every flow, in every language.

Reads tests/dialogue/conversations.yml (a trainer-readable list of multi-turn conversations:
what the user says, strings the bot's reply must contain and must not contain), plays each
one over the REST channel against the real servers, and prints the pass rate per language and
per pattern. `make evaluate-dialogue` runs it; tests/test_dialogue.py runs the same file in
`make test` and fails on any conversation that does not pass.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.devtools import local_servers
from bot.devtools.model import ensure_model
from bot.languages import LANGUAGES
from bot.paths import PROJECT_ROOT

CONVERSATIONS = PROJECT_ROOT / "tests" / "dialogue" / "conversations.yml"


@dataclass(frozen=True)
class Turn:
    """One user message and what the bot's reply must and must not contain."""

    user: str
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """A named conversation in one language, testing one repair pattern of one flow."""

    name: str
    language: str
    pattern: str
    flow: str
    turns: tuple[Turn, ...]


@dataclass
class Outcome:
    """How one conversation went: the first failing turn, if any."""

    conversation: Conversation
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Tell whether every turn's reply was as expected."""
        return not self.failures


def load_conversations(path: Path = CONVERSATIONS) -> tuple[str, list[Conversation]]:
    """Return the fixed "today" of the file and its conversations."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    conversations = [
        Conversation(
            name=item["name"],
            language=item["language"],
            pattern=item["pattern"],
            flow=item.get("flow", ""),
            turns=tuple(
                Turn(str(turn["user"]), tuple(map(str, turn.get("expect") or ())), tuple(map(str, turn.get("forbid") or ())))
                for turn in item["turns"]
            ),
        )
        for item in data["conversations"]
    ]
    return str(data["today"]), conversations


def reply_text(replies: list[dict[str, Any]]) -> str:
    """Join the texts and button titles of the bot's replies to one message."""
    parts: list[str] = []
    for reply in replies:
        parts.append(reply.get("text") or "")
        parts.extend(button.get("title", "") for button in reply.get("buttons") or [])
    return "\n".join(parts)


def play(rasa_url: str, conversation: Conversation, client: httpx.Client) -> Outcome:
    """Play one conversation over REST and record every expectation that failed."""
    outcome = Outcome(conversation)
    sender = f"dialogue-{uuid.uuid4().hex}"
    for number, turn in enumerate(conversation.turns, start=1):
        response = client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": turn.user})
        if response.status_code != 200:
            outcome.failures.append(f"turn {number} {turn.user!r}: HTTP {response.status_code}")
            return outcome
        reply = reply_text(response.json())
        missing = [text for text in turn.expect if text not in reply]
        present = [text for text in turn.forbid if text in reply]
        if missing or present:
            outcome.failures.append(f"turn {number} {turn.user!r}: missing {missing} unwanted {present}\n    reply: {reply!r}")
            return outcome
    return outcome


def play_all(rasa_url: str, conversations: list[Conversation]) -> list[Outcome]:
    """Play every conversation, one after the other."""
    with httpx.Client(timeout=60) as client:
        return [play(rasa_url, conversation, client) for conversation in conversations]


def pass_rates(outcomes: list[Outcome], key: str) -> dict[str, tuple[int, int]]:
    """Return passed and total conversations per language or per pattern."""
    rates: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        group = getattr(outcome.conversation, key)
        rates[group][0] += outcome.passed
        rates[group][1] += 1
    return {group: (passed, total) for group, (passed, total) in sorted(rates.items())}


def report(outcomes: list[Outcome]) -> str:
    """Write the pass rate per pattern and language as a table, then every failure."""
    patterns = sorted({outcome.conversation.pattern for outcome in outcomes})
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        cell = cells[(outcome.conversation.pattern, outcome.conversation.language)]
        cell[0] += outcome.passed
        cell[1] += 1

    def rate(passed: int, total: int) -> str:
        return f"{passed}/{total}" if total else "-"

    lines = ["| pattern | " + " | ".join(LANGUAGES) + " | all |", "| --- |" + " --- |" * (len(LANGUAGES) + 1)]
    by_pattern = pass_rates(outcomes, "pattern")
    for pattern in patterns:
        row = [rate(*cells[(pattern, language)]) for language in LANGUAGES]
        lines.append(f"| {pattern} | " + " | ".join(row) + f" | {rate(*by_pattern[pattern])} |")
    by_language = pass_rates(outcomes, "language")
    passed = sum(outcome.passed for outcome in outcomes)
    lines.append(
        "| all | "
        + " | ".join(rate(*by_language.get(language, (0, 0))) for language in LANGUAGES)
        + f" | {rate(passed, len(outcomes))} |"
    )
    lines.append("")
    lines.append(f"Passed {passed} of {len(outcomes)} conversations ({100 * passed / max(1, len(outcomes)):.1f} %).")
    for outcome in outcomes:
        if not outcome.passed:
            conversation = outcome.conversation
            lines.append(f"FAILED [{conversation.language}/{conversation.pattern}] {conversation.name}")
            lines.extend(f"  {failure}" for failure in outcome.failures)
    return "\n".join(lines)


def run(path: Path, rasa_url: str | None = None) -> int:
    """Play the conversations against the given server, or start the real servers first."""
    today, conversations = load_conversations(path)
    if rasa_url:
        outcomes = play_all(rasa_url, conversations)
    else:
        model = ensure_model()
        with tempfile.TemporaryDirectory() as workdir_name:
            workdir = Path(workdir_name)
            database_url = f"sqlite:///{workdir / 'procedures.sqlite'}"
            local_servers.load_procedures_database(database_url)
            with (
                local_servers.action_server(database_url, workdir, extra_env={"ASSISTANT_TODAY": today}) as actions,
                local_servers.rasa_server(model, actions.url, workdir) as rasa,
            ):
                outcomes = play_all(rasa.url, conversations)
    print(report(outcomes))
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=Path, default=CONVERSATIONS)
    parser.add_argument("--rasa-url", help="a running Rasa server (its action server must use the file's today)")
    args = parser.parse_args(argv)
    return run(args.conversations, args.rasa_url)


if __name__ == "__main__":
    raise SystemExit(main())
