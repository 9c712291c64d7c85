"""Read durations, yes/no, hedges, loss reasons, stay plans and language requests from free text.

Helpers of actions.parsing, which exports every public name here; import them from there.
"""

from __future__ import annotations

import re
import unicodedata

DURATION_BOUNDS_MONTHS = (0.0, 120.0)  # longer than ten years away is a misreading or a different procedure

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_TENS = re.compile(r"([一二两兩三四五六七八九])?十([一二三四五六七八九])?")


def fold_text(text: str) -> str:
    """Fold full-width forms, case and apostrophes (’ ʼ → ') so patterns need one spelling."""
    return unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)


def _kanji_tens(match: re.Match[str]) -> str:
    """Write 十, 十二, 二十 and 二十五 as digits."""
    tens = _KANJI_DIGITS[match.group(1)] if match.group(1) else 1
    ones = _KANJI_DIGITS[match.group(2)] if match.group(2) else 0
    return str(tens * 10 + ones)


def normalize_text(text: str) -> str:
    """Fold the text (see fold_text) and write kanji numbers as digits (二十五 → 25, 两年 → 2年)."""
    folded = _KANJI_TENS.sub(_kanji_tens, fold_text(text))
    return "".join(str(_KANJI_DIGITS[c]) if c in _KANJI_DIGITS else c for c in folded)


_WORD_NUMBERS: dict[str, float] = {
    # en
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "eighteen": 18,
    "twenty": 20,
    "couple of": 2,
    "a couple of": 2,
    # ru
    "один": 1,
    "одну": 1,
    "одна": 1,
    "одного": 1,
    "два": 2,
    "две": 2,
    "двух": 2,
    "три": 3,
    "трех": 3,
    "трёх": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
    "десять": 10,
    "одиннадцать": 11,
    "двенадцать": 12,
    "полтора": 1.5,
    "полторы": 1.5,
    # uk (the words it shares with ru are above)
    "дві": 2,
    "двох": 2,
    "трьох": 3,
    "чотири": 4,
    "п'ять": 5,
    "шість": 6,
    "сім": 7,
    "вісім": 8,
    "дев'ять": 9,
    "одинадцять": 11,
    "дванадцять": 12,
    "півтора": 1.5,
    # ja kana, with the clipped forms of いっかげつ and はっかげつ
    "いち": 1,
    "いっ": 1,
    "に": 2,
    "さん": 3,
    "よん": 4,
    "ご": 5,
    "ろく": 6,
    "ろっ": 6,
    "なな": 7,
    "しち": 7,
    "はち": 8,
    "はっ": 8,
    "きゅう": 9,
    "じゅう": 10,
    "じゅっ": 10,
    "じっ": 10,
    "じゅういち": 11,
    "じゅういっ": 11,
    "じゅうに": 12,
    # ja romaji
    "ichi": 1,
    "ni": 2,
    "san": 3,
    "yon": 4,
    "go": 5,
    "roku": 6,
    "nana": 7,
    "hachi": 8,
    "kyuu": 9,
    "juu": 10,
    "juuni": 12,
}
_DURATION_UNITS = [  # a bare 月 or 日 is a date (3月, 5日), not a duration
    (r"years?|yrs?|год(?:а|ов)?|лет|рок(?:у|и|ів)?|рік|年|ねん|nen", 12.0),
    (r"months?|mos?|месяц\w*|мес|місяц\w*|міс|[个個]月|[かヶカケヵ箇]月|かげつ|kagetsu", 1.0),
    (r"weeks?|wks?|недел\w*|нед|тижн\w*|тиждень|[个個]?星期|[个個]?礼拜|周|週間|週|しゅうかん|shuu?kan", 12.0 / 52),
    (r"days?|дн(?:я|ей|і|ів)|день|天|日間|日间|にち|nichi", 12.0 / 365),
]
_NUMBER = "|".join(sorted((re.escape(word) for word in _WORD_NUMBERS), key=len, reverse=True))
_DURATIONS = [
    (
        re.compile(
            rf"(?<![0-9a-zа-яёіїєґ.])(\d+(?:[.,]\d+)?|{_NUMBER})\s*-?\s*(?:{unit})(?![a-zа-яёіїєґ'])"
            r"(\s*(?:半|はん|and a half|с половиной|з половиною))?"
        ),
        months,
    )
    for unit, months in _DURATION_UNITS
]
_HALVES = [  # read before numbers, or "half a year" would be "a year"
    (re.compile(r"half a year|half year|полгода|пол года|полугод\w*|пів ?року|半年|はんとし|hantoshi"), 6.0),
    (re.compile(r"half a month|пол ?месяца|пів ?місяця|半[个個]?月|はんつき"), 0.5),
]
_BARE_UNITS = [(re.compile(r"(?<!\w)(?:год|рік)(?!\w)"), 12.0), (re.compile(r"(?<!\w)(?:месяц|місяць)(?!\w)"), 1.0)]


