"""The `qwen-tui` command: the full-screen app, `--demo`, and headless subcommands.

Headless commands never import Textual. Every failure ends with one line on stderr
(`qwen-tui: error: ...` and what to do) and a non-zero exit; tracebacks go to the log
file, and to stderr only with --debug.
"""

from __future__ import annotations

import gc

#: Collector thresholds for the whole process (Python's defaults are 700, 10, 10). Set before the
#: imports below: the ~750 modules of a launch make objects that live as long as the process, and
#: with the defaults the collector scanned them over and over (~40 ms of a ~330 ms import, measured
#: with getrusage). A full-screen app also allocates many short-lived objects per frame; with the
#: defaults the cyclic GC took ~0.12 s of CPU over a launch and a 2,000-delta answer
#: (bench/render.py), ~0.03 s with these. Full collections still run.
GC_THRESHOLDS = (10_000, 10, 10)
gc.set_threshold(*GC_THRESHOLDS)

from tui.cli.main import main  # noqa: E402  (after the thresholds, on purpose)

__all__ = ["GC_THRESHOLDS", "main"]
