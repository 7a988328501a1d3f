"""The read/manage commands (list, show, export, import, search), `sim`, and what every command shares."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cli_process import TEST_KEY, Cli, make_cli, read_until

from tui.sim import SimServer


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with two conversations made the way a person makes them (built once per module)."""
    maker = make_cli(tmp_path_factory.mktemp("seed"))
    with SimServer() as sim:
        for args in (
            ("ask", "My name is John, please remember it."),
            ("ask", "-c", "Do you remember my name?"),
            ("ask", "--tool", "web_search", "Tell me about postgres indexes"),
        ):
            done = maker.run(*args, base_url=sim.base_url)
            assert done.returncode == 0, done.stderr
    return maker.db


@pytest.fixture
def seeded(cli: Cli, seeded_db: Path) -> Cli:
    """`cli` with its own copy of the seeded database."""
    shutil.copyfile(seeded_db, cli.db)
    return cli


def test_list_is_newest_first_one_line_each_starting_with_the_id(seeded: Cli) -> None:
    cli = seeded
    lines = cli.run("list").stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["2", "1"]
    assert lines[0].endswith("Tell me about postgres indexes")
    assert lines[1].endswith("My name is John, please remember it.")


def test_show_prints_the_branch_with_roles_tools_and_usage(seeded: Cli) -> None:
    cli = seeded
    shown = cli.run("show", "1").stdout
    assert shown.startswith("#1 My name is John, please remember it.\n")
    assert shown.index("My name is John") < shown.index("Do you remember my name?") < shown.index("I remember your name")
    assert "(qwen3-max-2026-01-23, chain)" in shown
    assert "4 messages" in shown
    tools = cli.run("show", "2").stdout
    assert "  · Web search: postgres indexes · 2 sources\n" in tools


def test_show_unknown_id_is_one_line(seeded: Cli) -> None:
    cli = seeded
    done = cli.run("show", "99")
    assert done.returncode == 1
    assert done.stderr.strip() == "qwen-tui: error: there is no conversation 99; 'qwen-tui list' shows their ids"


def test_export_markdown_and_json_then_import_round_trip(seeded: Cli) -> None:
    cli = seeded
    markdown = cli.run("export", "1", "--format", "md")
    assert markdown.returncode == 0
    assert "My name is John, please remember it." in markdown.stdout
    assert "I remember your name" in markdown.stdout
    target = cli.root / "chat.json"
    done = cli.run("export", "1", "--format", "json", "-o", str(target))
    assert done.returncode == 0 and done.stdout == ""
    document = json.loads(target.read_text(encoding="utf-8"))
    assert [text for text in (m["content"] for m in document["messages"])][0] == "My name is John, please remember it."
    assert TEST_KEY not in target.read_text(encoding="utf-8") + markdown.stdout
    imported = cli.run("import", str(target))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split()[0] == "3"
    from_stdin = cli.run("import", "-", stdin=target.read_text(encoding="utf-8"))
    assert from_stdin.stdout.split()[0] == "3"  # the same document again: it says so and adds nothing
    assert "already imported as conversation 3" in from_stdin.stderr
    original = cli.run("show", "1").stdout
    strip_ids = lambda text: [line for line in text.splitlines() if not line.startswith(("#", "── #"))]  # noqa: E731
    for copy_id in ("3",):
        assert strip_ids(cli.run("show", copy_id).stdout) == strip_ids(original)


def test_import_rejects_a_file_that_is_not_an_export(cli: Cli) -> None:
    bad = cli.root / "notes.json"
    bad.write_text("[1, 2, 3]", encoding="utf-8")
    done = cli.run("import", str(bad))
    assert done.returncode == 1
    assert done.stderr.startswith("qwen-tui: error: ") and len(done.stderr.splitlines()) == 1
    missing = cli.run("import", str(cli.root / "nope.json"))
    assert missing.returncode == 1 and "nope.json" in missing.stderr


def test_search_finds_messages_and_says_when_nothing_matches(seeded: Cli) -> None:
    cli = seeded
    hits = cli.run("search", "postgres").stdout.splitlines()
    assert hits and all(line.split()[0] == "2" for line in hits)
    assert any("[postgres]" in line or "[Postgres]" in line for line in hits)
    none = cli.run("search", "zebra")
    assert none.returncode == 1 and none.stdout == ""
    odd = cli.run("search", '"unbalanced AND (')
    assert odd.returncode in (0, 1) and "Traceback" not in odd.stderr


