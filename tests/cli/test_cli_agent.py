"""`qwen-tui ask` with agent tools, as a person runs it: --mcp, --allow-tool, --yes, config-defined
functions, and a tool printing escape sequences on a real terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from cli_process import Cli, assert_one_clear_line, run_on_terminal

SECRET = "mcp-secret-7f3a9c"


def with_config(cli: Cli, text: str) -> dict[str, str]:
    """Write a config file under the test's root; the env that points `qwen-tui` at it."""
    path = cli.root / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return {"QWEN_TUI_CONFIG": str(path)}


def ask(cli: Cli, sim: Any, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli.run("ask", *args, base_url=sim.base_url, env=env)


SHELL_ON = 'local_tools = ["shell"]\n'


def test_a_local_tool_runs_only_when_allowed(cli: Cli, sim) -> None:
    env = with_config(cli, SHELL_ON)
    denied = ask(cli, sim, "use shell to run `touch made`", env=env)
    assert denied.returncode == 0, denied.stderr
    assert not (cli.root / "made").exists()
    assert "[function] shell: denied" in denied.stderr
    assert "did not allow" in sim.state.requests[-1]["input"][0]["output"]

    allowed = ask(cli, sim, "--allow-tool", "shell", "use shell to run `touch made && echo done`", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert (cli.root / "made").exists()
    assert "[function] output:\n    done" in allowed.stderr
    assert "The function returned: done" in allowed.stdout


def test_yes_allows_every_call_and_json_lists_them(cli: Cli, sim) -> None:
    env = with_config(cli, SHELL_ON)
    done = ask(cli, sim, "--yes", "--json", "use shell to run `echo via-yes`", env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    call = next(item for item in result["items"] if item["type"] == "function_call")
    assert (call["name"], call["status"], call["output"]) == ("shell", "completed", "via-yes\n")


def test_allow_tool_alone_offers_the_tool_without_config(cli: Cli, sim) -> None:
    (cli.root / "notes.txt").write_text("kettle")
    done = ask(cli, sim, "--allow-tool", "read_file", "read_file notes.txt")
    assert done.returncode == 0, done.stderr
    assert "The function returned: kettle" in done.stdout
    offered = [tool["name"] for tool in sim.state.requests[0]["tools"] if tool["type"] == "function"]
    assert offered == ["read_file"]


def test_a_config_function_gets_its_arguments_on_stdin(cli: Cli, sim) -> None:
    script = cli.root / "greet.py"
    script.write_text("import json, sys\nprint('hello ' + json.load(sys.stdin)['who'])\n")
    env = with_config(
        cli,
        f"""
[[function]]
name = "greet"
description = "Greet someone"
parameters = {{ type = "object", properties = {{ who = {{ type = "string" }} }}, required = ["who"] }}
command = "{sys.executable} {script}"
""",
    )
    done = ask(cli, sim, "--allow-tool", "greet", "greet `Ada`", env=env)
    assert done.returncode == 0, done.stderr
    assert "The function returned: hello Ada" in done.stdout


def test_unknown_allow_tool_is_one_line(cli: Cli, sim) -> None:
    done = ask(cli, sim, "--allow-tool", "rm_rf", "hello")
    assert done.returncode != 0
    assert_one_clear_line(done.stderr, "rm_rf")


MCP_CONFIG = """
[mcp.maps]
url = "https://mcp.example.com/sse"
headers = { Authorization = { env = "MAPS_TOKEN", prefix = "Bearer " } }
"""


def test_mcp_server_is_sent_and_its_secret_is_written_nowhere(cli: Cli, sim) -> None:
    env = {**with_config(cli, MCP_CONFIG), "MAPS_TOKEN": SECRET}
    done = ask(cli, sim, "--debug", "--mcp", "maps", "find coffee", env=env)  # even the debug log keeps it out
    assert done.returncode == 0, done.stderr
    entry = sim.state.requests[-1]["tools"][0]
    assert entry["server_label"] == "maps" and entry["headers"] == {"Authorization": f"Bearer {SECRET}"}
    assert "[mcp] maps: search(" in done.stderr and "[mcp] output:" in done.stderr
    again = ask(cli, sim, "-c", "and tea?", env=env)  # the server stays on for the conversation
    assert again.returncode == 0 and sim.state.requests[-1]["tools"][0]["server_label"] == "maps"
    exported = cli.run("export", "1", "--format", "json")
    assert SECRET not in exported.stdout
    for path in cli.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_mcp_header_variable_missing_is_one_line(cli: Cli, sim) -> None:
    done = ask(cli, sim, "--mcp", "maps", "find coffee", env=with_config(cli, MCP_CONFIG))
    assert done.returncode != 0
    assert_one_clear_line(done.stderr, "MAPS_TOKEN")
    assert sim.state.requests == []


def test_a_literal_header_secret_in_the_config_is_refused(cli: Cli, sim) -> None:
    env = with_config(cli, '[mcp.maps]\nurl = "https://m.example.com"\nheaders = { Authorization = "Bearer x" }\n')
    done = ask(cli, sim, "hello", env=env)
    assert done.returncode != 0
    assert_one_clear_line(done.stderr, "env")


def test_image_and_file_search_are_listed_on_stderr(cli: Cli, sim) -> None:
    env = with_config(cli, 'knowledge_base = "vs_team"\n')
    done = ask(cli, sim, "--tool", "web_search_image", "--tool", "file_search", "red pandas", env=env)
    assert done.returncode == 0, done.stderr
    assert "[web_search_image] red pandas (1) <https://images.example.com/red-pandas-1.jpg>" in done.stderr
    assert "[file_search] handbook.md (0.87): The handbook says red pandas" in done.stderr


def test_a_tool_printing_escape_sequences_cannot_change_the_terminal(cli: Cli, sim) -> None:
    """stdout and stderr on a pty, as in a shell: the tool's ESC/BEL bytes never arrive, its text does."""
    hostile = r"printf '\033[2J\033]0;pwned\007\033]52;c;ZXZpbA==\007visible'"
    command = ("ask", "--allow-tool", "shell", f"use shell to run `{hostile}`")
    shown = run_on_terminal(cli, *command, base_url=sim.base_url, stderr_too=True)
    assert b"[2J]0;pwned]52;c;ZXZpbA==visible" in shown  # the output arrived, made inert
    assert b"\x1b" not in shown and b"\x07" not in shown


def test_tools_lists_the_config_and_what_a_server_offers(cli: Cli, sim) -> None:
    mcp_root = sim.base_url.split("/compatible-mode")[0]
    env = with_config(cli, f"""local_tools = ["shell"]
[mcp.maps]
url = "{mcp_root}/_mcp/sse"
headers = {{ Authorization = {{ env = "MAPS_TOKEN" }} }}
""")
    listed = cli.run("tools", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"mcp\tmaps\tsse\t{mcp_root}/_mcp/sse" in listed.stdout and "local\tshell\ton" in listed.stdout
    offered = cli.run("tools", "maps", env={**env, "MAPS_TOKEN": SECRET})
    assert offered.returncode == 0, offered.stderr
    assert offered.stdout.splitlines() == ["search\tFind places near a point", "route\tPlan a route between two places"]
    missing = cli.run("tools", "maps", env=env)
    assert_one_clear_line(missing.stderr, "MAPS_TOKEN")


def test_a_tool_does_not_see_the_api_key_or_mcp_secrets(cli: Cli, sim) -> None:
    env = {**with_config(cli, SHELL_ON + MCP_CONFIG), "MAPS_TOKEN": SECRET}
    command = "echo key=${DASHSCOPE_API_KEY:-hidden} maps=${MAPS_TOKEN:-hidden} home=${HOME:+set}"
    done = ask(cli, sim, "--yes", f"use shell to run `{command}`", env=env)
    assert done.returncode == 0, done.stderr
    assert "The function returned: key=hidden maps=hidden home=set" in done.stdout
