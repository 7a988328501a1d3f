"""The model table: each Qwen model's window, output limit, vision, thinking modes, endpoints and prices.

One shipped, dated data file (`catalog.toml` beside this module) that config can override per model
(`[models."NAME"]` in config.toml). Every rule that depends on the model (which tools need thinking,
which efforts exist, how thinking is turned off, which endpoint serves it) reads this table, never a
name prefix. Imports nothing else from `tui`, so every layer may read it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Literal

Endpoint = Literal["responses", "chat"]
Thinking = Literal["hybrid", "always", "never"]
ThinkingOff = Literal["effort_none", "enable_thinking"]

#: Every reasoning.effort value the service documents, weakest first.
ALL_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_ENDPOINTS = ("responses", "chat")
_THINKING = ("hybrid", "always", "never")
_THINKING_OFF = ("effort_none", "enable_thinking")


class CatalogError(ValueError):
    """The table (shipped or overridden in config) is malformed; str() names the model and the key."""


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Prices per million tokens for requests whose input is at most `up_to` tokens (None: any length)."""

    input: float
    output: float
    up_to: int | None = None
    output_thinking: float | None = None
    cached_input: float | None = None


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What one model can do, and costs; `known` is False for a name the table does not list."""

    name: str
    label: str
    endpoints: tuple[Endpoint, ...]
    context_window: int
    max_output: int
    vision: bool
    thinking: Thinking
    efforts: tuple[str, ...]
    thinking_off: ThinkingOff
    tools_need_thinking: frozenset[str]
    prices: Mapping[str, tuple[PriceTier, ...]] = field(default_factory=dict)
    known: bool = True

    def serves(self, endpoint: Endpoint) -> bool:
        """Whether `endpoint` ("responses" or "chat") serves this model."""
        return endpoint in self.endpoints

    def price_tier(self, currency: str, input_tokens: int) -> PriceTier | None:
        """The tier that prices a request of `input_tokens` in `currency`, or None if unpriced."""
        tiers = self.prices.get(currency, ())
        for tier in tiers:
            if tier.up_to is None or input_tokens <= tier.up_to:
                return tier
        return tiers[-1] if tiers else None


@dataclass(frozen=True, slots=True)
class Catalog:
    """The whole table: models by name, per-call tool fees, and each region's currency."""

    date: str
    sources: tuple[str, ...]
    models: Mapping[str, ModelInfo]
    tool_fees: Mapping[str, Mapping[str, float]]
    currencies: Mapping[str, str]

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self.models.values())

    def __contains__(self, name: object) -> bool:
        return name in self.models

    def get(self, name: str) -> ModelInfo | None:
        """The model called `name`, or None if the table does not list it."""
        return self.models.get(name)

    def lookup(self, name: str) -> ModelInfo:
        """The model called `name`; an unlisted name gets permissive defaults with `known=False`.

        Unknown models are allowed (the service may serve models newer than the table); callers
        that must refuse them check `known` and point the person to `qwen-tui models`.
        """
        found = self.models.get(name)
        if found is not None:
            return found
        return ModelInfo(
            name=name,
            label=name,
            endpoints=("responses", "chat"),
            context_window=131072,
            max_output=8192,
            vision=False,
            thinking="hybrid",
            efforts=(),
            thinking_off="enable_thinking",
            tools_need_thinking=frozenset(),
            known=False,
        )

    def currency(self, region: str) -> str:
        """The currency `region` bills in (USD where the table does not say)."""
        return self.currencies.get(region, "USD")


def _tier(model: str, raw: Any) -> PriceTier:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"model {model!r}: a price tier must be a table, not {raw!r}")
    try:
        return PriceTier(
            input=float(raw["input"]),
            output=float(raw["output"]),
            up_to=int(raw["up_to"]) if raw.get("up_to") is not None else None,
            output_thinking=float(raw["output_thinking"]) if raw.get("output_thinking") is not None else None,
            cached_input=float(raw["cached_input"]) if raw.get("cached_input") is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"model {model!r}: bad price tier {dict(raw)!r} ({exc})") from None


def _choice(model: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise CatalogError(f"model {model!r}: {key} must be one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def model_from_table(raw: Mapping[str, Any], base: ModelInfo | None = None) -> ModelInfo:
    """A `ModelInfo` from one TOML table; keys it leaves out come from `base` (an override) or are required."""
    name = str(raw.get("name") or (base.name if base else ""))
    if not name:
        raise CatalogError("a model in the table has no name")

    def pick(key: str) -> Any:
        if key in raw:
            return raw[key]
        if base is not None:
            return getattr(base, key)
        raise CatalogError(f"model {name!r}: missing key {key!r}")

    try:
        endpoints = tuple(_choice(name, "endpoints", e, _ENDPOINTS) for e in pick("endpoints"))
        efforts = tuple(_choice(name, "efforts", e, ALL_EFFORTS) for e in pick("efforts"))
        if "price" in raw:
            prices = {str(cur): tuple(_tier(name, t) for t in tiers) for cur, tiers in dict(raw["price"]).items()}
        else:
            prices = dict(base.prices) if base else {}
        info = ModelInfo(
            name=name,
            label=str(raw.get("label") or (base.label if base else name)),
            endpoints=endpoints,  # type: ignore[arg-type]
            context_window=int(pick("context_window")),
            max_output=int(pick("max_output")),
            vision=bool(pick("vision")),
            thinking=_choice(name, "thinking", pick("thinking"), _THINKING),  # type: ignore[arg-type]
            efforts=efforts,
            thinking_off=_choice(name, "thinking_off", pick("thinking_off"), _THINKING_OFF),  # type: ignore[arg-type]
            tools_need_thinking=frozenset(str(t) for t in pick("tools_need_thinking")),
            prices=prices,
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, CatalogError):
            raise
        raise CatalogError(f"model {name!r}: {exc}") from None
    if not info.endpoints:
        raise CatalogError(f"model {name!r}: endpoints is empty")
    if info.context_window <= 0 or info.max_output <= 0:
        raise CatalogError(f"model {name!r}: context_window and max_output must be positive")
    return info


def parse_catalog(data: Mapping[str, Any]) -> Catalog:
    """A `Catalog` from the parsed TOML of `catalog.toml`."""
    head = dict(data.get("catalog", {}))
    models: dict[str, ModelInfo] = {}
    for raw in data.get("models", []):
        info = model_from_table(raw)
        models[info.name] = info
    fees = {str(cur): {str(k): float(v) for k, v in dict(table).items()} for cur, table in dict(data.get("tool_fees", {})).items()}
    return Catalog(
        date=str(head.get("date", "")),
        sources=tuple(str(s) for s in head.get("sources", ())),
        models=models,
        tool_fees=fees,
        currencies={str(k): str(v) for k, v in dict(head.get("currency", {})).items()},
    )


@cache
def shipped_catalog() -> Catalog:
    """The table shipped with qwen-tui (parsed once per process)."""
    text = resources.files("tui").joinpath("catalog.toml").read_text(encoding="utf-8")
    return parse_catalog(tomllib.loads(text))


def load_catalog(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Catalog:
    """The shipped table with config's `[models."NAME"]` tables applied: keys replace, new names are added."""
    base = shipped_catalog()
    if not overrides:
        return base
    models = dict(base.models)
    for name, table in overrides.items():
        if not isinstance(table, Mapping):
            raise CatalogError(f"models.{name}: must be a table")
        models[name] = model_from_table({**table, "name": name}, base=models.get(name))
    return replace(base, models=models)
