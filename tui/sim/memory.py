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
        self._lock = threading.Lock()

    def remember(self, response_id: str, turn: Turn, created_at: float) -> None:
        with self._lock:
            self._turns[response_id] = (turn, created_at + self._ttl)

    def recall(self, response_id: str) -> Turn | None:
        """The turn stored under `response_id`, or None when unknown or expired."""
        with self._lock:
            entry = self._turns.get(response_id)
            if entry is None:
                return None
            turn, expires_at = entry
            if self._clock.now() >= expires_at:
                del self._turns[response_id]
                return None
            return turn

    def forget(self) -> None:
        """Lose every stored id, as a server would after expiry or a reset."""
        with self._lock:
            self._turns.clear()
