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
# Ukrainian writes an apostrophe inside words (п'ять, сім'я) where Russian writes ъ or nothing.
_UKRAINIAN_APOSTROPHE = re.compile(r"[\u0400-\u04ff]['’ʼ][\u0400-\u04ff]")
_WORD = re.compile(r"[\w'’ʼ]+")

# Frequent words that only one of the two languages has, among those written without a letter
# unique to either (Ukrainian words with і, ї, є or ґ are decided by the letters already).
# A word both languages have ("так", "та", "тут", "наша", "хочу", "може") is in neither list.
_UKRAINIAN_WORDS = frozenset(
    """
    що щоб як але або чи це цей ця цю цього цьому хто мене вона воно вони ми ви коли де куди
    зараз вже ще дуже треба потрібно можна будь ласка дякую добре робити зробити зробив зробила
    маю немає нема який яка яке яку якого якщо чому бо теж також тобто поки ось отже адже тож
    гаразд звичайно авжеж бувай прощавай щиро вдячна вдячний був була було були буде будуть
    хоче хочемо хочеш отримати отримав отримала отримую допоможи допоможіть допомога допомогу
    з ти нова живою людиною людина питання працювати працюю картка картку карткою
    """.split()
)
_RUSSIAN_WORDS = frozenset(
    """
    что как но или ли мне меня она оно они когда где куда сейчас еще очень надо нужно нужна
    нужен можно пожалуйста спасибо хорошо да нет нету делать сделать сделал сделала есть какой
    какая какое какие какую сколько почему зачем кто с со к ко из если только тоже потом потому
    сегодня вчера здесь его ее мой мое мои твой свой был была было были будет хочет хотел хотела
    привет пока здравствуйте помогите помоги помощь получить получил получила вопрос ответ
    человек человеком живой работа работу работать карточка карточку который которая которое
    которую чем вот ничего всего доброй утро утра ночи вечер ни нибудь либо лет
    """.split()
)
# Word endings only one language has. Russian: -ие/-ия/-ию/-ии (Ukrainian -іє, -ія...),
# adjectives in -ая/-яя/-ое/-ой (Ukrainian -а, -е, -ій/-ої), verbs in -ешь/-ишь, -еть and the
# 3rd person plural -ают/-яют/-уют/-еют (Ukrainian -еш/-иш, -ють). Ukrainian: -ння/-ття/-ього
# (Russian -ние/-тие/-его), -еш/-иш and -ють.
_RUSSIAN_ENDINGS = ("ие", "ия", "ию", "ии", "ая", "яя", "ое", "ой", "шь", "еть", "ают", "яют", "уют", "еют")
_UKRAINIAN_ENDINGS = ("ння", "ття", "ього", "еш", "иш", "ють")

# Han characters that tell Chinese from Japanese. Simplified Chinese forms and Chinese particles,
# and the traditional forms Taiwan and Hong Kong write where Japanese has its own (shinjitai)
# form (們, 這, 證, 續): Chinese. The shinjitai forms (変, 証, 続, 帰): Japanese. Kanji-only
# Japanese ("在留資格変更") is told from Chinese by these; lingua alone calls almost any Han
# text Chinese. Characters that Japanese and traditional Chinese write alike (許, 請, 資, 問)
# are not evidence of either: only when nothing else decides do they lean to Japanese, weakly
# (most Chinese speakers here write simplified, and a traditional-Chinese sentence usually has
# a particle or a traditional-only form). Characters all three write alike (没, 来, 写) are in
# no set.
_CHINESE_ONLY = frozenset(
    "的们这么吗呢吧啊呀嘛您她什个卡说对还给让谁哪怎为过请办丢签许资变证续归劳验营转关发广卖读样气从际险岁"
    "录职业专门问间题时书类备认难审查愿离亲儿东县场机务纷灾护长语话电络连谈经济报该图别满应选换开线网边"
    "见觉习进运动员结级单码钱银馆厅处罚复补权约绍驻迟违强贴妇纳态异议诉讼师窗户"
    "們這麼嗎說對還給讓誰為過辦簽變證續歸勞驗營轉關發廣賣讀樣氣從險歲錄專查兒縣經濟圖別滿應邊覺單碼錢廳處權遲戶國學區與來寫號沒裡麽啦喔哦幫獲買辭婚"
)
_JAPANESE_ONLY = frozenset("変証続帰労働験営転関発広売読様込気従険歳録専査児県済図満応届払円戻辺実対価総収単庁処覚権遅戸弁窓駅々")
_NOT_SIMPLIFIED = frozenset(
    "許請資際職業門問間題時書類備認難審願離親東場機務紛災護長語話電絡連談経報該選銀館罰補復結級員動運進見習線網開換個約紹駐違強貼婦納態異議訴訟師"
)
# Hiragana is what Japanese grammar is written in; katakana alone is often a loanword that
# Chinese speakers in Japan mix in ("在留カード丢了怎么办").
_HIRAGANA = re.compile(r"[\u3040-\u309f]")

