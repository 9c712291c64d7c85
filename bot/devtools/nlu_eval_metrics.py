"""The NLU evaluation's numbers: accuracy, macro-F1, language ID, confusions, per language."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

# Before Rasa is imported: no telemetry, and no training cache, so that training times are
# honest and an evaluation does not fill .rasa/cache.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


from bot.devtools.nlu_eval_core import (
    FALLBACK_INTENT,
    WORST_CONFUSIONS,
    LanguageMetrics,
    Prediction,
    SystemResult,
)


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
        embedded_share=_share([p.embedded for p in predictions if p.embedded is not None]),
    )


def _share(flags: Sequence[bool]) -> float | None:
    """Return the share of true flags among the classified messages, or None for a system without them.

    A message without a letter or a digit is not classified (it falls back), so it has no flag.
    """
    return sum(flags) / len(flags) if flags else None


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
