from tui.sim.command import run_sim

if __name__ == "__main__":
    raise SystemExit(run_sim(prog="python -m tui.sim"))
