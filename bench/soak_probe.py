"""Soak probe: where a long app session's memory and CPU go, seen from inside the app.

bench/soak.py measures the real `qwen-tui` from outside; this runs the same turns in one process
(the app headless through `App.run_test`, the simulator as `qwen-tui sim` beside it) and, at a few
turns, prints what could grow with the turns: RSS against what Python holds (tracemalloc), object
counts by type, mounted widgets, signal subscribers, tasks, timers, caches. Between the second and the
last checkpoint it lists the allocations that grew most, by file and line.

    .venv/bin/python bench/soak_probe.py [--turns 200] [--at 10,50,200] [--size 80x24] [--top 25]

The collector runs as under the `qwen-tui` command (raised thresholds, imports frozen: tui.collector).
tracemalloc starts at the second checkpoint (tracing slows every allocation), so its figures are what
the turns after it left alive; with three or more checkpoints it starts at the first, and the listing
is what grew from the second to the last (allocations the turns between made and kept).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from open_long import rss_mb
from render import cpu_seconds, start_sim
from soak import DELTAS


def report_profiles(profiles: list[Any], top: int) -> None:
    """Functions whose own time grew most from turns 11-20 to the last ten (cProfile, per turn)."""
    import pstats

    early, late = (pstats.Stats(p).stats for p in profiles)  # type: ignore[attr-defined]

    def per_turn(stats: dict[Any, Any]) -> dict[str, tuple[float, float, int]]:
        out = {}
        for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.items():
            out[f"{Path(file).name}:{line}({name})"] = (tottime / 10 * 1000, cumtime / 10 * 1000, calls // 10)
        return out

    a, b = per_turn(early), per_turn(late)
    print("  own time per turn that grew most (ms, turns 11-20 -> last 10; calls per turn):")
    rows = sorted(b, key=lambda k: b[k][0] - a.get(k, (0, 0, 0))[0], reverse=True)[:top]
    for key in rows:
        was = a.get(key, (0.0, 0.0, 0))
        print(f"    {was[0]:7.2f} -> {b[key][0]:7.2f}  calls {was[2]:>6} -> {b[key][2]:>6}  {key}")
    print("  cumulative time per turn that grew most:")
    rows = sorted(b, key=lambda k: b[k][1] - a.get(k, (0, 0, 0))[1], reverse=True)[:top]
    for key in rows:
        was = a.get(key, (0.0, 0.0, 0))
        print(f"    {was[1]:7.2f} -> {b[key][1]:7.2f}  calls {was[2]:>6} -> {b[key][2]:>6}  {key}")
    ours = {f"{Path(file).name}:{line}({name})" for (file, line, name) in late if "/tui/" in file}
    print("  our functions, cumulative per turn:")
    rows = sorted(ours, key=lambda k: b[k][1] - a.get(k, (0, 0, 0))[1], reverse=True)[:top]
    for key in rows:
        was = a.get(key, (0.0, 0.0, 0))
        print(f"    {was[1]:7.2f} -> {b[key][1]:7.2f}  calls {was[2]:>6} -> {b[key][2]:>6}  {key}")


def type_counts() -> Counter[str]:
    return Counter(type(o).__qualname__ for o in gc.get_objects())


def type_counts_qualified() -> Counter[str]:
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def holders(obj: Any, mine: set[int], depth: int = 8) -> None:
    """Print one chain of referrers of `obj` (what keeps it alive), skipping the probe's own containers."""
    import sys as _sys
    import types

    def describe(o: Any) -> str:
        if isinstance(o, dict):
            return f"dict{list(o)[:3]}"
        if isinstance(o, types.FrameType):
            return f"frame {o.f_code.co_name}"
        return f"{type(o).__module__}.{type(o).__qualname__}"

    chain = [describe(obj)]
    seen = set(mine)
    current = obj
    for _ in range(depth):
        refs = gc.get_referrers(current)
        mine.add(id(refs))
        candidates = [r for r in refs if id(r) not in seen and not isinstance(r, types.FrameType)]
        if not candidates:
            chain.append("(nothing else)")
            break
        current = candidates[0]
        seen.add(id(current))
        chain.append(describe(current))
        if isinstance(current, types.ModuleType) or current is _sys.modules:
            break
    print("      " + " <- ".join(chain))


