"""Store at scale: 10,000 conversations / 1,000,000 messages, then the queries the app runs most.

Builds a temporary database with the real schema (via `Store.open`), bulk-loads it with
`executemany` in one transaction (FTS triggers firing as in normal use), then prints the
median time of: the first page of the conversation list, a full-text search for a common
and for a rare word, and loading a 1,000-turn conversation (`path_to` its leaf, with usage
and items). Targets: <= 20 ms, <= 100 ms, <= 300 ms.

    .venv/bin/python bench/store_scale.py [--conversations N] [--messages N] [--runs N] [--keep PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from tui.store import Store
from tui.store.models import RESPONSE_TTL_SECONDS

LONG_TURNS = 1_000
COMMON_WORD = "the"
RARE_WORD = "quokka"
RARE_COUNT = 25
_WORDS = (
    "the of and to in is it that for you was with on as have but be they at one this from or had by "
    "word what all were we when your can said there use an each which she do how their if will up other "
    "about out many then them these so some her would make like him into time has look two more write go "
    "see number no way could people my than first water been call who oil its now find long down day did "
    "get come made may part rust python sqlite server latency token stream model answer search result "
    "cache index query branch commit thread memory async await socket buffer parse schema table column"
).split()


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Zipf-like weights over the common words plus a long tail of synthetic rarer ones."""
    tail = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9))) for _ in range(20_000)]
    words = _WORDS + [w for w in tail if w != RARE_WORD]
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    total = 0.0
    cumulative = []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return words, cumulative


def _text(rng: random.Random, words: list[str], cumulative: list[float], count: int) -> str:
    return " ".join(rng.choices(words, cum_weights=cumulative, k=count))


def _build(path: Path, conversations: int, messages: int, seed: int = 7) -> int:
    """Bulk-load the database; returns the id of the leaf of the 1,000-turn conversation."""
    rng = random.Random(seed)
    words, cumulative = _vocabulary(rng)
    now = time.time()
    long_messages = 2 * LONG_TURNS
    per_conversation = max(2, (messages - long_messages) // max(1, conversations - 1))
    sizes = [long_messages] + [per_conversation] * (conversations - 1)
    sizes[-1] += messages - sum(sizes)
    rare_ids = set(rng.sample(range(1, messages + 1), RARE_COUNT))

    conversation_rows: list[tuple[Any, ...]] = []
    item_rows: list[tuple[Any, ...]] = []
    leaf_of_long = 0

    def message_rows() -> Iterator[tuple[Any, ...]]:
        nonlocal leaf_of_long
        message_id = 0
        for conversation_id, size in enumerate(sizes, start=1):
            updated = now - rng.uniform(0, 365 * 86400)
            created = updated - size * 30
            parent = None
            for n in range(size):
                message_id += 1
                role = "user" if n % 2 == 0 else "assistant"
                text = _text(rng, words, cumulative, rng.randint(6, 20) if role == "user" else rng.randint(25, 70))
                if message_id in rare_ids:
                    text += f" {RARE_WORD}"
                stamp = created + n * 30
                if role == "user":
                    yield (message_id, conversation_id, parent, role, text, stamp, "complete", *([None] * 11))
                else:
                    usage = (rng.randint(50, 5000), rng.randint(20, 900), rng.randint(0, 40), rng.randint(0, 300))
                    tools = json.dumps({"web_search": 1}) if n % 10 == 1 else "{}"
                    yield (message_id, conversation_id, parent, role, text, stamp, "complete", "qwen3-max", "chain",
                           f"resp_{message_id}", None, stamp, stamp + RESPONSE_TTL_SECONDS, *usage, tools)
                    if n % 10 == 1:
                        item_rows.append((message_id, 0, f"rs_{message_id}", "reasoning", None,
                                          json.dumps({"summary": "Weighing the options."})))
                        item_rows.append((message_id, 1, f"ws_{message_id}", "web_search_call", "completed",
                                          json.dumps({"query": "benchmarks", "sources": ["https://example.com"]})))
                parent = message_id
            pinned = 1 if rng.random() < 0.01 else 0
            archived = 1 if rng.random() < 0.05 else 0
            conversation_rows.append((conversation_id, f"Conversation {conversation_id}", created, updated,
                                      "qwen3-max", "https://example.test/v1", pinned, archived, parent))
            if conversation_id == 1:
                leaf_of_long = message_id

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -400000")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, status, model, mode, "
        "response_id, previous_response_id, response_created_at, expires_at, input_tokens, output_tokens, "
        "cached_tokens, reasoning_tokens, x_tools) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message_rows(),
    )
    db.executemany(
        "INSERT INTO conversations (id, title, created_at, updated_at, model, endpoint, pinned, archived, "
        "head_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        conversation_rows,
    )
    db.executemany(
        "INSERT INTO output_items (message_id, position, item_id, type, status, data) VALUES (?, ?, ?, ?, ?, ?)",
        item_rows,
    )
    db.execute("COMMIT")
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return leaf_of_long


