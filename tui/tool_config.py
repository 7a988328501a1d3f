"""Agent tools in the settings: MCP servers the service calls, local function tools, the knowledge base.

Secrets stay out of every file we write: an MCP header names where its value comes from (an
environment variable or a command), and the value is read only when a request is built.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: The transports DashScope's `mcp` tool names in `server_protocol` ("sse" in its examples); the
#: docs show no list, so both MCP transports are accepted and passed through as written.
MCP_PROTOCOLS = ("sse", "streamable_http", "streamableHttp")
#: Local functions built into the client (opt-in; each call still asks for consent).
BUILTIN_FUNCTIONS = ("read_file", "list_dir", "shell")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ToolConfigError(Exception):
    """A tool setting could not be used (a header's variable is unset, its command failed); one line."""


class HeaderSource(BaseModel):
    """Where an MCP header's value comes from: `{ env = "VAR" }` or `{ command = "pass show x" }`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    env: str | None = None
    command: str | None = None
    #: Text put before the value, e.g. "Bearer ".
    prefix: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> HeaderSource:
        if bool(self.env) == bool(self.command):
            raise ValueError("a header takes exactly one of env = \"VAR\" or command = \"...\"")
        return self


class McpServer(BaseModel):
    """An MCP server the service connects to on the model's behalf (`{"type": "mcp", ...}`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    label: str
    url: str
    protocol: str = "sse"
    headers: dict[str, HeaderSource] = Field(default_factory=dict)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"MCP label {value!r} must be 1-64 letters, digits, '_' or '-'")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"MCP url {value!r} must start with https:// or http://")
        return value

    @field_validator("protocol")
    @classmethod
    def _protocol(cls, value: str) -> str:
        if value not in MCP_PROTOCOLS:
            raise ValueError(f"MCP protocol {value!r}: choose from {', '.join(MCP_PROTOCOLS)}")
        return value

    @field_validator("headers", mode="before")
    @classmethod
    def _no_literal_secrets(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for name, source in value.items():
                if isinstance(source, str):
                    raise ValueError(  # noqa: TRY004 (pydantic reports ValueError)
                        f"header {name!r} is written as text; give {{ env = \"VAR\" }} or {{ command = \"...\" }} "
                        "so no secret is stored in the config"
                    )
        return value


class FunctionTool(BaseModel):
    """A local function the person defines: the model sees name, description and schema; `command`
    runs with the arguments as JSON on stdin, and its stdout is the result."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    command: str
    timeout: float | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"function name {value!r} must be 1-64 letters, digits, '_' or '-'")
        if value in BUILTIN_FUNCTIONS:
            raise ValueError(f"function name {value!r} is a built-in one; pick another")
        return value

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"function command {value!r}: {exc}") from None
        if not words:
            raise ValueError("function command is empty")
        return value


def named_tables(value: Any, key: str) -> Any:
    """`[[mcp]]` (a list of tables) or `[mcp.LABEL]` (tables by name) as one list; the name fills `key`."""
    if isinstance(value, Mapping):
        return [{key: name, **table} if isinstance(table, Mapping) else table for name, table in value.items()]
    return value


_command_values: dict[str, str] = {}


def header_values(server: McpServer, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's headers with their values read now (a command runs once per process, then is reused)."""
    env = os.environ if env is None else env
    values: dict[str, str] = {}
    for name, source in server.headers.items():
        if source.env:
            value = env.get(source.env, "").strip()
            if not value:
                raise ToolConfigError(
                    f"MCP server {server.label!r}: header {name} needs environment variable {source.env}, which is not set"
                )
        else:
            value = _command_value(server.label, name, str(source.command))
        values[name] = source.prefix + value
    return values


def _command_value(label: str, header: str, command: str) -> str:
    if command in _command_values:
        return _command_values[command]
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise ToolConfigError(f"MCP server {label!r}: the command for header {header} could not run: {exc}") from None
    value = done.stdout.strip()
    if done.returncode != 0 or not value:
        raise ToolConfigError(f"MCP server {label!r}: the command for header {header} failed (exit {done.returncode})")
    _command_values[command] = value
    return value
