"""The inbox of misunderstood messages, read from a tracker store as Rasa's SQLTrackerStore writes it.

The fast tests write `events` rows with Rasa's schema (the columns and JSON of its events);
the slow one produces a fallback through the real Rasa server and finds it in its store.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.devtools.nlu_data import NLU_DATA_DIR
from bot.paths import PROJECT_ROOT
from bot.trainer import settings as trainer_settings
from bot.trainer.decisions import Decisions
from bot.trainer.inbox import (
    InboxError,
    InboxGroup,
    InboxMessage,
    fallback_thresholds,
    find_message,
    message_key,
    read_inbox,
)
from tests.conftest import chat
from tests.tracker_rows import T0, Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "tracker.sqlite")


@pytest.fixture()
def decisions(tmp_path: Path) -> Iterator[Decisions]:
    decided = Decisions(f"sqlite:///{tmp_path / 'trainer.sqlite'}")
    yield decided
    decided.close()


def messages(groups: list[InboxGroup]) -> list[InboxMessage]:
    return [message for group in groups for message in group.messages]


def by_text(groups: list[InboxGroup]) -> dict[str, InboxMessage]:
    return {message.text: message for message in messages(groups)}


# ---------------------------------------------------------------------------------------------
# Every reason


def test_a_fallback_is_in_the_inbox_with_the_likeliest_intent_and_the_bots_reply(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.fell_back("my zaryu thing is gone??", [("lost_residence_card", 0.31), ("residence_card_info", 0.2)])
    [group] = read_inbox(store.write(), decisions)
    [message] = group.messages
    assert (group.language, group.predicted_intent) == ("en", "lost_residence_card")
    assert message.text == "my zaryu thing is gone??"
    assert message.reasons == ("fallback", "low_confidence")
    assert message.confidence == pytest.approx(0.31)
    assert message.bot_reply == "Sorry, I am not sure I understood. Did you mean one of these?"
    assert message.count == 1
    assert message.key == message_key("en", "my zaryu thing is gone??")
    assert message.last_seen == datetime.fromtimestamp(T0 + 4, tz=timezone.utc)


def test_the_dialogues_fallback_action_counts_too(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("purple monkey dishwasher", "greet", 0.9)
    chat_.action("action_default_fallback")
    chat_.bot("Sorry, I did not understand.", "utter_default")
    chat_.listen()
    assert by_text(read_inbox(store.write(), decisions))["purple monkey dishwasher"].reasons == ("fallback",)


def test_a_clarification_is_in_the_inbox(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    ranking = [("reentry_permit", 0.36), ("return_residence_card", 0.3)]
    chat_.user("card expired while abroad on special reentry", "nlu_fallback", 0.4, [("nlu_fallback", 0.4), *ranking])
    chat_.action("action_did_you_mean")
    chat_.bot("Your message seems to be about two things. Which one first?", "utter_which_do_you_mean")
    chat_.listen()
    [message] = messages(read_inbox(store.write(), decisions))
    assert message.reasons == ("clarification", "low_confidence")
    assert message.predicted_intent == "reentry_permit"


def test_low_confidence_uses_config_ymls_fallback_thresholds(store: Store, decisions: Decisions) -> None:
    thresholds = fallback_thresholds()
    assert (thresholds.threshold, thresholds.ambiguity) == (0.4, 0.25)  # config.yml's FallbackClassifier
    chat_ = store.conversation()
    chat_.answered(
        "visa is ending what now",
        "extend_period_of_stay",
        confidence=0.55,
        ranking=[("extend_period_of_stay", 0.55), ("change_status_of_residence", 0.4)],
    )
    chat_.answered(
        "how do i extend my visa",
        "extend_period_of_stay",
        confidence=0.9,
        ranking=[("extend_period_of_stay", 0.9), ("change_status_of_residence", 0.05)],
    )
    found = by_text(read_inbox(store.write(), decisions))
    assert found["visa is ending what now"].reasons == ("low_confidence",)
    assert "how do i extend my visa" not in found


def test_a_thumbs_down_marks_the_rated_message_and_a_thumbs_up_does_not(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.answered("can i work part time as a student", "work_permission_outside_status")
    chat_.user("/feedback_not_helpful", "feedback_not_helpful", 1.0)
    chat_.listen()
    other = store.conversation()
    other.answered("can i work at a konbini on a student visa", "work_permission_outside_status")
    other.user("/feedback_helpful", "feedback_helpful", 1.0)
    other.listen()
    found = by_text(read_inbox(store.write(), decisions))
    assert found["can i work part time as a student"].reasons == ("thumbs_down",)
    assert "can i work at a konbini on a student visa" not in found
    assert not any(text.startswith("/") for text in found)


def test_a_thumbs_down_on_a_flows_answer_marks_the_message_that_started_the_flow(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("they took my bag with the card in it", "lost_residence_card", 0.8)
    chat_.action("lost_card_form")
    chat_.loop("lost_card_form")
    chat_.bot("When did you notice the card was missing?", "utter_ask_lost_noticed_date")
    chat_.listen()
    chat_.user("yesterday", "inform", 0.9)
    chat_.action("lost_card_form")
    chat_.loop(None)
    chat_.action("action_lost_card_answer")
    chat_.bot("Apply by Friday, 18 December.", "utter_lost_card_deadline")
    chat_.listen()
    chat_.user("/feedback_not_helpful", "feedback_not_helpful", 1.0)
    chat_.listen()
    [message] = messages(read_inbox(store.write(), decisions))
    assert (message.text, message.reasons) == ("they took my bag with the card in it", ("thumbs_down",))


def test_no_thats_not_what_i_asked_marks_the_message_it_answered(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.answered("можно уехать домой на год", "return_residence_card", language="ru")
    chat_.user("нет, я не об этом", "deny", language="ru")
    chat_.action("utter_anything_else")
    chat_.bot("Хорошо. Что еще вы хотели бы узнать?", "utter_anything_else")
    chat_.listen()
    [group] = read_inbox(store.write(), decisions)
    assert group.language == "ru"
    assert [(message.text, message.reasons) for message in group.messages] == [
        ("можно уехать домой на год", ("not_what_i_asked",))
    ]


def test_a_no_to_the_bots_question_is_an_answer_not_a_complaint(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("thanks a lot", "thank")
    chat_.action("utter_thank")
    chat_.bot("You are welcome. Is there anything else I can help with?", "utter_thank")
    chat_.listen()
    chat_.user("no", "deny")
    chat_.action("utter_anything_else")
    chat_.bot("All right. What else would you like to know?", "utter_anything_else")
    chat_.listen()
    flow = store.conversation()
    flow.user("i want to leave japan, the departure order thing", "departure_order")
    flow.action("departure_order_form")
    flow.loop("departure_order_form")
    flow.bot("Did you come to the bureau on your own?", "utter_ask_do_appears_voluntarily", [{"title": "No", "payload": "/deny"}])
    flow.listen()
    flow.user("no I did not", "deny")
    flow.action("departure_order_form")
    flow.bot("Were you convicted of a crime?", "utter_ask_do_sentenced_for_crime")
    flow.listen()
    assert read_inbox(store.write(), decisions) == []


def test_a_cancelled_flow_marks_the_message_that_started_it(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("my card", "lost_residence_card", 0.7)
    chat_.action("action_procedure_summary")
    chat_.bot("Lost residence card: apply within 14 days.", "utter_procedure_summary")
    chat_.action("lost_card_form")
    chat_.loop("lost_card_form")
    chat_.bot("When did you notice the card was missing?", "utter_ask_lost_noticed_date")
    chat_.listen()
    chat_.user("stop", "stop")
    chat_.action("action_deactivate_loop")
    chat_.loop(None)
    chat_.action("action_cancel_flow")
    chat_.bot("OK, I stopped. Ask me anything else whenever you like.", "utter_flow_cancelled")
    chat_.listen()
    [message] = messages(read_inbox(store.write(), decisions))
    assert (message.text, message.reasons) == ("my card", ("cancelled_flow",))
    assert message.bot_reply == "Lost residence card: apply within 14 days.\nWhen did you notice the card was missing?"


def test_an_answer_the_form_read_is_understood_whatever_the_nlu_said(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("which immigration office should I go to?", "find_immigration_office")
    chat_.action("office_form")
    chat_.loop("office_form")
    chat_.bot("Which prefecture or city do you live in?", "utter_ask_office_prefecture")
    chat_.listen()
    chat_.user("Kobe", "nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("greet", 0.25), ("inform", 0.22)])
    chat_.action("office_form")
    chat_.loop(None)
    chat_.action("action_office_answer")
    chat_.bot("Immigration office for Hyogo: Kobe District Immigration Services Office", "utter_office")
    chat_.listen()
    assert read_inbox(store.write(), decisions) == []


def test_a_form_that_rejects_the_message_leaves_it_in_the_inbox(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("where do i go", "find_immigration_office")
    chat_.action("office_form")
    chat_.loop("office_form")
    chat_.bot("Which prefecture or city do you live in?", "utter_ask_office_prefecture")
    chat_.listen()
    chat_.user("the blue building thing", "nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("inform", 0.2)])
    chat_.rejected("office_form")
    chat_.action("action_did_you_mean")
    chat_.bot("Sorry, I did not understand.", "utter_default")
    chat_.listen()
    assert by_text(read_inbox(store.write(), decisions))["the blue building thing"].reasons == ("fallback", "low_confidence")


def test_button_payloads_are_never_messages(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.user("/lost_residence_card", "nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("lost_residence_card", 0.2)])
    chat_.action("action_did_you_mean")
    chat_.bot("Sorry, I did not understand.", "utter_default")
    chat_.listen()
    assert read_inbox(store.write(), decisions) == []


# ---------------------------------------------------------------------------------------------
# Grouping, merging, ordering


def test_messages_are_grouped_by_language_and_intent_and_merged_newest_first(store: Store, decisions: Decisions) -> None:
    lost = [("lost_residence_card", 0.3), ("residence_card_info", 0.1)]
    office = [("find_immigration_office", 0.3), ("contact_information_center", 0.2)]
    store.conversation(start=T0).fell_back("I lost my card!!", lost)
    store.conversation(start=T0 + 100).fell_back("ｉ ｌｏｓｔ ｍｙ ｃａｒｄ", lost)  # full width
    store.conversation(start=T0 + 200).fell_back("i   lost my CARD", lost)
    store.conversation(start=T0 + 300).fell_back("where is the immigration office in osaka", office)
    store.conversation(start=T0 + 400).fell_back("where is immigration office in osaka", office)  # ratio >= 0.9
    store.conversation(start=T0 + 500).fell_back("я потерял карту", lost, language="ru")
    store.conversation(start=T0 + 50).fell_back("something else entirely about cards", lost)
    groups = read_inbox(store.write(), decisions)

    assert [(group.language, group.predicted_intent) for group in groups] == [
        ("ru", "lost_residence_card"),
        ("en", "find_immigration_office"),
        ("en", "lost_residence_card"),
    ]
    office_group, lost_group = groups[1], groups[2]
    [osaka] = office_group.messages
    assert (osaka.text, osaka.count) == ("where is immigration office in osaka", 2)  # the newest wording shown
    assert [(message.text, message.count) for message in lost_group.messages] == [
        ("i   lost my CARD", 3),
        ("something else entirely about cards", 1),
    ]
    assert lost_group.messages[0].last_seen == datetime.fromtimestamp(T0 + 204, tz=timezone.utc)
    keys = [message.key for message in messages(groups)]
    assert len(keys) == len(set(keys))


def test_language_filter_and_limit(store: Store, decisions: Decisions) -> None:
    lost = [("lost_residence_card", 0.3)]
    for number, (language, text) in enumerate(
        [("en", "card gone what now"), ("ja", "カードがない どうしよう"), ("en", "zairyu vanished"), ("zh", "卡不见了怎么办")]
    ):
        store.conversation(start=T0 + 100 * number).fell_back(text, lost, language=language)
    url = store.write()
    assert [message.text for message in messages(read_inbox(url, decisions, language="en"))] == [
        "zairyu vanished",
        "card gone what now",
    ]
    assert [message.text for message in messages(read_inbox(url, decisions, limit=2))] == ["卡不见了怎么办", "zairyu vanished"]
    with pytest.raises(InboxError, match="unknown language"):
        read_inbox(url, decisions, language="de")


def test_the_language_comes_from_the_slot_else_from_the_message(store: Store, decisions: Decisions) -> None:
    chat_ = store.conversation()
    chat_.event("slot", {"name": "language", "value": "uk"}, action="language")  # an explicit choice earlier on
    chat_.fell_back("zairyu card???", [("residence_card_info", 0.3)], language="")  # the message says nothing
    bare = store.conversation()
    bare.user("qwerty asdf", "nlu_fallback", 0.4, [("nlu_fallback", 0.4), ("greet", 0.1)], language=None)
    bare.action("action_did_you_mean")
    bare.bot("Sorry", "utter_default")
    found = by_text(read_inbox(store.write(), decisions))
    assert found["zairyu card???"].language == "uk"
    assert found["qwerty asdf"].language == "en"  # nothing at all: English, as Rasa's responses


# ---------------------------------------------------------------------------------------------
# Privacy and text


def test_no_sender_id_telegram_id_or_name_reaches_the_inbox(store: Store, decisions: Decisions) -> None:
    telegram = {"telegram": {"chat_id": 987654321, "first_name": "Ivan", "last_name": "Petrenko", "username": "ivan_p_tokyo"}}
    chat_ = store.conversation(sender="telegram-987654321", metadata=telegram)
    chat_.fell_back("my card was in my wallet and the wallet is gone", [("lost_residence_card", 0.3)])
    groups = read_inbox(store.write(), decisions)
    shown = repr(groups) + repr(find_message(store.url, decisions, messages(groups)[0].key))
    for secret in ("987654321", "Ivan", "Petrenko", "ivan_p_tokyo", "telegram"):
        assert secret not in shown


def test_html_in_a_message_is_kept_as_text(store: Store, decisions: Decisions) -> None:
    text = '<script>alert("x")</script> <b>card</b> & "lost" ЖЖ'
    store.conversation().fell_back(text, [("lost_residence_card", 0.3)])
    assert messages(read_inbox(store.write(), decisions))[0].text == text


# ---------------------------------------------------------------------------------------------
# Decisions, lookups, the store itself


def test_decided_messages_leave_the_inbox_and_the_history_keeps_them(store: Store, decisions: Decisions) -> None:
    store.conversation(start=T0).fell_back("card stolen at the station", [("lost_residence_card", 0.3)])
    store.conversation(start=T0 + 10).fell_back("card stolen at the station!", [("lost_residence_card", 0.3)])
    store.conversation(start=T0 + 20).fell_back("what's the weather in tokyo", [("out_of_scope", 0.3)])
    url = store.write()
    found = by_text(read_inbox(url, decisions))
    card, weather = found["card stolen at the station!"], found["what's the weather in tokyo"]
    assert card.count == 2

    decisions.record(card.key, "labelled", language="en", text=card.text, intent="lost_residence_card")
    decisions.record(weather.key, "dismissed", language="en", text=weather.text)
    assert read_inbox(url, decisions) == []
    assert find_message(url, decisions, card.key) is None
    assert decisions.decided_keys() == {card.key, weather.key}
    assert [(item.kind, item.intent) for item in decisions.history()] == [
        ("dismissed", None),
        ("labelled", "lost_residence_card"),
    ]
    assert decisions.history(limit=1)[0].decided_at.tzinfo is not None
    with pytest.raises(ValueError):
        decisions.record(card.key, "approved", language="en", text=card.text)


def test_find_message_finds_a_merged_near_duplicate_by_its_own_key(store: Store, decisions: Decisions) -> None:
    office = [("find_immigration_office", 0.3)]
    store.conversation(start=T0).fell_back("where is the immigration office in osaka", office)
    store.conversation(start=T0 + 10).fell_back("where is immigration office in osaka", office)
    url = store.write()
    [shown] = messages(read_inbox(url, decisions))
    assert find_message(url, decisions, shown.key) == shown
    older = find_message(url, decisions, message_key("en", "where is the immigration office in osaka"))
    assert older is not None and (older.text, older.count) == ("where is the immigration office in osaka", 1)
    assert find_message(url, decisions, "0" * 16) is None


def test_a_missing_store_is_an_empty_inbox_and_reading_writes_nothing(tmp_path: Path, store: Store, decisions: Decisions) -> None:
    missing = tmp_path / "none" / "tracker.sqlite"
    assert read_inbox(f"sqlite:///{missing}", decisions) == []
    assert not missing.exists() and not missing.parent.exists()

    store.conversation().fell_back("asdf card", [("lost_residence_card", 0.3)])
    url = store.write()
    before = store.path.read_bytes()
    assert read_inbox(url, decisions)
    assert store.path.read_bytes() == before


def test_an_unreadable_store_is_one_clear_error(tmp_path: Path, decisions: Decisions) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(InboxError, match="cannot be read") as caught:
        read_inbox(f"sqlite:///{broken}", decisions)
    assert "Traceback" not in str(caught.value)


# ---------------------------------------------------------------------------------------------
# Through the real Rasa server


def test_a_fallback_through_the_real_rasa_server_reaches_the_inbox(rasa_server: str, rasa_workdir: Path, tmp_path: Path) -> None:
    # A fixed text that no intent is near (the model's best reading of it is about 0.2). A random
    # suffix for uniqueness made it flaky: six random hex digits such as "534277" read like a phone
    # number, and the model then gave the information center 0.53. This message's own arrival is
    # told by its time instead.
    text = "xqzt vrbl plonk"
    sent_at = datetime.now(timezone.utc)
    replies = chat(rasa_server, text)
    assert replies, "the bot answers even when it does not understand"
    decided = Decisions(f"sqlite:///{tmp_path / 'trainer.sqlite'}")
    found = by_text(read_inbox(f"sqlite:///{rasa_workdir / 'tracker.sqlite'}", decided))
    decided.close()
    assert text in found, "the gibberish message is in the inbox"
    message = found[text]
    assert message.last_seen >= sent_at - timedelta(seconds=1), "this test's message, not an older one"
    assert "fallback" in message.reasons
    assert message.bot_reply and message.bot_reply.split("\n")[0] in "\n".join(reply.get("text", "") for reply in replies)


# ---------------------------------------------------------------------------------------------
# jra inbox


@pytest.fixture()
def cli_store(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store with three misunderstood messages; the decisions and the training data in tmp_path."""
    monkeypatch.setenv("TRAINER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli-trainer.sqlite'}")
    shutil.copytree(NLU_DATA_DIR, tmp_path / "nlu_data")
    telegram = {"telegram": {"chat_id": 5550001, "first_name": "Olena"}}
    store.conversation(sender="tg-5550001", metadata=telegram, start=T0).fell_back(
        "my zairyu card went through the washing machine", [("lost_residence_card", 0.3)]
    )
    store.conversation(start=T0 + 10).fell_back("what is the best ramen in sapporo", [("life_in_japan", 0.2)])
    store.conversation(start=T0 + 20).fell_back("no thank you", [("deny", 0.3)])  # already a deny example
    store.write()
    return store


