"""Failures a person runs into end with one clear line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from cli_process import TEST_KEY, Cli, assert_one_clear_line


def test_missing_key_says_what_to_set_and_sends_nothing(cli: Cli, sim) -> None:
    done = cli.run("ask", "hello", base_url=sim.base_url, env={"DASHSCOPE_API_KEY": ""})
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "DASHSCOPE_API_KEY", "--demo")
    assert done.stdout == ""
    assert sim.requests == []


def test_bad_flag_is_one_line_with_usage_exit_status(cli: Cli) -> None:
    done = cli.run("list", "--frobnicate")
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "--frobnicate", "--help")


def test_unknown_tool_is_rejected_before_anything_is_sent(cli: Cli, sim) -> None:
    done = cli.run("ask", "--tool", "teleport", "hi", base_url=sim.base_url)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "teleport", "web_search")
    assert sim.requests == []


def test_unknown_region_is_one_line_listing_the_regions(cli: Cli) -> None:
    done = cli.run("list", "--region", "mars")
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "mars", "singapore", "beijing")


def test_corrupt_database_is_reported_and_left_untouched(cli: Cli) -> None:
    garbage = b"this is not a database, just some bytes\n" * 100
    cli.db.write_bytes(garbage)
    done = cli.run("list")
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, str(cli.db))
    assert cli.db.read_bytes() == garbage


def test_bad_toml_names_file_and_line(cli: Cli) -> None:
    config = cli.root / "config" / "qwen-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('model = "qwen-plus"\nthinking = maybe\n', encoding="utf-8")
    done = cli.run("config")
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, str(config), "line 2")


def test_config_shows_sources_and_masks_the_key(cli: Cli) -> None:
    config = cli.root / "config" / "qwen-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('region = "beijing"\ntools = ["web_search"]\n', encoding="utf-8")
    done = cli.run("--model", "qwen-plus", "config", env={"QWEN_TUI_THINKING": "1"})
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()}
    assert TEST_KEY not in done.stdout + done.stderr
    assert "sk-…cdef" in rows["api_key"] and "env DASHSCOPE_API_KEY" in rows["api_key"]
    assert "qwen-plus" in rows["model"] and "flag --model" in rows["model"]
    assert "beijing" in rows["region"] and f"file {config}" in rows["region"]
    assert "true" in rows["thinking"] and "env QWEN_TUI_THINKING" in rows["thinking"]
    assert "https://dashscope.aliyuncs.com/compatible-mode/v1" in rows["endpoint"]
    assert str(cli.db) in rows["db_path"]
