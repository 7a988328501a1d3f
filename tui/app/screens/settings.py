"""Settings: model, region or base URL, tools, thinking, system prompt, theme; saved to the config file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, TextArea

from tui.api.endpoints import legacy_note
from tui.app.screens.dialogs import Dialog
from tui.app.widgets.steady_input import SteadyInput
from tui.config import KNOWN_TOOLS
from tui.config import THEMES as config_themes

#: The effort Select's entry for "no effort sent: the model's own default".
DEFAULT_EFFORT = "default"

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
    #: The reasoning effort sent (None: the model's default), new chats private, the session-cache header.
    effort: str | None = None
    private: bool = False
    session_cache: bool = True


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
        & .settings-row { height: auto; }
        & .settings-row Checkbox { margin: 0 2 0 0; }
        & #region-note { margin: 0; width: 1fr; color: $text-warning; }
        & #settings-problem { margin: 1 0 0 0; width: 1fr; color: $text-error; }
        & .-hidden { display: none; }
        & .dialog-buttons { margin: 0; }
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="settings.cancel"),
    ]

    def __init__(
        self,
        current: SettingsChoice,
        regions: list[str],
        *,
        efforts_of: Callable[[str], tuple[str, ...]] = lambda model: (),
        problem_with: Callable[[SettingsChoice], str | None] = lambda choice: None,
    ) -> None:
        super().__init__()
        self.current = current
        self.regions = regions
        #: The efforts a model takes (from the model table), and why a choice cannot be saved (or None).
        self.efforts_of = efforts_of
        self.problem_with = problem_with

    def compose(self):
        with Vertical(classes="dialog-box", id="settings-form"):
            yield Label("Settings", classes="dialog-title")
            with VerticalScroll(id="settings-sections"):
                yield from self.sections()
            yield Label("", id="settings-problem", classes="-hidden")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def sections(self) -> Iterator[Widget]:
        """The form, top to bottom, inside the scrolling part."""
        current = self.current
        yield Label("Model")
        yield SteadyInput(current.model, id="model", compact=True)
        yield Button("Model… (window, vision, price)", id="pick-model", compact=True)
        yield Label("Region")
        yield Select(
            [(name, name) for name in self.regions],
            value=current.region if current.region in self.regions else Select.NULL,
            id="region", compact=True, allow_blank=False,
        )
        yield self._region_note()
        yield Label("Base URL (overrides the region when set)")
        yield SteadyInput(
            current.base_url or "", id="base-url", placeholder="https://…/compatible-mode/v1", compact=True
        )
        yield Label("Tools")
        with Grid(id="tools-grid"):
            for tool in KNOWN_TOOLS:
                yield TickBox(tool.replace("_", " "), tool in current.tools, id=f"tool-{tool}", compact=True)
        yield Button("MCP servers and local tools of this chat… (alt+t or f7)", id="agent-tools", compact=True)
        yield TickBox("Thinking (reasoning summary)", current.thinking, id="thinking", compact=True)
        yield from self._service_fields()
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
        effort = self.query_one("#effort", Select).value
        theme = self.query_one("#theme", Select).value
        return SettingsChoice(
            model=self.query_one("#model", Input).value.strip() or self.current.model,
            region=str(region) if region is not Select.NULL else self.current.region,
            base_url=self.query_one("#base-url", Input).value.strip() or None,
            tools=[tool for tool in KNOWN_TOOLS if self.query_one(f"#tool-{tool}", Checkbox).value],
            thinking=self.query_one("#thinking", Checkbox).value,
            system_prompt=self.query_one("#system-prompt", TextArea).text.strip() or None,
            theme=str(theme),
            effort=None if effort in (DEFAULT_EFFORT, Select.NULL) else str(effort),
            private=self.query_one("#private", Checkbox).value,
            session_cache=self.query_one("#session-cache", Checkbox).value,
        )

    def action_save(self) -> None:
        """Save, unless the settings would be refused: then say why in one line and stay open."""
        choice = self.choice()
        problem = self.problem_with(choice)
        if problem is None:
            self.dismiss(choice)
            return
        line = self.query_one("#settings-problem", Label)
        line.update(problem)
        line.remove_class("-hidden")

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

    # ------------------------------------------------------ service options (issue 11)
    def _service_fields(self) -> Iterator[Widget]:
        """Effort (what the model takes), new chats private, and the session cache."""
        current = self.current
        yield Label("Reasoning effort", id="effort-label")
        yield Select(
            self._effort_options(current.model, current.effort),
            value=current.effort or DEFAULT_EFFORT, id="effort", compact=True, allow_blank=False,
        )
        with Horizontal(classes="settings-row"):
            yield TickBox("New chats private (store: false)", current.private, id="private", compact=True)
            yield TickBox("Session cache", current.session_cache, id="session-cache", compact=True)

    def _region_note(self) -> Label:
        """Under the region: the one-line deprecation note of a legacy preset (hidden otherwise)."""
        note = legacy_note(self.current.region, self.current.base_url)
        return Label(note or "", id="region-note", classes="" if note else "-hidden")

    def _effort_options(self, model: str, keep: str | None) -> list[tuple[str, str]]:
        """The model's own efforts after "default"; an effort already chosen stays listed (saving says if it fits)."""
        efforts = list(self.efforts_of(model.strip()))
        if keep and keep not in efforts:
            efforts.append(keep)
        return [(DEFAULT_EFFORT, DEFAULT_EFFORT), *((name, name) for name in efforts)]

    @on(Input.Changed, "#model")
    def _model_changed(self, event: Input.Changed) -> None:
        effort = self.query_one("#effort", Select)
        chosen = effort.value if isinstance(effort.value, str) and effort.value != DEFAULT_EFFORT else None
        effort.set_options(self._effort_options(event.value, chosen))
        effort.value = chosen or DEFAULT_EFFORT

    @on(Select.Changed, "#region")
    @on(Input.Changed, "#base-url")
    def _region_changed(self) -> None:
        region = self.query_one("#region", Select).value
        base_url = self.query_one("#base-url", Input).value
        note = legacy_note(str(region), base_url) if region is not Select.NULL else None
        line = self.query_one("#region-note", Label)
        line.update(note or "")
        line.set_class(not note, "-hidden")
