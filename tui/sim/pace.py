"""How fast a stream goes out: at once (tests, benchmarks), a steady number of deltas per second
(`--speed`), or the demo's human pace: a thinking pause, tools that take a moment, then words at
reading speed with a little jitter, so a person sees the spinner, can press Esc and can read along.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

#: Seconds to wait before sending one event, given its type and JSON data.
Pacer = Callable[[str, str], float]

#: Events after which a tool has "worked": the pause goes before them.
_TOOL_DONE = ("response.web_search_call.completed", "response.code_interpreter_call.completed")


@dataclass(frozen=True)
class HumanPace:
    """The demo's pace; every figure scales with `scaled()` (2x halves every pause)."""

    words_per_second: float = 45.0
    #: Each delta's delay varies by up to this fraction either way.
    jitter: float = 0.35
    #: Before the first output item: the model "thinks".
    thinking_seconds: float = 0.7
    #: While a web search, extraction or code run is in progress.
    tool_seconds: float = 0.9

    def scaled(self, factor: float) -> HumanPace:
        """The same pace `factor` times faster."""
        return replace(
            self,
            words_per_second=self.words_per_second * factor,
            thinking_seconds=self.thinking_seconds / factor,
            tool_seconds=self.tool_seconds / factor,
        )

    def pacer(self, seed: int) -> Pacer:
        """Delays for one stream; the same seed gives the same delays."""
        rng = random.Random(seed)
        started = False

        def delay(event_type: str, data: str) -> float:
            nonlocal started
            if event_type == "response.output_item.added" and not started:
                started = True
                return self.thinking_seconds
            if event_type in _TOOL_DONE or (
                event_type == "response.output_item.done" and '"type":"web_extractor_call"' in data
            ):
                return self.tool_seconds
            if event_type.endswith(".delta"):
                words = max(1, len(str(json.loads(data).get("delta", "")).split()))
                return words / self.words_per_second * (1 + rng.uniform(-self.jitter, self.jitter))
            return 0.0

        return delay


#: What `--demo` streams at unless `--demo-speed` says otherwise.
DEMO_PACE = HumanPace()


def steady_pacer(deltas_per_second: float) -> Pacer:
    """`--speed N`: every delta event one 1/N s after the previous one, everything else at once."""
    interval = 1.0 / deltas_per_second
    return lambda event_type, data: interval if event_type.endswith(".delta") else 0.0


def choose_pacer(pace: HumanPace | None, speed: float | None, seed: int) -> Pacer | None:
    """A human pace wins over a steady speed; neither means as fast as possible (None)."""
    if pace is not None:
        return pace.pacer(seed)
    if speed is not None:
        return steady_pacer(speed)
    return None


_FACTOR = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*[x×]", re.IGNORECASE)


def parse_demo_speed(text: str) -> HumanPace | None:
    """`max` (as fast as possible: None), a factor like `2x` or `0.5x`, or words per second like `80`."""
    value = text.strip().lower()
    if value == "max":
        return None
    factor = _FACTOR.fullmatch(value)
    try:
        number = float(factor.group(1) if factor else value)
    except ValueError:
        raise ValueError(f"{text!r} is not a speed: use max, a factor like 2x, or words per second like 80") from None
    if not number > 0 or number == float("inf"):
        raise ValueError(f"the demo speed must be greater than 0, not {text}")
    return DEMO_PACE.scaled(number if factor else number / DEMO_PACE.words_per_second)
