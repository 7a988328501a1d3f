"""Markdown lists and tables of an answer, each drawn by one widget.

Textual's Markdown builds four widgets for every list item (a row, its bullet, a column and the
paragraph) and one for every table cell. Each widget is mounted, styled and walked by every layout
pass, so they are most of what a streamed answer costs: the two segments of the benchmark's long
answer made 87 widgets, and mounting them took ~145 ms of CPU; with these blocks they make 17 (~80 ms). A list
whose items are plain paragraphs is drawn as one widget (marker, then the text with a hanging indent);
a list holding anything else (a nested list, code) keeps Textual's layout. A table is drawn as one
compact grid: a header, a rule, then the rows, columns wrapped to fit.

These blocks lean on the parts of Textual's blocks that its Markdown parser and stream use
(`_blocks`, `_content`, `_update_from_block`, `_copy_context`, `_get_headers_and_rows`);
tests/app/test_app_answer_blocks.py is what to run on a Textual upgrade.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.app import ComposeResult
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

# Textual exports its block classes only through this table (the module defining them is private).
MarkdownBulletList = Markdown.BLOCKS["bullet_list_open"]
MarkdownOrderedList = Markdown.BLOCKS["ordered_list_open"]
MarkdownParagraph = Markdown.BLOCKS["paragraph_open"]
MarkdownTable = Markdown.BLOCKS["table_open"]
MarkdownListItem = Markdown.BLOCKS["list_item_unordered_open"].__base__
#: How the words of a search show where an answer (or question) opened from a search hit matches.
MATCH_STYLE = "reverse"


def _segments(content: Content, style: Style, options: RenderOptions) -> list[Segment]:
    """`content` on one line as segments, without the offsets text selection maps clicks with."""
    return [Segment(text, (style + part).rich_style) for text, part in content.render(style, "", options.get_style)]


def _moved(strip: Strip, lines: int) -> Strip:
    """`strip` with the selection offsets of its text moved down by `lines` lines."""
    if not lines:
        return strip
    segments = []
    for text, rich_style, control in strip:
        offset = rich_style.meta.get("offset") if rich_style is not None else None
        if offset is not None:
            rich_style = rich_style + RichStyle.from_meta({"offset": (offset[0], offset[1] + lines)})
        segments.append(Segment(text, rich_style, control))
    return Strip(segments, strip.cell_length)


def _shifted(selection: Selection | None, lines: int) -> Selection | None:
    """`selection` seen from a text that starts `lines` lines further down."""
    if selection is None or not lines:
        return selection
    start, end = selection
    move = Offset(0, lines)
    return Selection(None if start is None else start - move, None if end is None else end - move)


class HangingItems(Visual):
    """List items one under another: each item's marker, then its text wrapped beside it."""

    def __init__(self, items: Sequence[tuple[Content, Content]]) -> None:
        #: (marker, text) of each item; the marker column is as wide as the widest marker.
        self.items = list(items)
        self.indent = max((marker.cell_length for marker, _ in self.items), default=0)

    @property
    def plain(self) -> str:
        """The items' text, one item per line (what a mouse selection copies)."""
        return "\n".join(text.plain for _, text in self.items)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        widths = (text.get_optimal_width(rules, container_width - self.indent) for _, text in self.items)
        return self.indent + max(widths, default=0)

    def get_height(self, rules: RulesMap, width: int) -> int:
        text_width = max(width - self.indent, 1)
        return sum(max(text.get_height(rules, text_width), 1) for _, text in self.items)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        indent = self.indent
        text_width = max(width - indent, 1)
        rich_style = style.rich_style
        hanging = Strip.blank(indent, rich_style)
        strips: list[Strip] = []
        line = 0  # where this item's text starts in `plain`, for selection offsets
        for marker, text in self.items:
            item_options = RenderOptions(
                options.get_style, options.rules, _shifted(options.selection, line), options.selection_style
            )
            rows = text.render_strips(text_width, None, style, item_options) or [Strip.blank(text_width, rich_style)]
            first = Strip(_segments(marker, style, options)).extend_cell_length(indent, rich_style)
            for index, row in enumerate(rows):
                strips.append(Strip.join([first if index == 0 else hanging, _moved(row, line)]))
            line += text.plain.count("\n") + 1
        return strips if height is None else strips[:height]


def _marker_css(widget: str) -> str:
    """The colours of Textual's list bullets, for the markers of the compact list `widget`."""
    return f"""
    {widget} > .compact-list--marker {{ color: $text-primary; }}
    {widget}:light > .compact-list--marker {{ color: $text-secondary; }}
    """


