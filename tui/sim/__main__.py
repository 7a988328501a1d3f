"""`python -m tui.sim [--port N] [--speed X] [--long N]`: the simulator in the foreground."""

from __future__ import annotations

from tui.sim.command import run_sim

if __name__ == "__main__":
    raise SystemExit(run_sim(prog="python -m tui.sim"))
