"""Chain or replay: how a turn reaches the server, and the request body it takes.

The one room for the policy "do we chain?": the server keeps a stored response for
`RESPONSE_TTL_SECONDS`; a turn chains (`previous_response_id`) on the branch's last *completed*
answer when that answer was stored, and its expiry (computed once, when the response is created,
by `expiry()`) is still more than `EXPIRY_MARGIN_SECONDS` away by the local clock. Only what the
server lacks is sent on top of it: the user messages since (after a failed or cancelled turn,
more than one). Otherwise the branch is replayed as an `input` array; a private conversation
(`store: false`) always is. The system prompt always travels as a system message (the legacy
endpoint ignores `instructions`).

Thinking and effort follow the model table (`tui.catalog`), never a name prefix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tui.api.endpoints import is_legacy
from tui.api.types import ResponseRequest
from tui.catalog import ModelInfo, shipped_catalog
from tui.chat.agent_tools import builtin_entries
from tui.store.input_items import function_items, function_outputs
from tui.store.models import ChainMode, Conversation, Message, OutputItem

#: How long the server keeps a stored response for `previous_response_id` (DashScope: 7 days).
RESPONSE_TTL_SECONDS = 7 * 24 * 3600
#: Treat an id as expired this long before the server would, so a turn never races the deadline.
EXPIRY_MARGIN_SECONDS = 60.0


def expiry(created_at: float) -> float:
    """When a response created at `created_at` (local clock) stops being usable for chaining."""
    return created_at + RESPONSE_TTL_SECONDS


def chainable(message: Message | None, now: float) -> bool:
    """Whether a turn after `message` can ride on its server-side response: a complete, stored answer
    whose id is known and does not expire within the margin."""
    return bool(
        message is not None
        and message.role == "assistant"
        and message.api != "chat"  # a chat completion id is no previous_response_id
        and message.response_id
        and message.stored
        and message.status == "complete"
        and message.expires_at is not None
        and message.expires_at > now + EXPIRY_MARGIN_SECONDS
    )


@dataclass(frozen=True, slots=True)
class ChainState:
    """How the next turn of a conversation would go: chained (until `expires_at`), replayed, or new."""

    mode: Literal["chain", "replay", "new"]
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class TurnOptions:
    """Everything besides the transcript that shapes a request: engine defaults overridden per conversation."""

    model: str
    endpoint: str
    tools: tuple[str, ...] = ()
    thinking: bool = False
    effort: str | None = None
    system_prompt: str | None = None
    #: False for a private conversation: the server keeps nothing, so the turn is never chained.
    store: bool = True
    #: Agent tools besides the built-in ones: MCP entries (headers read) and function declarations.
    extra_tools: tuple[dict[str, Any], ...] = ()
    knowledge_base: str | None = None
    #: The model's row in the table (None: looked up in the shipped table).
    info: ModelInfo | None = None

    @property
    def model_info(self) -> ModelInfo:
        return self.info or shipped_catalog().lookup(self.model)


def last_answer(path: Sequence[Message]) -> Message | None:
    """The last completed assistant message of `path`: what the server's context ends with."""
    return next((m for m in reversed(path) if m.role == "assistant" and m.status == "complete"), None)


def plan_chain(path: Sequence[Message], now: float, *, store: bool) -> tuple[ChainMode, str | None]:
    """Chain or replay for a turn answering the last message of `path`, and the id to chain on."""
    anchor = last_answer(path[:-1])
    if store and chainable(anchor, now):
        assert anchor is not None
        return "chain", anchor.response_id
    return "replay", None


def chain_state(path: Sequence[Message], now: float, *, store: bool) -> ChainState:
    """What the status line shows for a branch `path` (root..head): how a next turn would go."""
    if not path:
        return ChainState("new")
    anchor = last_answer(path)
    if store and chainable(anchor, now):
        assert anchor is not None
        return ChainState("chain", anchor.expires_at)
    return ChainState("replay")


#: Message id -> the URLs (http(s) or base64 data URLs) of its images, in order.
ImageUrls = Mapping[int, Sequence[str]]


def message_content(message: Message, images: ImageUrls | None) -> str | list[dict[str, Any]]:
    """A message's `content`: its text, or (with images) `input_image` parts followed by an `input_text` part."""
    urls = (images or {}).get(message.id)
    if not urls:
        return message.content
    parts: list[dict[str, Any]] = [{"type": "input_image", "image_url": url} for url in urls]
    if message.content:
        parts.append({"type": "input_text", "text": message.content})
    return parts


def replay_input(
    path: Sequence[Message], system_prompt: str | None, images: ImageUrls | None = None
) -> list[dict[str, Any]]:
    """The branch as an `input` array: system prompt first, then every message with text or images, in order."""
    items: list[dict[str, Any]] = []
    if system_prompt and system_prompt.strip():
        items.append({"role": "system", "content": system_prompt})
    for message in path:
        items += function_items(message.items)
        if message.content or (images or {}).get(message.id):
            items.append({"role": message.role, "content": message_content(message, images)})
    return items


