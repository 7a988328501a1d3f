"""DashScope's SSE framing: `id:N`, `event:<type>`, a `:HTTP_STATUS/200` comment, `data:<json>`, no spaces, no [DONE]."""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def frame(sequence_number: int, event_type: str, data: str) -> bytes:
    """One event block; DashScope numbers ids from 1 (sequence_number + 1)."""
    return f"id:{sequence_number + 1}\nevent:{event_type}\n:HTTP_STATUS/200\ndata:{data}\n\n".encode()


def batches(events: Sequence[tuple[str, str]], start: int, stop: int, size: int = 65536) -> Iterator[bytes]:
    """Frames of events[start:stop] joined into chunks of about `size` bytes (one socket write each)."""
    chunk: list[bytes] = []
    length = 0
    for seq in range(start, stop):
        event_type, data = events[seq]
        block = frame(seq, event_type, data)
        chunk.append(block)
        length += len(block)
        if length >= size:
            yield b"".join(chunk)
            chunk, length = [], 0
    if chunk:
        yield b"".join(chunk)
