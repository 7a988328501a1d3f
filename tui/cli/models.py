"""`qwen-tui models`: the model table (window, output, vision, thinking, price, endpoints), merged with
the service's own model list when it answers (never required: offline it prints the table and a note)."""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from tui.api.errors import ApiError
from tui.api.models_list import list_models
from tui.catalog import load_catalog
from tui.chat.models import ModelRow, merged_models, price_text, thinking_modes, token_count
from tui.cli.console import EXIT_OK, out, say
from tui.cli.simulator import demo
from tui.config import Settings

log = logging.getLogger("tui.cli")


def row_json(row: ModelRow, currency: str) -> dict[str, Any]:
    info = row.info
    return {
        "name": info.name,
        "label": info.label,
        "known": info.known,
        "served": row.served,
        "context_window": info.context_window if info.known else None,
        "max_output": info.max_output if info.known else None,
        "vision": info.vision if info.known else None,
        "thinking": info.thinking if info.known else None,
        "efforts": list(info.efforts),
        "endpoints": list(info.endpoints) if info.known else None,
        "currency": currency,
        "price_per_million": [
            {"up_to": t.up_to, "input": t.input, "output": t.output, "output_thinking": t.output_thinking,
             "cached_input": t.cached_input}
            for t in info.prices.get(currency, ())
        ],
    }


def table_lines(rows: list[ModelRow], currency: str) -> list[str]:
    """Aligned text lines: a header, then one line per model."""
    header = ("MODEL", "WINDOW", "OUTPUT", "VISION", "THINKING", f"PRICE/1M IN/OUT ({currency})", "ENDPOINTS")
    cells = [header]
    for row in rows:
        info = row.info
        if not info.known:
            cells.append((info.name, "?", "?", "?", "?", "?", "unknown model (served, not in the table)"))
            continue
        endpoints = ", ".join("chat completions" if e == "chat" else e for e in info.endpoints)
        if row.served is False:
            endpoints += "  (not in the service's list)"
        cells.append((info.name, token_count(info.context_window), token_count(info.max_output), "yes" if info.vision else "no",
                      thinking_modes(info), price_text(info, currency), endpoints))
    widths = [max(len(line[i]) for line in cells) for i in range(len(header) - 1)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)) + "  " + line[-1] for line in cells]


async def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    """Print the table (or JSON); ask the service for its list unless --offline, and say so when it cannot."""
    catalog = load_catalog(settings.models)
    currency = catalog.currency(settings.region)
    served: list[str] | None = None
    note = None
    if not args.offline:
        with demo(settings) as effective:
            key = effective.api_key.get_secret_value() if effective.api_key else None
            if not key:
                note = "no API key, so the service's model list was not checked; showing the shipped table"
            else:
                try:
                    served = await list_models(effective.endpoint, key, timeout=args.timeout)
                except ApiError as exc:
                    log.info("model list unavailable: %s", exc)
                    note = f"the service's model list is unavailable ({exc}); showing the shipped table"
    rows = merged_models(catalog, served)
    if args.json:
        document = {"date": catalog.date, "currency": currency, "service_list": served is not None,
                    "models": [row_json(row, currency) for row in rows]}
        out(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        out("\n".join(table_lines(rows, currency)) + "\n")
        out(f"Prices are estimates per million tokens (table of {catalog.date}; first input tier shown).\n")
    if note:
        say(note)
    return EXIT_OK