def _number_value(raw: str) -> float:
    """Read a number written in digits or as a word."""
    return float(raw.replace(",", ".")) if raw[0].isdigit() else float(_WORD_NUMBERS[raw])


def parse_duration_months(text: str) -> float | None:
    """Return how many months a message says ("8 months", "полгода", "两年", "さんかげつ"), or None."""
    # out-of-bounds values are returned too (see duration_in_bounds): "too long" is not "not read"
    normalized = re.sub(r"([个個])半月", r"\1月半", normalize_text(text))  # 一个半月: one and a half months
    for pattern, months in _HALVES:
        if pattern.search(normalized):
            return months
    for pattern, months in _DURATIONS:
        for match in pattern.finditer(normalized):
            raw = match.group(1)
            if months == 12.0 and raw.isdigit() and len(raw) == 4:
                continue  # a year of the calendar, not a number of years
            value = _number_value(raw) + (0.5 if match.group(2) else 0.0)
            return round(value * months, 2)
    for pattern, months in _BARE_UNITS:
        if pattern.search(normalized):
            return months
    return None


def duration_in_bounds(months: float) -> bool:
    """Tell whether a duration is one the flows can answer about: above 0 and at most 120 months."""
    low, high = DURATION_BOUNDS_MONTHS
    return low < months <= high


_UNSURE = re.compile(
    r"\b(?:don't|do not|dont) know\b|\bidk\b|\bnot (?:sure|certain)\b|\bunsure\b|\bno (?:idea|clue)\b|\bmaybe\b"
    r"|\bperhaps\b|\bdunno\b|\b(?:can't|cannot|can not|don't|do not) (?:remember|recall)\b"
    r"|не знаю|не уверен|понятия не име|без понятия|не помню|не могу вспомнить|может быть|возможно"
    r"|не пам'ятаю|не впевнен|гадки не маю|може бути|можливо|не можу згадати"
    r"|不知道|不清楚|不确定|不確定|记不得|記不得|记不清|記不清|不记得|不記得|也许|也許|或许|或許|说不定|說不定"
    r"|わから|分から|わかりません|分かりません|わかんな|しらな|知らな|しりません|知りません|たぶん|多分"
    r"|覚えてい?な|おぼえてい?な|覚えていません|おぼえていません|かもしれ|\bwakara|\bshiranai\b|\btabun\b"
)
_YES = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|sure|correct|right|ok|okay|of course|да|ага|верно|конечно|так|звісно|авжеж)(?:\W|$)"
    r"|是|有|对(?!不起)|對(?!不起)|好(?!像)|嗯|はい|ええ(?!と|っと)|うん|そうです|あります|います)"
)
_NO = re.compile(  # CJK answers run on without spaces (没有被判过刑), so they need no word boundary
    r"^(?:(?:no|nope|not|never|нет|неа|никогда|не было|не был|не была|ні|ніколи|не було)(?:\W|$)"
    r"|不(?!错|錯)|没|沒|否|いいえ|ううん|いや|ありません|いません|ない|ちがい|違い)"
)
# A reply that opens with a whole yes or no word set off by a comma or a full stop, or that is one ("да, больше
# ничего", "no, everything is fine", "是的，没有别的问题", "いいえ、だいじょうぶです"). Only such an
# opening outweighs the classifier: without the comma the word may begin something else ("так и не
# нашёл", "right now", "no problem", "没错", "有点难", "そうですね").
_OPENING_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|of course|да|ага|конечно|так|звісно|авжеж|是的|是|对|對|好的|嗯|はい|ええ|うん)\s*(?:[,.!;、，。！]|$)"
)
_OPENING_NO = re.compile(
    r"^(?:no|nope|нет|неа|ні|не|не было|не було|不是|不|没有|沒有|いいえ|ううん|いや)\s*(?:[,.!;、，。！]|$)"
)
# Japanese answers a negative question with はい and a negative verb ("はい、ありません": "right, there is
# none"): after a yes, such a verb makes the reply ambiguous.
_JAPANESE_NEGATIVE = re.compile(r"^(?:ありません|いません|ない|なかった|なし|してない|していない|しません)")
_SEPARATORS = " ,.!;:、，。！"


