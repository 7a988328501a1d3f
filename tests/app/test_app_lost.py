"""Nothing typed is lost and nothing pasted acts (issue 13, app side): pastes, drafts, the queue,
failed sends, the "too small" notice and a second process on the same database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from pydantic import SecretStr
from textual import events
from textual._xterm_parser import XTermParser

from tui.app.terminal_driver import PasteSafeParser
from tui.app.widgets.composer import Composer
from tui.app.widgets.queued_line import QueuedLine
from tui.chat import open_engine

HOSTILE = "one\x1b[2Jtwo\r\nthree\rfour\x00five\x02six\x1b]0;title\x07seven\x7f"


def test_an_esc_inside_a_bracketed_paste_no_longer_ends_the_paste() -> None:
    """Textual's own parser types the bytes after a pasted ESC as keys; ours delivers one whole Paste."""
    raw = "\x1b[200~one\x1b[2Jtwo\nthree\x1b[201~"
    upstream = [e for e in XTermParser().feed(raw)]
    assert any(isinstance(e, events.Key) for e in upstream), "Textual 8.2.8 types pasted bytes as keys"
    parser = PasteSafeParser()
    # Split everywhere, so the markers and the ESC arrive across reads as a slow pty may deliver them.
    got = [e for i in range(0, len(raw), 3) for e in parser.feed(raw[i : i + 3])]
    assert [type(e) for e in got] == [events.Paste]
    assert got[0].text == "one\u241b[2Jtwo\nthree"  # type: ignore[attr-defined]
    after = list(parser.feed("x"))
    assert [getattr(e, "key", None) for e in after] == ["x"], "keys after the paste are keys again"


async def test_a_paste_with_controls_lands_whole_and_inert_and_sends_nothing(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        app.post_message(events.Paste(HOSTILE))
        await pilot.pause()
        assert composer.text == "one␛[2Jtwo\nthree\nfourfive␂six␛]0;title␇seven␡"
        assert app.chat.pane.messages == [] and not app.chat.streaming, "nothing sent by the paste"
        assert not app.chat.has_class("-sidebar-closed"), "the pasted ctrl+b toggled nothing"
        await pilot.press("enter")
        await until(lambda: len(app.chat.pane.messages) == 2 and not app.chat.streaming, pilot)
        assert "\x1b" not in app.chat.pane.messages[0].content


async def test_editing_an_earlier_question_keeps_the_draft(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "My name is Ada"))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        composer = app.query_one(Composer)
        await pilot.press(*"a long draft")
        await pilot.press("ctrl+o")
        assert composer.text == "My name is Ada"
        await pilot.press("escape")
        assert composer.text == "a long draft", "cancelling the edit brings the draft back"
        await pilot.press("ctrl+o")
        composer.clear()
        await pilot.press(*"My name is Bo", "enter")
        await until(lambda: not app.chat.streaming and app.chat.pane.messages[-1].status == "complete", pilot)
        assert app.chat.pane.messages[0].content == "My name is Bo"
        assert composer.text == "a long draft", "sending the edit brings the draft back"


async def test_enter_while_streaming_queues_the_message_and_escape_takes_it_back(sim, tmp_path: Path) -> None:
    sim.inject("stall", after_deltas=1, seconds=3.0)  # the first answer streams, then waits 3 s
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        queued = app.query_one(QueuedLine)
        composer = app.query_one(Composer)
        await pilot.press(*"first", "enter")
        await until(lambda: app.chat.turn is not None, pilot)
        await pilot.press(*"second", "enter")
        await pilot.pause()
        assert composer.text == "" and queued.display and "second" in str(queued.render())
        await pilot.press(*"third")
        await pilot.press("escape")  # takes the queue back, the answer goes on
        assert composer.text == "second\nthird", "never glued to what was typed since"
        await pilot.pause()
        assert app.chat.streaming and not queued.display
        composer.clear()
        await pilot.press(*"second", "enter")
        await until(lambda: len(app.chat.pane.messages) == 4 and not app.chat.streaming, pilot, timeout=30)
        assert [m.content for m in app.chat.pane.messages if m.role == "user"] == ["first", "second"]
        assert not queued.display


