"""The `qwen-tui` command: the full-screen app, `--demo`, and headless subcommands.

Headless commands never import Textual. Every failure ends with one line on stderr
(`qwen-tui: error: ...` and what to do) and a non-zero exit; tracebacks go to the log
file, and to stderr only with --debug. The command's entry is `tui.__main__`.
"""

from __future__ import annotations

from tui.cli.main import main

__all__ = ["main"]
