"""Conversation export (Markdown transcript, JSON document) and validation of JSON imports.

Pure functions over records; the store does the reading and writing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui.store.errors import StoreError
from tui.store.images import NewImage
from tui.store.input_items import function_items
from tui.store.models import Conversation, ImageRef, Message, OutputItem, Usage
from tui.store.options import clean_options
from tui.store.recovery import INTERRUPTED
from tui.store.sources import answer_sources
from tui.text_safety import one_line

FORMAT = "qwen-tui/1"
_ROLES = {"user", "assistant", "system"}
_STATUSES = {"pending", "streaming", "complete", "incomplete", "cancelled", "failed"}
_SPEAKERS = {"user": "You", "assistant": "Qwen", "system": "System"}


# ---------------------------------------------------------------------- markdown


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_item(item: OutputItem) -> str:
    """One line for a stored output item, as the Markdown export and `qwen-tui show` print it:
    `Reasoning: Compare runtimes.`, `Web search: rust vs go · 2 sources`, `Code interpreter: `import os` · 3 lines`."""
    data = item.data
    details = [one_line(str(data[key]), 160) for key in ("summary", "query", "goal") if data.get(key)]
    if data.get("name"):
        server = f"{one_line(str(data['server']), 40)}: " if data.get("server") else ""
        details.append(f"{server}{one_line(str(data['name']), 60)}({one_line(str(data.get('arguments') or ''), 80)})")
    if item.type in ("function_call", "mcp_call") and (data.get("output") or data.get("error")):
        details.append(f"→ {one_line(str(data.get('output') or data.get('error')), 120)}")
    if isinstance(results := data.get("results"), list) and results:
        details.append(_count(len(results), "result"))
    if code := str(data.get("code") or "").strip().splitlines():
        details += [f"`{one_line(code[0], 80)}`", _count(len(code), "line")]
    for key, noun in (("sources", "source"), ("urls", "page")):
        if isinstance(listed := data.get(key), list) and listed:
            details.append(_count(len(listed), noun))
    if item.status and item.status != "completed":
        details.append(item.status)
    name = item.type.removesuffix("_call").replace("_", " ").capitalize()
    return f"{name}: {' · '.join(details)}" if details else name


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def usage_parts(usage: Usage) -> list[str]:
    """`["120 in", "48 out", "12 reasoning", "web_search ×1"]`: a turn's usage as the export and `ask` show it."""
    parts = [f"{usage.input_tokens} in", f"{usage.output_tokens} out"]
    if usage.cached_tokens:
        parts.append(f"{usage.cached_tokens} cached")
    if usage.reasoning_tokens:
        parts.append(f"{usage.reasoning_tokens} reasoning")
    parts += [f"{name} ×{count}" for name, count in sorted(usage.x_tools.items())]
    return parts


def _usage_line(usage: Usage) -> str:
    return "Tokens: " + " · ".join(usage_parts(usage))


def describe_image(image: ImageRef) -> str:
    """`photo.png · 1.2 MB · 800×600` (a URL image: its name and address)."""
    if image.url:
        return f"{one_line(image.name, 80)} · {one_line(image.url, 200)}"
    parts = [one_line(image.name, 80)]
    if image.size is not None:
        parts.append(file_size(image.size))
    if image.width and image.height:
        parts.append(f"{image.width}×{image.height}")
    return " · ".join(parts)


