"""Mutation testing of one module: which small changes to the code does its test folder fail to notice?

A small AST mutator (standard library only). mutmut and cosmic-ray were not used: they fork or patch
in place and trace coverage on every run, while this suite runs async generators, a simulator server
on threads and real subprocesses; plain `pytest` in a throw-away copy of the tree copes with all of it.

Operators (one change per mutant; docstrings, annotations (dataclass fields too), `__slots__`, the
`log` logger and `log.*` calls are never mutated):
  compare   `==`/`!=`, `<`/`<=`, `>`/`>=`, `in`/`not in`, `is`/`is not` (each flipped both ways)
  boolop    `and`<->`or`; dropping one operand of a boolean expression
  not       removing a `not`
  negate    negating the test of an `if`, `while` or conditional expression
  number    int +1 and -1, float +1, `True`<->`False`
  string    corrupting a str/bytes literal (`"XX" + s + "XX"`, also inside f-strings)
  arith     `+`<->`-`, `*`<->`/`, `//`->`*` (in expressions and augmented assignments)
  delete    replacing a statement with `pass` (not imports, definitions, docstrings or `pass`)
  return    `return x` -> `return None`
  loop      `break`<->`continue`
Mutants whose source comes out identical to the original or to an earlier mutant are dropped.

Sampling: every mutant gets an id (its place in the full list, stable while the module's text is
unchanged). `--sample N` draws N of them with `random.Random(f"{seed}:{module}")`, so the same seed
and the same module text give the same sample; without `--sample` every mutant runs.

Running: `--workers` copies of `tui/`, `tests/` and `pyproject.toml` go to a temp dir. First the
unmutated copy runs the test folder (the control: the run stops if it fails or if `tui` would not
be imported from the copy); then each mutant is written into a free copy and the folder runs as
`python -m pytest -x -q -n 0 -p no:cacheprovider <tests>` with PYTHONPATH at the copy, no bytecode
written and a per-mutant timeout (default 3x the control's time + 15 s). A nonzero exit kills the
mutant (a failing test, or an import error that stops collection); exit 0 means it survived.

    .venv/bin/python bench/mutate.py tui/api/sse.py --tests tests/api --workers 2 --sample 150 --seed 1
    .venv/bin/python bench/mutate.py tui/chat/engine.py --list            # the mutants, no test runs
    .venv/bin/python bench/mutate.py tui/chat/engine.py --ids 12,40       # only these mutants
    .venv/bin/python bench/mutate.py tui/chat/engine.py --show 12         # the diff of one mutant

Prints killed / survived / timeout counts, the score ((killed + timeout) / tried) and each survivor
as file:line, its id and the mutation. Exit status 0 unless the control failed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("tui", "tests", "pyproject.toml")

_COMPARE_FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ARITH_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
}
_NOT_DELETED = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)

Change = Callable[[ast.AST, dict[int, tuple[ast.AST, str, int | None]]], None]


@dataclass(slots=True)
class Mutant:
    """One change to the module: where it is, what it does, and the module's source with it applied."""

    id: int
    line: int
    description: str
    source: str


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node in a fixed order (the same for two parses of the same text)."""
    return list(ast.walk(tree))


def _parents(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    """id(node) -> (parent, field name, index in that field's list or None)."""
    found: dict[int, tuple[ast.AST, str, int | None]] = {}
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if isinstance(value, list):
                for index, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        found[id(child)] = (parent, name, index)
            elif isinstance(value, ast.AST):
                found[id(value)] = (parent, name, None)
    return found


def _replace(node: ast.AST, parents: dict[int, tuple[ast.AST, str, int | None]], new: ast.AST) -> None:
    parent, name, index = parents[id(node)]
    ast.copy_location(new, node)
    if index is None:
        setattr(parent, name, new)
    else:
        getattr(parent, name)[index] = new


def _skipped(tree: ast.AST) -> set[int]:
    """ids of nodes never mutated: docstrings, annotations, `log.*(...)` calls, and all inside them."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                roots.append(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            roots.append(node.returns)
        if isinstance(node, ast.arg) and node.annotation is not None:
            roots.append(node.annotation)
        if isinstance(node, ast.AnnAssign):
            # A bare declaration (a dataclass field) is an annotation too; a value is still mutated.
            roots.append(node.annotation if node.value is not None else node)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("__slots__", "log") for t in node.targets
        ):
            roots.append(node)  # dropping __slots__ only costs memory; `log` is the logger itself
        if isinstance(node, ast.ImportFrom):
            roots.append(node)
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and isinstance(node.value.func.value, ast.Name)
            and node.value.func.value.id == "log"
        ):
            roots.append(node)
    return {id(inner) for root in roots for inner in ast.walk(root)}


def _changes(node: ast.AST) -> Iterator[tuple[str, Change]]:
    """The mutations of one node: (description, change applied to that node in a fresh tree)."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            flipped = _COMPARE_FLIPS.get(type(op))
            if flipped is not None:

                def flip(n: ast.AST, _p: object, index: int = index, flipped: type[ast.cmpop] = flipped) -> None:
                    n.ops[index] = flipped()  # type: ignore[attr-defined]

                yield "compare", flip
    elif isinstance(node, ast.BoolOp):
        other = ast.Or if isinstance(node.op, ast.And) else ast.And

        def swap(n: ast.AST, _p: object, other: type[ast.boolop] = other) -> None:
            n.op = other()  # type: ignore[attr-defined]

        yield "boolop", swap
        for index in range(len(node.values)):

            def drop(n: ast.AST, parents: dict, index: int = index) -> None:  # type: ignore[type-arg]
                values = [v for i, v in enumerate(n.values) if i != index]  # type: ignore[attr-defined]
                if len(values) == 1:
                    _replace(n, parents, values[0])
                else:
                    n.values = values  # type: ignore[attr-defined]

            yield f"drop {_short(node.values[index])}", drop
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "remove not", lambda n, parents: _replace(n, parents, n.operand)  # type: ignore[attr-defined]
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield "bool", lambda n, _p: setattr(n, "value", not n.value)  # type: ignore[attr-defined]
        elif isinstance(value, int):
            yield "number", lambda n, _p: setattr(n, "value", n.value + 1)  # type: ignore[attr-defined]
            yield "number", lambda n, _p: setattr(n, "value", n.value - 1)  # type: ignore[attr-defined]
        elif isinstance(value, float):
            yield "number", lambda n, _p: setattr(n, "value", n.value + 1)  # type: ignore[attr-defined]
        elif isinstance(value, str):
            yield "string", lambda n, _p: setattr(n, "value", "XX" + n.value + "XX")  # type: ignore[attr-defined]
        elif isinstance(value, bytes):
            yield "string", lambda n, _p: setattr(n, "value", b"XX" + n.value + b"XX")  # type: ignore[attr-defined]
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        swapped = _ARITH_SWAPS.get(type(node.op))
        if swapped is not None:

            def swap_op(n: ast.AST, _p: object, swapped: type[ast.operator] = swapped) -> None:
                n.op = swapped()  # type: ignore[attr-defined]

            yield "arith", swap_op
    elif isinstance(node, ast.Break):
        yield "loop", lambda n, parents: _replace(n, parents, ast.Continue())
    elif isinstance(node, ast.Continue):
        yield "loop", lambda n, parents: _replace(n, parents, ast.Break())
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        yield "negate", lambda n, _p: setattr(n, "test", ast.UnaryOp(ast.Not(), n.test))  # type: ignore[attr-defined]
    if isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        yield "return", lambda n, _p: setattr(n, "value", ast.Constant(None))
    if isinstance(node, ast.stmt) and not isinstance(node, _NOT_DELETED):
        yield "delete", lambda n, parents: _replace(n, parents, ast.Pass())


def mutants(source: str) -> list[Mutant]:
    """Every distinct mutant of `source`, in a fixed order."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    skipped = _skipped(tree)
    seen = {original}
    found: list[Mutant] = []
    for index, node in enumerate(_nodes(tree)):
        if id(node) in skipped:
            continue
        for what, change in _changes(node):
            fresh = ast.parse(source)
            target = _nodes(fresh)[index]
            parents = _parents(fresh)
            change(target, parents)
            ast.fix_missing_locations(fresh)
            try:
                text = ast.unparse(fresh)
                compile(text, "<mutant>", "exec")
            except (SyntaxError, ValueError):
                continue
            if text in seen:
                continue
            seen.add(text)
            parent, name, place = parents[id(target)]
            now = getattr(parent, name) if place is None else getattr(parent, name)[place]
            change_text = f"{what} in {_short(node)}" if what.startswith("drop") else f"{what}: {_short(node)} -> {_short(now)}"
            found.append(Mutant(len(found), getattr(node, "lineno", 0), change_text, text))
    return found


def _short(node: ast.AST) -> str:
    """A node's code on one line, cut to 60 characters, in backquotes."""
    text = ast.unparse(node).splitlines()[0] if not isinstance(node, ast.Pass) else "pass"
    return "`" + (text if len(text) <= 60 else text[:57] + "...") + "`"


def sample(all_mutants: list[Mutant], module: str, seed: str, size: int | None) -> list[Mutant]:
    """`size` mutants drawn reproducibly from (seed, module); all of them when size is None or too big."""
    if size is None or size >= len(all_mutants):
        return list(all_mutants)
    chosen = random.Random(f"{seed}:{module}").sample(all_mutants, size)
    return sorted(chosen, key=lambda m: m.id)


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        else:
            shutil.copy2(src, dest / name)


def _env(copy_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy_dir) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


#: pytest runs under way, so an interrupted run can end them (each leads its own process group).
_RUNNING: set[subprocess.Popen[bytes]] = set()


def _stop_running() -> None:
    for process in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _run_tests(copy_dir: Path, tests: str, timeout: float | None) -> tuple[str, float]:
    """('passed' | 'failed' | 'timeout', seconds) for one pytest run of `tests` in `copy_dir`."""
    # "-n 0": the project runs its suite on two xdist workers; here the parallelism is the worker copies.
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", tests]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=copy_dir,
        env=_env(copy_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so a timeout can end pytest and every process it started
    )
    _RUNNING.add(process)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return "timeout", time.monotonic() - started
    finally:
        _RUNNING.discard(process)
    return ("passed" if code == 0 else "failed"), time.monotonic() - started


def _check_import(copy_dir: Path, module: str) -> None:
    """Stop unless `module` would be imported from the copy (not from the project or an install)."""
    name = module.removesuffix(".py").replace("/", ".")
    probe = f"import {name} as m; print(m.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=copy_dir, env=_env(copy_dir), capture_output=True, text=True, check=False
    )
    where = found.stdout.strip()
    if not where.startswith(str(copy_dir)):
        sys.exit(f"control: {name} is imported from {where or found.stderr.strip()!r}, not from the copy")


