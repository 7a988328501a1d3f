"""Images of user messages: stored once by sha256, linked to messages in order, read back for replay and export."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import aiosqlite

from tui.store.models import ImageRef

#: An image to store with a message: its record and, for a file, its bytes (None for a URL).
NewImage = tuple[ImageRef, bytes | None]

IMAGE_REF_SQL = (
    "SELECT mi.message_id, mi.name, mi.sha256, mi.url, i.mime, i.size, i.width, i.height "
    "FROM message_images mi LEFT JOIN images i ON i.sha256 = mi.sha256 "
    "WHERE mi.message_id IN ({marks}) ORDER BY mi.message_id, mi.position"
)


def ref_from_row(row: sqlite3.Row) -> ImageRef:
    return ImageRef(
        name=row["name"], sha256=row["sha256"], url=row["url"], mime=row["mime"], size=row["size"],
        width=row["width"], height=row["height"],
    )


async def insert_images(tx: aiosqlite.Connection, message_id: int, images: Sequence[NewImage], now: float) -> None:
    """Link `images` to a message in order; a file's bytes are stored unless the same content already is."""
    for position, (ref, data) in enumerate(images):
        if ref.sha256 is not None:
            if data is None:
                cursor = await tx.execute("SELECT 1 FROM images WHERE sha256 = ?", (ref.sha256,))
                if await cursor.fetchone() is None:
                    raise ValueError(f"image {ref.name} has no stored bytes")
            else:
                await tx.execute(
                    "INSERT OR IGNORE INTO images (sha256, mime, size, width, height, data, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (ref.sha256, ref.mime or "application/octet-stream", len(data), ref.width, ref.height, data, now),
                )
        await tx.execute(
            "INSERT INTO message_images (message_id, position, name, sha256, url) VALUES (?, ?, ?, ?, ?)",
            (message_id, position, ref.name, ref.sha256, None if ref.sha256 else ref.url),
        )
