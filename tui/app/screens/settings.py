"""Settings: model, region or base URL, tools, thinking, system prompt, theme; saved to the config file."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from tui.app.screens.dialogs import Dialog
from tui.app.widgets.steady_input import SteadyInput
from tui.config import KNOWN_TOOLS

THEMES = ("textual-dark", "textual-light", "ansi-dark", "ansi-light", "nord", "gruvbox")


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

    DEFAULT_CSS = """
    #settings-form {
        width: 76;
        & Label { margin: 1 0 0 0; color: $text-muted; }
        & TextArea { height: 4; }
        & .settings-row { height: auto; }
        & Checkbox { margin: 0 2 0 0; }
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
        current = self.current
        with VerticalScroll(classes="dialog-box", id="settings-form"):
            yield Label("Settings", classes="dialog-title")
            yield Label("Model")
            yield SteadyInput(current.model, id="model", compact=True)
            yield Button("Model… (window, vision, price)", id="pick-model", compact=True)
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
            with Horizontal(classes="settings-row"):
                for tool in KNOWN_TOOLS:
                    yield Checkbox(tool.replace("_", " "), tool in current.tools, id=f"tool-{tool}", compact=True)
            yield Button("MCP servers and local tools of this chat… (alt+t)", id="agent-tools", compact=True)
            yield Checkbox("Thinking (reasoning summary)", current.thinking, id="thinking", compact=True)
            yield Label("System prompt")
            prompt = TextArea(current.system_prompt or "", id="system-prompt", compact=True)
            prompt.cursor_blink = False
            yield prompt
            yield Label("Theme")
            yield Select(
                [(name, name) for name in THEMES],
                value=current.theme if current.theme in THEMES else "textual-dark",
                id="theme",
                compact=True,
                allow_blank=False,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

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

    @on(Button.Pressed, "#pick-model")
    def _pick_model(self) -> None:
        """The model picker; the chosen name goes into the Model field (saved with the rest)."""
        from tui.app.screens.model_picker import picker_for

        field = self.query_one("#model", Input)

        def chosen(name: str | None) -> None:
            if name:
                field.value = name

        self.app.push_screen(picker_for(self.app, field.value.strip() or self.current.model), chosen)
