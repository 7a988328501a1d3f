"""Pilot tests of issue 14 in the app, against the real simulator and a real SQLite store: the model
picker, images (key, `/image`, pasted paths), the context meter, summarise into a new branch, the
estimated cost, the Chat Completions label and the numbered sources under an answer."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from textual import events
from textual.widgets import Input

from tui.app.screens.model_picker import ModelPicker
from tui.app.screens.settings import SettingsScreen
from tui.app.widgets.composer import Composer
from tui.app.widgets.image_chips import ImageChips
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.source_list import SourceList
from tui.app.widgets.status_line import WARN_STYLE, StatusLine
from tui.chat import open_engine

VISION_MODEL = "qwen3.5-plus"  # sees images, served by the Responses API
CHAT_ONLY_MODEL = "qwen3-vl-plus"  # sees images, served by Chat Completions only


def png_file(path: Path, width: int = 64, height: int = 48) -> Path:
    """A valid PNG of black pixels (standard library only)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def views(app) -> list[MessageView]:
    return app.query_one(MessagePane).views


def status_text(app) -> str:
    return app.query_one(StatusLine).content.plain


async def stored(settings, conversation_id: int):
    async with open_engine(settings) as engine:
        return await engine.conversation(conversation_id), await engine.transcript(conversation_id)


# --- the model picker ----------------------------------------------------------------------------


async def test_f3_lists_the_table_merged_with_the_service_and_moves_the_open_chat(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, "Hello"))
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation)
        await pilot.press("f6")
        picker = app.screen
        assert isinstance(picker, ModelPicker)
        # The service's list arrives in a worker: its models the table lacks are listed, marked unknown.
        await until(lambda: "qwen3.9-preview" in picker.visible_names(), pilot)
        assert picker.visible_names()[0] == "qwen3.8-max"  # the table's order, then the service's extras
        unknown = picker.options.get_option("qwen3.9-preview").prompt
        assert "unknown model" in str(unknown)
        current = str(picker.options.get_option("qwen3-max-2026-01-23").prompt)
        assert "256K window" in current and "64K out" in current and "$" in current and "(current)" in current
        await pilot.press(*"vision")
        names = picker.visible_names()
        assert VISION_MODEL in names and "qwen3-max" not in names
        await pilot.press("ctrl+u", *"qwen3.5-plus-2026")  # filter down to one, then Enter chooses it
        assert picker.visible_names() == ["qwen3.5-plus-2026-02-15"]
        await pilot.press("enter")
        await until(lambda: app.chat.status.model == "qwen3.5-plus-2026-02-15", pilot)
        assert not isinstance(app.screen, ModelPicker)
    moved, _ = await stored(settings, conversation)
    assert moved.model == "qwen3.5-plus-2026-02-15", "the open conversation moved, as --model does"


