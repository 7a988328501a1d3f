"""Pydantic models of the Responses API wire: requests, responses, output items, usage, stream events.

Lenient where DashScope is (missing ids, statuses, indexes), strict about `type`: every union is
discriminated on it, and a type this module does not know becomes `UnknownItem`/`UnknownEvent`
keeping all its fields, so a new server event never breaks a stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from tui.api.errors import ProtocolError

_UNKNOWN = "__unknown__"


def _open_union(union: Any) -> Any:
    """`union` (its last member the catch-all) discriminated on `type`; unknown types go to the catch-all.

    A missing or non-string `type` is an error. Type checkers see the plain union instead.
    """
    *models, fallback = get_args(union)
    known: dict[str, type[BaseModel]] = {}
    for model in models:
        for tag in get_args(model.model_fields["type"].annotation):
            known[tag] = model

    def pick(value: Any) -> str | None:
        tag = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        if not isinstance(tag, str):
            return None
        return tag if tag in known else _UNKNOWN

    members = [Annotated[model, Tag(tag)] for tag, model in known.items()]
    members.append(Annotated[fallback, Tag(_UNKNOWN)])
    # Union over a list built at run time: there is no `X | Y` spelling for it.
    return Annotated[Union[tuple(members)], Discriminator(pick)]  # noqa: UP007


class _Wire(BaseModel):
    """Base of wire objects that keep fields this module does not model (so nothing is lost)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class _Unknown(_Wire):
    """Catch-all for a `type` this module does not know; every field is kept as extra."""

    type: str


# --- usage -----------------------------------------------------------------------------------


class InputTokensDetails(_Wire):
    cached_tokens: int = 0


class OutputTokensDetails(_Wire):
    reasoning_tokens: int = 0


class ToolUsage(_Wire):
    """One entry of DashScope `usage.x_tools`, e.g. `{"web_search": {"count": 1}}`."""

    count: int = 0


class Usage(_Wire):
    """Token usage of a response, with DashScope's per-tool call counts in `x_tools`."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: InputTokensDetails | None = None
    output_tokens_details: OutputTokensDetails | None = None
    x_tools: dict[str, ToolUsage] | None = None

    @property
    def cached_tokens(self) -> int:
        return self.input_tokens_details.cached_tokens if self.input_tokens_details else 0

    @property
    def reasoning_tokens(self) -> int:
        return self.output_tokens_details.reasoning_tokens if self.output_tokens_details else 0


# --- content parts -----------------------------------------------------------------------------


class OutputTextPart(_Wire):
    type: Literal["output_text"] = "output_text"
    text: str = ""
    annotations: list[Any] = Field(default_factory=list)
    logprobs: list[Any] | None = None


class RefusalPart(_Wire):
    type: Literal["refusal"] = "refusal"
    refusal: str = ""


class ReasoningTextPart(_Wire):
    type: Literal["reasoning_text"] = "reasoning_text"
    text: str = ""


class SummaryTextPart(_Wire):
    type: Literal["summary_text"] = "summary_text"
    text: str = ""


class UnknownPart(_Unknown):
    """A content part of a type this module does not know (e.g. DashScope's `{"type": "text"}`)."""


ContentPart = OutputTextPart | RefusalPart | ReasoningTextPart | UnknownPart
if not TYPE_CHECKING:
    ContentPart = _open_union(ContentPart)


# --- output items ------------------------------------------------------------------------------


class MessageItem(_Wire):
    """An assistant message; its text is the concatenation of its `output_text` parts."""

    type: Literal["message"] = "message"
    id: str | None = None
    role: str = "assistant"
    status: str | None = None
    content: list[ContentPart] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.content if isinstance(p, OutputTextPart))


class ReasoningItem(_Wire):
    """Thinking of the model; DashScope sends `summary` only and no `status`."""

    type: Literal["reasoning"] = "reasoning"
    id: str | None = None
    summary: list[SummaryTextPart] = Field(default_factory=list)
    content: list[ReasoningTextPart] | None = None
    encrypted_content: str | None = None
    status: str | None = None

    @property
    def summary_text(self) -> str:
        return "".join(p.text for p in self.summary)


class FunctionCallItem(_Wire):
    type: Literal["function_call"] = "function_call"
    id: str | None = None
    call_id: str = ""
    name: str = ""
    arguments: str = ""
    status: str | None = None


