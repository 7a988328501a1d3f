"""The `qwen-tui` command's entry (and `python -m tui`): the collector is off while the command imports."""

from tui import collector

collector.stop_for_imports()

from tui.cli import main  # noqa: E402  (after the collector is off, on purpose)

if __name__ == "__main__":
    raise SystemExit(main())
