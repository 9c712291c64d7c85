"""The maintainers' commands of the trainers' workbench: `jra inbox …` and `jra conversations prune`.

bot/cli.py adds them to `jra` (``add_inbox_commands``, ``add_conversations_commands``). Each
prints one clear line on failure and exits non-zero (1: refused or failed; 2: wrong usage),
never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.languages import LANGUAGES

RETENTION_VARIABLE = "CONVERSATION_RETENTION_DAYS"


class CommandError(Exception):
    """A one-line failure of a command."""


def _tracker_url(args: argparse.Namespace) -> str:
    from bot.trainer import settings

    try:
        if getattr(args, "tracker_url", None):
            return settings.app_database_url(args.tracker_url)
        if getattr(args, "production", False):
            return settings.production_tracker_database_url(args.state_dir, args.postgres_port)
        return settings.tracker_database_url()
    except settings.SettingsError as error:
        raise CommandError(f"Cannot find the conversations: {error}.") from None


def _decisions() -> Any:
    from bot.trainer import settings
    from bot.trainer.decisions import Decisions

    return Decisions(settings.decisions_database_url())


def _run(command: Any, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.trainer.inbox import InboxError
    from bot.trainer.retention import RetentionError

    try:
        return int(command(args))
    except CommandError as error:
        print(error, file=sys.stderr)
        return 1
    except (InboxError, RetentionError) as error:
        print(f"{str(error)[:1].upper()}{str(error)[1:]}.", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        from bot.trainer.inbox import database_error

        print(f"The trainers' decisions database cannot be used: {database_error(error)}.", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------------------------
# jra inbox


def _one_line(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _inbox_list(args: argparse.Namespace) -> int:
    from bot.trainer.inbox import read_inbox

    groups = read_inbox(_tracker_url(args), _decisions(), language=args.language, limit=args.limit)
    if args.json:
        payload = [
            {
                "language": group.language,
                "predicted_intent": group.predicted_intent,
                "messages": [message.as_json() for message in group.messages],
            }
            for group in groups
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    if not groups:
        print("The inbox is empty: no undecided misunderstood message.")
        return 0
    total = 0
    for group in groups:
        print(f"{group.language} · {group.predicted_intent or '(no intent)'}")
        for message in group.messages:
            total += 1
            seen = message.last_seen.strftime("%Y-%m-%d %H:%M")
            count = f" ×{message.count}" if message.count > 1 else ""
            print(f"  {message.key}  {seen}{count}  {', '.join(message.reasons)}  ({message.confidence:.2f})")
            print(f"    user: {_one_line(message.text)}")
            print(f"    bot:  {_one_line(message.bot_reply) or '(no reply)'}")
    print(f"{total} message(s) in {len(groups)} group(s). `jra inbox label KEY INTENT`, `out-of-scope KEY` or `dismiss KEY`.")
    return 0


def _find(args: argparse.Namespace, decisions: Any) -> Any:
    from bot.trainer.inbox import find_message

    message = find_message(_tracker_url(args), decisions, args.key.strip())
    if message is None:
        raise CommandError(f"No undecided message with key {args.key!r} in the inbox (`jra inbox list` shows the keys).")
    return message


def _save(args: argparse.Namespace, intent: str, kind: str) -> int:
    from bot.trainer.catalog import labelable_intents
    from bot.trainer.examples import NLU_DATA_DIR, ExampleRejected, add_example

    data_dir = args.data_dir or NLU_DATA_DIR
    if intent not in labelable_intents(data_dir):
        raise CommandError(f"Unknown intent {intent!r}: see docs/intents.md (intents of domain.yml with training data).")
    decisions = _decisions()
    message = _find(args, decisions)
    language = args.language or message.language
    try:
        path = add_example(message.text, language, intent, data_dir)
    except ExampleRejected as refused:
        lines = [f"Not saved: {finding.message}" for finding in refused.findings]
        if any(finding.kind == "wrong_language" for finding in refused.findings):
            lines.append("Use --language to save it in the language it is written in.")
        raise CommandError("\n".join(lines)) from None
    except (ValueError, OSError) as error:
        raise CommandError(f"Not saved: {error}.") from None
    decisions.record(message.key, kind, language=language, text=message.text, intent=intent)
    shown = path.relative_to(_project_root()) if path.is_relative_to(_project_root()) else path
    print(f"Saved to {shown}: {_one_line(message.text)}")
    print("Review the change with `git diff nlu_data/`, then retrain (make model) and compare (make evaluate).")
    return 0


def _project_root() -> Path:
    from bot.paths import PROJECT_ROOT

    return PROJECT_ROOT


def _inbox_label(args: argparse.Namespace) -> int:
    return _save(args, args.intent.strip(), "labelled")


def _inbox_out_of_scope(args: argparse.Namespace) -> int:
    return _save(args, "out_of_scope", "out_of_scope")


def _inbox_dismiss(args: argparse.Namespace) -> int:
    decisions = _decisions()
    message = _find(args, decisions)
    decisions.record(message.key, "dismissed", language=message.language, text=message.text)
    print(f"Dismissed: {_one_line(message.text)}")
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    """Run one `jra inbox` sub-command."""
    return _run(args.inbox_func, args)


def _store_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where the conversations are (default: TRACKER_DATABASE_URL, else endpoints.yml)")
    where.add_argument("--tracker-url", help="the tracker store's SQLAlchemy URL")
    where.add_argument("--production", action="store_true", help="the production profile's PostgreSQL (its state folder)")
    where.add_argument("--state-dir", type=Path, help="the production profile's state folder (default var/production)")
    where.add_argument("--postgres-port", type=int, help="the production profile's PostgreSQL port (default 5433)")


def add_inbox_commands(commands: Any) -> None:
    """Add `jra inbox list|label|out-of-scope|dismiss` to the `jra` parser's sub-commands."""
    inbox = commands.add_parser("inbox", help="the messages the bot did not understand (trainers' inbox)")
    actions = inbox.add_subparsers(dest="inbox_command", required=True)

    listing = actions.add_parser("list", help="list the undecided misunderstood messages, grouped, newest first")
    listing.add_argument("--language", choices=LANGUAGES, help="one language only")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.add_argument("--limit", type=int, default=500, help="at most this many messages (default 500)")
    listing.set_defaults(func=cmd_inbox, inbox_func=_inbox_list)

    label = actions.add_parser("label", help="save the message KEY as a training example of INTENT")
    label.add_argument("key")
    label.add_argument("intent")
    label.add_argument("--language", choices=LANGUAGES, help="the example's language folder (default: the conversation's)")
    label.set_defaults(func=cmd_inbox, inbox_func=_inbox_label)

    out = actions.add_parser("out-of-scope", help="save the message KEY as an example of out_of_scope")
    out.add_argument("key")
    out.add_argument("--language", choices=LANGUAGES, help="the example's language folder (default: the conversation's)")
    out.set_defaults(func=cmd_inbox, inbox_func=_inbox_out_of_scope)

    dismiss = actions.add_parser("dismiss", help="leave the message KEY out of the inbox, saving nothing")
    dismiss.add_argument("key")
    dismiss.set_defaults(func=cmd_inbox, inbox_func=_inbox_dismiss)
    for parser in (listing, label, out, dismiss):
        _store_options(parser)
    for parser in (label, out):
        parser.add_argument("--data-dir", type=Path, help="the training data folder (default nlu_data/)")


