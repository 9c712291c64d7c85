"""A featurizer of how a message sounds: kana-only, romaji and kanji Japanese meet.

Many users cannot type kanji, and plain-Japanese users write in kana on purpose:
"ざいりゅうかーど", "ザイリュウカード", "zairyuu kaado" and "在留カード" are one word, but word
counts and character n-grams see four unrelated strings. This featurizer turns each message
into a *sound key* and counts the key's character n-grams:

- Japanese script (kana or kanji): SudachiPy's reading of every word with kanji (katakana, so
  在留 and ざいりゅう both sound ザイリュウ) and the kana as written, in romaji by jaconv;
- Latin script: the letters as typed (romaji users write "zairyu card", "nyuukan", "sendai");
- other scripts (Cyrillic, Chinese hanzi): no key, no features.

The romaji is then normalised the way people spell it loosely: long vowels, double consonants
and the long-vowel mark are written once (zairyuu/zairyu, ou/o, kaado/kado, kitte/kite), the
particles を/は written "o"/"wa", spaces removed (so "zairyuu kaado" meets ザイリュウカード).

Why SudachiPy and jaconv: SudachiPy (with its core dictionary) already segments Japanese in the
tokenizer, and its readings cover the immigration vocabulary; jaconv (MIT, pure Python) is a
small, well-kept kana/romaji converter, so no transliteration table is written by hand here.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import joblib
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.clauses import CLAUSE_COUNTS, clause_spans

logger = logging.getLogger(__name__)

VECTORIZER_FILE = "reading_vectorizer.joblib"
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_PARTICLES = {"は": "わ", "を": "お"}
_LATIN_WORD = re.compile(r"[a-z]+")
# Loose romaji: long vowels written or not, "ou" for "o", particles as pronounced.
# Double consonants (っ: kitte/kite) are written single too.
_LOOSE_SPELLINGS = (
    (re.compile(r"xtsu"), ""),
    (re.compile(r"([a-z])\1+"), r"\1"),
    (re.compile(r"ou"), "o"),
)


def normalise_romaji(text: str) -> str:
    """Return romaji spelt one way: letters only, no long vowels or double consonants."""
    key = re.sub(r"[^a-z]", "", text.lower())
    for pattern, replacement in _LOOSE_SPELLINGS:
        key = pattern.sub(replacement, key)
    return key


class SoundKeys:
    """Turns messages into sound keys (SudachiPy readings for Japanese script, letters for Latin)."""

    def __init__(self) -> None:
        import jaconv
        from sudachipy import Dictionary, SplitMode

        self._jaconv = jaconv
        self._sudachi = Dictionary(dict="core").tokenizer(SplitMode.C)

    def _reading(self, text: str) -> str:
        sounds: list[str] = []
        for morpheme in self._sudachi.tokenize(text):
            surface = morpheme.surface()
            if not _JAPANESE.search(surface):
                sounds.append(surface if surface.isascii() else " ")
            elif morpheme.part_of_speech()[0] == "助詞" and surface in _PARTICLES:
                sounds.append(_PARTICLES[surface])  # particles as pronounced
            elif _KANJI.search(surface):
                sounds.append(morpheme.reading_form() or surface)
            else:
                # Kana is already the sound (SudachiPy may split an unknown kana word: き / ょ).
                sounds.append(surface)
        # One conversion for the whole text, so that kana split across words still combine.
        return self._jaconv.kana2alphabet(self._jaconv.kata2hira("".join(sounds)))

    def key(self, text: str, language: str | None) -> str:
        """Return the message's sound key ("" when the message has neither Japanese nor Latin letters)."""
        text = unicodedata.normalize("NFKC", text)
        if _KANA.search(text) or (language == "ja" and _JAPANESE.search(text)):
            return normalise_romaji(self._reading(text))
        if language == "zh":
            return ""
        return normalise_romaji(" ".join(_LATIN_WORD.findall(text.lower())))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ReadingFeaturizer(SparseFeaturizer, GraphComponent):
    """Character n-grams of each message's sound key, as one sparse sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        """The tokenizer runs first (the language detector before it)."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults: n-grams of 2 to 4 letters, the 20,000 most frequent."""
        return {**SparseFeaturizer.get_default_config(), "min_ngram": 2, "max_ngram": 4, "max_features": 20000}

    @staticmethod
    def required_packages() -> list[str]:
        """SudachiPy reads Japanese, jaconv writes it in romaji, scikit-learn counts."""
        return ["sudachipy", "jaconv", "sklearn"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """n-gram bounds must be ordered."""
        if int(config["min_ngram"]) > int(config["max_ngram"]):
            raise ValueError("ReadingFeaturizer: min_ngram must not exceed max_ngram")

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vectorizer: Any = None,
    ) -> None:
        super().__init__(execution_context.node_name, {**self.get_default_config(), **config})
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = vectorizer
        self._keys = SoundKeys()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ReadingFeaturizer:
        """Create an untrained featurizer."""
        return cls(config, model_storage, resource, execution_context)

    def _message_key(self, message: Message) -> str:
        return self._keys.key(message.get(TEXT) or "", message.get("language"))

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the n-gram vocabulary of the training examples' sound keys."""
        from sklearn.feature_extraction.text import CountVectorizer

        keys = [self._message_key(example) for example in training_data.training_examples if example.get(TEXT)]
        vectorizer = CountVectorizer(
            analyzer="char",
            ngram_range=(int(self._config["min_ngram"]), int(self._config["max_ngram"])),
            max_features=int(self._config["max_features"]),
            lowercase=False,
        )
        if any(keys):
            vectorizer.fit(keys)
            self._vectorizer = vectorizer
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._vectorizer, directory / VECTORIZER_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ReadingFeaturizer:
        """Load the learnt vocabulary (none if training had no examples)."""
        try:
            with model_storage.read_from(resource) as directory:
                vectorizer = joblib.load(directory / VECTORIZER_FILE)
        except (ValueError, FileNotFoundError):
            vectorizer = None
        return cls(config, model_storage, resource, execution_context, vectorizer)

    def _featurize(self, messages: list[Message]) -> None:
        if self._vectorizer is None:
            return
        with_text = [message for message in messages if message.get(TEXT)]
        if not with_text:
            return
        counts = scipy.sparse.csr_matrix(self._vectorizer.transform([self._message_key(m) for m in with_text]))
        for row, message in enumerate(with_text):
            self.add_features_to_message(None, counts[row], TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Add the sound-key counts to every training example."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the sound-key counts to each message at parse time, and to each clause of a longer one.

        The sound key is read across word boundaries (ざいりゅう + カード), so a clause's counts are
        not the sum of its words': each clause's key is counted on its own, for the classifier's
        reading of the clauses (bot/nlu/clauses.py).
        """
        self._featurize(messages)
        if self._vectorizer is not None:
            for message in messages:
                spans = clause_spans(message.get(TEXT) or "")
                if spans:
                    text = message.get(TEXT)
                    keys = [self._keys.key(text[start:end], message.get("language")) for start, end in spans]
                    counts = scipy.sparse.csr_matrix(self._vectorizer.transform(keys))
                    message.set(CLAUSE_COUNTS, {**(message.get(CLAUSE_COUNTS) or {}), self._identifier: counts})
        return messages
