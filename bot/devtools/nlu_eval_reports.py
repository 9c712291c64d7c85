"""The NLU evaluation's reports: summary.md, intent_report.json, the confusion matrix, the rankings."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Before Rasa is imported: no telemetry, and no training cache, so that training times are
# honest and an evaluation does not fill .rasa/cache.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.devtools.nlu_eval_core import (
    CONFIG_FILE,
    NEAR_DOMAIN_INTENTS,
    OURS,
    TITLES,
    TUNING_SHARE,
    TWO_TOPIC_FILE,
    WORST_CONFUSIONS,
    LanguageMetrics,
    Prediction,
    SystemResult,
)
from bot.devtools.nlu_eval_metrics import (
    intent_report,
    metrics_by_language,
)
from bot.paths import PROJECT_ROOT


def write_confusion_matrix(predictions: Sequence[Prediction], path: Path) -> None:
    """Draw the confusion matrix of every held-out message (rows: true intent) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    truth = [p.intent for p in predictions]
    guess = [p.predicted for p in predictions]
    labels = sorted(set(truth)) + sorted(set(guess) - set(truth))
    counts = confusion_matrix(truth, guess, labels=labels)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    figure, axes = plt.subplots(figsize=(16, 14))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted intent")
    axes.set_ylabel("true intent")
    axes.set_title(f"Held-out confusion matrix, all languages ({len(predictions)} messages; counts, colour = row share)")
    for row, column in zip(*np.nonzero(counts), strict=True):
        colour = "white" if shares[row, column] > 0.5 else "black"
        axes.text(column, row, str(counts[row, column]), ha="center", va="center", fontsize=6, color=colour)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_intent_report(result: SystemResult, languages: Sequence[str], path: Path) -> None:
    """Write per-intent precision/recall/F1/support, overall and per language, as JSON."""
    metrics = metrics_by_language(result, languages)
    report = {
        "system": TITLES[result.name],
        "training_seconds": round(result.training_seconds, 1),
        "summary": {language: _metrics_json(m) for language, m in metrics.items()},
        "intents": intent_report(result.predictions),
        "languages": {
            language: intent_report([p for p in result.predictions if p.language == language])
            for language in languages
            if language in metrics
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


def _metrics_json(metrics: LanguageMetrics) -> dict[str, Any]:
    return {
        "messages": metrics.messages,
        "accuracy": round(metrics.accuracy, 4),
        "macro_f1": round(metrics.macro_f1, 4),
        "fallback_rate": round(metrics.fallback_rate, 4),
        "accuracy_without_fallback": round(metrics.accuracy_without_fallback, 4),
        "language_id": None if metrics.language_id is None else round(metrics.language_id, 4),
        "language_id_messages": metrics.language_id_scored,
        "parse_median_ms": round(metrics.parse_median_ms, 2),
        "parse_p95_ms": round(metrics.parse_p95_ms, 2),
        "embedded_share": None if metrics.embedded_share is None else round(metrics.embedded_share, 4),
        "worst_confusions": [{"true": t, "predicted": p, "count": c} for t, p, c in metrics.confusions],
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def ours_table(metrics: dict[str, LanguageMetrics]) -> list[str]:
    """Return the per-language table of our model as Markdown lines."""
    lines = [
        "| language | messages | intent accuracy | intent macro-F1 | fallback rate | accuracy without fallback "
        "| language ID (scored) | parse median ms | parse p95 ms | embedded |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for language, m in metrics.items():
        lines.append(
            f"| {language} | {m.messages} | {_fmt(m.accuracy)} | {_fmt(m.macro_f1)} | {_fmt(m.fallback_rate)} | "
            f"{_fmt(m.accuracy_without_fallback)} | "
            f"{_fmt(m.language_id)} ({m.language_id_scored}) | {m.parse_median_ms:.1f} | {m.parse_p95_ms:.1f} | "
            f"{_fmt(m.embedded_share, 2)} |"
        )
    return lines


def comparison_table(results: Sequence[SystemResult], languages: Sequence[str]) -> list[str]:
    """Return accuracy / macro-F1 per language and training seconds of every system as Markdown lines."""
    per_system = {result.name: metrics_by_language(result, languages) for result in results}
    rows = [language for language in [*languages, "all"] if language in per_system[results[0].name]]
    header = "| system | training s | " + " | ".join(f"{language} acc / F1" for language in rows) + " |"
    lines = [header, "| --- | --- | " + " | ".join("---" for _ in rows) + " |"]
    for result in results:
        cells = [
            f"{_fmt(per_system[result.name][language].accuracy)} / {_fmt(per_system[result.name][language].macro_f1)}"
            for language in rows
        ]
        lines.append(f"| {TITLES[result.name]} | {result.training_seconds:.0f} | " + " | ".join(cells) + " |")
    return lines


def confusion_lines(metrics: dict[str, LanguageMetrics]) -> list[str]:
    """Return the worst confusions of each language as Markdown lines."""
    lines: list[str] = []
    for language, m in metrics.items():
        if language == "all":
            continue
        pairs = ", ".join(f"{t} → {p} ({c})" for t, p, c in m.confusions) or "none"
        lines.append(f"- **{language}**: {pairs}")
    return lines


HELD_OUT_TITLE = "the held-out set (tests/nlu)"
TUNING_TITLE = f"the tuning split (one nlu_data/ example in {TUNING_SHARE}, not trained on)"


def ours_section(ours: SystemResult, languages: Sequence[str], evaluated_on: str = HELD_OUT_TITLE) -> list[str]:
    """Return the Markdown lines about our model: scores per language and worst confusions."""
    metrics = metrics_by_language(ours, languages)
    trained = "reused, trained earlier in" if ours.reused else "trained in"
    return [
        f"# NLU evaluation on {evaluated_on}",
        "",
        f"Our model ({TITLES[OURS]}) was {trained} {ours.training_seconds:.0f} s (NLU only).",
        "",
        *ours_table(metrics),
        "",
        "Language ID is scored on messages of 2+ words or 4+ CJK characters (their count in brackets).",
        'A prediction of nlu_fallback counts as a mistake; "accuracy without fallback" is the best',
        "intent the classifier ranked, as if there were no FallbackClassifier.",
        "",
        f"## Worst confusions (true → predicted, count), top {WORST_CONFUSIONS} per language",
        "",
        *confusion_lines(metrics),
        "",
    ]


def baselines_section(results: Sequence[SystemResult], languages: Sequence[str], pending: bool) -> list[str]:
    """Return the Markdown lines that put our model next to the baselines evaluated so far."""
    lines = ["## Next to the baselines", "", *comparison_table(results, languages), ""]
    if pending:
        lines += ["(Rasa's default pipeline is still training; this table is completed when it is done.)", ""]
    return lines


def near_domain_rate(predictions: Sequence[Prediction]) -> tuple[float | None, int]:
    """Return the share of near-domain messages (life_in_japan) not answered as a procedure."""
    near = [p for p in predictions if p.intent == NEAR_DOMAIN_INTENTS[0]]
    if not near:
        return None, 0
    return sum(p.predicted in NEAR_DOMAIN_INTENTS for p in near) / len(near), len(near)


def both_sets_section(held_out: SystemResult, real: SystemResult, languages: Sequence[str]) -> list[str]:
    """Return the Markdown lines that put the two held-out sets side by side, per language."""
    first, second = metrics_by_language(held_out, languages), metrics_by_language(real, languages)
    lines = [
        "## Both held-out sets side by side (same model)",
        "",
        "| language | tests/nlu messages | acc / F1 / fallback | tests/nlu/real messages | acc / F1 / fallback "
        "| near-domain kept out of procedures |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for language in [*languages, "all"]:
        a, b = first.get(language), second.get(language)
        if a is None or b is None:
            continue
        subset = [p for p in real.predictions if language == "all" or p.language == language]
        rate, count = near_domain_rate(subset)
        lines.append(
            f"| {language} | {a.messages} | {_fmt(a.accuracy)} / {_fmt(a.macro_f1)} / {_fmt(a.fallback_rate)} | "
            f"{b.messages} | {_fmt(b.accuracy)} / {_fmt(b.macro_f1)} / {_fmt(b.fallback_rate)} | "
            f"{_fmt(rate)} ({count}) |"
        )
    lines += ["", "### Worst confusions on tests/nlu/real", "", *confusion_lines(second), ""]
    return lines


def thresholds_section(ours: SystemResult, languages: Sequence[str], config_file: Path = CONFIG_FILE) -> list[str]:
    """Return the Markdown lines that choose the fallback thresholds on the tuning split."""
    from bot.devtools.nlu_calibration import calibration_error, configured_thresholds, grid_lines

    configured = configured_thresholds(config_file)
    lines = [
        "## Fallback thresholds (choose them here, on the tuning split)",
        "",
        "Each pair of FallbackClassifier thresholds scored on these messages, cheapest first "
        "(a wrong answer costs 1, a clarification with the right button 0.25, without it 0.5; "
        "bot/devtools/nlu_calibration.py says why).",
        "",
        *grid_lines(ours.predictions, configured),
        "",
        "| language | expected calibration error of the best confidence |",
        "| --- | --- |",
    ]
    for language in [*languages, "all"]:
        subset = [p for p in ours.predictions if language == "all" or p.language == language]
        if subset:
            error = calibration_error(subset)
            lines.append(f"| {language} | {_fmt(error)} |")
    return [*lines, ""]


def clarification_section(
    sets: Sequence[tuple[str, SystemResult]], two_topic: SystemResult | None, config_file: Path = CONFIG_FILE
) -> list[str]:
    """Return the Markdown lines on how often the configured thresholds ask "Which do you mean?"."""
    from bot.devtools.nlu_calibration import (
        TwoTopicMessage,
        configured_thresholds,
        load_two_topic_messages,
        summary_row,
        two_topic_lines,
    )

    configured = configured_thresholds(config_file)
    lines = [
        f"## Clarification (config.yml: threshold {configured.threshold}, ambiguity {configured.ambiguity})",
        "",
        "| set | messages | answered right | answered wrong | clarified | clarified needlessly | calibration error |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(summary_row(name, result.predictions, configured) for name, result in sets),
        "",
    ]
    if two_topic is not None:
        messages = load_two_topic_messages(TWO_TOPIC_FILE, {p.language for p in two_topic.predictions})
        pairs: list[tuple[TwoTopicMessage, Sequence[tuple[str, float]]]] = [
            (message, prediction.ranking) for message, prediction in zip(messages, two_topic.predictions, strict=True)
        ]
        lines += [
            f"### Two-topic messages ({TWO_TOPIC_FILE.relative_to(PROJECT_ROOT)}): both procedures offered as buttons",
            "",
            *two_topic_lines(pairs, configured),
            "",
        ]
    return lines


def write_rankings(result: SystemResult, path: Path) -> None:
    """Write each message's language, true intent and the classifier's ranking (no text), one JSON per line.

    `python -m bot.devtools.nlu_calibration <file>` scores every pair of fallback thresholds on it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for prediction in result.predictions:
            row = {"language": prediction.language, "intent": prediction.intent, "ranking": prediction.ranking}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_summary(lines: Sequence[str], path: Path) -> None:
    """Write reports/nlu/summary.md."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


@contextmanager
def evaluation_lock(reports: Path) -> Iterator[None]:
    """Hold an exclusive lock on the reports folder: a second evaluation waits, then reuses the models."""
    reports.mkdir(parents=True, exist_ok=True)
    with open(reports / ".evaluate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
