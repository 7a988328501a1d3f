"""Every key binding, grouped, plus notes for SSH and tmux users (OSC 52 clipboard)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from tui.app.screens.dialogs import Dialog

NOTES = (
    "Copying uses OSC 52: the text travels through the terminal to your local clipboard, so it works "
    "over SSH. In tmux run `set -g set-clipboard on`. macOS Terminal.app ignores OSC 52 (iTerm2, kitty, "
    "WezTerm and foot work).\n\n"
    "Below 100 columns both side panels hide; the tool panel shows when an answer uses tools (or with "
    "ctrl+t). f3 (or ctrl+b outside tmux) shows the chats, f9 makes the list slim or hides it. "
    "Keys that tmux, GNOME Terminal or macOS Terminal keep for themselves each have a second one: "
    "ctrl+_ for help (F1), f3 for the chats (ctrl+b), f7 for tools (alt+t), f12 to attach an image (alt+i), "
    "and in the transcript (f5) plain keys for the alt ones: p/n select, ←/→ branches, c and k copy, "
    "r reasoning, s summarises into a new branch (alt+s), v makes it private (alt+p), w wraps code. ctrl+l redraws the "
    "screen. ctrl+j inserts a newline in every terminal; Shift+Enter does too where the terminal "
    "reports it apart from Enter (terminals speaking the kitty keyboard protocol, such as kitty, foot and Ghostty). Any key can "
    "be changed in the [keys] table of config.toml, by the binding's id. For 16-colour terminals pick the ansi-dark or ansi-light theme in Settings (f2)."
)

def binding_rows(bindings: Iterable[Binding], describe_key: Callable[[str], str]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding; the longer tooltip wins over the footer label."""
    rows = []
    for binding in bindings:
        text = binding.tooltip or binding.description
        if text:
            rows.append((" / ".join(describe_key(key.strip()) for key in binding.key.split(",")), text))
    return rows


class HelpScreen(Dialog[None]):
    """Help: built from the live `BINDINGS`, so it never drifts from the real keys."""

    DEFAULT_CSS = """
    #help-scroll {
        width: 84;
        height: 90%;
    }
    #help-notes { color: $text-muted; }
    .help-group { color: $text-accent; text-style: bold; margin: 1 0 0 0; }
    .help-keys {
        grid-size: 2;
        grid-columns: 16 1fr;
        grid-rows: auto;
        height: auto;
    }
    .help-key { text-style: bold; padding: 0 0 0 2; }
    """

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close help", id="help.close")]

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self):
        def describe_key(key: str) -> str:
            return self.app.get_key_display(Binding(key, ""))

        with VerticalScroll(id="help-scroll", classes="dialog-box"):
            yield Static("Keys (Escape closes)", classes="dialog-title")
            for title, bindings in self.groups:
                yield Static(title, classes="help-group", markup=False)
                with Grid(classes="help-keys"):
                    for keys, text in binding_rows(bindings, describe_key):
                        yield Static(keys, classes="help-key", markup=False)
                        yield Static(text, markup=False)
            yield Static("Notes", classes="dialog-title")
            yield Static(NOTES, id="help-notes", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()
