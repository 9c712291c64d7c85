"""The intent classifier: logistic regression over word and character counts and a sentence embedding.

Chosen by measurement against DIET (docs/nlu.md): on the tuning split and on both held-out sets
it is more accurate in every language, it trains in about a minute instead of six, and its
probabilities are calibrated (a 0.6 means right about six times in ten), so that the
FallbackClassifier's thresholds mean what they say: DIET's confidences sat near 1.0 even when
it was wrong, and two competing procedures never looked ambiguous.

Features, per message (sentence features only):
- each sparse featurizer's counts (config.yml: word counts and character n-grams), weighted by
  TF-IDF with sublinear term frequency and L2-normalised, featurizer by featurizer;
- each dense featurizer's vector (the multilingual-e5-small embedding), times ``dense_weight``.

scikit-learn's LogisticRegression does the rest. Why scikit-learn and not Rasa's own
LogisticRegressionClassifier: that one feeds raw counts to the model with a fixed C and a
balanced class weight; TF-IDF weighting and a tuned C score several points higher here.

Embedding only when needed (``word_model_confidence``): the embedding is two thirds of a parse.
A second logistic regression is fitted on the counts alone; when it is at least that sure of a
message, its ranking is the answer and the message is never embedded; otherwise the classifier
asks the sentence-embedding featurizer (``when_asked: true``) for the embedding and the full model
answers. The threshold is chosen on the tuning split (docs/nlu.md): there, the answers at 0.85
are as accurate as the full model's in every language, and about half the messages skip the
embedding.

Two topics in one message (``clause_confidence`` and the settings after it): the word model also
reads the parts of a longer message (bot/nlu/clauses.py), from the counts already made: with
``read_halves``, the two halves at each clause boundary. When two parts name two different
procedures, and the whole message does not outweigh them (one of the two at least
``whole_message_sure``, the other under ``whole_message_doubt``, and no "also" opening the
second), the two get most of the message's probability in equal parts and the parse names them
as ``topics``: the FallbackClassifier then finds them too close to choose, and the bot asks which
one first (actions/fallback.py). The settings are chosen on the tuning split
(bot/devtools/two_topic_tuning.py, docs/nlu.md "Two topics in one message").
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    FEATURE_TYPE_SEQUENCE,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.clauses import CLAUSE_COUNTS, clause_openings
from bot.nlu.sentence_embeddings import add_embeddings

logger = logging.getLogger(__name__)

MODEL_FILE = "intent_classifier.joblib"
# In the parse result: "words" when the word model answered alone, "full" when the embedding was read too.
INTENT_MODEL_KEY = "intent_model"
# In the parse result of a message asked as two requests: its two topics, in the order written.
TOPICS_KEY = "topics"
# How much of such a message's reading goes to its two topics (half each); the rest keeps the
# whole message's reading. 0.9 leaves the two at least 0.45 each and at most 0.1 apart: the
# FallbackClassifier's ambiguity threshold (config.yml: 0.25; any down to 0.15) always finds them
# too close to choose, and "which first?" offers both (the second has at least half the first's
# confidence).
TWO_TOPIC_SHARE = 0.9
_WORDS = re.compile(r"\w")


def sentence_features(message: Message) -> dict[str, Any]:
    """Return the message's sentence features of the text, by the featurizer that made them."""
    return {
        feature.origin: feature.features
        for feature in message.features
        if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE
    }


def clause_counts(message: Message, spans: Sequence[tuple[int, int]]) -> dict[str, scipy.sparse.csr_matrix]:
    """Return each sparse featurizer's counts for every clause of ``message`` (one row per clause).

    A featurizer with per-token counts (Rasa's CountVectorsFeaturizer) gives a clause the sum of
    its tokens' rows, which is what it gives a message of the clause's words alone; the others
    left theirs in ``CLAUSE_COUNTS``.
    """
    counts: dict[str, scipy.sparse.csr_matrix] = dict(message.get(CLAUSE_COUNTS) or {})
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    rows, columns = [], []
    for row, (start, end) in enumerate(spans):
        for column, token in enumerate(tokens):
            if token.start >= start and token.end <= end:
                rows.append(row)
                columns.append(column)
    selection = scipy.sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(spans), len(tokens)), dtype=np.float64)
    for feature in message.features:
        if (
            feature.attribute == TEXT
            and feature.type == FEATURE_TYPE_SEQUENCE
            and scipy.sparse.issparse(feature.features)
            and feature.features.shape[0] == len(tokens)
            and feature.origin not in counts
        ):
            counts[feature.origin] = scipy.sparse.csr_matrix(selection @ feature.features)
    return counts


