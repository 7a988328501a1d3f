"""`Store`: the SQLite file of conversations, message trees, turns and their response chain.

One long-lived aiosqlite connection per Store. Writes run in `BEGIN IMMEDIATE`
transactions behind an asyncio lock, so concurrent tasks never interleave inside
one transaction and other processes wait on the busy timeout instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiosqlite

from tui.store import export, schema
from tui.store.errors import AlreadyImported, StoreError, translated
from tui.store.images import IMAGE_REF_SQL, NewImage, insert_images, ref_from_row
from tui.store.models import (
    ChainMode,
    Conversation,
    Message,
    MessageStatus,
    OutputItem,
    Role,
    SearchHit,
    Usage,
)
from tui.store.options import dump_options
from tui.store.records import (
    CONVERSATION_COLUMNS,
    MESSAGE_COLUMNS,
    conversation_from_row,
    item_from_row,
    item_values,
    message_from_row,
    usage_from_row,
    usage_values,
)
from tui.store.recovery import UNSAVED, process_alive, recover_interrupted
from tui.store.search import SEARCH_SQL, TITLE_SEARCH_SQL, escaped_snippet, match_expression
from tui.store.writer import TurnWriter

log = logging.getLogger("tui.store")

def _path_cte(stop: str = "", start: str = "?") -> str:
    """A recursive CTE `path(id, parent_id, role, depth)` walking from message `start` up to its root.

    `start` is SQL giving the first message's id (by default the parameter `?`); `stop` is a WHERE
    clause on `path` that ends the walk early (e.g. at the first answer).
    """
    return f"""
WITH RECURSIVE path(id, parent_id, role, depth) AS (
    SELECT id, parent_id, role, 0 FROM messages WHERE id = {start}
    UNION ALL
    SELECT m.id, m.parent_id, m.role, path.depth + 1 FROM path JOIN messages m ON m.id = path.parent_id {stop}
)
"""


_PATH_CTE = _path_cte()
#: The walk up from message `?` that stops after the `?` nearest messages (the end of a branch).
_NEAR_PATH_CTE = _path_cte(stop="WHERE path.depth + 1 < ?")
#: The head branch of conversation `?`, from its head message up.
_HEAD_PATH_CTE = _path_cte(start="(SELECT head_message_id FROM conversations WHERE id = ?)")
_QUALIFIED_MESSAGE_COLUMNS = ", ".join(f"m.{name.strip()}" for name in MESSAGE_COLUMNS.split(","))
_UPDATABLE = {"title", "pinned", "archived", "model", "endpoint", "system_prompt", "options", "head_message_id"}
_FINAL_STATUSES = {"complete", "incomplete", "cancelled", "failed"}
_ITEM_CHUNK = 500


def _inserted_id(cursor: aiosqlite.Cursor) -> int:
    """The rowid an INSERT just made (sqlite3 leaves `lastrowid` None only when nothing was inserted)."""
    if cursor.lastrowid is None:
        raise StoreError("the database inserted no row")
    return int(cursor.lastrowid)


async def _insert_items(tx: aiosqlite.Connection, message_id: int, items: list[OutputItem]) -> None:
    """Insert a turn's output items at positions 0, 1, ... (the turn has none yet)."""
    await tx.executemany(
        "INSERT INTO output_items (message_id, position, item_id, type, status, data) VALUES (?, ?, ?, ?, ?, ?)",
        [item_values(message_id, position, item) for position, item in enumerate(items)],
    )


async def _replace_items(tx: aiosqlite.Connection, message_id: int, items: list[OutputItem]) -> None:
    """Replace a turn's output items with `items`, kept in the given order."""
    await tx.execute("DELETE FROM output_items WHERE message_id = ?", (message_id,))
    await _insert_items(tx, message_id, items)


async def _other_live_writer(db: aiosqlite.Connection, conversation_id: int) -> int | None:
    """The pid of another running process with a pending/streaming turn in the conversation, if any."""
    cursor = await db.execute(
        "SELECT DISTINCT writer_pid FROM messages WHERE conversation_id = ? AND status IN ('pending', 'streaming') "
        "AND writer_pid > 0 AND writer_pid <> ?",
        (conversation_id, os.getpid()),
    )
    return next((int(row[0]) for row in await cursor.fetchall() if process_alive(int(row[0]))), None)