def _opening_answer(normalized: str) -> bool | None:
    """Return the yes or no a reply opens with ("да, больше ничего": yes), or None.

    None when it opens with neither, or goes on with the other ("да, нет", "yes, no").
    """
    for opening, other, answer in ((_OPENING_YES, _OPENING_NO, True), (_OPENING_NO, _OPENING_YES, False)):
        match = opening.match(normalized)
        if match:
            rest = normalized[match.end() :].lstrip(_SEPARATORS)
            return None if other.match(rest) or (answer and _JAPANESE_NEGATIVE.match(rest)) else answer
    return None


def is_unsure(text: str) -> bool:
    """Tell whether a message is a hedge ("no idea", "не знаю", "不知道", "わからない"), which is neither yes nor no."""
    return bool(_UNSURE.search(fold_text(text)))


def parse_yes_no(text: str, intent: str | None) -> bool | None:
    """Return True for yes, False for no, or None for hedges and the rest.

    A reply that opens with a whole yes or no word and a comma, or is only that word ("да, больше
    ничего", "no, everything is fine"), is that answer, whatever the rest sounds like to the
    classifier ("больше ничего" sounds like a no, "всё верно" like a yes); otherwise the intent
    decides (affirm, deny), then the words.
    """
    if is_unsure(text):
        return None  # a classifier may label "no idea" as deny
    normalized = normalize_text(text).strip()
    opening = _opening_answer(normalized)
    if opening is not None:
        return opening
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    if _NO.search(normalized):
        return False
    if _YES.search(normalized):
        return True
    return None


LOSS_REASONS: dict[str, str] = {  # checked in this order; only explicit statements, not "my residence card"
    "stolen": r"\bstole|\btheft|\bthie(?:f|ves)|\brobbed|pickpocket|\btook (?:it|them|my)\b|\btaken\b|укра(?:л|д)|краж"
    r"|\bвор(?:а|ы|ов)?\b|вкра(?:в|л|д)|краді|злоді|поцуп|взяли|вытащил|вытянул|забрали|витягл|витягну"
    r"|被偷|偷|被盗|盗|扒手|拿走|すられ|スリ|とられ|取られ|ぬすまれ",
    "disaster": r"disaster|\bfires?\b|\bflood|earthquake|typhoon|tsunami|пожар|наводнен|землетряс|стихийн|тайфун|повін"
    r"|землетрус|стихійн|火灾|火災|火事|燃え|焼け|地震|洪水|台风|台風|灾害|災害|津波|水害|罹災|被災"
    r"|かじ(?:で|に|が|の|$)|じしん|つなみ|こうずい|たいふう|さいがい",
    "lost": r"\blost\b|\blose\b|\blosing\b|missing|can't find|cannot find|потерял|потеря|утерян|утеря|не могу найти"
    r"|пропал|загуб|втрат|не можу знайти|\bзник|丢|遗失|遺失|找不到|不见了|落とし|おとし|なくし|なくな|無くし"
    r"|紛失|失くし|見つからない|みつからない",
}


def parse_loss_reason(text: str) -> str | None:
    """Return 'stolen', 'disaster' or 'lost' when a message says how the card was lost."""
    normalized = normalize_text(text)
    for reason, pattern in LOSS_REASONS.items():
        if re.search(pattern, normalized):
            return reason
    return None


