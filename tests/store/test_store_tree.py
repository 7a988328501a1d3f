"""Messages as a tree: head movement, siblings for regenerations and edits, paths and leaves."""

from __future__ import annotations

import pytest
from store_support import FakeClock, StatementLog

from tui.store import Conversation, Message, OutputItem, Store, StoreError, Usage


async def _conversation(store: Store) -> Conversation:
    return await store.create_conversation(title="tree", model="qwen3-max", endpoint="e")


async def _answer(store: Store, conversation_id: int, parent_id: int, text: str) -> int:
    turn = await store.start_assistant(conversation_id, parent_id=parent_id, model="qwen3-max", mode="replay", stored=True)
    writer = store.turn_writer(turn.id)
    writer.append(text)
    await writer.finish("complete")
    return turn.id


async def test_user_message_is_committed_and_becomes_the_head(store: Store, clock: FakeClock) -> None:
    conversation = await _conversation(store)
    clock.advance(5)
    user = await store.add_message(conversation.id, role="user", content="What is WAL?", parent_id=None)
    assert (user.role, user.content, user.status, user.parent_id) == ("user", "What is WAL?", "complete", None)
    after = await store.get_conversation(conversation.id)
    assert after is not None
    assert after.head_message_id == user.id
    assert after.updated_at == clock.value


async def test_assistant_turn_starts_pending_under_its_question(store: Store) -> None:
    conversation = await _conversation(store)
    user = await store.add_message(conversation.id, role="user", content="q", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="chain", stored=False)
    assert (turn.status, turn.content, turn.parent_id, turn.mode, turn.stored) == ("pending", "", user.id, "chain", False)
    assert (await store.get_conversation(conversation.id)).head_message_id == turn.id


async def _regenerated(store: Store) -> tuple[Conversation, Message, int, Message, int, int]:
    """q1 -> a1 -> q2 -> a2, and a regeneration a2_again beside a2."""
    conversation = await _conversation(store)
    q1 = await store.add_message(conversation.id, role="user", content="q1", parent_id=None)
    a1 = await _answer(store, conversation.id, q1.id, "a1")
    q2 = await store.add_message(conversation.id, role="user", content="q2", parent_id=a1)
    a2 = await _answer(store, conversation.id, q2.id, "a2")
    a2_again = await _answer(store, conversation.id, q2.id, "a2 regenerated")
    return conversation, q1, a1, q2, a2, a2_again


async def test_regenerations_and_edits_are_siblings_with_their_own_branches(store: Store) -> None:
    conversation, q1, a1, q2, a2, a2_again = await _regenerated(store)
    q2_edit = await store.add_message(conversation.id, role="user", content="q2 edited", parent_id=a1)
    a2_edit = await _answer(store, conversation.id, q2_edit.id, "a2 for the edit")

    assert [m.content for m in await store.children(q2.id)] == ["a2", "a2 regenerated"]
    assert [m.content for m in await store.children(a1)] == ["q2", "q2 edited"]
    assert [m.id for m in await store.branch_leaves(conversation.id)] == [a2, a2_again, a2_edit]
    assert [m.content for m in await store.path_to(a2)] == ["q1", "a1", "q2", "a2"]
    assert [m.content for m in await store.head_branch(conversation.id)] == ["q1", "a1", "q2 edited", "a2 for the edit"]

    await store.set_head(conversation.id, a2_again)
    assert [m.content for m in await store.head_branch(conversation.id)] == ["q1", "a1", "q2", "a2 regenerated"]
    assert len(await store.conversation_messages(conversation.id)) == 7
    assert [m.content for m in await store.roots(conversation.id)] == ["q1"]


async def test_messages_cannot_hang_under_another_conversation(store: Store) -> None:
    first = await _conversation(store)
    second = await _conversation(store)
    foreign = await store.add_message(first.id, role="user", content="x", parent_id=None)
    with pytest.raises(StoreError, match="not part of conversation"):
        await store.add_message(second.id, role="user", content="y", parent_id=foreign.id)
    with pytest.raises(StoreError, match="not part of conversation"):
        await store.set_head(second.id, foreign.id)
    with pytest.raises(StoreError, match="does not exist"):
        await store.add_message(second.id + 10, role="user", content="y", parent_id=None)
    assert await store.children(foreign.id) == []


async def test_path_carries_usage_and_items_in_order(store: Store) -> None:
    conversation = await _conversation(store)
    user = await store.add_message(conversation.id, role="user", content="search it", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="replay", stored=True)
    writer = store.turn_writer(turn.id)
    items = [
        OutputItem("rs_1", "reasoning", None, {"summary": "Look it up."}),
        OutputItem("ws_1", "web_search_call", "completed", {"query": "sqlite wal", "sources": ["https://sqlite.org/wal.html"]}),
        OutputItem("ci_1", "code_interpreter_call", "completed", {"code": "print(1)", "logs": "1"}),
    ]
    writer.set_items(items[:1])
    writer.set_items(items)
    writer.append("Found it.")
    await writer.finish("complete", usage=Usage(120, 30, 100, 12, {"web_search": 1, "code_interpreter": 1}))

    path = await store.path_to(turn.id)
    assert path[0].items == [] and path[0].usage is None
    assert path[1].items == items
    assert path[1].usage == Usage(120, 30, 100, 12, {"web_search": 1, "code_interpreter": 1})