class Store:
    """Async access to one qwen-tui database file. Create with `await Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: str, clock: Callable[[], float]) -> None:
        self._db = db
        self.path = path
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False
        #: Opened by `open_read_only` (or the read-only fallback): every write fails with a StoreError.
        self.read_only = False
        #: Turns this process gave up saving (`mark_unsaved`): read as incomplete even if the mark was not written.
        self._unsaved: set[int] = set()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
        read_only_fallback: bool = False,
    ) -> Store:
        """Open (creating or migrating) the database; `StoreError` if it is unusable, file untouched.

        With `read_only_fallback` (commands that only read), a file that cannot be written (read-only
        file or mount, full disk) is opened read-only instead, so history stays reachable.
        """
        try:
            return await cls._open_writable(path, clock, busy_timeout)
        except StoreError as exc:
            if not (read_only_fallback and exc.unwritable):
                raise
            log.info("opening %s read-only: %s", path, exc)
            try:
                return await cls.open_read_only(path, clock=clock, busy_timeout=busy_timeout)
            except StoreError:
                raise exc from None  # the first reason is the one a person can act on

    @classmethod
    async def _open_writable(cls, path: str | os.PathLike[str], clock: Callable[[], float], busy_timeout: float) -> Store:
        file = Path(path).expanduser()
        shown = str(file)
        if file.is_dir():
            raise StoreError(f"cannot open the database {shown}: it is a folder, not a file")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the database {shown}: {exc.strerror}") from exc
        if not os.access(file.parent, os.W_OK) or (file.exists() and not os.access(file, os.R_OK | os.W_OK)):
            raise StoreError(
                f"the database {shown} is not writable; check its permissions or choose another path", unwritable=True
            )
        with translated(shown):
            db = await aiosqlite.connect(shown, timeout=busy_timeout, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            with translated(shown):
                # Read before anything writes: a damaged or foreign file fails here, unmodified.
                await schema.check_compatible(db, shown)
                await schema.configure(db, busy_timeout)
            store = cls(db, shown, clock)
            async with store._write() as tx:
                await schema.migrate(tx)
                await recover_interrupted(tx)
        except BaseException:
            await db.close()
            raise
        return store

    @classmethod
    async def open_read_only(
        cls, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time, busy_timeout: float = 5.0
    ) -> Store:
        """Open an existing database for reading only: nothing is migrated, recovered or written.

        `mode=ro` sees what a live writer commits. On a location nobody can write (a read-only mount
        without the WAL's -shm file) SQLite cannot set up WAL reading, so the file is opened
        `immutable` there, which is only right because nothing can change it.
        """
        file = Path(path).expanduser()
        shown = str(file)
        if not file.is_file():
            raise StoreError(f"cannot open the database {shown}: there is no such file")
        uri = f"file:{quote(str(file.resolve()))}"
        try:
            db = await cls._connect_read_only(f"{uri}?mode=ro", shown, busy_timeout)
        except StoreError:
            if os.access(file.parent, os.W_OK):
                raise
            db = await cls._connect_read_only(f"{uri}?immutable=1", shown, busy_timeout)
        store = cls(db, shown, clock)
        store.read_only = True
        return store

    @staticmethod
    async def _connect_read_only(uri: str, shown: str, busy_timeout: float) -> aiosqlite.Connection:
        """A read-only connection that has been checked to hold a qwen-tui database."""
        with translated(shown):
            db = await aiosqlite.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            with translated(shown):
                await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                await db.execute("PRAGMA query_only = ON")
                await schema.check_compatible(db, shown)
                if await schema.user_version(db) == 0:
                    raise StoreError(f"the database {shown} is empty and cannot be set up: it is read-only")
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite); closing twice is harmless."""
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def now(self) -> float:
        """The store's clock (what timestamps and expiry checks use)."""
        return self._clock()

    # ------------------------------------------------------------------ plumbing

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error.

        A cancellation can land while SQLite is still running BEGIN in aiosqlite's thread;
        the ROLLBACK is queued behind it, so the connection never stays inside a transaction.
        """
        async with self._lock:
            with translated(self.path):
                try:
                    await self._db.execute("BEGIN IMMEDIATE")
                    yield self._db
                    await self._db.execute("COMMIT")
                except BaseException:
                    await self._rollback()
                    raise

    async def _rollback(self) -> None:
        """Roll back the open transaction, if any."""
        try:
            await self._db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # no transaction was open (BEGIN itself failed, or COMMIT already ran)

    async def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with translated(self.path):
            cursor = await self._db.execute(sql, tuple(params))
            return list(await cursor.fetchall())

    async def _row(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    async def _with_items(self, messages: list[Message]) -> list[Message]:
        """Attach output items (in order) to the assistant messages among `messages`, images to the user's."""
        by_id = {m.id: m for m in messages if m.role == "assistant"}
        ids = list(by_id)
        for start in range(0, len(ids), _ITEM_CHUNK):
            chunk = ids[start : start + _ITEM_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._rows(
                f"SELECT message_id, item_id, type, status, data FROM output_items "
                f"WHERE message_id IN ({marks}) ORDER BY message_id, position",
                chunk,
            )
            for row in rows:
                by_id[row["message_id"]].items.append(item_from_row(row))
        users = {m.id: m for m in messages if m.role == "user"}
        user_ids = list(users)
        for start in range(0, len(user_ids), _ITEM_CHUNK):
            chunk = user_ids[start : start + _ITEM_CHUNK]
            for row in await self._rows(IMAGE_REF_SQL.format(marks=",".join("?" * len(chunk))), chunk):
                users[row["message_id"]].images.append(ref_from_row(row))
        return messages

    async def _messages(self, sql: str, params: Iterable[Any] = ()) -> list[Message]:
        messages = [message_from_row(row) for row in await self._rows(sql, params)]
        if self._unsaved:
            for message in messages:
                if message.id in self._unsaved and message.status in ("pending", "streaming"):
                    message.status, message.error = "incomplete", UNSAVED
        return await self._with_items(messages)

    @staticmethod
    async def _require_conversation(tx: aiosqlite.Connection, conversation_id: int) -> None:
        cursor = await tx.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
        if await cursor.fetchone() is None:
            raise StoreError(f"conversation {conversation_id} does not exist")

    @staticmethod
    async def _require_member(tx: aiosqlite.Connection, conversation_id: int, message_id: int | None) -> None:
        if message_id is None:
            return
        cursor = await tx.execute("SELECT conversation_id FROM messages WHERE id = ?", (message_id,))
        row = await cursor.fetchone()
        if row is None or row[0] != conversation_id:
            raise StoreError(f"message {message_id} is not part of conversation {conversation_id}")

    async def _insert_message(self, tx: aiosqlite.Connection, conversation_id: int, **values: Any) -> int:
        """Insert a message row, move the conversation's head to it and bump its recency."""
        await self._require_conversation(tx, conversation_id)
        await self._require_member(tx, conversation_id, values.get("parent_id"))
        now = self._clock()
        values.setdefault("created_at", now)
        names = ", ".join(["conversation_id", *values])
        marks = ", ".join("?" * (len(values) + 1))
        cursor = await tx.execute(
            f"INSERT INTO messages ({names}) VALUES ({marks})", (conversation_id, *values.values())
        )
        message_id = _inserted_id(cursor)
        await tx.execute(
            "UPDATE conversations SET head_message_id = ?, updated_at = ? WHERE id = ?",
            (message_id, now, conversation_id),
        )
        return message_id

    # ------------------------------------------------------------------ conversations

    async def create_conversation(
        self,
        *,
        title: str = "New chat",
        model: str,
        endpoint: str,
        system_prompt: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Conversation:
        """A new empty conversation (credential-like options are dropped, never stored)."""
        now = self._clock()
        async with self._write() as tx:
            cursor = await tx.execute(
                "INSERT INTO conversations (title, created_at, updated_at, model, endpoint, system_prompt, options)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (title, now, now, model, endpoint, system_prompt, dump_options(options)),
            )
            conversation_id = _inserted_id(cursor)
        return await self._conversation(conversation_id)

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        """The conversation with this id, or None."""
        row = await self._row(f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,))
        return conversation_from_row(row) if row else None

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, include_archived: bool = False
    ) -> list[Conversation]:
        """A page of conversations: pinned first, then most recently updated first."""
        where = "" if include_archived else "WHERE archived = 0"
        rows = await self._rows(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations {where} "
            "ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [conversation_from_row(row) for row in rows]

    async def count_conversations(self, *, include_archived: bool = False) -> int:
        """How many conversations the list holds (for paging)."""
        where = "" if include_archived else "WHERE archived = 0"
        row = await self._row(f"SELECT count(*) FROM conversations {where}")
        return int(row[0]) if row else 0

    async def latest_conversation(self) -> Conversation | None:
        """The most recently updated conversation that is not archived."""
        row = await self._row(
            f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE archived = 0 "
            "ORDER BY updated_at DESC, id DESC LIMIT 1"
        )
        return conversation_from_row(row) if row else None

    async def update_conversation(self, conversation_id: int, **fields: Any) -> Conversation:
        """Change any of title, pinned, archived, model, endpoint, system_prompt, options, head_message_id."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update conversation fields: {', '.join(sorted(unknown))}")
        if "options" in fields:
            fields["options"] = dump_options(fields["options"])
        for flag in ("pinned", "archived"):
            if flag in fields:
                fields[flag] = int(bool(fields[flag]))
        async with self._write() as tx:
            await self._require_conversation(tx, conversation_id)
            await self._require_member(tx, conversation_id, fields.get("head_message_id"))
            if fields:
                assignments = ", ".join(f"{name} = ?" for name in fields)
                await tx.execute(
                    f"UPDATE conversations SET {assignments} WHERE id = ?", (*fields.values(), conversation_id)
                )
        return await self._conversation(conversation_id)

    async def delete_conversation(self, conversation_id: int) -> None:
        """Delete a conversation with all its messages and items; refused while another process streams into it."""
        async with self._write() as tx:
            writer = await _other_live_writer(tx, conversation_id)
            if writer is not None:
                raise StoreError(
                    f"conversation {conversation_id} is receiving an answer in another qwen-tui (process {writer}); "
                    "stop it there or wait for it to finish, then delete"
                )
            await tx.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    async def draft(self, conversation_id: int | None) -> str:
        """The unsent composer text kept for a conversation (None: the new conversation), "" if none."""
        row = await self._row("SELECT text FROM drafts WHERE conversation_id = ?", (conversation_id or 0,))
        return str(row[0]) if row else ""

    async def set_draft(self, conversation_id: int | None, text: str) -> None:
        """Keep (or, when blank, forget) the unsent composer text of a conversation."""
        async with self._write() as tx:
            if text.strip():
                await tx.execute(
                    "INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                    (conversation_id or 0, text, self.now()),
                )
            else:
                await tx.execute("DELETE FROM drafts WHERE conversation_id = ?", (conversation_id or 0,))

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection commits to the file."""
        row = await self._row("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def streaming_elsewhere(self, conversation_id: int) -> int | None:
        """The pid of another live process streaming an answer into this conversation, if any."""
        with translated(self.path):
            return await _other_live_writer(self._db, conversation_id)

    async def discard_unanswered(
        self, conversation_id: int, answer_id: int, question_id: int | None, head_before: int | None
    ) -> bool:
        """Remove a turn that failed before anything of its answer arrived: the answer, the question
        (`question_id`, if the turn added it) and, if that leaves it empty, the conversation; the head
        goes back to `head_before`. Returns whether the conversation was removed. One transaction.
        """
        async with self._write() as tx:
            await tx.execute("DELETE FROM messages WHERE id = ? AND conversation_id = ?", (answer_id, conversation_id))
            if question_id is not None:  # kept if another answer to it appeared meanwhile
                await tx.execute(
                    "DELETE FROM messages WHERE id = ? AND conversation_id = ? "
                    "AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = ?)",
                    (question_id, conversation_id, question_id),
                )
            await tx.execute(
                "UPDATE conversations SET head_message_id = ? WHERE id = ? "
                "AND head_message_id NOT IN (SELECT id FROM messages WHERE conversation_id = ?)",
                (head_before, conversation_id, conversation_id),
            )
            cursor = await tx.execute(
                "DELETE FROM conversations WHERE id = ? AND head_message_id IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?)",
                (conversation_id, conversation_id),
            )
            return cursor.rowcount > 0

    # ------------------------------------------------------------------ messages (a tree)

    async def add_message(
        self,
        conversation_id: int,
        *,
        role: Role,
        content: str,
        parent_id: int | None,
        images: Sequence[NewImage] = (),
    ) -> Message:
        """Commit a finished message (user or system) under `parent_id`, with its images; the head moves to it."""
        async with self._write() as tx:
            message_id = await self._insert_message(
                tx, conversation_id, parent_id=parent_id, role=role, content=content, status="complete"
            )
            if images:
                await insert_images(tx, message_id, images, self._clock())
        return await self._get(message_id)

    async def image_data(self, sha256: str) -> bytes | None:
        """The bytes of a stored image, or None if no message links it any more."""
        row = await self._row("SELECT data FROM images WHERE sha256 = ?", (sha256,))
        return bytes(row[0]) if row is not None else None

    async def usage_rows(self, since: float | None = None) -> list[tuple[float, str | None, Usage]]:
        """(created_at, model, usage) of every answer that reported usage (all conversations), oldest first."""
        rows = await self._rows(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE role = 'assistant' AND input_tokens IS NOT NULL "
            "AND created_at >= ? ORDER BY created_at",
            (since if since is not None else float("-inf"),),
        )
        found = [message_from_row(row) for row in rows]
        return [(m.created_at, m.model, m.usage) for m in found if m.usage is not None]

    async def start_assistant(
        self,
        conversation_id: int,
        *,
        parent_id: int | None,
        model: str,
        mode: ChainMode | None,
        stored: bool,
        api: str | None = None,
    ) -> Message:
        """Commit an empty `pending` assistant turn owned by this process; the head moves to it.

        `api` names the endpoint answering it ("chat" for Chat Completions; None for the Responses API).
        """
        async with self._write() as tx:
            message_id = await self._insert_message(
                tx,
                conversation_id,
                parent_id=parent_id,
                role="assistant",
                content="",
                status="pending",
                model=model,
                mode=mode,
                stored=int(stored),
                writer_pid=os.getpid(),
                **({"api": api} if api is not None else {}),
            )
        return await self._get(message_id)

    async def _get(self, message_id: int) -> Message:
        message = await self.get_message(message_id)
        if message is None:
            raise StoreError(f"message {message_id} does not exist")
        return message

    async def get_message(self, message_id: int) -> Message | None:
        """The message with its usage and items, or None."""
        found = await self._messages(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        return found[0] if found else None

    async def children(self, message_id: int) -> list[Message]:
        """Direct replies to a message, oldest first (regenerations and edits are siblings)."""
        return await self._messages(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id", (message_id,)
        )

    async def roots(self, conversation_id: int) -> list[Message]:
        """Messages without a parent (first messages, and edits of the first message)."""
        return await self._messages(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND parent_id IS NULL ORDER BY id",
            (conversation_id,),
        )

    async def sibling_counts(self, conversation_id: int) -> dict[int, tuple[int, int]]:
        """Message id -> (1-based place among its siblings, sibling count), for messages that have alternatives.

        Siblings are ordered as `children()` and `roots()` order them (by id); one query for the whole tree.
        """
        rows = await self._rows(
            "SELECT group_concat(id) FROM messages WHERE conversation_id = ? GROUP BY parent_id HAVING count(*) > 1",
            (conversation_id,),
        )
        counts: dict[int, tuple[int, int]] = {}
        for row in rows:
            siblings = sorted(int(text) for text in row[0].split(","))
            for place, message_id in enumerate(siblings, start=1):
                counts[message_id] = (place, len(siblings))
        return counts

    async def path_to(self, message_id: int) -> list[Message]:
        """The messages from the root down to `message_id`, with usage and items (for replay/display)."""
        return await self._messages(
            f"{_PATH_CTE} SELECT {_QUALIFIED_MESSAGE_COLUMNS} FROM path JOIN messages m ON m.id = path.id "
            "ORDER BY path.depth DESC",
            (message_id,),
        )

    async def path_end(self, message_id: int, count: int) -> list[Message]:
        """The last `count` messages of `path_to(message_id)` (fewer near the root), root-most first: what a
        reader that kept the branch needs to read again after a turn (tui.chat.branch_paths)."""
        return await self._messages(
            f"{_NEAR_PATH_CTE} SELECT {_QUALIFIED_MESSAGE_COLUMNS} FROM path JOIN messages m ON m.id = path.id "
            "ORDER BY path.depth DESC",
            (message_id, count),
        )

    async def answer_usage(self, conversation_id: int, *, after: int = 0) -> list[tuple[int, str | None, Usage]]:
        """(id, model, usage) of every answer of a conversation that reported usage, all branches, oldest first
        (only those with an id above `after`): what its cost is estimated from, without their text or items."""
        rows = await self._rows(
            "SELECT id, model, input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools FROM messages "
            "WHERE conversation_id = ? AND role = 'assistant' AND input_tokens IS NOT NULL AND id > ? ORDER BY id",
            (conversation_id, after),
        )
        return [(row["id"], row["model"], usage_from_row(row)) for row in rows]

    async def answer_usage_tally(self, conversation_id: int) -> tuple[int, int, int]:
        """How many answers of a conversation reported usage, the newest one's id and their tokens in all:
        whether what `answer_usage` gave before still holds, in one aggregate."""
        row = await self._row(
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(input_tokens + coalesce(output_tokens, 0)), 0) "
            "FROM messages WHERE conversation_id = ? AND role = 'assistant' AND input_tokens IS NOT NULL",
            (conversation_id,),
        )
        assert row is not None  # an aggregate always returns its one row
        return int(row[0]), int(row[1]), int(row[2])

    async def conversation_messages(self, conversation_id: int) -> list[Message]:
        """Every message of a conversation (all branches), in creation order."""
        return await self._messages(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )

    async def head_branch(self, conversation_id: int) -> list[Message]:
        """The path to the conversation's head (empty for an empty conversation)."""
        conversation = await self.get_conversation(conversation_id)
        if conversation is None or conversation.head_message_id is None:
            return []
        return await self.path_to(conversation.head_message_id)

    async def branch_leaves(self, conversation_id: int) -> list[Message]:
        """The last message of every branch, oldest branch first."""
        return await self._messages(
            f"SELECT {MESSAGE_COLUMNS} FROM messages AS leaf WHERE conversation_id = ? "
            "AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = leaf.id) ORDER BY id",
            (conversation_id,),
        )

    async def newest_leaf(self, message_id: int) -> int:
        """The end of the branch through `message_id` that follows the newest reply (last child) at every step."""
        row = await self._row(
            "WITH RECURSIVE down(id, depth) AS ("
            " SELECT id, 0 FROM messages WHERE id = ?"
            " UNION ALL"
            " SELECT (SELECT max(c.id) FROM messages c WHERE c.parent_id = down.id), depth + 1"
            " FROM down WHERE down.id IS NOT NULL"
            ") SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1",
            (message_id,),
        )
        if row is None:
            raise StoreError(f"message {message_id} does not exist")
        return int(row[0])

    async def set_head(self, conversation_id: int, message_id: int) -> Conversation:
        """Switch the conversation to the branch ending at (or passing through) `message_id`."""
        return await self.update_conversation(conversation_id, head_message_id=message_id)

    # ------------------------------------------------------------------ turn persistence

    def turn_writer(self, message_id: int, flush_interval: float = 0.25) -> TurnWriter:
        """A buffered writer for one streaming assistant turn (text and items flushed together by a timer)."""
        return TurnWriter(self, message_id, flush_interval=flush_interval)

    async def append_text(self, message_id: int, text: str, *, items: list[OutputItem] | None = None) -> None:
        """Append streamed text to a turn now, and replace its output items when given, in one transaction.

        The writer batches calls to this: one per timed flush, whatever arrived meanwhile.
        """
        async with self._write() as tx:
            await tx.execute(
                "UPDATE messages SET content = content || ?, "
                "status = CASE status WHEN 'pending' THEN 'streaming' ELSE status END WHERE id = ?",
                (text, message_id),
            )
            if items is not None:
                await _replace_items(tx, message_id, items)

    async def record_response(
        self,
        message_id: int,
        response_id: str,
        previous_response_id: str | None,
        created_at: float,
        expires_at: float | None = None,
    ) -> None:
        """Store the server's response id, when it was created and when it expires (the chat layer's
        policy decides both); the turn is `streaming`."""
        async with self._write() as tx:
            await tx.execute(
                "UPDATE messages SET response_id = ?, previous_response_id = ?, response_created_at = ?, "
                "expires_at = ?, status = CASE WHEN status IN ('pending', 'streaming') THEN 'streaming' "
                "ELSE status END WHERE id = ?",
                (response_id, previous_response_id, created_at, expires_at, message_id),
            )

    async def set_message_mode(self, message_id: int, mode: ChainMode) -> None:
        """Record how a turn finally reached the server (a chained turn the server refused is replayed)."""
        async with self._write() as tx:
            await tx.execute("UPDATE messages SET mode = ? WHERE id = ?", (mode, message_id))

    async def finish_turn(
        self,
        message_id: int,
        status: MessageStatus,
        *,
        error: str | None = None,
        usage: Usage | None = None,
        text: str = "",
        items: list[OutputItem] | None = None,
    ) -> None:
        """Give a turn its final status (and usage); `text` and `items` are what the last flush did not write."""
        if status not in _FINAL_STATUSES:
            raise ValueError(f"not a final status: {status}")
        async with self._write() as tx:
            await tx.execute(
                "UPDATE messages SET content = content || ?, status = ?, error = ?, "
                "input_tokens = coalesce(?, input_tokens), output_tokens = coalesce(?, output_tokens), "
                "cached_tokens = coalesce(?, cached_tokens), reasoning_tokens = coalesce(?, reasoning_tokens), "
                "x_tools = coalesce(?, x_tools) WHERE id = ?",
                (text, status, error, *usage_values(usage), message_id),
            )
            if items is not None:
                await _replace_items(tx, message_id, items)
            await tx.execute(
                "UPDATE conversations SET updated_at = ? "
                "WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (self._clock(), message_id),
            )

    async def mark_unsaved(self, message_id: int) -> tuple[bool, int]:
        """After a turn's end could not be written: mark it so it is not left "streaming"; returns
        (whether the mark was written, how many characters of its text the file holds).

        The mark negates `writer_pid`. That changes no record size, so SQLite rewrites only the page
        that holds it and no full-text trigger fires: the smallest write there is, which a full disk
        can often (not always) still take. Readers show the turn as incomplete (this process at once,
        others once it ends if the mark could not be written); the next writable open records it.
        """
        self._unsaved.add(message_id)
        marked = True
        try:
            async with self._write() as tx:
                await tx.execute(
                    "UPDATE messages SET writer_pid = -writer_pid "
                    "WHERE id = ? AND status IN ('pending', 'streaming') AND writer_pid > 0",
                    (message_id,),
                )
        except StoreError:
            marked = False  # readers still show it as interrupted once this process has ended
        row = await self._row("SELECT length(content) FROM messages WHERE id = ?", (message_id,))
        return marked, int(row[0]) if row else 0

    # ------------------------------------------------------------------ response chain

    async def conversation_usage(self, conversation_id: int) -> Usage:
        """Token usage summed over the head branch, in one walk of it (a branch can hold thousands of turns)."""
        row = await self._row(
            f"{_HEAD_PATH_CTE} SELECT coalesce(sum(m.input_tokens), 0), coalesce(sum(m.output_tokens), 0), "
            "coalesce(sum(m.cached_tokens), 0), coalesce(sum(m.reasoning_tokens), 0), group_concat(m.x_tools) "
            "FROM path JOIN messages m ON m.id = path.id",
            (conversation_id,),
        )
        assert row is not None  # an aggregate always returns its one row
        tools: dict[str, int] = {}
        for counts in json.loads(f"[{row[4] or ''}]"):  # group_concat joins the turns' JSON objects with commas
            for name, count in counts.items():
                tools[name] = tools.get(name, 0) + int(count)
        inputs, outputs, cached, reasoning = (int(value) for value in row[:4])
        return Usage(inputs, outputs, cached, reasoning, x_tools=dict(sorted(tools.items())))

    # ------------------------------------------------------------------ search

    async def search(self, query: str, *, limit: int = 50, titles: bool = False) -> list[SearchHit]:
        """Every message whose finished text matches (newest first); with `titles`, conversations whose
        title matches come first (most recently updated first). `limit` hits in all; any text is safe.

        `titles` is asked for, not the default, because a title hit has no message: a caller must know
        how to open one (`kind == "title"`, `message_id` None).
        """
        expression = match_expression(query)
        if expression is None or limit <= 0:
            return []
        rows = await self._rows(TITLE_SEARCH_SQL, (expression, limit)) if titles else []
        hits = [
            SearchHit(
                conversation_id=row["conversation_id"],
                message_id=None,
                title=row["title"],
                role=None,
                snippet=escaped_snippet(row["snippet"], row["plain"]),
                created_at=row["updated_at"],
                kind="title",
            )
            for row in rows
        ]
        rows = await self._rows(SEARCH_SQL, (expression, limit - len(hits))) if len(hits) < limit else []
        return hits + [
            SearchHit(
                conversation_id=row["conversation_id"],
                message_id=row["message_id"],
                title=row["title"],
                role=row["role"],
                snippet=escaped_snippet(row["snippet"], row["plain"]),
                created_at=row["created_at"],
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ export / import

    async def export_markdown(self, conversation_id: int, image_links: dict[str, str] | None = None) -> str:
        """A readable Markdown transcript of the head branch; `image_links` maps an image's sha256 to
        the relative path its file was written to (images without one are described, not linked)."""
        conversation = await self._conversation(conversation_id)
        head = conversation.head_message_id
        branch = await self.path_to(head) if head is not None else []
        return export.to_markdown(conversation, branch, image_links=image_links)

    async def export_json(self, conversation_id: int) -> dict[str, Any]:
        """The whole tree plus a Responses-API-ready `input` array for the head branch; images travel as data URLs."""
        conversation = await self._conversation(conversation_id)
        messages = await self.conversation_messages(conversation_id)
        data: dict[str, bytes] = {}
        for ref in (ref for message in messages for ref in message.images):
            if ref.sha256 and ref.sha256 not in data:
                data[ref.sha256] = await self.image_data(ref.sha256) or b""
        return export.to_document(conversation, messages, image_data=data)

    async def import_json(self, data: dict[str, Any]) -> Conversation:
        """Create a new conversation (new ids) from `export_json` output, keeping tree and head.

        The same document imported again (while its conversation exists) raises `AlreadyImported`.
        """
        imported = export.from_document(data, now=self._clock())
        digest = export.document_hash(data)
        async with self._write() as tx:
            cursor = await tx.execute("SELECT id FROM conversations WHERE import_hash = ? LIMIT 1", (digest,))
            earlier = await cursor.fetchone()
            if earlier is not None:
                raise AlreadyImported(int(earlier[0]))
            head = imported.conversation
            cursor = await tx.execute(
                "INSERT INTO conversations (title, created_at, updated_at, model, endpoint, system_prompt, "
                "pinned, archived, options, import_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    head.title,
                    head.created_at,
                    self._clock(),
                    head.model,
                    head.endpoint,
                    head.system_prompt,
                    int(head.pinned),
                    int(head.archived),
                    dump_options(head.options),
                    digest,
                ),
            )
            conversation_id = _inserted_id(cursor)
            new_ids: dict[int, int] = {}
            for message in imported.messages:
                cursor = await tx.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, created_at, status, error, "
                    "model, mode, stored, response_id, previous_response_id, response_created_at, expires_at, "
                    "input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools, api) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        conversation_id,
                        None if message.parent_id is None else new_ids[message.parent_id],
                        message.role,
                        message.content,
                        message.created_at,
                        message.status,
                        message.error,
                        message.model,
                        message.mode,
                        int(message.stored),
                        message.response_id,
                        message.previous_response_id,
                        message.response_created_at,
                        message.expires_at,
                        *usage_values(message.usage),
                        message.api,
                    ),
                )
                new_id = _inserted_id(cursor)
                new_ids[message.id] = new_id
                await _insert_items(tx, new_id, message.items)
                images = imported.images.get(message.id)
                if images:
                    await insert_images(tx, new_id, images, self._clock())
            head_id = None if head.head_message_id is None else new_ids[head.head_message_id]
            await tx.execute(
                "UPDATE conversations SET head_message_id = ? WHERE id = ?", (head_id, conversation_id)
            )
        return await self._conversation(conversation_id)

    async def _conversation(self, conversation_id: int) -> Conversation:
        conversation = await self.get_conversation(conversation_id)
        if conversation is None:
            raise StoreError(f"conversation {conversation_id} does not exist")
        return conversation
