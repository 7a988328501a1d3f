"""`GET {base}/models`: merged into `qwen-tui models` when the service answers; never required."""

from __future__ import annotations

from typing import Any

import pytest

from tui.api.errors import AuthError, NetworkError, ProtocolError
from tui.api.models_list import list_models, model_names
from tui.sim import SimServer


async def test_the_simulator_lists_its_models(sim: SimServer) -> None:
    names = await list_models(sim.base_url, "sk-test")
    assert "qwen3-max" in names and "qwen-mt-plus" in names


async def test_a_bad_key_and_an_unreachable_server_are_one_line_errors(sim: SimServer, raw_server: Any) -> None:
    with pytest.raises(AuthError):
        await list_models(sim.base_url, "")
    await raw_server.stop()
    with pytest.raises(NetworkError):
        await list_models(raw_server.base_url, "sk-test", timeout=1)
    await raw_server.start()  # the fixture stops it again


def test_both_documented_shapes_are_read_and_anything_else_is_refused() -> None:
    assert model_names({"object": "list", "data": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}) == ["a", "b"]
    assert model_names({"output": {"models": [{"model": "c"}]}}) == ["c"]
    with pytest.raises(ProtocolError):
        model_names({"models": "nope"})
