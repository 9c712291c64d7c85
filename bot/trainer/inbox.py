"""The inbox of misunderstood messages, read from the conversations Rasa keeps (the SQL tracker store).

Rasa's `SQLTrackerStore` (ours: `bot.tracker_store.RedactingSQLTrackerStore`) writes one row per
event to the table `events` (id, sender_id, type_name, timestamp, intent_name, action_name,
data: the event as JSON). This module reads it with SQLAlchemy Core, read-only, in batches,
one conversation after the other, and never writes to it.

A user message (typed: a button's payload such as "/stop" is not a message) lands in the inbox
for any of these reasons:

- ``fallback``: the NLU was unsure (intent `nlu_fallback`) and no guided flow took the message
  as its answer, or the dialogue fell back (`action_default_fallback`, the "did you mean"
  buttons or the "sorry, I did not understand" answer of `action_did_you_mean`,
  actions/fallback.py);
- ``clarification``: the bot asked "which one do you mean?" (`utter_which_do_you_mean`);
- ``low_confidence``: the likeliest intent's confidence is below config.yml's
  FallbackClassifier `threshold`, or the second is within its `ambiguity_threshold` of it (the
  classifier's own two conditions; a flow that took the message as its answer read it, so it
  does not count);
- ``thumbs_down``: the user's next message is the 👎 button (intent `feedback_not_helpful`);
- ``not_what_i_asked``: the user's next message says no ("that's not what I asked", "нет, я
  не об этом": intent `deny`, typed) to an answer, outside a guided flow; a "no" to a question
  of the bot ("Anything else?", yes/no buttons) is an answer, not a complaint. For both, when
  the rated answer is a guided flow's personal answer, the message listed is the one that
  started the flow (the last one, "stolen" or "2027-03-31", only answered its question);
- ``cancelled_flow``: a guided flow was stopped (intent `stop` while its form was active,
  stories/flows.yml): the message that started the flow is the one the bot may have misread.

Each message comes with the conversation's language (the `language` slot after it, else the
message's detected language), the predicted intent (the likeliest real intent, also when the
NLU fell back) and its confidence, and the bot's reply (the text of the bot's messages until
the user's next message). Messages equal once normalised (case, width, punctuation, spaces)
are one entry with a count, and so are near-duplicates (difflib ratio at least 0.9) in the same
language and predicted intent. Nothing else about the conversation is read out: no sender id,
no channel metadata (Telegram ids and names), no slots but the language.

Only the conversations with a sign of a misunderstanding are read (``_signalled_senders``: the
database picks them), so a large store stays quick to read: 92,000 events in under a second on
the project's machine.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import yaml
from sqlalchemy import (
    JSON,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    cast,
    create_engine,
    inspect,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.feedback import FEEDBACK_INTENTS, NOT_HELPFUL
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES, normalize_language
from bot.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.trainer.decisions import Decisions

REASONS = ("fallback", "clarification", "low_confidence", "thumbs_down", "not_what_i_asked", "cancelled_flow")
CONFIG_FILE = PROJECT_ROOT / "config.yml"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
NEAR_DUPLICATE_RATIO = 0.9
BATCH_SIZE = 2000

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
FALLBACK_RESPONSES = frozenset({"utter_default", "utter_did_you_mean"})
CLARIFICATION_RESPONSES = frozenset({"utter_which_do_you_mean"})
THUMBS_DOWN_INTENT = NOT_HELPFUL  # the 👎 button's intent (bot/feedback.py)
DENY_INTENT = "deny"
STOP_INTENT = "stop"
SESSION_START = "action_session_start"
YES_NO_PAYLOADS = ("/affirm", "/deny")

_PUNCTUATION_OR_SPACE = re.compile(r"[\W_]+")

events_table = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class InboxError(RuntimeError):
    """The tracker store cannot be read; the message says why (without the password)."""


@dataclass(frozen=True)
class InboxMessage:
    """One misunderstood message (with its near-duplicates merged into it)."""

    key: str  # stable id: the first 16 hex digits of sha256(language + "\n" + normalised text)
    text: str  # as stored (identity numbers already redacted by the tracker store)
    language: str
    predicted_intent: str | None
    confidence: float
    reasons: tuple[str, ...]  # in the order of REASONS
    bot_reply: str
    count: int  # how many messages were merged into this one
    last_seen: datetime  # UTC

    def as_json(self) -> dict[str, Any]:
        """Return the message as `jra inbox list --json` and the console's API give it."""
        return {
            "key": self.key,
            "text": self.text,
            "language": self.language,
            "predicted_intent": self.predicted_intent,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "bot_reply": self.bot_reply,
            "count": self.count,
            "last_seen": self.last_seen.isoformat(),
        }


