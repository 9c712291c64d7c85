"""The production profile's lock store: Rasa's RedisLockStore with atomic ticket changes.

Rasa serialises the messages of one conversation with a ticket lock kept in Redis: a worker takes
a ticket, waits until it is the ticket's turn, handles the message and gives the ticket back.
RedisLockStore changes a lock by reading it, changing it in the worker and writing it back, in
three separate Redis calls. When two workers take a ticket for the same conversation at the same
instant, both read "no lock", both issue ticket 0 and both write it: both handle their message
at once, and the SQL tracker store keeps only one of the two turns (the drill
tests/test_production_drills.py sends two messages at the same instant to two workers and saw
one lost in about one run of ten).

Here every read-change-write of a conversation's lock runs under a short Redis mutex (redis-py's
``Lock``: SET NX with an expiry, released by a script that checks its token), so two workers
change a conversation's lock one after the other. The ticket logic itself stays Rasa's.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# A change of the lock takes a few milliseconds; the expiry only frees a mutex whose worker died.
MUTEX_SECONDS = 10.0


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket changes are atomic across workers and machines."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_SECONDS)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue a ticket: read, change and write the lock under the conversation's mutex."""
        with self._mutex(conversation_id):
            return LockStore.issue_ticket(self, conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets under the conversation's mutex."""
        with self._mutex(conversation_id):
            LockStore.update_lock(self, conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Give a ticket back under the conversation's mutex."""
        with self._mutex(conversation_id):
            LockStore.finish_serving(self, conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give a ticket back and delete the lock when nobody waits, in one step under the mutex."""
        with self._mutex(conversation_id):
            LockStore.finish_serving(self, conversation_id, ticket_number)
            if not self.is_someone_waiting(conversation_id):
                self.delete_lock(conversation_id)
