"""W13: limits are honest: config checked when it loads, a second import adds nothing, export -o never overwrites blindly."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

import pytest
from cli_process import PROCESS_TIMEOUT, Cli, assert_one_clear_line


def _config(cli: Cli, text: str) -> Path:
    path = cli.root / "config" / "qwen-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "key", "fragment"),
    [
        ('base_url = "ht!tp:// bad url"', "base_url", "not an http:// or https:// URL"),
        ('base_url = "ftp://example.com/v1"', "base_url", "not an http:// or https:// URL"),
        ('model = ""', "model", "model name is empty"),
        ('theme = "nonexistent-theme"', "theme", "unknown theme"),
        ('thinking = "yes"', "thinking", "true or false"),
        ("tools = \"web_search\"", "tools", "list"),
    ],
)
def test_a_bad_config_value_is_one_line_naming_the_key_and_the_file_before_anything_runs(
    cli: Cli, line: str, key: str, fragment: str
) -> None:
    path = _config(cli, line + "\n")
    for command in (("config",), ("list",)):
        done = cli.run(*command)
        assert done.returncode != 0
        assert_one_clear_line(done.stderr, f"bad value for {key}", str(path), fragment)
    assert not cli.db.exists()  # nothing was opened, let alone written


def test_good_values_and_every_textual_theme_load(cli: Cli) -> None:
    from textual.theme import BUILTIN_THEMES

    from tui.config import THEMES

    assert sorted(THEMES) == sorted(BUILTIN_THEMES)  # the list config checks is Textual's own
    _config(cli, 'theme = "dracula"\nthinking = true\nbase_url = "http://127.0.0.1:8000/compatible-mode/v1"\n')
    done = cli.run("config")
    assert done.returncode == 0, done.stderr
    assert "dracula" in done.stdout


def test_importing_the_same_file_twice_says_so_and_adds_nothing(cli: Cli, sim) -> None:
    assert cli.run("ask", "hello", base_url=sim.base_url).returncode == 0
    exported = cli.root / "chat.json"
    assert cli.run("export", "1", "--format", "json", "-o", str(exported)).returncode == 0
    first = cli.run("import", str(exported))
    assert first.returncode == 0 and first.stdout.startswith("2  "), first.stderr
    # Reformatted, it is still the same document.
    reformatted = cli.root / "again.json"
    reformatted.write_text(json.dumps(json.loads(exported.read_text()), indent=4, sort_keys=True), encoding="utf-8")
    for path in (exported, reformatted):
        again = cli.run("import", str(path))
        assert again.returncode == 0
        assert again.stdout.startswith("2  ")
        assert "already imported as conversation 2; nothing was added" in again.stderr
    assert len(cli.run("list").stdout.splitlines()) == 2


def test_export_to_an_existing_file_needs_force_when_not_on_a_terminal(cli: Cli, sim) -> None:
    assert cli.run("ask", "hello", base_url=sim.base_url).returncode == 0
    target = cli.root / "out.md"
    target.write_text("precious notes", encoding="utf-8")
    refused = cli.run("export", "1", "-o", str(target))
    assert refused.returncode == 1
    assert_one_clear_line(refused.stderr, "already exists", "--force")
    assert target.read_text(encoding="utf-8") == "precious notes"
    forced = cli.run("export", "1", "-o", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "hello" in target.read_text(encoding="utf-8")


def _export_on_a_terminal(cli: Cli, target: Path, answer: bytes) -> tuple[int, bytes]:
    """`export -o target` with stdin/stdout/stderr on a pty, answering the question with `answer`."""
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            cli.argv(("export", "1", "-o", str(target)), None), stdin=slave, stdout=slave, stderr=slave,
            env=cli.env, cwd=cli.root,
        )
        os.close(slave)
        seen = b""
        while b"overwrite it? [y/N]" not in seen:
            chunk = os.read(master, 4096)
            assert chunk, seen
            seen += chunk
        os.write(master, answer + b"\r")
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        return process.wait(timeout=PROCESS_TIMEOUT), seen
    finally:
        os.close(master)


def test_export_asks_before_overwriting_on_a_terminal(cli: Cli, sim) -> None:
    assert cli.run("ask", "hello", base_url=sim.base_url).returncode == 0
    target = cli.root / "out.md"
    target.write_text("precious notes", encoding="utf-8")
    status, seen = _export_on_a_terminal(cli, target, b"n")
    assert status == 1 and b"left as it was" in seen
    assert target.read_text(encoding="utf-8") == "precious notes"
    status, seen = _export_on_a_terminal(cli, target, b"y")
    assert status == 0, seen
    assert "hello" in target.read_text(encoding="utf-8")
