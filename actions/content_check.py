"""Validate the content files so that drift between languages cannot go unnoticed.

`jra content check` prints every problem: a procedure missing in a language, a placeholder
that the shared data does not define, a number written in a sentence that is not one of the
procedure's shared numbers, lists of different lengths across languages, a link that is not an
official https address, an office without a phone, a prefecture without exactly one office, a
phone number that does not say who it is for, a status whose designated period has no upper
limit, a label or a response (domain.yml) missing in a language.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from actions.content_files import (
    Content,
    ContentError,
    placeholder_names,
    read_content,
    read_yaml,
    variation_language,
)
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES

# Hosts of official sources: the Immigration Services Agency and the Ministry of Justice,
# the government's law database, and the agency's own social media accounts.
OFFICIAL_HOSTS = (
    "moj.go.jp",
    "isa.go.jp",
    "e-gov.go.jp",
    "laws.e-gov.go.jp",
    "twitter.com",
    "x.com",
    "facebook.com",
)
OFFICIAL_SOCIAL_PATHS = ("/MOJ_IMMI", "/ImmigrationServicesAgency.MOJ")
_NUMBER = re.compile(r"(?<![\w{])\d+(?:[.,]\d+)?(?![\w}])")
PARALLEL_LISTS = ("documents", "link_labels")
LANGUAGE_SPECIFIC_LABELS = {"months_pattern"}


def is_official_link(url: str) -> bool:
    """Tell whether a URL is an https address of an official source."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme != "https" or not any(host == h or host.endswith("." + h) for h in OFFICIAL_HOSTS):
        return False
    if host.endswith(("twitter.com", "x.com", "facebook.com")):
        return parsed.path.startswith(OFFICIAL_SOCIAL_PATHS)
    return True


def _numbers_outside_placeholders(template: str) -> list[str]:
    without_placeholders = re.sub(r"\{[^{}]*\}", " ", template)
    return _NUMBER.findall(without_placeholders)


# How each language says that something follows ("see the documents below").
BELOW = {
    "en": re.compile(r"\bbelow\b", re.IGNORECASE),
    "ru": re.compile(r"\bниже\b", re.IGNORECASE),
    "uk": re.compile(r"\bнижче\b", re.IGNORECASE),
    "zh": re.compile(r"下列|下面|如下"),
    "ja": re.compile(r"(?<!以)下(?:の|に)|次の"),
}

# What becomes of every field of a content record: rendered (the response that shows it) or
# internal (why it is not shown). A field in the files that is in neither is a fact that
# silently never reaches the user, and the check reports it.
PROCEDURE_FIELDS = {
    "title": "rendered: utter_procedure_summary",
    "summary": "rendered: utter_procedure_summary",
    "steps": "rendered: utter_procedure_steps",
    "documents": "rendered: utter_procedure_documents",
    "conditions": "rendered: utter_procedure_conditions (and the departure-order requirements)",
    "link_labels": "rendered: utter_procedure_link, one label per link",
    "notes": "internal: how the seed translations differ and which one we follow, for trainers",
    "language": "internal: the file's language",
}
SHARED_PROCEDURE_FIELDS = {
    "section": "internal: the seed section the facts come from",
    "deadlines": "rendered: through {<name>_days} placeholders and the flows' deadline dates",
    "values": "rendered: through {<name>} placeholders",
    "links": "rendered: utter_procedure_link",
}
OFFICE_FIELDS = {
    "kind": "internal: which offices can serve a prefecture",
    "parent": "internal: the bureau a branch belongs to",
    "name": "rendered: utter_office (office_name)",
    "address": "rendered: utter_office (address; address_ja for Chinese and Japanese readers)",
    "address_ja": "rendered: utter_office for Chinese and Japanese readers",
    "phones": "rendered: utter_office (phones, each with who the line is for)",
    "serves": "internal: routes a prefecture to its office",
    "source": "internal: where the facts come from",
    "note": "internal: how the seeds differ",
    "hosted_at": "internal: where the information center is hosted (shown in its answer text)",
    "consultants_at": "internal: where consultants sit (shown in its answer text)",
}
PHONE_FIELDS = {
    "number": "rendered: utter_office (phones)",
    "kind": "rendered: the phone_<kind> label",
    "label": "rendered: the line's own label in the reply language",
    "note": "internal: a remark on the line in the seeds",
}
STATUS_FIELDS = {
    "section": "internal: the seed section",
    "name": "rendered: utter_status_info (status_name)",
    "aliases": "internal: how users name the status; used to find it",
    "periods_of_stay": "rendered: utter_status_info (periods)",
    "max_period": "rendered: utter_status_info (periods: the designated period's upper limit)",
    "group": "internal: the numbered types of one status",
    "source": "internal: where a fact comes from when not from the seed",
    "note": "internal: where the seed is garbled or silent",
}
STATUS_TEXT_FIELDS = {
    "activities": "rendered: utter_status_info (activities)",
    "examples": "rendered: utter_status_info (examples)",
}


