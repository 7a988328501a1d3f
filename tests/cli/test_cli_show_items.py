"""`qwen-tui show` and the Markdown export describe a turn's tool calls and reasoning with the same lines."""

from __future__ import annotations

import json

from cli_process import Cli

ITEMS = [
    {"item_id": "rs", "type": "reasoning", "data": {"summary": "Look it up first."}},
    {"item_id": "ws", "type": "web_search_call", "status": "completed",
     "data": {"query": "otter facts", "sources": ["https://a", "https://b"]}},
    {"item_id": "ci", "type": "code_interpreter_call", "status": "failed", "data": {"code": "import os\nprint(1)"}},
]


def test_show_and_markdown_export_describe_items_alike(cli: Cli) -> None:
    document = {
        "format": "qwen-tui/1",
        "conversation": {"title": "Otters", "model": "qwen3-max", "head_message_id": 2},
        "messages": [
            {"id": 1, "parent_id": None, "role": "user", "content": "Tell me about otters"},
            {"id": 2, "parent_id": 1, "role": "assistant", "content": "Otters hold hands.", "items": ITEMS},
        ],
    }
    path = cli.root / "otters.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert cli.run("import", str(path)).returncode == 0
    shown = [line.removeprefix("  · ") for line in cli.run("show", "1").stdout.splitlines() if line.startswith("  · ")]
    exported = cli.run("export", "1", "--format", "md").stdout
    assert shown == [line.removeprefix("> ") for line in exported.splitlines() if line.startswith("> ")]
    assert shown == [
        "Reasoning: Look it up first.",
        "Web search: otter facts · 2 sources",
        "Code interpreter: `import os` · 2 lines · failed",
    ]
