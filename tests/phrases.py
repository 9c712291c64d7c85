"""Opening messages and short answers of the guided flows in five languages, for the tests."""

# The action server's "today" in the tests (ASSISTANT_TODAY), so that deadlines are known.
TODAY = "2026-12-30"

LOST = {
    "en": "I lost my residence card",
    "ru": "я потерял карту резидента",
    "uk": "я загубив картку резидента",
    "zh": "我的在留卡丢了",
    "ja": "在留カードをなくしました",
}
LOST_UP_FRONT = {
    "en": "my zairyu card was stolen yesterday in Osaka",
    "ru": "вчера в осаке украли карту резидента",
    "uk": "вчора в осаці вкрали картку резидента",
    "zh": "昨天在大阪在留卡被偷了",
    "ja": "きのう大阪で在留カードをぬすまれました",
}
YESTERDAY = {"en": "yesterday", "ru": "вчера", "uk": "вчора", "zh": "昨天", "ja": "きのう"}
REENTRY = {
    "en": "can I go home for 8 months and come back?",
    "ru": "можно уехать домой на 8 месяцев и вернуться?",
    "uk": "чи можна поїхати додому на 8 місяців і повернутися?",
    "zh": "我想回国8个月再回来可以吗",
    "ja": "8か月くにに帰って、また日本にもどりたいです",
}
CHILD = {
    "en": "our baby was born in japan",
    "ru": "у нас родился ребенок в японии",
    "uk": "у нас народилася дитина в японії",
    "zh": "孩子在日本出生了",
    "ja": "日本で子どもが生まれました",
}
DEPARTURE = {
    "en": "I overstayed and want to leave japan, tell me about the departure order",
    "ru": "я просрочил визу и хочу уехать, расскажите про приказ о выезде",
    "uk": "я прострочив візу і хочу виїхати, розкажіть про наказ про виїзд",
    "zh": "我签证过期了想回国，出国命令怎么办理",
    "ja": "オーバーステイです。出国命令について教えてください",
}
YES = {"en": "yes", "ru": "да", "uk": "так", "zh": "是的", "ja": "はい"}
NO = {"en": "no", "ru": "нет", "uk": "ні", "zh": "没有", "ja": "いいえ"}
STOP = {"en": "cancel", "ru": "отмена", "uk": "скасувати", "zh": "取消", "ja": "やめて"}
SWITCH = {
    "en": ("ru", "switch to russian", "вчера"),
    "ru": ("uk", "говори по-украински", "вчора"),
    "uk": ("en", "можна англійською", "yesterday"),
    "zh": ("ja", "请说日语", "きのう"),
    "ja": ("zh", "中国語で話して", "昨天"),
}
