"""The store's own guards and defaults on a real SQLite file: ids that are not there, and a page of fifty."""

from __future__ import annotations

import pytest

from tui.store import Store, StoreError


async def test_a_reply_to_a_message_that_does_not_exist_is_refused(store: Store) -> None:
    conversation = await store.create_conversation(title="t", model="m", endpoint="e")
    with pytest.raises(StoreError, match=f"^message 999 is not part of conversation {conversation.id}$"):
        await store.add_message(conversation.id, role="user", content="hi", parent_id=999)
    assert await store.head_branch(conversation.id) == []


async def test_the_newest_leaf_of_a_message_that_does_not_exist_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="^message 999 does not exist$"):
        await store.newest_leaf(999)


async def test_a_page_of_conversations_holds_fifty(store: Store) -> None:
    for n in range(51):
        await store.create_conversation(title=f"chat {n}", model="m", endpoint="e")
    assert len(await store.list_conversations()) == 50

