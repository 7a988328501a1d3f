"""`ChatEngine`: turns a person's message into a stored, streaming `Turn`; the one door to store and API.

Shared by the headless CLI and the Textual app, so it holds no UI and imports no Textual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.api.client import ResponsesClient
from tui.chat.chain import EXPIRY_MARGIN_SECONDS, ChainState, TurnOptions, chain_state, turn_options
from tui.chat.errors import EngineError
from tui.chat.turn import Turn, TurnPlan
from tui.store import Store
from tui.store.models import ChainMode, Conversation, Message, SearchHit, Usage

#: Title a conversation has until its first message names it.
DEFAULT_TITLE = "New chat"
TITLE_LENGTH = 60


@dataclass(slots=True)
class EngineSettings:
    """Engine defaults; a conversation's own options override tools, thinking and effort."""

    model: str
    endpoint: str
    tools: list[str] = field(default_factory=list)
    thinking: bool = False
    effort: str | None = None
    system_prompt: str | None = None
    store_responses: bool = True


def title_from(text: str) -> str:
    """A conversation title from its first message: the first non-blank line, trimmed to ~60 characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    line = " ".join(line.split())
    if len(line) <= TITLE_LENGTH:
        return line or DEFAULT_TITLE
    cut = line[: TITLE_LENGTH - 1]
    if " " in cut[TITLE_LENGTH // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


class ChatEngine:
    """Conversations, turns and branches over one `Store` and one `ResponsesClient`."""

    def __init__(
        self,
        store: Store,
        client: ResponsesClient,
        *,
        settings: EngineSettings,
        clock: Callable[[], float] = time.time,
        flush_interval: float = 0.25,
    ) -> None:
        self.store = store
        self.client = client
        self.settings = settings
        self._clock = clock
        self._flush_interval = flush_interval
        self._running: dict[int, Turn] = {}

    # --- conversations -----------------------------------------------------------------------

    async def new_conversation(
        self, title: str | None = None, system_prompt: str | None = None, options: dict[str, Any] | None = None
    ) -> Conversation:
        """An empty conversation with the engine's model and endpoint; the first message names it unless `title`."""
        return await self.store.create_conversation(
            title=title or DEFAULT_TITLE,
            model=self.settings.model,
            endpoint=self.settings.endpoint,
            system_prompt=system_prompt if system_prompt is not None else self.settings.system_prompt,
            options=options,
        )

    async def conversation(self, conversation_id: int) -> Conversation:
        found = await self.store.get_conversation(conversation_id)
        if found is None:
            raise EngineError(f"there is no conversation {conversation_id}")
        return found

    async def set_options(self, conversation_id: int, **options: Any) -> Conversation:
        """Change a conversation's tools / thinking / effort (None removes an override)."""
        conversation = await self.conversation(conversation_id)
        merged = {**conversation.options, **options}
        merged = {name: value for name, value in merged.items() if value is not None}
        return await self.store.update_conversation(conversation_id, options=merged)

    async def set_model(self, conversation_id: int, model: str) -> Conversation:
        """The model the conversation's next turns use (a conversation keeps its model otherwise)."""
        await self.conversation(conversation_id)
        return await self.store.update_conversation(conversation_id, model=model)

    # --- turns -------------------------------------------------------------------------------

    async def send(self, conversation_id: int, text: str) -> Turn:
        """Commit `text` as the next user message on the current branch and start answering it."""
        if not text.strip():
            raise EngineError("the message is empty")
        conversation = await self.conversation(conversation_id)
        self._ensure_idle(conversation_id)
        user = await self.store.add_message(
            conversation_id, role="user", content=text, parent_id=conversation.head_message_id
        )
        if conversation.head_message_id is None and conversation.title == DEFAULT_TITLE:
            conversation = await self.store.update_conversation(conversation_id, title=title_from(text))
        return await self._answer(conversation, user)

    async def regenerate(self, conversation_id: int, message_id: int) -> Turn:
        """A new answer to the same user message, as a sibling of `message_id` (or to it, if it is the user's)."""
        conversation = await self.conversation(conversation_id)
        self._ensure_idle(conversation_id)
        message = await self._member(conversation_id, message_id)
        if message.role == "assistant":
            if message.parent_id is None:
                raise EngineError("this answer has no question to answer again")
            message = await self._member(conversation_id, message.parent_id)
        if message.role != "user":
            raise EngineError("only an answer (or a question) can be regenerated")
        return await self._answer(conversation, message)

    async def edit(self, conversation_id: int, user_message_id: int, new_text: str) -> Turn:
        """Fork: `new_text` becomes a sibling of the edited user message, and is answered on its own branch."""
        if not new_text.strip():
            raise EngineError("the message is empty")
        conversation = await self.conversation(conversation_id)
        self._ensure_idle(conversation_id)
        original = await self._member(conversation_id, user_message_id)
        if original.role != "user":
            raise EngineError("only your own messages can be edited")
        user = await self.store.add_message(
            conversation_id, role="user", content=new_text, parent_id=original.parent_id
        )
        return await self._answer(conversation, user)

    async def _answer(self, conversation: Conversation, user: Message) -> Turn:
        """Decide chain or replay for an answer to `user`, commit the pending answer, start its task."""
        options = self._options(conversation)
        path = await self.store.path_to(user.id)
        parent = path[-2] if len(path) > 1 else None
        previous = parent.response_id if parent and options.store and self._chainable(parent) else None
        mode: ChainMode = "chain" if previous else "replay"
        assistant = await self.store.start_assistant(
            conversation.id, parent_id=user.id, model=options.model, mode=mode, stored=options.store
        )
        plan = TurnPlan(
            conversation_id=conversation.id,
            path=path,
            assistant_message_id=assistant.id,
            mode=mode,
            previous_response_id=previous,
            options=options,
        )
        turn = Turn(plan, store=self.store, client=self.client, clock=self._clock, flush_interval=self._flush_interval)
        self._running[conversation.id] = turn
        return turn

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every answer still streaming and wait (bounded) until each is stored as cancelled."""
        running = [turn for turn in self._running.values() if not turn.done]
        for turn in running:
            turn.cancel()
        if running:
            waits = [asyncio.ensure_future(turn.ended()) for turn in running]
            _, late = await asyncio.wait(waits, timeout=timeout)
            for wait in late:
                wait.cancel()
        self._running.clear()

    def _ensure_idle(self, conversation_id: int) -> None:
        """One answer at a time per conversation: a second would branch off a half-written turn."""
        running = self._running.get(conversation_id)
        if running is not None and not running.done:
            raise EngineError("an answer is still streaming in this conversation; wait for it or cancel it")

    def _options(self, conversation: Conversation) -> TurnOptions:
        return turn_options(
            conversation,
            model=self.settings.model,
            endpoint=self.settings.endpoint,
            tools=self.settings.tools,
            thinking=self.settings.thinking,
            effort=self.settings.effort,
            store=self.settings.store_responses,
        )

    def _chainable(self, message: Message | None) -> bool:
        """Whether a new turn after `message` can ride on its server-side response (local clock, with margin)."""
        return (
            message is not None
            and message.role == "assistant"
            and self.store.response_valid(message, self._clock() + EXPIRY_MARGIN_SECONDS)
        )

    async def _member(self, conversation_id: int, message_id: int) -> Message:
        message = await self.store.get_message(message_id)
        if message is None or message.conversation_id != conversation_id:
            raise EngineError(f"message {message_id} is not part of conversation {conversation_id}")
        return message

    # --- branches ----------------------------------------------------------------------------

    async def branches(self, conversation_id: int) -> list[Message]:
        """The last message of every branch, oldest first."""
        await self.conversation(conversation_id)
        return await self.store.branch_leaves(conversation_id)

    async def switch_branch(self, conversation_id: int, leaf_id: int) -> Conversation:
        """Move the conversation's head to the branch ending at `leaf_id` (following the newest replies)."""
        await self._member(conversation_id, leaf_id)
        return await self.store.set_head(conversation_id, await self.store.newest_leaf(leaf_id))

    async def siblings(self, message_id: int) -> list[Message]:
        """The alternatives to a message (itself included): regenerations or edits at the same point."""
        message = await self.store.get_message(message_id)
        if message is None:
            raise EngineError(f"there is no message {message_id}")
        if message.parent_id is None:
            return await self.store.roots(message.conversation_id)
        return await self.store.children(message.parent_id)

    async def branch_positions(self, conversation_id: int) -> dict[int, tuple[int, int]]:
        """Message id -> (1-based place, count) among its alternatives, for every message that has some."""
        return await self.store.sibling_counts(conversation_id)

    async def chain_state(self, conversation: int | Conversation) -> ChainState:
        """How the next turn would go: chained until `expires_at`, replayed, or a new conversation.

        Takes the conversation or its id (a caller that has just read the conversation passes it).
        """
        if isinstance(conversation, int):
            conversation = await self.conversation(conversation)
        head = None
        if conversation.head_message_id is not None:
            head = await self.store.get_message(conversation.head_message_id)
        return chain_state(head, chainable=self.settings.store_responses and self._chainable(head))

    # --- reading and managing (thin passthroughs so front ends never touch the store) --------

    async def transcript(self, conversation_id: int) -> list[Message]:
        """The messages of the current branch, root first, with usage and items."""
        await self.conversation(conversation_id)
        return await self.store.head_branch(conversation_id)

    async def get_message(self, message_id: int) -> Message | None:
        return await self.store.get_message(message_id)

    async def list_conversations(
        self, *, limit: int = 50, offset: int = 0, include_archived: bool = False
    ) -> list[Conversation]:
        return await self.store.list_conversations(limit=limit, offset=offset, include_archived=include_archived)

    async def latest_conversation(self) -> Conversation | None:
        return await self.store.latest_conversation()

    async def search(self, query: str, *, limit: int = 50, titles: bool = False) -> list[SearchHit]:
        return await self.store.search(query, limit=limit, titles=titles)

    async def rename(self, conversation_id: int, title: str) -> Conversation:
        title = " ".join(title.split())
        if not title:
            raise EngineError("the title is empty")
        return await self.store.update_conversation(conversation_id, title=title)

    async def set_pinned(self, conversation_id: int, pinned: bool) -> Conversation:
        return await self.store.update_conversation(conversation_id, pinned=pinned)

    async def set_archived(self, conversation_id: int, archived: bool) -> Conversation:
        return await self.store.update_conversation(conversation_id, archived=archived)

    async def delete(self, conversation_id: int) -> None:
        await self.store.delete_conversation(conversation_id)

    async def export_markdown(self, conversation_id: int) -> str:
        return await self.store.export_markdown(conversation_id)

    async def export_json(self, conversation_id: int) -> dict[str, Any]:
        return await self.store.export_json(conversation_id)

    async def import_json(self, data: dict[str, Any]) -> Conversation:
        return await self.store.import_json(data)

    async def conversation_usage(self, conversation_id: int) -> Usage:
        return await self.store.conversation_usage(conversation_id)
