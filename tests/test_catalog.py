"""The shipped model table: every model is complete and consistent, lookups and overrides behave."""

from __future__ import annotations

import pytest

from tui.catalog import ALL_EFFORTS, CatalogError, load_catalog, shipped_catalog


def test_the_shipped_table_is_dated_sourced_and_lists_the_documented_responses_models():
    catalog = shipped_catalog()
    assert catalog.date and catalog.sources
    # The supported-models list of the provider's Responses page (2026-03-30).
    for name in ("qwen3-max", "qwen3-max-2026-01-23", "qwen3.5-plus", "qwen3.5-flash", "qwen-plus",
                 "qwen-flash", "qwen3-coder-plus", "qwen3-coder-flash"):
        assert catalog.get(name) is not None and catalog.get(name).serves("responses"), name


def test_every_model_is_priced_in_both_currencies_with_tiers_in_order():
    for model in shipped_catalog():
        for currency in ("USD", "CNY"):
            tiers = model.prices[currency]
            assert tiers, (model.name, currency)
            limits = [t.up_to for t in tiers]
            assert limits[-1] is None, (model.name, "the last tier must take any length")
            assert limits[:-1] == sorted(limits[:-1]), model.name
            assert all(t.input > 0 and t.output > 0 for t in tiers), model.name


def test_effort_and_thinking_rules_are_consistent():
    for model in shipped_catalog():
        assert set(model.efforts) <= set(ALL_EFFORTS)
        if model.thinking_off == "effort_none" and model.thinking == "hybrid":
            assert "none" in model.efforts, model.name
        if model.thinking == "always":
            assert "none" not in model.efforts, model.name


def test_price_tier_follows_the_input_length():
    qwen3_max = shipped_catalog().lookup("qwen3-max")
    assert qwen3_max.price_tier("USD", 1000).up_to == 32768
    assert qwen3_max.price_tier("USD", 32769).up_to == 131072
    assert qwen3_max.price_tier("USD", 500_000).up_to is None
    assert qwen3_max.price_tier("EUR", 1000) is None


def test_beijing_bills_in_yuan_and_other_regions_in_dollars():
    catalog = shipped_catalog()
    assert catalog.currency("beijing") == "CNY"
    assert catalog.currency("singapore") == "USD"
    assert catalog.currency("somewhere-new") == "USD"


def test_an_unlisted_model_is_looked_up_as_unknown_not_refused():
    info = shipped_catalog().lookup("qwen9-hyper")
    assert info.known is False and info.name == "qwen9-hyper"
    assert info.serves("responses")


def test_config_overrides_change_keys_and_add_models():
    catalog = load_catalog({
        "qwen3-max": {"context_window": 1000},
        "my-local": {"endpoints": ["chat"], "context_window": 8000, "max_output": 1000, "vision": False,
                     "thinking": "never", "efforts": [], "thinking_off": "enable_thinking",
                     "tools_need_thinking": []},
    })
    assert catalog.lookup("qwen3-max").context_window == 1000
    assert catalog.lookup("qwen3-max").max_output == shipped_catalog().lookup("qwen3-max").max_output
    assert catalog.lookup("my-local").known and not catalog.lookup("my-local").serves("responses")
    assert shipped_catalog().lookup("qwen3-max").context_window == 262144, "overrides never change the shipped table"


@pytest.mark.parametrize(
    "override, fragment",
    [
        ({"qwen3-max": {"thinking": "sometimes"}}, "thinking must be one of"),
        ({"qwen3-max": {"efforts": ["turbo"]}}, "efforts must be one of"),
        ({"brand-new": {"context_window": 10}}, "missing key"),
        ({"qwen3-max": {"price": {"USD": [{"input": 1}]}}}, "bad price tier"),
    ],
)
def test_a_malformed_override_names_the_model_and_the_key(override, fragment):
    with pytest.raises(CatalogError) as caught:
        load_catalog(override)
    assert fragment in str(caught.value)
    assert list(override)[0] in str(caught.value)
