"""The `qwen-tui` command's entry (and `python -m tui`): the collector is off while the command imports."""

import sys

from tui import collector

collector.stop_for_imports()
# httpx's optional command line (`httpx._main`, pulling in click and rich/pygments) is imported by
# `httpx/__init__` whenever click is installed; nothing here uses it, and skipping it saves ~35 ms
# of every launch. httpx then defines its stub `main` instead. (Before the first `import httpx`.)
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from tui.cli import main  # noqa: E402  (after the collector is off, on purpose)

if __name__ == "__main__":
    raise SystemExit(main())
