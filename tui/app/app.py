"""`QwenApp`: settings, theme, keymap and the engine's lifetime; the chat itself is `ChatScreen`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen
from textual.widget import Widget

from tui.app import START_DEMO, textual_fixes
from tui.app.engine_host import EngineFactory, EngineHost, EngineReady
from tui.app.keys import BindingGroup, Command, keymap_problems, live_key
from tui.app.reporting import Problem
from tui.app.sent_spans import SpanSkippingApp
from tui.app.terminal_driver import TerminalDriver, TerminalLost

if TYPE_CHECKING:
    from tui.app.screens.chat import ChatScreen
    from tui.app.screens.settings import SettingsChoice
    from tui.chat.engine import ChatEngine
    from tui.config import Settings

log = logging.getLogger("tui.app")


def _chat_screen() -> Screen[Any]:
    from tui.app.screens import ChatScreen

    return ChatScreen()


#: Palette commands without a key: (title, help, chat-screen action).
TRANSFER_COMMANDS = (
    ("Export chat as Markdown", "Write the open conversation to a .md file", "export_conversation('md')"),
    ("Export chat as JSON", "Write the open conversation to a .json file (import reads it)", "export_conversation('json')"),
    ("Import chat from JSON", "Add a conversation from a qwen-tui JSON export", "import_conversation"),
)


class QwenApp(SpanSkippingApp[int]):
    """The full-screen chat client; build it with an engine factory and clock for tests."""

    TITLE = "qwen-tui"
    #: The chat is the one mode; its screen (and its CSS) load when the app starts. Dialogs are
    #: imported lazily from `tui.app.screens` when first pushed.
    MODES = {"chat": _chat_screen}
    DEFAULT_MODE = "chat"
    ESCAPE_TO_MINIMIZE = False
    #: In 16 colours (`-sixteen-colours`, set on mount) and ANSI themes nothing dims the chat under a dialog
    #: or the palette: a tint blends each colour toward the background, and the 16-colour downgrade then
    #: turns text and its background into one colour (the footer's keys vanished under textual-dark).
    #: The footer and status line lose their panel there too: it became grey, under red keys and grey text.
    CSS = """
    QwenApp.-sixteen-colours Dialog, QwenApp.-sixteen-colours CommandPalette, QwenApp:ansi Dialog {
        background: transparent;
    }
    QwenApp.-sixteen-colours KeyFooter, QwenApp.-sixteen-colours StatusLine {
        background: transparent;
        & > .key-footer--key, & > .key-footer--description { background: transparent; }
    }
    """
    #: The chat screen repeats f1 (so the footer keeps its order) and holds f2: settings wait under dialogs.
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="This help"),
        Binding(
            App.COMMAND_PALETTE_BINDING, "command_palette", "palette", show=False, priority=True,
            id="app.palette", tooltip="Command palette (every action by name)",
        ),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit", tooltip="Quit"),
        Binding(
            "ctrl+l", "redraw", "Redraw", show=False, priority=True, id="app.redraw",
            tooltip="Repaint the whole screen (after garbage from elsewhere)",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        engine_factory: EngineFactory | None = None,
        clock: Callable[[], float] = time.time,
        open_conversation: int | None = None,
    ) -> None:
        super().__init__()
        textual_fixes.apply()
        self.settings = settings
        #: The conversation to show once the engine is ready (`qwen-tui -c`).
        self.open_at_start = open_conversation
        self.clock = clock
        self._started = False
        self.engine_host = EngineHost(engine_factory or self._default_engine_factory)
        if settings.theme and settings.theme in self.available_themes:
            self.theme = settings.theme
        self.set_keymap(settings.keys)

    def _default_engine_factory(self, settings: Settings) -> AbstractAsyncContextManager[ChatEngine]:
        """`tui.chat.open_engine` on the app's clock, imported only when an engine is really opened."""
        from tui.chat.factory import open_engine

        return open_engine(settings, clock=self.clock)

    @property
    def chat(self) -> ChatScreen:
        """The chat screen (always at the bottom of the stack)."""
        from tui.app.screens import ChatScreen

        screen = self.screen_stack[0]
        assert isinstance(screen, ChatScreen)
        return screen

    @property
    def needs_first_run(self) -> bool:
        return self.settings.api_key is None and not self.settings.demo

    def on_mount(self) -> None:
        self.set_class(self.console.color_system in ("standard", "windows"), "-sixteen-colours")
        self._started = True  # from now on a theme change is the person's (watch_theme saves it)
        self._handle_signals()
        problems = keymap_problems(self.settings.keys, self.binding_scopes())
        if problems:
            self.notify(f"[keys] in config.toml: {'; '.join(problems)}", severity="warning", markup=False, timeout=10)
        if self.needs_first_run:
            from tui.app.screens import FirstRunScreen

            self.push_screen(FirstRunScreen(self.settings.key_problem, str(self.settings.config_path)))
        else:
            self._open_engine()

    async def on_unmount(self) -> None:
        """Quitting mid-answer stops it (stored as cancelled) before the store closes."""
        if self.screen_stack:
            await self.chat.stop_turn()
            await self.chat.save_draft_quietly()
        await self.engine_host.close()

    # ------------------------------------------------------ signals and terminal
    def get_driver_class(self) -> type[Driver]:
        """Our `TerminalDriver` on POSIX terminals (pastes kept whole, a lost terminal noticed)."""
        if sys.platform == "win32":
            return super().get_driver_class()
        return TerminalDriver

    def _handle_signals(self) -> None:
        """SIGTERM and SIGHUP quit as ctrl+q does: the answer is stored as cancelled, the terminal restored.

        A SIGHUP that was ignored when we started (nohup) stays ignored; a lost terminal is then
        noticed by `TerminalDriver` instead.
        """
        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP"):
            number = getattr(signal, name, None)  # Windows has no SIGHUP
            if number is None or signal.getsignal(number) is signal.SIG_IGN:
                continue
            try:
                loop.add_signal_handler(number, self._quit_on_signal, number)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no such signal
                pass

    def _quit_on_signal(self, number: int) -> None:
        log.info("quitting on signal %s", number)
        self.exit(return_code=128 + number)

    def on_terminal_lost(self, _event: TerminalLost) -> None:
        """Nobody can see or type any more: quit (saving the answer as cancelled) instead of spinning."""
        log.info("the terminal has gone; quitting")
        self.exit(return_code=128 + signal.SIGHUP)

    # ------------------------------------------------------------------ engine
    @property
    def engine(self) -> ChatEngine | None:
        return self.engine_host.engine

    async def wait_for_engine(self) -> ChatEngine | None:
        """The engine once opening it has settled (None if it could not be opened)."""
        return await self.engine_host.wait()

    @work(group="engine", exclusive=True, exit_on_error=False)
    async def _open_engine(self) -> None:
        """Open store and client after the first frame, so launch is not held up by I/O."""
        try:
            engine = await self.engine_host.open(self.settings)
        except Exception as exc:  # one line for the person; the details go to the log
            log.exception("could not open the engine")
            self.chat.post_message(Problem(f"Cannot start: {exc}"))
            return
        self.chat.post_message(EngineReady(engine))

    # -------------------------------------------------------------------- keys
    def binding_scopes(self) -> list[list[Binding]]:
        """Bindings that can be live at the same time, per screen and focused widget (to find clashes)."""
        from tui.app.screens import ChatScreen, Confirm, FirstRunScreen, HelpScreen, SettingsScreen, TextPrompt
        from tui.app.widgets.composer import Composer
        from tui.app.widgets.conversation_list import ConversationList
        from tui.app.widgets.message_pane import MessagePane

        app = _bindings(self.BINDINGS)
        chat = app + _bindings(ChatScreen.BINDINGS)
        widgets: list[type[Widget]] = [Composer, MessagePane, ConversationList]
        dialogs: list[type[Screen[Any]]] = [FirstRunScreen, HelpScreen, SettingsScreen, TextPrompt, Confirm]
        from tui.app.screens.consent import ConsentDialog
        from tui.app.screens.tools_dialog import ToolsDialog

        dialogs += [ConsentDialog, ToolsDialog]
        return [chat + _bindings(w.BINDINGS) for w in widgets] + [app + _bindings(d.BINDINGS) for d in dialogs]

    def binding_groups(self) -> list[BindingGroup]:
        """Every binding the person can use, with the keys they gave it, grouped for the help screen."""
        from tui.app.screens import ChatScreen, FirstRunScreen
        from tui.app.widgets.composer import Composer
        from tui.app.widgets.conversation_list import ConversationList
        from tui.app.widgets.message_pane import MessagePane

        chat: list[Binding] = [b for b in _bindings(ChatScreen.BINDINGS) if isinstance(b, Command)]
        shown = {b.id for b in chat}
        everywhere = [b for b in _bindings(self.BINDINGS) if b.id not in shown]
        everywhere[1:1] = [b for b in _bindings(ChatScreen.BINDINGS) if not isinstance(b, Command)]
        groups: list[BindingGroup] = [
            ("Chat", chat),
            ("Composer", _bindings(Composer.BINDINGS)),
            ("Transcript (when focused)", _bindings(MessagePane.BINDINGS)),
            ("Chats list (when focused)", _bindings(ConversationList.BINDINGS)),
            ("First run", _bindings(FirstRunScreen.BINDINGS)),
            ("Everywhere", everywhere),
        ]
        keymap = self.settings.keys
        return [(title, [live_key(b, keymap) for b in bindings]) for title, bindings in groups]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then every chat action by its title; the help names its (remapped) key."""
        from tui.app.screens import ChatScreen

        yield from super().get_system_commands(screen)
        if not isinstance(screen, ChatScreen):
            return
        for binding in screen.commands():
            yield SystemCommand(
                binding.title,
                f"{binding.tooltip} ({self.command_keys(binding)})",
                lambda a=binding.action: self.run_action(a, screen),
            )
        for title, help_text, action in TRANSFER_COMMANDS:  # palette only: no key
            yield SystemCommand(title, help_text, lambda a=action: self.run_action(a, screen))

    def command_keys(self, command: Command) -> str:
        """Every key that runs a chat command, as the person has them: its own ("alt+i / f12"), then the
        transcript's plain key for the same action, if any ("alt+s; s in the transcript")."""
        from tui.app.widgets.message_pane import MessagePane

        keymap = self.settings.keys

        def shown(binding: Binding) -> str:
            keys = live_key(binding, keymap).key.split(",")
            return " / ".join(self.get_key_display(Binding(key.strip(), "")) for key in keys)

        plain = [shown(b) for b in _bindings(MessagePane.BINDINGS) if b.action == f"screen.{command.action}"]
        return shown(command) + "".join(f"; {key} in the transcript" for key in plain)

    # ----------------------------------------------------------------- screens
    def action_help(self) -> None:
        from tui.app.screens import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.binding_groups()))

    def action_settings(self) -> None:
        from tui.api.endpoints import REGIONS
        from tui.app.screens import SettingsChoice, SettingsScreen

        settings = self.settings
        current = SettingsChoice(
            model=settings.model,
            region=settings.region,
            base_url=None if settings.demo else settings.base_url,
            tools=list(settings.tools),
            thinking=settings.thinking,
            system_prompt=settings.system_prompt,
            theme=self.theme,
            effort=settings.effort,
            private=settings.private,
            session_cache=settings.session_cache,
        )
        screen = SettingsScreen(
            current, list(REGIONS), efforts_of=self._efforts_of, problem_with=self._settings_problem
        )
        self.push_screen(screen, self._apply_settings)

    def _efforts_of(self, model: str) -> tuple[str, ...]:
        """The efforts F2 offers for `model`: its row of the model table ("none" where listed), all for an unlisted one."""
        from tui.config import EFFORTS

        row = self.settings.catalog.lookup(model)
        return row.efforts if row.known else tuple(EFFORTS)

    def _settings_problem(self, choice: SettingsChoice) -> str | None:
        """Why `choice` would be refused (one line, e.g. an effort the model does not take), else None."""
        from pydantic import ValidationError

        try:
            self._settings_for(choice)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = str(error["loc"][0]) if error["loc"] else "setting"
            return f"Not saved: {name}: {str(error['msg']).removeprefix('Value error, ')}"
        return None

    def _settings_for(self, choice: SettingsChoice) -> Settings:
        """The settings `choice` makes, validated (raises pydantic's ValidationError)."""
        old = self.settings
        changes: dict[str, Any] = {
            "model": choice.model,
            "region": choice.region,
            "tools": choice.tools,
            "thinking": choice.thinking,
            "system_prompt": choice.system_prompt,
            "effort": choice.effort,
            "private": choice.private,
            "session_cache": choice.session_cache,
        }
        if choice.theme != self.theme:  # only a real change lands in the config file
            changes["theme"] = choice.theme
        if not old.demo:
            changes["base_url"] = choice.base_url
        new = old.model_copy(update=changes)
        type(old).model_validate(new.model_dump())
        return new

    async def _apply_settings(self, choice: SettingsChoice | None) -> None:
        """Save the chosen settings to the config file and apply them (reopening the engine if the endpoint moved)."""
        if choice is None:
            return
        old = self.settings
        try:
            new = self._settings_for(choice)
        except Exception as exc:  # invalid: nothing changes
            log.exception("invalid settings")
            self.chat.post_message(Problem(f"Settings not applied: {exc}"))
            return
        path = self._save(new)
        self.settings = new
        self.theme = choice.theme
        await self.chat.settings_changed(model_moved=new.model != old.model)
        if (new.region, new.base_url, new.session_cache) != (old.region, old.base_url, old.session_cache) and (
            not self.chat.streaming
        ):
            self._open_engine()
        elif self.engine is not None:
            from tui.chat.factory import engine_settings

            self.engine.settings = engine_settings(new)
        if path is not None:
            self.notify(f"Saved to {path}.", title="Settings")

    def _save(self, settings: Settings) -> Path | None:
        """Write settings to the config file; a failure is told (the change still holds for this session)."""
        from tui.config import save_settings

        try:
            return save_settings(settings)
        except Exception as exc:
            log.exception("could not save settings")
            self.chat.post_message(Problem(f"Settings kept for this session but not saved: {exc}"))
            return None

    def watch_theme(self, theme: str) -> None:
        """A theme chosen anywhere (the palette's "Change theme" too) is saved, so it is there next time."""
        if not self._started or theme == self.settings.theme:
            return
        if self.settings.theme is None and theme == "textual-dark":
            return  # the default: nothing to write
        self.settings = self.settings.model_copy(update={"theme": theme})
        self._save(self.settings)

    def action_redraw(self) -> None:
        """Repaint every cell: forget what was sent (sent_spans) and mark the whole screen dirty, so the
        next frame is a full update rather than a partial one that skips cells thought to be on screen."""
        self._sent_spans.clear()
        screen = self.screen
        self.refresh(repaint=True, layout=True)
        screen.refresh(screen.region)

    def action_start_demo(self) -> None:
        """From the first-run screen: leave, asking the CLI to start the app again in demo mode."""
        self.exit(START_DEMO)


def _bindings(bindings: Iterable[Any]) -> list[Binding]:
    """The `Binding`s of a `BINDINGS` list (which may also hold tuples)."""
    return [b for b in bindings if isinstance(b, Binding)]