def test_common_options_work_before_or_after_the_command(seeded: Cli) -> None:
    cli = seeded

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, env=cli.env)

    before = run("--db", str(cli.db), "list")
    after = run("list", "--db", str(cli.db))
    assert before.returncode == after.returncode == 0
    assert len(before.stdout.splitlines()) == 2
    assert after.stdout == before.stdout
    assert run("list").stdout == ""  # the default database (under XDG_DATA_HOME) is a different, empty one
    config = run("config", "--model", "qwen-plus", "--region", "beijing").stdout
    assert "qwen-plus  (flag --model)" in config
    assert "beijing  (flag --region)" in config


def test_sim_command_serves_until_interrupted(cli: Cli) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "sim", "--port", "0", "--speed", "500"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli.env,
    )
    try:
        base_url = read_until(process, lambda data: data.endswith(b"\n")).decode().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/compatible-mode/v1")
        done = cli.run("ask", "My name is John.", base_url=base_url)
        assert done.returncode == 0, done.stderr
        assert "**John**" in done.stdout
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode == 0


def test_headless_commands_never_import_textual(cli: Cli, sim) -> None:
    probe = (
        "import sys; from tui.cli import main; code = main(sys.argv[1:]); "
        "assert 'textual' not in sys.modules, 'textual was imported'; raise SystemExit(code)"
    )
    for args in (["list"], ["ask", "hello", "--base-url", sim.base_url], ["config"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args, "--db", str(cli.db)], capture_output=True, text=True, env=cli.env
        )
        assert done.returncode == 0, done.stderr


def test_the_collector_is_off_only_while_the_command_imports(cli: Cli, sim) -> None:
    """The entry turns the cyclic collector off for the imports; every command turns it back on,
    or a long session would never free a reference cycle."""
    headless = (
        "import gc, sys; from tui.__main__ import main; assert not gc.isenabled(); code = main(sys.argv[1:]); "
        "assert gc.isenabled() and gc.get_freeze_count() > 0, 'collector left off'; raise SystemExit(code)"
    )
    for args in (["list"], ["ask", "hello", "--base-url", sim.base_url]):
        done = subprocess.run(
            [sys.executable, "-c", headless, *args, "--db", str(cli.db)], capture_output=True, text=True, env=cli.env
        )
        assert done.returncode == 0, done.stderr
    app = (  # the app's own imports come first; the app itself is replaced by a probe of the collector
        "import gc; import tui.__main__; import tui.app.app as app; from tui.app import run_app\n"
        "class Probe:\n"
        "    return_code = 0\n"
        "    def __init__(self, settings, **options): pass\n"
        "    def run(self): print('on' if gc.isenabled() else 'off')\n"
        "app.QwenApp = Probe; run_app(None)"
    )
    done = subprocess.run([sys.executable, "-c", app], capture_output=True, text=True, env=cli.env)
    assert done.stdout.strip() == "on", done.stderr


def test_app_without_a_terminal_says_what_to_use_instead(cli: Cli) -> None:
    done = cli.run()
    assert done.returncode == 2
    assert done.stderr.startswith("qwen-tui: error: the full-screen app needs a terminal")
    assert len(done.stderr.splitlines()) == 1


def test_debug_shows_details_that_are_otherwise_only_logged(cli: Cli) -> None:
    cli.db.write_bytes(b"not a database" * 50)
    quiet = cli.run("list")
    loud = cli.run("--debug", "list")
    assert len(quiet.stderr.splitlines()) == 1
    assert len(loud.stderr.splitlines()) > 1
    assert loud.stderr.splitlines()[-1] == quiet.stderr.splitlines()[-1]
    log_text = "".join(path.read_text(encoding="utf-8") for path in (cli.root / "state").rglob("*.log"))
    assert "sqlite" in log_text.lower()
    assert "Traceback (most recent call last)" in log_text


def test_the_key_never_reaches_the_database_logs_or_exports(cli: Cli, sim_factory) -> None:
    sim = sim_factory(long_answer=10)
    sim.inject("drop", after_deltas=3)
    for args in (("--debug", "ask", "hello"), ("--debug", "ask", "-c", "again")):
        cli.run(*args, base_url=sim.base_url)
    exported = cli.run("export", "1", "--format", "json").stdout
    files = [cli.db, *cli.root.glob("chats.db*"), *(cli.root / "state").rglob("*.log")]
    assert exported and len(files) > 2
    assert TEST_KEY not in exported
    for path in files:
        assert TEST_KEY.encode() not in path.read_bytes(), path
