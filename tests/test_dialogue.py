"""Whole conversations of tests/dialogue/conversations.yml, against the real servers.

The same file `make evaluate-dialogue` reports on; here every conversation must pass.
"""

from __future__ import annotations

import pytest

from bot.devtools.dialogue_eval import CONVERSATIONS, load_conversations, play_all, report
from bot.languages import LANGUAGES
from tests.phrases import TODAY

FILE_TODAY, CONVERSATION_LIST = load_conversations(CONVERSATIONS)


def test_the_conversations_cover_every_pattern_in_every_language() -> None:
    assert FILE_TODAY == TODAY, "the action server's today must be the file's"
    cells: dict[tuple[str, str], int] = {}
    for conversation in CONVERSATION_LIST:
        cells[(conversation.pattern, conversation.language)] = cells.get((conversation.pattern, conversation.language), 0) + 1
    patterns = {pattern for pattern, _ in cells}
    assert {"interruption", "correction", "follow_up", "facts_up_front", "hedge", "cancellation", "repeat", "bounds"} <= patterns
    for pattern in patterns:
        assert sum(count for (p, _), count in cells.items() if p == pattern) >= 10, pattern
        for language in LANGUAGES:
            assert cells.get((pattern, language), 0) >= 1, (pattern, language)


@pytest.mark.timeout(1800)
def test_every_conversation_passes(rasa_server: str) -> None:
    outcomes = play_all(rasa_server, CONVERSATION_LIST)
    assert all(outcome.passed for outcome in outcomes), report(outcomes)
