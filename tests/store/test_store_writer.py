"""Streaming turns: timer flushes of text and items, final status and usage, response expiry, crash recovery."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from store_support import FakeClock, OpenStore, StatementLog, dead_pid, raw_execute, raw_rows

from tui.store import INTERRUPTED, OutputItem, Store, TurnWriter, Usage
from tui.store.search import SNIPPET_CLOSE, SNIPPET_OPEN


async def _turn(store: Store) -> tuple[int, int, int]:
    conversation = await store.create_conversation(title="t", model="qwen3-max", endpoint="e")
    user = await store.add_message(conversation.id, role="user", content="tell me", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="replay", stored=True)
    return conversation.id, user.id, turn.id


async def _fast_writer(open_store: OpenStore, db_path: Path, **options: float) -> tuple[Store, int, TurnWriter]:
    """A store opened with `options`, a turn in it, and that turn's writer flushing every 10 ms."""
    store = await open_store(db_path, **options)
    _, _, turn = await _turn(store)
    return store, turn, store.turn_writer(turn, flush_interval=0.01)


async def _wait_for(path: Path, sql: str, params: tuple, expected: object) -> object:
    """Poll the file from a separate connection until `sql` returns `expected` (or give up after 5 s)."""
    value = None
    for _ in range(500):
        value = raw_rows(path, sql, params)[0][0]
        if value == expected:
            break
        await asyncio.sleep(0.01)
    return value


@contextlib.contextmanager
def _another_program_writing(db_path: Path) -> Iterator[None]:
    """Another program holds the database's write lock for the duration."""
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextlib.asynccontextmanager
async def _a_flush_waiting_on_the_lock(db_path: Path, writer: TurnWriter, text: str) -> AsyncIterator[None]:
    """`text` is buffered and the writer's timed flush of it is waiting on another program's write
    lock while the body runs; the lock is released on exit."""
    with _another_program_writing(db_path):
        writer.append(text)
        await asyncio.sleep(0.2)
        yield


