"""Fixtures of the API tests: the raw loopback server of `raw_server.py`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from raw_server import RawServer


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    server = RawServer()
    await server.start()
    yield server
    await server.stop()
