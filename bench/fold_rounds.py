"""Cost of folding a turn through `RoundsFold` (turns with local function calls) against a bare
`TurnFold`, on the hot path: text deltas of a plain answer. Same process, same events; prints the ratio.

    .venv/bin/python bench/fold_rounds.py [--deltas 100000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from tui.api.types import parse_event
from tui.chat.fold import TurnFold
from tui.chat.rounds import RoundsFold


def _delta(seq: int) -> Any:
    body = {"type": "response.output_text.delta", "sequence_number": seq, "item_id": "m", "output_index": 0,
            "content_index": 0, "delta": "word "}
    return parse_event(json.dumps(body))


def _fold_seconds(make: type[TurnFold | RoundsFold], events: list[Any]) -> float:
    fold = make()
    start = time.perf_counter()
    for event in events:
        fold.apply(event)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    events = [_delta(seq) for seq in range(args.deltas)]
    bare, rounds = [], []
    for _ in range(args.rounds):  # interleaved, so a busy machine slows both alike
        bare.append(_fold_seconds(TurnFold, events))
        rounds.append(_fold_seconds(RoundsFold, events))
    b, r = statistics.median(bare), statistics.median(rounds)
    print(f"{args.deltas} text deltas: TurnFold {b * 1000:.0f} ms, RoundsFold {r * 1000:.0f} ms, ratio {r / b:.3f}")


if __name__ == "__main__":
    main()