@dataclass(frozen=True)
class InboxGroup:
    """The messages of one language and predicted intent, newest first."""

    language: str
    predicted_intent: str | None
    messages: tuple[InboxMessage, ...]


@dataclass(frozen=True)
class Thresholds:
    """config.yml's FallbackClassifier settings: below ``threshold``, or two readings closer than ``ambiguity``, is unsure."""

    threshold: float = 0.3
    ambiguity: float = 0.1  # Rasa's defaults, when config.yml has no FallbackClassifier


def fallback_thresholds(config_file: Path = CONFIG_FILE) -> Thresholds:
    """Return the FallbackClassifier's threshold and ambiguity threshold of config.yml."""
    try:
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return Thresholds()
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return Thresholds(
                float(component.get("threshold", Thresholds.threshold)),
                float(component.get("ambiguity_threshold", Thresholds.ambiguity)),
            )
    return Thresholds()


def question_responses(domain_file: Path = DOMAIN_FILE) -> frozenset[str]:
    """Return the domain's responses that ask the user something (their English text ends with "?")."""
    from bot.trainer.catalog import read_domain

    try:
        domain = read_domain(domain_file)
    except (OSError, yaml.YAMLError):
        return frozenset()
    asking: set[str] = set()
    for name, variations in (domain.get("responses") or {}).items():
        for variation in variations or []:
            if isinstance(variation, dict) and not variation.get("condition"):
                if str(variation.get("text") or "").rstrip().endswith("?"):
                    asking.add(name)
                break
    return frozenset(asking)


def database_error(error: Exception) -> str:
    """Return a database error as one line: the driver's message (never the URL or its password)."""
    reason = str(getattr(error, "orig", None) or error.__class__.__name__)
    return " ".join(reason.split()).rstrip(".?! ") or error.__class__.__name__


