"""Language identification on short messages, the hard pairs included."""

from __future__ import annotations

import pytest

from bot.nlu.language_id import LanguageIdentifier


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.build()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I lost my card", "en"),
        ("can I go home for 8 months?", "en"),
        ("потерял карту резидента", "ru"),
        ("что делать", "ru"),
        ("загубив картку резидента", "uk"),
        ("що робити", "uk"),
        ("як продовжити візу", "uk"),
        ("как продлить визу", "ru"),
        ("在留卡丢了怎么办", "zh"),
        ("永住申请", "zh"),
        ("在留カードをなくしました", "ja"),
        ("永住許可申請", "ja"),
        ("zairyu card потерял", "ru"),
        ("zairyu card загубила", "uk"),
        ("visa 延长怎么办", "zh"),
        # Traditional Chinese (Taiwan, Hong Kong) shares 請, 許, 資, 問 with Japanese.
        ("請問在留卡遺失了要怎麼辦", "zh"),
        ("我想申請永住 需要什麼資料", "zh"),
        ("簽證到期前要怎麼延長", "zh"),
        ("在留資格変更許可申請", "ja"),
    ],
)
def test_detects_the_language(identifier: LanguageIdentifier, text: str, language: str) -> None:
    assert identifier.detect(text).language == language


def test_a_clients_hint_settles_a_near_tie(identifier: LanguageIdentifier) -> None:
    assert identifier.detect("永住", prior="ja").language == "ja"
    assert identifier.detect("永住", prior="zh").language == "zh"
    # Japanese or traditional Chinese: the conversation's language decides.
    assert identifier.detect("永住許可申請", prior="zh").language == "zh"
    assert identifier.detect("永住許可申請", prior="ja").language == "ja"


def test_empty_or_symbol_only_text_uses_the_hint_or_english(identifier: LanguageIdentifier) -> None:
    assert identifier.detect("", prior="ru").language == "ru"
    assert identifier.detect("👍👍").language == "en"
