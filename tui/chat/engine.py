"""`ChatEngine`: turns a person's message into a stored, streaming `Turn`; the one door to store and API.

Shared by the headless CLI and the Textual app, so it holds no UI and imports no Textual.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tui.api.client import ResponsesClient
from tui.api.errors import ApiError
from tui.api.mcp import McpTool, list_tools
from tui.catalog import Catalog, shipped_catalog
from tui.chat.agent_tools import AgentTools, builtin_entries
from tui.chat.branch_paths import BranchPaths
from tui.chat.chain import ChainState, TurnOptions, chain_state, plan_chain, turn_options
from tui.chat.cost import Cost, turn_cost
from tui.chat.cost_tally import CostTally
from tui.chat.errors import EngineError
from tui.chat.functions import Consent, FunctionLoop, FunctionRunner, function_specs
from tui.chat.images import Attachment, DataUrlCache
from tui.chat.meter import ContextMeter, meter_for
from tui.chat.turn import Turn, TurnPlan
from tui.chat.updates import RemoteCleanup
from tui.store import Store
from tui.store.export import data_url
from tui.store.models import Conversation, Message, SearchHit, Usage

log = logging.getLogger("tui.chat")
#: How long deleting a conversation waits for the server to drop each stored response (best effort).
REMOTE_DELETE_TIMEOUT = 5.0

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
    #: New conversations are private (`store: false`, always replayed) unless their own option says not.
    private: bool = False
    #: The model table (shipped, with config's overrides): windows, vision, endpoints, prices.
    catalog: Catalog = field(default_factory=shipped_catalog)
    #: The currency prices are shown in, following the region (catalog.currency).
    currency: str = "USD"
    #: MCP servers, local functions and the knowledge base from the config (see `tui.tool_config`).
    agent: AgentTools = field(default_factory=AgentTools)


#: What "summarise into a new branch" asks the model; the answer seeds the new branch.
SUMMARY_PROMPT = (
    "Summarise our conversation so far for a fresh start: the facts, decisions, open questions and anything "
    "I told you about myself, as a compact list. It will be the only context of a new branch."
)


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


def branch_usage(path: Sequence[Message]) -> Usage:
    """The usage of every answer of `path` added up (tools counted by name, in name order)."""
    total = sum((message.usage for message in path if message.usage is not None), Usage())
    total.x_tools = dict(sorted(total.x_tools.items()))
    return total


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
        self._data_urls = DataUrlCache()
        #: The branches of the conversations in use, read whole once and then only at their end.
        self._paths = BranchPaths(store)
        #: The conversations' estimated costs, summed once and then added to with each new answer.
        self._costs = CostTally(store)
        #: Asked before a local function runs (the app's dialog, `ask`'s flags); None denies every call.
        self.consent: Consent | None = None
        #: Whether "always for this conversation" answers given earlier count (`ask` asks its flags only).
        self.use_saved_approvals = True

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

    async def set_private(self, conversation_id: int, private: bool) -> Conversation:
        """Make a conversation private (`store: false`: nothing kept on the server, every turn replayed) or not."""
        return await self.set_options(conversation_id, private=private)

    def is_private(self, conversation: Conversation) -> bool:
        """Whether turns of `conversation` go with `store: false` (its own option, else the default)."""
        own = conversation.options or {}
        return not self.settings.store_responses or bool(own.get("private", self.settings.private))

    async def set_model(self, conversation_id: int, model: str) -> Conversation:
        """The model the conversation's next turns use (a conversation keeps its model otherwise)."""
        await self.conversation(conversation_id)
        return await self.store.update_conversation(conversation_id, model=model)

    # --- turns -------------------------------------------------------------------------------

    async def send(
        self,
        conversation_id: int,
        text: str,
        *,
        images: Sequence[Attachment] = (),
        discard_if_unsent: bool = False,
    ) -> Turn:
        """Commit `text` (and `images`, from `tui.chat.images.attach`) as the next user message on the
        current branch and start answering it. A model the table says cannot see images refuses them
        here, before anything is stored or sent.

        With `discard_if_unsent`, a request that fails before any of the answer arrives (bad URL,
        rejected key, unknown model, server failing after retries) leaves nothing behind: the message
        is removed again, with the conversation if it was empty, and `TurnFinished.unsent_text` gives
        it back. A failure after the answer started keeps what arrived.
        """
        if not text.strip() and not images:
            raise EngineError("the message is empty")
        conversation = await self.conversation(conversation_id)
        await self._ensure_idle(conversation_id)
        options = self._options(conversation)  # a tool that cannot be set up fails here, before anything is stored
        if images:
            self.check_vision(options.model)
        user = await self.store.add_message(
            conversation_id,
            role="user",
            content=text,
            parent_id=conversation.head_message_id,
            images=[(image.ref, image.data) for image in images],
        )
        head_before = conversation.head_message_id
        if conversation.head_message_id is None and conversation.title == DEFAULT_TITLE:
            title = title_from(text) if text.strip() else title_from(", ".join(image.name for image in images))
            conversation = await self.store.update_conversation(conversation_id, title=title)
        return await self._answer(conversation, user, discard_if_unsent, head_before, question_is_new=True)

    def api_for(self, model: str) -> Literal["responses", "chat"]:
        """The endpoint a turn on `model` goes to: "chat" (Chat Completions, always a replay; the status line
        says "chat completions") when the table says the Responses API does not serve it, else "responses"."""
        info = self.settings.catalog.lookup(model)
        return "chat" if not info.serves("responses") and info.serves("chat") else "responses"

    async def served_models(self, timeout: float = 3.0) -> list[str]:
        """The models the service says it serves (never required: an `ApiError` when it does not answer)."""
        return await self.client.list_models(timeout=timeout)

    def check_vision(self, model: str) -> None:
        """`EngineError` when the table says `model` cannot read images (a model it does not list is let through)."""
        info = self.settings.catalog.lookup(model)
        if info.known and not info.vision:
            seeing = [m.name for m in self.settings.catalog if m.vision][:3]
            raise EngineError(
                f"{model} cannot see images; switch to a vision model (e.g. {', '.join(seeing)}; 'qwen-tui models' lists them)"
            )

    async def regenerate(self, conversation_id: int, message_id: int, *, discard_if_unsent: bool = False) -> Turn:
        """A new answer to the same user message, as a sibling of `message_id` (or to it, if it is the user's).

        `discard_if_unsent`: as for `send` (the question stays; only the failed answer goes).
        """
        conversation = await self.conversation(conversation_id)
        await self._ensure_idle(conversation_id)
        message = await self._member(conversation_id, message_id)
        if message.role == "assistant":
            if message.parent_id is None:
                raise EngineError("this answer has no question to answer again")
            message = await self._member(conversation_id, message.parent_id)
        if message.role != "user":
            raise EngineError("only an answer (or a question) can be regenerated")
        return await self._answer(conversation, message, discard_if_unsent, conversation.head_message_id)

    async def edit(
        self, conversation_id: int, user_message_id: int, new_text: str, *, discard_if_unsent: bool = False
    ) -> Turn:
        """Fork: `new_text` becomes a sibling of the edited user message, and is answered on its own branch.

        `discard_if_unsent`: as for `send` (the fork is removed and the head goes back).
        """
        if not new_text.strip():
            raise EngineError("the message is empty")
        conversation = await self.conversation(conversation_id)
        await self._ensure_idle(conversation_id)
        original = await self._member(conversation_id, user_message_id)
        if original.role != "user":
            raise EngineError("only your own messages can be edited")
        user = await self.store.add_message(
            conversation_id, role="user", content=new_text, parent_id=original.parent_id
        )
        return await self._answer(
            conversation, user, discard_if_unsent, conversation.head_message_id, question_is_new=True
        )

    async def _answer(
        self,
        conversation: Conversation,
        user: Message,
        discard_if_unsent: bool = False,
        head_before: int | None = None,
        *,
        question_is_new: bool = False,
        path: list[Message] | None = None,
        store: bool | None = None,
    ) -> Turn:
        """Decide chain or replay (and which endpoint) for an answer to `user`, commit the pending answer,
        start its task. `path` overrides what is sent (the summary turn sends the whole branch)."""
        options = self._options(conversation)
        if store is not None:
            options = replace(options, store=store)
        path = path if path is not None else await self._paths.path_to(conversation.id, user.id)
        api = self.api_for(options.model)
        # Chat Completions keeps nothing on the server: those turns always replay.
        mode, previous = plan_chain(path, self._clock(), store=options.store and api == "responses")
        assistant = await self.store.start_assistant(
            conversation.id, parent_id=user.id, model=options.model, mode=mode, stored=options.store,
            api="chat" if api == "chat" else None,
        )
        plan = TurnPlan(
            conversation_id=conversation.id,
            path=path,
            assistant_message_id=assistant.id,
            mode=mode,
            previous_response_id=previous,
            options=options,
            discard_if_unsent=discard_if_unsent,
            head_before=head_before,
            question_is_new=question_is_new,
            api=api,
            model_info=options.model_info,
            images=await self._image_urls(path),
        )
        turn = Turn(
            plan,
            store=self.store,
            client=self.client,
            clock=self._clock,
            flush_interval=self._flush_interval,
            functions=self._function_loop(conversation),
        )
        self._running[conversation.id] = turn
        return turn

    async def _image_urls(self, path: Sequence[Message]) -> dict[int, list[str]]:
        """The URLs of every image on `path`: stored files as base64 data URLs, encoded in a worker thread."""
        urls: dict[int, list[str]] = {}
        for message in path:
            for image in message.images:
                if image.url:
                    urls.setdefault(message.id, []).append(image.url)
                    continue
                sha = image.sha256 or ""
                url = self._data_urls.get(sha)
                if url is None:
                    data = await self.store.image_data(sha)
                    if data is None:
                        raise EngineError(f"the image {image.name} is missing from the database")
                    url = await asyncio.to_thread(data_url, image.mime, data)
                    self._data_urls.put(sha, url)
                urls.setdefault(message.id, []).append(url)
        return urls

    async def summarise(self, conversation_id: int) -> Turn:
        """Ask the model to summarise the current branch and start a new branch seeded with that summary.

        The new branch is a new root (the summary request, then the answer streaming into it); the old
        branch stays as it was and `switch_branch` goes back to it. The summary turn is sent with the
        whole branch but not stored server-side, so later turns replay the summary instead of chaining
        on the old context.
        """
        conversation = await self.conversation(conversation_id)
        await self._ensure_idle(conversation_id)
        branch = await self.store.head_branch(conversation_id)
        if not any(message.content for message in branch):
            raise EngineError("there is nothing to summarise yet")
        prompt = await self.store.add_message(conversation_id, role="user", content=SUMMARY_PROMPT, parent_id=None)
        return await self._answer(conversation, prompt, path=[*branch, prompt], store=False)

    async def context_meter(self, conversation_id: int) -> ContextMeter | None:
        """How full the model's window is after the branch's last answer that reported usage (None: no answer yet)."""
        conversation = await self.conversation(conversation_id)
        for message in reversed(await self._head_path(conversation)):
            if message.role == "assistant" and message.usage is not None:
                model = message.model or conversation.model
                return meter_for(message.usage, model, self.settings.catalog.lookup(model).context_window)
        return None

    def turn_cost(self, message: Message) -> Cost:
        """The estimated cost of one answer, in the region's currency."""
        return turn_cost(message.usage, message.model, self.settings.catalog, self.settings.currency)

    async def conversation_cost(self, conversation_id: int) -> Cost:
        """The estimated cost of every answer of the conversation, on every branch (all of them were paid for)."""
        await self.conversation(conversation_id)
        return await self._costs.cost(conversation_id, self.settings.catalog, self.settings.currency)

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

    async def _ensure_idle(self, conversation_id: int) -> None:
        """One answer at a time per conversation, across processes: a second would follow (and replay as
        context) a half-written turn."""
        running = self._running.get(conversation_id)
        if running is not None and not running.done:
            raise EngineError("an answer is still streaming in this conversation; wait for it or cancel it")
        writer = await self.store.streaming_elsewhere(conversation_id)
        if writer is not None:
            raise EngineError(
                f"an answer is still streaming into this conversation in another qwen-tui (process {writer}); "
                "wait for it to finish, or start a new conversation"
            )

    def _options(self, conversation: Conversation) -> TurnOptions:
        options = turn_options(
            conversation,
            model=self.settings.model,
            endpoint=self.settings.endpoint,
            tools=self.settings.tools,
            thinking=self.settings.thinking,
            effort=self.settings.effort,
            store=self.settings.store_responses,
            private=self.settings.private,
            models=self.settings.catalog,
        )
        agent = self.settings.agent
        builtin_entries(options.tools, agent.knowledge_base)  # file_search without a knowledge base fails here
        loop = self._function_loop(conversation)
        extra = agent.mcp_entries(self.mcp_enabled(conversation)) + (loop.declarations() if loop else [])
        return replace(options, extra_tools=tuple(extra), knowledge_base=agent.knowledge_base)

    # --- agent tools (MCP servers, local functions) ------------------------------------------

    def mcp_servers(self) -> list[str]:
        """Labels of the MCP servers the config lists (what F2 / the palette can turn on)."""
        return [server.label for server in self.settings.agent.mcp]

    def local_tools(self) -> list[str]:
        """Names of the local functions that exist: the built-in ones, then the config's."""
        return list(function_specs(self.settings.agent.functions))

    async def mcp_tools(self, label: str) -> list[McpTool]:
        """What an MCP server offers, asked of the server itself (DashScope lists nothing); `McpError` if it fails."""
        agent = self.settings.agent
        server = agent.server(label)
        return await list_tools(server.url, server.protocol, agent.headers(server))

    def mcp_enabled(self, conversation: Conversation) -> list[str]:
        """Labels of the MCP servers this conversation sends (its "mcp" option; none by default)."""
        return [str(label) for label in conversation.options.get("mcp") or []]

    def functions_enabled(self, conversation: Conversation) -> list[str]:
        """Local functions this conversation offers the model (its "functions" option, else the config's)."""
        chosen = conversation.options.get("functions")
        names = self.settings.agent.local_tools if chosen is None else chosen
        return [str(name) for name in names]

    async def set_mcp(self, conversation_id: int, labels: list[str]) -> Conversation:
        """Turn MCP servers on for a conversation (by label; an unknown label is an EngineError)."""
        for label in labels:
            self.settings.agent.server(label)
        return await self.set_options(conversation_id, mcp=list(dict.fromkeys(labels)))

    async def set_functions(self, conversation_id: int, names: list[str]) -> Conversation:
        """Offer these local functions to the model in a conversation (each call still asks consent)."""
        known = function_specs(self.settings.agent.functions)
        unknown = [name for name in names if name not in known]
        if unknown:
            raise EngineError(f"there is no local tool {unknown[0]!r} (known: {', '.join(known)})")
        return await self.set_options(conversation_id, functions=list(dict.fromkeys(names)))

    def _function_loop(self, conversation: Conversation) -> FunctionLoop | None:
        """The functions a turn of `conversation` may call, or None when none is on (nothing runs)."""
        names = self.functions_enabled(conversation)
        if not names:
            return None
        agent = self.settings.agent
        specs = function_specs(agent.functions)
        chosen = {name: specs[name] for name in names if name in specs}
        if not chosen:
            return None
        conversation_id = conversation.id

        async def remember(name: str) -> None:
            current = await self.conversation(conversation_id)
            allowed = list(dict.fromkeys([*current.options.get("allowed_functions", []), name]))
            await self.set_options(conversation_id, allowed_functions=allowed)

        return FunctionLoop(
            conversation_id,
            chosen,
            FunctionRunner(Path(agent.root or "."), hidden_env=agent.hidden_env()),
            self.consent,
            approved=set(conversation.options.get("allowed_functions") or []) if self.use_saved_approvals else set(),
            remember=remember,
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
        path = await self._head_path(conversation)
        return chain_state(path, self._clock(), store=not self.is_private(conversation))

    async def _head_path(self, conversation: Conversation) -> list[Message]:
        """The conversation's current branch, root first (kept between turns: see `BranchPaths`)."""
        if conversation.head_message_id is None:
            return []
        return await self._paths.path_to(conversation.id, conversation.head_message_id)

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

    async def draft(self, conversation_id: int | None) -> str:
        """The unsent text kept for a conversation (None: the new one)."""
        return await self.store.draft(conversation_id)

    async def save_draft(self, conversation_id: int | None, text: str) -> None:
        """Keep the unsent text of a conversation across restarts (blank forgets it)."""
        await self.store.set_draft(conversation_id, text)

    async def data_version(self) -> int:
        """Changes when another process wrote to the database (see `Store.data_version`)."""
        return await self.store.data_version()

    async def delete(self, conversation_id: int, *, remote: bool = True) -> RemoteCleanup:
        """Delete a conversation here, then (best effort) its responses stored on the server.

        The local delete never waits on the server and never fails because of it; the returned
        `RemoteCleanup` says what happened there, for the front end to report. Refused while an
        answer streams into it, here or in another process.
        """
        running = self._running.get(conversation_id)
        if running is not None and not running.done:
            raise EngineError("an answer is still streaming into this conversation; stop it first, then delete")
        messages = await self.store.conversation_messages(conversation_id)
        stored = [m.response_id for m in messages if m.response_id and m.stored and m.api != "chat"]
        await self.store.delete_conversation(conversation_id)
        self._paths.forget(conversation_id)
        self._costs.forget(conversation_id)
        if not remote or not stored:
            return RemoteCleanup()
        return await self._delete_remote(stored)

    async def _delete_remote(self, response_ids: list[str]) -> RemoteCleanup:
        deleted = gone = 0
        for done, response_id in enumerate(response_ids):
            try:
                async with asyncio.timeout(REMOTE_DELETE_TIMEOUT):
                    if await self.client.delete_response(response_id):
                        deleted += 1
                    else:
                        gone += 1
            except (ApiError, TimeoutError) as exc:
                # One failure is enough to report: the server (or the way to it) is not answering.
                log.info("could not delete stored response %s: %s", response_id, exc)
                why = " ".join(str(exc).split()) or f"no reply within {REMOTE_DELETE_TIMEOUT:g} s"
                return RemoteCleanup(deleted, gone, len(response_ids) - done, why)
        return RemoteCleanup(deleted, gone)

    async def export_markdown(self, conversation_id: int, image_links: dict[str, str] | None = None) -> str:
        """The head branch as Markdown; `image_links` (sha256 -> relative path) links images written beside it."""
        return await self.store.export_markdown(conversation_id, image_links)

    async def usage_rows(self, since: float | None = None) -> list[tuple[float, str | None, Usage]]:
        """(created_at, model, usage) of every stored answer with usage since `since`, for `qwen-tui usage`."""
        return await self.store.usage_rows(since)

    async def image_data(self, sha256: str) -> bytes | None:
        """The bytes of a stored image (for writing it out beside an export, or showing it)."""
        return await self.store.image_data(sha256)

    async def export_json(self, conversation_id: int) -> dict[str, Any]:
        return await self.store.export_json(conversation_id)

    async def import_json(self, data: dict[str, Any]) -> Conversation:
        return await self.store.import_json(data)

    async def conversation_usage(self, conversation_id: int) -> Usage:
        """Token usage summed over the current branch (as `Store.conversation_usage`, from the kept branch:
        summed in SQL it walked the branch each turn, 1.2 ms at 500 turns)."""
        return branch_usage(await self._head_path(await self.conversation(conversation_id)))
