"""How the `qwen-tui` process uses Python's cyclic garbage collector.

The command's entry (`tui.__main__`) turns the collector off before anything else is imported, and
each command turns it back on once its own imports are done (`start_after_imports`). A launch imports
~700 modules whose ~100k objects live as long as the process; with the collector on, it scanned them
again and again while they were being made (~35 ms of a ~350 ms import, measured with getrusage). Once
the imports are done they are frozen out of collections (0.2 MB of import-time garbage goes with them).

The thresholds are raised too: a full-screen app allocates many short-lived objects per frame, and with
Python's defaults (700, 10, 10) the collector took ~0.12 s of CPU over a launch and a 2,000-delta answer
(bench/render.py), ~0.03 s with these. Full collections still run.

Code that imports the package without the entry (tests, a library user) keeps its own collector.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)


def stop_for_imports() -> None:
    """Raise the thresholds and turn the collector off (the entry, before its imports)."""
    gc.set_threshold(*THRESHOLDS)
    gc.disable()


def start_after_imports() -> None:
    """Freeze what the imports made and turn the collector on, if the entry turned it off."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
