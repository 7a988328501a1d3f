"""Long-conversation bench: open a conversation of many long answers in the real app, then stream one more.

Fills a database through `qwen-tui ask` against the simulator (each answer the 2,000-delta Markdown
answer, ~12 KB), then runs the app in a pty (as bench/render.py does), opens that conversation from the
list and asks again while the simulator streams at --speed deltas/s. Prints how long opening took, its
CPU and the RSS after it, and the app's CPU over the first --seconds of the next answer, as a ratio to
the same answer streamed into a new conversation by the same build in the same bench run.

    .venv/bin/python bench/open_long.py [--answers 20] [--size 80x24] [--runs 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from render import QWEN_TUI, READY_MARKER, Terminal, bench_env, cpu_seconds, last_words, start_sim  # noqa: E402

DELTAS = 2000
TYPE_QUESTION = b"Write the long answer please"


def fill(db: Path, answers: int, home: Path) -> None:
    """One conversation of `answers` long answers, through the real `qwen-tui ask`."""
    sim, base_url = start_sim(DELTAS, None)
    try:
        for n in range(answers):
            command = [str(QWEN_TUI), "--db", str(db), "--base-url", base_url, "ask"]
            command += (["-c"] if n else []) + [f"Question {n + 1}: the long answer please"]
            subprocess.run(command, env=bench_env(home), check=True, stdout=subprocess.DEVNULL)
    finally:
        sim.terminate()
        sim.wait(5)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_once(db: Path | None, size: tuple[int, int], speed: float, seconds: float, home: Path) -> dict[str, float]:
    """The app on `db` (a copy of it; None: an empty one): open its conversation, then stream one answer."""
    home.mkdir(parents=True)
    own_db = home / "bench.db"
    if db is not None:
        shutil.copy(db, own_db)
    sim, base_url = start_sim(DELTAS, speed)
    terminal = Terminal([str(QWEN_TUI), "--base-url", base_url, "--db", str(own_db)], bench_env(home), size)
    figures: dict[str, float] = {}
    try:
        if terminal.wait_for(READY_MARKER, 0, 20) is None:
            raise SystemExit("the app never drew its composer")
        terminal.drain(0.5, 3)
        pid = terminal.process.pid
        if db is not None:
            before = cpu_seconds(pid)
            terminal.write(b"\x1bOS")  # f4: the conversation list (ctrl+l redraws since the keys round)
            terminal.drain(0.3, 1)
            mark = len(terminal.output)
            started = time.perf_counter()
            terminal.write(b"\x1b[B\r")  # down to the conversation, Enter opens it
            shown = terminal.wait_for(last_words(DELTAS), mark, 30, visible=True)
            if shown is None:
                raise SystemExit("the conversation never showed its last answer")
            figures["open_s"] = shown - started
            terminal.drain(0.3, 5)
            figures["open_cpu_s"] = cpu_seconds(pid) - before
            figures["open_rss_mb"] = rss_mb(pid)
            terminal.write(b"\x07")  # ctrl+g: back to the composer
            terminal.drain(0.3, 1)
        terminal.write(TYPE_QUESTION)
        terminal.drain(0.3, 1)
        before = cpu_seconds(pid)
        terminal.write(b"\r")
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            terminal.read(0.05)
        figures["stream_cpu_s"] = cpu_seconds(pid) - before
        figures["stream_rss_mb"] = rss_mb(pid)
    finally:
        terminal.close()
        sim.terminate()
        sim.wait(5)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20, help="long answers in the conversation (default 20)")
    parser.add_argument("--size", default="80x24", help="terminal COLUMNSxROWS (default 80x24)")
    parser.add_argument("--speed", type=float, default=100.0, help="deltas per second of the next answer")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of the next answer measured")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind; figures are medians (default 3)")
    args = parser.parse_args(argv)
    size = tuple(int(part) for part in args.size.lower().split("x"))
    if not QWEN_TUI.exists():
        raise SystemExit(f"{QWEN_TUI} is missing: install the project into .venv first")
    with tempfile.TemporaryDirectory(prefix="qwen-tui-bench-") as tmp:
        root = Path(tmp)
        db = root / "long.db"
        fill(db, args.answers, root / "fill")
        long_runs, new_runs = [], []
        for n in range(args.runs):  # interleaved, so both kinds see the machine's same minutes
            long_runs.append(run_once(db, size, args.speed, args.seconds, root / f"long-{n}"))
            new_runs.append(run_once(None, size, args.speed, args.seconds, root / f"new-{n}"))

    def figure(runs: list[dict[str, float]], name: str) -> str:
        values = [run[name] for run in runs]
        return f"{statistics.median(values):7.2f} [{min(values):.2f}-{max(values):.2f}]"

    ratios = [long["stream_cpu_s"] / new["stream_cpu_s"] for long, new in zip(long_runs, new_runs, strict=False)]
    print(f"qwen-tui long-conversation bench: {args.answers} answers of {DELTAS} deltas, terminal {args.size},"
          f" median of {args.runs} runs [range]")
    print(f"  open the conversation, Enter to last answer shown (s)  {figure(long_runs, 'open_s')}")
    print(f"  app CPU to open it (s)                                 {figure(long_runs, 'open_cpu_s')}")
    print(f"  RSS once open (MB)                                     {figure(long_runs, 'open_rss_mb')}")
    print(f"  app CPU, {args.seconds:g} s of the next answer, there (s)          {figure(long_runs, 'stream_cpu_s')}")
    print(f"  same, in a new conversation (s)                        {figure(new_runs, 'stream_cpu_s')}")
    print(f"  ratio, long conversation / new one                     {statistics.median(ratios):7.2f}"
          f" [{min(ratios):.2f}-{max(ratios):.2f}]")
    print(f"  RSS after those seconds, there / new (MB)              {figure(long_runs, 'stream_rss_mb')}"
          f" / {figure(new_runs, 'stream_rss_mb').strip()}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
