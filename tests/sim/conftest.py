"""The older simulator tests pin OpenAI's wire shapes (envelope errors, summary reasoning events, ids):
here `sim` and `sim_factory` default to `style="openai"`. `test_sim_style.py` covers the live style."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tui.sim import SimServer


@pytest.fixture
def sim_factory(sim_factory: Callable[..., SimServer]) -> Callable[..., SimServer]:
    def make(**kwargs: Any) -> SimServer:
        kwargs.setdefault("style", "openai")
        return sim_factory(**kwargs)

    return make
