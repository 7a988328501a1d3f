"""The agent tools of a request: tool entries (built-in, MCP with their headers, function declarations).

The function-call items a follow-up or a replay carries are built by `tui.store.input_items`
(the JSON export's input array uses them too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.chat.errors import EngineError
from tui.tool_config import FunctionTool, McpServer, ToolConfigError, header_values


@dataclass(frozen=True, slots=True)
class AgentTools:
    """The agent tools the person configured; which of them a turn uses is per conversation."""

    mcp: tuple[McpServer, ...] = ()
    functions: tuple[FunctionTool, ...] = ()
    #: Local functions on by default for new conversations (a conversation's "functions" option wins).
    local_tools: tuple[str, ...] = ()
    knowledge_base: str | None = None
    root: str | None = None
    env: dict[str, str] | None = field(default=None, compare=False)
    #: Environment variables local tools never see: the API key's, and every MCP header's.
    secret_env: tuple[str, ...] = ()

    def hidden_env(self) -> list[str]:
        headers = [source.env for server in self.mcp for source in server.headers.values() if source.env]
        return [*self.secret_env, *headers]

    def server(self, label: str) -> McpServer:
        for server in self.mcp:
            if server.label == label:
                return server
        known = ", ".join(server.label for server in self.mcp) or "none configured"
        raise EngineError(f"there is no MCP server {label!r} (known: {known})")

    def headers(self, server: McpServer) -> dict[str, str]:
        """The server's headers, read now; one that cannot be read is an EngineError."""
        try:
            return header_values(server, self.env)
        except ToolConfigError as exc:
            raise EngineError(str(exc)) from None

    def mcp_entries(self, labels: Iterable[str]) -> list[dict[str, Any]]:
        """The documented `mcp` tool entries, headers read now; a header that cannot be read is an EngineError."""
        entries = []
        for label in dict.fromkeys(labels):
            server = self.server(label)
            headers = self.headers(server)
            entry: dict[str, Any] = {
                "type": "mcp",
                "server_protocol": server.protocol,
                "server_label": server.label,
                "server_url": server.url,
            }
            if headers:
                entry["headers"] = headers
            entries.append(entry)
        return entries


def builtin_entries(names: Sequence[str], knowledge_base: str | None) -> list[dict[str, Any]]:
    """`{"type": name}` per built-in tool; file_search carries its one knowledge base id."""
    entries: list[dict[str, Any]] = []
    for name in names:
        if name == "file_search":
            if not knowledge_base:
                raise EngineError("file_search needs a knowledge base: set knowledge_base = \"<id>\" in the config file")
            entries.append({"type": "file_search", "vector_store_ids": [knowledge_base]})
        else:
            entries.append({"type": name})
    return entries


def function_declaration(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A function tool as DashScope takes it: flat `name` (a nested `function: {}` is a 400)."""
    return {"type": "function", "name": name, "description": description, "parameters": parameters}