def jra(*arguments: str) -> int:
    from bot.cli import main

    return main(list(arguments))


def test_inbox_list_prints_the_groups_as_text_and_json(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert jra("inbox", "list", "--tracker-url", cli_store.url) == 0
    text = capsys.readouterr().out
    assert "en · lost_residence_card" in text and "my zairyu card went through the washing machine" in text
    assert message_key("en", "what is the best ramen in sapporo") in text
    assert "3 message(s) in 3 group(s)" in text

    assert jra("inbox", "list", "--json", "--language", "en", "--tracker-url", cli_store.url) == 0
    printed = capsys.readouterr().out
    groups = json.loads(printed)
    assert [group["predicted_intent"] for group in groups] == ["deny", "life_in_japan", "lost_residence_card"]
    assert groups[0]["messages"][0]["reasons"] == ["fallback", "low_confidence"]
    for secret in ("5550001", "Olena", "tg-"):
        assert secret not in text and secret not in printed

    assert jra("inbox", "list", "--language", "ja", "--tracker-url", cli_store.url) == 0
    assert "The inbox is empty" in capsys.readouterr().out


def test_inbox_label_saves_the_example_and_takes_it_out_of_the_inbox(
    cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nlu_data"
    path = data / "en" / "lost_residence_card.yml"
    before = path.read_text(encoding="utf-8")
    key = message_key("en", "my zairyu card went through the washing machine")

    code = jra("inbox", "label", key, "lost_residence_card", "--tracker-url", cli_store.url, "--data-dir", str(data))

    out = capsys.readouterr()
    assert code == 0, out.err
    assert "Saved to" in out.out and "lost_residence_card.yml" in out.out
    assert path.read_text(encoding="utf-8") == before + "    - my zairyu card went through the washing machine\n"
    assert jra("inbox", "list", "--json", "--tracker-url", cli_store.url) == 0
    assert key not in capsys.readouterr().out
    # Labelled once: the same key again is no longer in the inbox.
    assert jra("inbox", "label", key, "lost_residence_card", "--tracker-url", cli_store.url, "--data-dir", str(data)) == 1
    assert "No undecided message" in capsys.readouterr().err


def test_inbox_out_of_scope_saves_an_out_of_scope_example(
    cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nlu_data"
    key = message_key("en", "what is the best ramen in sapporo")
    assert jra("inbox", "out-of-scope", key, "--tracker-url", cli_store.url, "--data-dir", str(data)) == 0
    assert (data / "en" / "out_of_scope.yml").read_text(encoding="utf-8").endswith("    - what is the best ramen in sapporo\n")
    assert "Saved to" in capsys.readouterr().out


def test_inbox_dismiss_saves_nothing(cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "nlu_data"
    before = {path: path.read_bytes() for path in data.rglob("*.yml")}
    key = message_key("en", "what is the best ramen in sapporo")
    assert jra("inbox", "dismiss", key, "--tracker-url", cli_store.url) == 0
    assert "Dismissed" in capsys.readouterr().out
    assert {path: path.read_bytes() for path in data.rglob("*.yml")} == before
    assert jra("inbox", "list", "--tracker-url", cli_store.url) == 0
    assert "ramen" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (("label", "0123456789abcdef", "lost_residence_card"), "No undecided message with key"),
        (("label", "KEY", "no_such_intent"), "Unknown intent 'no_such_intent'"),
        (("label", "KEY", "../../etc/passwd"), "Unknown intent"),
        (("label", "KEY", "resume_flow"), "Unknown intent"),
        (("label", "DUPLICATE", "deny"), "Not saved: Already an example of deny"),
    ],
)
def test_inbox_refusals_are_one_clear_line_and_exit_1(
    cli_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], expected: str
) -> None:
    keys = {"KEY": message_key("en", "what is the best ramen in sapporo"), "DUPLICATE": message_key("en", "no thank you")}
    resolved = [keys.get(argument, argument) for argument in arguments]
    data = tmp_path / "nlu_data"
    before = {path: path.read_bytes() for path in data.rglob("*.yml")}

    code = jra("inbox", *resolved, "--tracker-url", cli_store.url, "--data-dir", str(data))

    err = capsys.readouterr().err
    assert code == 1
    assert expected in err and "Traceback" not in err
    assert {path: path.read_bytes() for path in data.rglob("*.yml")} == before


def test_inbox_usage_errors_exit_2(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        jra("inbox", "list", "--language", "de", "--tracker-url", cli_store.url)
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# Where the conversations and the decisions are


def test_the_tracker_store_comes_from_the_environment_else_endpoints_yml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert trainer_settings.tracker_database_url() == f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.sqlite'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql://assistant:pw@db:5433/tracker")
    assert trainer_settings.tracker_database_url() == "postgresql+psycopg://assistant:pw@db:5433/tracker"  # psycopg 3 here


def test_the_production_endpoints_file_is_read_with_its_variables() -> None:
    environ = {"POSTGRES_HOST": "10.0.0.5", "POSTGRES_PORT": "5433", "TRACKER_DATABASE": "tracker"}
    environ |= {"POSTGRES_USER": "assistant", "POSTGRES_PASSWORD": "s3cret"}
    url = trainer_settings.tracker_url_from_endpoints(PROJECT_ROOT / "deploy" / "endpoints.yml", environ)
    assert url == "postgresql+psycopg://assistant:s3cret@10.0.0.5:5433/tracker"
    with pytest.raises(trainer_settings.SettingsError, match="POSTGRES_HOST"):
        trainer_settings.tracker_url_from_endpoints(PROJECT_ROOT / "deploy" / "endpoints.yml", {})


def test_the_production_profiles_tracker_store_is_found_from_its_state_folder(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"postgres_superuser": "a", "postgres_app": "b", "redis": "c"}))
    url = trainer_settings.production_tracker_database_url(tmp_path)
    assert url == "postgresql+psycopg://assistant:b@127.0.0.1:5433/tracker"
    assert trainer_settings.describe_url(url) == "postgresql+psycopg://assistant:***@127.0.0.1:5433/tracker"
    with pytest.raises(trainer_settings.SettingsError, match="make run-production"):
        trainer_settings.production_tracker_database_url(tmp_path / "none")


def test_the_decisions_default_to_var_trainer_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRAINER_DATABASE_URL", raising=False)
    assert trainer_settings.decisions_database_url() == f"sqlite:///{PROJECT_ROOT / 'var' / 'trainer.sqlite'}"
    monkeypatch.setenv("TRAINER_DATABASE_URL", "sqlite:///relative/decisions.sqlite")
    assert trainer_settings.decisions_database_url() == f"sqlite:///{PROJECT_ROOT / 'relative' / 'decisions.sqlite'}"