def file_size(size: int) -> str:
    """Bytes for a person: `980 B`, `14.2 kB`, `5.0 MB` (decimal units, as file managers show)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _image_lines(message: Message, image_links: dict[str, str] | None) -> list[str]:
    lines = []
    for image in message.images:
        link = (image_links or {}).get(image.sha256 or "") or image.url
        if link:
            lines.append(f"![{describe_image(image)}]({link.replace(' ', '%20')})")
        else:
            lines.append(f"> Image: {describe_image(image)}")
    return lines


def to_markdown(conversation: Conversation, branch: list[Message], *, image_links: dict[str, str] | None = None) -> str:
    """A readable transcript of `branch`: header (title, model, dates) then each message, its images
    (linked through `image_links`: sha256 -> relative path) and the numbered sources of each answer."""
    lines = [
        f"# {conversation.title}",
        "",
        f"- Model: {conversation.model}",
        f"- Created: {_when(conversation.created_at)}",
        f"- Updated: {_when(conversation.updated_at)}",
    ]
    if conversation.system_prompt:
        lines.append(f"- System prompt: {one_line(conversation.system_prompt, 500)}")
    for message in branch:
        speaker = _SPEAKERS[message.role]
        if message.role == "assistant" and message.model:
            speaker += f" ({message.model})"
        lines += ["", f"## {speaker}", ""]
        lines += [f"> {describe_item(item)}" for item in message.items]
        if message.items:
            lines.append("")
        if message.images:
            lines += [*_image_lines(message, image_links), ""]
        if message.content:
            lines.append(message.content.rstrip())
        sources = answer_sources(message.items)
        if sources:
            lines += ["", "Sources:", ""]
            lines += [f"{number}. <{one_line(url)}>" for number, url in enumerate(sources, start=1)]
        if message.status != "complete":
            reason = f": {message.error}" if message.error else ""
            lines += ["", f"*Status: {message.status}{reason}*"]
        if message.usage is not None:
            lines += ["", f"*{_usage_line(message.usage)}*"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- json


#: Bytes encoded per base64 call (a multiple of 3, so the pieces join into one valid encoding). One
#: call holds the GIL throughout; in pieces, a worker thread encoding a 5 MB image lets the event loop run.
_BASE64_PIECE = 3 * 64 * 1024


def data_url(mime: str | None, data: bytes) -> str:
    """`data:image/png;base64,...` for an image's bytes (encoded in pieces: call it from a worker thread)."""
    view = memoryview(data)
    head = f"data:{mime or 'application/octet-stream'};base64,".encode()
    pieces = (base64.b64encode(view[i : i + _BASE64_PIECE]) for i in range(0, len(view), _BASE64_PIECE))
    return b"".join([head, *pieces]).decode("ascii")  # two big copies (join, decode), not three


def _image_url(image: ImageRef, image_data: dict[str, bytes]) -> str | None:
    if image.url:
        return image.url
    data = image_data.get(image.sha256 or "")
    return data_url(image.mime, data) if data else None


def input_array(
    conversation: Conversation, branch: list[Message], image_data: dict[str, bytes] | None = None
) -> list[dict[str, Any]]:
    """The head branch as a Responses API `input` array (system prompt first, empty turns skipped,
    each function call followed by its output);
    a message with images gets a content array of `input_text` and `input_image` parts."""
    items: list[dict[str, Any]] = []
    if conversation.system_prompt:
        items.append({"role": "system", "content": conversation.system_prompt})
    for m in branch:
        items += function_items(m.items)
        urls = [url for image in m.images if (url := _image_url(image, image_data or {}))]
        if urls:
            parts: list[dict[str, Any]] = [{"type": "input_image", "image_url": url} for url in urls]
            if m.content:
                parts.append({"type": "input_text", "text": m.content})
            items.append({"role": m.role, "content": parts})
        elif m.content:
            items.append({"role": m.role, "content": m.content})
    return items


def _message_record(message: Message, image_data: dict[str, bytes]) -> dict[str, Any]:
    record = asdict(message)
    record.pop("conversation_id")
    for image in record["images"]:
        url = _image_url(ImageRef(**image), image_data)
        if image["sha256"] and url:
            image["data_url"] = url
    return record


def head_path(messages: list[Message], head_id: int | None) -> list[Message]:
    """The branch from the root to `head_id`, walked within `messages` (empty without a head)."""
    by_id = {message.id: message for message in messages}
    path: list[Message] = []
    current = by_id.get(head_id) if head_id is not None else None
    while current is not None:
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return path[::-1]