class WebSource(_Wire):
    type: str = "url"
    url: str = ""


class WebSearchAction(_Wire):
    """`search` (query/queries/sources), `open_page` (url) or `find_in_page` (pattern, url)."""

    type: str = "search"
    query: str | None = None
    queries: list[str] | None = None
    sources: list[WebSource] | None = None
    url: str | None = None
    pattern: str | None = None


class WebSearchCallItem(_Wire):
    type: Literal["web_search_call"] = "web_search_call"
    id: str | None = None
    status: str | None = None
    action: WebSearchAction | None = None


class WebExtractorCallItem(_Wire):
    """DashScope-only: pages fetched for a goal, with a text summary in `output`."""

    type: Literal["web_extractor_call"] = "web_extractor_call"
    id: str | None = None
    status: str | None = None
    goal: str | None = None
    urls: list[str] = Field(default_factory=list)
    output: str | None = None


class LogsOutput(_Wire):
    type: Literal["logs"] = "logs"
    logs: str = ""


class ImageOutput(_Wire):
    type: Literal["image"] = "image"
    url: str = ""


class UnknownCodeOutput(_Unknown):
    """A code-interpreter output of a type this module does not know."""


CodeOutput = LogsOutput | ImageOutput | UnknownCodeOutput
if not TYPE_CHECKING:
    CodeOutput = _open_union(CodeOutput)


class CodeInterpreterCallItem(_Wire):
    type: Literal["code_interpreter_call"] = "code_interpreter_call"
    id: str | None = None
    status: str | None = None
    code: str | None = None
    outputs: list[CodeOutput] | None = None
    container_id: str | None = None


class UnknownItem(_Unknown):
    """An output item of a type this module does not know (mcp_call, image_search_call, ...)."""

    id: str | None = None
    status: str | None = None


OutputItem = (
    MessageItem
    | ReasoningItem
    | FunctionCallItem
    | WebSearchCallItem
    | WebExtractorCallItem
    | CodeInterpreterCallItem
    | UnknownItem
)
if not TYPE_CHECKING:
    OutputItem = _open_union(OutputItem)


# --- request and response ----------------------------------------------------------------------


