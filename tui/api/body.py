"""Request bodies as JSON bytes without escaping big base64 data URLs on the event loop.

`json.dumps` escapes a string in one C call that holds the GIL: for a 5 MB image's data URL
(~6.7 MB of text) that is 30-70 ms on this machine, a stall no worker thread can hide. Base64 text
needs no escaping, so each such URL is swapped for a short placeholder, the small body is dumped,
and the URL's bytes are spliced back in (a copy, ~1 ms).
"""

from __future__ import annotations

import json
from typing import Any

#: Strings shorter than this are dumped as usual (the swap only pays for big ones).
_BIG = 64 * 1024
_MARK = "\x00qwen-tui-data-url-{}\x00"


def _is_plain_data_url(value: str) -> bool:
    """A base64 data URL whose JSON form is itself between quotes: ASCII, no quote, no backslash, no controls
    in its header (the payload is our own `base64.b64encode` output: its alphabet needs no escaping)."""
    head = value[:80]
    return (
        head.startswith("data:")
        and ";base64," in head
        and value.isascii()
        and '"' not in value
        and "\\" not in value
        and head.isprintable()
    )


def encode_body(body: dict[str, Any]) -> bytes:
    """`json.dumps(body, ensure_ascii=False).encode()`, with big data URLs copied in rather than escaped."""
    big: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            if len(value) >= _BIG and _is_plain_data_url(value):
                big.append(value)
                return _MARK.format(len(big) - 1)
            return value
        if isinstance(value, dict):
            return {key: swap(item) for key, item in value.items()}
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    small = swap(body)
    encoded = json.dumps(small, ensure_ascii=False).encode()
    if not big:
        return encoded
    pieces: list[bytes] = []
    for index, url in enumerate(big):
        marker = json.dumps(_MARK.format(index)).encode()[1:-1]  # as json.dumps wrote it, without the quotes
        before, _, encoded = encoded.partition(marker)
        pieces += [before, url.encode("ascii")]
    pieces.append(encoded)
    return b"".join(pieces)
