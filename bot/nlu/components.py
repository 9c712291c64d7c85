"""Custom Rasa NLU components: language identification and a tokenizer for five languages.

Registered with Rasa's DefaultV1Recipe and named in config.yml by their import path.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.language_id import LanguageIdentifier

LANGUAGE_KEY = "language"
LANGUAGE_ENTITY = "language"
METADATA_KEY = "metadata"
_WORD = re.compile(r"\w+(?:['’ʼ-]\w+)*", re.UNICODE)
JIEBA_WORDS = Path(__file__).with_name("jieba_words.txt")


def _message_language(message: Message) -> str | None:
    return message.get(LANGUAGE_KEY)


# Registered as a message featurizer because Rasa runs only tokenizers and featurizers over the
# training data: the tokenizer needs each training example's language too.
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class LanguageDetector(GraphComponent):
    """Record the language of each message (en, ru, uk, zh or ja) and add it as an entity."""

    def __init__(self, identifier: LanguageIdentifier) -> None:
        self._identifier = identifier

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Build the detector once when the model is loaded."""
        return cls(LanguageIdentifier.build())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Mark each training example with its language so the tokenizer can segment it."""
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if text:
                example.set(LANGUAGE_KEY, self._identifier.detect(text).language)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Detect the language of each message; a client's language_code breaks ties."""
        for message in messages:
            text = message.get(TEXT) or ""
            metadata = message.get(METADATA_KEY) or {}
            prior = metadata.get("language_code") if isinstance(metadata, dict) else None
            detection = self._identifier.detect(text, prior=prior[:2].lower() if prior else None)
            message.set(LANGUAGE_KEY, detection.language, add_to_output=True)
            if detection.confidence == 0.0:
                continue  # digits or emoji only: nothing to say about the language
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": detection.language,
                "start": 0,
                "end": len(text),
                "confidence": detection.confidence,
                "extractor": self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """Split words by the message's language: jieba for Chinese, SudachiPy for Japanese, words otherwise."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the tokenizer's defaults (those of every Rasa tokenizer)."""
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        import jieba
        from sudachipy import Dictionary, SplitMode

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        # Immigration terms jieba's general dictionary splits apart (在留卡 → 在 / 留卡).
        jieba.load_userdict(str(JIEBA_WORDS))
        self._jieba = jieba
        self._sudachi = Dictionary(dict="core").tokenizer(SplitMode.C)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        """Load the segmenters' dictionaries once when the model is loaded."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Return the tokens of one attribute of a message."""
        text = message.get(attribute) or ""
        language = _message_language(message) if attribute == TEXT else None
        if language == "ja":
            tokens = [Token(m.surface(), m.begin(), lemma=m.dictionary_form().lower()) for m in self._sudachi.tokenize(text)]
        elif language == "zh":
            tokens = [Token(word, start) for word, start, _ in self._jieba.tokenize(text)]
        else:
            tokens = [Token(m.group(), m.start()) for m in _WORD.finditer(text)]
        tokens = [token for token in tokens if _WORD.search(token.text)]
        return self._apply_token_pattern(tokens)