async def test_the_picker_says_so_when_the_service_list_is_unavailable(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        assert app.engine is not None

        async def refused() -> list[str]:
            raise RuntimeError("no route to the service")

        picker = ModelPicker(app.engine.settings.catalog, "USD", "qwen-plus", refused)
        await app.push_screen(picker)
        note = picker.query_one("#service-note")
        await until(lambda: "unavailable" in str(note.render()), pilot)
        assert "no route to the service" in str(note.render())
        assert "qwen-plus" in picker.visible_names(), "the table is still there to choose from"
        await pilot.press("escape")
        assert not isinstance(app.screen, ModelPicker)


async def test_the_settings_model_button_fills_the_model_field(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.wait_for_engine()
        await pilot.press("f2")
        await pilot.click("#pick-model")
        assert isinstance(app.screen, ModelPicker)
        await pilot.press(*"qwen-flash", "enter")
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.query_one("#model", Input).value == "qwen-flash"


# --- images --------------------------------------------------------------------------------------


async def test_an_image_line_with_a_model_that_cannot_see_is_refused_before_sending(sim, tmp_path: Path) -> None:
    picture = png_file(tmp_path / "cat.png")
    app = make_app(make_settings(tmp_path, sim))  # qwen3-max-2026-01-23: text only
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        composer.load_text(f"/image {picture}\nWhat is in it?")
        await pilot.press("enter")
        await until(lambda: bool(composer.text), pilot)
        assert composer.text == f"/image {picture}\nWhat is in it?", "given back whole"
        assert any("cannot see images" in n.message for n in app._notifications)
        assert views(app) == [] and composer.images == []
        assert len(sim.state.requests) == 0


async def test_image_line_attaches_then_sends_and_the_transcript_shows_its_chip(sim, tmp_path: Path) -> None:
    picture = png_file(tmp_path / "cat.png", 64, 48)
    settings = make_settings(tmp_path, sim, model=VISION_MODEL)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        composer.load_text(f"/image {picture}\nWhat is in it?")
        await pilot.press("enter")
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        question = views(app)[0]
        chip = question.query_one(ImageChips).content
        size = picture.stat().st_size
        assert f"cat.png · {size} B · 64×48" in str(chip)
        assert question.message.content == "What is in it?"
        assert composer.images == [] and not app.query_one("#attachments", ImageChips).display
        answer = views(app)[1].message.content
        assert "1 image" in answer, answer  # the simulator says what it received
        conversation = app.chat.conversation_id
    _, transcript = await stored(settings, conversation)
    assert transcript[0].images[0].width == 64 and transcript[0].images[0].sha256


async def test_a_pasted_quoted_path_becomes_a_chip_and_backspace_removes_it(sim, tmp_path: Path) -> None:
    picture = png_file(tmp_path / "my photo.png")
    app = make_app(make_settings(tmp_path, sim, model=VISION_MODEL))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        app.post_message(events.Paste(f"'{picture}'"))  # as a file dragged onto the terminal (the driver posts it)
        chips = app.query_one("#attachments", ImageChips)
        await until(lambda: chips.display, pilot)
        assert "my photo.png ·" in str(chips.content) and composer.text == ""
        app.post_message(events.Paste("see 'my photo.png' here"))  # a sentence stays text
        await pilot.pause()
        assert composer.text == "see 'my photo.png' here" and len(composer.images) == 1
        composer.clear()
        await pilot.press("backspace")
        assert composer.images == [] and not chips.display


async def test_the_attach_key_asks_for_a_path_and_an_image_alone_can_be_sent(sim, tmp_path: Path) -> None:
    picture = png_file(tmp_path / "dog.png")
    app = make_app(make_settings(tmp_path, sim, model=CHAT_ONLY_MODEL))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press("alt+i")
        await pilot.press(*str(picture), "enter")
        composer = app.query_one(Composer)
        await until(lambda: len(composer.images) == 1, pilot)
        await pilot.press("enter")  # no text: the image alone is the message
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        assert views(app)[0].message.images[0].name == "dog.png"
        assert "chat completions" in status_text(app), "the model is served by Chat Completions"


async def test_a_missing_file_is_one_line_and_nothing_is_lost(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim, model=VISION_MODEL))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        composer.load_text("/image /nowhere/x.png\nLook")
        await pilot.press("enter")
        await until(lambda: any("no such file" in n.message for n in app._notifications), pilot)
        assert composer.text == "/image /nowhere/x.png\nLook" and views(app) == []


# --- meter, summary, cost, sources ---------------------------------------------------------------


async def test_the_meter_warns_at_80_percent_and_summarise_starts_a_new_branch(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, "Hello", "Tell me more"))
    _, transcript = await stored(settings, conversation)
    used = transcript[-1].usage.input_tokens
    window = int(used / 0.85)  # this chat fills 85% of the (overridden) window
    settings = settings.model_copy(update={"models": {"qwen3-max-2026-01-23": {"context_window": window}}})
    app = make_app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation)
        await pilot.pause()
        status = app.query_one(StatusLine)
        assert status.meter is not None and status.meter.warn
        meter = next(span for span in status.content.spans if span.style == WARN_STYLE)
        assert status.content.plain[meter.start : meter.end] == f"{status.meter.share:.0%} of {window}!"
        assert 0.8 <= status.meter.share < 0.9
        warnings = [n.message for n in app._notifications if "service drops the oldest turns" in n.message]
        assert len(warnings) == 1 and "alt+s summarises" in warnings[0]
        await app.chat.open_conversation(conversation)
        assert len([n for n in app._notifications if "oldest turns" in n.message]) == 1, "once per chat"
        await pilot.press("alt+s")
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        assert views(app)[0].message.parent_id is None and "Summarise our conversation" in views(app)[0].message.content
        assert "branch 2/2" in views(app)[0].branch_label
    async with open_engine(settings) as engine:
        leaves = await engine.branches(conversation)
    assert len(leaves) == 2, "the original branch stays"


