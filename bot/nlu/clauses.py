"""Clauses of a message: the parts a two-topic message asks its two things in.

"I lost my residence card yesterday, and I fly home for 3 months next week, can I even leave?"
asks for two procedures. Read whole, the classifier settles on one of them and the user gets a
confident answer to half the question. Read clause by clause, each part names its own
procedure, and the bot can ask which one to take first (bot/nlu/intent_classifier.py).

A clause ends at a sentence end (. ! ? ; and their full-width forms, a line break) and before a
connector that joins two requests: "and", "also", "plus"; Russian и, а также, а ещё; Ukrainian
і, й, та, а також, а ще; Chinese 还有, 另外, 以及, 而且, 并且, 同时; Japanese あと, それと,
それから, ほかに, また after a 。 or 、 (あと and また only with their own comma: "あと、" is
"and also", "あと 3かげつ" is "three months left"; "また、" is "also", "また もどる" is "come
back again"). Commas alone do not split (a comma mostly joins background to its question), nor
does Chinese 和 or Japanese と, which join nouns far more often than requests.

Why not a parser: no dependency parser covers the five languages in this environment, and the
split only has to find where a second request may begin; the classifier then decides whether
each part really names a procedure, so a split in the wrong place costs nothing but a part that
names none.
"""

from __future__ import annotations

import re

# A clause needs this many letters or digits to be read on its own ("and", "и" are not clauses).
MINIMUM_CHARACTERS = 3

# Words that join a second request to the first (longer ones first: "а также" before "а").
_CONNECTOR = r"(?i:and also|and|also|plus|а также|а ещё|а еще|и ещё|и еще|и|а також|а ще|і ще|і|й|та|а)"
# Japanese words that open a further request after a 。 or 、; あと and また need their comma:
# without it they are "… left" (あと 3かげつ) and "again" (また もどる).
_JAPANESE_CONNECTOR = r"(?:(?:あと|また)[、,，]|(?:それと|それから|ほかに)[、,，]?)"
_BOUNDARY = re.compile(
    # a sentence end, with the connector that may open the next sentence ("… week. Also, can I …",
    # "…。 あと、…")
    rf"[.!?;\n。！？；]+\s*(?:{_CONNECTOR}(?=[\s,，])[,，]?\s*|{_JAPANESE_CONNECTOR})?"
    # a connector between two clauses of one sentence ("I changed jobs and my visa ends")
    rf"|[,，、]?\s+{_CONNECTOR}\s+"
    r"|[,，、]?\s*(?:还有|另外|以及|而且|并且|同时)[,，、]?"
    rf"|(?:(?<=[。、,，])|^)\s*{_JAPANESE_CONNECTOR}"
)
_CHARACTER = re.compile(r"\w")
# Words that say the clause after them is a further request ("Also, …", "А ещё …", "另外…", "あと、…"),
# unlike a plain "and", which as often joins background to its question ("I overstayed, and I
# want to go home").
_ALSO = re.compile(
    r"(?i:\balso\b|\bplus\b|а также|а ещё|а еще|и ещё|и еще|а також|а ще|і ще)"
    r"|还有|另外|以及|而且|并且|同时|あと|それと|それから|ほかに|また"
)


def clause_openings(text: str) -> list[tuple[int, int, bool]]:
    """Return each clause's (start, end, opened by an "also" word); [] for a one-clause message.

    The connectors themselves and the punctuation between clauses belong to no clause.
    """
    spans: list[tuple[int, int, bool]] = []
    start, also = 0, False
    for boundary in _BOUNDARY.finditer(text):
        spans.append((start, boundary.start(), also))
        start, also = boundary.end(), bool(_ALSO.search(boundary.group()))
    spans.append((start, len(text), also))
    clauses = [span for span in spans if len(_CHARACTER.findall(text[span[0] : span[1]])) >= MINIMUM_CHARACTERS]
    return clauses if len(clauses) >= 2 else []


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) character offsets of the message's clauses; [] for a one-clause message."""
    return [(start, end) for start, end, _ in clause_openings(text)]


def clauses(text: str) -> list[str]:
    """Return the clauses' texts ([] for a one-clause message)."""
    return [text[start:end].strip() for start, end in clause_spans(text)]


# A message attribute: each clause's counts from featurizers that have no per-token features
# (bot/nlu/readings.py), keyed by the featurizer's name, as a matrix of one row per clause.
CLAUSE_COUNTS = "clause_counts"
