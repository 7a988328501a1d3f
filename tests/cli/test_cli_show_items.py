"""`qwen-tui show` and the Markdown export describe a turn's tool calls and reasoning with the same lines."""

from __future__ import annotations

from cli_process import Cli

ITEMS = [
    {"item_id": "rs", "type": "reasoning", "data": {"summary": "Look it up first."}},
    {"item_id": "ws", "type": "web_search_call", "status": "completed",
     "data": {"query": "otter facts", "sources": ["https://a", "https://b"]}},
    {"item_id": "ci", "type": "code_interpreter_call", "status": "failed", "data": {"code": "import os\nprint(1)"}},
]


def test_show_and_markdown_export_describe_items_alike(cli: Cli) -> None:
    cli.import_chat(
        "Otters",
        {"role": "user", "content": "Tell me about otters"},
        {"role": "assistant", "content": "Otters hold hands.", "items": ITEMS},
    )
    shown = [line.removeprefix("  · ") for line in cli.run("show", "1").stdout.splitlines() if line.startswith("  · ")]
    exported = cli.run("export", "1", "--format", "md").stdout
    assert shown == [line.removeprefix("> ") for line in exported.splitlines() if line.startswith("> ")]
    assert shown == [
        "Reasoning: Look it up first.",
        "Web search: otter facts · 2 sources",
        "Code interpreter: `import os` · 2 lines · failed",
    ]
