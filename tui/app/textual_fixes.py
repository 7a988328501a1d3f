"""Work-arounds for Textual defects that a long app session runs into; `apply` installs them once.

`StylesCache.get_inner_outer` (textual/_styles_cache.py, Textual 8.2) is an `lru_cache(1024)` on an
instance method, so its keys hold the last 1,024 `StylesCache` objects it was called on, each with
every line its widget last rendered (`Strip`s and their caches), long after the widget is gone
(upstream: Textualize/textual#6665, open). A chat mounts and removes a dozen widgets per answer, so a
long session keeps ~1,000 dead widgets' renders alive: ~12 MB of RSS by turn 200 (bench/soak_probe.py).
The colours are the whole input, so the same cache keyed on them alone gives the same styles.
"""

from __future__ import annotations

from functools import lru_cache

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> tuple[Style, Style]:
    """Textual's `StylesCache.get_inner_outer`, cached on the colours only."""
    return Style(background=base_background + background), Style(background=base_background)


def _get_inner_outer(self: StylesCache, base_background: Color, background: Color) -> tuple[Style, Style]:
    return _inner_outer(base_background, background)


def apply() -> None:
    """Install the work-arounds (idempotent). Each steps aside once Textual no longer has its defect."""
    method = StylesCache.__dict__.get("get_inner_outer")
    clear = getattr(method, "cache_clear", None)
    if clear is not None:  # still the lru_cache over `self`
        clear()
        setattr(StylesCache, "get_inner_outer", _get_inner_outer)  # noqa: B010 (a method, not an lru_cache)
