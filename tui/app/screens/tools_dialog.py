"""The "Tools…" dialog: which MCP servers and local functions one conversation offers the model.

Reached from F2 and the palette. Listing a server's tools asks the server itself, in a worker, so a
slow server never holds up the dialog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Checkbox, Label, Static

from tui.app.screens.dialogs import Dialog
from tui.text_safety import one_line


class ListedTool(Protocol):
    """What an MCP server says of one of its tools (`tui.api.mcp.McpTool`)."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...


@dataclass(frozen=True)
class ToolOption:
    """One row: a server (label and URL) or a local function (name and description), and whether it is on."""

    name: str
    detail: str
    enabled: bool


@dataclass
class ToolsChoice:
    """What the person turned on; the chat screen saves it with the conversation."""

    mcp: list[str]
    functions: list[str]
    #: Forget the "always for this conversation" answers: every call asks again.
    forget_always: bool = False


ToolLister = Callable[[str], Awaitable[Sequence[ListedTool]]]


class ToolsDialog(Dialog[ToolsChoice | None]):
    """Checkboxes per MCP server (with "List tools") and per local function; ctrl+s saves, Escape leaves."""

    DEFAULT_CSS = """
    ToolsDialog > #tools-form {
        width: 76;
        & .tools-heading { margin: 1 0 0 0; color: $text-muted; }
        & .tools-row { height: auto; }
        & .tools-row Checkbox { width: 18; }
        & .tools-detail { width: 1fr; color: $text-muted; }
        & .tools-row Button { margin: 0 0 0 1; }
        & #mcp-listing { margin: 0 0 0 2; }
        & #mcp-listing.-empty { display: none; }
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="tools.save"),
        Binding("escape", "dismiss(None)", "Cancel", id="tools.cancel"),
    ]

    def __init__(
        self,
        title: str,
        servers: list[ToolOption],
        functions: list[ToolOption],
        root: str,
        lister: ToolLister,
        *,
        always: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.always = list(always)
        self.title_text = title
        self.servers = servers
        self.functions = functions
        self.root = root
        self.lister = lister

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-box", id="tools-form"):
            yield Label(Content.assemble("Tools for “", one_line(self.title_text, 50), "”"), classes="dialog-title")
            yield Label("MCP servers (the service calls them)", classes="tools-heading")
            if not self.servers:
                yield Static(
                    "None in the config file: add an [mcp.LABEL] table with url = \"…\".",
                    classes="dialog-hint", markup=False,
                )
            for index, server in enumerate(self.servers):
                with Horizontal(classes="tools-row"):
                    yield Checkbox(Content(one_line(server.name, 14)), server.enabled, id=f"mcp-{index}", compact=True)
                    yield Static(one_line(server.detail, 200), classes="tools-detail", markup=False)
                    yield Button("List tools", id=f"list-{index}", compact=True)
            yield Static("", id="mcp-listing", classes="-empty", markup=False)
            yield Label("Local tools (each call asks you first)", classes="tools-heading")
            for index, function in enumerate(self.functions):
                with Horizontal(classes="tools-row"):
                    yield Checkbox(
                        Content(one_line(function.name, 14)), function.enabled, id=f"function-{index}", compact=True
                    )
                    yield Static(one_line(function.detail, 200), classes="tools-detail", markup=False)
            yield Static(f"They work in {one_line(self.root, 60)}", classes="dialog-hint", markup=False)
            if self.always:
                names = one_line(", ".join(self.always), 40)
                yield Checkbox(Content(f"Ask again for each call (forget “always”: {names})"), id="forget", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)
            yield Label("tab moves · space turns on or off · enter lists a server's tools", classes="dialog-hint")

    def on_mount(self) -> None:
        first = self.query(Checkbox).first() if self.query(Checkbox) else None
        if first is not None:
            first.focus()

    def choice(self) -> ToolsChoice:
        """Read the checkboxes."""
        return ToolsChoice(
            mcp=[s.name for i, s in enumerate(self.servers) if self.query_one(f"#mcp-{i}", Checkbox).value],
            functions=[f.name for i, f in enumerate(self.functions) if self.query_one(f"#function-{i}", Checkbox).value],
            forget_always=bool(self.always) and self.query_one("#forget", Checkbox).value,
        )

    def action_save(self) -> None:
        self.dismiss(self.choice())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        """Save, Cancel, or "List tools" of the server on that row."""
        event.stop()
        button = event.button.id or ""
        if button == "save":
            self.action_save()
        elif button == "cancel":
            self.dismiss(None)
        elif button.startswith("list-"):
            self.list_tools(self.servers[int(button.removeprefix("list-"))].name)

    @work(group="mcp-list", exclusive=True, exit_on_error=False)
    async def list_tools(self, label: str) -> None:
        """Ask the server what it offers and show it under the servers (or the one-line reason it failed)."""
        listing = self.query_one("#mcp-listing", Static)
        listing.remove_class("-empty")
        name = one_line(label, 30)
        listing.update(f"Asking {name} for its tools…")
        try:
            tools = await self.lister(label)
        except Exception as exc:  # McpError, EngineError (a header that cannot be read): one line
            listing.update(Content.styled(f"Could not list {name}'s tools: {one_line(str(exc), 200)}", "$text-error"))
            return
        if not tools:
            listing.update(f"{name} offers no tools.")
            return
        lines = [f"{name} offers {len(tools)} tools:"]
        lines += [f"· {one_line(t.name, 30)} — {one_line(t.description, 80)}".rstrip(" —") for t in tools]
        listing.update("\n".join(lines))
