"""Kana-only copies of the Japanese training examples, made at training time.

Many Japanese users write without kanji: learners who cannot type them, and plain-Japanese
writers who avoid them on purpose ("ざいりゅうカードを なくしました" for 在留カードをなくしました).
The training data is mostly written with kanji, so the word counts, the character n-grams and
the sentence embedding of a kana-only message meet little that the classifier has learnt; only
the sound keys (bot/nlu/readings.py) bridge the two scripts.

This component adds, for every Japanese training example that has kanji, a copy written the way
those users write it: each word with kanji replaced by its reading in hiragana (SudachiPy's
reading, the dictionary the tokenizer already uses), katakana and kana words kept, and, for
every other example (chosen by the text, so the same copies every time), a space after each
particle as learners space their words. One in three of those examples (`romaji_every`) also gets a copy
in romaji as people type it ("zairyuu kaado o nakushimashita"), with the language the detector
gives such a message. A copy has the example's intent and no entities. Nothing changes at
parse time: a message is read as written.

Done inside the pipeline rather than written into `nlu_data/`, so that the copies follow every
example a trainer adds or corrects, and trainers review only what people wrote.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import LANGUAGE_KEY
from bot.nlu.language_id import LanguageIdentifier

logger = logging.getLogger(__name__)

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々]")
_KATAKANA_ONLY = re.compile(r"^[\u30a0-\u30ffー]+$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff々]")
# Written as pronounced, as romaji users write them.
_PARTICLES = {"は": "wa", "を": "o", "へ": "e"}
# Romaji users join a verb's endings to it (nakushimashita, ikitai) and a suffix to its word
# (shikakugai), but write desu apart (gakusei desu, ii desu).
_VERBS = {"動詞", "助動詞"}
_LONG_VOWEL = re.compile(r"([aeiou])-")  # jaconv writes ー as "-": kaado, as typed
# jaconv writes a word-final っ as "xtsu" (行っ / て → ixtsu te): doubled consonant, as typed (itte).
_SMALL_TSU = re.compile(r"xtsu ?([b-df-hj-np-tv-z])")
_TE = {"て", "で"}  # joined to their verb: itte, yonde
_PUNCTUATION = {"補助記号", "空白"}
# SudachiPy reads 日本 as ニッポン; people write にほん, nihon.
_READINGS = {"日本": "ニホン"}


class KanaWriter:
    """Writes Japanese text without kanji: each word with kanji as its reading in hiragana."""

    def __init__(self) -> None:
        import jaconv
        from sudachipy import Dictionary, SplitMode

        self._jaconv = jaconv
        self._sudachi = Dictionary(dict="core").tokenizer(SplitMode.A)  # short units: 在留 / カード

    def write(self, text: str, spaced: bool) -> str | None:
        """Return ``text`` in kana (a space after each particle when ``spaced``), or None if it has no kanji
        or a word with kanji has no reading."""
        if not _KANJI.search(text):
            return None
        parts: list[str] = []
        for morpheme in self._sudachi.tokenize(text):
            surface = morpheme.surface()
            if _KANJI.search(surface):
                reading = _READINGS.get(surface) or morpheme.reading_form()
                if not reading or not _KATAKANA_ONLY.match(reading):
                    return None  # an unknown word: better no copy than a wrong one
                parts.append(self._jaconv.kata2hira(reading))
            else:
                parts.append(surface)
            if spaced and morpheme.part_of_speech()[0] == "助詞":
                parts.append(" ")
        return re.sub(r"\s+", " ", "".join(parts)).strip() or None

    def romaji(self, text: str) -> str | None:
        """Return ``text`` in romaji as people type it: words apart, endings on their word ("zairyuu kaado o
        nakushimashita"), or None if it has no Japanese or a word has no reading."""
        if not _JAPANESE.search(text):
            return None
        words: list[str] = []
        attach = False
        previous = ""
        for morpheme in self._sudachi.tokenize(text):
            surface, kind = morpheme.surface(), morpheme.part_of_speech()[0]
            if kind in _PUNCTUATION:
                continue  # romaji typists leave out 。、「」
            if not _JAPANESE.search(surface):
                sound = surface.strip()
            elif kind == "助詞" and surface in _PARTICLES:
                sound = _PARTICLES[surface]
            else:
                reading = _READINGS.get(surface) or morpheme.reading_form()
                if not reading or not _KATAKANA_ONLY.match(reading):
                    return None
                sound = self._jaconv.kana2alphabet(self._jaconv.kata2hira(reading))
            if not sound:
                continue
            ending = kind == "接尾辞" or (previous in _VERBS and ((kind == "助動詞" and surface != "です") or surface in _TE))
            if words and (attach or ending):
                words[-1] += sound
            else:
                words.append(sound)
            attach = kind == "接頭辞"
            previous = kind
        romaji = _SMALL_TSU.sub(r"\1\1", _LONG_VOWEL.sub(r"\1\1", " ".join(words))).replace("xtsu", "")
        return romaji or None


# Registered as a message featurizer because Rasa runs only tokenizers and featurizers over the
# training data (as the LanguageDetector in bot/nlu/components.py).
@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class KanaVariants(GraphComponent):
    """Add a kana-only copy of every Japanese training example written with kanji (training only)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults: kana copies on, a romaji copy of one example in ``romaji_every``."""
        return {"enabled": True, "romaji_every": 3}

    @staticmethod
    def required_packages() -> list[str]:
        """SudachiPy reads the kanji, jaconv writes the readings in hiragana and romaji."""
        return ["sudachipy", "jaconv"]

    def __init__(self, config: dict[str, Any]) -> None:
        self._enabled = bool(config.get("enabled", True))
        self._romaji_every = int(config.get("romaji_every") or 0)
        self._writer: KanaWriter | None = None
        self._identifier: LanguageIdentifier | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KanaVariants:
        """Create the component (SudachiPy is loaded only when training data arrives)."""
        return cls({**cls.get_default_config(), **config})

    @staticmethod
    def _choice(text: str) -> int:
        """A number from 0 to 255 fixed by the text: the same copies on every training."""
        return hashlib.sha256(text.encode()).digest()[0]

    def variants(self, training_data: TrainingData) -> list[Message]:
        """Return the kana (and romaji) copies of the Japanese examples written with kanji, none twice."""
        if not self._enabled:
            return []
        if self._writer is None:
            self._writer = KanaWriter()
            self._identifier = LanguageIdentifier.build()
        known = {example.get(TEXT) for example in training_data.training_examples}
        copies: list[Message] = []

        def add(text: str | None, intent: str, language: str | None) -> None:
            if text and text not in known and language:
                known.add(text)
                copy = Message(data={TEXT: text, INTENT: intent})
                copy.set(LANGUAGE_KEY, language)
                copies.append(copy)

        for example in training_data.training_examples:
            text, intent = example.get(TEXT), example.get(INTENT)
            if not text or not intent or example.get(LANGUAGE_KEY) != "ja" or not _KANJI.search(text):
                continue
            choice = self._choice(text)
            add(self._writer.write(text, spaced=choice % 2 == 0), intent, "ja")
            if self._romaji_every and choice % self._romaji_every == 0:
                romaji = self._writer.romaji(text)
                # The language the detector gives such a message at parse time, so that it is split alike.
                add(romaji, intent, self._identifier.detect(romaji).language if romaji and self._identifier else None)
        return copies

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Return the training data with the kana copies added."""
        copies = self.variants(training_data)
        if not copies:
            return training_data
        logger.info("Added %d kana and romaji copies of Japanese training examples", len(copies))
        return TrainingData(
            training_examples=[*training_data.training_examples, *copies],
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Messages are read as written."""
        return messages
