"""Short human labels for the status line and lists: token counts, durations, endpoints."""

from __future__ import annotations

from urllib.parse import urlparse


def format_tokens(count: int) -> str:
    """1234 -> "1.2k", 999 -> "999"."""
    if count < 1000:
        return str(count)
    if count < 100_000:
        return f"{count / 1000:.1f}k"
    return f"{count // 1000}k"


def format_remaining(seconds: float) -> str:
    """Time left as the two largest units: "6d 23h", "5h 2m", "4m", "expired"."""
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{max(minutes, 1)}m"


def format_elapsed(seconds: float) -> str:
    """Elapsed streaming time: "3.4s", "1m 05s"."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m {secs:02d}s"


def endpoint_label(region: str | None, base_url: str | None, demo: bool = False) -> str:
    """Where requests go, briefly: "demo", the region name, or the custom host."""
    if demo:
        return "demo simulator"
    if base_url:
        parsed = urlparse(base_url)
        return parsed.netloc or base_url
    return region or "singapore"