@contextlib.asynccontextmanager
async def _a_failed_flush(db_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """The body buffers something while another program holds the write lock; on exit the writer's
    timed flush has failed on that lock (and logged it), and the lock is released."""
    with _another_program_writing(db_path), caplog.at_level(logging.WARNING, logger="tui.store"):
        yield
        for _ in range(300):  # until the timer's flush has failed on the lock
            await asyncio.sleep(0.01)
            if "could not flush" in caplog.text:
                break
        assert "could not flush" in caplog.text


async def test_streamed_text_reaches_the_file_without_finish(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=0.05)
    for word in ("Write-", "ahead ", "logging"):
        writer.append(word)
    seen = await _wait_for(db_path, "SELECT content FROM messages WHERE id = ?", (turn,), "Write-ahead logging")
    assert seen == "Write-ahead logging"
    assert raw_rows(db_path, "SELECT status FROM messages WHERE id = ?", (turn,)) == [("streaming",)]
    await writer.finish("complete")


async def test_text_is_batched_not_written_per_delta(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=60)
    for n in range(50):
        writer.append(f"{n} ")
    # Nothing written yet: the timer is a minute away.
    assert raw_rows(db_path, "SELECT content FROM messages WHERE id = ?", (turn,)) == [("",)]
    await writer.finish("complete", usage=Usage(5, 50))
    message = await store.get_message(turn)
    assert message.content == "".join(f"{n} " for n in range(50))
    assert (message.status, message.usage) == ("complete", Usage(5, 50))


async def test_response_id_gets_a_seven_day_expiry(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    await writer.set_response("resp_abc", "resp_prev", 1_800_000_100, 1_800_604_900)  # the chat layer's expiry
    message = await store.get_message(turn)
    assert (message.response_id, message.previous_response_id) == ("resp_abc", "resp_prev")
    assert message.response_created_at == 1_800_000_100
    assert message.expires_at == 1_800_604_900
    assert message.status == "streaming"
    await writer.finish("complete")


async def test_a_failed_turn_keeps_its_partial_text_and_error(store: Store) -> None:
    conversation_id, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    writer.append("The answer is")
    await writer.finish("failed", error="the server closed the connection")
    message = await store.get_message(turn)
    assert (message.status, message.content, message.error) == ("failed", "The answer is", "the server closed the connection")
    assert [hit.message_id for hit in await store.search("answer")] == [turn]
    assert (await store.conversation_usage(conversation_id)) == Usage()


async def test_open_marks_turns_of_dead_processes_incomplete(open_store: OpenStore, db_path: Path, clock: FakeClock) -> None:
    store = await open_store(db_path, clock=clock)
    _, user, orphan = await _turn(store)
    await store.append_text(orphan, "half an ans")
    _, _, live = await _turn(store)
    await store.close()
    raw_execute(db_path, "UPDATE messages SET writer_pid = ? WHERE id = ?", (dead_pid(), orphan))

    reopened = await open_store(db_path, clock=clock)
    try:
        recovered = await reopened.get_message(orphan)
        assert (recovered.status, recovered.error, recovered.content) == ("incomplete", INTERRUPTED, "half an ans")
        assert (await reopened.get_message(user)).content == "tell me"
        # Still owned by a running process (this one): left alone.
        assert (await reopened.get_message(live)).status == "pending"
        assert [hit.message_id for hit in await reopened.search("half")] == [orphan]
    finally:
        await reopened.close()


async def test_streaming_text_is_searchable_only_once_finished(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn)
    writer.append("platypus ")
    await writer.flush()
    assert await store.search("platypus") == []
    writer.append("facts")
    await writer.finish("cancelled")
    hits = await store.search("platypus")
    assert [(hit.message_id, hit.snippet) for hit in hits] == [(turn, f"{SNIPPET_OPEN}platypus{SNIPPET_CLOSE} facts")]


async def test_a_flush_blocked_by_another_program_loses_no_text(
    open_store: OpenStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, turn, writer = await _fast_writer(open_store, db_path, busy_timeout=0.1)
    async with _a_failed_flush(db_path, caplog):
        writer.append("kept ")
    writer.append("and more")
    await writer.finish("complete")
    assert (await store.get_message(turn)).content == "kept and more"


async def test_finish_during_a_flush_under_way_keeps_all_text_in_order(open_store: OpenStore, db_path: Path) -> None:
    store, turn, writer = await _fast_writer(open_store, db_path)
    async with _a_flush_waiting_on_the_lock(db_path, writer, "first "):
        writer.append("second")
        finishing = asyncio.create_task(writer.finish("complete", usage=Usage(1, 2)))
        await asyncio.sleep(0.05)
    await finishing
    message = await store.get_message(turn)
    assert (message.content, message.status, message.usage) == ("first second", "complete", Usage(1, 2))


def _items(count: int, status: str = "in_progress") -> list[OutputItem]:
    """The first `count` items of a turn that reasons, then searches the web `count - 1` times."""
    searches = [OutputItem(f"ws_{n}", "web_search_call", status, {"query": f"query {n}"}) for n in range(1, count)]
    return [OutputItem("rs_1", "reasoning", None, {"summary": "Look it up."}), *searches][:count]


def _stored_items(path: Path, message_id: int) -> list[tuple[str, str | None]]:
    return raw_rows(path, "SELECT item_id, status FROM output_items WHERE message_id = ? ORDER BY position", (message_id,))


async def test_items_are_not_written_per_change_but_with_the_flush(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=60)
    for count in range(1, 6):
        writer.set_items(_items(count))
    assert _stored_items(db_path, turn) == []  # the timer is a minute away
    writer.append("Searching")
    async with StatementLog(store) as log:
        await writer.flush()
    assert log.count("BEGIN") == 1 and log.count("DELETE FROM output_items") == 1
    assert _stored_items(db_path, turn) == [("rs_1", None)] + [(f"ws_{n}", "in_progress") for n in range(1, 5)]
    assert raw_rows(db_path, "SELECT content, status FROM messages WHERE id = ?", (turn,)) == [("Searching", "streaming")]
    await writer.finish("complete")


async def test_items_reach_the_file_by_the_timer_without_finish(store: Store, db_path: Path) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=0.05)
    writer.set_items(_items(2))
    for _ in range(500):
        if _stored_items(db_path, turn):
            break
        await asyncio.sleep(0.01)
    assert _stored_items(db_path, turn) == [("rs_1", None), ("ws_1", "in_progress")]
    await writer.finish("complete")


async def test_finishing_writes_text_items_and_status_in_one_transaction(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=60)
    writer.append("Found it.")
    async with StatementLog(store) as log:
        writer.set_items(_items(3, "completed"))
        await writer.finish("complete", usage=Usage(10, 5, 0, 0, {"web_search": 2}))
    assert log.count("BEGIN") == 1
    message = await store.get_message(turn)
    assert (message.content, message.status) == ("Found it.", "complete")
    assert [(item.item_id, item.status) for item in message.items] == [("rs_1", None), ("ws_1", "completed"), ("ws_2", "completed")]


async def test_items_already_flushed_are_not_rewritten(store: Store) -> None:
    _, _, turn = await _turn(store)
    writer = store.turn_writer(turn, flush_interval=60)
    writer.set_items(_items(2, "completed"))
    await writer.flush()
    async with StatementLog(store) as log:
        writer.set_items(_items(2, "completed"))  # the same items again, as the final event repeats them
        writer.append("Done.")
        await writer.flush()
        await writer.finish("complete")
    assert log.count("BEGIN") == 2 and log.count("DELETE FROM output_items") == 0
    assert (await store.get_message(turn)).items == _items(2, "completed")


async def test_items_of_a_flush_blocked_by_another_program_are_written_later(
    open_store: OpenStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store, turn, writer = await _fast_writer(open_store, db_path, busy_timeout=0.1)
    async with _a_failed_flush(db_path, caplog):
        writer.set_items(_items(2))
    await writer.finish("incomplete", error="the connection dropped")
    message = await store.get_message(turn)
    assert message.items == _items(2) and message.status == "incomplete"


async def test_what_arrives_during_a_flush_is_written_by_the_next_tick(open_store: OpenStore, db_path: Path) -> None:
    store, turn, writer = await _fast_writer(open_store, db_path)
    async with _a_flush_waiting_on_the_lock(db_path, writer, "first "):
        writer.append("second")
        writer.set_items(_items(1))
    # No further change comes (a stalled stream): the same timer still writes the rest.
    await _wait_for(db_path, "SELECT content FROM messages WHERE id = ?", (turn,), "first second")
    assert raw_rows(db_path, "SELECT content FROM messages WHERE id = ?", (turn,)) == [("first second",)]
    assert _stored_items(db_path, turn) == [("rs_1", None)]
    await writer.finish("complete")
