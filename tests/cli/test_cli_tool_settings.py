"""Agent tools in the config file: MCP servers in either table form, headers from env or a command
(never as text), local functions, the knowledge base; saving from the app keeps them as written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.config import ConfigError, load_settings, save_settings
from tui.tool_config import HeaderSource, McpServer, ToolConfigError, header_values


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("QWEN_TUI_") or name == "DASHSCOPE_API_KEY":
            monkeypatch.delenv(name)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("QWEN_TUI_CONFIG", str(path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return path


TOOLS = """model = "qwen3-max"
knowledge_base = "vs_team"
local_tools = ["shell", "weather"]

[mcp.maps]
url = "https://maps.example.com/sse"
headers = { Authorization = { env = "MAPS_TOKEN", prefix = "Bearer " } }

[[function]]
name = "weather"
description = "Weather for a city"
command = "weather-cli --json"
parameters = { type = "object", properties = { city = { type = "string" } } }
"""


def test_tables_and_lists_are_read(config: Path) -> None:
    config.write_text(TOOLS)
    settings = load_settings()
    (server,) = settings.mcp
    assert (server.label, server.url, server.protocol) == ("maps", "https://maps.example.com/sse", "sse")
    assert server.headers["Authorization"] == HeaderSource(env="MAPS_TOKEN", prefix="Bearer ")
    assert [tool.name for tool in settings.function] == ["weather"]
    assert settings.local_tools == ["shell", "weather"] and settings.knowledge_base == "vs_team"


def test_array_of_tables_form(config: Path) -> None:
    config.write_text('[[mcp]]\nlabel = "a"\nurl = "https://a.example"\nprotocol = "streamable_http"\n')
    assert load_settings().mcp[0].protocol == "streamable_http"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[mcp.m]\nurl = "https://m.example"\nheaders = { Authorization = "Bearer sk-1" }\n', "no secret is stored"),
        ('[mcp.m]\nurl = "ftp://m.example"\n', "https://"),
        ('[mcp.m]\nurl = "https://m.example"\nprotocol = "stdio"\n', "stdio"),
        ('[mcp.m]\nurl = "https://m.example"\nheaders = { X = { env = "A", command = "b" } }\n', "exactly one"),
        ('local_tools = ["rm"]\n', "unknown local tool 'rm'"),
        ('[[function]]\nname = "shell"\ncommand = "x"\n', "built-in"),
        ('tools = ["image_search", "nope"]\n', "unknown tool 'nope'"),
    ],
)
def test_bad_tool_settings_are_one_clear_line(config: Path, text: str, fragment: str) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_saving_from_the_app_keeps_tool_tables(config: Path) -> None:
    config.write_text(TOOLS)
    settings = load_settings()
    save_settings(settings.updated("app", model="qwen3.5-plus", thinking=True))
    again = load_settings()
    assert again.model == "qwen3.5-plus" and again.thinking
    assert again.mcp == settings.mcp and again.function == settings.function
    assert again.local_tools == settings.local_tools and again.knowledge_base == "vs_team"


def test_header_values_come_from_env_or_a_command_at_request_time() -> None:
    server = McpServer(label="s", url="https://s.example", headers={
        "A": HeaderSource(env="TOKEN_A", prefix="Bearer "), "B": HeaderSource(command="printf from-cmd")})
    assert header_values(server, {"TOKEN_A": "xyz"}) == {"A": "Bearer xyz", "B": "from-cmd"}
    with pytest.raises(ToolConfigError, match="TOKEN_A"):
        header_values(server, {})
    failing = McpServer(label="f", url="https://f.example", headers={"C": HeaderSource(command="false")})
    with pytest.raises(ToolConfigError, match="failed"):
        header_values(failing, {})
