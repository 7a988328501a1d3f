"""`CostTally`: each conversation's estimated cost, kept between turns and added to with the new answers only.

The status line shows the whole conversation's cost after every turn; priced from every answer's row
each time, a 500-turn sitting spent 4 ms a turn on it (bench/soak.py). An answer's usage is written
once, when it ends, so the kept sum holds while the answers with usage are the same: one aggregate
says whether they are (count, newest id, tokens), and only the rows after the newest are read.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.catalog import Catalog
from tui.chat.cost import Cost, total_cost
from tui.store import Store
from tui.store.models import Usage

#: Conversations whose sum is kept (as `tui.chat.branch_paths.KEPT_CONVERSATIONS`).
KEPT_CONVERSATIONS = 4


@dataclass(frozen=True, slots=True)
class _Sum:
    """A conversation's cost as of the answers counted by `tally` (`Store.answer_usage_tally`)."""

    tally: tuple[int, int, int]
    cost: Cost
    catalog: Catalog
    currency: str


class CostTally:
    """The estimated cost of every answer of a conversation, on every branch."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._sums: dict[int, _Sum] = {}

    async def cost(self, conversation_id: int, catalog: Catalog, currency: str) -> Cost:
        tally = await self._store.answer_usage_tally(conversation_id)
        kept = self._sums.get(conversation_id)
        if kept is not None and (kept.catalog is not catalog or kept.currency != currency):
            kept = None  # another price table (the region changed): price every answer again
        if kept is not None and kept.tally == tally:
            return kept.cost
        if kept is not None:
            rows = await self._store.answer_usage(conversation_id, after=kept.tally[1])
            added = _tally(rows, kept.tally)
            if added == tally:
                return self._keep(conversation_id, _Sum(added, kept.cost + _priced(rows, catalog, currency), catalog, currency))
        # New here, or answers went (a deleted conversation's ids taken again): price all of them. The sum
        # is kept with the tally of the rows it priced, so an answer ending meanwhile is added next time.
        rows = await self._store.answer_usage(conversation_id)
        return self._keep(conversation_id, _Sum(_tally(rows), _priced(rows, catalog, currency), catalog, currency))

    def _keep(self, conversation_id: int, kept: _Sum) -> Cost:
        self._sums.pop(conversation_id, None)
        self._sums[conversation_id] = kept
        while len(self._sums) > KEPT_CONVERSATIONS:
            del self._sums[next(iter(self._sums))]
        return kept.cost

    def forget(self, conversation_id: int) -> None:
        """Drop the sum of a conversation (it was deleted)."""
        self._sums.pop(conversation_id, None)


def _tally(rows: list[tuple[int, str | None, Usage]], before: tuple[int, int, int] = (0, 0, 0)) -> tuple[int, int, int]:
    """`before` (a `Store.answer_usage_tally`) with `rows` (from `Store.answer_usage`) counted in."""
    count, newest, tokens = before
    for message_id, _, usage in rows:
        count, newest, tokens = count + 1, max(newest, message_id), tokens + usage.total_tokens
    return count, newest, tokens


def _priced(rows: list[tuple[int, str | None, Usage]], catalog: Catalog, currency: str) -> Cost:
    return total_cost([(usage, model) for _, model, usage in rows], catalog, currency)