def to_document(
    conversation: Conversation, messages: list[Message], image_data: dict[str, bytes] | None = None
) -> dict[str, Any]:
    """The JSON export: format tag, conversation, the full message tree and the head branch `input`
    (taken from that same tree, so the two always agree). Stored images travel as data URLs
    (`image_data`: sha256 -> bytes), so an import or a replay has them."""
    header = asdict(conversation)
    header.pop("id")
    data = image_data or {}
    return {
        "format": FORMAT,
        "conversation": header,
        "messages": [_message_record(m, data) for m in messages],
        "input": input_array(conversation, head_path(messages, conversation.head_message_id), data),
    }


@dataclass(slots=True)
class Imported:
    """A validated import: the conversation (id 0) and its messages, parents before children."""

    conversation: Conversation
    messages: list[Message]
    #: Old message id -> its images with their bytes (decoded from the export's data URLs).
    images: dict[int, list[NewImage]] = field(default_factory=dict)


def _invalid(reason: str) -> StoreError:
    return StoreError(f"cannot import: {reason}")


def _number(value: Any, field: str, default: float | None = None) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(f"{field} must be a number")
    return float(value)


def _text(value: Any, field: str, default: str | None = None) -> str | None:
    if value is None:
        return default
    if not isinstance(value, str):
        raise _invalid(f"{field} must be text")
    return value


def _usage(value: Any) -> Usage | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("usage must be an object")
    counts = {}
    for name in ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"):
        count = value.get(name, 0)
        if isinstance(count, bool) or not isinstance(count, int):
            raise _invalid(f"usage.{name} must be an integer")
        counts[name] = count
    tools = value.get("x_tools") or {}
    if not isinstance(tools, dict) or not all(isinstance(v, int) for v in tools.values()):
        raise _invalid("usage.x_tools must map tool names to counts")
    return Usage(**counts, x_tools={str(k): v for k, v in tools.items()})


def _items(value: Any) -> list[OutputItem]:
    if not isinstance(value, list):
        raise _invalid("items must be a list")
    items = []
    for raw in value:
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise _invalid("every output item needs a type")
        data = raw.get("data") or {}
        if not isinstance(data, dict):
            raise _invalid("output item data must be an object")
        items.append(OutputItem(str(raw.get("item_id") or ""), raw["type"], _text(raw.get("status"), "status"), data))
    return items


_IMAGE_DATA_HEAD = re.compile(r"data:image/[a-z0-9.+-]+;base64")


def _images(value: Any) -> list[NewImage]:
    """A message's exported images: a data URL becomes bytes again (its sha256 recomputed), a URL stays one."""
    if not isinstance(value, list):
        raise _invalid("images must be a list")
    images: list[NewImage] = []
    for raw in value:
        if not isinstance(raw, dict):
            raise _invalid("every image must be an object")
        name = _text(raw.get("name"), "image name", "image") or "image"
        source = raw.get("data_url") if raw.get("sha256") else raw.get("url")
        if not isinstance(source, str) or not source:
            raise _invalid(f"image {name!r} has neither data_url nor url")
        if source.startswith(("http://", "https://")):
            images.append((ImageRef(name=name, url=source), None))
            continue
        head, _, payload = source.partition(",")
        if not _IMAGE_DATA_HEAD.fullmatch(head):
            raise _invalid(f"image {name!r}: only base64 data URLs of images are supported")
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"image {name!r}: its data URL is not valid base64") from None
        width, height = raw.get("width"), raw.get("height")
        ref = ImageRef(
            name=name,
            sha256=hashlib.sha256(data).hexdigest(),
            mime=head.removeprefix("data:").removesuffix(";base64") or None,
            size=len(data),
            width=width if isinstance(width, int) else None,
            height=height if isinstance(height, int) else None,
        )
        images.append((ref, data))
    return images


