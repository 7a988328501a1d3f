"""`qwen-tui tools [LABEL]`: the agent tools the config offers, or what one MCP server offers."""

from __future__ import annotations

import argparse

from tui.chat import open_engine
from tui.cli.console import out
from tui.config import Settings
from tui.text_safety import one_line


async def cmd_tools(args: argparse.Namespace, settings: Settings) -> int:
    """Without LABEL: MCP servers, local tools and the knowledge base. With LABEL: that server's tools."""
    async with open_engine(settings, require_key=False) as engine:
        if args.label:
            tools = await engine.mcp_tools(args.label)
            for tool in tools:
                out(f"{one_line(tool.name, 60)}\t{one_line(tool.description, 160)}\n")
            if not tools:
                out(f"{args.label} offers no tools\n")
            return 0
        for server in settings.mcp:
            out(f"mcp\t{server.label}\t{server.protocol}\t{server.url}\n")
        on = set(settings.local_tools)
        for name in engine.local_tools():
            out(f"local\t{name}\t{'on' if name in on else 'off'}\n")
        if settings.knowledge_base:
            out(f"knowledge_base\t{settings.knowledge_base}\n")
    return 0
