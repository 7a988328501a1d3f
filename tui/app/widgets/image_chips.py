"""Image chips: one line per attached image (name, size, pixel dimensions), in the composer and the transcript."""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from tui.store.export import describe_image
from tui.store.models import ImageRef

#: Marks an image among text; a plain character every font has (no emoji: their width varies by terminal).
CHIP_MARK = "▣ "


def chips_content(images: Iterable[ImageRef], hint: str = "") -> Content:
    """`▣ photo.png · 1.2 MB · 800×600`, one per line (`describe_image` strips control characters)."""
    lines: list[Content] = [
        Content.assemble((CHIP_MARK, "$text-accent"), (describe_image(image), "$text")) for image in images
    ]
    if hint and lines:
        lines[-1] = Content.assemble(lines[-1], (f"  {hint}", "$text-muted"))
    return Content("\n").join(lines)


class ImageChips(Static):
    """The images of a message (or about to be sent with one); hidden while there are none."""

    DEFAULT_CSS = """
    ImageChips {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, images: Iterable[ImageRef] = (), *, hint: str = "", id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes, markup=False)
        self.hint = hint
        self.show_images(images)

    def show_images(self, images: Iterable[ImageRef]) -> None:
        """Show these images (none: hide the widget)."""
        refs = list(images)
        self.update(chips_content(refs, self.hint))
        self.display = bool(refs)
