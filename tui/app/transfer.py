"""Export the open conversation to a Markdown or JSON file, and import a JSON export, from the app
(the CLI's `export`/`import` through the same engine calls); each returns the line to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from tui.store.errors import AlreadyImported
from tui.text_safety import one_line

if TYPE_CHECKING:
    from tui.chat.engine import ChatEngine

Format = Literal["md", "json"]


def default_path(conversation_id: int, fmt: Format) -> str:
    """Where an export goes unless the person says otherwise: the current directory."""
    return str(Path.cwd() / f"qwen-chat-{conversation_id}.{fmt}")


async def export_conversation(engine: ChatEngine, conversation_id: int, fmt: Format, path: str) -> str:
    """Write the conversation's current branch to `path` (never over an existing file)."""
    target = Path(path).expanduser()
    if target.exists():
        raise ValueError(f"{one_line(path, 60)} already exists; give another name")
    if fmt == "json":
        text = json.dumps(await engine.export_json(conversation_id), ensure_ascii=False, indent=2) + "\n"
    else:
        text = await engine.export_markdown(conversation_id)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot write {one_line(path, 60)}: {exc.strerror}") from None
    return f"Exported to {one_line(str(target), 80)}."


async def import_conversation(engine: ChatEngine, path: str) -> tuple[int, str]:
    """Import a JSON export as a new conversation: (its id, the line to show)."""
    try:
        data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {one_line(path, 60)}: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{one_line(path, 60)} is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{one_line(path, 60)} is not a qwen-tui JSON export")
    try:
        conversation = await engine.import_json(data)
    except AlreadyImported as exc:
        return exc.conversation_id, "That file was imported before; nothing was added."
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{one_line(path, 60)} is not a qwen-tui JSON export ({exc})") from None
    return conversation.id, f"Imported “{one_line(conversation.title, 50)}”."
