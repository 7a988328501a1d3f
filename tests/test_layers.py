"""The layers of design.md, checked statically: every import in `tui/` (lazy and type-only ones too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tui"

#: Layer -> module prefixes it must never import.
_PURE = ("textual", "tui.app", "tui.cli")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": (*_PURE, "tui.store"),
    "store": (*_PURE, "tui.api"),
    "chat": _PURE,
    "sim": (*_PURE, "tui.api", "tui.chat", "tui.store"),
    "config": _PURE,
    "log": _PURE,
    "app": ("tui.sim", "httpx", "sqlite3", "aiosqlite"),
}


def layer_of(path: Path) -> str:
    """`api` for tui/api/client.py, `config` for tui/config.py."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def module_of(path: Path) -> str:
    parts = ("tui", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, relative ones resolved."""
    package = module_of(path) if path.name == "__init__.py" else module_of(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            # `from tui import app` imports the module tui.app.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names] + [(node.lineno, module)]
    return found


def violations(path: Path) -> list[str]:
    """One line per import statement that reaches a module the file's layer must not use."""
    forbidden = FORBIDDEN.get(layer_of(path), ())
    bad = {
        line: module
        for line, module in reversed(imports(path))
        if any(module == prefix or module.startswith(prefix + ".") for prefix in forbidden)
    }
    return [f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}" for line, module in sorted(bad.items())]


def test_no_layer_imports_what_design_md_forbids() -> None:
    found = [problem for path in sorted(PACKAGE.rglob("*.py")) for problem in violations(path)]
    assert found == []


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("chat/fold.py", "from textual.widget import Widget"),
        ("store/records.py", "from ..api import types"),
        ("sim/memory.py", "import tui.chat.updates"),
        ("config.py", "from tui import app"),
        ("app/widgets/tool_panel.py", "import httpx"),
        ("app/screens/chat.py", "    from tui.sim import SimServer"),
    ],
)
def test_a_forbidden_import_is_found_wherever_it_hides(where: str, line: str, tmp_path: Path, monkeypatch) -> None:
    """The check itself: a copy of the package with one bad import added fails it."""
    import shutil

    copy = tmp_path / "tui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / where
    body = f"def _probe() -> None:\n{line}\n" if line.startswith(" ") else f"{line}\n"
    target.write_text(target.read_text(encoding="utf-8") + "\n" + body, encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    assert len(violations(target)) == 1
