"""What is on disk while a turn runs: another connection to the same file sees the question at once,
then the response id and the streamed text before the answer ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from chat_support import MakeEngine

from tui.chat.updates import ResponseCreated, TextDelta
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
