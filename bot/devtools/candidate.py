"""Train a candidate model and compare it with the live one on the held-out sets (the trainer console's "Retrain and evaluate").

`python -m bot.devtools.candidate --out result.json` in the Rasa environment (the console starts
it as a process of its own, so a conversation on the Rasa server is never disturbed):

1. trains the full model (NLU and dialogue, config.yml, domain.yml, stories/) on the NLU data
   folder into the models folder, named by the digest of its inputs as `make model` names it,
   without touching models/current.tar.gz (only the trainer's "Accept" switches it); an
   unchanged data folder reuses the model that exists;
2. parses every message of the held-out sets (tests/nlu/, tests/nlu/real/) with the live model
   and with the candidate, in-process (Rasa's Agent), and writes per set and language the
   intent accuracy before and after, and the messages whose prediction changed. A message that
   ends in nlu_fallback counts as wrong, as in `make evaluate`. The live model's predictions are
   kept in the models folder (.evaluations/) and reused while the model and the sets are the same.

Progress goes to standard output as one JSON object per line: {"stage": …, "percent": …}.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from bot.devtools.model import ensure_model
from bot.devtools.nlu_data import NLU_DATA_DIR, Example, load_held_out
from bot.devtools.nlu_eval_core import FALLBACK_INTENT, HELD_OUT_DIR, REAL_USERS_DIR
from bot.paths import MODELS_DIR, PROJECT_ROOT

# How the stages share the progress bar (percent at which each begins).
STAGES = {"training": 0, "evaluating_live": 70, "evaluating_candidate": 85, "done": 100}
DEFAULT_TRAINING_SECONDS = 360.0
TIMING_FILE = ".training-seconds.json"


def report(stage: str, percent: float, **extra: object) -> None:
    """Print one progress line for the console."""
    print(json.dumps({"stage": stage, "percent": round(min(100.0, percent), 1), **extra}), flush=True)


def _stage_percent(stage: str, share: float) -> float:
    names = list(STAGES)
    start = STAGES[stage]
    end = STAGES[names[names.index(stage) + 1]]
    return start + (end - start) * max(0.0, min(share, 0.99))


def train(data_dir: Path, models_dir: Path) -> tuple[Path, float]:
    """Train the candidate (or reuse it), reporting progress by the last training's duration."""
    timing = models_dir / TIMING_FILE
    try:
        expected = float(json.loads(timing.read_text())["seconds"])
    except (OSError, ValueError, KeyError):
        expected = DEFAULT_TRAINING_SECONDS
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["model"] = ensure_model(PROJECT_ROOT, models_dir, data_dir=data_dir, switch=False)
        except BaseException as error:  # reported by the main thread
            result["error"] = error

    started = time.monotonic()
    thread = threading.Thread(target=run, name="training", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(1.0)
        elapsed = time.monotonic() - started
        report("training", _stage_percent("training", elapsed / expected), seconds=round(elapsed))
    if "error" in result:
        raise RuntimeError(f"training failed: {result['error']}")
    seconds = time.monotonic() - started
    if seconds > 20:  # a reused model says nothing about how long training takes
        timing.write_text(json.dumps({"seconds": seconds}))
    return Path(str(result["model"])), seconds


def held_out_digest(sets: list[tuple[str, list[Example]]]) -> str:
    """Return a digest of the held-out messages (the live model's predictions are kept per digest)."""
    digest = hashlib.sha256()
    for name, messages in sets:
        digest.update(name.encode())
        for message in messages:
            digest.update(f"\n{message.language}\t{message.intent}\t{message.text}".encode())
    return digest.hexdigest()[:16]


async def predict(model: Path, messages: list[Example], stage: str) -> list[str]:
    """Return the intent the model gives each message (nlu_fallback when it is unsure)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parsed message at debug level
    report(stage, _stage_percent(stage, 0.0), detail="loading")
    agent = Agent.load(str(model))
    predictions: list[str] = []
    every = max(1, len(messages) // 50)
    for number, message in enumerate(messages, start=1):
        parse = await agent.parse_message(message.text)
        predictions.append((parse.get("intent") or {}).get("name") or FALLBACK_INTENT)
        if number % every == 0:
            report(stage, _stage_percent(stage, number / len(messages)), detail=f"{number}/{len(messages)}")
    return predictions


def live_predictions(live: Path, models_dir: Path, flat: list[Example], digest: str) -> list[str]:
    """Return the live model's predictions, from the cache when the model and the sets are the same."""
    cache = models_dir / ".evaluations" / f"{live.resolve().name.removesuffix('.tar.gz')}-{digest}.json"
    if cache.exists():
        return list(json.loads(cache.read_text(encoding="utf-8")))
    predictions = asyncio.run(predict(live, flat, "evaluating_live"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(predictions), encoding="utf-8")
    return predictions


def compare(sets: list[tuple[str, list[Example]]], before: list[str], after: list[str]) -> dict[str, object]:
    """Return per set and language the accuracy before and after, and the messages whose prediction changed."""
    results: list[dict[str, object]] = []
    changed: list[dict[str, str]] = []
    position = 0
    for name, messages in sets:
        languages: dict[str, dict[str, float]] = {}
        for message in messages:
            was, now = before[position], after[position]
            position += 1
            scores = languages.setdefault(message.language, {"messages": 0, "before": 0, "after": 0})
            scores["messages"] += 1
            scores["before"] += was == message.intent
            scores["after"] += now == message.intent
            if was != now:
                changed.append(
                    {
                        "set": name,
                        "language": message.language,
                        "text": message.text,
                        "expected": message.intent,
                        "before": was,
                        "after": now,
                    }
                )
        results.append(
            {
                "name": name,
                "languages": {
                    language: {
                        "messages": int(scores["messages"]),
                        "before": round(scores["before"] / scores["messages"], 4),
                        "after": round(scores["after"] / scores["messages"], 4),
                    }
                    for language, scores in languages.items()
                },
            }
        )
    return {"sets": results, "changed": changed}


def main(argv: list[str] | None = None) -> int:
    """Train the candidate, evaluate both models, write the result file."""
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.candidate", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=NLU_DATA_DIR)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--held-out", type=Path, action="append", help="a held-out folder (<lang>.yml files); repeatable")
    parser.add_argument("--out", type=Path, required=True, help="where the result (JSON) is written")
    args = parser.parse_args(argv)
    held_out_dirs = args.held_out or [HELD_OUT_DIR, REAL_USERS_DIR]
    live = args.models_dir / "current.tar.gz"
    try:
        if not live.exists():
            raise RuntimeError(f"there is no live model ({live})")
        report("training", 0)
        candidate, training_seconds = train(args.data_dir, args.models_dir)
        sets = [(_set_name(folder), load_held_out(folder)) for folder in held_out_dirs]
        flat = [message for _, messages in sets for message in messages]
        started = time.monotonic()
        before = live_predictions(live, args.models_dir, flat, held_out_digest(sets))
        after = asyncio.run(predict(candidate, flat, "evaluating_candidate"))
        comparison = compare(sets, before, after)
    except Exception as error:  # one clear line for the console
        report("failed", 100, error=str(error)[-2000:])
        return 1
    result = {
        "live": live.resolve().name,
        "candidate": candidate.name,
        "same_model": live.resolve() == candidate.resolve(),
        "training_seconds": round(training_seconds, 1),
        "evaluation_seconds": round(time.monotonic() - started, 1),
        **comparison,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    report("done", 100)
    return 0


def _set_name(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return folder.name


if __name__ == "__main__":
    sys.exit(main())
