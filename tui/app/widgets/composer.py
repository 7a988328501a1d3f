"""The multi-line message box: Enter sends, ctrl+j (or Shift+Enter) inserts a newline, pastes stay intact;
`/image PATH` lines and pasted image paths attach images to the next message."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from tui.chat.images import Attachment, is_url, pasted_paths
from tui.text_safety import visible_bidi

#: Controls a paste may carry but the box must not hold raw: C0 but tab and newline, DEL, C1.
_PASTED_CONTROLS = re.compile(r"[\x01-\x08\x0b-\x1f\x7f-\x9f]")

#: A composer line that attaches images instead of being sent: `/image PATH [PATH…]` (or an http(s) URL).
IMAGE_COMMAND = "/image"


def image_lines(text: str) -> tuple[list[str], str | None]:
    """The image sources of `/image` lines in `text`, and the rest of the text (None when it is blank).

    A path with spaces may be written as is (`/image ~/My Pictures/cat.png`), quoted, or escaped.
    """
    sources: list[str] = []
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        word, _, argument = stripped.partition(" ")
        if word != IMAGE_COMMAND or not argument.strip():
            kept.append(line)
            continue
        argument = argument.strip()
        if is_url(argument) or Path(argument).expanduser().exists():
            sources.append(argument)
            continue
        pasted = pasted_paths(argument)  # quoted, escaped, file:// (as a dragged file is pasted)
        if pasted:
            sources += [str(path) for path in pasted]
            continue
        try:
            sources += shlex.split(argument)
        except ValueError:
            sources.append(argument)
    rest = "\n".join(kept)
    return sources, rest if rest.strip() else None


class Composer(TextArea):
    """A `TextArea` whose Enter submits; pastes arrive whole as a `Paste` event, so they never submit."""

    #: The compact TextArea takes every border away with `!important`; the top rule comes back the same way.
    DEFAULT_CSS = """
    Composer {
        height: auto;
        min-height: 3;
        max-height: 10;
        padding: 0 1;
        &.-textual-compact { border-top: hkey $foreground 20% !important; }
        &.-textual-compact:focus { border-top: hkey $accent !important; }
        &.-textual-compact.-editing { border-top: hkey $warning !important; }
    }
    """
    BINDING_GROUP_TITLE = "Composer"
    BINDINGS = [
        # Enter is taken in `_on_key`, in order with the typed keys before it (a priority binding
        # would run ahead of keys still queued for the TextArea and send a cut-off message);
        # this entry documents it for the help screen and the palette.
        Binding(
            "enter", "submit", "Send", show=False, id="composer.send",
            tooltip="Send the message (or the edit, forking a branch)",
        ),
        Binding(
            "ctrl+j,shift+enter", "newline", "Newline", show=False, id="composer.newline",
            tooltip="Insert a newline (pasted text keeps its newlines)",
        ),
    ]

    @dataclass
    class Submitted(Message):
        """The person pressed Enter with some text."""

        composer: Composer
        text: str

        @property
        def control(self) -> Composer:
            return self.composer

    @dataclass
    class AttachRequested(Message):
        """Attach these image paths or URLs (a `/image` line, a pasted path, the attach prompt); then send
        `text` when it is not None, or give `original` back if attaching fails."""

        composer: Composer
        sources: list[str]
        text: str | None = None
        original: str | None = None

        @property
        def control(self) -> Composer:
            return self.composer

    @dataclass
    class ImagesChanged(Message):
        """The images waiting to be sent with the next message changed (the chips above show them)."""

        composer: Composer

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(self, *, cursor_blink: bool = True, id: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            compact=True,
            placeholder="Ask Qwen…  (Enter sends, ctrl+j newline)",
        )
        self.cursor_blink = cursor_blink
        #: Set while the person edits an earlier question; Enter then forks instead of sending.
        self.editing_message_id: int | None = None
        #: The unsent draft put aside while an earlier question is edited; it comes back afterwards.
        self.set_aside = ""
        #: Images to send with the next message (read off the event loop before they get here).
        self.images: list[Attachment] = []

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key == "backspace" and not self.text and self.images:
            event.stop()
            event.prevent_default()
            self.set_images(self.images[:-1])  # an empty box: backspace takes the last image off
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual runs `TextArea._on_paste` after this one (each class's handler, down the MRO) unless
        # prevented: a paste of image paths attaches them; any other paste is inserted as inert text.
        if self._image_paste(event.text):
            event.stop()
            event.prevent_default()
            return
        event.text = self._inert_paste(event.text)

    @staticmethod
    def _inert_paste(text: str) -> str:
        """Pasted text as inert text: CR (and CRLF) become newlines, other controls visible, NUL dropped.

        Controls are shown, not dropped, so the paste stays whole and the person sees (and can delete)
        what the clipboard held: ESC becomes ␛ and the rest of an escape sequence stays as text. NUL
        carries nothing to see (Textual drops it from pastes too). C0 controls and DEL become their
        Unicode control pictures (U+2400 + code, U+2421); C1 controls and bidi overrides `<U+009B>` marks.
        """
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if text.isprintable():
            return text

        def picture(match: re.Match[str]) -> str:
            code = ord(match.group())
            if code < 0x20:
                return chr(0x2400 + code)
            return "\u2421" if code == 0x7F else f"<U+{code:04X}>"

        return visible_bidi(_PASTED_CONTROLS.sub(picture, text))

    def action_submit(self) -> None:
        """Post the text unless it is blank (and no image waits), and empty the box at once so typing can go on.

        `/image PATH` lines are taken out and attached first. The app hands the text back with
        `restore` when it is not sent.
        """
        text = self.text
        sources, rest = image_lines(text)
        if sources:
            self.clear()
            self.post_message(self.AttachRequested(self, sources, rest, original=text))
        elif text.strip() or self.images:
            self.clear()
            self.post_message(self.Submitted(self, text))

    def set_images(self, images: list[Attachment]) -> None:
        """The images the next message carries (the chat screen shows them as chips)."""
        self.images = list(images)
        self.post_message(self.ImagesChanged(self))

    def _image_paste(self, text: str) -> bool:
        """A paste that is only paths of existing image files (what dragging files onto a terminal
        pastes) attaches them; True if it did. Anything else stays text."""
        paths = pasted_paths(text)
        if paths:
            self.post_message(self.AttachRequested(self, [str(path) for path in paths]))
        return bool(paths)

    def restore(self, text: str) -> None:
        """Put back a message that was not sent, ahead of anything typed since."""
        typed = self.text
        self.load_text(text + ("\n" + typed if typed else ""))
        self.move_cursor(self.document.end)

    def action_newline(self) -> None:
        self.insert("\n")

    def start_editing(self, message_id: int, text: str) -> None:
        """Load an earlier question; the next Enter forks a branch from it instead of sending.

        The draft in the box is put aside (once: editing another question keeps the first draft).
        """
        if self.editing_message_id is None:
            self.set_aside = self.text
        self.load_text(text)
        self.editing_message_id = message_id
        self.border_title = "Editing — Enter forks a new branch, Escape cancels"
        self.add_class("-editing")
        self.move_cursor(self.document.end)

    def stop_editing(self) -> None:
        """Back to sending new messages; the draft put aside comes back, ahead of any text in the box."""
        self.editing_message_id = None
        self.border_title = None
        self.remove_class("-editing")
        draft, self.set_aside = self.set_aside, ""
        if draft:
            self.restore(draft)

    def cancel_editing(self) -> None:
        """Drop the edited question and bring back the draft that was there before."""
        if self.editing_message_id is not None:
            self.clear()
        self.stop_editing()
