"""The `jra` command: database, content check, model, the local front ends, `make run` and `make run-production`.

Runs in the app environment. Every sub-command prints one clear line on failure and exits
non-zero instead of showing a stack trace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.paths import PROJECT_ROOT, VAR_DIR

logger = logging.getLogger("jra")


def cmd_db_load(_: argparse.Namespace) -> int:
    """Create the procedures database and load the content files into it."""
    from sqlalchemy.exc import SQLAlchemyError

    from actions.content_files import ContentError
    from actions.db.loader import load_database_url
    from actions.settings import load_settings

    settings = load_settings()
    try:
        changed = load_database_url(settings.database_url, settings.content_dir)
    except ContentError as error:
        print(f"Content error: {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"The procedures database cannot be written: {getattr(error, 'orig', None) or error}", file=sys.stderr)
        return 1
    print("Procedures database loaded." if changed else "Procedures database is up to date.")
    return 0


def cmd_content_check(_: argparse.Namespace) -> int:
    """Validate the content files; print each problem and fail if there is one."""
    from actions.content_check import check_content
    from actions.settings import load_settings

    problems = check_content(load_settings().content_dir)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) found." if problems else "Content is consistent.")
    return 1 if problems else 0


def cmd_model(_: argparse.Namespace) -> int:
    """Train the model if its inputs changed, and print its path."""
    import subprocess

    from bot.devtools.model import ensure_model

    try:
        print(ensure_model())
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        print(f"Training failed: {error}", file=sys.stderr)
        return 1
    return 0


def _models_dir(args: argparse.Namespace) -> Path:
    from bot.paths import MODELS_DIR

    return Path(args.models_dir or MODELS_DIR)


def _print_switch(switch: object) -> None:
    from bot.trainer.live_model import Switch

    assert isinstance(switch, Switch)
    print(f"Live model: {switch.live} (previous: {switch.previous or 'none'}).")
    for line in switch.servers:
        print(f"  Rasa server {line}")


def cmd_model_accept(args: argparse.Namespace) -> int:
    """Make a trained candidate the live model and tell the running Rasa servers (trainer console's Accept)."""
    from bot.trainer import live_model

    models_dir = _models_dir(args)
    candidate = args.candidate or live_model.newest_candidate(models_dir)
    if candidate is None:
        print(f"No candidate in {models_dir}: retrain first (the trainer console, or `jra model`).", file=sys.stderr)
        return 1
    try:
        switch = live_model.accept(models_dir, Path(candidate).name, live_model.rasa_urls(), live_model.rasa_token())
    except live_model.ModelError as error:
        print(f"Cannot accept: {error}.", file=sys.stderr)
        return 1
    _print_switch(switch)
    return 0


def cmd_model_rollback(args: argparse.Namespace) -> int:
    """Make the previous model live again (trainer console's Go back)."""
    from bot.trainer import live_model

    try:
        switch = live_model.rollback(_models_dir(args), live_model.rasa_urls(), live_model.rasa_token())
    except live_model.ModelError as error:
        print(f"Cannot go back: {error}.", file=sys.stderr)
        return 1
    _print_switch(switch)
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    """Serve the trainer console (needs TRAINER_TOKEN)."""
    import os

    if not os.environ.get("TRAINER_TOKEN", "").strip():
        print("The trainer console is off: set TRAINER_TOKEN=<a long random secret> to start it.", file=sys.stderr)
        return 2
    from bot.trainer.console import ConsoleSettings, serve

    settings = ConsoleSettings.from_environment(
        data_dir=args.data_dir, models_dir=args.models_dir, held_out_dirs=tuple(args.held_out or ())
    )
    return serve(args.host, args.port, settings)


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure latency, throughput and memory next to a bare `rasa init` bot, per profile."""
    from bot.devtools.benchmark import run

    profiles = [profile.strip() for profile in args.profiles.split(",") if profile.strip()]
    if any(profile != "default" and not (profile.isdigit() and int(profile) > 0) for profile in profiles):
        print("--profiles takes default and worker counts, e.g. default,1,2,3", file=sys.stderr)
        return 2
    return run(per_language=args.per_language, concurrency=args.concurrency, seconds=args.seconds, profiles=profiles)


def cmd_web(args: argparse.Namespace) -> int:
    """Serve the local web chat page."""
    from bot.web.server import serve

    return serve(host=args.host, port=args.port, rasa_url=args.rasa_url)


def cmd_telegram(_: argparse.Namespace) -> int:
    """Run the Telegram front end (needs TELEGRAM_BOT_TOKEN)."""
    from bot.telegram.app import main as telegram_main

    return telegram_main()


def cmd_check_ports(args: argparse.Namespace) -> int:
    """Fail with a clear line for every port something listens on, naming the process."""
    from bot.ports import describe_busy_port, port_is_free

    busy = [port for port in args.ports if not port_is_free("127.0.0.1", port)]
    for port in busy:
        print(describe_busy_port("127.0.0.1", port), file=sys.stderr)
    return 1 if busy else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Procfile's processes under supervisor until Ctrl-C."""
    from bot.supervision import run

    return run(args.processes, procfile=args.procfile, state_dir=args.state_dir)


def _port_list(text: str) -> tuple[int, ...]:
    return tuple(int(port) for port in text.split(",") if port.strip())


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the assistant: `make run`'s processes, or the production profile with --production."""
    if not args.production:
        from bot.supervision import run

        return run(state_dir=args.state_dir or VAR_DIR)
    from bot.production import DEFAULT_STATE_DIR, Ports, Profile, serve

    if args.workers < 0 or args.action_workers < 1:
        print("--workers must be 0 or more and --action-workers 1 or more.", file=sys.stderr)
        return 2
    rasa_ports = args.rasa_ports or tuple(args.rasa_port + number for number in range(args.workers))
    if len(rasa_ports) != args.workers:
        print(f"--rasa-ports names {len(rasa_ports)} ports for {args.workers} workers.", file=sys.stderr)
        return 2
    ports = Ports(
        proxy=args.port,
        rasa=rasa_ports,
        actions=args.actions_port,
        web=args.web_port,
        telegram=args.telegram_port,
        postgres=args.postgres_port,
        redis=args.redis_port,
    )
    profile = Profile(
        state_dir=args.state_dir or DEFAULT_STATE_DIR,
        ports=ports,
        model=args.model,
        action_workers=args.action_workers,
        public_url=args.public_url,
    )
    return serve(profile)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="jra", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="procedures database").add_subparsers(dest="db_command", required=True)
    db.add_parser("load", help="create the database and load actions/content into it").set_defaults(func=cmd_db_load)

    content = commands.add_parser("content", help="content files").add_subparsers(dest="content_command", required=True)
    content.add_parser("check", help="validate the content files").set_defaults(func=cmd_content_check)

    model = commands.add_parser("model", help="train the model if its inputs changed; accept or roll back a model")
    model.set_defaults(func=cmd_model)
    model_commands = model.add_subparsers(dest="model_command")
    accept = model_commands.add_parser("accept", help="make a trained model live (default: the newest that is not)")
    accept.add_argument("candidate", nargs="?", help="model-<fingerprint>.tar.gz in the models folder")
    accept.add_argument("--models-dir", type=Path)
    accept.set_defaults(func=cmd_model_accept)
    rollback = model_commands.add_parser("rollback", help="make the previous model live again")
    rollback.add_argument("--models-dir", type=Path)
    rollback.set_defaults(func=cmd_model_rollback)

    console = commands.add_parser("console", help="serve the trainer console (needs TRAINER_TOKEN)")
    console.add_argument("--host", default="127.0.0.1")
    console.add_argument("--port", type=int, default=8090)
    console.add_argument("--data-dir", type=Path, help="the NLU data folder (default nlu_data/, or TRAINER_DATA_DIR)")
    console.add_argument("--models-dir", type=Path, help="the models folder (default models/, or TRAINER_MODELS_DIR)")
    console.add_argument(
        "--held-out", type=Path, action="append", help="a held-out folder; repeatable (default tests/nlu and tests/nlu/real)"
    )
    console.set_defaults(func=cmd_console)

    bench = commands.add_parser("bench", help="latency, throughput and memory next to a bare rasa init bot")
    bench.add_argument("--per-language", type=int, default=40, help="real-user-style messages per language")
    bench.add_argument("--profiles", default="default,1,2,3", help="default and production worker counts")
    bench.add_argument("--concurrency", type=int, default=8)
    bench.add_argument("--seconds", type=float, default=20.0)
    bench.set_defaults(func=cmd_bench)

    web = commands.add_parser("web", help="serve the local web chat page")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8080)
    web.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    web.set_defaults(func=cmd_web)

    commands.add_parser("telegram", help="run the Telegram front end").set_defaults(func=cmd_telegram)

    run = commands.add_parser("run", help="run the Procfile's processes, restarted if they crash (make run)")
    run.add_argument("processes", nargs="*", help="names from the Procfile (default: all that are configured)")
    run.add_argument("--procfile", type=Path, default=PROJECT_ROOT / "Procfile")
    run.add_argument("--state-dir", type=Path, default=VAR_DIR, help="supervisord's configuration, socket and logs")
    run.set_defaults(func=cmd_run)

    serve = commands.add_parser(
        "serve", help="run the assistant; --production: N Rasa workers on PostgreSQL and Redis behind nginx"
    )
    serve.add_argument("--production", action="store_true", help="the production profile (make run-production)")
    serve.add_argument("--workers", type=int, default=2, help="Rasa server processes (0: none on this machine)")
    serve.add_argument("--action-workers", type=int, default=2, help="Sanic workers of the action server")
    serve.add_argument("--state-dir", type=Path, help="data, configuration and logs (default var/production)")
    serve.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "current.tar.gz")
    serve.add_argument("--public-url", default="", help="where users reach nginx (default http://127.0.0.1:PORT)")
    serve.add_argument("--port", type=int, default=8000, help="nginx, the one address users reach")
    serve.add_argument("--rasa-port", type=int, default=5005, help="the first Rasa worker's; the others follow")
    serve.add_argument("--rasa-ports", type=_port_list, help="every Rasa worker's, comma-separated")
    serve.add_argument("--actions-port", type=int, default=5055)
    serve.add_argument("--web-port", type=int, default=8080)
    serve.add_argument("--telegram-port", type=int, default=8443, help="the Telegram front end's webhook listener")
    serve.add_argument("--postgres-port", type=int, default=5433)
    serve.add_argument("--redis-port", type=int, default=6380)
    serve.set_defaults(func=cmd_serve)

    ports = commands.add_parser("check-ports", help="fail clearly if something listens on a port")
    ports.add_argument("ports", type=int, nargs="+")
    ports.set_defaults(func=cmd_check_ports)

    add_trainer_commands(commands)
    return parser


def add_trainer_commands(commands: argparse._SubParsersAction) -> None:
    """Add the maintainers' `jra inbox …` and `jra conversations prune` (bot/trainer/commands.py)."""
    from bot.trainer.commands import add_conversations_commands, add_inbox_commands

    add_inbox_commands(commands)
    add_conversations_commands(commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `jra` sub-command."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
