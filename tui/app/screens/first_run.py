"""Shown when there is no API key and no --demo: how to set a key, or start the demo now."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.text_safety import one_line

FIRST_RUN_TEXT = """\
qwen-tui needs a DashScope API key to talk to Qwen. Give it in one of three ways:

  in your shell    export DASHSCOPE_API_KEY=sk-...
  from a file      key_file = "~/.config/qwen-tui/key"   (first line)
  from a command   key_command = "pass show dashscope"   (its output)

The last two go in {config_path}; the key itself is never written there.
Keys come from Alibaba Cloud Model Studio (API keys page).

Or try it offline with the built-in simulator: qwen-tui --demo

Press d to start the demo now, or q to quit."""


class FirstRunScreen(Screen[None]):
    """A clear first screen instead of an error when no key is configured."""

    DEFAULT_CSS = """
    #first-run {
        height: 1fr;
        align: center middle;
    }
    .first-run-box {
        width: 76;
        max-width: 100%;
        height: auto;
        border: round $accent;
        padding: 0 2;
    }
    .first-run-problem {
        color: $text-error;
        margin: 0 0 1 0;
    }
    .first-run-title {
        text-style: bold;
        color: $text-accent;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("d", "app.start_demo", "Start the demo", id="first-run.demo"),
        Binding("q", "app.quit", "Quit", id="first-run.quit", show=False),  # the footer shows ^q Quit
        Binding("f1", "app.help", "Help", id="first-run.help"),
    ]

    def __init__(self, key_problem: str | None = None, config_path: str = "config.toml") -> None:
        super().__init__()
        self.key_problem = key_problem
        self.config_path = config_path

    def compose(self):
        with Center(id="first-run"):
            with Vertical(classes="first-run-box"):
                yield Static("Welcome to qwen-tui", classes="first-run-title")
                if self.key_problem:
                    problem = f"The key could not be read: {one_line(self.key_problem, 300)}"
                    yield Static(problem, classes="first-run-problem", markup=False)
                yield Static(FIRST_RUN_TEXT.format(config_path=self.config_path), markup=False, classes="first-run-text")
        yield Footer()
