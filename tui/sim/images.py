"""Images in a request: the simulated model answers with what it received (count and bytes), so tests
check a real round trip. Accepts Responses `input_image` parts and Chat-style `image_url` parts
(the docs show both spellings; audit, image input)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from tui.sim.script import Reply, split_deltas


class BadImage(ValueError):
    """An image part the service would refuse (not a data URL or http(s) URL, or broken base64)."""


def _image_source(part: dict[str, Any]) -> str | None:
    kind = part.get("type")
    value = part.get("image_url")
    if kind == "image_url" and isinstance(value, dict):
        value = value.get("url")
    if kind in ("input_image", "image_url"):
        if not isinstance(value, str):
            raise BadImage("image_url must be a URL or a data URL")
        return value
    return None


def image_sizes(messages: Any) -> list[int]:
    """Bytes of each image in the last user message (0 for an http(s) URL, which is not fetched here)."""
    last = None
    for item in messages if isinstance(messages, list) else []:
        if isinstance(item, dict) and item.get("role") == "user":
            last = item
    content = last.get("content") if last else None
    sizes: list[int] = []
    for part in content if isinstance(content, list) else []:
        source = _image_source(part) if isinstance(part, dict) else None
        if source is None:
            continue
        if source.startswith(("http://", "https://")):
            sizes.append(0)
            continue
        head, _, payload = source.partition(",")
        if not (head.startswith("data:image/") and head.endswith(";base64")):
            raise BadImage("an image must be an http(s) URL or a base64 data URL of an image")
        try:
            sizes.append(len(base64.b64decode(payload, validate=True)))
        except (binascii.Error, ValueError):
            raise BadImage("the image data URL is not valid base64") from None
    return sizes


def with_images(reply: Reply, sizes: list[int]) -> Reply:
    """`reply` opened by a line saying how many images arrived and their total bytes."""
    if not sizes:
        return reply
    count = f"{len(sizes)} image{'s' if len(sizes) != 1 else ''}"
    text = f"I received {count} ({sum(sizes)} bytes).\n\n{reply.text}"
    return replace(reply, text=text, deltas=split_deltas(text))
