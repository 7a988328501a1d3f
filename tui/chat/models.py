"""The models a person can pick: the model table merged with the service's own list, and the short
texts (window, output, thinking, price) the CLI's `models` table and the app's picker both show."""

from __future__ import annotations

from dataclasses import dataclass

from tui.catalog import Catalog, ModelInfo

_SYMBOLS = {"USD": "$", "CNY": "¥"}


@dataclass(frozen=True, slots=True)
class ModelRow:
    """One model as listed; `served` is None when the service's list was not available."""

    info: ModelInfo
    served: bool | None


def merged_models(catalog: Catalog, served: list[str] | None) -> list[ModelRow]:
    """The table's models (marked whether the service lists them), then the service's models the table lacks (unknown)."""
    names = set(served or ())
    rows = [ModelRow(info, None if served is None else info.name in names) for info in catalog]
    rows += [ModelRow(catalog.lookup(name), True) for name in served or () if name not in catalog]
    return rows


def token_count(count: int) -> str:
    """`1M`, `256K`, `98k`: a window or output limit in a few characters."""
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    return f"{count // 1024}K" if count % 1024 == 0 else f"{round(count / 1000)}k"


def thinking_modes(info: ModelInfo) -> str:
    """`hybrid (low/medium/high)`: whether the model thinks, and the efforts it takes."""
    efforts = f" ({'/'.join(info.efforts)})" if info.efforts else ""
    return info.thinking + efforts


def price_text(info: ModelInfo, currency: str) -> str:
    """`$1.2/$6`: input/output per million tokens of the first (shortest-input) tier, or `-` if unpriced."""
    tier = info.price_tier(currency, 0)
    if tier is None:
        return "-"
    symbol = _SYMBOLS.get(currency, "")
    return f"{symbol}{tier.input:g}/{symbol}{tier.output:g}"
