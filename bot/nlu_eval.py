"""Evaluate the NLU model on the held-out messages, per language, next to two baselines.

`python -m bot.nlu_eval` (or `make evaluate`), in the Rasa environment:

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
import asyncio
import fcntl
import hashlib
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before Rasa is imported: no telemetry, and no training cache, so that training times are
# honest and an evaluation does not fill .rasa/cache.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.languages import LANGUAGES
from bot.nlu_check import (
    DOMAIN_FILE,
    HELD_OUT_DIR,
    NLU_DATA_DIR,
    Example,
    detection_is_meaningful,
    load_domain_intents,
    load_held_out,
    load_training_data,
)
from bot.paths import PROJECT_ROOT

logger = logging.getLogger("nlu_eval")

REPORTS_DIR = PROJECT_ROOT / "reports" / "nlu"
REAL_USERS_DIR = HELD_OUT_DIR / "real"
TWO_TOPIC_FILE = REAL_USERS_DIR / "ambiguous.yml"
NEAR_DOMAIN_INTENTS = ("life_in_japan", "out_of_scope")
TUNING_REPORTS_DIR = PROJECT_ROOT / "reports" / "nlu-tuning"
TUNING_SHARE = 4  # --tuning-split holds back one training example in four
CONFIG_FILE = PROJECT_ROOT / "config.yml"
COMPONENTS_DIR = PROJECT_ROOT / "bot" / "nlu"
FALLBACK_INTENT = "nlu_fallback"
WORST_CONFUSIONS = 10
_COMMAND = re.compile(r"\s*/(\w+)")

OURS = "ours"
RASA_DEFAULT = "rasa-default"
TFIDF = "tfidf-logreg"
TITLES = {
    OURS: "our pipeline (config.yml)",
    RASA_DEFAULT: "Rasa default pipeline (rasa init)",
    TFIDF: "TF-IDF word+char n-grams + logistic regression",
}

# The pipeline `rasa init` trains when config.yml names none (default.v1 recipe, Rasa 3.6).
RASA_DEFAULT_CONFIG = """\
recipe: default.v1
assistant_id: rasa-default-baseline
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 100
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""


@dataclass(frozen=True)
class Prediction:
    """One held-out message: its true and predicted intent and language, and the parse time."""

    language: str
    intent: str
    predicted: str
    top_intent: str
    detected_language: str | None
    language_scored: bool
    parse_ms: float
    # The classifier's own ranking (nlu_fallback left out), best first: what the clarification
    # buttons would offer and what the fallback thresholds are calibrated on.
    ranking: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class SystemResult:
    """The predictions of one system (our model or a baseline) and how long it trained."""

    name: str
    predictions: list[Prediction]
    training_seconds: float
    reused: bool


@dataclass(frozen=True)
class LanguageMetrics:
    """The scores of one system on one language's held-out messages."""

    messages: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    accuracy_without_fallback: float
    language_id: float | None
    language_id_scored: int
    confusions: list[tuple[str, str, int]]
    parse_median_ms: float
    parse_p95_ms: float


# ---------------------------------------------------------------- training and parsing


