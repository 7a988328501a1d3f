"""`qwen-tui models`: the model table (window, output, vision, thinking, price, endpoints), merged with
the service's own model list when it answers (never required: offline it prints the table and a note)."""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass
from typing import Any

from tui.api.errors import ApiError
from tui.api.models_list import list_models
from tui.catalog import Catalog, ModelInfo, load_catalog
from tui.cli.console import EXIT_OK, out, say
from tui.cli.simulator import demo
from tui.config import Settings

log = logging.getLogger("tui.cli")


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One model as `models` lists it; `served` is None when the service's list was not available."""

    info: ModelInfo
    served: bool | None


def merged_models(catalog: Catalog, served: list[str] | None) -> list[ModelRow]:
    """The table's models (marked whether the service lists them), then the service's models the table lacks (unknown)."""
    names = set(served or ())
    rows = [ModelRow(info, None if served is None else info.name in names) for info in catalog]
    rows += [ModelRow(catalog.lookup(name), True) for name in served or () if name not in catalog]
    return rows


def _tokens(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1024}K" if count % 1024 == 0 else f"{round(count / 1000)}k"


def _thinking(info: ModelInfo) -> str:
    efforts = f" ({'/'.join(info.efforts)})" if info.efforts else ""
    return info.thinking + efforts


def _price(info: ModelInfo, currency: str) -> str:
    tier = info.price_tier(currency, 0)
    if tier is None:
        return "-"
    symbol = {"USD": "$", "CNY": "¥"}.get(currency, "")
    return f"{symbol}{tier.input:g}/{symbol}{tier.output:g}"


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
        cells.append((info.name, _tokens(info.context_window), _tokens(info.max_output), "yes" if info.vision else "no",
                      _thinking(info), _price(info, currency), endpoints))
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
