"""A separate process that writes to a store, for the multi-process and SIGKILL tests.

Usage: store_worker.py write DB TAG TURNS START_FILE   (opens DB, prints "ready", waits for START_FILE,
                                                        then writes TURNS turns)
       store_worker.py stream DB                        (prints ids, then streams a search and text until killed)
       store_worker.py open DB                          (opens DB; prints the StoreError and exits 1 if refused)
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from tui.store import OutputItem, Store, StoreError, Usage

#: The tool call the streaming worker has under way when it is killed.
SEARCH = OutputItem("ws_1", "web_search_call", "searching", {"query": "capital of France"})


async def write(db: str, tag: str, turns: int, start_file: str) -> None:
    async with await Store.open(db) as store:
        print("ready", flush=True)
        while not Path(start_file).exists():
            time.sleep(0.005)
        conversation = await store.create_conversation(title=tag, model="qwen3-max", endpoint="e")
        parent = None
        for n in range(turns):
            user = await store.add_message(conversation.id, role="user", content=f"{tag} question {n}", parent_id=parent)
            turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="chain", stored=True)
            writer = store.turn_writer(turn.id)
            await writer.set_response(f"resp_{tag}_{n}", None, time.time())
            writer.append(f"{tag} answer {n}")
            await writer.finish("complete", usage=Usage(10, 1))
            parent = turn.id
    print(conversation.id, flush=True)


async def stream(db: str) -> None:
    store = await Store.open(db)
    conversation = await store.create_conversation(title="killed", model="qwen3-max", endpoint="e")
    user = await store.add_message(conversation.id, role="user", content="What is the capital of France?", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="replay", stored=True)
    writer = store.turn_writer(turn.id, flush_interval=0.05)
    await writer.set_response("resp_killed", None, time.time())
    writer.set_items([SEARCH])
    print(conversation.id, user.id, turn.id, flush=True)
    n = 0
    while True:
        writer.append(f"Paris {n}. ")
        n += 1
        await asyncio.sleep(0.005)


async def open_only(db: str) -> int:
    try:
        store = await Store.open(db)
    except StoreError as exc:
        print(exc, flush=True)
        return 1
    await store.close()
    return 0


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "open":
        sys.exit(asyncio.run(open_only(args[0])))
    if mode == "write":
        asyncio.run(write(args[0], args[1], int(args[2]), args[3]))
    else:
        asyncio.run(stream(args[0]))
