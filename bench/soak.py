"""Soak bench: 500 turns in one app session against the simulator; does the app leak or slow down?

Runs the real `qwen-tui` in a pty (the same harness as bench/render.py) against `qwen-tui sim`,
types a question, waits until the database holds its completed answer, and repeats, all in one
conversation of one app session. Prints the app's RSS and its CPU per turn near turn 10 and near the
last turn (each a mean over a window of turns, to damp scheduler noise), and the growth between them.

    .venv/bin/python bench/soak.py [--turns 500] [--window 10] [--size 80x24]

Targets: RSS growth <= 20 MB from turn 10 to the last turn; per-turn CPU flat within noise.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_long import rss_mb
from render import QWEN_TUI, READY_MARKER, Terminal, bench_env, cpu_seconds, start_sim

RSS_GROWTH_TARGET_MB = 20.0
#: The simulator's --long answer size: a few lines of Markdown per turn, like a short chat answer.
DELTAS = 40


def answered(db: Path) -> int:
    """How many answers the database holds in a final state (read as another process would)."""
    if not db.exists():
        return 0
    try:
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        row = connection.execute(
            "SELECT count(*) FROM messages WHERE role = 'assistant' AND status NOT IN ('pending', 'streaming')"
        ).fetchone()
        return int(row[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        connection.close()


def wait_answered(terminal: Terminal, db: Path, count: int, timeout: float) -> bool:
    """Read the app's output (so its writes never block) until `count` answers are stored."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        terminal.read(0.02)
        if answered(db) >= count:
            return True
    return False


def soak(turns: int, size: tuple[int, int], workdir: Path) -> tuple[list[float], list[float], list[float]]:
    """Run the turns; returns per-turn CPU seconds, RSS after each turn (MB), and wall seconds per turn."""
    sim, base_url = start_sim(DELTAS, None)
    db = workdir / "soak.db"
    terminal = Terminal([str(QWEN_TUI), "--base-url", base_url, "--db", str(db)], bench_env(workdir), size)
    cpu: list[float] = []
    rss: list[float] = []
    wall: list[float] = []
    try:
        if terminal.wait_for(READY_MARKER, 0, 20) is None:
            raise SystemExit("the app never drew its composer")
        terminal.drain(0.5, 3)
        pid = terminal.process.pid
        for n in range(1, turns + 1):
            before = cpu_seconds(pid)
            started = time.perf_counter()
            terminal.write(f"Question {n}: tell me more".encode() + b"\r")
            # Typed while the app was still ending the last turn, the question is put back in the
            # composer (with a warning), unsent: Enter sends it then.
            if not wait_answered(terminal, db, n, 15):
                terminal.write(b"\r")
                if not wait_answered(terminal, db, n, 45):
                    raise SystemExit(f"turn {n} never finished (answers stored: {answered(db)})")
            terminal.drain(0.15, 2)  # the final frame of the turn
            wall.append(time.perf_counter() - started)
            cpu.append(cpu_seconds(pid) - before)
            rss.append(rss_mb(pid))
            if n % 50 == 0:
                print(f"  turn {n}: {rss[-1]:.1f} MB, {statistics.mean(cpu[-50:]) * 1000:.0f} ms CPU/turn", flush=True)
    finally:
        terminal.close()
        sim.terminate()
        sim.wait(5)
    return cpu, rss, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--window", type=int, default=10, help="turns averaged at each end (default 10)")
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS (default 80x24)")
    args = parser.parse_args(argv)
    if args.turns < 2 * args.window:
        raise SystemExit("--turns must be at least twice --window")
    columns, rows = (int(part) for part in args.size.lower().split("x"))
    if not QWEN_TUI.exists():
        raise SystemExit(f"{QWEN_TUI} is missing: install the project into .venv first")
    print(f"qwen-tui soak bench: {args.turns} turns ({DELTAS}-delta answers) in one app session, {columns}x{rows}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qwen-tui-soak-") as tmp:
        cpu, rss, wall = soak(args.turns, (columns, rows), Path(tmp))
    w = args.window
    early = slice(max(10 - w // 2, 0), max(10 - w // 2, 0) + w)  # the window around turn 10
    late = slice(len(cpu) - w, len(cpu))
    early_cpu, late_cpu = statistics.mean(cpu[early]) * 1000, statistics.mean(cpu[late]) * 1000
    early_spread = statistics.pstdev(cpu[early]) * 1000
    growth = rss[-1] - rss[9]
    print(f"  RSS at turn 10 {rss[9]:.1f} MB, at turn {len(rss)} {rss[-1]:.1f} MB, peak {max(rss):.1f} MB:"
          f" growth {growth:+.1f} MB (target <= {RSS_GROWTH_TARGET_MB:g}) {'ok' if growth <= RSS_GROWTH_TARGET_MB else 'OVER'}")
    print(f"  CPU per turn, turns {early.start + 1}-{early.stop}: {early_cpu:.0f} ms (sd {early_spread:.0f});"
          f" turns {late.start + 1}-{late.stop}: {late_cpu:.0f} ms; ratio {late_cpu / early_cpu:.2f}")
    if len(cpu) >= 55 + w:
        # Near turn 10 the transcript's window (tui.app.widgets.message_pane) is not full yet: at these
        # answers it mounts 20 messages then and 30 from about turn 15, each a few widgets every frame lays out.
        full = slice(50 - w // 2, 50 - w // 2 + w)
        full_cpu = statistics.mean(cpu[full]) * 1000
        print(f"  CPU per turn with the window full, turns {full.start + 1}-{full.stop}: {full_cpu:.0f} ms;"
              f" ratio of the last turns to it {late_cpu / full_cpu:.2f}")
    print(f"  wall per turn: {statistics.mean(wall[early]) * 1000:.0f} ms early, {statistics.mean(wall[late]) * 1000:.0f} ms late;"
          f" whole soak {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