def app_figures(app: Any) -> dict[str, int]:
    """Counts of what lives in the app and could grow with the turns."""
    from textual.cache import FIFOCache, LRUCache
    from textual.widget import Widget
    from textual.widgets import Markdown

    from tui.app.widgets.message_view import MessageView

    chat = app.chat
    pane = chat.pane
    nodes = list(app.screen.walk_children(with_self=True))
    widgets = [o for o in gc.get_objects() if isinstance(o, Widget)]
    caches = [o for o in gc.get_objects() if isinstance(o, (LRUCache, FIFOCache))]
    engine = app.engine
    return {
        "DOM nodes (screen)": len(nodes),
        "Widget objects alive": len(widgets),
        "  of them detached": sum(1 for w in widgets if not w.is_attached),
        "MessageView mounted": len(pane.query(MessageView)),
        "MessageView alive": sum(1 for w in widgets if isinstance(w, MessageView)),
        "Markdown mounted": len(pane.query(Markdown)),
        "pane.messages": len(pane.messages),
        "turn_updates subscribers": len(chat.turn_updates._subscriptions),
        "asyncio tasks": len(asyncio.all_tasks()),
        "app timers (_timers)": len(getattr(app, "_timers", ())),
        "LRU/FIFO caches": len(caches),
        "LRU/FIFO entries": sum(len(c) for c in caches),
        "compositor map": len(app.screen._compositor._full_map or {}) if app.screen._compositor._full_map else 0,
        "engine _running": len(engine._running) if engine else -1,
        "engine data urls": len(getattr(engine._data_urls, "_entries", {})) if engine else -1,
        "log handlers": sum(len(getattr(logger, "handlers", [])) for logger in
                            [__import__("logging").getLogger(), *__import__("logging").Logger.manager.loggerDict.values()]),
        "gc objects": len(gc.get_objects()),
        "gc garbage": len(gc.garbage),
    }


