"""`SimServer`: runs the simulator under uvicorn on a daemon thread; `serve_forever` runs it in the foreground."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from tui.sim.app import LEGACY_PREFIX, NEW_PREFIX, SimApp, SimState
from tui.sim.clock import SimClock
from tui.sim.pace import HumanPace
from tui.sim.style import DEFAULT_STYLE, Style


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _config(state: SimState, *, own_logging: bool) -> uvicorn.Config:
    """uvicorn settings; in-process servers leave logging to the host (no stderr handlers under a TUI)."""
    return uvicorn.Config(
        SimApp(state),
        log_config=LOGGING_CONFIG if own_logging else None,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )


class _StoppableServer(uvicorn.Server):
    """A uvicorn server that stops the moment `request_stop()` is called (uvicorn polls and waits 0.1 s each)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        if not self.should_exit:
            await self._wake.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close at once (no graceful wait): stop listening and end idle connections; `asyncio.run` then
        cancels the streams still open, which their clients see as a dropped connection."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()

    def request_stop(self) -> None:
        """Thread-safe: stop now, cutting open streams instead of waiting for them."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)


class SimServer:
    """A local DashScope-like Responses server; `with SimServer() as sim:` starts it and stops it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: SimClock | None = None,
        speed: float | None = None,
        long_answer: int | None = None,
        api_key: str | None = None,
        style: Style = DEFAULT_STYLE,
        models: frozenset[str] | None = None,
        pace: HumanPace | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.state = SimState(
            clock=clock, speed=speed, long_answer=long_answer, api_key=api_key, style=style, models=models, pace=pace
        )
        self._server: _StoppableServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def clock(self) -> SimClock:
        return self.state.clock

    @property
    def requests(self) -> list[dict]:
        """JSON bodies received by `POST .../responses`, in order."""
        return self.state.requests

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + NEW_PREFIX

    @property
    def legacy_base_url(self) -> str:
        return self.origin + LEGACY_PREFIX

    @property
    def style(self) -> Style:
        """"live" (DashScope's wire shapes) or "openai"."""
        return self.state.style

    @property
    def speed(self) -> float | None:
        return self.state.speed

    @speed.setter
    def speed(self, value: float | None) -> None:
        self.state.speed = value

    @property
    def pace(self) -> HumanPace | None:
        """The demo's human pace (None: `speed` decides); wins over `speed`."""
        return self.state.pace

    @pace.setter
    def pace(self, value: HumanPace | None) -> None:
        self.state.pace = value

    @property
    def long_answer(self) -> int | None:
        return self.state.long_answer

    @long_answer.setter
    def long_answer(self, value: int | None) -> None:
        self.state.long_answer = value

    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        after_deltas: int | None = None,
        seconds: float | None = None,
        code: str | None = None,
    ) -> None:
        """Queue a fault for the next `times` requests ("forget" drops every stored id at once)."""
        self.state.inject(
            kind, times=times, retry_after=retry_after, after_deltas=after_deltas, seconds=seconds, code=code
        )

    def start(self) -> SimServer:
        """Bind, start uvicorn on a daemon thread and wait until it accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        server = _StoppableServer(_config(self.state, own_logging=False))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # surfaced by start() below
                errors.append(exc)
            finally:
                sock.close()

        self._server = server
        self._thread = threading.Thread(target=run, name=f"sim-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if errors or not self._thread.is_alive():
                self._thread = None
                raise RuntimeError(f"the simulator failed to start: {errors[0] if errors else 'unknown error'}")
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start within 10 s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop at once: open streams are cut, the port is released."""
        if self._server is None or self._thread is None:
            return
        self._server.request_stop()
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    speed: float | None = None,
    long_answer: int | None = None,
    api_key: str | None = None,
    style: Style = DEFAULT_STYLE,
) -> None:
    """Run the simulator in the foreground until interrupted, printing its base URL first."""
    state = SimState(speed=speed, long_answer=long_answer, api_key=api_key, style=style)
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    print(f"http://{host}:{bound}{NEW_PREFIX}", flush=True)
    uvicorn.Server(_config(state, own_logging=True)).run(sockets=[sock])
