"""Lists and tables in an answer: one widget each, drawn like Textual's, streamed in place."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.app import App
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Region
from textual.selection import Selection
from textual.style import Style
from textual.visual import RenderOptions
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from tui.app.widgets.answer_blocks import (
    CompactBulletList,
    CompactOrderedList,
    CompactTable,
    HangingItems,
    TableGrid,
)
from tui.app.widgets.message_view import answer_markdown


class OneMarkdown(App[None]):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self):
        with VerticalScroll():
            yield answer_markdown(self.text)


def lines(widget: Widget) -> list[str]:
    """What `widget` shows, a line per row, trailing spaces removed."""
    width, height = widget.size
    return ["".join(segment.text for segment in strip).rstrip() for strip in widget.render_lines(Region(0, 0, width, height))]


def blocks(app: App) -> list[MarkdownBlock]:
    return list(app.query(MarkdownBlock))


LONG_ITEM = "a list item long enough to wrap onto a second line of the pane at this width, and more"


async def test_a_list_of_paragraphs_is_one_widget_with_hanging_indents() -> None:
    app = OneMarkdown(f"- first\n- {LONG_ITEM}\n- `code` last\n\nAfter the list.\n")
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        listing, after = blocks(app)
        assert type(listing) is CompactBulletList  # Textual: 13 widgets
        assert after.region.y == listing.region.bottom + 1  # Textual's blank line under a list
        shown = lines(listing)
        assert shown[0] == "• first"
        assert shown[1].startswith("• a list item") and shown[2].startswith("  ")  # wrapped under the text
        assert " ".join(line.strip("• ") for line in shown[1:-1]).split() == LONG_ITEM.split()
        assert shown[-1] == "• code last"


async def test_a_numbered_list_keeps_its_start_and_aligns_its_numbers() -> None:
    items = "".join(f"{number}. item {number}\n" for number in range(8, 12))
    app = OneMarkdown(items)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        assert lines(app.query_one(CompactOrderedList)) == ["  8. item 8", "  9. item 9", " 10. item 10", " 11. item 11"]


async def test_a_list_holding_more_than_a_paragraph_keeps_textual_layout() -> None:
    app = OneMarkdown("- outer\n  - inner one\n  - inner two\n- second\n")
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        outer = app.query_one(CompactBulletList)
        assert outer.children  # the nested list needs Textual's row/bullet/column widgets
        inner = [block for block in outer.query(CompactBulletList)]
        assert len(inner) == 1 and not inner[0].children  # ...its own items are plain: one widget
        screen = "\n".join(line for leaf in outer.walk_children() if not leaf.children for line in lines(leaf))
        for word in ("outer", "inner one", "inner two", "second"):
            assert word in screen


TABLE = (
    "| Step | What happens | Cost |\n"
    "|------|--------------|------|\n"
    "| 1 | the request leaves with `previous_response_id` | one round trip |\n"
    "| 2 | deltas stream in | a few bytes each |\n"
)


async def test_a_table_is_one_widget_a_header_a_rule_and_its_rows() -> None:
    app = OneMarkdown(TABLE)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        assert [type(block) for block in blocks(app)] == [CompactTable]  # Textual: 16 widgets
        shown = lines(app.query_one(CompactTable))
        assert [cell.strip() for cell in shown[0].split("│")] == ["Step", "What happens", "Cost"]
        assert set(shown[1]) == {"─", "┼"}
        assert [cell.strip() for cell in shown[2].split("│")] == [
            "1",
            "the request leaves with previous_response_id",
            "one round trip",
        ]
        assert [cell.strip() for cell in shown[3].split("│")] == ["2", "deltas stream in", "a few bytes each"]
        assert len(shown) == 4
        # Each column starts at the same place on every row.
        assert len({line.index("│") for line in (shown[0], shown[2], shown[3])}) == 1


async def test_a_table_too_wide_for_the_pane_wraps_its_wide_columns() -> None:
    """Each column keeps room for its longest word; the rest goes to the columns that want more."""
    app = OneMarkdown(TABLE)
    async with app.run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(CompactTable)
        shown = lines(table)
        assert max(len(line) for line in shown) <= table.size.width
        assert shown[0].split("│")[0].strip() == "Step"  # the narrow column keeps its width
        assert len(shown) > 4  # some rows wrapped
        for column, expected in ((1, "the request leaves with previous_response_id deltas stream in"), (2, "one round trip a few bytes each")):
            assert " ".join(line.split("│")[column] for line in shown[2:]).split() == expected.split()


async def test_a_streamed_list_and_table_grow_in_place() -> None:
    app = OneMarkdown("")
    async with app.run_test(size=(80, 30)) as pilot:
        markdown = app.query_one(Markdown)
        stream = Markdown.get_stream(markdown)
        await pilot.pause()
        await stream.write("- one\n")
        await pilot.pause(0.1)
        first_list = app.query_one(CompactBulletList)
        for item in ("- two\n", "- three\n"):
            await stream.write(item)
            await pilot.pause(0.1)
        assert app.query_one(CompactBulletList) is first_list  # redrawn, not remounted
        assert lines(first_list) == ["• one", "• two", "• three"]

        await stream.write("\n| a | b |\n|---|---|\n| 1 | 2 |\n")
        await pilot.pause(0.1)
        table = app.query_one(CompactTable)
        await stream.write("| 3 | 4 |\n")
        await stream.stop()
        await pilot.pause(0.1)
        assert app.query_one(CompactTable) is table
        assert [line.replace(" ", "") for line in lines(table)][2:] == ["1│2", "3│4"]


async def test_selecting_in_a_list_maps_clicks_to_the_item_under_the_pointer() -> None:
    app = OneMarkdown(f"- first\n- {LONG_ITEM}\n- last\n")
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        listing = app.query_one(CompactBulletList)
        region = listing.content_region
        # The word "last" on the last row: the third item, its first character.
        widget, offset = app.screen.get_widget_and_offset_at(region.x + 2, region.y + len(lines(listing)) - 1)
        assert widget is listing and (offset.x, offset.y) == (0, 2)
        text, _ = listing.get_selection(Selection(None, None))
        assert text == f"first\n{LONG_ITEM}\nlast"


async def test_a_table_of_wide_characters_stays_aligned_and_inside_the_pane() -> None:
    """Qwen often answers in Chinese: cells are measured in terminal cells, not characters."""
    table = "| 步骤 | 说明 |\n|---|---|\n| 1 | 请求带着上一个响应的编号发出，服务器保留上下文七天 |\n| 2 | 增量逐个到达 |\n"
    app = OneMarkdown(table)
    async with app.run_test(size=(40, 20)) as pilot:
        await pilot.pause()
        widget = app.query_one(CompactTable)
        shown = [line for line in lines(widget) if "│" in line]
        assert max(cell_len(line) for line in lines(widget)) <= widget.size.width
        assert len({cell_len(line[: line.index("│")]) for line in shown}) == 1
        assert "".join(line.split("│")[1].strip() for line in shown[1:]).startswith("请求带着上一个响应的编号发出")


WORDS = st.sampled_from(["a", "word", "streaming", "previous_response_id", "请求带着编号", "7", "`x`", ""])
CELLS = st.lists(WORDS, max_size=6).map(lambda words: Content(" ".join(words)))


def _plain_options() -> RenderOptions:
    return RenderOptions(lambda style: style if isinstance(style, Style) else Style(), {})


@settings(max_examples=200, deadline=None)
@given(
    columns=st.integers(1, 6),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=7), max_size=5),
    headers=st.lists(CELLS, max_size=6),
    width=st.integers(1, 120),
)
def test_any_table_renders_as_tall_as_it_says_and_inside_a_wide_enough_pane(columns, rows, headers, width) -> None:
    """A table's drawn height must match the height its widget was laid out with, at any width."""
    grid = TableGrid(headers[:columns], [row[:columns] for row in rows])
    strips = grid.render_strips(width, None, Style(), _plain_options())
    assert len(strips) == grid.get_height({}, width)
    if width >= 4 * grid.columns - 1:  # one cell a column, the gaps and the edge
        assert all(strip.cell_length <= width for strip in strips)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.tuples(st.sampled_from(["• ", " 9. ", " 10. "]), CELLS), min_size=1, max_size=6), width=st.integers(1, 80))
def test_any_list_renders_as_tall_as_it_says(items, width) -> None:
    visual = HangingItems([(Content(marker), text) for marker, text in items])
    strips = visual.render_strips(width, None, Style(), _plain_options())
    assert len(strips) == visual.get_height({}, width)
    if width > visual.indent:
        assert all(strip.cell_length <= width for strip in strips)
