"""Where the app's CPU goes while an answer streams: the main thread's time split by what the event loop ran.

bench/render.py gives the slow stream's CPU as one figure; this runs the same case (the real app in a
pty, `qwen-tui sim --long N --speed S`, the same message) and splits the app's main-thread CPU between
submit and the end of the stream by the asyncio task or callback each slice of time ran in: the
engine's turn (HTTP, SSE, fold), the worker that publishes each update, Markdown appends, each widget's
message loop, and the timers; the screen's own update timer (layout and paint) is also counted apart.
Timing every callback adds CPU of its own, so read the shares, not the total (bench/render.py gives that).

    .venv/bin/python bench/stream_profile.py [--size 80x24] [--deltas 2000] [--speed 100] [--top 20] [--cprofile FILE]

With --cprofile FILE, cProfile also runs from submit to the stream's end and its stats are written to
FILE (read them with `python -m pstats FILE`); it slows the app down several times, so read its shares only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def label(handle: asyncio.Handle) -> str:
    """What a loop callback runs: the owner's class and the coroutine of a task step, else the callback."""
    callback = handle._callback  # type: ignore[attr-defined]
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", type(coro).__name__)
        frame = getattr(coro, "cr_frame", None)
        owner = frame.f_locals.get("self") if frame is not None else None
        if owner is None:
            return name
        if type(owner).__name__ == "Timer":  # named by whoever set it (its callback's owner otherwise)
            callback = getattr(owner, "_callback", None)
            what = getattr(callback, "__qualname__", "") if owner.name.startswith("Timer#") else owner.name
            return f"timer: {what or owner.name}"
        return f"{type(owner).__name__}: {name}"
    return getattr(callback, "__qualname__", repr(callback))


def inside(report: str, argv: list[str]) -> int:
    """Run the app (`argv` are its arguments) with the loop's callbacks timed; SIGUSR1 starts, SIGUSR2 writes."""
    spent: dict[str, float] = collections.defaultdict(float)
    runs: collections.Counter[str] = collections.Counter()
    state = {"on": False, "start": 0.0}
    stats = os.environ.get("QWEN_TUI_BENCH_CPROFILE")
    profiler = cProfile.Profile() if stats else None

    def start(*_: object) -> None:
        spent.clear()
        runs.clear()
        state.update(on=True, start=time.thread_time())
        if profiler is not None:
            profiler.enable()

    def write(*_: object) -> None:
        state["on"] = False
        if profiler is not None and stats:
            profiler.disable()
            profiler.dump_stats(stats)
        total = time.thread_time() - state["start"]
        with open(report, "w") as out:
            out.write(f"{total}\n")
            out.writelines(f"{seconds}\t{runs[name]}\t{name}\n" for name, seconds in spent.items())

    run = asyncio.events.Handle._run

    def timed_run(handle: asyncio.Handle) -> None:
        if not state["on"]:
            return run(handle)
        before = time.thread_time()
        try:
            return run(handle)
        finally:
            name = label(handle)
            spent[name] += time.thread_time() - before
            runs[name] += 1

    setattr(asyncio.events.Handle, "_run", timed_run)  # noqa: B010

    from textual.screen import Screen

    update = Screen._on_timer_update

    def timed_update(screen: Screen) -> None:
        before = time.thread_time()
        try:
            update(screen)
        finally:
            if state["on"]:
                spent["  of which: screen layout and paint (Screen._on_timer_update)"] += time.thread_time() - before
                runs["  of which: screen layout and paint (Screen._on_timer_update)"] += 1

    setattr(Screen, "_on_timer_update", timed_update)  # noqa: B010
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, write)
    from tui.__main__ import main

    sys.argv = ["qwen-tui", *argv]
    return main()


def outside(args: argparse.Namespace) -> int:
    from render import READY_MARKER, Terminal, bench_env, cpu_seconds, last_words, start_sim

    columns, rows = (int(part) for part in args.size.lower().split("x"))
    sim, base_url = start_sim(args.deltas, args.speed)
    with tempfile.TemporaryDirectory(prefix="qwen-tui-profile-") as tmp:
        report = Path(tmp) / "report.tsv"
        command = [sys.executable, __file__, "--inside", str(report), "--base-url", base_url, "--db", str(Path(tmp) / "p.db")]
        env = bench_env(Path(tmp))
        if args.cprofile:
            env["QWEN_TUI_BENCH_CPROFILE"] = str(Path(args.cprofile).resolve())
        terminal = Terminal(command, env, (columns, rows))
        try:
            if terminal.wait_for(READY_MARKER, 0, 20) is None:
                raise SystemExit("the app never drew its composer")
            terminal.drain(quiet=0.3, limit=3)
            terminal.write(b"Write the long answer please")
            terminal.drain(quiet=0.2, limit=2)
            mark = len(terminal.output)
            pid = terminal.process.pid
            before = cpu_seconds(pid)
            os.kill(pid, signal.SIGUSR1)
            terminal.write(b"\r")
            shown = terminal.wait_for(last_words(args.deltas), mark, args.deltas / args.speed * 3 + 10, visible=True)
            terminal.drain(quiet=0.5, limit=5)
            process_cpu = cpu_seconds(pid) - before
            os.kill(pid, signal.SIGUSR2)
            deadline = time.monotonic() + 5
            while not report.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            lines = report.read_text().splitlines()
        finally:
            terminal.close()
            sim.terminate()
            sim.wait(5)
    main_thread = float(lines[0])
    rows_read = [line.split("\t") for line in lines[1:]]
    parts = sorted(((float(s), int(n), name) for s, n, name in rows_read), reverse=True)
    counted = sum(seconds for seconds, _, name in parts if not name.startswith("  "))
    print(f"qwen-tui stream profile: {args.deltas} deltas at {args.speed:g}/s, terminal {columns}x{rows}"
          f"{'' if shown else ' (the last words never appeared)'}")
    print(f"  app CPU submit to stream end {process_cpu:.3f} s; main thread {main_thread:.3f} s, of which in"
          f" loop callbacks {counted:.3f} s (the rest: the loop itself, select)")
    for seconds, count, name in parts[: args.top]:
        print(f"  {seconds:7.3f} s {100 * seconds / main_thread:5.1f}%  {count:6d}x  {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--inside"]:
        return inside(argv[1], argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--speed", type=float, default=100.0)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--cprofile", metavar="FILE", help="also write cProfile stats of submit to stream end to FILE")
    return outside(parser.parse_args(argv))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    raise SystemExit(main())
