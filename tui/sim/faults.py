"""Faults a test (or the HTTP control endpoint) queues for the next requests to `/responses`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

FAULT_KINDS = ("rate_limit", "server_error", "drop", "stall", "malformed", "forget")
REFUSALS = frozenset({"rate_limit", "server_error"})  # hit any request with a valid key, before validation
ANSWER_FAULTS = frozenset({"drop", "stall", "malformed"})  # hit only a request that gets an answer
DEFAULT_RETRY_AFTER = 1.0
DEFAULT_AFTER_DELTAS = 1
DEFAULT_STALL_SECONDS = 10.0


@dataclass(frozen=True)
class Fault:
    """One queued fault; `times` is how many more requests it still hits."""

    kind: str
    times: int = 1
    retry_after: float = DEFAULT_RETRY_AFTER
    after_deltas: int = DEFAULT_AFTER_DELTAS
    seconds: float = DEFAULT_STALL_SECONDS


def make_fault(
    kind: str,
    *,
    times: int = 1,
    retry_after: float | None = None,
    after_deltas: int | None = None,
    seconds: float | None = None,
) -> Fault:
    """Validate the arguments of `SimServer.inject` and fill in defaults."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    if times < 1:
        raise ValueError("times must be at least 1")
    return Fault(
        kind=kind,
        times=times,
        retry_after=DEFAULT_RETRY_AFTER if retry_after is None else float(retry_after),
        after_deltas=DEFAULT_AFTER_DELTAS if after_deltas is None else max(0, int(after_deltas)),
        seconds=DEFAULT_STALL_SECONDS if seconds is None else float(seconds),
    )


class FaultQueue:
    """First-in first-out faults; a request takes one hit from the head of the queue when it applies to it."""

    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def push(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def take(self, kinds: frozenset[str]) -> Fault | None:
        """The fault at the head of the queue if it is one of `kinds` (one hit of it is used up), else None."""
        with self._lock:
            if not self._queue or self._queue[0].kind not in kinds:
                return None
            head = self._queue[0]
            if head.times <= 1:
                self._queue.pop(0)
            else:
                self._queue[0] = replace(head, times=head.times - 1)
            return head
