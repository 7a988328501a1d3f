"""Database schema and its migrations, versioned with `PRAGMA user_version`.

Every migration runs inside one write transaction, after re-reading the version,
so two processes opening a fresh file at the same time cannot both apply it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import aiosqlite

from tui.store.errors import StoreError

_V1 = """
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    created_at      REAL    NOT NULL,
    updated_at      REAL    NOT NULL,
    model           TEXT    NOT NULL,
    endpoint        TEXT    NOT NULL,
    system_prompt   TEXT,
    pinned          INTEGER NOT NULL DEFAULT 0,
    archived        INTEGER NOT NULL DEFAULT 0,
    options         TEXT    NOT NULL DEFAULT '{}',
    head_message_id INTEGER
);
CREATE INDEX conversations_by_pin_recency ON conversations(pinned, updated_at);
CREATE INDEX conversations_by_recency ON conversations(updated_at);

CREATE TABLE messages (
    id                   INTEGER PRIMARY KEY,
    conversation_id      INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id            INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role                 TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content              TEXT    NOT NULL DEFAULT '',
    created_at           REAL    NOT NULL,
    status               TEXT    NOT NULL DEFAULT 'complete' CHECK (status IN
                             ('pending', 'streaming', 'complete', 'incomplete', 'cancelled', 'failed')),
    error                TEXT,
    model                TEXT,
    mode                 TEXT    CHECK (mode IN ('chain', 'replay')),
    stored               INTEGER NOT NULL DEFAULT 1,
    response_id          TEXT,
    previous_response_id TEXT,
    response_created_at  REAL,
    expires_at           REAL,
    input_tokens         INTEGER,
    output_tokens        INTEGER,
    cached_tokens        INTEGER,
    reasoning_tokens     INTEGER,
    x_tools              TEXT,
    writer_pid           INTEGER
);
CREATE INDEX messages_by_conversation ON messages(conversation_id);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX messages_live ON messages(status) WHERE status IN ('pending', 'streaming');

CREATE TABLE output_items (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    status     TEXT,
    data       TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

-- Full-text index over finished message text only: streaming flushes rewrite `content`
-- several times a second, and re-indexing each flush would cost O(length) every time.
-- Prefix indexes for 2 and 3 characters keep search-as-you-type fast on short prefixes.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status NOT IN ('pending', 'streaming') BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
END;
-- One trigger, so the old row always leaves the index before the new one enters.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE old.status NOT IN ('pending', 'streaming');
    INSERT INTO messages_fts(rowid, content)
        SELECT new.id, new.content WHERE new.status NOT IN ('pending', 'streaming');
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status NOT IN ('pending', 'streaming') BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
"""

# A hash of the JSON document a conversation was imported from: importing the same file again is
# recognised (and adds nothing) for as long as that conversation exists.
_V2 = """
ALTER TABLE conversations ADD COLUMN import_hash TEXT;
CREATE INDEX conversations_by_import_hash ON conversations(import_hash) WHERE import_hash IS NOT NULL;
"""

# Images attached to user messages, stored once by content (sha256) so a picture sent in several
# conversations or replayed on every turn takes its bytes once; `api` records which endpoint served a
# turn ("chat" for compatible-mode Chat Completions; NULL means the Responses API, as before).
_V3_IMAGES = """
ALTER TABLE messages ADD COLUMN api TEXT CHECK (api IN ('responses', 'chat'));

CREATE TABLE images (
    sha256     TEXT    PRIMARY KEY,
    mime       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    data       BLOB    NOT NULL,
    created_at REAL    NOT NULL
);

-- A message's images in order: a stored file (sha256) or an http(s) URL the service fetches itself.
CREATE TABLE message_images (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    sha256     TEXT    REFERENCES images(sha256),
    url        TEXT,
    PRIMARY KEY (message_id, position),
    CHECK ((sha256 IS NULL) <> (url IS NULL))
) WITHOUT ROWID;
CREATE INDEX message_images_by_sha ON message_images(sha256) WHERE sha256 IS NOT NULL;
-- The last link to an image gone (a conversation deleted), its bytes go too.
CREATE TRIGGER message_images_gc AFTER DELETE ON message_images
WHEN old.sha256 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM message_images WHERE sha256 = old.sha256) BEGIN
    DELETE FROM images WHERE sha256 = old.sha256;
END;
"""

# Titles are searched too (a renamed chat is found by its new name). They change rarely, so the
# index follows every change; 'rebuild' indexes the titles a version-1 file already holds.
_V4_TITLES = """
CREATE VIRTUAL TABLE conversations_fts USING fts5(
    title, content='conversations', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO conversations_fts(rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild');
"""

# The unsent text of the composer, per conversation (0: the new conversation not yet started), so
# a draft survives quitting. Not a foreign key because of slot 0; a trigger drops a deleted chat's draft.
_V5_DRAFTS = """
CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY,
    text            TEXT    NOT NULL,
    updated_at      REAL    NOT NULL
);
CREATE TRIGGER drafts_gc AFTER DELETE ON conversations BEGIN
    DELETE FROM drafts WHERE conversation_id = old.id;
END;
"""

#: MIGRATIONS[i] brings a database from user_version i to i + 1.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3_IMAGES, _V4_TITLES, _V5_DRAFTS)
SCHEMA_VERSION = len(MIGRATIONS)

_OUR_TABLES = {"conversations", "messages", "output_items"}


async def configure(db: aiosqlite.Connection, busy_timeout: float) -> None:
    """Per-connection settings: WAL, busy timeout, foreign keys, synchronous=NORMAL."""
    await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    await db.execute("PRAGMA foreign_keys = ON")
    row = await _switch_to_wal(db, busy_timeout)
    if row is None or str(row[0]).lower() != "wal":
        raise StoreError("the database cannot use write-ahead logging here; choose a path on a local disk")
    await db.execute("PRAGMA synchronous = NORMAL")


async def _switch_to_wal(db: aiosqlite.Connection, busy_timeout: float) -> sqlite3.Row | None:
    """Set WAL mode, retrying while another process holds the lock: SQLite's busy handler
    is not consulted for this switch, so two processes opening a new file at once would
    otherwise fail at once."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor = await db.execute("PRAGMA journal_mode = WAL")
            return await cursor.fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(0.01)


async def user_version(db: aiosqlite.Connection) -> int:
    """The schema version recorded in the file (0 for a new file)."""
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def check_compatible(db: aiosqlite.Connection, path: str) -> None:
    """Refuse files written by a newer qwen-tui and SQLite files that belong to something else.

    Reads only: a foreign or damaged file is never modified.
    """
    version = await user_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {path} was written by a newer qwen-tui (schema {version}); upgrade qwen-tui"
        )
    if version == 0:
        cursor = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in await cursor.fetchall()}
        if tables and not tables >= _OUR_TABLES:
            raise StoreError(
                f"the file {path} is an SQLite database of another program; choose another path"
            )


def statements(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies stay whole)."""
    result: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            result.append(pending.strip())
            pending = ""
    return result


async def migrate(db: aiosqlite.Connection) -> None:
    """Apply pending migrations; the caller holds a write transaction (BEGIN IMMEDIATE).

    Statements run one by one because `executescript` would commit the open transaction.
    """
    version = await user_version(db)
    for step in range(version, SCHEMA_VERSION):
        for statement in statements(MIGRATIONS[step]):
            await db.execute(statement)
        await db.execute(f"PRAGMA user_version = {step + 1}")
