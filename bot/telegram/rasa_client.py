"""Talk to the Rasa server over its REST channel."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.languages import normalize_language

logger = logging.getLogger(__name__)

REST_WEBHOOK = "/webhooks/rest/webhook"


def conversation_language(replies: list[dict[str, Any]]) -> str | None:
    """Return the conversation's language that Rasa's replies carry (its `language` slot), if any.

    bot/rasa_server.py puts it in every reply's metadata; the last reply's is the newest.
    """
    for reply in reversed(replies):
        metadata = reply.get("metadata")
        language = normalize_language(metadata.get("language")) if isinstance(metadata, dict) else None
        if language:
            return language
    return None


class RasaUnavailable(Exception):
    """The Rasa server could not be reached, timed out, or gave no usable answer."""


class RasaClient:
    """Send a chat's messages to Rasa and return its replies; one instance per process."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._answering = True

    async def send(self, sender: str, message: str, language_code: str | None) -> list[dict[str, Any]]:
        """Post one message for ``sender``; raise RasaUnavailable when Rasa cannot answer.

        ``language_code`` (the user's Telegram app language) goes along as a hint to Rasa's
        language detection only; the conversation's language is Rasa's to decide.
        """
        body: dict[str, Any] = {"sender": sender, "message": message}
        if language_code:
            body["metadata"] = {"language_code": language_code}
        try:
            response = await self._http.post(REST_WEBHOOK, json=body)
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            self._went_down(error)
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(replies, list):
            self._went_down(TypeError("the REST channel did not return a list"))
            raise RasaUnavailable("unexpected answer")
        if not self._answering:
            logger.info("Rasa server answers again")
            self._answering = True
        return [reply for reply in replies if isinstance(reply, dict)]

    def _went_down(self, error: Exception) -> None:
        # One warning when Rasa stops answering, not one per message while it is down.
        if self._answering:
            logger.warning("Rasa server is not answering (%s); users are told it is temporarily unavailable", error)
            self._answering = False

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()
