"""Chain or replay: how a turn reaches the server, and the request body it takes.

A turn chains on the server (`previous_response_id`) when the message it answers follows an
assistant turn whose response is known, was stored, and has not expired by the local clock;
otherwise it replays the branch as an `input` array. The system prompt always travels as a
system message (the legacy endpoint ignores `instructions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tui.api.endpoints import is_legacy
from tui.api.types import ResponseRequest
from tui.chat.agent_tools import builtin_entries
from tui.store.input_items import function_items, function_outputs
from tui.store.models import ChainMode, Conversation, Message, OutputItem

#: Tools qwen3-max only runs with thinking on (DashScope docs), so asking for them turns thinking on.
_NEED_THINKING = frozenset({"web_extractor", "code_interpreter"})

#: Treat an id as expired this long before the server would, so a turn never races the deadline.
EXPIRY_MARGIN_SECONDS = 60.0


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
    store: bool = True
    #: Agent tools besides the built-in ones: MCP entries (headers read) and function declarations.
    extra_tools: tuple[dict[str, Any], ...] = ()
    knowledge_base: str | None = None


def chain_state(head: Message | None, *, chainable: bool) -> ChainState:
    """What the status line shows for a branch ending at `head` (`chainable`: its response is still valid)."""
    if head is None:
        return ChainState("new")
    if chainable:
        return ChainState("chain", head.expires_at)
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

    In chain mode only that last message is sent, on top of `previous_response_id` -- or, when the
    previous response called functions, their outputs (`answered`). A replay sends the branch and the
    function calls this turn made so far (`turn_items`).
    """
    if mode == "chain":
        if not previous_response_id:
            raise ValueError("chain mode needs a previous_response_id")
        turn_input = function_outputs(answered) or [{"role": "user", "content": message_content(path[-1], images)}]
    else:
        previous_response_id = None
        turn_input = replay_input(path, options.system_prompt, images) + function_items(turn_items)
    tools = request_tools(options.tools)
    thinking = options.thinking or (options.model.startswith("qwen3-max") and bool(_NEED_THINKING & set(tools)))
    reasoning = None
    if thinking and options.effort and not is_legacy(options.endpoint):
        reasoning = {"effort": options.effort}
    return ResponseRequest(
        model=options.model,
        input=turn_input,
        previous_response_id=previous_response_id,
        stream=True,
        store=options.store,
        tools=[*builtin_entries(tools, options.knowledge_base), *options.extra_tools] or None,
        enable_thinking=thinking,
        reasoning=reasoning,
    )


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
) -> TurnOptions:
    """Engine defaults, overridden by the conversation's own options; its system prompt is its own."""
    own = conversation.options or {}
    return TurnOptions(
        model=conversation.model or model,
        endpoint=endpoint,
        tools=tuple(own.get("tools", tools) or ()),
        thinking=bool(own.get("thinking", thinking)),
        effort=own.get("effort", effort),
        system_prompt=conversation.system_prompt,
        store=store,
    )