def _unaccounted(kind: str, key: str, record: object, fields: dict[str, str]) -> list[str]:
    if not isinstance(record, dict):
        return []
    return [
        f"{kind} {key}: field {name!r} is neither rendered nor listed as internal (actions/content_check.py)"
        for name in record
        if name not in fields
    ]


def check_fields(content: Content, content_dir: Path) -> list[str]:
    """Return the fields of content records that no response renders and no list calls internal."""
    problems: list[str] = []
    shared = read_yaml(content_dir / "shared" / "procedures.yml")
    for key, record in (shared.get("procedures") or {}).items():
        problems += _unaccounted("procedure", key, record, SHARED_PROCEDURE_FIELDS)
    for language in LANGUAGES:
        path = content_dir / language / "procedures.yml"
        if path.exists():
            sentences = read_yaml(path)
            for key, record in (sentences.get("procedures") or {}).items():
                problems += _unaccounted(f"procedure [{language}]", key, record, PROCEDURE_FIELDS)
        for key, record in content.status_texts.get(language, {}).items():
            problems += _unaccounted(f"status [{language}]", key, record, STATUS_TEXT_FIELDS)
    for key, office in content.offices.items():
        problems += _unaccounted("office", key, office, OFFICE_FIELDS)
        for phone in office.get("phones") or []:
            problems += _unaccounted("phone of office", key, phone, PHONE_FIELDS)
    for key, status in content.statuses.items():
        problems += _unaccounted("status", key, status, STATUS_FIELDS)
    return problems


def check_below(content: Content) -> list[str]:
    """Return the sentences that announce something "below" when nothing of that kind follows.

    The answer shows the summary, the steps, the documents, then the conditions; a sentence that
    says "below" needs a later, non-empty part (the documents or the conditions).
    """
    problems: list[str] = []
    for language in LANGUAGES:
        below = BELOW[language]
        for key, sentences in content.sentences.get(language, {}).items():
            parts = [[sentences.summary], sentences.steps, sentences.documents, sentences.conditions]
            for index, part in enumerate(parts):
                later = [item for later_part in parts[index + 1 :] for item in later_part]
                for position, sentence in enumerate(part):
                    if below.search(sentence) and not later and position == len(part) - 1:
                        problems.append(f"{key} [{language}]: says 'below' but nothing follows it: {sentence[:60]!r}")
    return problems


def check_procedures(content: Content) -> list[str]:
    """Return the problems of the procedure files."""
    problems: list[str] = []
    for key, facts in content.procedures.items():
        names = facts.placeholders()
        shared_numbers = {value for value in names.values() if value.strip().isdigit()}
        for url in facts.links:
            if not is_official_link(url):
                problems.append(f"{key}: link is not an official https address: {url}")
        english = content.sentences.get("en", {}).get(key)
        for language in LANGUAGES:
            sentences = content.sentences.get(language, {}).get(key)
            if sentences is None:
                problems.append(f"{key}: missing in {language}")
                continue
            for template in sentences.templates():
                for name in placeholder_names(template):
                    if name not in names:
                        problems.append(f"{key} [{language}]: placeholder {{{name}}} is not in the shared data")
                for number in _numbers_outside_placeholders(template):
                    if number not in shared_numbers:
                        problems.append(
                            f"{key} [{language}]: the number {number} disagrees with the shared data "
                            f"({', '.join(sorted(shared_numbers)) or 'no numbers'}): {template[:60]!r}"
                        )
            if len(sentences.link_labels) != len(facts.links):
                problems.append(f"{key} [{language}]: {len(sentences.link_labels)} link labels for {len(facts.links)} links")
            if english is not None and language != "en":
                for kind in PARALLEL_LISTS:
                    if len(getattr(sentences, kind)) != len(getattr(english, kind)):
                        problems.append(f"{key} [{language}]: {kind} has a different length than in English")
    for language in LANGUAGES:
        for key in content.sentences.get(language, {}):
            if key not in content.procedures:
                problems.append(f"{key} [{language}]: not in shared/procedures.yml")
    return problems


def check_offices(content: Content) -> list[str]:
    """Return the problems of the offices and prefectures files."""
    problems: list[str] = []
    serving: dict[str, list[str]] = {}
    for key, office in content.offices.items():
        if not office.get("phones"):
            problems.append(f"office {key}: has no phone")
        for language in LANGUAGES:
            if not (office.get("name") or {}).get(language):
                problems.append(f"office {key}: no name in {language}")
        parent = office.get("parent")
        if parent and parent not in content.offices:
            problems.append(f"office {key}: unknown parent {parent}")
        for prefecture in office.get("serves") or []:
            serving.setdefault(prefecture, []).append(key)
            if prefecture not in content.prefectures:
                problems.append(f"office {key}: serves unknown prefecture {prefecture}")
    if len(content.prefectures) != 47:
        problems.append(f"prefectures: {len(content.prefectures)} listed, Japan has 47")
    for key, prefecture in content.prefectures.items():
        offices = serving.get(key, [])
        if len(offices) != 1:
            problems.append(f"prefecture {key}: served by {len(offices)} offices ({', '.join(offices)}), expected 1")
        for language in LANGUAGES:
            if not (prefecture.get("name") or {}).get(language):
                problems.append(f"prefecture {key}: no name in {language}")
    return problems


