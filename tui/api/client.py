"""`ResponsesClient`: `POST {base_url}/responses` over httpx, as one response or a stream of typed events.

Retries 5xx and connection failures with bounded exponential backoff, and rate limits (429) for up
to about a minute (honouring Retry-After), but only before the first byte of an answer: once a
stream has started, a failure is raised to the caller (`StreamDropped`, `ProtocolError`) so nothing
is ever shown twice. Quota, billing and content refusals are never retried.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import socket
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

import httpx
from pydantic import ValidationError

from tui.api.body import encode_body
from tui.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    NetworkError,
    PreviousResponseNotFound,
    ProtocolError,
    RateLimitError,
    ServerError,
    StreamDropped,
    documented_error,
)
from tui.api.sse import DONE, ServerSentEvent, SSEDecoder
from tui.api.types import (
    TERMINAL_EVENT_TYPES,
    ErrorEvent,
    OutputItemAddedEvent,
    OutputItemDoneEvent,
    Response,
    ResponseFailedEvent,
    ResponseRequest,
    StreamEvent,
    parse_event,
)

log = logging.getLogger(__name__)

#: A Retry-After longer than this is not waited for; the person sees the rate limit (and the wait) instead.
MAX_RETRY_AFTER = 60.0
#: How long rate-limited requests keep being retried in all: DashScope's limits recover "within one minute" (RL).
RATE_LIMIT_BUDGET = 60.0
#: Silence allowed on a stream while a tool item is open: DS examples show web_extractor / image search
#: runs with no events between output_item.added and .done, and code runs can be long (B11).
TOOL_IDLE_TIMEOUT = 300.0
#: Lifecycle events that carry no answer; a `response.failed` after only these is a refused request (B1).
_LIFECYCLE = frozenset({"response.created", "response.in_progress", "response.queued"})
#: Output items that are not tool runs (everything else may run silently on the server).
_NOT_TOOLS = frozenset({"message", "reasoning"})


def keepalive_options() -> list[tuple[int, int, int]]:
    """TCP keepalive on the socket, probing after 30 s of silence, so a dead peer is found during a long tool run."""
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, name):  # Linux; macOS lacks TCP_KEEPIDLE, Windows most of them
            options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    return options

#: While a stream trickles in (each event its own read, at a model's pace), it is read this often:
#: the events that arrived in one gap then cost one socket read and one wake-up of the turn's task
#: instead of one each (a third of the turn's CPU at 100 deltas/s: bench/stream_profile.py). The
#: screen appends text at most 15 times a second (about once a second once it scrolls), and a
#: person does not see a tenth of a second added to the first token.
READ_GAP = 0.1
#: A read that took longer than this waited for the network (one already buffered takes microseconds).
WAITED_READ = 0.002

RetryCallback = Callable[[int, float, ApiError], None]


class ResponsesClient:
    """Async client of the Responses API; use `async with` or call `aclose()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
        tool_timeout: float = TOOL_IDLE_TIMEOUT,
        rate_limit_budget: float = RATE_LIMIT_BUDGET,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/responses"
        #: Longest silence on a stream (or wait for a reply) before it counts as dropped.
        self.timeout = timeout
        #: Longest silence while a tool item is open (its run may send nothing for minutes).
        self.tool_timeout = max(timeout, tool_timeout)
        self.rate_limit_budget = rate_limit_budget
        # A stream's socket reads may wait the tool limit; the stream enforces the shorter one itself
        # when no tool runs, and the wait for the reply's head is bounded by `timeout` in `_open`.
        self._stream_timeout = httpx.Timeout(timeout, connect=connect_timeout, read=self.tool_timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._secret = api_key or ""
        all_headers = {"Accept": "application/json", **(headers or {})}
        if api_key:
            all_headers["Authorization"] = f"Bearer {api_key}"
        verify = not self.base_url.startswith("http://")
        if transport is None:
            transport = httpx.AsyncHTTPTransport(verify=verify, socket_options=keepalive_options())
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
            headers=all_headers,
            # Only this base URL is ever requested (no redirects): a plain-http one (the demo
            # simulator, a local proxy) never uses TLS, so skip loading the CA bundle (~35 ms).
            verify=verify,
        )

    def __repr__(self) -> str:
        return f"ResponsesClient({self.base_url!r})"

    async def __aenter__(self) -> ResponsesClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def list_models(self, timeout: float = 3.0) -> list[str]:
        """The names the service lists (`GET {base}/models`, see `tui.api.models_list`); an `ApiError` if none."""
        from tui.api.models_list import list_models  # that module imports this one

        return await list_models(self.base_url, self._secret or None, timeout=timeout)

    async def create(
        self, req: ResponseRequest, *, on_retry: RetryCallback | None = None
    ) -> Response:
        """Send `req` without streaming and return the finished `Response`."""
        body = req.to_body()
        body.pop("stream", None)
        response = await self._open(body, on_retry)
        try:
            raw = await response.aread()
        except httpx.TimeoutException:
            raise NetworkError(f"no reply from the server within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise NetworkError(self._redact(f"reading the reply failed: {_reason(exc)}")) from None
        finally:
            await response.aclose()
        try:
            return Response.model_validate_json(raw)
        except ValidationError as exc:
            raise ProtocolError(
                f"the reply is not a valid response ({exc.error_count()} problems)",
                status=response.status_code,
                request_id=_request_id(response.headers, None),
            ) from None

    async def stream(
        self, req: ResponseRequest, *, on_retry: RetryCallback | None = None
    ) -> AsyncGenerator[StreamEvent, None]:
        """Send `req` with `stream: true` and yield its typed events, ending with the terminal one.

        Closing the generator (or cancelling the task iterating it) closes the HTTP response.
        """
        body = req.to_body()
        body["stream"] = True
        response = await self._open(body, on_retry)
        try:
            if "json" in response.headers.get("content-type", ""):
                raise self._json_instead_of_stream(response, await response.aread())
            error_event: ErrorEvent | None = None
            # Lifecycle events are held back until the answer starts: DashScope refuses a streamed request
            # with HTTP 200 and a `response.failed`, which must become the same typed error as a 4xx (B1).
            held: list[StreamEvent] | None = []
            tools: set[str] = set()
            async with aclosing(self._sse_batches(response, lambda: self.tool_timeout if tools else self.timeout)) as batches:
                async for batch in batches:
                    for sse in batch:
                        if sse.data == DONE:
                            raise self._unfinished(error_event, "the server ended the stream early")
                        event = parse_event(sse.data, sse.event)
                        if held is not None:
                            if event.type in _LIFECYCLE:
                                held.append(event)
                                continue
                            if isinstance(event, ResponseFailedEvent):
                                raise self._refused(event, response)
                            for early in held:
                                yield early
                            held = None
                        _track_tools(event, tools)
                        yield event
                        if event.type in TERMINAL_EVENT_TYPES:
                            return
                        if isinstance(event, ErrorEvent):
                            error_event = event
            raise self._unfinished(error_event, "the stream ended before the answer was complete")
        finally:
            await response.aclose()

    async def stream_sse(
        self, path: str, body: dict[str, Any], *, on_retry: RetryCallback | None = None
    ) -> AsyncGenerator[ServerSentEvent, None]:
        """POST `body` (streaming) to `{base}{path}` and yield its raw SSE events, with the same retries and
        typed errors as `stream()`; another endpoint's module (e.g. Chat Completions) reads the payloads."""
        response = await self._open({**body, "stream": True}, on_retry, url=self.base_url + path)
        try:
            if "json" in response.headers.get("content-type", ""):
                raise self._json_instead_of_stream(response, await response.aread())
            async with aclosing(self._sse_batches(response, lambda: self.timeout)) as batches:
                async for batch in batches:
                    for sse in batch:
                        yield sse
        finally:
            await response.aclose()

    async def _sse_batches(
        self, response: httpx.Response, idle_limit: Callable[[], float]
    ) -> AsyncGenerator[list[ServerSentEvent], None]:
        """The SSE events of `response`, one list per chunk; transport failures become StreamDropped.

        `idle_limit()` is the silence allowed before the next chunk (longer while a tool runs).
        """
        decoder = SSEDecoder()
        chunks = response.aiter_bytes()
        limit = idle_limit()
        waits = 0
        try:
            while True:
                limit = idle_limit()
                asked = time.perf_counter()
                try:
                    async with asyncio.timeout(limit):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
                # A trickling stream (each read waited for the network, twice running) is read in
                # gaps, so one read takes what arrived meanwhile (bench/stream_profile.py).
                waits = waits + 1 if time.perf_counter() - asked > WAITED_READ else 0
                batch = decoder.feed(chunk)
                if batch:
                    yield batch
                if waits >= 2:
                    waits = 0
                    await asyncio.sleep(READ_GAP)
        except (httpx.TimeoutException, TimeoutError):
            raise StreamDropped(f"no data from the server for {limit:g} s", status=response.status_code) from None
        except httpx.HTTPError as exc:
            raise StreamDropped(
                self._redact(f"the connection was lost: {_reason(exc)}"), status=response.status_code
            ) from None
        yield decoder.close()

    async def _open(
        self, body: dict[str, Any], on_retry: RetryCallback | None, *, url: str | None = None
    ) -> httpx.Response:
        """POST `body` and return a 2xx response with its body unread, retrying what is safe to retry.

        Anything else becomes a typed error; only 429, 5xx and failures to connect are retried.
        """
        content = encode_body(body)  # big image data URLs are copied in, not escaped (api/body.py)
        headers = {"Content-Type": "application/json"}
        if body.get("stream"):
            headers["Accept"] = "text/event-stream"
        attempt = 0
        waited = 0.0
        while True:
            try:
                streamed = bool(body.get("stream"))
                request = self._http.build_request(
                    "POST", url or self.url, content=content, headers=headers,
                    timeout=self._stream_timeout if streamed else httpx.USE_CLIENT_DEFAULT,
                )
                async with asyncio.timeout(self.timeout if streamed else None):
                    response = await self._http.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                # Nothing reached the model (or a pooled connection was stale): safe to retry.
                error: ApiError = NetworkError(self._redact(f"cannot reach {self.base_url}: {_reason(exc)}"))
                retry_after = None
            except (httpx.TimeoutException, TimeoutError):
                raise NetworkError(f"no reply from the server within {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise NetworkError(self._redact(f"the request failed: {_reason(exc)}")) from None
            else:
                if response.is_success:
                    return response
                try:
                    raw = await response.aread()
                except httpx.HTTPError:
                    raw = b""
                finally:
                    await response.aclose()
                error = self._error(response, raw)
                if not isinstance(error, (RateLimitError, ServerError)):
                    raise error
                retry_after = error.retry_after if isinstance(error, RateLimitError) else None
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                error.message += f" (the server asks to wait {retry_after:.0f} s)"
                raise error
            if retry_after is not None:
                delay = retry_after
            else:
                delay = min(self.backoff * 2**attempt, self.max_backoff)
                delay *= 1 - 0.25 * random.random()
            if isinstance(error, RateLimitError):
                # Rate limits recover within a minute: keep trying while the waits fit in the budget
                # (a Retry-After of exactly MAX_RETRY_AFTER fits; a budget of 0 turns these retries off).
                if self.rate_limit_budget <= 0 or waited + delay > self.rate_limit_budget:
                    raise error
            elif attempt >= self.max_retries:
                raise error
            attempt += 1
            waited += delay
            log.warning("retry %d in %.2f s after: %s", attempt, delay, error)
            if on_retry is not None:
                on_retry(attempt, delay, error)
            await asyncio.sleep(delay)

    def _error(self, response: httpx.Response, raw: bytes) -> ApiError:
        """The typed error for an error reply, from its status, headers and body."""
        error = error_from_reply(response.status_code, response.headers, raw)
        error.message = self._redact(error.message)
        log.info("error reply: %s", error)
        return error

    def _refused(self, event: ResponseFailedEvent, response: httpx.Response) -> ApiError:
        """The typed error for a stream whose answer is a `response.failed` before any output (HTTP 200)."""
        failure = event.response.error
        code = failure.code if failure is not None else None
        message = self._redact(failure.message if failure is not None and failure.message else "the request failed")
        error = _classify(None, code, message, _request_id(response.headers, None), None)
        log.info("refused in the stream: %s", error)
        return error

    async def delete_response(self, response_id: str) -> bool:
        """`DELETE {base}/responses/{id}`: True if deleted, False if the server no longer had it."""
        return await self._stored("DELETE", response_id) is not None

    async def get_response(self, response_id: str) -> Response | None:
        """`GET {base}/responses/{id}`: the stored response, or None if the server no longer has it."""
        raw = await self._stored("GET", response_id)
        if raw is None:
            return None
        try:
            return Response.model_validate_json(raw)
        except ValidationError as exc:
            raise ProtocolError(f"the reply is not a valid response ({exc.error_count()} problems)") from None

    async def _stored(self, method: str, response_id: str) -> bytes | None:
        """One request on a stored response; its body, or None for 404. Not retried (best effort)."""
        try:
            response = await self._http.request(method, f"{self.url}/{response_id}")
        except httpx.TimeoutException:
            raise NetworkError(f"no reply from the server within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise NetworkError(self._redact(f"cannot reach {self.base_url}: {_reason(exc)}")) from None
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._error(response, response.content)
        return response.content

    def _json_instead_of_stream(self, response: httpx.Response, raw: bytes) -> ApiError:
        """The error for a stream request answered with a plain JSON body (gateways do this for errors)."""
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and ("error" in payload or "code" in payload):
            return self._error(response, raw)
        return ProtocolError("expected an event stream but got a JSON body", status=response.status_code)

    def _unfinished(self, error_event: ErrorEvent | None, why: str) -> ApiError:
        """The error for a stream that stopped without a terminal event."""
        if error_event is None:
            return StreamDropped(why)
        return _classify(None, error_event.code, self._redact(error_event.message or why), None, None)

    def _redact(self, text: str) -> str:
        """`text` with the API key blanked out, should a server or library ever echo it."""
        if self._secret and len(self._secret) >= 4:
            return text.replace(self._secret, "***")
        return text


def error_from_reply(status: int, headers: httpx.Headers, raw: bytes) -> ApiError:
    """Map an HTTP error reply to a typed error.

    Understands the OpenAI envelope `{"error": {"message", "type", "code", "param"}}` and
    DashScope's native `{"code", "message", "request_id"}`.
    """
    message = code = param = body_request_id = None
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        envelope = payload.get("error")
        source = envelope if isinstance(envelope, dict) else payload
        message = source.get("message")
        code = source.get("code") or source.get("type")
        param = source.get("param")
        body_request_id = payload.get("request_id") or source.get("request_id")
        if message is None and isinstance(envelope, str):
            message = envelope
    elif raw:
        message = raw.decode("utf-8", "replace").strip()[:200]
    text = str(message) if message else httpx.codes.get_reason_phrase(status) or "error"
    request_id = _request_id(headers, body_request_id)
    return _classify(status, str(code) if code is not None else None, text, request_id, param, headers)


def _classify(
    status: int | None,
    code: str | None,
    message: str,
    request_id: str | None,
    param: Any,
    headers: httpx.Headers | None = None,
) -> ApiError:
    """Choose the error class from status, code and message."""
    kwargs: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
    lowered = message.lower()
    if (code or "").lower() == "previous_response_not_found" or (
        status in (None, 400, 404)
        and (param == "previous_response_id" or ("previous" in lowered and "response" in lowered))
        and any(w in lowered for w in ("not found", "expired", "not exist", "invalid", "unknown"))
    ):
        return PreviousResponseNotFound(message, **kwargs)
    documented = documented_error(code, message)
    if documented is not None:
        return documented(message, **kwargs)
    if status in (401, 403) or (code or "").lower() in ("invalidapikey", "invalid_api_key"):
        return AuthError(message, **kwargs)
    if status == 429 or (status is None and code and ("rate" in code.lower() or "limit" in code.lower())):
        return RateLimitError(message, retry_after=_retry_after(headers), **kwargs)
    if status is not None and 400 <= status < 500:
        return BadRequestError(message, **kwargs)
    if status is None or status >= 500:
        return ServerError(message, **kwargs)
    return ApiError(message, **kwargs)


def _retry_after(headers: httpx.Headers | None) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _track_tools(event: StreamEvent, open_tools: set[str]) -> None:
    """Keep the set of tool items that are running (added, not yet done), by item id or output index."""
    if not isinstance(event, (OutputItemAddedEvent, OutputItemDoneEvent)):
        return
    item = event.item
    if item.type in _NOT_TOOLS:
        return
    key = getattr(item, "id", None) or f"#{event.output_index}"
    if isinstance(event, OutputItemAddedEvent):
        open_tools.add(key)
    else:
        open_tools.discard(key)


def _request_id(headers: httpx.Headers, fallback: str | None) -> str | None:
    return headers.get("x-request-id") or headers.get("x-dashscope-request-id") or fallback


def _reason(exc: httpx.HTTPError) -> str:
    """A short reason for a transport error (its message, or its class name if it has none)."""
    return str(exc) or type(exc).__name__
