"""Faults a test (or the HTTP control endpoint) queues for the next requests to `/responses`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from tui.sim.style import error_name

FAULT_KINDS = (
    "rate_limit", "server_error", "refuse", "drop", "stall", "malformed", "fail", "error_event", "silent_tool", "forget"
)
# hit any request with a valid key, before validation; `refuse` answers with the documented error `code` names
REFUSALS = frozenset({"rate_limit", "server_error", "refuse"})
# hit only a request that gets an answer: cut or garble it, fail it mid-stream (`fail` sends
# `response.failed`, `error_event` an `error` event then the end), or keep a tool run silent for `seconds`
ANSWER_FAULTS = frozenset({"drop", "stall", "malformed", "fail", "error_event", "silent_tool"})
DEFAULT_RETRY_AFTER = 1.0
DEFAULT_AFTER_DELTAS = 1
DEFAULT_STALL_SECONDS = 10.0
#: How long a silent tool run lasts unless told: DS examples show web_extractor runs with no events this long.
DEFAULT_SILENT_TOOL_SECONDS = 90.0


@dataclass(frozen=True)
class Fault:
    """One queued fault; `times` is how many more requests it still hits."""

    kind: str
    times: int = 1
    retry_after: float = DEFAULT_RETRY_AFTER
    after_deltas: int = DEFAULT_AFTER_DELTAS
    seconds: float = DEFAULT_STALL_SECONDS
    #: For `refuse`: which documented error (a `tui.sim.style.ERRORS` name or a live code).
    code: str | None = None


def make_fault(
    kind: str,
    *,
    times: int = 1,
    retry_after: float | None = None,
    after_deltas: int | None = None,
    seconds: float | None = None,
    code: str | None = None,
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
        seconds=float(seconds) if seconds is not None else (
            DEFAULT_SILENT_TOOL_SECONDS if kind == "silent_tool" else DEFAULT_STALL_SECONDS
        ),
        code=_refusal_code(kind, code),
    )


def _refusal_code(kind: str, code: str | None) -> str | None:
    """The checked error name of a `refuse` fault (which must name one)."""
    if kind != "refuse":
        return None
    if not code:
        raise ValueError("a refuse fault needs a code, e.g. Throttling.AllocationQuota")
    return error_name(code)


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
