"""The `cli` fixture: the real `qwen-tui` command, with config, data, state and db under tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_process import TEST_KEY, Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A `qwen-tui` with a test key and everything it writes kept under tmp_path."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("QWEN_TUI_") and name != "DASHSCOPE_API_KEY"
    }
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        DASHSCOPE_API_KEY=TEST_KEY,
    )
    return Cli(root=tmp_path, env=env)
