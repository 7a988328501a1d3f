"""Attaching images: header dimensions, the provider's limits, pasted paths, and real round trips
through the engine, the store and the simulator."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from chat_support import MakeEngine, collect
from image_files import bmp_bytes, gif_bytes, jpeg_bytes, png_bytes, webp_bytes, write

from tui.chat.engine import ChatEngine
from tui.chat.errors import EngineError
from tui.chat.images import (
    MAX_FILE_BYTES,
    DataUrlCache,
    ImageError,
    attach,
    dimensions,
    pasted_path,
    pasted_paths,
)
from tui.chat.updates import TurnFinished
from tui.sim import SimServer
from tui.store import StoreError

VISION = "qwen3.5-plus"


async def sent_with_image(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path, text: str, model: str = VISION
) -> tuple[ChatEngine, int, bytes, TurnFinished]:
    """A new conversation on `model` whose first message is `text` with a 30x20 PNG; returns its finished answer."""
    engine = await make_engine(sim, model=model)
    data = png_bytes(30, 20)
    image = await attach(write(tmp_path / "a.png", data))
    conversation = await engine.new_conversation()
    finished = (await collect(await engine.send(conversation.id, text, images=[image])))[-1]
    assert isinstance(finished, TurnFinished) and finished.status == "complete"
    return engine, conversation.id, data, finished


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png_bytes(640, 480), (640, 480)),
        (jpeg_bytes(1920, 1080), (1920, 1080)),
        (gif_bytes(32, 17), (32, 17)),
        (webp_bytes(800, 600), (800, 600)),
        (bmp_bytes(300, 200), (300, 200)),
    ],
)
def test_pixel_dimensions_come_from_the_header(data: bytes, size: tuple[int, int]) -> None:
    assert dimensions(data) == size


def test_a_truncated_header_has_no_dimensions() -> None:
    assert dimensions(png_bytes(10, 10)[:20]) is None
    assert dimensions(b"not an image at all") is None


def test_a_dragged_file_path_is_recognised_quoted_escaped_or_as_a_file_url(tmp_path: Path) -> None:
    image = write(tmp_path / "my photo.png", png_bytes(20, 20))
    for pasted in (f"'{image}'", f'"{image}"', str(image).replace(" ", "\\ "), f"file://{str(image).replace(' ', '%20')}", f"  '{image}'\n"):
        assert pasted_path(pasted) == image, pasted
    assert pasted_path(f"look at {image}") is None  # a sentence is text, not a path
    assert pasted_path(str(tmp_path / "missing.png")) is None
    notes = write(tmp_path / "notes.txt", b"hello")
    assert pasted_path(str(notes)) is None
    other = write(tmp_path / "b.png", png_bytes(20, 20))
    assert pasted_paths(f"'{image}' {other}") == [image, other]  # several files dropped at once
    assert pasted_paths(f"'{image}' {notes}") == []
    assert pasted_path(f"'{image}' {other}") is None


async def test_a_file_becomes_an_attachment_with_name_size_and_dimensions(tmp_path: Path) -> None:
    image = await attach(write(tmp_path / "cat.png", png_bytes(64, 48)))
    assert (image.name, image.mime, image.width, image.height) == ("cat.png", "image/png", 64, 48)
    assert image.chip.startswith("cat.png · ") and image.chip.endswith(" · 64×48")
    url = await attach("https://example.com/pics/dog.jpg?size=large")
    assert (url.name, url.url, url.data) == ("dog.jpg", "https://example.com/pics/dog.jpg?size=large", None)


async def test_images_over_the_documented_limits_get_one_clear_line(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:  # sparse: the size check must not read it
        handle.write(png_bytes(20, 20))
        handle.truncate(MAX_FILE_BYTES + 1)
    cases = {
        big: "up to 7.5 MB (10.0 MB once encoded)",
        write(tmp_path / "anim.gif", gif_bytes(50, 50)): "is a GIF",
        write(tmp_path / "doc.png", b"%PDF-1.7 not really a png"): "not an image",
        write(tmp_path / "dot.png", png_bytes(9, 40)): "at least 10 pixels",
        write(tmp_path / "wide.webp", webp_bytes(4000, 2200)): "above 4K (3840×2160) the service reads only JPEG and PNG",
        write(tmp_path / "wide.bmp", bmp_bytes(4000, 2200)): "only JPEG and PNG",
        write(tmp_path / "strip.png", png_bytes(4100, 20)): "200 times",
        tmp_path / "gone.png": "no such file",
    }
    for path, words in cases.items():
        with pytest.raises(ImageError) as caught:
            await attach(path)
        assert words in str(caught.value) and "\n" not in str(caught.value), str(caught.value)


async def test_images_on_the_edge_of_the_documented_limits_are_attached(tmp_path: Path) -> None:
    # 10 pixels (the two Model Studio pages disagree on it: left to the service), exactly 200:1, and a
    # JPEG or PNG above 4K, which the service reads up to 8K.
    for path in (
        write(tmp_path / "ten.png", png_bytes(10, 10)),
        write(tmp_path / "ratio.png", png_bytes(2000, 10)),
        write(tmp_path / "big.png", png_bytes(4000, 2200)),
        write(tmp_path / "big.jpg", jpeg_bytes(4000, 2200)),
        write(tmp_path / "small.webp", webp_bytes(3840, 2160)),
    ):
        attachment = await attach(path)
        assert attachment.width is not None and attachment.chip.startswith(path.name)


async def test_an_image_goes_out_as_a_data_url_and_the_model_says_what_it_received(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine, conversation_id, data, finished = await sent_with_image(sim, make_engine, tmp_path, "What is in this picture?")
    assert f"I received 1 image ({len(data)} bytes)" in finished.message.content
    content = sim.requests[-1]["input"][-1]["content"]
    assert content[0] == {"type": "input_image", "image_url": "data:image/png;base64," + base64.b64encode(data).decode()}
    assert content[1] == {"type": "input_text", "text": "What is in this picture?"}
    user = (await engine.transcript(conversation_id))[0]
    assert [(ref.name, ref.size, ref.width, ref.height) for ref in user.images] == [("a.png", len(data), 30, 20)]


async def test_the_same_image_is_stored_once_and_replayed_after_the_chain_is_gone(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, model=VISION)
    image = await attach(write(tmp_path / "a.png", png_bytes(30, 20)))
    conversation = await engine.new_conversation()
    await collect(await engine.send(conversation.id, "first", images=[image]))
    await collect(await engine.send(conversation.id, "again", images=[image]))
    rows = await engine.store._rows("SELECT count(*) FROM images")
    assert rows[0][0] == 1
    sim.inject("forget")
    await collect(await engine.send(conversation.id, "and now?"))
    replayed = sim.requests[-1]["input"]
    images = [part for item in replayed if isinstance(item["content"], list) for part in item["content"] if part["type"] == "input_image"]
    assert len(images) == 2  # both earlier pictures travel again in the replayed transcript


async def test_a_model_without_vision_refuses_images_before_anything_is_stored(
    sim: SimServer, engine: ChatEngine, tmp_path: Path
) -> None:
    image = await attach(write(tmp_path / "a.png", png_bytes(30, 20)))
    conversation = await engine.new_conversation()
    with pytest.raises(EngineError, match="cannot see images"):
        await engine.send(conversation.id, "look", images=[image])
    assert await engine.transcript(conversation.id) == []
    assert sim.requests == []


async def test_a_chat_completions_model_gets_chat_style_image_parts(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    _, _, data, finished = await sent_with_image(sim, make_engine, tmp_path, "Describe it", model="qwen3-vl-plus")
    assert f"I received 1 image ({len(data)} bytes)" in finished.message.content
    parts = sim.requests[-1]["messages"][-1]["content"]
    assert parts[0]["type"] == "image_url" and parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1] == {"type": "text", "text": "Describe it"}


async def test_json_export_carries_images_and_an_import_replays_them(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine, conversation_id, data, _ = await sent_with_image(sim, make_engine, tmp_path, "Keep this")
    document = await engine.export_json(conversation_id)
    exported = document["messages"][0]["images"][0]
    assert exported["data_url"] == "data:image/png;base64," + base64.b64encode(data).decode()
    assert document["input"][0]["content"][0]["type"] == "input_image"
    await engine.delete(conversation_id)
    assert (await engine.store._rows("SELECT count(*) FROM images"))[0][0] == 0
    copy = await engine.import_json(document)
    sim.inject("forget")  # the server's copy is gone too: only the imported file has the picture
    await collect(await engine.send(copy.id, "Still there?"))
    replayed = sim.requests[-1]["input"]
    assert replayed[0]["content"][0]["image_url"] == exported["data_url"]


async def test_attaching_a_5_mb_image_reads_and_encodes_off_the_event_loop(tmp_path: Path) -> None:
    """The loop keeps ticking while a big file is read and hashed (measured in bench/image_attach.py)."""
    path = write(tmp_path / "big.png", png_bytes(20, 20, padding=5_000_000))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    image = await attach(path)
    task.cancel()
    assert image.size and image.size > 5_000_000
    assert ticks > 1  # a blocking read would have let the ticker run at most once


def test_the_data_url_cache_keeps_the_newest_within_its_budget() -> None:
    cache = DataUrlCache(budget=10)
    cache.put("a", "aaaa")
    cache.put("b", "bbbb")
    assert cache.get("a") == "aaaa"  # now the newest
    cache.put("c", "cccc")  # over budget: the least recently used ("b") goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("aaaa", None, "cccc")
    cache.put("huge", "x" * 11)
    assert cache.get("huge") is None


async def test_a_replayed_image_is_not_read_from_the_database_again(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine, conversation_id, _, _ = await sent_with_image(sim, make_engine, tmp_path, "first")
    reads = 0
    original = engine.store.image_data

    async def counting(sha256: str) -> bytes | None:
        nonlocal reads
        reads += 1
        return await original(sha256)

    engine.store.image_data = counting  # type: ignore[method-assign]
    await collect(await engine.send(conversation_id, "second"))
    await collect(await engine.send(conversation_id, "third"))
    assert reads == 0  # encoded once, for the first turn


async def test_an_import_with_a_broken_image_is_refused_whole(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine, conversation_id, _, _ = await sent_with_image(sim, make_engine, tmp_path, "Keep this")
    document = await engine.export_json(conversation_id)
    image = document["messages"][0]["images"][0]
    before = len(await engine.list_conversations())
    for broken in ("data:image/png;base64,@@@", "data:text/html\u00e9;base64,AAAA", "javascript:alert(1)"):
        image["data_url"] = broken
        with pytest.raises(StoreError, match="cannot import: image 'a.png'"):
            await engine.import_json(document)
    assert len(await engine.list_conversations()) == before
