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


# Run in the Rasa environment: the kana copies the pipeline adds to the Japanese training data.
KANA_COPIES = """
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.kana_variants import KanaVariants, KanaWriter

writer = KanaWriter()
# Kanji words become their reading in hiragana; katakana words stay as learners write them.
assert writer.write("在留カードをなくしました", spaced=False) == "ざいりゅうカードをなくしました", writer.write("在留カードをなくしました", spaced=False)
assert writer.write("在留カードをなくしました", spaced=True) == "ざいりゅうカードを なくしました"
assert writer.write("入管の場所を教えて", spaced=False) == "にゅうかんのばしょをおしえて"
# Nothing to copy: no kanji.
assert writer.write("ざいりゅうカードをなくしました", spaced=False) is None
# Romaji as people type it: words apart, endings on their word, particles as pronounced, long vowels doubled.
assert writer.romaji("在留カードをなくしました") == "zairyuu kaado o nakushimashita", writer.romaji("在留カードをなくしました")
assert writer.romaji("日本へ行きます") == "nihon e ikimasu", writer.romaji("日本へ行きます")
# A small っ doubles the next consonant and て joins its verb; punctuation is left out.
assert writer.romaji("入管に行ってください。") == "nyuukan ni itte kudasai", writer.romaji("入管に行ってください。")


def example(text, intent, language):
    message = Message(data={TEXT: text, INTENT: intent})
    message.set("language", language)
    return message


data = TrainingData(
    training_examples=[
        example("在留カードをなくしました", "lost_residence_card", "ja"),
        example("転入届はいつまでですか", "address_notification", "ja"),
        example("てんにゅうとどけは いつまで ですか", "address_notification", "ja"),  # already kana
        example("在留卡丢了怎么办", "lost_residence_card", "zh"),  # Chinese hanzi are not copied
        example("I lost my residence card", "lost_residence_card", "en"),
        Message(data={"action_name": "action_listen"}),  # dialogue messages pass through
    ]
)
kana_only = {"romaji_every": 0}
result = KanaVariants.create(kana_only, None, None, None).process_training_data(data)
added = [(m.get(TEXT), m.get(INTENT), m.get("language")) for m in result.training_examples[len(data.training_examples):]]
assert len(result.training_examples) == len(data.training_examples) + 2, added
assert {(intent, language) for _, intent, language in added} == {("lost_residence_card", "ja"), ("address_notification", "ja")}, added
assert all(not any("\\u4e00" <= ch <= "\\u9fff" for ch in text) for text, _, _ in added), added
assert [m.get(TEXT) for m in result.training_examples[: len(data.training_examples)]] == [m.get(TEXT) for m in data.training_examples]
# Training twice makes the same copies (the spacing is chosen by the text, not at random).
again = KanaVariants.create(kana_only, None, None, None).process_training_data(data)
assert [m.get(TEXT) for m in again.training_examples] == [m.get(TEXT) for m in result.training_examples]
# With a romaji copy of every example: each kanji example gets one more, in Latin letters, with the
# language the detector gives such a message (so it is split as a typed romaji message is).
romaji = KanaVariants.create({"romaji_every": 1}, None, None, None).process_training_data(data)
latin = [m for m in romaji.training_examples[len(data.training_examples):] if m.get(TEXT).isascii()]
assert sorted(m.get(TEXT) for m in latin) == ["tennyuu todoke wa itsu made desu ka", "zairyuu kaado o nakushimashita"], [m.get(TEXT) for m in latin]
from bot.nlu.language_id import LanguageIdentifier
assert all(m.get("language") == LanguageIdentifier.build().detect(m.get(TEXT)).language for m in latin)
assert len(romaji.training_examples) == len(result.training_examples) + 2
# Switched off, the data is left as it is.
assert KanaVariants.create({"enabled": False}, None, None, None).process_training_data(data) is data
# At parse time a message is read as written.
message = Message(data={TEXT: "在留カードをなくしました"})
assert KanaVariants.create({}, None, None, None).process([message])[0].get(TEXT) == "在留カードをなくしました"
print("kana copies made")
"""


@pytest.mark.slow  # starts the Rasa environment's Python (SudachiPy's dictionary): several seconds
def test_japanese_training_examples_with_kanji_get_a_kana_only_copy() -> None:
    assert_prints(KANA_COPIES, "kana copies made", timeout=120)