@dataclass(frozen=True)
class ClauseReading:
    """The word model's reading of one clause: its likeliest intent, how sure, and the whole message's share."""

    intent: str
    confidence: float
    whole: float
    # The clause opens with an "also" word ("Also, …", "А ещё …", "另外…", "あと、…"): a further request.
    also: bool = False


@dataclass(frozen=True)
class PartReadings:
    """The word model's readings of a message's parts: each clause alone, and both halves at each
    clause boundary (the clauses before it read together, and those after it)."""

    clauses: tuple[ClauseReading, ...] = ()
    halves: tuple[tuple[ClauseReading, ClauseReading], ...] = ()


@dataclass(frozen=True)
class TwoTopicSettings:
    """When the parts of a message name two topics (config.yml: clause_confidence, clause_support,
    whole_message_support, not_topics, whole_message_sure, whole_message_doubt, also_outweighs_whole_message,
    read_halves)."""

    sure: float
    support: float
    whole_support: float
    not_topics: frozenset[str]
    # The whole message outweighs its parts when it gives one topic at least ``whole_sure`` and
    # the other less than ``whole_doubt``: "I overstayed, and I want to go home on my own" is a
    # departure order told with its background, not a deportation question besides.
    whole_sure: float = 1.0
    whole_doubt: float = 0.0
    # ... but not when the part naming one of them opens with an "also" word: the user said it is
    # a further request ("I lost my card last week. Also, I want to go home for 3 months").
    also_outweighs_whole: bool = False
    # Read the two halves at each clause boundary instead of each clause alone: a request told in
    # two sentences ("My visa ends in March. How do I renew it?") is read as one part.
    halves: bool = False

    def names(self, reading: ClauseReading) -> bool:
        """Whether a part names its likeliest intent as a topic."""
        if reading.intent in self.not_topics:
            return False
        return reading.confidence >= self.sure or (reading.confidence >= self.support and reading.whole >= self.whole_support)

    def outweighed(self, first: ClauseReading, second: ClauseReading) -> bool:
        """Whether the whole message is sure of one of the two and not of the other (and no "also" was said)."""
        if self.also_outweighs_whole and (first.also or second.also):
            return False
        return max(first.whole, second.whole) >= self.whole_sure and min(first.whole, second.whole) < self.whole_doubt

    def topics(self, parts: PartReadings) -> tuple[str, str] | None:
        """Return the two topics the message's parts name, in the order written, or None."""
        if self.halves:
            return self._topics_of_halves(parts.halves)
        return self._topics_of_clauses(parts.clauses)

    def _topics_of_halves(self, halves: Sequence[tuple[ClauseReading, ClauseReading]]) -> tuple[str, str] | None:
        """Of the boundaries where both halves name a different topic, the one read most surely.

        An "also" said at any boundary between the same two topics counts: in "I lost my card. What
        do I do? Also, can I go home for 3 months?" the surest boundary may be after the first
        sentence, while the "also" opens the third.
        """
        best: tuple[float, ClauseReading, ClauseReading] | None = None
        naming: list[tuple[ClauseReading, ClauseReading]] = []
        for first, second in halves:
            if first.intent == second.intent or not self.names(first) or not self.names(second):
                continue
            naming.append((first, second))
            sureness = min(first.confidence, second.confidence)
            if best is None or sureness > best[0]:
                best = (sureness, first, second)
        if best is None:
            return None
        _, first, second = best
        if any(s.also for f, s in naming if (f.intent, s.intent) == (first.intent, second.intent)):
            second = dataclasses.replace(second, also=True)
        if self.outweighed(first, second):
            return None
        return first.intent, second.intent

    def _topics_of_clauses(self, readings: Sequence[ClauseReading]) -> tuple[str, str] | None:
        """Two clauses naming two topics; of three or more, the two the whole message leans to most."""
        named: dict[str, ClauseReading] = {}
        for reading in readings:
            if self.names(reading):
                if reading.intent not in named:
                    named[reading.intent] = reading
                elif reading.also:
                    named[reading.intent] = dataclasses.replace(named[reading.intent], also=True)
        if len(named) < 2:
            return None
        likeliest = sorted(named, key=lambda name: -named[name].whole)[:2]
        if self.outweighed(named[likeliest[0]], named[likeliest[1]]):
            return None
        first, second = (name for name in named if name in likeliest)
        return first, second


