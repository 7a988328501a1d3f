"""The Chat Completions body for a turn whose model the Responses API does not serve (catalog
`endpoints = ["chat"]`): the branch replayed as `messages`, streamed with usage, thinking per the table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tui.catalog import ModelInfo
from tui.chat.chain import ImageUrls, TurnOptions
from tui.store.models import Message


def chat_messages(path: Sequence[Message], system_prompt: str | None, images: ImageUrls | None) -> list[dict[str, Any]]:
    """System prompt, then every message with text or images; images as Chat `image_url` parts (text last)."""
    messages: list[dict[str, Any]] = []
    if system_prompt and system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt})
    for message in path:
        urls = (images or {}).get(message.id)
        if urls:
            parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": url}} for url in urls]
            if message.content:
                parts.append({"type": "text", "text": message.content})
            messages.append({"role": message.role, "content": parts})
        elif message.content:
            messages.append({"role": message.role, "content": message.content})
    return messages


def chat_body(options: TurnOptions, path: Sequence[Message], info: ModelInfo, images: ImageUrls | None = None) -> dict[str, Any]:
    """`POST /chat/completions` body: stream with a usage chunk; `enable_thinking` as asked where the model can
    switch, on for models that always think (so their `reasoning_content` streams), absent for those that never do."""
    body: dict[str, Any] = {
        "model": options.model,
        "messages": chat_messages(path, options.system_prompt, images),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if info.thinking == "hybrid":
        body["enable_thinking"] = options.thinking
    elif info.thinking == "always":
        body["enable_thinking"] = True
    return body
