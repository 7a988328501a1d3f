"""The multi-line message box: Enter sends, ctrl+j (or Shift+Enter) inserts a newline, pastes stay intact."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from tui.text_safety import visible_bidi

#: Controls a paste may carry but the box must not hold raw: C0 but tab and newline, DEL, C1.
_PASTED_CONTROLS = re.compile(r"[\x01-\x08\x0b-\x1f\x7f-\x9f]")


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

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual runs this, then `TextArea._on_paste` (handlers run down the class hierarchy), which inserts it.
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
        """Post the text unless it is blank, and empty the box at once so typing can go on.

        The app hands the text back with `restore` when it is not sent.
        """
        text = self.text
        if text.strip():
            self.clear()
            self.post_message(self.Submitted(self, text))

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
