"""`ask`'s agent-tool flags: --mcp turns servers on, --allow-tool offers and allows local tools,
--yes allows every call; without them a call is denied (and the model is told so)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from tui.chat import ChatEngine
from tui.chat.functions import DENIED, RUNNING, Consent, allow_named
from tui.chat.updates import ToolCall


async def apply_agent_flags(engine: ChatEngine, conversation_id: int, args: argparse.Namespace) -> None:
    """Turn on the MCP servers and local tools the flags name for this conversation (kept with it)."""
    if args.mcp:
        conversation = await engine.conversation(conversation_id)
        await engine.set_mcp(conversation_id, [*engine.mcp_enabled(conversation), *args.mcp])
    if args.allow_tools:
        conversation = await engine.conversation(conversation_id)
        await engine.set_functions(conversation_id, [*engine.functions_enabled(conversation), *args.allow_tools])


def consent_for(args: argparse.Namespace) -> Consent:
    """Calls run only for the tools named with --allow-tool, or all with --yes; the rest are denied."""
    return allow_named(args.allow_tools or [], everything=args.yes)


def note_agent_details(call: ToolCall, once: Callable[[str, str], None]) -> None:
    """The stderr lines agent tools add, each given to `once(key, line)` (which prints a detail a
    single time): a local call's consent and output, listed results, errors."""
    name = call.type.removesuffix("_call")
    if call.decision == "deny" or call.status == DENIED:
        once("denied", f"[{name}] {call.name}: denied (allow it with --allow-tool {call.name} or --yes)")
    if call.status == RUNNING:
        once("running", f"[{name}] {call.name}: running")
    for result in call.results:
        if "url" in result:
            once(f"result:{result['url']}", f"[{name}] {result.get('title') or result['url']} <{result['url']}>")
        elif "filename" in result:
            score = f" ({result['score']:.2f})" if isinstance(result.get("score"), (int, float)) else ""
            text = " ".join(str(result.get("text") or "").split())[:160]
            once(f"result:{result['filename']}:{text}", f"[{name}] {result['filename']}{score}: {text}")
        elif "name" in result:
            once(f"tool:{result['name']}", f"[{name}] tool: {result['name']} {result.get('description') or ''}".rstrip())
    if call.error:
        once("error", f"[{name}] error: {call.error}")
    settled = call.status in ("completed", "failed", DENIED)
    if call.output and settled and call.type in ("function_call", "mcp_call") and call.decision != "deny":
        once("output", f"[{name}] output:\n" + "\n".join("    " + line for line in call.output.rstrip("\n").splitlines()))
