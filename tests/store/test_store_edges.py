"""Store doors the chat layer relies on, over a real SQLite file: image bytes by hash, a Chat Completions
turn marked as such, taking back an unsent question, and an empty file opened read-only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tui.store import Store
from tui.store.errors import StoreError
from tui.store.models import ImageRef

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_an_images_bytes_come_back_by_their_hash_and_an_unknown_hash_gives_none(store: Store) -> None:
    sha = hashlib.sha256(PNG).hexdigest()
    conversation = await store.create_conversation(model="m", endpoint="e")
    ref = ImageRef("cat.png", sha256=sha, mime="image/png", size=len(PNG))
    await store.add_message(conversation.id, role="user", content="", parent_id=None, images=[(ref, PNG)])
    assert await store.image_data(sha) == PNG
    assert await store.image_data("0" * 64) is None


async def test_a_chat_completions_turn_is_marked_as_one(store: Store) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")
    question = await store.add_message(conversation.id, role="user", content="hi", parent_id=None)
    answer = await store.start_assistant(conversation.id, parent_id=question.id, model="m", mode="replay",
                                         stored=False, api="chat")
    assert answer.api == "chat"  # its id is no previous_response_id and nothing on the server can be deleted


async def test_a_question_whose_answer_never_came_is_taken_back_with_it(store: Store) -> None:
    conversation = await store.create_conversation(model="m", endpoint="e")
    first = await store.add_message(conversation.id, role="user", content="hi", parent_id=None)
    kept = await store.start_assistant(conversation.id, parent_id=first.id, model="m", mode="replay", stored=True)
    question = await store.add_message(conversation.id, role="user", content="and then?", parent_id=kept.id)
    answer = await store.start_assistant(conversation.id, parent_id=question.id, model="m", mode="replay", stored=True)
    removed = await store.discard_unanswered(conversation.id, answer.id, question.id, kept.id)
    assert not removed
    assert [m.content for m in await store.head_branch(conversation.id)] == ["hi", ""]
    assert [hit.message_id for hit in await store.search("then")] == []


async def test_an_empty_file_opened_read_only_says_it_cannot_be_set_up(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(StoreError) as info:
        await Store.open_read_only(empty)
    assert str(info.value) == f"the database {empty} is empty and cannot be set up: it is read-only"


async def test_leaving_async_with_closes_the_file_and_folds_its_write_ahead_log_in(db_path: Path) -> None:
    async with await Store.open(db_path) as store:
        await store.create_conversation(model="m", endpoint="e")
        assert db_path.with_name(db_path.name + "-wal").exists()
    assert not db_path.with_name(db_path.name + "-wal").exists()  # another reader sees everything in the main file
