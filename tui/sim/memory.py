"""Stored responses for `previous_response_id`: each id keeps its whole context for 7 days on the sim clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from tui.sim.clock import SimClock

RESPONSE_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Turn:
    """One stored exchange: the messages this request added and its reply, linked to the turn it continued."""

    parent: Turn | None
    messages: tuple[tuple[str, str], ...]  # (role, text), the request's input then the assistant's output

    def context(self) -> list[tuple[str, str]]:
        """Every message of the chain, oldest first."""
        chain: list[Turn] = []
        node: Turn | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return [message for turn in reversed(chain) for message in turn.messages]


class ResponseMemory:
    """Maps response ids to their turns until they expire (or until `forget()`)."""

    def __init__(self, clock: SimClock, ttl: float = RESPONSE_TTL_SECONDS) -> None:
        self._clock = clock
        self._ttl = ttl
        self._turns: dict[str, tuple[Turn, float]] = {}
        #: The finished response body of each stored id, for `GET /responses/{id}`.
        self._bodies: dict[str, dict] = {}
        self._lock = threading.Lock()

    def remember(self, response_id: str, turn: Turn, created_at: float, body: dict | None = None) -> None:
        with self._lock:
            self._turns[response_id] = (turn, created_at + self._ttl)
            if body is not None:
                self._bodies[response_id] = body

    def body(self, response_id: str) -> dict | None:
        """The stored response `response_id` (None when unknown, expired or deleted)."""
        if self.recall(response_id) is None:
            return None
        with self._lock:
            return self._bodies.get(response_id)

    def delete(self, response_id: str) -> bool:
        """Drop a stored response (`DELETE /responses/{id}`); False if it was unknown or expired."""
        known = self.recall(response_id) is not None
        with self._lock:
            self._turns.pop(response_id, None)
            self._bodies.pop(response_id, None)
        return known

    def recall(self, response_id: str) -> Turn | None:
        """The turn stored under `response_id`, or None when unknown or expired."""
        with self._lock:
            entry = self._turns.get(response_id)
            if entry is None:
                return None
            turn, expires_at = entry
            if self._clock.now() >= expires_at:
                del self._turns[response_id]
                self._bodies.pop(response_id, None)
                return None
            return turn

    def forget(self) -> None:
        """Lose every stored id, as a server would after expiry or a reset."""
        with self._lock:
            self._turns.clear()
            self._bodies.clear()
