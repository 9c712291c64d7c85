"""Validate the content files so that drift between languages cannot go unnoticed.

`jra content check` prints every problem: a procedure missing in a language, a placeholder
that the shared data does not define, a number written in a sentence that is not one of the
procedure's shared numbers, lists of different lengths across languages, a link that is not an
official https address, an office without a phone, a prefecture without exactly one office.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from actions.content_files import Content, ContentError, placeholder_names, read_content
from bot.languages import LANGUAGES

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
                problems.append(
                    f"{key} [{language}]: {len(sentences.link_labels)} link labels for {len(facts.links)} links"
                )
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


def check_statuses(content: Content) -> list[str]:
    """Return the problems of the status-of-residence files."""
    problems: list[str] = []
    for key, status in content.statuses.items():
        if not status.get("periods_of_stay"):
            problems.append(f"status {key}: no periods of stay")
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
    return check_procedures(content) + check_offices(content) + check_statuses(content)