async def test_drafts_survive_quitting_per_conversation(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "hello"))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"new chat draft")
        await pilot.pause(1.5)  # the draft timer (1 s) has loaded the new chat's (empty) draft
        await app.chat.open_conversation(conversation_id)
        assert app.query_one(Composer).text == ""
        app.query_one(Composer).focus()
        await pilot.press(*"draft of hello")
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        await until(lambda: composer.text == "new chat draft", pilot)
        await app.chat.open_conversation(conversation_id)
        assert composer.text == "draft of hello"
        await app.chat.action_new_conversation()
        assert composer.text == "new chat draft"


async def test_a_rejected_send_gives_the_text_back_and_leaves_no_conversation(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(api_key="sk-the-right-one")
    settings = make_settings(tmp_path, sim)  # sends sk-test: 401
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        await pilot.press(*"hello there", "enter")
        await until(lambda: composer.text == "hello there" and not app.chat.streaming, pilot)
        assert app.chat.conversation_id is None and app.chat.pane.messages == []
        assert app.chat.conversations.conversations == {}
    async with open_engine(settings) as engine:
        assert await engine.list_conversations() == []


async def test_a_rejected_send_in_an_existing_chat_gives_the_text_back_and_keeps_the_chat(
    sim_factory, tmp_path: Path
) -> None:
    sim = sim_factory(api_key="sk-test")
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "hello"))
    app = make_app(settings.model_copy(update={"api_key": SecretStr("sk-revoked")}))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        composer = app.query_one(Composer)
        composer.focus()
        await pilot.press(*"and now?", "enter")
        await until(lambda: composer.text == "and now?" and not app.chat.streaming, pilot)
        assert [m.content for m in app.chat.pane.messages][:1] == ["hello"] and len(app.chat.pane.messages) == 2
    async with open_engine(settings) as engine:
        assert [m.content for m in await engine.transcript(conversation_id)][:1] == ["hello"]
        assert len(await engine.transcript(conversation_id)) == 2


async def test_a_rejected_edit_or_regenerate_leaves_no_branch_and_gives_the_edit_back(
    sim_factory, tmp_path: Path
) -> None:
    sim = sim_factory(api_key="sk-test")
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "My name is Ada"))
    app = make_app(settings.model_copy(update={"api_key": SecretStr("sk-revoked")}))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        composer = app.query_one(Composer)
        composer.focus()
        await pilot.press(*"a draft", "ctrl+o")
        composer.clear()
        await pilot.press(*"My name is Bo", "enter")
        await until(lambda: composer.text == "My name is Bo" and not app.chat.streaming, pilot)
        assert composer.editing_message_id is not None, "the failed edit is an edit of the same question again"
        assert [m.content for m in app.chat.pane.messages][:1] == ["My name is Ada"]
        await pilot.press("escape")
        assert composer.text == "a draft", "cancelling it brings the draft back"
        asked = len(sim.requests)
        await pilot.press("ctrl+r")
        await until(lambda: len(sim.requests) > asked and not app.chat.streaming, pilot)
        await pilot.pause()
        assert [m.status for m in app.chat.pane.messages] == ["complete", "complete"]
    async with open_engine(settings) as engine:
        messages = await engine.transcript(conversation_id)
        assert [(m.role, m.status) for m in messages] == [("user", "complete"), ("assistant", "complete")]
        assert await engine.siblings(messages[0].id) == [messages[0]], "no forked question was left behind"
        assert len(await engine.siblings(messages[1].id)) == 1, "no failed answer was left beside the first"


async def test_keys_typed_into_an_app_started_too_small_go_nowhere(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(40, 10)) as pilot:
        await app.wait_for_engine()
        await pilot.pause(0.3)
        composer = app.query_one(Composer)
        await pilot.press(*"typed while tiny", "enter")
        await pilot.pause(0.5)
        assert app.chat.pane.messages == [] and composer.text == ""
        await pilot.resize_terminal(100, 30)
        await until(lambda: composer.has_focus, pilot)


