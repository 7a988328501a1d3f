"""DashScope base-URL presets (regions, legacy and new paths) and how a custom URL overrides them."""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "singapore-legacy": "https://dashscope-intl.aliyuncs.com/api/v2/apps/protocols/compatible-mode/v1",
    "beijing-legacy": "https://dashscope.aliyuncs.com/api/v2/apps/protocols/compatible-mode/v1",
}
DEFAULT_REGION = "singapore"

_LEGACY_PATH = "/api/v2/apps/protocols/compatible-mode/"


def resolve_base_url(region: str | None, base_url: str | None) -> str:
    """Return the base URL to use: a custom `base_url` wins, else the region's preset (default Singapore)."""
    if base_url and base_url.strip():
        return base_url.strip().rstrip("/")
    name = (region or DEFAULT_REGION).strip().lower()
    try:
        return REGIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown region {region!r}; choose one of: {', '.join(REGIONS)}"
        ) from None


def is_legacy(base_url: str) -> bool:
    """Whether `base_url` uses the legacy `/api/v2/apps/protocols/compatible-mode/v1` path DashScope is retiring."""
    return _LEGACY_PATH in base_url.rstrip("/") + "/"
