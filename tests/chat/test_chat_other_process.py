"""W11 in the engine: a conversation another process streams into is neither continued nor deleted under it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chat_support import MakeEngine, ask

from tui.chat import EngineError
from tui.sim import SimServer

_ROOT = Path(__file__).resolve().parents[2]
_WORKER = _ROOT / "tests" / "store" / "store_worker.py"


async def test_continuing_or_deleting_a_conversation_streamed_elsewhere_is_refused(
    make_engine: MakeEngine, sim: SimServer, tmp_path: Path
) -> None:
    path = tmp_path / "chat.db"
    worker = subprocess.Popen(
        [sys.executable, str(_WORKER), "stream", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(_ROOT)},
    )
    try:
        assert worker.stdout is not None
        conversation_id, _, turn_id = map(int, worker.stdout.readline().split())
        engine = await make_engine(sim)
        for _ in range(1000):
            message = await engine.get_message(turn_id)
            if message is not None and message.content:
                break
            time.sleep(0.01)
        requests_before = len(sim.requests)
        with pytest.raises(EngineError) as continued:
            await engine.send(conversation_id, "and now?")
        assert "another qwen-tui" in str(continued.value)
        with pytest.raises(EngineError):
            await engine.regenerate(conversation_id, turn_id)
        with pytest.raises(Exception) as deleted:
            await engine.delete(conversation_id)
        assert "another qwen-tui" in str(deleted.value)
        assert len(sim.requests) == requests_before  # nothing was sent with the half-written answer
        assert [m.role for m in await engine.transcript(conversation_id)] == ["user", "assistant"]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    # Other conversations are not held up, and the engine's own turns still run.
    other = await engine.new_conversation()
    await ask(engine, other.id, "hello")