async def _median_ms(action: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    result = await action()  # warm-up, and the result to report
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


async def _measure(path: Path, leaf: int, runs: int) -> None:
    store = await Store.open(path)
    try:
        rows = [
            ("list first page (50)", 20.0, lambda: store.list_conversations(limit=50), len),
            (f"search common word {COMMON_WORD!r}", 100.0, lambda: store.search(COMMON_WORD), len),
            (f"search rare word {RARE_WORD!r}", 100.0, lambda: store.search(RARE_WORD), len),
            ("search two words, last a prefix", 100.0, lambda: store.search("python sql"), len),
            ("search while typing: 'th' (prefix)", 100.0, lambda: store.search("th"), len),
            (f"load {LONG_TURNS}-turn conversation (path_to)", 300.0, lambda: store.path_to(leaf), len),
        ]
        print(f"{'query':44} {'median ms':>10} {'target':>8} {'ratio':>6}  result")
        for label, target, action, describe in rows:
            median, result = await _median_ms(action, runs)
            print(f"{label:44} {median:10.2f} {target:8.0f} {median / target:6.2f}  {describe(result)} rows")
        loaded = await store.path_to(leaf)
        with_items = sum(1 for m in loaded if m.items)
        print(f"  (the loaded conversation: {len(loaded)} messages, {with_items} with output items, all with usage: "
              f"{all(m.usage is not None for m in loaded if m.role == 'assistant')})")
        extra = [
            ("count conversations", lambda: store.count_conversations()),
            ("chain head of the long conversation", lambda: store.chain_head(1)),
            ("usage of the long conversation", lambda: store.conversation_usage(1)),
            ("branch positions of the long conversation", lambda: store.sibling_counts(1)),
            ("newest leaf from the long conversation's root", lambda: store.newest_leaf(1)),
        ]
        for label, action in extra:
            median, _ = await _median_ms(action, runs)
            print(f"{label:44} {median:10.2f}")
        await _measure_turn(store, runs)
    finally:
        await store.close()


async def _measure_turn(store: Store, runs: int) -> None:
    """The write path on the big file: user message commit, a streaming flush, finishing a 4 KB answer."""
    commits, flushes, finishes = [], [], []
    conversation = await store.create_conversation(title="bench writes", model="qwen3-max", endpoint="e")
    parent = None
    for _ in range(runs):
        start = time.perf_counter()
        user = await store.add_message(conversation.id, role="user", content="one more question", parent_id=parent)
        commits.append((time.perf_counter() - start) * 1000)
        turn = await store.start_assistant(conversation.id, parent_id=user.id, model="qwen3-max", mode="chain", stored=True)
        start = time.perf_counter()
        await store.append_text(turn.id, "streamed words " * 20)
        flushes.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        await store.finish_turn(turn.id, "complete", text="final answer words " * 220)
        finishes.append((time.perf_counter() - start) * 1000)
        parent = turn.id
    print(f"{'commit a user message':44} {statistics.median(commits):10.2f}")
    print(f"{'flush streamed text (one batch)':44} {statistics.median(flushes):10.2f}")
    print(f"{'finish a 4 KB answer (FTS indexed)':44} {statistics.median(finishes):10.2f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build into this file and keep it (reused if it exists)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "scale.db"
        if args.keep and path.exists():
            leaf = sqlite3.connect(path).execute("SELECT head_message_id FROM conversations WHERE id = 1").fetchone()[0]
            print(f"reusing {path}")
        else:
            await (await Store.open(path)).close()  # the real schema
            start = time.perf_counter()
            leaf = _build(path, args.conversations, args.messages)
            elapsed = time.perf_counter() - start
            size = path.stat().st_size / 1e6
            print(f"built {args.conversations:,} conversations / {args.messages:,} messages in {elapsed:.1f} s "
                  f"({size:.0f} MB)")
        await _measure(path, leaf, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