def run(module: str, tests: str, chosen: list[Mutant], workers: int, timeout: float | None) -> int:
    """Control first, then every chosen mutant in parallel copies; print the results."""
    original = (ROOT / module).read_text()
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        copies = [Path(tmp) / f"w{n}" for n in range(max(1, workers))]
        for copy_dir in copies:
            _copy_tree(copy_dir)
        _check_import(copies[0], module)
        outcome, control_seconds = _run_tests(copies[0], tests, None)
        if outcome != "passed":
            print(f"control: {tests} fails on the unmutated copy; nothing to measure", file=sys.stderr)
            return 2
        limit = timeout if timeout is not None else 3 * control_seconds + 15
        print(f"control: {tests} passed in {control_seconds:.1f} s; per-mutant timeout {limit:.0f} s", flush=True)
        free: queue.Queue[Path] = queue.Queue()
        for copy_dir in copies:
            free.put(copy_dir)

        def attempt(mutant: Mutant) -> tuple[Mutant, str]:
            copy_dir = free.get()
            target = copy_dir / module
            try:
                target.write_text(mutant.source)
                outcome, _ = _run_tests(copy_dir, tests, limit)
            finally:
                target.write_text(original)
                free.put(copy_dir)
            return mutant, outcome

        started = time.monotonic()
        results: list[tuple[Mutant, str]] = []
        pool = ThreadPoolExecutor(max_workers=len(copies))
        try:
            for done, (mutant, outcome) in enumerate(pool.map(attempt, chosen), 1):
                results.append((mutant, outcome))
                print(f"\r{done}/{len(chosen)}", end="", file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            _stop_running()
            raise
        finally:
            pool.shutdown()
        print(file=sys.stderr)
        elapsed = time.monotonic() - started
    killed = sum(outcome == "failed" for _, outcome in results)
    timed_out = sum(outcome == "timeout" for _, outcome in results)
    survivors = [mutant for mutant, outcome in results if outcome == "passed"]
    score = 100 * (killed + timed_out) / len(results) if results else 100.0
    print(
        f"{module}: {len(results)} mutants tried, killed {killed}, survived {len(survivors)}, "
        f"timeout {timed_out}, score {score:.1f}%  ({elapsed:.0f} s with {len(copies)} workers)"
    )
    for mutant in survivors:
        print(f"  survived {module}:{mutant.line}  #{mutant.id}  {mutant.description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("module", help="the module to mutate, relative to the project, e.g. tui/api/sse.py")
    parser.add_argument("--tests", help="the test folder to run (default: tests/<the module's package>)")
    parser.add_argument("--workers", type=int, default=2, help="parallel copies of the tree (default 2)")
    parser.add_argument("--sample", type=int, help="run this many mutants drawn with the seed (default: all)")
    parser.add_argument("--seed", default="1", help="sampling seed (default 1)")
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default: 3x the control + 15)")
    parser.add_argument("--ids", help="comma-separated mutant ids to run instead of a sample")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--show", type=int, metavar="ID", help="print the diff of one mutant and exit")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # killed: end the pytest runs too, and remove the copies
    module = Path(args.module).as_posix()
    source = (ROOT / module).read_text()
    everything = mutants(source)
    if args.show is not None:
        mutant = everything[args.show]
        original = ast.unparse(ast.parse(source)).splitlines(keepends=True)
        print(mutant.description)
        sys.stdout.writelines(difflib.unified_diff(original, mutant.source.splitlines(keepends=True), module, module))
        return 0
    if args.list:
        for mutant in everything:
            print(f"#{mutant.id}  {module}:{mutant.line}  {mutant.description}")
        return 0
    if args.ids:
        wanted = {int(part) for part in args.ids.split(",") if part.strip()}
        chosen = [m for m in everything if m.id in wanted]
    else:
        chosen = sample(everything, module, args.seed, args.sample)
    tests = args.tests or "tests/" + Path(module).parent.name
    print(f"{module}: {len(everything)} mutants, running {len(chosen)} against {tests}", flush=True)
    return run(module, tests, chosen, args.workers, args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
