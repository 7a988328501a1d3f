"""Shared fixtures: a real simulator server on 127.0.0.1 (one per test, stopped afterwards)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tui.sim import SimServer


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., SimServer]]:
    """`sim_factory(**kwargs)` starts a `SimServer(**kwargs)`; every server it made is stopped after the test."""
    started: list[SimServer] = []

    def make(**kwargs: Any) -> SimServer:
        server = SimServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def sim(sim_factory: Callable[..., SimServer]) -> SimServer:
    """A started simulator with default settings (any non-empty Bearer key, as fast as possible)."""
    return sim_factory()


@pytest.fixture(params=["live", "openai"])
def styled_sim(request: pytest.FixtureRequest, sim_factory: Callable[..., SimServer]) -> SimServer:
    """A simulator in each wire style: like the live DashScope service, and like OpenAI (vLLM, Ollama, ...)."""
    return sim_factory(style=request.param)
