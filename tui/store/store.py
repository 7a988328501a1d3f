"""`Store`: the SQLite file of conversations, message trees, turns and their response chain.

One long-lived aiosqlite connection per Store. Writes run in `BEGIN IMMEDIATE`
transactions behind an asyncio lock, so concurrent tasks never interleave inside
one transaction and other processes wait on the busy timeout instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from tui.store import export, schema
from tui.store.errors import StoreError, translated
from tui.store.models import (
    RESPONSE_TTL_SECONDS,
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
    usage_values,
)
from tui.store.recovery import recover_interrupted
from tui.store.search import SEARCH_SQL, TITLE_SEARCH_SQL, escaped_snippet, match_expression
from tui.store.writer import TurnWriter



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
_UP_TO_ANSWER_CTE = _path_cte("WHERE path.role <> 'assistant'")
#: The head branch of conversation `?`, from its head message up.
_HEAD_PATH_CTE = _path_cte(start="(SELECT head_message_id FROM conversations WHERE id = ?)")
_QUALIFIED_MESSAGE_COLUMNS = ", ".join(f"m.{name.strip()}" for name in MESSAGE_COLUMNS.split(","))
_UPDATABLE = {"title", "pinned", "archived", "model", "endpoint", "system_prompt", "options", "head_message_id"}
_FINAL_STATUSES = {"complete", "incomplete", "cancelled", "failed"}
_ITEM_CHUNK = 500


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


class Store:
    """Async access to one qwen-tui database file. Create with `await Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: str, clock: Callable[[], float]) -> None:
        self._db = db
        self.path = path
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
    ) -> Store:
        """Open (creating or migrating) the database; `StoreError` if it is unusable, file untouched."""
        file = Path(path).expanduser()
        shown = str(file)
        if file.is_dir():
            raise StoreError(f"cannot open the database {shown}: it is a folder, not a file")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for the database {shown}: {exc.strerror}") from exc
        if not os.access(file.parent, os.W_OK) or (file.exists() and not os.access(file, os.R_OK | os.W_OK)):
            raise StoreError(f"the database {shown} is not writable; check its permissions or choose another path")
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
        """Attach output items (in order) to the assistant messages among `messages`."""
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
        return messages

    async def _messages(self, sql: str, params: Iterable[Any] = ()) -> list[Message]:
        return await self._with_items([message_from_row(row) for row in await self._rows(sql, params)])

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
        message_id = int(cursor.lastrowid)
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
            conversation_id = int(cursor.lastrowid)
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
        """Delete a conversation with all its messages and items."""
        async with self._write() as tx:
            await tx.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # ------------------------------------------------------------------ messages (a tree)

    async def add_message(
        self, conversation_id: int, *, role: Role, content: str, parent_id: int | None
    ) -> Message:
        """Commit a finished message (user or system) under `parent_id`; the head moves to it."""
        async with self._write() as tx:
            message_id = await self._insert_message(
                tx, conversation_id, parent_id=parent_id, role=role, content=content, status="complete"
            )
        return await self._get(message_id)

    async def start_assistant(
        self, conversation_id: int, *, parent_id: int | None, model: str, mode: ChainMode | None, stored: bool
    ) -> Message:
        """Commit an empty `pending` assistant turn owned by this process; the head moves to it."""
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
        self, message_id: int, response_id: str, previous_response_id: str | None, created_at: float | None
    ) -> None:
        """Store the server's response id and its expiry (created + 7 days); the turn is `streaming`."""
        created = float(created_at) if created_at is not None else self._clock()
        async with self._write() as tx:
            await tx.execute(
                "UPDATE messages SET response_id = ?, previous_response_id = ?, response_created_at = ?, "
                "expires_at = ?, status = CASE WHEN status IN ('pending', 'streaming') THEN 'streaming' "
                "ELSE status END WHERE id = ?",
                (response_id, previous_response_id, created, created + RESPONSE_TTL_SECONDS, message_id),
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

    # ------------------------------------------------------------------ response chain

    async def chain_head(self, conversation_id: int) -> Message | None:
        """The last assistant message on the conversation's head branch."""
        conversation = await self.get_conversation(conversation_id)
        if conversation is None or conversation.head_message_id is None:
            return None
        found = await self._messages(
            f"{_UP_TO_ANSWER_CTE} SELECT {_QUALIFIED_MESSAGE_COLUMNS} FROM path JOIN messages m ON m.id = path.id "
            "WHERE path.role = 'assistant' ORDER BY path.depth LIMIT 1",
            (conversation.head_message_id,),
        )
        return found[0] if found else None

    def response_valid(self, message: Message, now: float | None = None) -> bool:
        """Whether the server should still know `message`'s response id (stored, complete, not expired)."""
        moment = self._clock() if now is None else now
        return bool(
            message.response_id
            and message.stored
            and message.status == "complete"
            and message.expires_at is not None
            and message.expires_at > moment
        )

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
        return Usage(*(int(value) for value in row[:4]), x_tools=dict(sorted(tools.items())))

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

    async def export_markdown(self, conversation_id: int) -> str:
        """A readable Markdown transcript of the head branch."""
        conversation = await self._conversation(conversation_id)
        head = conversation.head_message_id
        return export.to_markdown(conversation, await self.path_to(head) if head is not None else [])

    async def export_json(self, conversation_id: int) -> dict[str, Any]:
        """The whole tree plus a Responses-API-ready `input` array for the head branch."""
        conversation = await self._conversation(conversation_id)
        return export.to_document(conversation, await self.conversation_messages(conversation_id))

    async def import_json(self, data: dict[str, Any]) -> Conversation:
        """Create a new conversation (new ids) from `export_json` output, keeping tree and head."""
        imported = export.from_document(data, now=self._clock())
        async with self._write() as tx:
            head = imported.conversation
            cursor = await tx.execute(
                "INSERT INTO conversations (title, created_at, updated_at, model, endpoint, system_prompt, "
                "pinned, archived, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                ),
            )
            conversation_id = int(cursor.lastrowid)
            new_ids: dict[int, int] = {}
            for message in imported.messages:
                cursor = await tx.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, created_at, status, error, "
                    "model, mode, stored, response_id, previous_response_id, response_created_at, expires_at, "
                    "input_tokens, output_tokens, cached_tokens, reasoning_tokens, x_tools) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    ),
                )
                new_id = int(cursor.lastrowid)
                new_ids[message.id] = new_id
                await _insert_items(tx, new_id, message.items)
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
