"""Snapshots of issue 14's screens at 80x24 and 120x40: the model picker, image chips (transcript and
composer), the context meter at 80% and the numbered sources under an answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import make_app, make_settings, populate, until
from test_app_models import VISION_MODEL, png_file

from tui.app.screens.model_picker import ModelPicker
from tui.app.widgets.composer import Composer
from tui.chat.images import attach

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def opened(conversation_id: int | None):
    """A `run_before` that waits for the engine and opens a conversation."""

    async def run_before(pilot) -> None:
        app = pilot.app
        await app.wait_for_engine()
        if conversation_id is not None:
            await app.chat.open_conversation(conversation_id)
        await pilot.pause()

    return run_before


async def _asked(engine, *texts: str, images=()) -> int:
    conversation = await engine.new_conversation()
    for index, text in enumerate(texts):
        turn = await engine.send(conversation.id, text, images=images if index == 0 else ())
        await turn.wait()
    return conversation.id


@pytest.mark.parametrize("size", SIZES)
def test_model_picker(snap_compare, sim, tmp_path: Path, size) -> None:
    """F6: the table's models with window, output, vision, thinking and price; the service's list merged in."""
    settings = make_settings(tmp_path, sim)

    async def run_before(pilot) -> None:
        await opened(None)(pilot)
        await pilot.press("f6")
        picker = pilot.app.screen
        assert isinstance(picker, ModelPicker)
        await until(lambda: "qwen3.9-preview" in picker.visible_names(), pilot)
        await pilot.press(*"plus")

    assert snap_compare(make_app(settings), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_image_chips(snap_compare, sim, tmp_path: Path, size) -> None:
    """A sent image in the transcript, and one waiting in the composer: name, size, pixel dimensions."""
    settings = make_settings(tmp_path, sim, model=VISION_MODEL)
    sent = png_file(tmp_path / "chart.png", 640, 480)
    waiting = png_file(tmp_path / "photo of the cat.png", 120, 90)

    async def script(engine) -> int:
        return await _asked(engine, "What does this chart show?", images=[await attach(sent)])

    conversation = populate(settings, script)

    async def run_before(pilot) -> None:
        await opened(conversation)(pilot)
        composer = pilot.app.query_one(Composer)
        composer.load_text(f'/image "{waiting}"')
        await pilot.press("enter")
        await until(lambda: len(composer.images) == 1, pilot)
        await pilot.press(*"And this one?")

    assert snap_compare(make_app(settings), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_context_meter_at_80_percent(snap_compare, sim, tmp_path: Path, size) -> None:
    """A chat filling 85% of its model's window (overridden small in config): the meter warns, once."""
    settings = make_settings(tmp_path, sim)
    conversation = populate(settings, lambda engine: _asked(engine, "Hello", "Tell me more"))

    async def usage(engine) -> int:
        return (await engine.transcript(conversation))[-1].usage.input_tokens

    window = round(populate(settings, usage) / 0.85)
    settings = settings.model_copy(update={"models": {"qwen3-max-2026-01-23": {"context_window": window}}})

    async def run_before(pilot) -> None:
        await opened(conversation)(pilot)
        pilot.app.clear_notifications()  # the warning's toast (tested apart) would cover the meter
        await pilot.pause()

    assert snap_compare(make_app(settings), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_sources_under_the_answer(snap_compare, sim, tmp_path: Path, size) -> None:
    """Web search: the answer ends with its sources, numbered, full URLs (folded, never cut)."""
    settings = make_settings(tmp_path, sim, tools=["web_search"])
    conversation = populate(settings, lambda engine: _asked(engine, "Search the web for red pandas"))
    assert snap_compare(make_app(settings), terminal_size=size, run_before=opened(conversation))
