"""`ModelPicker`: a searchable list of the models in the table (window, output, vision, thinking, price),
merged with the service's own list when it answers; Enter chooses one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tui.app.screens.dialogs import Dialog
from tui.app.widgets.steady_input import SteadyInput
from tui.catalog import Catalog, load_catalog
from tui.chat.models import ModelRow, merged_models, price_text, thinking_modes, token_count

log = logging.getLogger("tui.app")

#: Columns a model's details are indented by: under its name, past the current-model marker.
DETAIL_INDENT = 4
#: Asks the service for the names it serves (the engine's `served_models`); raises when it cannot.
ServedModels = Callable[[], Awaitable[list[str]]]


def describe_row(row: ModelRow, currency: str) -> str:
    """The second line of a model's entry: what it can do and what it costs (or that nothing is known)."""
    info = row.info
    if not info.known:
        return "unknown model: the service lists it, the table does not (window and price unknown)"
    parts = [
        f"{token_count(info.context_window)} window",
        f"{token_count(info.max_output)} out",
        "vision" if info.vision else "text only",
        f"thinking {thinking_modes(info)}",
        f"{price_text(info, currency)} per 1M in/out",
    ]
    if row.served is False:
        parts.append("not in the service's list")
    return " · ".join(parts)


def search_text(row: ModelRow) -> str:
    """What a search matches: name, label and the capability words (`vision`, `unknown`, thinking mode)."""
    info = row.info
    words = [info.name, info.label, info.thinking, "vision" if info.vision else "text", *info.efforts]
    if not info.known:
        words.append("unknown")
    if "chat" in info.endpoints and "responses" not in info.endpoints:
        words.append("chat completions")
    return " ".join(words).lower()


class ModelPicker(Dialog[str | None]):
    """Type to filter, ↑/↓ to move, Enter to choose, Escape to leave; dismisses with the model's name."""

    DEFAULT_CSS = """
    ModelPicker .dialog-box {
        width: 100;
        height: 90%;
    }
    ModelPicker OptionList {
        height: 1fr;
        border: none;
        padding: 0;
        background: transparent;
    }
    ModelPicker #model-filter { margin: 0 0 1 0; }
    ModelPicker Label { width: 100%; }
    ModelPicker #service-note { color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="models.cancel"),
        Binding("down", "move(1)", "Next model", show=False, id="models.down"),
        Binding("up", "move(-1)", "Previous model", show=False, id="models.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="models.page-down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="models.page-up"),
    ]

    def __init__(
        self, catalog: Catalog, currency: str, current: str, served: ServedModels | None = None
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.currency = currency
        self.current = current
        self._served = served
        #: The rows the list is filtered from: the table alone until the service's list arrives.
        self.rows = merged_models(catalog, None)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label(
                f"Models · prices in {self.currency} per 1M tokens, estimated (table of {self.catalog.date})",
                classes="dialog-title", markup=False,
            )
            yield SteadyInput(placeholder="Filter: name, vision, thinking…", id="model-filter", compact=True)
            yield OptionList(id="models")
            yield Label("", id="service-note", markup=False)
            yield Label("Enter chooses · ↑/↓ move · Escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self._show(keep=self.current)
        self.call_after_refresh(self._show)  # again once the list's width is known (the details wrap to it)
        self.query_one("#model-filter", Input).focus()
        if self._served is not None:
            self.query_one("#service-note", Label).update("Asking the service for its model list…")
            self._fetch_served()

    def on_resize(self) -> None:
        self.call_after_refresh(self._show)

    @property
    def options(self) -> OptionList:
        return self.query_one("#models", OptionList)

    def visible_names(self) -> list[str]:
        """The names listed now, in order (after the filter)."""
        return [str(option.id) for option in self.options.options]

    def _entry(self, row: ModelRow) -> Content:
        info = row.info
        marker = "● " if info.name == self.current else "  "
        first: list[str | tuple[str, str]] = [(marker + info.name, "bold")]
        if info.label and info.label != info.name:
            first.append((f"  {info.label}", "$text-muted"))
        if info.name == self.current:
            first.append(("  (current)", "$text-accent"))
        style = "$text-warning" if not info.known else "$text-muted"
        details = Content.styled(describe_row(row, self.currency), style)
        # Wrapped here, under the name with a hanging indent: wrapped by the list, its lines began at
        # the left edge and ran into the next model's name at 80 columns.
        width = self.options.scrollable_content_region.width - DETAIL_INDENT
        lines = details.wrap(width) if width >= 20 else [details]
        return Content.assemble(*first, "\n", Content("\n").join(line.pad_left(DETAIL_INDENT) for line in lines))

    def _show(self, keep: str | None = None) -> None:
        """List the rows matching the filter, keeping `keep` (or the highlighted model) highlighted."""
        options = self.options
        if keep is None and options.highlighted_option is not None:
            keep = str(options.highlighted_option.id)
        words = self.query_one("#model-filter", Input).value.lower().split()
        shown = [row for row in self.rows if all(word in search_text(row) for word in words)]
        options.set_options([Option(self._entry(row), id=row.info.name) for row in shown])
        names = [row.info.name for row in shown]
        if names:
            options.highlighted = names.index(keep) if keep in names else 0

    @work(group="served-models", exclusive=True, exit_on_error=False)
    async def _fetch_served(self) -> None:
        """Merge in the service's list; the table stays usable meanwhile, and if it never comes."""
        assert self._served is not None
        note = self.query_one("#service-note", Label)
        try:
            served = await self._served()
        except Exception as exc:  # never required: say so in one line and keep the table
            log.info("model list unavailable: %s", exc)
            note.update(f"The service's model list is unavailable ({exc}); showing the table.")
            return
        self.rows = merged_models(self.catalog, served)
        unknown = sum(1 for row in self.rows if not row.info.known)
        extra = f"; {unknown} it serves {'is' if unknown == 1 else 'are'} not in the table" if unknown else ""
        note.update(f"Merged with the service's list of {len(served)} models{extra}.")
        self._show()

    @on(Input.Changed, "#model-filter")
    def _filter(self) -> None:
        self._show()

    @on(Input.Submitted, "#model-filter")
    def _submit(self) -> None:
        option = self.options.highlighted_option
        if option is None:
            self.notify("No model matches the filter.", severity="warning")
            return
        self.dismiss(str(option.id))

    @on(OptionList.OptionSelected, "#models")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id))

    def action_move(self, step: int) -> None:
        options = self.options
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else 0
        options.highlighted = max(0, min(options.option_count - 1, current + step))


def picker_for(app: App[Any], current: str) -> ModelPicker:
    """A picker over the open engine's table (with config's overrides) and the service's list through it;
    before the engine is open, over the table alone."""
    from tui.app.app import QwenApp

    assert isinstance(app, QwenApp)
    engine = app.engine
    if engine is not None:
        return ModelPicker(engine.settings.catalog, engine.settings.currency, current, engine.served_models)
    catalog = load_catalog(app.settings.models)
    return ModelPicker(catalog, catalog.currency(app.settings.region), current)
