"""Kana-only, romaji and kanji Japanese meet: the sound key and what the model reads."""

from __future__ import annotations

import pytest

from tests.rasa_environment import assert_prints, parse_message

# Run in the Rasa environment, where SudachiPy and jaconv live.
SOUND_KEYS = """
from bot.nlu.readings import SoundKeys, normalise_romaji

keys = SoundKeys()
same = [
    [("在留カード", "ja"), ("ざいりゅうかーど", "ja"), ("ザイリュウカード", "ja"), ("zairyuu kaado", "en"), ("zairyu kado", "en")],
    [("仙台", "ja"), ("せんだい", "ja"), ("Sendai", "en")],
    [("入管", "ja"), ("にゅうかん", "ja"), ("nyuukan", "en"), ("nyukan", "en")],
    [("再入国許可", "ja"), ("さいにゅうこくきょか", "ja"), ("sainyuukoku kyoka", "en")],
]
for group in same:
    found = {text: keys.key(text, language) for text, language in group}
    assert len(set(found.values())) == 1, found
# The particles を and は are written as pronounced, as romaji users write them.
assert keys.key("カードを", "ja") == keys.key("kado o", "en"), (keys.key("カードを", "ja"), keys.key("kado o", "en"))
# Cyrillic and Chinese have no sound key; a Chinese sentence around a katakana word does.
assert keys.key("Потерял карту", "ru") == ""
assert keys.key("在留卡丢了怎么办", "zh") == ""
assert normalise_romaji("ZAIRYUU-KAADO") == "zairyukado"
print("sound keys agree")
"""


@pytest.mark.slow  # starts the Rasa environment's Python (SudachiPy's dictionary): several seconds
def test_kana_romaji_and_kanji_spellings_share_one_sound_key() -> None:
    assert_prints(SOUND_KEYS, "sound keys agree", timeout=120)


# The same question in kanji, in kana only, and in romaji (docs/intents.md names the intents).
SPELLINGS = [
    (
        "lost_residence_card",
        ["在留カードをなくしました。どうすればいいですか", "ざいりゅうかーどをなくしました。どうすればいいですか"],
    ),
    ("find_immigration_office", ["仙台の入管はどこですか", "せんだいのにゅうかんはどこですか"]),
    (
        "reentry_permit",
        ["再入国許可をとりたいです。どうすればいいですか", "さいにゅうこくきょかをとりたいです。どうすればいいですか"],
    ),
]


@pytest.mark.parametrize(("intent", "spellings"), SPELLINGS, ids=[intent for intent, _ in SPELLINGS])
def test_a_question_in_kana_only_is_read_as_in_kanji(rasa_server: str, intent: str, spellings: list[str]) -> None:
    assert [parse_message(rasa_server, text)["intent"]["name"] for text in spellings] == [intent] * len(spellings)
