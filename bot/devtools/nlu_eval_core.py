"""The NLU evaluation's shared part: its settings, what a parsed message and a system's result are,
and how a model is trained and parsed (`nlu_eval` runs it; `nlu_eval_metrics` and
`nlu_eval_reports` read what it returns)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Before Rasa is imported: no telemetry, and no training cache, so that training times are
# honest and an evaluation does not fill .rasa/cache.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("RASA_MAX_CACHE_SIZE", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.devtools.nlu_check import DOMAIN_FILE, detection_is_meaningful, load_domain_intents
from bot.devtools.nlu_data import HELD_OUT_DIR, Example
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
    # Whether the sentence embedding was read (the classifier's word model was unsure); None for
    # systems without one.
    embedded: bool | None = None


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
    # The share of messages the sentence embedding was read for (None: no such classifier).
    embedded_share: float | None = None


# Training and parsing.


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
                embedded=None if "intent_model" not in parse else parse["intent_model"] == "full",
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
    from bot.devtools.nlu_calibration import load_two_topic_messages

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
