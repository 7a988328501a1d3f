"""App tests: isolated config/data dirs and environment, UTC."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No user config, keys or colour quirks leak in; UTC for any date shown."""
    for name in list(os.environ):
        if name.startswith(("QWEN_TUI_", "DASHSCOPE_")) or name in ("NO_COLOR", "TEXTUAL_COLOR_SYSTEM"):
            monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    monkeypatch.setenv("TZ", "UTC")
    # A true-colour terminal, whatever TERM the run has (TERM=xterm alone means 16 colours to Rich, and the
    # app then drops its panel backgrounds); `in_sixteen_colours` makes a 16-colour one.
    monkeypatch.setenv("COLORTERM", "truecolor")
    time.tzset()
    yield
    time.tzset()