# ---------------------------------------------------------------------------------------------
# jra conversations prune


def default_age() -> str:
    """Return the retention age: CONVERSATION_RETENTION_DAYS days, else 90."""
    from bot.trainer.retention import DEFAULT_RETENTION_DAYS

    return f"{os.environ.get(RETENTION_VARIABLE, '').strip() or DEFAULT_RETENTION_DAYS}d"


def _describe_age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours % 24 == 0:
        return f"{hours / 24:g} days"
    return f"{hours:g} hours"


def _prune_once(url: str, age: timedelta) -> str:
    from bot.trainer.retention import prune_conversations
    from bot.trainer.settings import describe_url

    result = prune_conversations(url, age)
    return (
        f"Pruned conversations older than {_describe_age(age)} from {describe_url(url)}: "
        f"{result.conversations} conversation(s) removed ({result.conversation_events} events), "
        f"{result.trimmed} ongoing conversation(s) trimmed of old sessions ({result.trimmed_events} events)."
    )


def _conversations_prune(args: argparse.Namespace) -> int:
    from bot.trainer.retention import RetentionError, parse_age

    try:
        age = parse_age(args.older_than or default_age())
        every = parse_age(args.every) if args.every else None
    except ValueError as error:
        print(f"{error}.", file=sys.stderr)
        return 2
    url = _tracker_url(args)
    if every is None:
        print(_prune_once(url, age))
        return 0
    while True:  # the production profile's daily prune: at start, then every `every`
        try:
            print(_prune_once(url, age), flush=True)
        except RetentionError as error:
            print(
                f"{str(error)[:1].upper()}{str(error)[1:]}; trying again in {_describe_age(every)}.", file=sys.stderr, flush=True
            )
        time.sleep(every.total_seconds())


def cmd_conversations(args: argparse.Namespace) -> int:
    """Run one `jra conversations` sub-command."""
    return _run(args.conversations_func, args)


def add_conversations_commands(commands: Any) -> None:
    """Add `jra conversations prune` to the `jra` parser's sub-commands."""
    conversations = commands.add_parser("conversations", help="the conversations Rasa keeps (tracker store)")
    actions = conversations.add_subparsers(dest="conversations_command", required=True)
    prune = actions.add_parser(
        "prune", help="delete conversations older than the retention limit (default CONVERSATION_RETENTION_DAYS, else 90 days)"
    )
    prune.add_argument(
        "--older-than", help="an age in days or hours, e.g. 90d or 36h (default: CONVERSATION_RETENTION_DAYS d, else 90d)"
    )
    prune.add_argument("--every", help="keep running and prune again every this long, e.g. 24h (the production profile)")
    prune.set_defaults(func=cmd_conversations, conversations_func=_conversations_prune)
    _store_options(prune)
