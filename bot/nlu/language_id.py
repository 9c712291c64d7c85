"""Tell which of the five languages a message is written in.

Scripts decide first (kana is Japanese, Cyrillic is Russian or Ukrainian, Han is Chinese or
Japanese), because people mix in Latin loanwords ("zairyu card потерял") and the non-Latin
part is what shows their language. Within a script, letters and function words that only one
language has decide; lingua (restricted to the five languages) decides the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.languages import DEFAULT_LANGUAGE

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_CYRILLIC_RUN = re.compile(r"[\u0400-\u04ff][\u0400-\u04ff'’ʼ\s\d-]*")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e]+")
_UKRAINIAN_LETTERS = re.compile(r"[іїєґ]", re.IGNORECASE)
_RUSSIAN_LETTERS = re.compile(r"[ыэъё]", re.IGNORECASE)
_WORD = re.compile(r"[\w'’ʼ]+")

# Frequent words spelled differently in the two languages (no letter unique to either).
_UKRAINIAN_WORDS = frozenset(
    "що як та але або чи мені мене вона воно вони ми ви ваш ваша наш наша коли де куди "
    "тут там зараз вже ще дуже треба потрібно можна будь ласка дякую добре так ні "
    "робити зробити хочу маю немає нема який яка яке які скільки чому зараз".split()
)
_RUSSIAN_WORDS = frozenset(
    "что как но или ли мне меня она оно они мы вы ваш наш когда где куда тут там "
    "сейчас уже еще очень надо нужно можно пожалуйста спасибо хорошо да нет делать "
    "сделать хочу есть нету какой какая какое какие сколько почему".split()
)
# Han characters only one of the two languages writes: simplified Chinese forms and particles,
# and the Japanese (shinjitai) forms of the same words. Kanji-only Japanese ("永住許可申請")
# is told from Chinese by these; lingua alone calls almost any Han text Chinese.
_CHINESE_ONLY = frozenset(
    "们这么吗呢吧说对还没给让谁哪个为过请办丢签许资变证续归劳验营转关发广卖读样气从际险岁录职业专门问"
    "间题时书类备认难审查愿离亲儿东县场机务纷灾护长语话电络连谈经济报该怎图别满应选"
)
_JAPANESE_ONLY = frozenset(
    "許請資変証続帰労働験営転関発広売読様込気従際険歳録職業専門問間題時書類備認難審査願離親児東県場"
    "機務紛災護長語話電絡連談経済報該図満応選届"
)

# The pairs a short message can leave undecided; a client's hint may settle them.
_CONFUSABLE = {"ru": "uk", "uk": "ru", "zh": "ja", "ja": "zh"}

_LINGUA_CODES = {
    Language.ENGLISH: "en",
    Language.RUSSIAN: "ru",
    Language.UKRAINIAN: "uk",
    Language.CHINESE: "zh",
    Language.JAPANESE: "ja",
}


@dataclass(frozen=True)
class Detection:
    """The detected language and how sure the detector is (0..1)."""

    language: str
    confidence: float


class LanguageIdentifier:
    """Detect en, ru, uk, zh or ja; build once per process, then call ``detect``."""

    def __init__(self, detector: LanguageDetector) -> None:
        self._detector = detector

    @classmethod
    def build(cls) -> "LanguageIdentifier":
        """Build the detector with the five languages' models preloaded."""
        detector = (
            LanguageDetectorBuilder.from_languages(*_LINGUA_CODES)
            .with_preloaded_language_models()
            .build()
        )
        return cls(detector)

    def _lingua(self, text: str, candidates: tuple[str, ...]) -> Detection | None:
        values = self._detector.compute_language_confidence_values(text)
        scores = {_LINGUA_CODES[value.language]: value.value for value in values}
        best = max(candidates, key=lambda code: scores.get(code, 0.0))
        total = sum(scores.get(code, 0.0) for code in candidates) or 1.0
        if scores.get(best, 0.0) <= 0.0:
            return None
        return Detection(best, scores[best] / total)

    def _cyrillic(self, text: str) -> Detection:
        cyrillic = " ".join(_CYRILLIC_RUN.findall(text)).lower()
        ukrainian_letters = len(_UKRAINIAN_LETTERS.findall(cyrillic))
        russian_letters = len(_RUSSIAN_LETTERS.findall(cyrillic))
        if ukrainian_letters != russian_letters:
            return Detection("uk" if ukrainian_letters > russian_letters else "ru", 1.0)
        words = _WORD.findall(cyrillic)
        ukrainian_words = sum(word in _UKRAINIAN_WORDS for word in words)
        russian_words = sum(word in _RUSSIAN_WORDS for word in words)
        if ukrainian_words != russian_words:
            return Detection("uk" if ukrainian_words > russian_words else "ru", 0.9)
        return self._lingua(cyrillic, ("ru", "uk")) or Detection("ru", 0.5)

    def _han(self, text: str) -> Detection:
        chinese = sum(char in _CHINESE_ONLY for char in text)
        japanese = sum(char in _JAPANESE_ONLY for char in text)
        if chinese != japanese:
            return Detection("zh" if chinese > japanese else "ja", 0.95)
        # Nothing tells them apart ("永住"): lingua decides, and is not sure.
        han = "".join(_HAN_RUN.findall(text))
        detection = self._lingua(han, ("zh", "ja")) or Detection("zh", 0.5)
        return Detection(detection.language, min(detection.confidence, 0.5))

    def detect(self, text: str, prior: str | None = None) -> Detection:
        """Return the language of ``text``; ``prior`` (a client's hint) breaks a tie."""
        if _KANA.search(text):
            return Detection("ja", 1.0)
        if _CYRILLIC.search(text):
            detection = self._cyrillic(text)
        elif _HAN.search(text):
            detection = self._han(text)
        elif re.search(r"[A-Za-z]", text):
            detection = Detection("en", 0.9)
        else:
            return Detection(prior or DEFAULT_LANGUAGE, 0.0)
        if prior and detection.confidence < 0.6 and _CONFUSABLE.get(detection.language) == prior:
            return Detection(prior, detection.confidence)
        return detection