class ResponseRequest(_Wire):
    """Body of `POST /responses`; unknown keys are sent as given (DashScope ignores what it lacks)."""

    model: str
    input: str | list[Any]
    previous_response_id: str | None = None
    instructions: str | None = None
    stream: bool | None = None
    store: bool | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    enable_thinking: bool | None = None
    reasoning: dict[str, Any] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    metadata: dict[str, Any] | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send, without the fields left unset (None)."""
        return self.model_dump(mode="json", exclude_none=True)


class ResponseError(_Wire):
    """`Response.error` when generation failed."""

    code: str | None = None
    message: str = ""


class Response(_Wire):
    """A response object, as returned by `create()` and carried by `response.*` lifecycle events.

    `id` may be missing on a terminal event: DashScope's refusal of a streamed request never became a response (B3).
    """

    id: str | None = None
    object: str = "response"
    created_at: float | None = None
    model: str | None = None
    status: str | None = None
    output: list[OutputItem] = Field(default_factory=list)
    usage: Usage | None = None
    error: ResponseError | None = None
    incomplete_details: dict[str, Any] | None = None
    previous_response_id: str | None = None
    instructions: Any = None
    metadata: dict[str, Any] | None = None

    @property
    def output_text(self) -> str:
        """All assistant message text of the output, in order (like the OpenAI SDK's shortcut)."""
        return "".join(item.text for item in self.output if isinstance(item, MessageItem))


# --- stream events -----------------------------------------------------------------------------


class _Event(BaseModel):
    """Base of stream events. Fields they do not model are ignored (keeps the hot path cheap)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    sequence_number: int | None = None


class _ResponseEvent(_Event):
    response: Response


class ResponseCreatedEvent(_ResponseEvent):
    type: Literal["response.created"]


class ResponseInProgressEvent(_ResponseEvent):
    type: Literal["response.in_progress"]


class ResponseQueuedEvent(_ResponseEvent):
    type: Literal["response.queued"]


class ResponseCompletedEvent(_ResponseEvent):
    type: Literal["response.completed"]


class ResponseFailedEvent(_ResponseEvent):
    type: Literal["response.failed"]


class ResponseIncompleteEvent(_ResponseEvent):
    type: Literal["response.incomplete"]


class _ItemEvent(_Event):
    output_index: int = 0
    item: OutputItem


class OutputItemAddedEvent(_ItemEvent):
    type: Literal["response.output_item.added"]


class OutputItemDoneEvent(_ItemEvent):
    type: Literal["response.output_item.done"]


class _ContentEvent(_Event):
    """Events addressing one content part; DashScope sometimes omits item_id/content_index."""

    item_id: str | None = None
    output_index: int = 0
    content_index: int = 0


class ContentPartAddedEvent(_ContentEvent):
    type: Literal["response.content_part.added"]
    part: ContentPart


class ContentPartDoneEvent(_ContentEvent):
    type: Literal["response.content_part.done"]
    part: ContentPart


class OutputTextDeltaEvent(_ContentEvent):
    type: Literal["response.output_text.delta"]
    delta: str
    logprobs: list[Any] | None = None


class OutputTextDoneEvent(_ContentEvent):
    type: Literal["response.output_text.done"]
    text: str = ""
    logprobs: list[Any] | None = None


class OutputTextAnnotationAddedEvent(_ContentEvent):
    type: Literal["response.output_text.annotation.added"]
    annotation_index: int = 0
    annotation: Any = None


class RefusalDeltaEvent(_ContentEvent):
    type: Literal["response.refusal.delta"]
    delta: str


class RefusalDoneEvent(_ContentEvent):
    type: Literal["response.refusal.done"]
    refusal: str = ""


class _SummaryEvent(_Event):
    item_id: str | None = None
    output_index: int = 0
    summary_index: int = 0


class ReasoningSummaryPartAddedEvent(_SummaryEvent):
    type: Literal["response.reasoning_summary_part.added"]
    part: SummaryTextPart = Field(default_factory=SummaryTextPart)


class ReasoningSummaryPartDoneEvent(_SummaryEvent):
    type: Literal["response.reasoning_summary_part.done"]
    part: SummaryTextPart = Field(default_factory=SummaryTextPart)


class ReasoningSummaryTextDeltaEvent(_SummaryEvent):
    type: Literal["response.reasoning_summary_text.delta"]
    delta: str


class ReasoningSummaryTextDoneEvent(_SummaryEvent):
    type: Literal["response.reasoning_summary_text.done"]
    text: str = ""


class ReasoningTextDeltaEvent(_ContentEvent):
    type: Literal["response.reasoning_text.delta"]
    delta: str


class ReasoningTextDoneEvent(_ContentEvent):
    type: Literal["response.reasoning_text.done"]
    text: str = ""


class _ToolEvent(_Event):
    item_id: str | None = None
    output_index: int = 0


class FunctionCallArgumentsDeltaEvent(_ToolEvent):
    type: Literal["response.function_call_arguments.delta"]
    delta: str


class FunctionCallArgumentsDoneEvent(_ToolEvent):
    type: Literal["response.function_call_arguments.done"]
    arguments: str = ""
    name: str | None = None


class WebSearchCallInProgressEvent(_ToolEvent):
    type: Literal["response.web_search_call.in_progress"]


class WebSearchCallSearchingEvent(_ToolEvent):
    type: Literal["response.web_search_call.searching"]


class WebSearchCallCompletedEvent(_ToolEvent):
    type: Literal["response.web_search_call.completed"]


class CodeInterpreterCallInProgressEvent(_ToolEvent):
    type: Literal["response.code_interpreter_call.in_progress"]


class CodeInterpreterCallInterpretingEvent(_ToolEvent):
    type: Literal["response.code_interpreter_call.interpreting"]


class CodeInterpreterCallCompletedEvent(_ToolEvent):
    type: Literal["response.code_interpreter_call.completed"]


class CodeInterpreterCallCodeDeltaEvent(_ToolEvent):
    type: Literal["response.code_interpreter_call_code.delta"]
    delta: str


class CodeInterpreterCallCodeDoneEvent(_ToolEvent):
    type: Literal["response.code_interpreter_call_code.done"]
    code: str = ""


class ErrorEvent(_Event):
    """`error` event: OpenAI's flat shape, or Open Responses' nested `error` object (lifted here)."""

    type: Literal["error"]
    code: str | None = None
    message: str = ""
    param: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _lift_nested(cls, data: Any) -> Any:
        """Take code/message/param from a nested `error` object; accept numbers where text is expected."""
        if not isinstance(data, dict):
            return data
        error = data.get("error")
        nested: dict[str, Any] = error if isinstance(error, dict) else {}
        merged = {key: data.get(key) or nested.get(key) for key in ("code", "message", "param")}
        return {
            **data,
            "code": None if merged["code"] is None else str(merged["code"]),
            "message": str(merged["message"] or ""),
            "param": None if merged["param"] is None else str(merged["param"]),
        }


class UnknownEvent(_Unknown):
    """A stream event of a type this module does not know; all its fields are kept."""

    sequence_number: int | None = None


StreamEvent = (
    ResponseCreatedEvent
    | ResponseInProgressEvent
    | ResponseQueuedEvent
    | ResponseCompletedEvent
    | ResponseFailedEvent
    | ResponseIncompleteEvent
    | OutputItemAddedEvent
    | OutputItemDoneEvent
    | ContentPartAddedEvent
    | ContentPartDoneEvent
    | OutputTextDeltaEvent
    | OutputTextDoneEvent
    | OutputTextAnnotationAddedEvent
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | ReasoningSummaryPartAddedEvent
    | ReasoningSummaryPartDoneEvent
    | ReasoningSummaryTextDeltaEvent
    | ReasoningSummaryTextDoneEvent
    | ReasoningTextDeltaEvent
    | ReasoningTextDoneEvent
    | FunctionCallArgumentsDeltaEvent
    | FunctionCallArgumentsDoneEvent
    | WebSearchCallInProgressEvent
    | WebSearchCallSearchingEvent
    | WebSearchCallCompletedEvent
    | CodeInterpreterCallInProgressEvent
    | CodeInterpreterCallInterpretingEvent
    | CodeInterpreterCallCompletedEvent
    | CodeInterpreterCallCodeDeltaEvent
    | CodeInterpreterCallCodeDoneEvent
    | ErrorEvent
    | UnknownEvent
)
#: The event models this module knows (all but the catch-all).
EVENT_MODELS: tuple[type[BaseModel], ...] = get_args(StreamEvent)[:-1]
if not TYPE_CHECKING:
    StreamEvent = _open_union(StreamEvent)

#: Event `type` -> its model; the `type` of an event that ends a response stream.
EVENT_TYPES: dict[str, type[BaseModel]] = {
    get_args(model.model_fields["type"].annotation)[0]: model for model in EVENT_MODELS
}
TERMINAL_EVENT_TYPES = frozenset({"response.completed", "response.failed", "response.incomplete"})

#: Built on first use (`defer_build`), like the models: most streams only need a few event types.
_STREAM_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent, config=ConfigDict(defer_build=True))


def parse_event(data: str | bytes, type_hint: str | None = None) -> StreamEvent:
    """Parse one SSE `data` payload into a typed `StreamEvent` (unknown types -> `UnknownEvent`).

    `type_hint` (the SSE `event:` field) picks the model directly, skipping the union; the model
    still checks the body's own `type`, and on mismatch the full union decides. Raises
    `ProtocolError` for non-JSON, a missing `type`, or a known type with an invalid shape.
    """
    model = EVENT_TYPES.get(type_hint) if type_hint else None
    if model is not None:
        try:
            return model.model_validate_json(data)  # type: ignore[return-value]
        except ValidationError:
            pass  # the hint lied or the body is bad: let the union report it precisely
    try:
        event: StreamEvent = _STREAM_EVENT.validate_json(data)
    except ValidationError as exc:
        raise ProtocolError(_describe(exc, data)) from None
    return event


def _describe(exc: ValidationError, data: str | bytes) -> str:
    """One line saying what was wrong with an event payload, with a short excerpt of it."""
    error = exc.errors(include_url=False)[0]
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    excerpt = text if len(text) <= 80 else text[:77] + "..."
    if error["type"] == "json_invalid":
        return f"malformed event data (not JSON): {excerpt!r}"
    if error["type"] in ("union_tag_not_found", "union_tag_invalid", "model_type", "dict_type"):
        return f"event without a type: {excerpt!r}"
    where = ".".join(str(p) for p in error["loc"])
    return f"invalid event ({where}: {error['msg']}): {excerpt!r}"