def normalize_text(text: str) -> str:
    """Return ``text`` folded for comparison: NFKC (width), case-folded, punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _PUNCTUATION_OR_SPACE.sub(" ", folded).strip()


def message_key(language: str, text: str) -> str:
    """Return the stable id of a message: 16 hex digits of sha256(language, normalised text)."""
    return hashlib.sha256(f"{language}\n{normalize_text(text)}".encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Reading the tracker store


def _engine(tracker_url: str) -> Engine | None:
    """Open the tracker store read-only; None when its SQLite file does not exist (no conversation yet)."""
    try:
        url = make_url(tracker_url)
    except Exception:
        raise InboxError("the tracker store's URL cannot be parsed") from None
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:":
            raise InboxError("the tracker store is an in-memory SQLite database: nothing to read")
        if database.startswith("file:"):
            return create_engine(tracker_url)
        if not Path(database).exists():
            return None
        # mode=ro: reading can neither create the file nor write to it.
        location = quote(str(Path(database).resolve()))
        return create_engine(url.set(database=f"file:{location}?mode=ro", query={"uri": "true"}))
    return create_engine(url, pool_pre_ping=True, execution_options={"postgresql_readonly": True})


@dataclass
class _Turn:
    """A user message and what followed it until the next one."""

    text: str
    timestamp: float
    intent: str | None
    ranking: list[tuple[str, float]]
    parsed_language: str | None
    loop: str | None  # the form active when the message arrived
    language_before: str | None
    language_after: str | None = None
    actions: list[str] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    responses: list[str] = field(default_factory=list)
    bot_texts: list[str] = field(default_factory=list)
    asks_yes_no: bool = False
    started_loop: str | None = None
    reasons: set[str] = field(default_factory=set)

    @property
    def typed(self) -> bool:
        return bool(self.text.strip()) and not self.text.lstrip().startswith("/")

    @property
    def language(self) -> str:
        return self.language_after or self.language_before or self.parsed_language or DEFAULT_LANGUAGE

    @property
    def prediction(self) -> tuple[str | None, float]:
        for name, confidence in self.ranking:
            if name != FALLBACK_INTENT:
                return name, confidence
        if self.intent and self.intent != FALLBACK_INTENT:
            return self.intent, 0.0
        return None, 0.0

    @property
    def taken_by_form(self) -> bool:
        """Whether the active form read the message as its answer (the NLU's intent did not matter)."""
        return bool(self.loop) and self.loop in self.actions and self.loop not in self.rejected


@dataclass
class _Found:
    key: str
    text: str
    normalized: str
    language: str
    predicted_intent: str | None
    confidence: float
    reasons: set[str]
    bot_reply: str
    timestamp: float


def _json(data: str | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _parse_user(data: dict[str, Any], intent_column: str | None) -> tuple[str | None, list[tuple[str, float]], str | None]:
    raw = data.get("parse_data")
    parse: dict[str, Any] = raw if isinstance(raw, dict) else {}
    intent = (parse.get("intent") or {}).get("name") if isinstance(parse.get("intent"), dict) else None
    ranking: list[tuple[str, float]] = []
    for item in parse.get("intent_ranking") or []:
        if isinstance(item, dict) and item.get("name"):
            ranking.append((str(item["name"]), float(item.get("confidence") or 0.0)))
    if not ranking and isinstance(parse.get("intent"), dict) and intent:
        ranking = [(str(intent), float(parse["intent"].get("confidence") or 0.0))]
    language = None
    for entity in parse.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == "language":
            language = normalize_language(str(entity.get("value") or ""))
    language = language or normalize_language(str(parse.get("language") or ""))
    return intent or intent_column, ranking, language


def _turns(rows: Iterable[Any], asking: frozenset[str]) -> list[_Turn]:
    """Rebuild one conversation's turns from its events (in id order)."""
    turns: list[_Turn] = []
    loop: str | None = None
    language: str | None = None
    for row in rows:
        kind = row.type_name
        current = turns[-1] if turns else None
        if kind == "user":
            data = _json(row.data)
            intent, ranking, parsed_language = _parse_user(data, row.intent_name)
            turns.append(
                _Turn(
                    text=str(data.get("text") or ""),
                    timestamp=float(row.timestamp or 0.0),
                    intent=intent,
                    ranking=ranking,
                    parsed_language=parsed_language,
                    loop=loop,
                    language_before=language,
                )
            )
        elif kind == "slot":
            value = normalize_language(str(_json(row.data).get("value") or ""))
            if value:
                language = value
                if current is not None:
                    current.language_after = value
        elif kind == "active_loop":
            if row.action_name and current is not None and loop is None:
                current.started_loop = row.action_name
            loop = row.action_name or None
        elif kind in ("session_started", "restart"):
            loop = None
        elif current is None:
            continue
        elif kind == "action" and row.action_name:
            current.actions.append(row.action_name)
        elif kind == "action_execution_rejected" and row.action_name:
            current.rejected.add(row.action_name)
        elif kind == "bot":
            data = _json(row.data)
            raw = data.get("metadata")
            metadata: dict[str, Any] = raw if isinstance(raw, dict) else {}
            response = metadata.get("utter_action") or metadata.get("template")
            if response:
                current.responses.append(str(response))
            text = str(data.get("text") or "")
            if text:
                current.bot_texts.append(text)
            buttons = (data.get("data") or {}).get("buttons") if isinstance(data.get("data"), dict) else None
            payloads = [str(button.get("payload") or "") for button in buttons or [] if isinstance(button, dict)]
            # The last bot message decides: a question asks for a yes or no.
            current.asks_yes_no = response in asking or any(payload.startswith(YES_NO_PAYLOADS) for payload in payloads)
    return turns


def _last_typed(turns: list[_Turn], before: int) -> int | None:
    for index in range(before - 1, -1, -1):
        if turns[index].typed:
            return index
    return None


def _flow_start(turns: list[_Turn], index: int) -> _Turn | None:
    """Return the turn that started the form active at turn ``index``, if its message was typed."""
    loop = turns[index].loop
    for start in range(index - 1, -1, -1):
        if turns[start].started_loop == loop:
            return turns[start] if turns[start].typed else None
    return None


def _question(turns: list[_Turn], index: int) -> _Turn | None:
    """Return the message an answer was about: a flow's answer ("stolen", "2027-03-31") is about the message that started the flow."""
    turn = turns[index]
    if turn.taken_by_form:
        return _flow_start(turns, index) or (turn if turn.typed else None)
    return turn if turn.typed else None


def _mark(turns: list[_Turn], thresholds: Thresholds) -> None:
    """Give each turn the reasons why its message was misunderstood."""
    for index, turn in enumerate(turns):
        responses = set(turn.responses)
        if turn.typed:
            if responses & CLARIFICATION_RESPONSES:
                turn.reasons.add("clarification")
            if (turn.intent == FALLBACK_INTENT and not turn.taken_by_form and not responses & CLARIFICATION_RESPONSES) or (
                set(turn.actions) & FALLBACK_ACTIONS or responses & FALLBACK_RESPONSES
            ):
                turn.reasons.add("fallback")
            readings = [confidence for name, confidence in turn.ranking if name != FALLBACK_INTENT]
            if readings and not turn.taken_by_form and turn.intent not in FEEDBACK_INTENTS:
                unsure = readings[0] < thresholds.threshold
                close = len(readings) > 1 and readings[0] - readings[1] < thresholds.ambiguity
                if unsure or close:
                    turn.reasons.add("low_confidence")
        target: _Turn | None = None
        reason = ""
        if turn.intent == THUMBS_DOWN_INTENT:
            rated = _last_typed(turns, index)
            target, reason = (_question(turns, rated) if rated is not None else None), "thumbs_down"
        elif turn.intent == DENY_INTENT and turn.typed and not turn.loop and index > 0:
            answered = turns[index - 1]
            if answered.typed and answered.bot_texts and not answered.asks_yes_no:
                target, reason = _question(turns, index - 1), "not_what_i_asked"
        elif turn.intent == STOP_INTENT and turn.loop:
            target, reason = _flow_start(turns, index), "cancelled_flow"
        if target is not None:
            target.reasons.add(reason)


def _signalled_senders(dialect: str, thresholds: Thresholds) -> Any:
    """Select the conversations with a sign of a misunderstanding, so that only those are read.

    Every reason needs one of these: an `nlu_fallback`, a fallback or "did you mean" action, a
    👎, a typed "no", a "stop", or a user message whose intent confidence (or the margin between
    its two likeliest intents) is below config.yml's thresholds, read from the event's JSON by
    the database (SQLite's json_extract, PostgreSQL's json operators).
    """
    columns = events_table.c
    data = cast(columns.data, JSON) if dialect == "postgresql" else type_coerce(columns.data, JSON)
    first = data[("parse_data", "intent_ranking", 0, "confidence")].as_float()
    second = data[("parse_data", "intent_ranking", 1, "confidence")].as_float()
    unsure = or_(
        data[("parse_data", "intent", "confidence")].as_float() < thresholds.threshold,
        first - second < thresholds.ambiguity,
    )
    return (
        select(columns.sender_id)
        .where(
            or_(
                and_(
                    columns.type_name == "user",
                    or_(columns.intent_name.in_((FALLBACK_INTENT, THUMBS_DOWN_INTENT, DENY_INTENT, STOP_INTENT)), unsure),
                ),
                and_(columns.type_name == "action", columns.action_name.in_((*FALLBACK_ACTIONS, "action_did_you_mean"))),
            )
        )
        .distinct()
    )


def _conversations(connection: Connection, thresholds: Thresholds) -> Iterator[list[Any]]:
    """Yield each conversation's relevant events in order, reading the table in batches."""
    columns = events_table.c
    query = (
        select(
            columns.id,
            columns.sender_id,
            columns.type_name,
            columns.timestamp,
            columns.intent_name,
            columns.action_name,
            columns.data,
        )
        .where(
            or_(
                columns.type_name.in_(("user", "bot", "action_execution_rejected", "active_loop", "session_started", "restart")),
                and_(columns.type_name == "action", columns.action_name != "action_listen"),
                and_(columns.type_name == "slot", columns.action_name == "language"),
            ),
            columns.sender_id.in_(_signalled_senders(connection.dialect.name, thresholds)),
        )
        .order_by(columns.sender_id, columns.id)
    )
    result = connection.execution_options(stream_results=True, yield_per=BATCH_SIZE).execute(query)
    sender: object = None
    rows: list[Any] = []
    for row in result:
        if row.sender_id != sender and rows:
            yield rows
            rows = []
        sender = row.sender_id
        rows.append(row)
    if rows:
        yield rows


def _read_found(tracker_url: str, thresholds: Thresholds) -> list[_Found]:
    engine = _engine(tracker_url)
    if engine is None:
        return []
    asking = question_responses()
    found: list[_Found] = []
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return []
            for rows in _conversations(connection, thresholds):
                turns = _turns(rows, asking)
                _mark(turns, thresholds)
                for turn in turns:
                    if not turn.reasons or not turn.typed:
                        continue
                    intent, confidence = turn.prediction
                    language = turn.language
                    found.append(
                        _Found(
                            key=message_key(language, turn.text),
                            text=turn.text,
                            normalized=normalize_text(turn.text),
                            language=language,
                            predicted_intent=intent,
                            confidence=round(confidence, 4),
                            reasons=set(turn.reasons),
                            bot_reply="\n".join(turn.bot_texts),
                            timestamp=turn.timestamp,
                        )
                    )
    except SQLAlchemyError as error:
        reason = database_error(error)
        raise InboxError(f"the tracker store cannot be read: {reason}") from None
    finally:
        engine.dispose()
    return found


# ---------------------------------------------------------------------------------------------
# Merging and grouping


@dataclass
class _Cluster:
    members: list[_Found]  # newest first; the first is shown

    @property
    def head(self) -> _Found:
        return self.members[0]

    def message(self) -> InboxMessage:
        head = self.head
        reasons = set().union(*(member.reasons for member in self.members))
        return InboxMessage(
            key=head.key,
            text=head.text,
            language=head.language,
            predicted_intent=head.predicted_intent,
            confidence=head.confidence,
            reasons=tuple(reason for reason in REASONS if reason in reasons),
            bot_reply=head.bot_reply,
            count=len(self.members),
            last_seen=datetime.fromtimestamp(head.timestamp, tz=timezone.utc),
        )


def _bigrams(text: str) -> frozenset[str]:
    return frozenset(text[index : index + 2] for index in range(len(text) - 1))


class _NearIndex:
    """The shown texts of one group's clusters, by length, to find a near-duplicate quickly.

    Two texts with a difflib ratio of at least r have lengths within a factor (2 - r) / r of
    each other and share most of their character bigrams (each edit changes at most two; the
    same bound as the data check's, bot/devtools/nlu_check.py); only the texts that pass both
    cheap tests are compared character by character.
    """

    def __init__(self, ratio: float) -> None:
        self.ratio = ratio
        self.by_length: dict[int, list[tuple[int, str, frozenset[str], _Cluster]]] = {}
        self.count = 0

    def add(self, text: str, cluster: _Cluster) -> None:
        self.by_length.setdefault(len(text), []).append((self.count, text, _bigrams(text), cluster))
        self.count += 1

    def find(self, text: str) -> _Cluster | None:
        ratio, length = self.ratio, len(text)
        low, high = int(length * ratio / (2 - ratio)), int(length * (2 - ratio) / ratio) + 1
        candidates = [entry for size in range(low, high + 1) for entry in self.by_length.get(size, ())]
        if not candidates:
            return None
        grams = _bigrams(text)
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(text)  # the expensive side, prepared once
        for _, other, other_grams, cluster in sorted(candidates, key=lambda entry: entry[0]):  # newest first
            if 2 * min(len(other), length) / (len(other) + length) < ratio:
                continue
            if 2 * len(grams & other_grams) < ratio * (len(grams) + len(other_grams)) - 4 * (1 - ratio) * (len(other) + length):
                continue
            matcher.set_seq1(other)
            if matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio:
                return cluster
        return None


def _clusters(found: list[_Found]) -> list[_Cluster]:
    """Merge equal (normalised) messages anywhere, then near-duplicates within a language and predicted intent."""
    found = sorted(found, key=lambda item: item.timestamp, reverse=True)
    by_key: dict[str, _Cluster] = {}
    for item in found:
        if item.key in by_key:
            by_key[item.key].members.append(item)
        else:
            by_key[item.key] = _Cluster([item])
    merged: list[_Cluster] = []
    groups: dict[tuple[str, str | None], _NearIndex] = {}
    for cluster in by_key.values():  # newest first (dicts keep insertion order)
        head = cluster.head
        index = groups.setdefault((head.language, head.predicted_intent), _NearIndex(NEAR_DUPLICATE_RATIO))
        target = index.find(head.normalized) if len(head.normalized) > 3 else None
        if target is None:
            index.add(head.normalized, cluster)
            merged.append(cluster)
        else:
            target.members.extend(cluster.members)
    for cluster in merged:
        cluster.members.sort(key=lambda item: item.timestamp, reverse=True)
    return merged


def _inbox_clusters(tracker_url: str, decisions: Decisions | None, thresholds: Thresholds | None = None) -> list[_Cluster]:
    clusters = _clusters(_read_found(tracker_url, thresholds or fallback_thresholds()))
    decided = decisions.decided_keys() if decisions is not None else set()
    return [cluster for cluster in clusters if not any(member.key in decided for member in cluster.members)]


def read_inbox(
    tracker_url: str, decisions: Decisions | None, *, language: str | None = None, limit: int = 500
) -> list[InboxGroup]:
    """Return the undecided misunderstood messages, grouped by language and predicted intent.

    The ``limit`` newest entries (after merging) are kept; groups come newest first, and so do
    the messages within each. ``language`` keeps one language's messages only.
    """
    if language is not None and language not in LANGUAGES:
        raise InboxError(f"unknown language {language!r}: one of {', '.join(LANGUAGES)}")
    clusters = [cluster for cluster in _inbox_clusters(tracker_url, decisions) if language in (None, cluster.head.language)]
    clusters.sort(key=lambda cluster: cluster.head.timestamp, reverse=True)
    groups: dict[tuple[str, str | None], list[InboxMessage]] = {}
    for cluster in clusters[: max(limit, 0)]:
        groups.setdefault((cluster.head.language, cluster.head.predicted_intent), []).append(cluster.message())
    return [InboxGroup(language, intent, tuple(messages)) for (language, intent), messages in groups.items()]


def find_message(tracker_url: str, decisions: Decisions | None, key: str) -> InboxMessage | None:
    """Return the undecided inbox message with this key (or a near-duplicate merged into one), else None."""
    for cluster in _inbox_clusters(tracker_url, decisions):
        if cluster.head.key == key:
            return cluster.message()
        for member in cluster.members:
            if member.key == key:
                # The merged message itself, with its own text: that is what the trainer picked.
                same = [other for other in cluster.members if other.key == key]
                return _Cluster(same).message()
    return None
