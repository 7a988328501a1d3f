"""`GET {base}/models`: the models the service says it serves (optional, short timeout, never required).

Undocumented on compatible mode but widely used (audit, MODELS); the OpenAI shape
`{"object": "list", "data": [{"id": ...}]}` is expected, and DashScope's native
`{"output": {"models": [{"model": ...}]}}` is accepted too, since the docs are silent on which it sends.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tui.api.client import error_from_reply
from tui.api.errors import ApiError, NetworkError, ProtocolError

#: Listing models is a nicety: give up quickly rather than hold up `qwen-tui models`.
DEFAULT_TIMEOUT = 3.0


def model_names(payload: Any) -> list[str]:
    """The model ids of a model-list reply, in its order, without repeats."""
    entries: Any = None
    if isinstance(payload, dict):
        entries = payload.get("data")
        if isinstance(entries, dict):
            entries = entries.get("models")
        if entries is None and isinstance(payload.get("output"), dict):
            entries = payload["output"].get("models")
    if not isinstance(entries, list):
        raise ProtocolError("the model list has no data array")
    names: dict[str, None] = {}
    for entry in entries:
        name = entry.get("id") or entry.get("model") or entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name:
            names[name] = None
    return list(names)


async def list_models(
    base_url: str,
    api_key: str | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[str]:
    """The names `GET {base_url}/models` returns; a typed `ApiError` (one line) when it cannot be had."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/models"
    try:
        async with httpx.AsyncClient(
            timeout=timeout, transport=transport, verify=not url.startswith("http://")
        ) as http:
            response = await http.get(url, headers=headers)
    except httpx.TimeoutException:
        raise NetworkError(f"no model list from the server within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise NetworkError(f"cannot reach {base_url}: {str(exc) or type(exc).__name__}") from None
    if not response.is_success:
        error: ApiError = error_from_reply(response.status_code, response.headers, response.content)
        if api_key:
            error.message = error.message.replace(api_key, "***")
        raise error
    try:
        return model_names(json.loads(response.content))
    except ValueError:
        raise ProtocolError("the model list is not JSON", status=response.status_code) from None