def check_phone_labels(content: Content) -> list[str]:
    """Return the phone numbers that do not say who they are for.

    An office with one number needs no label. With several, at most one may be unlabelled (the
    office's main line); every other one has a kind (``overseas_ip``) whose label
    ``phone_<kind>`` exists in every language, so the user reads which number works from abroad.
    """
    problems: list[str] = []
    labelled = {
        kind
        for kind in {
            str(phone.get("kind", "main")) for office in content.offices.values() for phone in office.get("phones") or []
        }
        if all(f"phone_{kind}" in content.labels.get(language, {}) for language in LANGUAGES)
    }
    for key, office in content.offices.items():
        phones = office.get("phones") or []
        unlabelled = [
            str(phone["number"])
            for phone in phones
            if str(phone.get("kind", "main")) not in labelled
            and not all((phone.get("label") or {}).get(language) for language in LANGUAGES)
        ]
        if len(phones) > 1 and len(unlabelled) > 1:
            problems.append(
                f"office {key}: phone numbers without a label: {', '.join(unlabelled)} "
                "(give each extra number a kind with a phone_<kind> label in every language)"
            )
    return problems


def check_labels(content: Content) -> list[str]:
    """Return the labels that exist in one language and not in another.

    ``months_pattern`` is the exception: Babel writes months in every language but Chinese and
    Japanese, so only those two need the pattern.
    """
    problems: list[str] = []
    keys = {key for labels in content.labels.values() for key in labels} - LANGUAGE_SPECIFIC_LABELS
    for language in LANGUAGES:
        for key in sorted(keys - set(content.labels.get(language, {}))):
            problems.append(f"label {key}: missing in {language}/labels.yml")
    return problems


def check_responses(domain_path: Path) -> list[str]:
    """Return the responses of domain.yml that miss a language or differ in their buttons.

    Each response has the English text first (no condition) and one variant per other language,
    chosen by a condition on the ``language`` slot; every variant has as many buttons as English.
    """
    if not domain_path.exists():
        return []
    domain = read_yaml(domain_path)
    problems: list[str] = []
    for name, variants in (domain.get("responses") or {}).items():
        by_language: dict[str, dict] = {}
        for variant in variants:
            language = variation_language(variant)
            if language in by_language:
                problems.append(f"response {name}: two variants for {language}")
            by_language[language] = variant
        for language in LANGUAGES:
            variant = by_language.get(language)
            if variant is None or not (variant.get("text") or variant.get("custom") or variant.get("image")):
                problems.append(f"response {name}: missing in {language}")
            elif len(variant.get("buttons") or []) != len(by_language.get(DEFAULT_LANGUAGE, {}).get("buttons") or []):
                problems.append(f"response {name} [{language}]: a different number of buttons than in English")
    return problems


def check_statuses(content: Content) -> list[str]:
    """Return the problems of the status-of-residence files."""
    problems: list[str] = []
    for key, status in content.statuses.items():
        if not status.get("periods_of_stay"):
            problems.append(f"status {key}: no periods of stay")
        if "designated_by_minister" in (status.get("periods_of_stay") or []) and not status.get("max_period"):
            problems.append(f"status {key}: a period the Minister designates without its upper limit (max_period)")
        for language in LANGUAGES:
            if not (status.get("name") or {}).get(language):
                problems.append(f"status {key}: no name in {language}")
            if key not in content.status_texts.get(language, {}):
                problems.append(f"status {key}: no activities in {language}")
        for period in status.get("periods_of_stay") or []:
            if isinstance(period, str):
                for language in LANGUAGES:
                    if f"period_{period}" not in content.labels.get(language, {}):
                        problems.append(f"status {key}: no label period_{period} in {language}/labels.yml")
    return problems


def check_content(content_dir: Path) -> list[str]:
    """Return every problem of the content under ``content_dir`` (empty when consistent)."""
    try:
        content = read_content(content_dir)
    except ContentError as error:
        return [str(error)]
    from actions.content_glossary import (
        check_glossary,  # terminology: actions/content/glossary.yml
    )

    return (
        check_glossary(content_dir)
        + check_procedures(content)
        + check_offices(content)
        + check_phone_labels(content)
        + check_statuses(content)
        + check_labels(content)
        + check_fields(content, content_dir)
        + check_below(content)
        + check_responses(content_dir.parent.parent / "domain.yml")
    )
