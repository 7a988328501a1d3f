"""Conversations: creation, paging order (pinned, then newest), archive, update, delete."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_support import FakeClock, raw_rows

from tui.store import Store, StoreError


async def test_new_conversation_is_stored_with_its_settings(store: Store, db_path: Path) -> None:
    created = await store.create_conversation(
        title="Trip plan", model="qwen3-max", endpoint="https://x/v1", system_prompt="Be brief.",
        options={"tools": ["web_search"], "thinking": True, "effort": None},
    )
    again = await store.get_conversation(created.id)
    assert again == created
    assert again.title == "Trip plan" and again.system_prompt == "Be brief."
    assert again.options == {"tools": ["web_search"], "thinking": True, "effort": None}
    assert again.head_message_id is None
    assert raw_rows(db_path, "SELECT title FROM conversations") == [("Trip plan",)]


async def test_list_is_pinned_first_then_most_recent_and_pages(store: Store, clock: FakeClock) -> None:
    ids = []
    for n in range(7):
        clock.advance(10)
        ids.append((await store.create_conversation(title=f"c{n}", model="m", endpoint="e")).id)
    # Activity moves c1 to the top of the unpinned ones; pinning c0 puts it above all.
    clock.advance(10)
    await store.add_message(ids[1], role="user", content="hi", parent_id=None)
    await store.update_conversation(ids[0], pinned=True)

    titles = [c.title for c in await store.list_conversations()]
    assert titles == ["c0", "c1", "c6", "c5", "c4", "c3", "c2"]
    first = await store.list_conversations(limit=3)
    second = await store.list_conversations(limit=3, offset=3)
    assert [c.title for c in first + second] == titles[:6]
    assert await store.count_conversations() == 7
    latest = await store.latest_conversation()
    assert latest is not None and latest.title == "c1"


async def test_archived_conversations_leave_the_list_unless_asked(store: Store, clock: FakeClock) -> None:
    keep = await store.create_conversation(title="keep", model="m", endpoint="e")
    clock.advance(1)
    old = await store.create_conversation(title="old", model="m", endpoint="e")
    await store.update_conversation(old.id, archived=True)
    assert [c.title for c in await store.list_conversations()] == ["keep"]
    assert {c.title for c in await store.list_conversations(include_archived=True)} == {"keep", "old"}
    assert await store.count_conversations() == 1
    assert await store.count_conversations(include_archived=True) == 2
    assert (await store.latest_conversation()) == keep


async def test_update_changes_only_the_given_fields(store: Store) -> None:
    conversation = await store.create_conversation(title="a", model="m1", endpoint="e1")
    updated = await store.update_conversation(conversation.id, title="renamed", model="m2", options={"thinking": False})
    assert (updated.title, updated.model, updated.endpoint, updated.options) == ("renamed", "m2", "e1", {"thinking": False})
    assert await store.get_conversation(conversation.id) == updated
    with pytest.raises(ValueError):
        await store.update_conversation(conversation.id, created_at=0)
    with pytest.raises(StoreError, match="does not exist"):
        await store.update_conversation(conversation.id + 100, title="x")


async def test_delete_removes_messages_items_and_search_entries(store: Store, db_path: Path) -> None:
    gone = await store.create_conversation(title="gone", model="m", endpoint="e")
    kept = await store.create_conversation(title="kept", model="m", endpoint="e")
    user = await store.add_message(gone.id, role="user", content="zebra question", parent_id=None)
    answer = await store.start_assistant(gone.id, parent_id=user.id, model="m", mode="replay", stored=True)
    writer = store.turn_writer(answer.id)
    writer.append("zebra answer")
    await writer.finish("complete")
    await store.add_message(kept.id, role="user", content="zebra kept", parent_id=None)

    await store.delete_conversation(gone.id)

    assert await store.get_conversation(gone.id) is None
    assert await store.get_message(answer.id) is None
    assert raw_rows(db_path, "SELECT count(*) FROM messages WHERE conversation_id = ?", (gone.id,)) == [(0,)]
    assert [hit.title for hit in await store.search("zebra")] == ["kept"]
