"""Command-palette entries for every app action, so nothing depends on remembering a key."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

#: (title, help, action) shown in the palette; actions are `QwenApp.action_*` names.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("New chat", "Start an empty conversation", "new_conversation"),
    ("Search chats", "Full-text search over every saved message", "search"),
    ("Stop answer", "Stop the answer that is streaming (the partial text is kept)", "stop"),
    ("Regenerate answer", "Ask again for the selected or last answer (a new branch)", "regenerate"),
    ("Edit message and fork", "Edit the selected or last question; the edit starts a new branch", "edit_message"),
    ("Previous branch", "Show the previous alternative of the selected or last message", "branch(-1)"),
    ("Next branch", "Show the next alternative of the selected or last message", "branch(1)"),
    ("Copy last answer", "Copy the selected or last answer to the clipboard (OSC 52)", "copy_answer"),
    ("Copy code block", "Copy a code block of the selected or last answer (repeat for earlier blocks)", "copy_code"),
    ("Toggle reasoning", "Show or hide the reasoning of the selected or last answer", "toggle_reasoning"),
    ("Rename chat", "Rename the highlighted or current conversation", "rename_conversation"),
    ("Pin or unpin chat", "Keep the conversation at the top of the list", "pin_conversation"),
    ("Delete chat", "Delete the highlighted or current conversation", "delete_conversation"),
    ("Toggle chat list", "Show or hide the conversation list", "toggle_sidebar"),
    ("Toggle tool panel", "Show or hide the tool-activity panel", "toggle_tools"),
    ("Settings", "Model, region, tools, thinking, system prompt, theme", "settings"),
    ("Help", "Every key binding", "help"),
)


class QwenCommands(Provider):
    """Offers the app's actions by name; runs the matching `action_*` on the app."""

    async def discover(self) -> Hits:
        for title, help_text, action in COMMANDS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in COMMANDS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action), help=help_text)