class _CompactList(MarkdownBlock if TYPE_CHECKING else object):
    """A list drawn by `HangingItems` when every item is a single paragraph (or empty).

    A mixin before Textual's list class: Textual takes a widget's CSS (its `DEFAULT_CSS`, its
    margins) from the first widget class among its bases only, so each list sets its own below.
    """

    def markers(self, items: list[MarkdownListItem]) -> list[str]:
        raise NotImplementedError

    def hanging_items(self) -> HangingItems | None:
        """The items as one visual, or None if an item holds more than one paragraph."""
        items = [block for block in self._blocks if isinstance(block, MarkdownListItem)]
        texts: list[Content] = []
        for item in items:
            blocks = item._blocks
            if blocks and (len(blocks) > 1 or not isinstance(blocks[0], MarkdownParagraph) or blocks[0]._blocks):
                return None
            texts.append(blocks[0]._content if blocks else Content())
        markers = [Content.styled(marker, ".compact-list--marker") for marker in self.markers(items)]
        return HangingItems(list(zip(markers, texts, strict=False)))

    def compose(self) -> ComposeResult:
        visual = self.hanging_items()
        if visual is None:
            yield from super().compose()
            return
        self._blocks.clear()
        self.update(visual)

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        # While an answer streams, its last block is rebuilt from each flush's text: redraw in place.
        new = block.hanging_items() if isinstance(block, type(self)) else None
        if isinstance(self.visual, HangingItems) and new is not None:
            self._copy_context(block)
            self.update(new)
            return
        await super()._update_from_block(block)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        if isinstance(self.visual, HangingItems):
            return selection.extract(self.visual.plain), "\n"
        return super().get_selection(selection)


class CompactBulletList(_CompactList, MarkdownBulletList):
    """A bullet list; one widget when its items are plain paragraphs."""

    DEFAULT_CSS = _marker_css("CompactBulletList")
    COMPONENT_CLASSES = {"compact-list--marker"}

    def markers(self, items: list[MarkdownListItem]) -> list[str]:
        return [item.bullet for item in items]


class CompactOrderedList(_CompactList, MarkdownOrderedList):
    """A numbered list (numbered from its first item, like Textual's); one widget when it can be."""

    DEFAULT_CSS = _marker_css("CompactOrderedList")
    COMPONENT_CLASSES = {"compact-list--marker"}

    def markers(self, items: list[MarkdownListItem]) -> list[str]:
        try:
            start = int(items[0].bullet) if items else 1
        except ValueError:
            start = 1
        labels = [f"{number}. " for number in range(start, start + len(items))]
        size = max((len(label) for label in labels), default=0)
        return [label.rjust(size + 1) for label in labels]


def _fill(room: int, floors: list[int], wants: list[int]) -> list[int]:
    """`floors` grown toward `wants` within `room`: the columns wanting least first get all they want
    (fewer columns wrap), the last one gets what is left."""
    widths = list(floors)
    spare = room - sum(floors)
    for index in sorted(range(len(widths)), key=lambda index: wants[index] - floors[index]):
        grow = min(wants[index] - floors[index], spare)
        widths[index] += grow
        spare -= grow
    return widths


class TableGrid(Visual):
    """A table as text: the header row, a rule, then the rows; columns wrap when the width is short."""

    GAP = 3  # " │ " between columns

    def __init__(self, headers: Sequence[Content], rows: Sequence[Sequence[Content]]) -> None:
        self.columns = max([len(headers), *(len(row) for row in rows)], default=0)
        blank = Content()
        self.headers = [*headers, *[blank] * (self.columns - len(headers))]
        self.rows = [[*row, *[blank] * (self.columns - len(row))] for row in rows]

    @property
    def plain(self) -> str:
        """The table's text, a line per row and cells separated by tabs (what a mouse selection copies)."""
        return "\n".join("\t".join(cell.plain for cell in row) for row in [self.headers, *self.rows])

    def _natural(self, rules: RulesMap) -> list[int]:
        return [max(cell.get_optimal_width(rules, 0) for cell in column) for column in zip(self.headers, *self.rows, strict=False)]

    def widths(self, rules: RulesMap, width: int) -> list[int]:
        """Column widths for `width` cells: natural widths when they fit; else each column gets room
        for its longest word, and the rest goes to the columns wanting least more first."""
        natural = self._natural(rules)
        room = max(width - 2 - self.GAP * (self.columns - 1), self.columns)
        if sum(natural) <= room:
            return natural
        words = [
            min(max((cell_len(word) for cell in column for word in cell.plain.split()), default=1), wide)
            for column, wide in zip(zip(self.headers, *self.rows, strict=False), natural, strict=False)
        ]
        if sum(words) >= room:  # not even the longest words fit: they are folded
            return _fill(room, [1] * self.columns, words)
        return _fill(room, words, natural)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        if not self.columns:
            return 0
        return sum(self._natural(rules)) + 2 + self.GAP * (self.columns - 1)

    def get_height(self, rules: RulesMap, width: int) -> int:
        if not self.columns:
            return 0
        widths = self.widths(rules, width)
        rows = [self.headers, *self.rows]
        return 1 + sum(max(max(cell.get_height(rules, w), 1) for cell, w in zip(row, widths, strict=False)) for row in rows)

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        if not self.columns:
            return []
        widths = self.widths(options.rules, width)
        plain_options = RenderOptions(options.get_style, options.rules)
        line_style = style + options.get_style(".compact-table--lines")
        header_style = style + options.get_style(".compact-table--header")
        rich_style = style.rich_style
        edge = Strip.blank(1, rich_style)
        gap = Strip([Segment(" │ ", line_style.rich_style)], self.GAP)
        strips = self._row(self.headers, widths, header_style, plain_options, edge, gap)
        rule = "┼".join("─" * (w + 2) for w in widths)
        strips.append(Strip([Segment(rule, line_style.rich_style)], len(rule)))
        for row in self.rows:
            strips += self._row(row, widths, style, plain_options, edge, gap)
        return strips if height is None else strips[:height]

    @staticmethod
    def _row(
        cells: Sequence[Content], widths: list[int], style: Style, options: RenderOptions, edge: Strip, gap: Strip
    ) -> list[Strip]:
        rendered = [cell.render_strips(w, None, style, options) for cell, w in zip(cells, widths, strict=False)]
        rich_style = style.rich_style
        lines = []
        for index in range(max(max(len(cell_lines) for cell_lines in rendered), 1)):
            parts: list[Strip] = [edge]
            for column, (cell_lines, w) in enumerate(zip(rendered, widths, strict=False)):
                if column:
                    parts.append(gap)
                line = cell_lines[index] if index < len(cell_lines) else Strip.blank(w, rich_style)
                parts.append(line.extend_cell_length(w, rich_style))
            lines.append(Strip.join(parts))
        return lines