async def test_a_turn_can_record_that_it_fell_back_to_replay(store: Store) -> None:
    conversation = await _conversation(store)
    user = await store.add_message(conversation.id, role="user", content="q", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="chain", stored=True)
    await store.set_message_mode(turn.id, "replay")
    assert (await store.get_message(turn.id)).mode == "replay"


async def test_sibling_counts_number_every_alternative_like_children_and_roots(store: Store) -> None:
    conversation = await _conversation(store)
    q1 = await store.add_message(conversation.id, role="user", content="q1", parent_id=None)
    a1 = await _answer(store, conversation.id, q1.id, "a1")
    a1_again = await _answer(store, conversation.id, q1.id, "a1 regenerated")
    a1_third = await _answer(store, conversation.id, q1.id, "a1 once more")
    q2 = await store.add_message(conversation.id, role="user", content="q2", parent_id=a1_third)
    await _answer(store, conversation.id, q2.id, "a2")
    q1_edit = await store.add_message(conversation.id, role="user", content="q1 edited", parent_id=None)
    # Another conversation's first message is not an alternative to this one's.
    other = await _conversation(store)
    await store.add_message(other.id, role="user", content="elsewhere", parent_id=None)

    counts = await store.sibling_counts(conversation.id)

    assert counts == {q1.id: (1, 2), q1_edit.id: (2, 2), a1: (1, 3), a1_again: (2, 3), a1_third: (3, 3)}
    for message in await store.conversation_messages(conversation.id):
        siblings = await (store.children(message.parent_id) if message.parent_id else store.roots(conversation.id))
        if len(siblings) > 1:
            place = [s.id for s in siblings].index(message.id) + 1
            assert counts[message.id] == (place, len(siblings))
        else:
            assert message.id not in counts
    assert await store.sibling_counts(other.id) == {}


async def test_sibling_counts_are_one_query_for_the_whole_tree(store: Store) -> None:
    conversation = await _conversation(store)
    parent = None
    for n in range(20):
        question = await store.add_message(conversation.id, role="user", content=f"q{n}", parent_id=parent)
        parent = await _answer(store, conversation.id, question.id, f"a{n}")
        await _answer(store, conversation.id, question.id, f"a{n} again")
    async with StatementLog(store) as log:
        counts = await store.sibling_counts(conversation.id)
    assert len(counts) == 40
    assert log.count() == 1


async def test_newest_leaf_follows_the_newest_reply_at_every_fork(store: Store) -> None:
    conversation, q1, a1, q2, a2, a2_again = await _regenerated(store)
    q3 = await store.add_message(conversation.id, role="user", content="q3", parent_id=a2)  # newest, but on the older answer
    q2_edit = await store.add_message(conversation.id, role="user", content="q2 edited", parent_id=a1)

    assert await store.newest_leaf(q1.id) == q2_edit.id
    assert await store.newest_leaf(q2.id) == a2_again
    assert await store.newest_leaf(a2) == q3.id
    assert await store.newest_leaf(q3.id) == q3.id
    with pytest.raises(StoreError, match="does not exist"):
        await store.newest_leaf(q2_edit.id + 100)
    switched = await store.set_head(conversation.id, await store.newest_leaf(q2.id))
    assert switched.head_message_id == a2_again


async def test_newest_leaf_of_a_long_branch_is_one_query(store: Store) -> None:
    conversation = await _conversation(store)
    root = parent = (await store.add_message(conversation.id, role="user", content="q0", parent_id=None)).id
    for n in range(30):
        parent = await _answer(store, conversation.id, parent, f"a{n}")
        parent = (await store.add_message(conversation.id, role="user", content=f"q{n + 1}", parent_id=parent)).id
    async with StatementLog(store) as log:
        leaf = await store.newest_leaf(root)
    assert leaf == parent
    assert log.count() == 1


async def test_the_end_of_a_path_and_the_usage_of_every_answer(store: Store) -> None:
    """`path_end` reads the last messages of a branch only (what a kept branch needs again after a turn);
    `answer_usage` gives every branch's answers' usage without their text, and its tally in one aggregate."""
    conversation, q1, a1, q2, a2, a2_again = await _regenerated(store)
    assert [m.content for m in await store.path_end(a2, 2)] == ["q2", "a2"]
    assert [m.content for m in await store.path_end(a2, 3)] == ["a1", "q2", "a2"]
    assert [m.content for m in await store.path_end(a2, 10)] == ["q1", "a1", "q2", "a2"]  # up to the root
    ended = (await store.path_end(a2_again, 1))[0]
    assert (ended.id, ended.status, ended.content) == (a2_again, "complete", "a2 regenerated")
    assert await store.answer_usage(conversation.id) == []
    assert await store.answer_usage_tally(conversation.id) == (0, 0, 0)
    usage = Usage(input_tokens=120, output_tokens=30, cached_tokens=100, reasoning_tokens=0, x_tools={"web_search": 1})
    turn = await store.start_assistant(conversation.id, parent_id=q2.id, model="qwen-plus", mode="chain", stored=True)
    await store.turn_writer(turn.id).finish("complete", usage=usage)
    assert await store.answer_usage(conversation.id) == [(turn.id, "qwen-plus", usage)]
    assert await store.answer_usage(conversation.id, after=turn.id) == []
    assert await store.answer_usage_tally(conversation.id) == (1, turn.id, 150)
