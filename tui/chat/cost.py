"""Estimated money per turn and per conversation, from the model table's tiered prices and tool fees.

Always an estimate (the provider's bill is the authority): input priced by the tier the turn's input
length falls in, cached input at its own price, output at the thinking price when the turn reasoned
and the model prices that apart, plus per-call fees of built-in tools counted in `x_tools`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tui.catalog import Catalog
from tui.store.models import Usage

_SYMBOLS = {"USD": "$", "CNY": "¥"}


@dataclass(frozen=True, slots=True)
class Cost:
    """An estimated amount in `currency`; `unpriced` counts turns whose model the table has no price for."""

    amount: float
    currency: str
    unpriced: int = 0

    def __add__(self, other: Cost) -> Cost:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Cost(self.amount + other.amount, self.currency, self.unpriced + other.unpriced)

    @property
    def text(self) -> str:
        """`≈ $0.0123` (more decimals for small sums, so a cheap turn never reads as zero)."""
        symbol = _SYMBOLS.get(self.currency, self.currency + " ")
        digits = 2 if self.amount >= 1 else 4 if self.amount >= 0.0001 or self.amount == 0 else 6
        return f"≈ {symbol}{self.amount:.{digits}f}"

    @property
    def label(self) -> str:
        """The amount labelled as what it is, e.g. `≈ $0.0123 (estimate)`; unpriced turns are named."""
        missing = f", {self.unpriced} turn{'s' if self.unpriced != 1 else ''} unpriced" if self.unpriced else ""
        return f"{self.text} (estimate{missing})"

    def as_json(self) -> dict[str, object]:
        return {"amount": round(self.amount, 8), "currency": self.currency, "estimate": True, "unpriced_turns": self.unpriced}


def turn_cost(usage: Usage | None, model: str | None, catalog: Catalog, currency: str, *, thinking: bool = False) -> Cost:
    """The estimated cost of one turn; `thinking` (or reasoning tokens in `usage`) selects the thinking output price."""
    if usage is None:
        return Cost(0.0, currency)
    info = catalog.lookup(model or "")
    tier = info.price_tier(currency, usage.input_tokens)
    fees = catalog.tool_fees.get(currency, {})
    tools = sum(fees.get(name, 0.0) * count for name, count in usage.x_tools.items())
    if tier is None:
        return Cost(tools, currency, unpriced=1 if usage.total_tokens else 0)
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_price = tier.cached_input if tier.cached_input is not None else tier.input
    reasoned = thinking or usage.reasoning_tokens > 0
    output_price = tier.output_thinking if reasoned and tier.output_thinking is not None else tier.output
    tokens = (usage.input_tokens - cached) * tier.input + cached * cached_price + usage.output_tokens * output_price
    return Cost(tokens / 1_000_000 + tools, currency)


def total_cost(turns: Iterable[tuple[Usage | None, str | None]], catalog: Catalog, currency: str) -> Cost:
    """The sum of `turn_cost` over (usage, model) pairs, e.g. every answer of a conversation."""
    total = Cost(0.0, currency)
    for usage, model in turns:
        total = total + turn_cost(usage, model, catalog, currency)
    return total
