"""Settings: model, region or base URL, tools, thinking, system prompt, theme; saved to the config file."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from tui.app.screens.dialogs import Dialog
from tui.app.widgets.steady_input import SteadyInput
from tui.config import KNOWN_TOOLS
from tui.config import THEMES as config_themes

#: Every theme the config accepts (Textual's built-ins); one set by hand that is not among them is kept.
THEMES = config_themes


class TickBox(Checkbox):
    """A checkbox whose box is empty when off: on and off differ by shape, not only by colour (in 16
    colours both states of Textual's "X" came out grey on olive)."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


@dataclass
class SettingsChoice:
    """What the person chose; the app saves it through `tui.config.save_settings`."""

    model: str
    region: str
    base_url: str | None
    tools: list[str]
    thinking: bool
    system_prompt: str | None
    theme: str


class SettingsScreen(Dialog[SettingsChoice | None]):
    """A form; ctrl+s saves, Escape leaves without saving."""

    #: The form scrolls between a fixed title and fixed buttons, so Save and Cancel are always on screen
    #: (80x24 too). Each section is a few compose lines; a new one is one more line in `sections`.
    DEFAULT_CSS = """
    #settings-form {
        width: 76;
        height: auto;
        max-height: 100%;
        & #settings-sections { height: auto; max-height: 70vh; scrollbar-size-vertical: 1; }
        & Label { margin: 1 0 0 0; color: $text-muted; }
        & .dialog-title { margin: 0; color: $text; }
        & TextArea { height: 4; }
        & #tools-grid { grid-size: 3; grid-gutter: 0 1; height: auto; grid-rows: 1; }
        & .dialog-buttons { margin: 0; }
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, current: SettingsChoice, regions: list[str]) -> None:
        super().__init__()
        self.current = current
        self.regions = regions

    def compose(self):
        with Vertical(classes="dialog-box", id="settings-form"):
            yield Label("Settings", classes="dialog-title")
            with VerticalScroll(id="settings-sections"):
                yield from self.sections()
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def sections(self):
        """The form, top to bottom, inside the scrolling part."""
        current = self.current
        yield Label("Model")
        yield SteadyInput(current.model, id="model", compact=True)
        yield Label("Region")
        yield Select(
            [(name, name) for name in self.regions],
            value=current.region if current.region in self.regions else Select.NULL,
            id="region", compact=True, allow_blank=False,
        )
        yield Label("Base URL (overrides the region when set)")
        yield SteadyInput(
            current.base_url or "", id="base-url", placeholder="https://…/compatible-mode/v1", compact=True
        )
        yield Label("Tools")
        with Grid(id="tools-grid"):
            for tool in KNOWN_TOOLS:
                yield TickBox(tool.replace("_", " "), tool in current.tools, id=f"tool-{tool}", compact=True)
        yield Button("MCP servers and local tools of this chat… (alt+t)", id="agent-tools", compact=True)
        yield TickBox("Thinking (reasoning summary)", current.thinking, id="thinking", compact=True)
        yield Label("System prompt")
        prompt = TextArea(current.system_prompt or "", id="system-prompt", compact=True)
        prompt.cursor_blink = False
        yield prompt
        yield Label("Theme")
        themes = list(THEMES) if current.theme in THEMES else [current.theme, *THEMES]
        yield Select([(name, name) for name in themes], value=current.theme, id="theme", compact=True, allow_blank=False)

    def on_mount(self) -> None:
        self.query_one("#model", Input).focus()

    def choice(self) -> SettingsChoice:
        """Read the form."""
        region = self.query_one("#region", Select).value
        theme = self.query_one("#theme", Select).value
        return SettingsChoice(
            model=self.query_one("#model", Input).value.strip() or self.current.model,
            region=str(region) if region is not Select.NULL else self.current.region,
            base_url=self.query_one("#base-url", Input).value.strip() or None,
            tools=[tool for tool in KNOWN_TOOLS if self.query_one(f"#tool-{tool}", Checkbox).value],
            thinking=self.query_one("#thinking", Checkbox).value,
            system_prompt=self.query_one("#system-prompt", TextArea).text.strip() or None,
            theme=str(theme),
        )

    def action_save(self) -> None:
        self.dismiss(self.choice())

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#agent-tools")
    async def _agent_tools(self) -> None:
        """The Tools dialog of the open chat, over this one (it saves on its own)."""
        await self.app.run_action("agent_tools", self.app.screen_stack[0])
