"""Per-conversation options as stored JSON, with anything secret-looking removed.

The API key must never reach the database file; settings are sometimes handed
down wholesale, so keys named like credentials (or values shaped like a DashScope
key) are dropped here, at the only place options are written.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

log = logging.getLogger("tui.store")

_SECRET_NAMES = {"apikey", "key", "secret", "password", "passwd", "token", "accesstoken", "authorization", "bearer"}
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_-]{12,}")


def _is_secret_name(name: str) -> bool:
    """Whether an option name reads like a credential (api_key, apiKey, DashScope-API-Key, token, ...)."""
    flat = re.sub(r"[^a-z0-9]", "", name.lower())
    return flat in _SECRET_NAMES or flat.endswith(("apikey", "secret", "password"))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        kept = {}
        for name, inner in value.items():
            if _is_secret_name(str(name)) or (isinstance(inner, str) and _KEY_SHAPED.search(inner)):
                log.warning("dropped option %r: it looks like a credential", name)
                continue
            kept[str(name)] = _clean(inner)
        return kept
    if isinstance(value, (list, tuple)):
        return [_clean(inner) for inner in value if not (isinstance(inner, str) and _KEY_SHAPED.search(inner))]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"conversation option of type {type(value).__name__} cannot be stored")


def clean_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe copy of `options` without credentials."""
    cleaned: dict[str, Any] = _clean(dict(options or {}))
    return cleaned


def dump_options(options: dict[str, Any] | None) -> str:
    """`options` as the JSON text stored in the database, credentials removed."""
    return json.dumps(clean_options(options), ensure_ascii=False, sort_keys=True)
