"""The context meter: how much of the model's window the last turn's input filled (and a flag at 80%)."""

from __future__ import annotations

from dataclasses import dataclass

from tui.store.models import Usage

#: DashScope truncates the input silently above about this share of the window (audit c2), so warn there.
WARN_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class ContextMeter:
    """`used` input tokens of the last turn against the model's `window` (in chain mode: the server's context)."""

    used: int
    window: int
    model: str

    @property
    def share(self) -> float:
        return self.used / self.window if self.window > 0 else 0.0

    @property
    def warn(self) -> bool:
        """At or above 80%: the service may already be dropping the oldest turns without saying so."""
        return self.share >= WARN_SHARE

    @property
    def text(self) -> str:
        """`12% of 262k` (what a status line shows)."""
        return f"{self.share:.0%} of {_short(self.window)}"


def _short(tokens: int) -> str:
    if tokens >= 1_000_000 and tokens % 1_000_000 == 0:
        return f"{tokens // 1_000_000}M"
    return f"{round(tokens / 1000)}k" if tokens >= 1000 else str(tokens)


def meter_for(usage: Usage | None, model: str, window: int) -> ContextMeter | None:
    """The meter after a turn with `usage` (None when the turn reported no usage)."""
    if usage is None:
        return None
    return ContextMeter(used=usage.input_tokens, window=window, model=model)