class CompactTable(MarkdownTable):
    """A table drawn by `TableGrid` in one widget (Textual's makes a widget per cell)."""

    DEFAULT_CSS = """
    CompactTable > .compact-table--header { color: $primary; text-style: bold; }
    CompactTable > .compact-table--lines { color: $foreground 30%; }
    """
    COMPONENT_CLASSES = {"compact-table--header", "compact-table--lines"}

    def grid(self) -> TableGrid:
        return TableGrid(*self._get_headers_and_rows())

    def compose(self) -> ComposeResult:
        self.update(self.grid())
        yield from ()

    async def _update_from_block(self, block: MarkdownBlock) -> None:
        if isinstance(block, CompactTable):
            self._copy_context(block)
            self.update(block.grid())
            return
        await super()._update_from_block(block)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        visual = self.visual
        return (selection.extract(visual.plain), "\n") if isinstance(visual, TableGrid) else None


class MarkedFence(MarkdownFence):
    """A code block whose search match stays highlighted when its code is coloured again (a theme or
    style change recolours it through `set_content`)."""

    def set_content(self, content: Content) -> None:
        marks = getattr(self._markdown, "marks", None)
        super().set_content(content.highlight_regex(marks, style=MATCH_STYLE) if marks is not None else content)


class AnswerMarkdown(Markdown):
    """Textual's Markdown with the compact list and table blocks above, and search matches it can mark."""

    BLOCKS = {
        **Markdown.BLOCKS,
        "bullet_list_open": CompactBulletList,
        "ordered_list_open": CompactOrderedList,
        "table_open": CompactTable,
        "fence": MarkedFence,
        "code_block": MarkedFence,
    }

    #: The search whose matches are highlighted (set by `mark`), else None.
    marks: re.Pattern[str] | None = None

    async def mark(self, pattern: re.Pattern[str]) -> Widget | None:
        """Highlight every match of `pattern` in the rendered blocks (once they are built); the first
        block holding one, to scroll to, or None."""
        self.marks = pattern
        first: Widget | None = None
        async with self.lock:  # a document still being built is marked once it is
            for block in self.query(MarkdownBlock):
                if _mark_block(block, pattern) and first is None:
                    first = block
        return first


def _marked(content: Content, pattern: re.Pattern[str]) -> Content:
    return content.highlight_regex(pattern, style=MATCH_STYLE)


def _mark_block(block: MarkdownBlock, pattern: re.Pattern[str]) -> bool:
    """Highlight `pattern` in one block's own text (code, a compact list or table, a paragraph or
    heading); whether it matched. Blocks that only hold other blocks have no text of their own."""
    if isinstance(block, MarkedFence):
        if not pattern.search(block.code):
            return False
        block.set_content(block._highlighted_code)
        return True
    visual = block.visual
    if isinstance(visual, HangingItems):
        if not any(pattern.search(text.plain) for _, text in visual.items):
            return False
        block.update(HangingItems([(marker, _marked(text, pattern)) for marker, text in visual.items]))
        return True
    if isinstance(visual, TableGrid):
        cells = [cell.plain for row in [visual.headers, *visual.rows] for cell in row]
        if not any(pattern.search(cell) for cell in cells):
            return False
        headers = [_marked(cell, pattern) for cell in visual.headers]
        block.update(TableGrid(headers, [[_marked(cell, pattern) for cell in row] for row in visual.rows]))
        return True
    content = block._content
    if not pattern.search(content.plain):
        return False
    block.set_content(_marked(content, pattern))
    return True
