"""Retry Bot API requests that Telegram did not carry out, so a reply is not lost to a hiccup.

Two kinds of failure are retried, each by its own layer:

- 429 "Too Many Requests" with ``retry_after``: python-telegram-bot's AIORateLimiter
  (app.build_application) holds every request for that long, then sends again.
- A gateway error of Telegram's front proxy (502, 503, 504), or a connection that could not
  be opened: ``RetryingRequest`` below sends again after 0.5, 1, 2 and 4 seconds.

Neither retries a request that may have been carried out: a timeout while waiting for the
answer, or a connection that broke after the request was sent, is not retried, because
Telegram could have delivered the message already and the user would read it twice. A
gateway error means Telegram's servers behind the proxy did not answer, which is taken as
"not delivered"; that is the one assumption made here.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import TYPE_CHECKING

import httpx
from telegram.error import NetworkError
from telegram.request import BaseRequest, HTTPXRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput  # PTB's type of its timeout arguments

DEFAULT_NONE = BaseRequest.DEFAULT_NONE

logger = logging.getLogger(__name__)

GATEWAY_ERRORS = frozenset({HTTPStatus.BAD_GATEWAY, HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.GATEWAY_TIMEOUT})
# Seconds before each new attempt; after the last one the error goes to the caller.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
# httpx errors raised before anything was sent: the request cannot have been carried out.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


def _method(url: str) -> str:
    """Return the Bot API method of a request URL (which contains the token, so is never logged)."""
    return url.rsplit("/", 1)[-1]


class RetryingRequest(HTTPXRequest):
    """PTB's httpx request that sends again after a gateway error or a refused connection."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request; retry it while Telegram did not carry it out, at most len(RETRY_DELAYS) times."""
        for delay in (*RETRY_DELAYS, None):
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data=request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except NetworkError as error:
                if delay is None or not isinstance(error.__cause__, NOT_SENT):
                    raise
                logger.warning("Bot API not reachable for %s (%s); retrying in %.1f s", _method(url), error, delay)
            else:
                if delay is None or code not in GATEWAY_ERRORS:
                    return code, payload
                logger.warning("Bot API answered %s to %s; retrying in %.1f s", code, _method(url), delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")
