"""Record the guided flows as Rasa test stories, in every language.

Runs scripted conversations against the real servers (with Rasa's HTTP API on, on 127.0.0.1),
exports each conversation as a story and writes tests/stories/flows_<lang>.yml. `rasa test` replays them (tests/test_e2e_stories.py): the NLU
must find the same intents and the dialogue must predict the same actions.

Re-record (`make e2e-stories`) after an intended change of the flows, and review the diff.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import httpx
import yaml

from actions.db.engine import create_database_engine, prepare_database
from actions.settings import CONTENT_DIR
from bot import local_servers
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT

STORIES_DIR = PROJECT_ROOT / "tests" / "stories"
WORDS_THAT_STEER = {"stop", "change_language"}
TODAY = "2026-12-30"

LOST = {"en": "I lost my residence card", "ru": "я потерял карту резидента", "uk": "я загубив картку резидента",
        "zh": "我的在留卡丢了", "ja": "在留カードをなくしました"}
LOST_UP_FRONT = {"en": "my zairyu card was stolen yesterday in Osaka", "ru": "вчера в осаке украли карту резидента",
                 "uk": "вчора в осаці вкрали картку резидента", "zh": "昨天在大阪在留卡被偷了",
                 "ja": "きのう大阪で在留カードをぬすまれました"}
YESTERDAY = {"en": "yesterday", "ru": "вчера", "uk": "вчора", "zh": "昨天", "ja": "きのう"}
REENTRY = {"en": "can I go home for 8 months and come back?", "ru": "можно уехать домой на 8 месяцев и вернуться?",
           "uk": "чи можна поїхати додому на 8 місяців і повернутися?", "zh": "我想回国8个月再回来可以吗",
           "ja": "8か月くにに帰って、また日本にもどりたいです"}
CHILD = {"en": "our baby was born in japan", "ru": "у нас родился ребенок в японии", "uk": "у нас народилася дитина в японії",
         "zh": "孩子在日本出生了", "ja": "日本で子どもが生まれました"}
DEPARTURE = {"en": "I overstayed and want to leave japan, tell me about the departure order",
             "ru": "я просрочил визу и хочу уехать, расскажите про приказ о выезде",
             "uk": "я прострочив візу і хочу виїхати, розкажіть про наказ про виїзд",
             "zh": "我签证过期了想回国，出国命令怎么办理", "ja": "オーバーステイです。出国命令について教えてください"}
YES = {"en": "yes", "ru": "да", "uk": "так", "zh": "是的", "ja": "はい"}
NO = {"en": "no", "ru": "нет", "uk": "ні", "zh": "没有", "ja": "いいえ"}
STOP = {"en": "cancel", "ru": "отмена", "uk": "скасувати", "zh": "取消", "ja": "やめて"}
SWITCH = {"en": ("ru", "switch to russian", "вчера"), "ru": ("uk", "говори по-украински", "вчора"),
          "uk": ("en", "можна англійською", "yesterday"), "zh": ("ja", "请说日语", "きのう"),
          "ja": ("zh", "中国語で話して", "昨天")}


def scenarios(language: str) -> dict[str, list[str]]:
    """Return the scripted conversations of one language."""
    target, switch, yesterday = SWITCH[language]
    return {
        "lost card": [LOST[language], YESTERDAY[language]],
        "lost card, facts given up front": [LOST_UP_FRONT[language]],
        "lost card, cancelled": [LOST[language], STOP[language]],
        f"lost card, switch to {target} mid-flow": [LOST[language], switch, yesterday],
        "re-entry": [REENTRY[language], "2028-03-31"],
        "child born in Japan": [CHILD[language], YESTERDAY[language], YES[language]],
        "departure order": [DEPARTURE[language], YES[language], YES[language], NO[language], NO[language],
                            NO[language], YES[language]],
    }


def record(rasa_url: str, messages: list[str]) -> list[dict]:
    """Run one conversation and return its story steps with the user's words in them."""
    sender = uuid.uuid4().hex
    with httpx.Client(timeout=60) as client:
        for message in messages:
            client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}).raise_for_status()
        exported = client.get(f"{rasa_url}/conversations/{sender}/story")
        exported.raise_for_status()
    steps = yaml.safe_load(exported.text)["stories"][-1]["steps"]
    recorded: list[dict] = []
    for step in steps:
        # Rasa exports the user's words with the detected `language` entity marked. They are
        # kept where the intent steers the dialogue (starting, stopping, switching language);
        # answers inside a flow are read from their text whatever the intent, so only the
        # intent is kept there and retraining the NLU does not break the story.
        if "intent" in step and recorded and step["intent"] not in WORDS_THAT_STEER:
            step = {key: value for key, value in step.items() if key != "user"}
        recorded.append(step)
    return recorded


def main() -> int:
    """Record every scenario in every language and write the story files."""
    model = ensure_model()
    STORIES_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        database_url = f"sqlite:///{workdir / 'procedures.sqlite'}"
        prepare_database(create_database_engine(database_url), CONTENT_DIR)
        with local_servers.action_server(database_url, workdir, extra_env={"ASSISTANT_TODAY": TODAY}) as actions, \
                local_servers.rasa_server(model, actions.url, workdir, enable_api=True) as rasa:
            for language in SWITCH:
                stories = [{"story": f"{name} ({language})", "steps": record(rasa.url, messages)}
                           for name, messages in scenarios(language).items()]
                path = STORIES_DIR / f"flows_{language}.yml"
                header = f"# Recorded by `make e2e-stories` ({TODAY}); replayed by tests/test_e2e_stories.py.\n"
                path.write_text(header + yaml.safe_dump({"version": "3.1", "stories": stories},
                                                        allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
                print(f"wrote {path.relative_to(PROJECT_ROOT)} ({len(stories)} stories)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
