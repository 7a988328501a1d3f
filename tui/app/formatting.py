"""Short human labels for the status line and lists: token counts, durations, endpoints."""

from __future__ import annotations

import time
from urllib.parse import urlparse


def format_tokens(count: int) -> str:
    """1234 -> "1.2k", 999 -> "999", 21_778_000 -> "21.8M" (M from 999,500, which would show as "1000k")."""
    if count < 1000:
        return str(count)
    if count < 99_950:  # 99,950 would show as "100.0k"
        return f"{count / 1000:.1f}k"
    if count < 999_500:
        return f"{round(count / 1000)}k"
    if count < 99_950_000:
        return f"{count / 1_000_000:.1f}M"
    return f"{round(count / 1_000_000)}M"


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


def format_age(then: float, now: float) -> str:
    """How long ago, briefly: "now", "5m", "3h", "2d", "3w", then the date ("12 Mar", "12 Mar 2025")."""
    seconds = max(now - then, 0)
    if seconds < 60:
        return "now"
    for unit, size in (("m", 60), ("h", 3600), ("d", 86400)):
        if seconds < size * (60 if unit == "m" else 24 if unit == "h" else 7):
            return f"{int(seconds // size)}{unit}"
    if seconds < 5 * 7 * 86400:
        return f"{int(seconds // (7 * 86400))}w"
    day, this_year = time.localtime(then), time.localtime(now).tm_year
    return time.strftime("%-d %b" if day.tm_year == this_year else "%-d %b %Y", day)


def plural(count: int, noun: str) -> str:
    """ "1 tool call", "2 tool calls"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
