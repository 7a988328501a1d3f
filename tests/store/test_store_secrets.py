"""The API key never lands in the database file, however options reach the store."""

from __future__ import annotations

from pathlib import Path

from store_support import OpenStore

KEY = "sk-3f9a0c7e5b1d4a2c8e6f0b9d7a5c3e1f"


def _file_bytes(folder: Path) -> bytes:
    """Everything SQLite keeps on disk for the database: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


async def test_credential_options_are_dropped_before_writing(open_store: OpenStore, tmp_path: Path) -> None:
    store = await open_store(tmp_path / "chats.db")
    conversation = await store.create_conversation(
        model="qwen3-max", endpoint="https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        options={"tools": ["web_search"], "api_key": KEY, "nested": {"DashScope-API-Key": KEY, "effort": "high"}},
    )
    assert conversation.options == {"tools": ["web_search"], "nested": {"effort": "high"}}
    await store.update_conversation(conversation.id, options={"thinking": True, "apiKey": KEY, "extra": ["x", KEY]})
    await store.update_conversation(conversation.id, options={"thinking": True, "note": f"Bearer {KEY}"})
    assert (await store.get_conversation(conversation.id)).options == {"thinking": True}

    document = await store.export_json(conversation.id)
    document["conversation"]["options"] = {"api_key": KEY, "tools": []}
    imported = await store.import_json(document)
    assert imported.options == {"tools": []}

    # Still open: the WAL holds recent writes; then closed: checkpointed into the main file.
    assert KEY.encode() not in _file_bytes(tmp_path)
    await store.close()
    assert KEY.encode() not in _file_bytes(tmp_path)


async def test_ordinary_option_values_are_kept(open_store: OpenStore, tmp_path: Path) -> None:
    store = await open_store(tmp_path / "chats.db")
    options = {"tools": ["web_search", "code_interpreter"], "thinking": False, "effort": "low", "max_output_tokens": 512}
    conversation = await store.create_conversation(model="m", endpoint="e", options=options)
    assert (await store.get_conversation(conversation.id)).options == options
