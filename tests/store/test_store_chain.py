"""The response chain: which turn heads a branch, and whether its id can still be chained."""

from __future__ import annotations

from store_support import FakeClock, StatementLog

from tui.store import RESPONSE_TTL_SECONDS, Store, Usage


async def _answered(store: Store, conversation_id: int, parent_id: int | None, question: str, response_id: str, *, stored: bool = True, status: str = "complete") -> int:
    user = await store.add_message(conversation_id, role="user", content=question, parent_id=parent_id)
    turn = await store.start_assistant(conversation_id, parent_id=user.id, model="m", mode="chain", stored=stored)
    writer = store.turn_writer(turn.id)
    await writer.set_response(response_id, None, store.now())
    writer.append("answer to " + question)
    await writer.finish(status)
    return turn.id


async def test_chain_head_is_the_last_answer_on_the_head_branch(store: Store) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")
    assert await store.chain_head(conversation.id) is None
    unanswered = await store.add_message(conversation.id, role="user", content="zero", parent_id=None)
    assert await store.chain_head(conversation.id) is None
    first = await _answered(store, conversation.id, None, "one", "resp_1")
    second = await _answered(store, conversation.id, first, "two", "resp_2")
    head = await store.chain_head(conversation.id)
    assert head is not None and (head.id, head.response_id) == (second, "resp_2")

    # A new question not yet answered: the chain head is still the previous answer.
    await store.add_message(conversation.id, role="user", content="three", parent_id=second)
    assert (await store.chain_head(conversation.id)).id == second
    # On the other branch (the person went back to `first`), the head is `first`.
    await store.set_head(conversation.id, first)
    assert (await store.chain_head(conversation.id)).id == first
    await store.set_head(conversation.id, unanswered.id)
    assert await store.chain_head(conversation.id) is None


async def test_response_ids_expire_after_seven_days(store: Store, clock: FakeClock) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")
    turn = await store.get_message(await _answered(store, conversation.id, None, "q", "resp_1"))
    assert store.response_valid(turn)
    clock.advance(RESPONSE_TTL_SECONDS - 1)
    assert store.response_valid(turn)
    clock.advance(2)
    assert not store.response_valid(turn)
    assert store.response_valid(turn, now=turn.expires_at - 1)


async def test_unstored_unfinished_or_idless_turns_cannot_be_chained(store: Store) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")
    unstored = await _answered(store, conversation.id, None, "a", "resp_a", stored=False)
    cancelled = await _answered(store, conversation.id, None, "b", "resp_b", status="cancelled")
    user = await store.add_message(conversation.id, role="user", content="c", parent_id=None)
    no_id = await store.start_assistant(conversation.id, parent_id=user.id, model="m", mode="replay", stored=True)
    for message_id in (unstored, cancelled, no_id.id):
        assert not store.response_valid(await store.get_message(message_id))


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
