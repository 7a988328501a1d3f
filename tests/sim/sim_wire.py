"""Plain-httpx helpers for the simulator tests: post a request, split DashScope's SSE blocks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from tui.sim import SimServer

MODEL = "qwen3-max-2026-01-23"
AUTH = {"Authorization": "Bearer sk-test"}
BLOCK = re.compile(r"id:(\d+)\nevent:([a-z_.]+)\n:HTTP_STATUS/200\ndata:(.*)")


@dataclass(frozen=True)
class Frame:
    """One SSE block as sent: its id, event name, raw data text and the decoded JSON (None if broken)."""

    id: int
    event: str
    data: str
    json: Any


def parse_frames(raw: bytes) -> list[Frame]:
    """Split a DashScope stream body into frames; fails the test on any block that is not framed exactly."""
    text = raw.decode()
    assert text.endswith("\n\n"), "the stream must end with a complete block"
    frames = []
    for block in text[:-2].split("\n\n"):
        match = BLOCK.fullmatch(block)
        assert match, f"block not in DashScope framing: {block[:200]!r}"
        try:
            data = json.loads(match.group(3))
        except ValueError:
            data = None
        frames.append(Frame(int(match.group(1)), match.group(2), match.group(3), data))
    return frames


def post(sim: SimServer, body: dict, *, legacy: bool = False, headers: dict | None = None, timeout: float = 10) -> httpx.Response:
    base = sim.legacy_base_url if legacy else sim.base_url
    return httpx.post(f"{base}/responses", json=body, headers=AUTH if headers is None else headers, timeout=timeout)


def ask(sim: SimServer, input: Any, *, legacy: bool = False, **fields: Any) -> dict:
    """A non-streaming request that must succeed; returns the Response body."""
    response = post(sim, {"model": MODEL, "input": input, **fields}, legacy=legacy)
    assert response.status_code == 200, response.text
    return response.json()


def stream(sim: SimServer, input: Any, *, legacy: bool = False, **fields: Any) -> list[Frame]:
    """A streaming request that must succeed; returns its frames."""
    response = post(sim, {"model": MODEL, "input": input, "stream": True, **fields}, legacy=legacy)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_frames(response.content)


def events(frames: list[Frame]) -> list[dict]:
    return [frame.json for frame in frames]


def answer_text(response: dict) -> str:
    """The concatenated output_text of a Response body."""
    return "".join(
        part["text"] for item in response["output"] if item["type"] == "message" for part in item["content"] if part["type"] == "output_text"
    )


def streamed_text(frames: list[Frame]) -> str:
    return "".join(f.json["delta"] for f in frames if f.event == "response.output_text.delta")


def completed(frames: list[Frame]) -> dict:
    """The Response carried by the stream's response.completed event."""
    (final,) = [f.json["response"] for f in frames if f.event == "response.completed"]
    return final