def training_digest(config_text: str, data_dir: Path, with_components: bool) -> str:
    """Return a digest of everything that shapes an NLU model: config, data, components, Rasa version."""
    import rasa

    digest = hashlib.sha256(config_text.encode())
    digest.update(rasa.__version__.encode())
    sources = sorted(data_dir.rglob("*.yml"))
    if with_components:
        sources += sorted(path for path in COMPONENTS_DIR.iterdir() if path.is_file() and path.suffix != ".pyc")
    for path in sources:
        digest.update(os.path.relpath(path, PROJECT_ROOT).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train_rasa_nlu(name: str, config_text: str, data_dir: Path, models_dir: Path, force: bool) -> tuple[Path, float, bool]:
    """Train an NLU-only Rasa model unless one exists for the same inputs; return it, its training seconds and whether it was reused."""
    from rasa.model_training import train_nlu

    fixed_name = f"{name}-{training_digest(config_text, data_dir, with_components=name == OURS)}"
    model = models_dir / f"{fixed_name}.tar.gz"
    timing = models_dir / f"{fixed_name}.json"
    if model.exists() and timing.exists() and not force:
        return model, float(json.loads(timing.read_text())["training_seconds"]), True
    models_dir.mkdir(parents=True, exist_ok=True)
    for old in models_dir.glob(f"{name}-*"):
        old.unlink()
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as config:
        config.write(config_text)
    try:
        logger.info("Training %s ...", TITLES[name])
        started = time.monotonic()
        train_nlu(config=config.name, nlu_data=str(data_dir), output=str(models_dir), fixed_model_name=fixed_name)
        seconds = time.monotonic() - started
    finally:
        os.unlink(config.name)
    timing.write_text(json.dumps({"training_seconds": seconds}))
    return model, seconds, False


def top_intent(parse: dict[str, Any]) -> str:
    """Return the best intent other than nlu_fallback (what the classifier would say without a fallback)."""
    for ranked in parse.get("intent_ranking") or []:
        if ranked.get("name") != FALLBACK_INTENT:
            return str(ranked["name"])
    return (parse.get("intent") or {}).get("name") or FALLBACK_INTENT


def classifier_ranking(parse: dict[str, Any], length: int = 5) -> tuple[tuple[str, float], ...]:
    """Return the classifier's top intents and confidences, nlu_fallback left out."""
    ranked = [
        (str(item["name"]), float(item.get("confidence") or 0.0))
        for item in parse.get("intent_ranking") or []
        if item.get("name") != FALLBACK_INTENT
    ]
    return tuple(ranked[:length])


def detected_language(parse: dict[str, Any]) -> str | None:
    """Return the language our LanguageDetector put on a parsed message, if any."""
    if parse.get("language"):
        return str(parse["language"])
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "language":
            return str(entity.get("value"))
    return None


def as_the_full_model_reads(text: str, intents: set[str]) -> str:
    """Return the text to parse so that a "/command" is handled as the full model handles it."""
    # Rasa reads "/name" as the intent `name`. The full model checks the name against the
    # domain and otherwise classifies the text like any other; an NLU-only model has no domain
    # and would return `name` whatever it is. Our tokenizer ignores the slash, so dropping it
    # gives the classification the full model makes of "/language" or "/start".
    match = _COMMAND.match(text)
    return text.replace("/", "", 1) if match and match.group(1) not in intents else text


async def _parse_all(model: Path, messages: list[Example]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    intents = set(load_domain_intents(DOMAIN_FILE))
    await agent.parse_message("warm up")  # the first parse builds lazy state; do not time it
    predictions: list[Prediction] = []
    for message in messages:
        text = as_the_full_model_reads(message.text, intents)
        started = time.perf_counter()
        parse = await agent.parse_message(text)
        elapsed = (time.perf_counter() - started) * 1000
        predictions.append(
            Prediction(
                language=message.language,
                intent=message.intent,
                predicted=(parse.get("intent") or {}).get("name") or FALLBACK_INTENT,
                top_intent=top_intent(parse),
                detected_language=detected_language(parse) or "",  # "": the detector said nothing
                language_scored=detection_is_meaningful(message.text),
                parse_ms=elapsed,
                ranking=classifier_ranking(parse),
            )
        )
    return predictions


def evaluate_rasa(
    name: str, config_text: str, data_dir: Path, held_out: list[Example], models_dir: Path, force: bool
) -> SystemResult:
    """Train (or reuse) a Rasa NLU model on ``data_dir`` and parse every held-out message with it."""
    model, seconds, reused = train_rasa_nlu(name, config_text, data_dir, models_dir, force)
    predictions = asyncio.run(_parse_all(model, held_out))
    return SystemResult(name, predictions, seconds, reused)


def evaluate_tfidf(training: list[Example], held_out: list[Example]) -> SystemResult:
    """Train TF-IDF (word and character n-grams) + logistic regression and predict every held-out message."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
        ),
        # liblinear (one-vs-rest) trains in seconds on these sparse features; lbfgs takes minutes.
        LogisticRegression(C=10.0, solver="liblinear"),
    )
    started = time.monotonic()
    model.fit([example.text for example in training], [example.intent for example in training])
    seconds = time.monotonic() - started
    predictions: list[Prediction] = []
    for message in held_out:
        parse_started = time.perf_counter()
        predicted = str(model.predict([message.text])[0])
        elapsed = (time.perf_counter() - parse_started) * 1000
        predictions.append(Prediction(message.language, message.intent, predicted, predicted, None, False, elapsed))
    return SystemResult(TFIDF, predictions, seconds, False)


def load_two_topic_examples(languages: Sequence[str]) -> list[Example]:
    """Return the two-topic messages as examples (under the first of their two intents), in file order."""
    from bot.nlu_calibration import load_two_topic_messages

    return [
        Example(message.text, message.intents[0], message.language, TWO_TOPIC_FILE)
        for message in load_two_topic_messages(TWO_TOPIC_FILE, languages)
    ]


def in_tuning_part(example: Example) -> bool:
    """Whether ``--tuning-split`` holds this training example back (one in four, by its text)."""
    digest = hashlib.sha256(f"{example.language}\n{example.intent}\n{example.text}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % TUNING_SHARE == 0


def write_training_part(examples: Sequence[Example], data_dir: Path) -> None:
    """Write ``examples`` as Rasa NLU files, one per language, replacing what ``data_dir`` held."""
    import yaml

    for old in data_dir.rglob("*.yml"):
        old.unlink()
    by_language: dict[str, dict[str, list[str]]] = {}
    for example in examples:
        by_language.setdefault(example.language, {}).setdefault(example.intent, []).append(example.text)
    data_dir.mkdir(parents=True, exist_ok=True)
    for language, intents in by_language.items():
        nlu = [{"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)} for intent, texts in intents.items()]
        (data_dir / f"{language}.yml").write_text(
            yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )


# ---------------------------------------------------------------- metrics


def percentile(values: Sequence[float], share: float) -> float:
    """Return the value below which ``share`` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def worst_confusions(predictions: Sequence[Prediction], limit: int = WORST_CONFUSIONS) -> list[tuple[str, str, int]]:
    """Return the most frequent (true intent, predicted intent, count) mistakes."""
    mistakes = Counter((p.intent, p.predicted) for p in predictions if p.intent != p.predicted)
    return [(true, predicted, count) for (true, predicted), count in mistakes.most_common(limit)]


def language_metrics(predictions: Sequence[Prediction]) -> LanguageMetrics:
    """Compute accuracy, macro-F1, language ID, confusions and parse times of one language's predictions."""
    from sklearn.metrics import accuracy_score, f1_score

    truth = [p.intent for p in predictions]
    guess = [p.predicted for p in predictions]
    scored = [p for p in predictions if p.language_scored and p.detected_language is not None]
    times = [p.parse_ms for p in predictions]
    return LanguageMetrics(
        messages=len(predictions),
        accuracy=float(accuracy_score(truth, guess)),
        macro_f1=float(f1_score(truth, guess, labels=sorted(set(truth)), average="macro", zero_division=0)),
        fallback_rate=sum(p.predicted == FALLBACK_INTENT for p in predictions) / max(len(predictions), 1),
        accuracy_without_fallback=sum(p.top_intent == p.intent for p in predictions) / max(len(predictions), 1),
        language_id=(sum(p.detected_language == p.language for p in scored) / len(scored)) if scored else None,
        language_id_scored=len(scored),
        confusions=worst_confusions(predictions),
        parse_median_ms=statistics.median(times) if times else 0.0,
        parse_p95_ms=percentile(times, 0.95),
    )


def metrics_by_language(result: SystemResult, languages: Sequence[str]) -> dict[str, LanguageMetrics]:
    """Return the metrics of one system for each language, plus "all" for every message."""
    metrics = {
        language: language_metrics([p for p in result.predictions if p.language == language])
        for language in languages
        if any(p.language == language for p in result.predictions)
    }
    metrics["all"] = language_metrics(result.predictions)
    return metrics


def intent_report(predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Return precision, recall, F1 and support per intent (scikit-learn's classification report)."""
    from sklearn.metrics import classification_report

    truth = [p.intent for p in predictions]
    return classification_report(
        truth, [p.predicted for p in predictions], labels=sorted(set(truth)), output_dict=True, zero_division=0
    )


# ---------------------------------------------------------------- reports


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
        "worst_confusions": [{"true": t, "predicted": p, "count": c} for t, p, c in metrics.confusions],
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def ours_table(metrics: dict[str, LanguageMetrics]) -> list[str]:
    """Return the per-language table of our model as Markdown lines."""
    lines = [
        "| language | messages | intent accuracy | intent macro-F1 | fallback rate | accuracy without fallback "
        "| language ID (scored) | parse median ms | parse p95 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for language, m in metrics.items():
        lines.append(
            f"| {language} | {m.messages} | {_fmt(m.accuracy)} | {_fmt(m.macro_f1)} | {_fmt(m.fallback_rate)} | "
            f"{_fmt(m.accuracy_without_fallback)} | "
            f"{_fmt(m.language_id)} ({m.language_id_scored}) | {m.parse_median_ms:.1f} | {m.parse_p95_ms:.1f} |"
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
    from bot.nlu_calibration import calibration_error, configured_thresholds, grid_lines

    configured = configured_thresholds(config_file)
    lines = [
        "## Fallback thresholds (choose them here, on the tuning split)",
        "",
        "Each pair of FallbackClassifier thresholds scored on these messages, cheapest first "
        "(a wrong answer costs 1, a clarification with the right button 0.25, without it 0.5; "
        "bot/nlu_calibration.py says why).",
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
    from bot.nlu_calibration import (
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

    `python -m bot.nlu_calibration <file>` scores every pair of fallback thresholds on it.
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


# ---------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    """Build the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bot.nlu_eval", description=__doc__.splitlines()[0])
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
