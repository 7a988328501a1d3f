"""Usage summed over a branch (whether an id can be chained is the chat layer's: tests/chat/test_chat_chain_policy.py)."""

from __future__ import annotations

from store_support import StatementLog

from tui.store import Store, Usage


async def test_conversation_usage_sums_the_head_branch_only(store: Store) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")

    async def turn(parent: int | None, usage: Usage) -> int:
        user = await store.add_message(conversation.id, role="user", content="q", parent_id=parent)
        answer = await store.start_assistant(conversation.id, parent_id=user.id, model="m", mode="replay", stored=True)
        writer = store.turn_writer(answer.id)
        writer.append("a")
        await writer.finish("complete", usage=usage)
        return answer.id

    first = await turn(None, Usage(100, 10, 0, 3, {"web_search": 1}))
    await turn(first, Usage(1000, 1000, 1000, 1000, {"code_interpreter": 5}))  # a branch left behind
    await turn(first, Usage(200, 20, 150, 0, {"web_search": 2, "web_extractor": 1}))
    async with StatementLog(store) as log:
        usage = await store.conversation_usage(conversation.id)
    assert usage == Usage(300, 30, 150, 3, {"web_extractor": 1, "web_search": 3})
    assert list(usage.x_tools) == ["web_extractor", "web_search"]
    assert log.count() == 1  # the conversation's head and its branch in one read


async def test_conversation_usage_of_an_empty_or_missing_conversation_is_zero(store: Store) -> None:
    empty = await store.create_conversation(model="m", endpoint="e")
    assert await store.conversation_usage(empty.id) == Usage()
    assert await store.conversation_usage(empty.id + 1) == Usage()
    user = await store.add_message(empty.id, role="user", content="q", parent_id=None)
    await store.start_assistant(empty.id, parent_id=user.id, model="m", mode="replay", stored=True)  # no usage yet
    assert await store.conversation_usage(empty.id) == Usage()
