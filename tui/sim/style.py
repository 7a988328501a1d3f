"""How the simulator speaks: like the live DashScope service (default) or like OpenAI's Responses API.

The two differ in error bodies, error codes, where a streamed request's error goes, response ids
and the spelling of reasoning events (shared/notes/live-service-audit.md, B1-B3 and B9). The
client must work with both: vLLM, Ollama and OpenAI itself answer in the OpenAI style.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

Style = Literal["live", "openai"]
STYLES: tuple[Style, ...] = ("live", "openai")
DEFAULT_STYLE: Style = "live"

#: The session-cache request header of DashScope (DS-ZH); only the live style honours it.
SESSION_CACHE_HEADER = b"x-dashscope-session-cache"
#: The live service caches only a prefix of at least this many tokens (DS-ZH).
SESSION_CACHE_MIN_TOKENS = 1024

_DOCS = "https://www.alibabacloud.com/help/en/model-studio/error-code"


@dataclass(frozen=True)
class ErrorKind:
    """One documented error: its HTTP status, the live service's code, OpenAI's code and type, and its text.

    `in_stream`: whether the live service reports it on a streamed request as HTTP 200 plus a first
    `response.failed` event (request checks the model service makes); gateway refusals (key, rate
    limit, quota, server failure) keep their HTTP status either way.
    """

    status: int
    live_code: str
    openai_code: str
    openai_type: str
    message: str
    in_stream: bool = True
    #: OpenAI-style text where it differs from the live one.
    openai_message: str | None = None


#: Fault and check names -> the error the service answers with (codes from the ERR page and PROBE).
ERRORS: dict[str, ErrorKind] = {
    "invalid_parameter": ErrorKind(
        400, "InvalidParameter", "invalid_value", "invalid_request_error",
        "Required parameter(s) missing or invalid, please check the request parameters.",
    ),
    "invalid_api_key": ErrorKind(
        401, "InvalidApiKey", "invalid_api_key", "invalid_request_error",
        f"Invalid API-key provided. For details, see: {_DOCS}#apikey-error", in_stream=False,
        openai_message=f"Incorrect API key provided. For details, see: {_DOCS}#apikey-error",
    ),
    "rate_quota": ErrorKind(
        429, "Throttling.RateQuota", "limit_requests", "limit_requests",
        "Requests rate limit exceeded, please try again later.", in_stream=False,
        openai_message=f"You have exceeded your current request limit. For details, see: {_DOCS}#rate-limit",
    ),
    "allocation_quota": ErrorKind(
        429, "Throttling.AllocationQuota", "insufficient_quota", "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.", in_stream=False,
    ),
    "arrearage": ErrorKind(
        400, "Arrearage", "arrearage", "invalid_request_error",
        "Access denied, please make sure your account is in good standing.", in_stream=False,
    ),
    "data_inspection": ErrorKind(
        400, "DataInspectionFailed", "data_inspection_failed", "invalid_request_error",
        "Input data may contain inappropriate content.",
    ),
    "model_not_found": ErrorKind(
        404, "ModelNotFound", "model_not_found", "invalid_request_error",
        "The model does not exist or you do not have access to it.",
    ),
    "previous_not_found": ErrorKind(
        400, "InvalidParameter", "previous_response_not_found", "invalid_request_error", "",
    ),
    "not_found": ErrorKind(404, "NotFound", "not_found", "invalid_request_error", "", in_stream=False),
    "method_not_allowed": ErrorKind(405, "Method Not Allowed", "method_not_allowed", "invalid_request_error", "", in_stream=False),
    "server_error": ErrorKind(
        500, "InternalError", "internal_error", "internal_error",
        "The server had an error while processing your request. Please retry.", in_stream=False,
    ),
}
#: The live codes a `refuse` fault may name (besides the names above).
LIVE_CODES = {
    kind.live_code: name
    for name, kind in ERRORS.items()
    if name not in ("previous_not_found", "not_found", "method_not_allowed", "invalid_parameter")
}
LIVE_CODES["InvalidParameter"] = "invalid_parameter"


def error_name(code: str) -> str:
    """The `ERRORS` key for a fault's `code` (a key or a live code such as `Throttling.AllocationQuota`)."""
    if code in ERRORS:
        return code
    if code in LIVE_CODES:
        return LIVE_CODES[code]
    raise ValueError(f"unknown error code {code!r}; expected one of {', '.join([*ERRORS, *LIVE_CODES])}")


def previous_not_found_message(style: Style, previous: str) -> str:
    """The text the service gives for an unknown or expired `previous_response_id` (PROBE / OpenAI)."""
    if style == "live":
        return f"Not found previous_response_id: {previous}"
    return f"Previous response with id '{previous}' not found."


def error_body(style: Style, kind: ErrorKind, request_id: str, *, message: str | None = None, param: str | None = None) -> dict:
    """The JSON body of an error reply: flat `{code, message, request_id}` live, OpenAI's envelope otherwise."""
    text = message or (kind.openai_message if style == "openai" and kind.openai_message else kind.message)
    if style == "live":
        return {"code": kind.live_code, "message": text, "request_id": request_id}
    error = {"message": text, "type": kind.openai_type, "param": param, "code": kind.openai_code}
    return {"error": error, "request_id": request_id}


def failed_event(style: Style, kind: ErrorKind, *, message: str | None = None) -> dict:
    """The first and only event of a streamed request the live service refuses (PROBE).

    Its response carries no `id` (B3: a refused request never became a response).
    """
    code = kind.live_code if style == "live" else kind.openai_code
    return {
        "type": "response.failed",
        "sequence_number": 0,
        "response": {"object": "response", "status": "failed", "output": [], "error": {"code": code, "message": message or kind.message}},
    }


def streams_error(style: Style, kind: ErrorKind) -> bool:
    """Whether a streamed request gets this error as HTTP 200 + `response.failed` (live style only)."""
    return style == "live" and kind.in_stream


def response_id(style: Style) -> str:
    """A new response id: `resp_<uuid>` live (PROBE), `resp_<hex>` like OpenAI."""
    return f"resp_{uuid.uuid4()}" if style == "live" else f"resp_{uuid.uuid4().hex}"


def reasoning_spelling(style: Style, *, legacy: bool) -> Literal["reasoning_text", "reasoning_summary_text"]:
    """Which reasoning events stream: `reasoning_text.*` on the live new path (DS-ZH), summary events elsewhere."""
    return "reasoning_text" if style == "live" and not legacy else "reasoning_summary_text"