def _message(raw: Any, now: float) -> Message:
    if not isinstance(raw, dict):
        raise _invalid("every message must be an object")
    message_id = raw.get("id")
    parent_id = raw.get("parent_id")
    if not isinstance(message_id, int) or not (parent_id is None or isinstance(parent_id, int)):
        raise _invalid("message ids must be integers")
    role = raw.get("role")
    if role not in _ROLES:
        raise _invalid(f"unknown role {role!r}")
    status = raw.get("status", "complete")
    if status not in _STATUSES:
        raise _invalid(f"unknown status {status!r}")
    error = _text(raw.get("error"), "error")
    if status in ("pending", "streaming"):
        # No process is writing an imported turn: it stays as it was saved, marked unfinished.
        status, error = "incomplete", error or INTERRUPTED
    mode = raw.get("mode")
    return Message(
        id=message_id,
        conversation_id=0,
        parent_id=parent_id,
        role=role,
        content=_text(raw.get("content"), "content", "") or "",
        created_at=_number(raw.get("created_at"), "created_at", now) or now,
        status=status,
        error=error,
        model=_text(raw.get("model"), "model"),
        response_id=_text(raw.get("response_id"), "response_id"),
        previous_response_id=_text(raw.get("previous_response_id"), "previous_response_id"),
        response_created_at=_number(raw.get("response_created_at"), "response_created_at"),
        expires_at=_number(raw.get("expires_at"), "expires_at"),
        stored=bool(raw.get("stored", True)),
        mode=mode if mode in ("chain", "replay") else None,
        usage=_usage(raw.get("usage")),
        items=_items(raw.get("items") or []),
        api=raw.get("api") if raw.get("api") in ("responses", "chat") else None,
    )


def _parents_first(messages: list[Message]) -> list[Message]:
    """Order messages so each parent precedes its children; reject dangling parents and cycles."""
    by_id = {m.id: m for m in messages}
    if len(by_id) != len(messages):
        raise _invalid("duplicate message ids")
    ordered: list[Message] = []
    placed: set[int] = set()
    for message in sorted(messages, key=lambda m: m.id):
        chain: list[Message] = []
        seen: set[int] = set()
        current: Message | None = message
        while current is not None and current.id not in placed:
            if current.id in seen:
                raise _invalid("the message tree has a cycle")
            chain.append(current)
            seen.add(current.id)
            if current.parent_id is None:
                current = None
            elif current.parent_id not in by_id:
                raise _invalid(f"message {current.id} has a missing parent {current.parent_id}")
            else:
                current = by_id[current.parent_id]
        for item in reversed(chain):
            ordered.append(item)
            placed.add(item.id)
    return ordered


def document_hash(data: dict[str, Any]) -> str:
    """A hash of an export document's content (key order and formatting do not count), to know it again."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def from_document(data: Any, now: float = 0.0) -> Imported:
    """Validate an `export_json` document; `StoreError` (one line) when it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _invalid(f"not a {FORMAT} export")
    raw = data.get("conversation")
    if not isinstance(raw, dict):
        raise _invalid("the conversation is missing")
    raw_messages = data.get("messages")
    if not isinstance(raw_messages, list):
        raise _invalid("the messages are missing")
    messages = _parents_first([_message(m, now) for m in raw_messages])
    images = {
        m["id"]: _images(m["images"]) for m in raw_messages if isinstance(m, dict) and m.get("images")
    }
    head = raw.get("head_message_id")
    if head is not None and head not in {m.id for m in messages}:
        raise _invalid("the head message is not among the messages")
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        raise _invalid("options must be an object")
    created = _number(raw.get("created_at"), "created_at", now) or now
    conversation = Conversation(
        id=0,
        title=_text(raw.get("title"), "title", "Imported chat") or "Imported chat",
        created_at=created,
        updated_at=_number(raw.get("updated_at"), "updated_at", created) or created,
        model=_text(raw.get("model"), "model", "") or "",
        endpoint=_text(raw.get("endpoint"), "endpoint", "") or "",
        system_prompt=_text(raw.get("system_prompt"), "system_prompt"),
        pinned=bool(raw.get("pinned", False)),
        archived=bool(raw.get("archived", False)),
        options=clean_options(options),
        head_message_id=head,
    )
    return Imported(conversation, messages, images)
