"""Pilot tests of the chat flow against the real simulator and a real SQLite store: sending,
cancelling, failing, forking, regenerating, branch switching, copying, long answers."""

from __future__ import annotations

from pathlib import Path

from app_helpers import chat, fill, make_app, make_settings, until
from textual import events
from textual.widgets import Markdown

from tui.app.app import QwenApp
from tui.app.widgets.composer import Composer
from tui.app.widgets.message_pane import MessagePane
from tui.app.widgets.message_view import MessageView
from tui.app.widgets.status_line import SPINNER, StatusLine
from tui.app.widgets.tool_panel import ToolPanel
from tui.chat import open_engine
from tui.sim.answers import long_answer


def views(app) -> list[MessageView]:
    return app.query_one(MessagePane).views


def shown_text(view: MessageView) -> str:
    """The answer text the Markdown widgets hold (what is rendered), across mounted segments."""
    return "".join(md.source for md in view.query(Markdown))


async def stored_transcript(settings, conversation_id: int):
    async with open_engine(settings) as engine:
        return await engine.transcript(conversation_id)


async def send(pilot, text: str) -> None:
    """Type and send `text`, then wait until its answer has finished."""
    app = pilot.app
    await app.wait_for_engine()
    before = len(app.chat.pane.messages)  # the transcript (a long sitting unmounts its oldest views)
    await pilot.press(*text, "enter")
    await until(lambda: len(app.chat.pane.messages) == before + 2 and not app.chat.streaming, pilot)


async def opened(app: QwenApp, conversation_id: int) -> MessagePane:
    """Open a stored conversation once the app's engine is up; its transcript pane."""
    await app.wait_for_engine()
    await app.chat.open_conversation(conversation_id)
    return app.query_one(MessagePane)


async def twenty_four_exchanges(sim, tmp_path: Path) -> tuple[QwenApp, int]:
    """The app, and the id of its stored conversation of 24 short questions ("Question number 0"..) and answers."""
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, *(f"Question number {n}" for n in range(24))))
    return make_app(settings), conversation


async def test_sending_streams_the_answer_and_stores_it(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim, tools=["web_search"])
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Tell me about the giant panda")
        question, answer = views(app)
        assert question.message.role == "user" and question.message.content == "Tell me about the giant panda"
        assert answer.message.status == "complete"
        assert "giant panda" in shown_text(answer).lower()
        assert app.query_one(Composer).text == ""  # cleared once the message was stored
        assert app.query_one(ToolPanel).query(".tool-card"), "the web search call is listed"
        status = app.query_one(StatusLine)
        assert status.turn_tokens and not status.streaming
        assert status.chain_text() == "server context, expires in 7d 0h"
        assert "ctx 7d 0h" in str(status.content)  # the short form that fits 100 columns
        conversation_id = app.chat.conversation_id
    stored = await stored_transcript(settings, conversation_id)
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].status == "complete" and stored[1].content == answer.message.content
    assert sim.requests[-1]["tools"] == [{"type": "web_search"}]


