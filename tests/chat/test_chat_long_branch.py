"""A long branch costs each turn no more than a short one, and what is sent is always the stored branch.

The engine keeps the branch between turns and reads only its end again (tui.chat.branch_paths);
these tests hold that to the real simulator and a real database, through the changes that could
leave a kept branch stale.
"""

from __future__ import annotations

from typing import Any

import pytest
from chat_support import MakeEngine, ask

import tui.store.store
from tui.chat.branch_paths import END_READ
from tui.chat.engine import ChatEngine
from tui.sim import SimServer


def sent(sim: SimServer) -> list[tuple[str, Any]]:
    """The messages the last request carried (a private conversation replays its whole branch)."""
    return [(item["role"], item["content"]) for item in sim.requests[-1]["input"] if "role" in item]


async def stored(engine: ChatEngine, conversation_id: int) -> list[tuple[str, Any]]:
    """The current branch as the database holds it, read whole, as a replay would send it."""
    return [(m.role, m.content) for m in await engine.transcript(conversation_id) if m.content]


class RowsRead:
    """Counts the records a function of tui.store.store builds from database rows (one per row read)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.count = 0
        real = getattr(tui.store.store, name)

        def counted(row: Any) -> Any:
            self.count += 1
            return real(row)

        monkeypatch.setattr(tui.store.store, name, counted)


async def test_a_turn_on_a_long_branch_reads_no_more_messages_than_on_a_short_one(
    engine: ChatEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send and what the app reads after it (chain state, context meter, usage, cost) read the end of the
    branch, not all of it: the 500th turn of a sitting cost 2.4x the CPU of the 10th (bench/soak.py)."""
    rows = RowsRead(monkeypatch, "message_from_row")
    conversation = await engine.new_conversation()
    reads: list[int] = []
    for n in range(1, 25):
        rows.count = 0
        await ask(engine, conversation.id, f"question {n}")
        await engine.chain_state(conversation.id)
        await engine.context_meter(conversation.id)
        await engine.conversation_usage(conversation.id)
        await engine.conversation_cost(conversation.id)
        reads.append(rows.count)
    assert reads[-1] == reads[END_READ], reads  # flat once the branch is longer than what is read again
    assert reads[-1] < 2 * 24


async def test_what_is_sent_is_the_stored_branch_through_failures_forks_and_other_processes(
    engine: ChatEngine, make_engine: MakeEngine, sim: SimServer
) -> None:
    conversation = await engine.new_conversation()
    await engine.set_private(conversation.id, True)  # every turn replays the branch it sees
    for n in range(1, 4):
        await ask(engine, conversation.id, f"question {n}")
    assert sent(sim) == (await stored(engine, conversation.id))[:-1]

    # A turn that failed before its answer started is deleted, and the next message takes its id.
    sim.inject("server_error", times=3)
    failed = await (await engine.send(conversation.id, "lost question", discard_if_unsent=True)).wait()
    assert failed.discarded
    await ask(engine, conversation.id, "question 4")
    assert ("user", "lost question") not in sent(sim)
    assert sent(sim) == (await stored(engine, conversation.id))[:-1]

    # A regenerated answer replaces the one before it; an edit forks; switching goes back.
    branch = await engine.transcript(conversation.id)
    await (await engine.regenerate(conversation.id, branch[-1].id)).wait()
    assert sent(sim) == (await stored(engine, conversation.id))[:-1]
    old_leaf = (await engine.transcript(conversation.id))[-1]
    await (await engine.edit(conversation.id, branch[2].id, "question 2, asked again")).wait()
    assert sent(sim) == [("user", "question 1"), ("assistant", branch[1].content), ("user", "question 2, asked again")]
    await engine.switch_branch(conversation.id, old_leaf.id)
    await ask(engine, conversation.id, "back on the first branch")
    assert sent(sim) == (await stored(engine, conversation.id))[:-1]
    assert ("user", "question 2, asked again") not in sent(sim)

    # Another process adds one turn, then more than the engine reads again.
    other = await make_engine(sim)
    for added in (1, END_READ):
        for n in range(added):
            await ask(other, conversation.id, f"from elsewhere {added}.{n}")
        await ask(engine, conversation.id, f"after {added} turns elsewhere")
        assert sent(sim) == (await stored(engine, conversation.id))[:-1]
        assert ("user", f"from elsewhere {added}.{added - 1}") in sent(sim)
    state = await engine.chain_state(conversation.id)
    assert state.mode == "replay"