def two_topic_settings(config: dict[str, Any]) -> TwoTopicSettings | None:
    """Return the two-topic settings of a classifier's config, defaults included (None: two topics are not looked for)."""
    if config["clause_confidence"] is None:
        return None
    return TwoTopicSettings(
        float(config["clause_confidence"]),
        float(config["clause_support"]),
        float(config["whole_message_support"]),
        frozenset(config["not_topics"]),
        float(config["whole_message_sure"]),
        float(config["whole_message_doubt"]),
        bool(config["also_outweighs_whole_message"]),
        bool(config["read_halves"]),
    )


def _timed_fit(model: Any, features: Any, labels: Sequence[str]) -> float:
    """Fit ``model`` and return the seconds it took."""
    started = time.monotonic()
    model.fit(features, labels)
    return time.monotonic() - started


class FeatureMatrix:
    """Stacks the sentence features of many messages into one matrix, as the classifier was trained."""

    def __init__(self, dense_weight: float) -> None:
        from sklearn.feature_extraction.text import TfidfTransformer

        self._dense_weight = dense_weight
        self._tfidf_class = TfidfTransformer
        self.sparse_origins: list[str] = []
        self.dense_origins: list[str] = []
        self._dense_sizes: dict[str, int] = {}
        self._sparse_sizes: dict[str, int] = {}
        self._tfidf: dict[str, Any] = {}

    def _columns(self, messages: Sequence[Message], fit: bool) -> scipy.sparse.csr_matrix:
        features = [sentence_features(message) for message in messages]
        if fit:
            first = features[0] if features else {}
            self.sparse_origins = sorted(origin for origin, value in first.items() if scipy.sparse.issparse(value))
            self.dense_origins = sorted(origin for origin, value in first.items() if not scipy.sparse.issparse(value))
            self._dense_sizes = {origin: int(np.asarray(first[origin]).shape[-1]) for origin in self.dense_origins}
            self._sparse_sizes = {origin: int(first[origin].shape[-1]) for origin in self.sparse_origins}
        counts: dict[str, scipy.sparse.csr_matrix] = {}
        for origin in self.sparse_origins:
            rows = [feature.get(origin) for feature in features]
            # A message with no words ("", emoji) has no counts at all: a row of zeros as wide as in training.
            width = self._sparse_sizes[origin]
            counts[origin] = scipy.sparse.vstack(
                [row.reshape(1, -1) if row is not None else scipy.sparse.csr_matrix((1, width)) for row in rows]
            ).tocsr()
            if fit:
                self._tfidf[origin] = self._tfidf_class(sublinear_tf=True).fit(counts[origin])
                self.__dict__.pop("_idf_cache", None)
        return scipy.sparse.hstack([self.weighted_counts(counts, len(messages)), self._dense_block(features)]).tocsr()

    def weighted_counts(self, counts: dict[str, scipy.sparse.csr_matrix], rows: int) -> scipy.sparse.csr_matrix:
        """Return the count columns (what the word model reads) of ``rows`` texts, TF-IDF-weighted.

        ``counts`` holds each sparse featurizer's raw counts; a featurizer missing from it counts nothing.
        """
        if not self.sparse_origins:
            return scipy.sparse.csr_matrix((rows, 0))
        blocks = [
            _tfidf(self._tfidf[origin], self._idf(origin), counts[origin])
            if origin in counts
            else scipy.sparse.csr_matrix((rows, self._sparse_sizes[origin]))
            for origin in self.sparse_origins
        ]
        return scipy.sparse.hstack(blocks, format="csr")

    def _idf(self, origin: str) -> np.ndarray | None:
        """Return the idf weights of one featurizer's counts (worked out once: ``idf_`` sums a matrix)."""
        cache: dict[str, np.ndarray | None] = self.__dict__.setdefault("_idf_cache", {})
        if origin not in cache:
            transformer = self._tfidf[origin]
            cache[origin] = np.asarray(transformer.idf_) if transformer.use_idf else None
        return cache[origin]

    def _dense_block(self, features: Sequence[dict[str, Any]]) -> scipy.sparse.csr_matrix:
        """Return the dense featurizers' columns (zeros for a message without the feature)."""
        blocks: list[scipy.sparse.csr_matrix] = []
        for origin in self.dense_origins:
            size = self._dense_sizes[origin]
            dense = np.vstack(
                [
                    np.asarray(feature[origin], dtype=np.float32).reshape(1, -1)
                    if origin in feature
                    else np.zeros((1, size), dtype=np.float32)
                    for feature in features
                ]
            )
            blocks.append(scipy.sparse.csr_matrix(dense * self._dense_weight))
        return scipy.sparse.hstack(blocks).tocsr() if blocks else scipy.sparse.csr_matrix((len(features), 0))

    def with_dense(self, matrix: scipy.sparse.csr_matrix, messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
        """Return ``matrix`` (these messages' rows) with its dense columns read again from the messages."""
        dense = self._dense_block([sentence_features(message) for message in messages])
        return scipy.sparse.hstack([matrix[:, : self.sparse_width], dense]).tocsr()

    @property
    def sparse_width(self) -> int:
        """The number of leading columns that come from counts (the word model reads only these)."""
        return sum(self._sparse_sizes.values())

    def fit_transform(self, messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
        """Learn the TF-IDF weights of the training messages and return their matrix."""
        return self._columns(messages, fit=True)

    def transform(self, messages: Sequence[Message]) -> scipy.sparse.csr_matrix:
        """Return the matrix of messages to classify."""
        return self._columns(messages, fit=False)


def _tfidf(transformer: Any, idf: np.ndarray | None, counts: scipy.sparse.spmatrix) -> scipy.sparse.csr_matrix:
    """Return ``counts`` weighted as the fitted ``TfidfTransformer`` (sublinear tf, idf, l2) weights them.

    The same arithmetic as its ``transform``, which spends 0.5 ms per call checking its input:
    three calls per message part, so a tenth of a message's parse went to those checks.
    ``idf`` is the transformer's ``idf_`` (None without idf weighting).
    """
    from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

    # As scikit-learn does: the logarithm at the counts' own precision, the idf product at the wider one.
    dtype = counts.dtype if counts.dtype in (np.float32, np.float64) else np.float64
    weighted = scipy.sparse.csr_matrix(counts, dtype=dtype, copy=True)
    weighted.sum_duplicates()
    if transformer.sublinear_tf:
        np.log(weighted.data, weighted.data)
        weighted.data += 1
    if idf is not None:
        weighted = weighted.astype(np.result_type(dtype, idf.dtype), copy=False)
        weighted.data *= idf[weighted.indices]
    if transformer.norm == "l2":
        inplace_csr_row_normalize_l2(weighted)
    elif transformer.norm:
        raise ValueError(f"Unsupported TF-IDF norm: {transformer.norm}")
    return weighted


def _fast_to_apply(model: Any) -> Any:
    """Return ``model`` with its weights laid out for one message at a time (same numbers).

    scikit-learn scores a message as ``features @ coef_.T``. ``coef_`` is stored row by row
    (classes x 46,000 features), so its transpose is a strided view, and scipy's sparse-times-dense
    product walks it column by column: about 6 ms per message, a third of the whole parse. Stored
    column by column instead, the transpose is contiguous and the product takes 0.02 ms.
    """
    if model is not None and getattr(model, "coef_", None) is not None:
        model.coef_ = np.asfortranarray(model.coef_)
    return model


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    """Logistic regression on TF-IDF-weighted counts and sentence embeddings."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Featurizers must run first."""
        return [Featurizer]

    @staticmethod
    def required_packages() -> list[str]:
        """scikit-learn fits the model, joblib stores it."""
        return ["sklearn", "joblib"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults measured on the tuning split (docs/nlu.md)."""
        return {
            "C": 10.0,
            "dense_weight": 1.0,
            "solver": "lbfgs",
            "max_iter": 1000,
            "ranking_length": 10,
            "random_state": 42,
            # None: every message is embedded; a probability: the word model answers alone when it
            # is at least this sure.
            "word_model_confidence": None,
            # Two topics in one message (None: not looked for): a clause the word model reads as
            # a topic with at least ``clause_confidence`` names that topic; so does one read with
            # at least ``clause_support`` when the whole message gives the topic at least
            # ``whole_message_support``. Two clauses naming two topics make the message ambiguous.
            "clause_confidence": None,
            "clause_support": 0.2,
            "whole_message_support": 0.02,
            # ... unless the whole message gives one of the two at least ``whole_message_sure`` and
            # the other less than ``whole_message_doubt`` (a need told with its background).
            "whole_message_sure": 1.0,
            "whole_message_doubt": 0.0,
            # ... except when a clause naming one of them opens with "also" (a further request).
            "also_outweighs_whole_message": False,
            # Read the two halves at each clause boundary rather than each clause alone.
            "read_halves": False,
            # Intents that are not topics of their own (greetings, yes/no, facts, buttons).
            "not_topics": [],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        matrix: FeatureMatrix | None = None,
        model: Any = None,
        word_model: Any = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._matrix = matrix
        self._model = _fast_to_apply(model)
        self._word_model = _fast_to_apply(word_model)
        self._two_topic_settings = two_topic_settings(self._config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        """Create an untrained classifier."""
        return cls(config, model_storage, resource)

    def _logistic_regression(self) -> Any:
        """Return an unfitted logistic regression with the configured settings."""
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(
            C=float(self._config["C"]),
            solver=str(self._config["solver"]),
            max_iter=int(self._config["max_iter"]),
            random_state=int(self._config["random_state"]),
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the model on every intent example and store it in the model's storage."""
        examples = [example for example in training_data.intent_examples if example.get(INTENT) and example.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s stays untrained", self.__class__.__name__)
            return self._resource
        started = time.monotonic()
        matrix = FeatureMatrix(float(self._config["dense_weight"]))
        features = matrix.fit_transform(examples)
        labels = [example.get(INTENT) for example in examples]
        model = self._logistic_regression()
        word_model = None
        if self._config["word_model_confidence"] is not None and matrix.dense_origins:
            word_model = self._logistic_regression()
        # The full model and the word model are fitted side by side, one thread each: almost all of
        # the time goes to sparse matrix products, which run outside the GIL. ``max_iter`` stops
        # lbfgs early on purpose (docs/nlu.md "Training time"), so scikit-learn's warning that it
        # has not converged says nothing new; the filter is set here, once, as warning filters are
        # shared by all threads.
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=2) as pool:
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted = [pool.submit(_timed_fit, model, features, labels)]
            if word_model is not None:
                fitted.append(pool.submit(_timed_fit, word_model, features[:, : matrix.sparse_width], labels))
            seconds = [future.result() for future in fitted]
        logger.info(
            "Fitted %s on %d examples x %d features in %.0f s (%s)",
            self.__class__.__name__,
            features.shape[0],
            features.shape[1],
            time.monotonic() - started,
            ", ".join(f"{name} {value:.0f} s" for name, value in zip(("full model", "word model"), seconds, strict=False)),
        )
        self._matrix, self._model, self._word_model = matrix, _fast_to_apply(model), _fast_to_apply(word_model)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump({"matrix": matrix, "model": model, "word_model": word_model}, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        """Load the fitted model (an untrained one if training had no examples)."""
        try:
            with model_storage.read_from(resource) as directory:
                stored = joblib.load(directory / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.debug("No stored model for %s: it stays untrained", cls.__name__)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, stored["matrix"], stored["model"], stored.get("word_model"))

    def probabilities(self, messages: Sequence[Message]) -> tuple[np.ndarray, np.ndarray]:
        """Return each message's probability per class (``classes_`` order) and whether the full model answered.

        Only the messages the word model is unsure of are embedded and read by the full model.
        """
        assert self._model is not None and self._matrix is not None
        features = self._matrix.transform(messages)
        unsure = np.arange(len(messages))
        probabilities = np.zeros((len(messages), len(self._model.classes_)))
        threshold = self._config["word_model_confidence"]
        if self._word_model is not None and threshold is not None:
            word = self._word_model.predict_proba(features[:, : self._matrix.sparse_width])
            sure = word.max(axis=1) >= float(threshold)
            probabilities[sure] = word[sure]
            unsure = np.flatnonzero(~sure)
        if len(unsure):
            pending = [messages[index] for index in unsure]
            add_embeddings(pending, self._matrix.dense_origins)
            probabilities[unsure] = self._model.predict_proba(self._matrix.with_dense(features[unsure], pending))
        full = np.zeros(len(messages), dtype=bool)
        full[unsure] = True
        return probabilities, full

    def clause_readings(self, message: Message, whole: np.ndarray, clauses: bool = True, halves: bool = True) -> PartReadings:
        """Return how the word model reads the parts of ``message`` (none for a one-clause message).

        Each part is read from the counts the featurizers already made (bot/nlu/clauses.py): a
        clause's counts are the sum of its tokens' rows, a half's the sum of its clauses'; no second
        pass through the pipeline and no embedding. ``whole`` is the whole message's reading.
        ``clauses`` and ``halves`` say which parts to read (the two-topic settings use one kind;
        the tuning tool compares both).
        """
        openings = clause_openings(message.get(TEXT) or "")
        spans = [(start, end) for start, end, _ in openings]
        if not spans or self._word_model is None or self._matrix is None or self._model is None:
            return PartReadings()
        count = len(spans)
        per_clause = clause_counts(message, spans)
        # One row per clause (if asked), then the two halves at each of the count - 1 boundaries (if asked).
        rows: list[np.ndarray] = [np.eye(count)] if clauses else []
        if halves:
            # At boundary b (1 .. count - 1) the first half is clauses 0 .. b - 1, the second the rest.
            before = np.tril(np.ones((count - 1, count)), k=0)
            after = 1 - before
            rows.append(np.stack([before, after], axis=1).reshape(2 * (count - 1), count))
        if not rows:
            return PartReadings()
        combine = scipy.sparse.csr_matrix(np.vstack(rows))
        parts = {origin: scipy.sparse.csr_matrix(combine @ value) for origin, value in per_clause.items()}
        readings = self._word_model.predict_proba(self._matrix.weighted_counts(parts, combine.shape[0]))
        classes = list(self._word_model.classes_)
        whole_classes = list(self._model.classes_)

        def read(row: int, also: bool) -> ClauseReading:
            best = int(np.argmax(readings[row]))
            return ClauseReading(
                classes[best], float(readings[row][best]), float(whole[whole_classes.index(classes[best])]), also
            )

        first_half = count if clauses else 0
        return PartReadings(
            tuple(read(index, also) for index, (_, _, also) in enumerate(openings)) if clauses else (),
            tuple(
                (read(first_half + 2 * (boundary - 1), False), read(first_half + 2 * (boundary - 1) + 1, openings[boundary][2]))
                for boundary in range(1, count)
            )
            if halves
            else (),
        )

    def two_topics(self, messages: Sequence[Message], probabilities: np.ndarray) -> dict[int, tuple[str, str]]:
        """Return, by message index, the two topics of each message asked as two requests."""
        settings = self._two_topic_settings
        if settings is None:
            return {}
        found: dict[int, tuple[str, str]] = {}
        for index, message in enumerate(messages):
            parts = self.clause_readings(message, probabilities[index], clauses=not settings.halves, halves=settings.halves)
            topics = settings.topics(parts)
            if topics is not None:
                found[index] = topics
        return found

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the intent and the ranking of each message."""
        if self._model is None or self._matrix is None:
            return messages
        # A message without a letter or a digit ("", "😀😀", control characters) says nothing the model
        # can read: confidence 0, so the FallbackClassifier turns it into nlu_fallback and the bot
        # asks the user to say it in words (with features of zeros the model would answer with
        # whichever intent is commonest).
        for message in messages:
            if message.get(TEXT) is not None and not _WORDS.search(message.get(TEXT)):
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        with_text = [message for message in messages if _WORDS.search(message.get(TEXT) or "")]
        if not with_text:
            return messages
        probabilities, full = self.probabilities(with_text)
        classes = list(self._model.classes_)
        limit = int(self._config["ranking_length"])
        for index, topics in self.two_topics(with_text, probabilities).items():
            # Asked as two requests: the reading becomes mostly the two topics, in equal parts, so that
            # the FallbackClassifier finds them too close to choose and the bot asks which comes first.
            row = probabilities[index] * (1 - TWO_TOPIC_SHARE)
            for topic in topics:
                row[classes.index(topic)] += TWO_TOPIC_SHARE / 2
            probabilities[index] = row
            with_text[index].set(TOPICS_KEY, list(topics), add_to_output=True)
        for message, row, read_all in zip(with_text, probabilities, full, strict=True):
            # Which model answered: for `make evaluate`'s share of embedded messages and for trainers.
            message.set(INTENT_MODEL_KEY, "full" if read_all else "words", add_to_output=True)
            order = np.argsort(-row)
            if limit > 0:
                order = order[:limit]
            ranking = [{INTENT_NAME_KEY: classes[i], PREDICTED_CONFIDENCE_KEY: float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