async def test_cost_is_an_estimate_in_the_regions_currency(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim, region="beijing")
    conversation = await fill(settings, lambda engine: chat(engine, "Hello", "Again"))
    app = make_app(settings)
    async with app.run_test(size=(200, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation)
        await pilot.pause()
        text = status_text(app)
        assert "turn ≈ ¥" in text and "chat ≈ ¥" in text and "(estimate)" in text, text
        total = app.query_one(StatusLine).conversation_cost
        turn = app.query_one(StatusLine).turn_cost
        assert total is not None and turn is not None and total.amount > turn.amount > 0


async def test_sources_are_numbered_full_links_under_the_answer(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim, tools=["web_search"])
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Search the web for pandas", "enter")
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        sources = views(app)[1].query_one(SourceList)
        assert sources.display and len(sources.urls) == 2
        content = sources.content
        for number, url in enumerate(sources.urls, start=1):
            assert f"[{number}] {url}" in content.plain, "whole, never cut"
            assert any(getattr(span.style, "link", None) == url for span in content.spans)
    plain = SourceList(["https://example.com/a"], hyperlinks=False).content
    assert not any(getattr(span.style, "link", None) for span in plain.spans)


async def test_a_sentence_mentioning_image_is_sent_as_text(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"how do I use /image here", "enter")
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        assert views(app)[0].message.content == "how do I use /image here"


def test_picker_rows_say_what_a_model_can_do() -> None:
    from tui.catalog import shipped_catalog
    from tui.chat.models import merged_models

    rows = {row.info.name: row for row in merged_models(shipped_catalog(), ["qwen-plus", "mystery-model"])}
    from tui.app.screens.model_picker import describe_row, search_text

    assert "not in the service's list" in describe_row(rows["qwen3-max"], "USD")
    assert "not in the service's list" not in describe_row(rows["qwen-plus"], "USD")
    assert "¥" in describe_row(rows["qwen-plus"], "CNY")
    assert describe_row(rows["mystery-model"], "USD").startswith("unknown model")
    assert "vision" in search_text(rows[VISION_MODEL]) and "vision" not in search_text(rows["qwen3-max"])


async def test_the_palette_opens_the_picker_and_the_attach_prompt(sim, tmp_path: Path) -> None:
    from textual.command import CommandList

    from tui.app.screens.image_prompt import ImagePrompt

    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()

        def hits() -> list[str]:
            lists = app.screen.query(CommandList)
            return [str(option.prompt) for option in lists.first().options] if lists else []

        for title, key, screen in (("Choose model", "(f6)", ModelPicker), ("Attach image", "(alt+i / f12)", ImagePrompt)):
            await pilot.press("ctrl+p", *title.lower())
            await until(lambda title=title: any(title in hit for hit in hits()), pilot)
            assert any(key in hit for hit in hits() if title in hit)
            await pilot.press("enter")
            await until(lambda screen=screen: isinstance(app.screen, screen), pilot)
            await pilot.press("escape")
            await until(lambda screen=screen: not isinstance(app.screen, screen), pilot)
        await pilot.press("ctrl+p", *"summarise")
        await until(lambda: any("Summarise into a new branch" in hit for hit in hits()), pilot)
        await pilot.press("enter")
        await until(lambda: any("nothing to summarise" in n.message for n in app._notifications), pilot)
