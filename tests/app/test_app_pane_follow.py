"""The transcript keeps following the end of a stream after its content briefly fit the pane."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.app.widgets.message_pane import MessagePane


def lines(count: int) -> str:
    return "\n".join(f"line {number}" for number in range(count))


class PaneApp(App[None]):
    CSS = "MessagePane { height: 10; }"

    def compose(self) -> ComposeResult:
        yield MessagePane()


async def test_the_pane_follows_the_end_again_after_its_content_fit_it_for_a_moment() -> None:
    # While an answer streams, older segments are unmounted: on a tall pane (120x40) what is left can
    # fit it for a moment. The pane goes back to its top then, and must follow the end once it grows.
    app = PaneApp()
    async with app.run_test(size=(40, 12)) as pilot:
        pane = app.query_one(MessagePane)
        text = Static(lines(30))
        await pane.mount(text)
        await pilot.pause()
        assert pane.is_anchored and pane.scroll_y == pane.max_scroll_y > 0
        text.update("a few words")
        await pilot.pause()
        assert pane.scroll_y == 0
        text.update(lines(40))
        await pilot.pause()
        assert not pane.holding
        assert pane.scroll_y == pane.max_scroll_y > 0
