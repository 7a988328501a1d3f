"""Base-URL presets: regions, legacy paths, custom URLs."""

from __future__ import annotations

import pytest

from tui.api.endpoints import DEFAULT_REGION, REGIONS, is_legacy, resolve_base_url


def test_default_region_is_singapore_on_the_new_path() -> None:
    assert DEFAULT_REGION == "singapore"
    assert resolve_base_url(None, None) == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"


def test_named_regions_including_legacy_paths() -> None:
    assert resolve_base_url("beijing", None) == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert resolve_base_url("Singapore-Legacy", None) == (
        "https://dashscope-intl.aliyuncs.com/api/v2/apps/protocols/compatible-mode/v1"
    )
    assert is_legacy(REGIONS["beijing-legacy"]) and is_legacy(REGIONS["singapore-legacy"])
    assert not is_legacy(REGIONS["beijing"]) and not is_legacy(REGIONS["singapore"])


def test_custom_url_wins_and_loses_its_trailing_slash() -> None:
    assert resolve_base_url("beijing", "http://127.0.0.1:8000/compatible-mode/v1/") == (
        "http://127.0.0.1:8000/compatible-mode/v1"
    )
    assert is_legacy("http://127.0.0.1:9/api/v2/apps/protocols/compatible-mode/v1/")


def test_unknown_region_names_the_choices() -> None:
    with pytest.raises(ValueError) as info:
        resolve_base_url("mars", None)
    message = str(info.value)
    assert "mars" in message and all(name in message for name in REGIONS)