def build_request(
    options: TurnOptions,
    path: Sequence[Message],
    *,
    mode: ChainMode,
    previous_response_id: str | None = None,
    images: ImageUrls | None = None,
    turn_items: Sequence[OutputItem] = (),
    answered: Sequence[OutputItem] = (),
) -> ResponseRequest:
    """The streaming request for a turn answering the last message of `path` (root..user message).

    In chain mode only what the server lacks is sent on top of `previous_response_id`: the user
    messages after the answer it names (one, unless turns since failed or were cancelled) -- or,
    when the previous response called functions, their outputs (`answered`). A replay sends the
    branch and the function calls this turn made so far (`turn_items`).
    """
    if mode == "chain":
        if not previous_response_id:
            raise ValueError("chain mode needs a previous_response_id")
        turn_input = function_outputs(answered) or chain_input(path, previous_response_id, images)
    else:
        previous_response_id = None
        turn_input = replay_input(path, options.system_prompt, images) + function_items(turn_items)
    tools = request_tools(options.tools)
    enable_thinking, reasoning = thinking_fields(options, tools)
    return ResponseRequest(
        model=options.model,
        input=turn_input,
        previous_response_id=previous_response_id,
        stream=True,
        store=options.store,
        tools=[*builtin_entries(tools, options.knowledge_base), *options.extra_tools] or None,
        enable_thinking=enable_thinking,
        reasoning=reasoning,
    )


def chain_input(
    path: Sequence[Message], previous_response_id: str, images: ImageUrls | None = None
) -> list[dict[str, Any]]:
    """The user messages of `path` after the answer whose response is `previous_response_id`."""
    start = next((i + 1 for i in range(len(path) - 1, -1, -1) if path[i].response_id == previous_response_id), len(path) - 1)
    since = [m for m in path[start:] if m.role == "user" and (m.content or (images or {}).get(m.id))] or [path[-1]]
    return [{"role": "user", "content": message_content(m, images)} for m in since]


def thinking_fields(options: TurnOptions, tools: Sequence[str]) -> tuple[bool | None, dict[str, Any] | None]:
    """`enable_thinking` and `reasoning` for a request, as the model table says (B4-B6).

    Thinking is on when asked for, when the model always thinks, or when a requested tool needs
    it on this model. On the new path an effort goes as `reasoning.effort` with no
    `enable_thinking` (the service drops that flag in favour of effort); thinking off goes as the
    table says turns it off (`reasoning.effort = "none"` on current models). The legacy path takes
    only `enable_thinking`.
    """
    info = options.model_info
    effort = options.effort
    wanted = (options.thinking and effort != "none") or bool(info.tools_need_thinking & set(tools))
    thinking = info.thinking == "always" or (info.thinking != "never" and wanted)
    if is_legacy(options.endpoint):
        return thinking, None
    if not thinking:
        if info.thinking == "hybrid" and info.thinking_off == "effort_none" and "none" in info.efforts:
            return None, {"effort": "none"}
        return (False if info.thinking == "hybrid" else None), None
    if effort and effort != "none" and (not info.known or effort in info.efforts):
        return None, {"effort": effort}
    return (None if info.thinking == "always" else True), None


def request_tools(tools: Sequence[str]) -> list[str]:
    """The tools to send: DashScope's web_extractor only works alongside web_search, so it brings it along."""
    chosen = list(dict.fromkeys(tools))
    if "web_extractor" in chosen and "web_search" not in chosen:
        chosen.insert(chosen.index("web_extractor"), "web_search")
    return chosen


def turn_options(
    conversation: Conversation,
    *,
    model: str,
    endpoint: str,
    tools: Sequence[str],
    thinking: bool,
    effort: str | None,
    store: bool,
    private: bool = False,
    models: Any = None,
) -> TurnOptions:
    """Engine defaults, overridden by the conversation's own options; its system prompt is its own.

    A conversation is private (`store: false`) if its own `private` option says so, else by the
    default `private`; `store=False` (the engine's) makes every conversation private. `models` is
    the model table (a `tui.catalog.Catalog`; None: the shipped one).
    """
    own = conversation.options or {}
    name = conversation.model or model
    catalog = models if models is not None else shipped_catalog()
    return TurnOptions(
        model=name,
        endpoint=endpoint,
        tools=tuple(own.get("tools", tools) or ()),
        thinking=bool(own.get("thinking", thinking)),
        effort=own.get("effort", effort),
        system_prompt=conversation.system_prompt,
        store=store and not bool(own.get("private", private)),
        info=catalog.lookup(name),
    )
