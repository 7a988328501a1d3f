"""The simulator's clock: wall time plus an offset tests can push forward (to expire response ids)."""

from __future__ import annotations

import threading
import time


class SimClock:
    """Wall-clock time that `advance()` moves forward without waiting; safe to share across threads."""

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current simulated time in seconds since the epoch."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump the clock forward by `seconds` (negative values are refused)."""
        if seconds < 0:
            raise ValueError("the simulator clock only moves forward")
        with self._lock:
            self._offset += seconds
