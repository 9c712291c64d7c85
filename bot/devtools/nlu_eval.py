"""Evaluate the NLU model on the held-out messages, per language, next to two baselines.

`python -m bot.devtools.nlu_eval` (or `make evaluate`), in the Rasa environment:

1. trains an NLU-only model from config.yml on nlu_data/ (reused while config.yml, nlu_data/,
   bot/nlu/ and the Rasa version are unchanged: the model is named by their digest);
2. parses every held-out message of tests/nlu/<lang>.yml in-process with Rasa's Agent, and
   prints per language: intent accuracy, intent macro-F1, language-ID accuracy, the 10 worst
   confusions and the parse time (median and 95th percentile); then does the same with the
   same model on the real-user set tests/nlu/real/<lang>.yml (long posts, third persons, kana
   and romaji, near-domain questions; written from another brief and never tuned to) and puts
   the two sets side by side, with how often the fallback fires and how many near-domain
   questions are recognised as such;
3. writes reports/nlu/confusion_matrix.png, intent_report.json and summary.md;
4. does the same for a TF-IDF (word + character n-grams) + logistic regression baseline and for
   Rasa's default pipeline (what `rasa init` trains: by far the slowest, so it comes last and its
   model is reused while nlu_data/ is unchanged), and prints the three side by side.

A prediction of `nlu_fallback` counts as wrong: it is what the user would get. Macro-F1
averages the intents of the held-out set of that language.

`--tuning-split` is for trying a pipeline or data change without looking at the held-out set:
one training example in four (chosen by a digest of its text, so the split stays put as data is
added) is held back, the model is trained on the other three, and the same report is written
to reports/nlu-tuning/. Decide on the split; measure on the held-out set once, at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Before Rasa is imported: no telemetry, and no training cache, so that training times are
# honest and an evaluation does not fill .rasa/cache.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.devtools.nlu_data import HELD_OUT_DIR, NLU_DATA_DIR, load_held_out, load_training_data
from bot.devtools.nlu_eval_core import (
    CONFIG_FILE,
    OURS,
    RASA_DEFAULT,
    RASA_DEFAULT_CONFIG,
    REAL_USERS_DIR,
    REPORTS_DIR,
    TUNING_REPORTS_DIR,
    SystemResult,
    evaluate_rasa,
    evaluate_tfidf,
    in_tuning_part,
    load_two_topic_examples,
    logger,
    write_training_part,
)
from bot.devtools.nlu_eval_reports import (
    HELD_OUT_TITLE,
    TUNING_TITLE,
    baselines_section,
    both_sets_section,
    clarification_section,
    evaluation_lock,
    ours_section,
    thresholds_section,
    write_confusion_matrix,
    write_intent_report,
    write_rankings,
    write_summary,
)
from bot.languages import LANGUAGES


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.devtools.nlu_eval", description=__doc__.splitlines()[0])
    parser.add_argument("--skip-baselines", action="store_true", help="evaluate only our pipeline")
    parser.add_argument(
        "--languages", default=",".join(LANGUAGES), help="comma-separated languages to evaluate (default: all five)"
    )
    parser.add_argument("--retrain", action="store_true", help="train even if a model for the same inputs exists")
    parser.add_argument(
        "--tuning-split",
        action="store_true",
        help="train on three quarters of nlu_data/ and evaluate on the rest, not on tests/nlu/ (for tuning)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=CONFIG_FILE,
        help="the pipeline to evaluate (default config.yml): try a change without editing it",
    )
    parser.add_argument("--reports", type=Path, help="where to write the reports (default reports/nlu or reports/nlu-tuning)")
    return parser


def parse_languages(value: str) -> list[str]:
    """Return the languages named in a comma-separated option, or fail on an unknown one."""
    languages = [code.strip() for code in value.split(",") if code.strip()]
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown or not languages:
        raise SystemExit(f"Unknown language(s): {', '.join(unknown) or value!r}; choose from {', '.join(LANGUAGES)}.")
    return languages


def quiet_libraries() -> None:
    """Keep Rasa's and TensorFlow's logs to warnings so that the results stay readable."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parsed message at debug level
    for name in ("rasa", "tensorflow", "absl", "jieba", "matplotlib"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run(
    languages: Sequence[str],
    skip_baselines: bool,
    retrain: bool,
    reports: Path,
    tuning_split: bool = False,
    config_file: Path = CONFIG_FILE,
) -> list[SystemResult]:
    """Evaluate our pipeline, then the baselines (the slow Rasa default last), writing the reports as it goes."""
    models_dir = reports / "models"
    summary = reports / "summary.md"
    with evaluation_lock(reports):
        training = load_training_data(NLU_DATA_DIR)
        if tuning_split:
            data_dir = reports / "data"
            held_out = [example for example in training if in_tuning_part(example) and example.language in languages]
            training = [example for example in training if not in_tuning_part(example)]
            write_training_part(training, data_dir)
            logger.info(
                "Tuning split: training on %d examples, evaluating on %d held back from nlu_data/", len(training), len(held_out)
            )
        else:
            data_dir = NLU_DATA_DIR
            held_out = load_held_out(HELD_OUT_DIR, languages)
        config_text = config_file.read_text(encoding="utf-8")
        ours = evaluate_rasa(OURS, config_text, data_dir, held_out, models_dir, retrain)
        write_confusion_matrix(ours.predictions, reports / "confusion_matrix.png")
        write_intent_report(ours, languages, reports / "intent_report.json")
        write_rankings(ours, reports / "rankings.jsonl")
        head = ours_section(ours, languages, TUNING_TITLE if tuning_split else HELD_OUT_TITLE)
        if tuning_split:
            head += thresholds_section(ours, languages, config_file)
        real_examples = [] if tuning_split else load_held_out(REAL_USERS_DIR, languages)
        if real_examples:
            real = evaluate_rasa(OURS, config_text, data_dir, real_examples, models_dir, False)
            write_intent_report(real, languages, reports / "intent_report_real.json")
            write_rankings(real, reports / "rankings_real.jsonl")
            head += both_sets_section(ours, real, languages)
            two_topic = evaluate_rasa(OURS, config_text, data_dir, load_two_topic_examples(languages), models_dir, False)
            write_rankings(two_topic, reports / "rankings_two_topic.jsonl")
            head += clarification_section([("tests/nlu", ours), ("tests/nlu/real", real)], two_topic, config_file)
        write_summary(head, summary)
        print("\n".join(head), flush=True)
        results = [ours]
        if not skip_baselines:
            results.append(evaluate_tfidf(training, held_out))
            write_summary([*head, *baselines_section(results, languages, pending=True)], summary)
            logger.info(
                "Rasa's default pipeline (2 transformer layers, 100 epochs) takes the longest; reused while nlu_data/ is unchanged"
            )
            results.append(evaluate_rasa(RASA_DEFAULT, RASA_DEFAULT_CONFIG, data_dir, held_out, models_dir, retrain))
        tail = baselines_section(results, languages, pending=False)
        write_summary([*head, *tail], summary)
        print("\n".join(tail))
    print(f"Reports: {summary}, intent_report.json, confusion_matrix.png")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate on the held-out set and print the results per language."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    quiet_libraries()
    reports = args.reports or (TUNING_REPORTS_DIR if args.tuning_split else REPORTS_DIR)
    run(parse_languages(args.languages), args.skip_baselines, args.retrain, reports, args.tuning_split, args.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
