"""`RoundsFold`: one assistant turn made of several responses (the model called local functions,
their outputs went back on the chain, and it answered on). Each response folds on its own
(`TurnFold`: sequence numbers and output indexes restart per response); the turn is their sum.
"""

from __future__ import annotations

from typing import Any

from tui.chat.fold import TurnFold
from tui.chat.updates import TextDelta, ToolCall, Update
from tui.store.models import MessageStatus, OutputItem, Usage

#: Put between the text of two responses of one turn, so their sentences do not run together.
ROUND_BREAK = "\n\n"


class RoundsFold:
    """The folds of a turn's responses, read as one: text, items and usage of all, state of the last."""

    def __init__(self) -> None:
        self.current = TurnFold()
        self.rounds: list[TurnFold] = [self.current]
        #: Round index -> the text put before that round's first text (a break after earlier text).
        self._breaks: dict[int, str] = {}
        #: Whether the current round's first text is still to come (only after a first round).
        self._break_pending = False

    def next_round(self) -> None:
        """Start folding the next response of the turn."""
        self.current = TurnFold()
        self.rounds.append(self.current)
        self._break_pending = True

    def apply(self, event: Any) -> list[Update]:
        updates = self.current.apply(event)
        if not self._break_pending or not any(isinstance(update, TextDelta) for update in updates):
            return updates  # the hot path (every text delta of a plain answer) ends here
        self._break_pending = False
        earlier = "".join(self._breaks.get(i, "") + fold.text for i, fold in enumerate(self.rounds[:-1]))
        join = ROUND_BREAK if earlier.strip() and not earlier.endswith("\n\n") else ""
        self._breaks[len(self.rounds) - 1] = join
        return [TextDelta(join), *updates] if join else updates

    # The state of the response in flight decides how the turn ends.
    @property
    def response_id(self) -> str | None:
        return self.current.response_id

    @property
    def terminal(self) -> MessageStatus | None:
        return self.current.terminal

    @property
    def error(self) -> str | None:
        return self.current.error

    @property
    def started(self) -> bool:
        """Whether any event of the turn arrived (a failure after that keeps a partial turn)."""
        return self.rounds[0].started

    @property
    def text(self) -> str:
        return "".join(self._breaks.get(i, "") + fold.text for i, fold in enumerate(self.rounds))

    @property
    def usage(self) -> Usage | None:
        """Usage summed over the responses (each one is billed)."""
        usages = [fold.usage for fold in self.rounds if fold.usage is not None]
        return sum(usages[1:], usages[0]) if usages else None

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [call for fold in self.rounds for call in fold.tool_calls]

    def reasoning_text(self, item_id: str) -> str:
        return "".join(fold.reasoning_text(item_id) for fold in self.rounds)

    def items(self) -> list[OutputItem]:
        return [item for fold in self.rounds for item in fold.items()]
