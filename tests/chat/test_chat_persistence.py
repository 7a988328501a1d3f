"""What is on disk while a turn runs: another connection to the same file sees the question at once,
then the response id and the streamed text before the answer ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chat_support import MakeEngine

from tui.chat.updates import ResponseCreated, TextDelta, ToolCallUpdated
from tui.store import Store


async def test_question_then_partial_answer_are_on_disk_while_streaming(sim_factory, make_engine: MakeEngine, tmp_path: Path) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    engine = await make_engine(sim)  # writes tmp_path / "chat.db", flushing text every 20 ms
    conversation = await engine.new_conversation()
    turn = await engine.send(conversation.id, "Write a long essay")

    async with await Store.open(tmp_path / "chat.db") as reader:
        question, pending = await reader.head_branch(conversation.id)
        assert (question.role, question.content) == ("user", "Write a long essay")
        assert (pending.role, pending.id) == ("assistant", turn.assistant_message_id)
        assert pending.status in ("pending", "streaming")  # the turn's task may already be running

        created: ResponseCreated | None = None
        deltas = 0
        async for update in turn:
            if isinstance(update, ResponseCreated):
                created = update
            deltas += isinstance(update, TextDelta)
            if deltas == 20:
                break
        await asyncio.sleep(0.3)  # well past the writer's flush interval
        streaming = await reader.get_message(turn.assistant_message_id)
        assert created is not None and streaming is not None
        assert streaming.status == "streaming"
        assert (streaming.response_id, streaming.expires_at) == (created.response_id, created.expires_at)
        assert streaming.content and turn.text.startswith(streaming.content)

        turn.cancel()
        finished = await turn.wait()
        final = await reader.get_message(turn.assistant_message_id)
        assert final is not None and (final.status, final.content) == ("cancelled", finished.message.content)


async def test_tool_calls_are_on_disk_while_the_answer_still_streams(sim_factory, make_engine: MakeEngine, tmp_path: Path) -> None:
    sim = sim_factory(speed=40)
    engine = await make_engine(sim, tools=["web_search", "web_extractor", "code_interpreter"], thinking=True)
    conversation = await engine.new_conversation()
    turn = await engine.send(conversation.id, "Find the Alibaba Cloud website and extract key information")

    async with await Store.open(tmp_path / "chat.db") as reader:
        async for update in turn:
            if isinstance(update, ToolCallUpdated) and update.call.type == "web_extractor_call":
                break
        await asyncio.sleep(0.3)  # well past the writer's flush interval
        streaming = await reader.get_message(turn.assistant_message_id)
        assert streaming is not None and streaming.status == "streaming"
        stored = [item.type for item in streaming.items]
        assert stored[:2] == ["reasoning", "web_search_call"] and "web_extractor_call" in stored

        turn.cancel()
        finished = await turn.wait()
        final = await reader.get_message(turn.assistant_message_id)
        assert final is not None and final.status == "cancelled"
        assert final.items == finished.message.items and len(final.items) >= len(stored)