async def test_keys_go_nowhere_while_too_small_and_focus_comes_back(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        composer = app.query_one(Composer)
        await pilot.press(*"abc")
        await pilot.resize_terminal(50, 12)
        await pilot.pause()
        await pilot.press(*"typed while tiny", "enter", "ctrl+n", "ctrl+b")
        await pilot.pause(0.2)
        assert composer.text == "abc" and app.chat.pane.messages == []
        assert not app.chat.has_class("-sidebar-closed")
        await pilot.resize_terminal(100, 30)
        await until(lambda: composer.has_focus, pilot)
        await pilot.press(*"def", "enter")
        await until(lambda: len(app.chat.pane.messages) == 2 and not app.chat.streaming, pilot)
        assert app.chat.pane.messages[0].content == "abcdef"


async def test_turns_another_process_adds_show_up_and_the_list_follows(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "from A"))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        await pilot.pause(1.2)  # the first check reads the version
        async with open_engine(settings) as other:
            turn = await other.send(conversation_id, "from B")
            await turn.wait()
            other_id = await chat(other, "a chat of B", title="B's chat")
        await until(lambda: [m.content for m in app.chat.pane.messages][2:3] == ["from B"], pilot, timeout=5)
        await until(lambda: other_id in app.chat.conversations.conversations, pilot, timeout=5)
        async with open_engine(settings) as other:
            await other.delete(conversation_id)
        await until(lambda: app.chat.conversation_id is None, pilot, timeout=5)
        await pilot.press(*"after the delete", "enter")
        await until(lambda: len(app.chat.pane.messages) == 2 and not app.chat.streaming, pilot)
        assert app.chat.conversation_id not in (None, conversation_id)


WRITER = """
import asyncio, sys
from tui.chat import open_engine
from tui.config import Settings

async def main() -> None:
    settings = Settings(db_path=sys.argv[1], config_path=sys.argv[2], api_key="sk-test", base_url=sys.argv[3])
    async with open_engine(settings) as engine:
        turn = await engine.send(int(sys.argv[4]), "a slow question")
        async for update in turn:
            if type(update).__name__ == "TextDelta":
                print("streaming", flush=True)
                break
        await asyncio.sleep(60)

asyncio.run(main())
"""


async def test_deleting_a_chat_another_process_streams_into_is_refused_in_one_line(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "hello"))
    sim.inject("stall", after_deltas=1, seconds=30.0)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(settings.db_path), str(settings.config_path), sim.base_url,
         str(conversation_id)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "streaming"
        app = make_app(settings)
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await app.wait_for_engine()
            await app.chat.open_conversation(conversation_id)
            app.chat.action_delete_conversation()
            await pilot.pause()
            await pilot.press("y")
            await until(lambda: any("Could not delete" in n.message for n in app._notifications), pilot)
            shown = next(n.message for n in app._notifications if "Could not delete" in n.message)
            assert "\n" not in shown and f"process {writer.pid}" in shown
            assert conversation_id in app.chat.conversations.conversations
    finally:
        writer.kill()
        writer.wait()


async def test_a_send_on_a_stale_view_shows_the_other_process_turn_first(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    conversation_id = await fill(settings, lambda engine: chat(engine, "from A"))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await app.chat.open_conversation(conversation_id)
        await pilot.pause(1.2)  # the first check reads the version
        for timer in app.chat._timers:  # no check on the timer: only the one before sending can catch up
            timer.pause()
        async with open_engine(settings) as other:
            await (await other.send(conversation_id, "from B")).wait()
        assert [m.content for m in app.chat.pane.messages][::2] == ["from A"], "the view is stale"
        app.query_one(Composer).focus()
        await pilot.press(*"from the app", "enter")
        await until(lambda: len(app.chat.pane.messages) == 6 and not app.chat.streaming, pilot)
        assert [m.content for m in app.chat.pane.messages][::2] == ["from A", "from B", "from the app"]
