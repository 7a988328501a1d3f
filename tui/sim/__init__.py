"""A local DashScope-like Responses API server for demo mode and tests (ASGI under uvicorn)."""

from __future__ import annotations

from tui.sim.clock import SimClock
from tui.sim.command import run_sim
from tui.sim.server import SimServer, serve_forever

__all__ = ["SimClock", "SimServer", "run_sim", "serve_forever"]
