"""The `cli` fixture: the real `qwen-tui` command, with config, data, state and db under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_process import Cli, make_cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A `qwen-tui` with a test key and everything it writes kept under tmp_path."""
    return make_cli(tmp_path)