# (pattern, stays) in order; a match is blanked out before the next pattern, so "won't go home" is not leaving
_STAY_RULES = [
    (re.compile(pattern), stays)
    for pattern, stays in [
        (
            r"\b(?:won't|will not|not going to|don't|do not|never) (?:go|leave|return|move)\b|не (?:уедем|уедет|уезжаем"
            r"|вернёмся|вернемся|поедем)|не (?:поїдемо|виїдемо|повернемося|їдемо)",
            True,
        ),
        (
            r"\b(?:won't|will not|not going to|don't|do not|not) (?:stay|liv|remain)\w*|не (?:останемся|останется|будем жить"
            r"|будет жить)|не (?:залишимося|залишимось|залишиться|будемо жити|буде жити|житиме)",
            False,
        ),
        (
            r"\b(?:live|lives|living|stay|stays|staying|remain|remains|remaining|raise|raising)\b|будет жить|будем жить"
            r"|живём|живем|живут|останемся|остаёмся|остаемся|останется|остаётся|остается|житиме|буде жити|будемо жити"
            r"|живемо|живуть|залиша\w*|залишимо\w*|залишит\w*|лишаємо\w*",
            True,
        ),
        (
            r"\b(?:go|going|goes) (?:back|home)\b|\bleav(?:e|ing)\b|\btak(?:e|ing) (?:him|her|them|the (?:baby|child|kid)|our \w+)"
            r"(?: \w+){0,3} (?:abroad|home|back)\b|\bmov(?:e|ing) (?:abroad|away)\b|\breturn(?:ing)? (?:home|to)\b|\bmove back\b"
            r"|\bfly(?:ing)? (?:home|back)\b|\bhead(?:ing)? home\b|уедем|уедет|уезжаем|уезжает|вернёмся|вернемся"
            r"|возвращаемся|домой|поїдемо|виїдемо|повернемося|повертаємося|додому",
            False,
        ),
    ]
]
_STAY_RULES_CJK = [
    (re.compile(pattern), stays)
    for pattern, stays in [  # read with spaces removed: 日本に すみます
        (r"不回国|不回國|不回去|不走|かえりません|帰りません|かえらない|帰らない", True),
        (r"不住|不会住|不會住|不留|すまない|住まない", False),
        (
            r"住在|一直住|一起住|住日本|留在日本|待在日本|呆在日本|在日本生活|在日本长大|在日本長大|(?:に|で)(?:すみ|住み|すむ|住む|すん|住ん)"
            r"|日本にいる|日本にいます|のこります|残ります|ずっと|そだて|育て|くらし|暮らし",
            True,
        ),
        (
            r"回国|回國|回去|回老家|离开日本|離開日本|かえります|帰ります|かえる|帰る|帰国|きこく|もどります|戻ります|出国|しゅっこく",
            False,
        ),
    ]
]


def parse_stay_plan(text: str) -> bool | None:
    """Return True when a message says the child stays in Japan, False when the family leaves soon, or None."""
    folded = fold_text(text)
    answers: set[bool] = set()
    for rules, target in ((_STAY_RULES, folded), (_STAY_RULES_CJK, re.sub(r"\s+", "", folded))):
        for pattern, stays in rules:
            target, hits = pattern.subn(" ", target)
            if hits:
                answers.add(stays)
    return answers.pop() if len(answers) == 1 else None  # both said, or neither: ask again


# Chinese names in simplified and traditional characters (Taiwan, Hong Kong: 日語, 普通話).
_LANGUAGE_NAMES = {
    "uk": r"ukrain|украин|україн|乌克兰|烏克蘭|ウクライナ",
    "ru": r"russian|русск|по-русски|російськ|росій|俄|ロシア",
    "en": r"english|англ|英",
    "zh": r"chinese|китай|中文|汉语|漢語|普通话|普通話|华语|華語|中国語|中国话|中國話",
    "ja": r"japanese|япон|日语|日語|日本語|日本话|日本話|にほんご",
}


def parse_target_language(text: str) -> str | None:
    """Return the language a user asks to switch to ("говори по-украински" → 'uk'), or None."""
    normalized = normalize_text(text)
    for language, pattern in _LANGUAGE_NAMES.items():
        if re.search(pattern, normalized):
            return language
    return None
