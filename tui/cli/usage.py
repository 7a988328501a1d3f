"""`qwen-tui usage`: tokens and estimated cost of every stored answer, in total or by model or day."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from tui.catalog import load_catalog
from tui.chat import open_engine
from tui.chat.cost import Cost, turn_cost
from tui.cli.console import EXIT_OK, EXIT_USAGE, CliError, out
from tui.config import Settings
from tui.store.models import Usage


def parse_since(text: str) -> float:
    """The local midnight starting `YYYY-MM-DD` as a timestamp; CliError for anything else."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"argument --since: not a date: {text!r} (use YYYY-MM-DD)", EXIT_USAGE) from None
    return dt.datetime.combine(day, dt.time()).timestamp()


async def cmd_usage(args: argparse.Namespace, settings: Settings) -> int:
    """One line per group (or one total): answers, input/output/cached/reasoning tokens, estimated cost."""
    since = parse_since(args.since) if args.since else None
    catalog = load_catalog(settings.models)
    currency = catalog.currency(settings.region)
    async with open_engine(settings, require_key=False) as engine:
        rows = await engine.usage_rows(since)
    groups: dict[str, tuple[int, Usage, Cost]] = {}
    for created_at, model, usage in rows:
        if args.by == "model":
            key = model or "(unknown model)"
        elif args.by == "day":
            key = dt.datetime.fromtimestamp(created_at).date().isoformat()
        else:
            key = "total"
        count, tokens, cost = groups.get(key, (0, Usage(), Cost(0.0, currency)))
        groups[key] = (count + 1, tokens + usage, cost + turn_cost(usage, model, catalog, currency))
    if not groups:
        groups["total"] = (0, Usage(), Cost(0.0, currency))
    if args.json:
        document = [
            {"group": key, "answers": count, "input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
             "cached_tokens": u.cached_tokens, "reasoning_tokens": u.reasoning_tokens, "tool_calls": u.x_tools,
             "cost": cost.as_json()}
            for key, (count, u, cost) in groups.items()
        ]
        out(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    width = max(len(key) for key in groups)
    for key, (count, u, cost) in groups.items():
        extra = f" · {u.cached_tokens} cached" if u.cached_tokens else ""
        extra += f" · {u.reasoning_tokens} reasoning" if u.reasoning_tokens else ""
        tools = "".join(f" · {name} ×{n}" for name, n in sorted(u.x_tools.items()))
        out(f"{key:<{width}}  {count} answers · {u.input_tokens} in · {u.output_tokens} out{extra}{tools} · {cost.label}\n")
    return EXIT_OK