# The pairs a short message can leave undecided; a client's hint may settle them.
_CONFUSABLE = {"ru": "uk", "uk": "ru", "zh": "ja", "ja": "zh"}

_LINGUA_CODES = {
    Language.ENGLISH: "en",
    Language.RUSSIAN: "ru",
    Language.UKRAINIAN: "uk",
    Language.CHINESE: "zh",
    Language.JAPANESE: "ja",
}


def _has_ending(word: str, endings: tuple[str, ...]) -> bool:
    return len(word) > 3 and word.endswith(endings)


def _margin_confidence(margin: int) -> float:
    # One distinguishing word or character is weaker evidence than two or more.
    return 0.9 if margin >= 2 else 0.7


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
    def build(cls) -> LanguageIdentifier:
        """Build the detector with the five languages' models preloaded."""
        detector = LanguageDetectorBuilder.from_languages(*_LINGUA_CODES).with_preloaded_language_models().build()
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
        ukrainian_letters += len(_UKRAINIAN_APOSTROPHE.findall(cyrillic))
        if ukrainian_letters != russian_letters:
            return Detection("uk" if ukrainian_letters > russian_letters else "ru", 1.0)
        words = _WORD.findall(cyrillic)
        ukrainian_words = sum(word in _UKRAINIAN_WORDS or _has_ending(word, _UKRAINIAN_ENDINGS) for word in words)
        russian_words = sum(word in _RUSSIAN_WORDS or _has_ending(word, _RUSSIAN_ENDINGS) for word in words)
        if ukrainian_words != russian_words:
            language = "uk" if ukrainian_words > russian_words else "ru"
            return Detection(language, _margin_confidence(abs(ukrainian_words - russian_words)))
        return self._lingua(cyrillic, ("ru", "uk")) or Detection("ru", 0.5)

    def _han(self, text: str) -> Detection:
        chinese = sum(char in _CHINESE_ONLY for char in text)
        japanese = sum(char in _JAPANESE_ONLY for char in text)
        if chinese != japanese:
            return Detection("zh" if chinese > japanese else "ja", _margin_confidence(abs(chinese - japanese)))
        if not chinese and any(char in _NOT_SIMPLIFIED for char in text):
            return Detection("ja", 0.5)  # "永住許可申請": Japanese or traditional Chinese; leans Japanese
        # Nothing tells them apart ("永住"): lingua decides, and is not sure.
        han = "".join(_HAN_RUN.findall(text))
        detection = self._lingua(han, ("zh", "ja")) or Detection("zh", 0.5)
        return Detection(detection.language, min(detection.confidence, 0.5))

    def _kana(self, text: str) -> Detection:
        # Kana is Japanese, unless Chinese-only characters outweigh the Japanese evidence:
        # a Chinese sentence around a katakana (or hiragana) term from the procedures.
        chinese = sum(char in _CHINESE_ONLY for char in text)
        japanese = len(_HIRAGANA.findall(text)) + sum(char in _JAPANESE_ONLY for char in text)
        if chinese >= 2 and 2 * chinese > japanese:
            return Detection("zh", 0.8)
        return Detection("ja", 1.0)

    def detect(self, text: str, prior: str | None = None) -> Detection:
        """Return the language of ``text``; ``prior`` (a client's hint) breaks a tie."""
        if _KANA.search(text):
            return self._kana(text)
        if _CYRILLIC.search(text):
            detection = self._cyrillic(text)
        elif _HAN.search(text):
            detection = self._han(text)
        elif re.search(r"[A-Za-z]", text):
            # One or two Latin words ("ok", "Osaka", "zairyu card") are often loanwords typed
            # by speakers of the other languages: a weak signal the dialogue may overrule.
            detection = Detection("en", 0.9 if len(_WORD.findall(text)) >= 3 else 0.4)
        else:
            return Detection(prior or DEFAULT_LANGUAGE, 0.0)
        if prior and detection.confidence < 0.6 and _CONFUSABLE.get(detection.language) == prior:
            return Detection(prior, detection.confidence)
        return detection
