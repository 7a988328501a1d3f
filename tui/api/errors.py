"""Typed errors of the Responses wire layer; each prints as one clear line for a person."""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error the API layer raises; carries status, code and request id when known."""

    #: What a person should read before the server's own message.
    summary = "The API request failed"
    #: What a person can do about it (empty: nothing specific); front ends show it after the message.
    advice = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code:
            details.append(f"code {self.code}")
        if self.request_id:
            details.append(f"request {self.request_id}")
        suffix = f" ({', '.join(details)})" if details else ""
        message = " ".join(self.message.split()) or self.summary
        return f"{self.summary}: {message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class AuthError(ApiError):
    """401/403: the API key is missing, wrong, or not allowed to use this model."""

    summary = "Authentication failed (check your API key)"


class RateLimitError(ApiError):
    """429: too many requests; `retry_after` is the server's advice in seconds, if it gave any."""

    summary = "Rate limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class BadRequestError(ApiError):
    """4xx other than auth and rate limit: the server refused the request as sent."""

    summary = "The server rejected the request"


class PreviousResponseNotFound(BadRequestError):
    """400 for an unknown or expired `previous_response_id` (the caller can replay the transcript)."""

    summary = "The previous response is no longer available"


class ServerError(ApiError):
    """5xx: the server failed."""

    summary = "The server had an error"


class NetworkError(ApiError):
    """Connection failures, read failures and timeouts."""

    summary = "Network error"


class StreamDropped(NetworkError):
    """The stream ended or broke after the first byte, before a terminal event."""

    summary = "The answer stream was cut off"


class ProtocolError(ApiError):
    """The server sent something that is not a valid Responses API body or event."""

    summary = "The server sent an invalid reply"


# --- refusals that waiting does not cure (B12): never retried, each with what to do ----------------


class QuotaExceeded(ApiError):
    """`Throttling.AllocationQuota` / `insufficient_quota` (HTTP 429): the quota is used up, not a burst limit."""

    summary = "The quota for this model is used up"
    advice = "check your plan and free quota in the Model Studio console, or choose another model"


class BillingError(ApiError):
    """`Arrearage`: the Alibaba Cloud account has an overdue payment."""

    summary = "The account has an overdue payment"
    advice = "settle the bill in the Alibaba Cloud console, then try again"


class ContentRejected(BadRequestError):
    """`DataInspectionFailed`: the service's content inspection refused the input or the output."""

    summary = "The service's content inspection refused the message"
    advice = "rephrase the message and send it again"


class ModelNotFound(BadRequestError):
    """`ModelNotFound` / `model_not_found`: the service does not offer the model (here, or to this key)."""

    summary = "The service does not offer this model"
    advice = "check the model name and --region; 'qwen-tui models' lists the models"


#: Documented codes (lower-cased) of both error styles -> the error they mean (ERR page, PROBE, OpenAI).
_CODE_ERRORS: dict[str, type[ApiError]] = {
    "throttling.allocationquota": QuotaExceeded,
    "insufficient_quota": QuotaExceeded,
    "arrearage": BillingError,
    "datainspectionfailed": ContentRejected,
    "data_inspection_failed": ContentRejected,
    "modelnotfound": ModelNotFound,
    "model_not_found": ModelNotFound,
}


def documented_error(code: str | None, message: str) -> type[ApiError] | None:
    """The error class a documented code (or a quota message without one) stands for, else None."""
    found = _CODE_ERRORS.get((code or "").lower())
    if found is None and "exceeded your current quota" in message.lower():
        found = QuotaExceeded
    return found


def advice_for(error_text: str) -> str:
    """What to do about a stored turn error (its text starts with the error's summary), or ""."""
    for kind in (QuotaExceeded, BillingError, ContentRejected, ModelNotFound):
        if error_text.startswith(kind.summary):
            return kind.advice
    return ""
