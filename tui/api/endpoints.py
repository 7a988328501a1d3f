"""DashScope base-URL presets (regions, legacy and new paths) and how a custom URL overrides them.

The presets are the DashScope domains Model Studio's "Base URL overview" documents for the
OpenAI-compatible mode (Oct 2026): Beijing, Singapore, US (Virginia) and China (Hong Kong).
Workspace hosts (`https://{WorkspaceId}.<region-id>.maas.aliyuncs.com/compatible-mode/v1`, also
Frankfurt and Tokyo workspaces) are per account: give them with --base-url.
"""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "virginia": "https://dashscope-us.aliyuncs.com/compatible-mode/v1",
    "hongkong": "https://cn-hongkong.dashscope.aliyuncs.com/compatible-mode/v1",
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


def legacy_note(region: str | None, base_url: str | None) -> str | None:
    """One line when a legacy preset is chosen (DashScope no longer maintains that path, B8), else None."""
    name = (region or "").strip().lower()
    if (base_url and base_url.strip()) or not name.endswith("-legacy") or name not in REGIONS:
        return None
    current = name.removesuffix("-legacy")
    return (
        f"region {name} uses the /api/v2/apps/protocols path, which DashScope no longer maintains; "
        f"use --region {current} instead"
    )