async def test_escape_cancels_and_keeps_the_partial_answer(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(speed=40, long_answer=400)
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Write a long answer", "enter")
        await until(lambda: len(views(app)) == 2 and len(views(app)[1].message.content) > 40, pilot)
        status = app.query_one(StatusLine)
        assert status.streaming and str(status.content)[0] in SPINNER, "spinner and elapsed time while streaming"
        assert "[streaming…]" in str(views(app)[1].query_one(".meta").content)
        await pilot.press("escape")
        await until(lambda: not app.chat.streaming, pilot)
        answer = views(app)[1]
        assert answer.message.status == "cancelled"
        assert "[cancelled]" in str(answer.query_one(".meta").content)
        assert "partial answer is kept" in str(answer.query_one(".hint").content)
        partial = answer.message.content
        assert 40 < len(partial) < len("".join(long_answer(400)))
        assert shown_text(answer).endswith(partial[-20:])
        conversation_id = app.chat.conversation_id
    stored = await stored_transcript(settings, conversation_id)
    assert stored[1].status == "cancelled" and stored[1].content == partial


async def test_a_dropped_stream_is_marked_incomplete_with_a_retry_hint(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        sim.inject("drop", after_deltas=5)
        await send(pilot, "Explain Markdown streaming")
        answer = views(app)[1]
        assert answer.message.status == "incomplete"
        hint = str(answer.query_one(".hint").content)
        assert hint.startswith("Incomplete:") and "ctrl+r to retry" in hint
        assert answer.message.content, "the text before the drop is kept"
        # ctrl+r retries: a new complete answer replaces it on a new branch.
        await pilot.press("ctrl+r")
        await until(lambda: not app.chat.streaming and views(app)[-1].message.status == "complete", pilot)
        assert len(views(app)) == 2
        assert "branch 2/2" in str(views(app)[1].query_one(".meta").content)


async def test_editing_an_earlier_question_forks_a_branch_and_alt_arrows_switch(sim, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "My name is Ada")
        await send(pilot, "What is my name")
        assert len(views(app)) == 4
        await pilot.press("alt+up", "alt+up", "alt+up", "alt+up")  # the first question
        pane = app.query_one(MessagePane)
        assert pane.selected is views(app)[0]
        await pilot.press("ctrl+o")
        composer = app.query_one(Composer)
        assert composer.text == "My name is Ada" and composer.editing_message_id == views(app)[0].message.id
        composer.clear()
        await pilot.press(*"My name is Grace", "enter")
        await until(lambda: not app.chat.streaming and len(views(app)) == 2, pilot)
        first, answer = views(app)
        assert first.message.content == "My name is Grace" and "Grace" in answer.message.content
        assert "branch 2/2" in str(first.query_one(".meta").content)
        conversation_id = app.chat.conversation_id
        # alt+left goes back to the original branch, with both of its turns.
        await pilot.press("alt+left")
        await until(lambda: len(views(app)) == 4, pilot)
        assert views(app)[0].message.content == "My name is Ada"
        assert "branch 1/2" in str(views(app)[0].query_one(".meta").content)
    async with open_engine(settings) as engine:
        leaves = await engine.branches(conversation_id)
        assert len(leaves) == 2
        assert [m.content for m in await engine.transcript(conversation_id)][0] == "My name is Ada"


async def test_pasted_multiline_text_stays_intact_and_ctrl_j_adds_a_newline(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        composer = app.query_one(Composer)
        app.post_message(events.Paste("first line\nsecond line\n\nfourth"))  # as the driver delivers it
        await pilot.pause()
        await pilot.press("ctrl+j", *"more")
        assert composer.text == "first line\nsecond line\n\nfourth\nmore"
        assert views(app) == [], "nothing was sent by the paste or ctrl+j"
        await pilot.press("enter")
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        assert views(app)[0].message.content == "first line\nsecond line\n\nfourth\nmore"


async def test_copy_answer_and_code_block_use_the_clipboard(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "Write some python code")
        answer = views(app)[1].message.content
        await pilot.press("alt+c")
        assert app.clipboard == answer
        await pilot.press("alt+k")
        assert app.clipboard.startswith("def ") and "```" not in app.clipboard
        assert app.clipboard in answer


async def test_a_long_answer_mounts_only_its_newest_parts_until_asked(sim_factory, tmp_path: Path) -> None:
    sim = sim_factory(long_answer=800)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "long please")
        answer = views(app)[1]
        assert answer.hidden_segments > 0
        assert len(answer.query(Markdown)) == 2
        assert "earlier part" in str(answer.query_one(".earlier-parts").content)
        app.query_one(MessagePane).focus()
        await pilot.press("home")
        await pilot.pause()
        assert answer.hidden_segments == 0
        assert shown_text(answer) == answer.message.content
        assert not answer.query_one(".earlier-parts").display


async def test_opening_a_long_conversation_mounts_a_window_and_home_loads_more(sim, tmp_path: Path) -> None:
    app, conversation = await twenty_four_exchanges(sim, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await opened(app, conversation)
        mounted = len(pane.views)
        assert len(pane.messages) == 48 and 2 <= mounted < 40
        assert [view.message for view in pane.views] == pane.messages[-mounted:]  # the newest, in order
        assert pane.views[-1].message.role == "assistant"
        assert f"{48 - mounted} earlier messages" in str(pane.query_one(".load-earlier").content)
        pane.focus()
        for _ in range(48):  # each Home mounts the window before the first mounted message
            if len(pane.views) == 48:
                break
            before = len(pane.views)
            await pilot.press("home")
            await pilot.pause()
            assert len(pane.views) > before
        assert [view.message for view in pane.views] == pane.messages
        assert pane.views[0].message.content == "Question number 0"
        assert not pane.query_one(".load-earlier").display


async def test_scrolling_to_the_top_mounts_earlier_messages_above_what_is_on_screen(sim, tmp_path: Path) -> None:
    app, conversation = await twenty_four_exchanges(sim, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await opened(app, conversation)
        await pilot.pause()
        first, mounted = pane.views[0], len(pane.views)
        pane.scroll_home(animate=False, immediate=True)  # as a wheel or PageUp would, to the very top
        await until(lambda: len(pane.views) > mounted, pilot)
        await pilot.pause()
        await pilot.pause()
        assert pane.views[0] is not first, "earlier messages were mounted above"
        assert first.virtual_region.y - pane.scroll_y in (0, 1), "what was at the top is still at the top"


async def test_a_long_sitting_keeps_only_a_window_of_answers_mounted(sim_factory, tmp_path: Path) -> None:
    """Answers asked one after another in the app are unmounted once they fall out of the window
    (the same one as opening a conversation uses); Home brings them back."""
    sim = sim_factory(long_answer=300)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        for n in range(4):
            await send(pilot, f"Long answer {n} please")
        pane = app.query_one(MessagePane)
        assert len(pane.messages) == 8 and pane.first_mounted > 0
        assert [view.message for view in pane.views] == pane.messages[pane.first_mounted :]
        assert pane.views[-1].message.status == "complete"
        assert "earlier messages" in str(pane.query_one(".load-earlier").content)
        pane.focus()
        for _ in range(16):
            if len(pane.views) == 8 and not any(view.hidden_segments for view in pane.views):
                break
            await pilot.press("home")
            await pilot.pause()
        assert [view.message for view in pane.views] == pane.messages
        assert pane.views[0].message.content == "Long answer 0 please"


async def test_a_conversation_of_long_answers_opens_on_its_last_exchange(sim_factory, tmp_path: Path) -> None:
    """Every mounted Markdown block is a widget each later frame lays out, so long answers are not
    mounted 40 deep: the window holds about a few screens of text, never less than the last exchange."""
    sim = sim_factory(long_answer=800)
    settings = make_settings(tmp_path, sim)
    conversation = await fill(settings, lambda engine: chat(engine, *(f"Long answer {n} please" for n in range(5))))
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = await opened(app, conversation)
        assert [view.message.content for view in pane.views][:1] == ["Long answer 4 please"]
        assert len(pane.views) == 2 and len(pane.query(Markdown)) == 2  # the newest two segments only
        pane.focus()
        await pilot.press("home")  # first the earlier parts of that answer
        await pilot.pause()
        assert len(pane.views) == 2 and shown_text(pane.views[1]) == pane.views[1].message.content
        await pilot.press("home")  # then the exchange before it
        await pilot.pause()
        assert [view.message.content for view in pane.views][:1] == ["Long answer 3 please"]


async def test_editing_a_later_question_keeps_the_turns_before_it(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "My name is Ada")
        await send(pilot, "What is my name")
        await pilot.press("ctrl+o")  # nothing selected: the last question
        assert app.query_one(Composer).text == "What is my name"
        app.query_one(Composer).clear()
        await pilot.press(*"Do you remember my name", "enter")
        await until(lambda: not app.chat.streaming and len(views(app)) == 4, pilot)
        contents = [view.message.content for view in views(app)]
        assert contents[0] == "My name is Ada" and contents[2] == "Do you remember my name"
        assert "Ada" in contents[3], "the fork still sees the earlier turn"
        assert "branch 2/2" in str(views(app)[2].query_one(".meta").content)


async def test_nothing_ticks_once_the_answer_has_finished(sim, tmp_path: Path) -> None:
    """Idle means idle: no spinner, no flush timer, no cursor blink left running (SSH links, laptops)."""
    app = make_app(make_settings(tmp_path, sim, tools=["web_search"], thinking=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, "hello there")
        await pilot.pause(0.3)
        nodes = [app, *app.screen_stack, *app.query("*")]
        # Timer keeps its running state privately; a paused timer costs nothing.
        running = [
            (type(node).__name__, timer.name) for node in nodes for timer in node._timers if timer._active.is_set()
        ]
        # One timer stays: once a second it stores the draft and checks the database for other processes.
        assert running == [("ChatScreen", "drafts and other processes")]
        assert not app.query_one(StatusLine).streaming


async def test_a_forgotten_server_chain_is_replayed_and_said_so(sim, tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(120, 30)) as pilot:
        await send(pilot, "My name is Ada")
        assert app.query_one(StatusLine).chain_text().startswith("server context")
        sim.inject("forget")
        await send(pilot, "What is my name")
        status = app.query_one(StatusLine)
        assert "replayed locally" in status.note
        assert "Ada" in views(app)[-1].message.content, "the replayed transcript still carries the name"
        assert "previous_response_id" not in sim.requests[-1] and sim.requests[-1]["input"]


async def test_keys_arriving_in_one_burst_are_all_sent(sim, tmp_path: Path) -> None:
    """A fast typist or a slow SSH link delivers the text and Enter in one read: nothing is cut off,
    and what is typed while the message is being stored stays in the composer."""
    settings = make_settings(tmp_path, sim)
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        text = "Do you remember my name?"
        for key in [*text, "enter", *"next"]:  # posted at once, as the driver does for one read
            character = {"enter": "\r"}.get(key, key)
            app.post_message(events.Key(key, character))
        await until(lambda: len(views(app)) == 2 and not app.chat.streaming, pilot)
        assert views(app)[0].message.content == text
        assert app.query_one(Composer).text == "next"
        conversation_id = app.chat.conversation_id
    stored = await stored_transcript(settings, conversation_id)
    assert stored[0].content == text


async def test_full_collections_run_while_a_long_answer_streams(sim_factory, tmp_path: Path, monkeypatch) -> None:
    """Garbage from repaints is collected during a long stream (a 60 s answer grew the app by ~60 MB
    without it), the answer still finishes, and the collection timer does not outlive the answer."""
    import gc

    import tui.app.turn_feed

    collections: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(tui.app.turn_feed, "STREAMING_COLLECTION_SECONDS", 0.1)
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or real_collect(*args))
    # A 4 s answer: a full collection of the test process's heap can itself take a few tenths of a second,
    # more on a loaded machine (a 2 s answer saw only 2 collections there).
    sim = sim_factory(speed=100, long_answer=400)
    app = make_app(make_settings(tmp_path, sim))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.wait_for_engine()
        await pilot.press(*"Write a long answer", "enter")
        await until(lambda: len(views(app)) == 2 and views(app)[1].message.status == "complete", pilot)
        during = len(collections)
        assert during >= 3, "collected while the answer streamed"
        await pilot.pause(0.3)  # the one collection when the turn ends (turn_feed.collect_if_due)
        after = len(collections)
        assert after <= during + 1
        await pilot.pause(0.3)
        assert len(collections) == after, "no collections once the answer is complete"
        answer = views(app)[1]
        assert "[streaming" not in str(answer.query_one(".meta").content)
        assert shown_text(answer).endswith(answer.message.content[-20:])


async def test_a_view_moved_right_after_a_conversation_opens_stays_where_it_was_moved(sim, tmp_path: Path) -> None:
    """alt+r (the reasoning box opens and scrolls into view), then ctrl+t (the tool panel narrows the
    transcript), before the opened transcript has settled at its end: the box stays on screen.
    (The settling used to anchor the transcript at its end again, and the narrowing scrolled there.)"""
    from textual.widgets import Collapsible

    settings = make_settings(tmp_path, sim, tools=["web_search", "code_interpreter"], thinking=True)

    async def script(engine) -> int:
        await chat(engine, "Tell me about the giant panda")
        await chat(engine, "Explain SQLite full text search")
        return await chat(engine, "Search the web for Textual streaming and count the words")

    conversation = await fill(settings, script)
    for attempt in range(3):  # it depended on timing: it happened in most runs
        app = make_app(settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.wait_for_engine()
            await app.chat.open_conversation(conversation)
            await pilot.press("alt+r", "ctrl+t")
            await pilot.pause(0.2)
            pane, box = app.query_one(MessagePane), app.query_one(Collapsible)
            assert not box.collapsed and pane.max_scroll_y > 0
            assert box.region.overlaps(pane.content_region), f"attempt {attempt}: the opened reasoning is off screen"
