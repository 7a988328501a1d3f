"""`open_engine(settings)`: the store and the API client opened together, closed together."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from tui.api.client import ResponsesClient
from tui.catalog import load_catalog
from tui.chat.agent_tools import AgentTools
from tui.chat.engine import ChatEngine, EngineSettings
from tui.chat.errors import EngineError
from tui.store import Store

if TYPE_CHECKING:
    from tui.config import Settings


def engine_settings(settings: Settings) -> EngineSettings:
    """The engine's defaults taken from the person's settings (the model table with config's `[models]`
    overrides; the currency the region bills in)."""
    # Loaded already (`settings` came from it); imported here so `tui.chat` does not pull it in.
    from tui.config import KEY_ENV

    catalog = load_catalog(settings.models)
    return EngineSettings(
        catalog=catalog,
        currency=catalog.currency(settings.region),
        model=settings.model,
        endpoint=settings.endpoint,
        tools=list(settings.tools),
        thinking=settings.thinking,
        effort=settings.effort,
        system_prompt=settings.system_prompt,
        private=settings.private,
        agent=AgentTools(
            mcp=tuple(settings.mcp),
            functions=tuple(settings.function),
            local_tools=tuple(settings.local_tools),
            knowledge_base=settings.knowledge_base,
            root=str(settings.local_root) if settings.local_root else None,
            secret_env=(KEY_ENV,),
        ),
    )


def client_headers(settings: Settings) -> dict[str, str]:
    """Extra request headers: DashScope's session cache unless switched off (other servers ignore it)."""
    return {"x-dashscope-session-cache": "enable"} if settings.session_cache else {}


@asynccontextmanager
async def open_engine(
    settings: Settings,
    *,
    require_key: bool = True,
    clock: Callable[[], float] = time.time,
    read_only_fallback: bool = False,
) -> AsyncIterator[ChatEngine]:
    """Open the database at `settings.db_path` and a client for `settings.endpoint`, as one engine.

    With `require_key` (the default) a missing API key is an `EngineError` naming the fix; commands
    that only read the database pass `require_key=False`, and `read_only_fallback` so that a file
    that cannot be written (read-only, full disk) is still opened, read-only.
    """
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if require_key and not key:
        why = f" ({settings.key_problem})" if settings.key_problem else ""
        raise EngineError(
            f"no API key{why}: set DASHSCOPE_API_KEY (or key_file / key_command in {settings.config_path}), "
            "or try it without a key: qwen-tui --demo"
        )
    store = await Store.open(settings.db_path, clock=clock, read_only_fallback=read_only_fallback)
    try:
        async with ResponsesClient(settings.endpoint, key, headers=client_headers(settings)) as client:
            engine = ChatEngine(store, client, settings=engine_settings(settings), clock=clock)
            try:
                yield engine
            finally:
                await engine.shutdown()  # answers still streaming are kept, as cancelled
    finally:
        await store.close()