async def probe(
    turns: int, checkpoints: list[int], size: tuple[int, int], top: int, workdir: Path, *, trace: bool, collect: bool,
    collect_every: int, profile: bool,
) -> None:
    from pydantic import SecretStr

    from tui import collector
    from tui.app.app import QwenApp
    from tui.config import Settings

    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(workdir / name.lower())
    sim, base_url = start_sim(DELTAS, None)
    settings = Settings(
        api_key=SecretStr("sk-bench-not-a-real-key"), base_url=base_url,
        db_path=workdir / "soak.db", config_path=workdir / "config.toml",
    )
    gc.set_threshold(*collector.THRESHOLDS)
    gc.freeze()
    app = QwenApp(settings)
    pid = os.getpid()
    before: dict[str, Any] = {}
    try:
        async with app.run_test(size=size) as pilot:
            await app.wait_for_engine()
            composer = app.chat.composer
            cpu: list[float] = []
            profiles: list[Any] = []
            for n in range(1, turns + 1):
                if profile and n in (11, turns - 9):
                    import cProfile

                    profiles.append(cProfile.Profile())
                    profiles[-1].enable()
                start_cpu = cpu_seconds(pid)
                count = len(app.chat.pane.messages)
                composer.load_text(f"Question {n}: tell me more")
                await pilot.press("enter")
                deadline = time.monotonic() + 60
                while not (len(app.chat.pane.messages) == count + 2 and not app.chat.streaming):
                    if time.monotonic() > deadline:
                        raise SystemExit(f"turn {n} never finished")
                    await pilot.pause(0.01)
                await pilot.pause(0.05)
                if collect_every and n % collect_every == 0:
                    gc.collect()
                cpu.append(cpu_seconds(pid) - start_cpu)
                if profile and n in (20, turns):
                    profiles[-1].disable()
                    if n == turns:
                        report_profiles(profiles, top)
                if n % 25 == 0:
                    print(f"  turn {n}", flush=True)
                if n not in checkpoints:
                    continue
                traced = tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else 0.0
                print(f"--- turn {n}: RSS {rss_mb(pid):.1f} MB, traced {traced:.1f} MB,"
                      f" CPU/turn (last 10) {sum(cpu[-10:]) / len(cpu[-10:]) * 1000:.0f} ms", flush=True)
                figures = app_figures(app)
                for key, value in figures.items():
                    was = before.get("figures", {}).get(key)
                    print(f"  {key:28} {value:>9}" + (f"  ({value - was:+})" if was is not None else ""))
                counts = type_counts()
                if "counts" in before:
                    grown = (counts - before["counts"]).most_common(top)
                    print("  object types grown since the last checkpoint:")
                    for name, delta in grown:
                        print(f"    {delta:>+8} {name} (now {counts[name]})")
                before["figures"], before["counts"] = figures, counts
                if collect:
                    started = time.process_time()
                    found = gc.collect()
                    spent = (time.process_time() - started) * 1000
                    after = app_figures(app)
                    print(f"  gc.collect(): {found} unreachable, {spent:.0f} ms; then RSS {rss_mb(pid):.1f} MB,"
                          f" widgets alive {after['Widget objects alive']}, detached {after['  of them detached']},"
                          f" gc objects {after['gc objects']}")
                    survivors = type_counts()
                    if "survivors" in before:
                        print("  object types grown since the last checkpoint, after full collections:")
                        for name, delta in (survivors - before["survivors"]).most_common(top):
                            print(f"    {delta:>+8} {name} (now {survivors[name]})")
                    before["survivors"] = survivors
                    if n == checkpoints[-1] and os.environ.get("PROBE_HOLDERS"):
                        for name in os.environ["PROBE_HOLDERS"].split(","):
                            import objgraph  # a diagnostic only (pip install objgraph)

                            found = objgraph.by_type(name)
                            print(f"  what holds {name} ({len(found)}):")
                            loop = asyncio.get_running_loop()

                            def root(o: Any, app: Any = app, loop: Any = loop) -> bool:
                                return o is app or o is loop or objgraph.is_proper_module(o)

                            loop = asyncio.get_running_loop()
                            direct = Counter(
                                type(r).__qualname__ + (str(sorted(r)[:2]) if isinstance(r, dict) else "")
                                for o in found for r in gc.get_referrers(o) if r is not found
                            )
                            print(f"    direct referrers: {direct.most_common(8)}")
                            tuples = [r for o in found for r in gc.get_referrers(o) if type(r) is tuple]
                            if tuples:
                                print("    a tuple:", [type(x).__qualname__ for x in tuples[0]][:8], len(tuples[0]))
                                up = Counter(type(r).__qualname__ for t in tuples[:50] for r in gc.get_referrers(t)
                                             if r is not tuples)
                                print("    what holds such tuples:", up.most_common(6))
                                chain = objgraph.find_backref_chain(tuples[0], root, max_depth=40)
                                print("      " + " <- ".join(type(o).__qualname__ for o in reversed(chain)))
                            del tuples
                            for index in {-1, -len(found) // 3, -2 * len(found) // 3, 0}:
                                chain = objgraph.find_backref_chain(found[index], root, max_depth=40)
                                print("      " + " <- ".join(
                                    f"{type(o).__qualname__}" + (f"{list(o)[:3]}" if isinstance(o, dict) else "")
                                    for o in reversed(chain)))
                            del found
                if trace and n == checkpoints[0] and len(checkpoints) > 2:
                    tracemalloc.start(12)  # so that the second checkpoint's snapshot holds what was made since
                if trace and n == checkpoints[1]:
                    if not tracemalloc.is_tracing():
                        tracemalloc.start(12)
                    before["snapshot"] = tracemalloc.take_snapshot()
                elif n == checkpoints[-1] and tracemalloc.is_tracing():
                    snapshot = tracemalloc.take_snapshot()
                    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
                    stats = snapshot.filter_traces(keep).compare_to(before["snapshot"].filter_traces(keep), "lineno")
                    print(f"  top allocations grown since turn {checkpoints[1]} (by line):")
                    for stat in stats[:top]:
                        print(f"    {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7} blocks  {stat.traceback[0]}")
                    stats = snapshot.filter_traces(keep).compare_to(before["snapshot"].filter_traces(keep), "traceback")
                    print("  top 5 grown, whole tracebacks:")
                    for stat in stats[:5]:
                        print(f"    {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7} blocks")
                        for line in stat.traceback.format()[-24:]:
                            print(f"      {line}")
        print(f"done: app return code {app.return_code}", flush=True)
    finally:
        sim.terminate()
        sim.wait(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--at", default="10,50,200", help="checkpoints (turns), comma-separated; >= 2")
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--trace", action="store_true", help="tracemalloc from the second checkpoint to the last")
    parser.add_argument("--collect-every", type=int, default=0, help="a full collection every N turns (an experiment)")
    parser.add_argument("--profile", action="store_true", help="cProfile turns 11-20 and the last 10; what grew")
    parser.add_argument("--collect", action="store_true", help="a full collection after each checkpoint's figures")
    args = parser.parse_args(argv)
    checkpoints = sorted({min(int(t), args.turns) for t in args.at.split(",")})
    if len(checkpoints) < 2:
        raise SystemExit("--at needs at least two checkpoints")
    columns, rows = (int(part) for part in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="qwen-tui-probe-") as tmp:
        asyncio.run(probe(args.turns, checkpoints, (columns, rows), args.top, Path(tmp), trace=args.trace, collect=args.collect,
                          collect_every=args.collect_every, profile=args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