async def test_the_chain_rides_on_the_newest_answer_of_a_long_branch(engine: ChatEngine, sim: SimServer) -> None:
    """A stored conversation chains every turn on the answer before it, also once the branch is kept."""
    conversation = await engine.new_conversation()
    for n in range(1, 2 * END_READ):
        await ask(engine, conversation.id, f"question {n}")
        branch = await engine.transcript(conversation.id)
        state = await engine.chain_state(conversation.id)
        assert (state.mode, state.expires_at) == ("chain", branch[-1].expires_at)
        if n > 1:
            assert sim.requests[-1]["previous_response_id"] == branch[-3].response_id
            assert sent(sim) == [("user", f"question {n}")]


async def test_a_conversation_deleted_and_started_again_elsewhere_is_read_afresh(
    engine: ChatEngine, make_engine: MakeEngine, sim: SimServer
) -> None:
    """Another process deletes the open conversation and starts one: the database gives the new one the
    same ids (conversation and messages), and nothing of the old branch may go with the next turn."""
    conversation = await engine.new_conversation()
    await engine.set_private(conversation.id, True)
    for n in range(END_READ):
        await ask(engine, conversation.id, f"old question {n}")
    other = await make_engine(sim)
    await other.delete(conversation.id)
    again = await other.new_conversation()
    assert again.id == conversation.id
    await other.set_private(again.id, True)
    for n in range(END_READ):
        await ask(other, again.id, f"new question {n}")
    await ask(engine, again.id, "and this one")
    assert sent(sim) == (await stored(engine, again.id))[:-1]
    assert not any("old question" in str(content) for _, content in sent(sim))


async def test_the_cost_of_a_long_conversation_reads_only_the_new_answers_and_stays_right(
    engine: ChatEngine, make_engine: MakeEngine, sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost the status line shows after each turn is the sum over every answer of every branch, read
    from the new answers only (pricing every row each turn grew with the sitting: 4 ms at 500 turns)."""
    rows = RowsRead(monkeypatch, "usage_from_row")

    async def whole(conversation_id: int) -> Any:
        """The cost priced from every stored answer, as a fresh engine on the same file prices it."""
        fresh = await make_engine(sim)
        return await fresh.conversation_cost(conversation_id)

    conversation = await engine.new_conversation()
    read: list[int] = []
    for n in range(1, 13):
        await ask(engine, conversation.id, f"question {n}")
        rows.count = 0
        cost = await engine.conversation_cost(conversation.id)
        read.append(rows.count)
        assert cost.amount > 0
    assert read[1:] == [1] * 11, read  # the one new answer
    assert cost == await whole(conversation.id)
    # Another branch's answer, another process's answers: all counted.
    branch = await engine.transcript(conversation.id)
    await (await engine.regenerate(conversation.id, branch[-1].id)).wait()
    other = await make_engine(sim)
    await ask(other, conversation.id, "from elsewhere")
    after = await engine.conversation_cost(conversation.id)
    assert after == await whole(conversation.id) and after.amount > cost.amount
    # The conversation deleted elsewhere and its ids taken again: priced afresh.
    await other.delete(conversation.id)
    again = await other.new_conversation()
    assert again.id == conversation.id
    await ask(other, again.id, "a new start")
    assert await engine.conversation_cost(again.id) == await whole(again.id)
