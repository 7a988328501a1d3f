"""The web sources an answer used: the URLs its web_search (and web_extractor) items carry, numbered once each."""

from __future__ import annotations

from collections.abc import Iterable

from tui.store.models import OutputItem

#: Item types whose URLs are sources of the answer, and the data key that lists them.
_SOURCE_KEYS = (("web_search_call", "sources"), ("web_extractor_call", "urls"))


def answer_sources(items: Iterable[OutputItem]) -> list[str]:
    """Every source URL of a turn, in the order the tools found them, without repeats."""
    urls: dict[str, None] = {}
    for item in items:
        for kind, key in _SOURCE_KEYS:
            listed = item.data.get(key) if item.type == kind else None
            if isinstance(listed, list):
                urls.update((url, None) for url in listed if isinstance(url, str) and url.startswith(("http://", "https://")))
    return list(urls)
