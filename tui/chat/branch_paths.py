"""`BranchPaths`: the root..head path of a conversation's branch, kept between turns and read again only at its end.

Every send, status refresh and context meter needs the branch; read whole, a 1,000-message branch
cost each turn of a long sitting more than the turn itself (bench/soak.py). Only the tip of a branch
changes (an answer streams or ends, a turn that failed unanswered is deleted; an answer still
streaming has no replies), so what was read once is kept, and each use reads the last few messages
again and joins them onto the kept ones before them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from tui.store import Store
from tui.store.models import Message

#: Messages read again from the end of the branch on each use: a turn adds two (more after failed or
#: cancelled ones). When none of them is one already kept (another process added turns, another
#: branch), the branch is read whole.
END_READ = 8
#: Conversations whose branch is kept (the open one, and a few the person switched between).
KEPT_CONVERSATIONS = 4


@dataclass(slots=True)
class _Kept:
    """One conversation's branch as last read, and where each of its messages is in it."""

    messages: list[Message]
    places: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.places = {message.id: place for place, message in enumerate(self.messages)}


class BranchPaths:
    """Paths root..message, each as `Store.path_to` reads it, but read whole only the first time."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: OrderedDict[int, _Kept] = OrderedDict()

    async def path_to(self, conversation_id: int, message_id: int) -> list[Message]:
        """The messages from the root down to `message_id` (of `conversation_id`), with usage and items."""
        end = await self._store.path_end(message_id, END_READ)
        kept = self._kept.get(conversation_id)
        if kept is None or not self._join(kept, end):
            kept = _Kept(end if end and end[0].parent_id is None else await self._store.path_to(message_id))
        self._kept[conversation_id] = kept
        self._kept.move_to_end(conversation_id)
        while len(self._kept) > KEPT_CONVERSATIONS:
            self._kept.popitem(last=False)
        return list(kept.messages)

    def forget(self, conversation_id: int) -> None:
        """Drop what is kept of a conversation (it was deleted)."""
        self._kept.pop(conversation_id, None)

    @staticmethod
    def _join(kept: _Kept, end: list[Message]) -> bool:
        """Join the freshly read `end` of a branch onto the kept messages before its oldest one that is kept
        (updating `kept`); False when they do not meet."""
        for index, message in enumerate(end):
            place = kept.places.get(message.id)
            if place is None:
                continue
            same = kept.messages[place]
            # Ids are taken again after the newest messages are deleted (another process deleted the
            # conversation and started one): the same id must be the same message.
            if same.created_at != message.created_at or same.parent_id != message.parent_id:
                return False
            for gone in kept.messages[place:]:
                kept.places.pop(gone.id, None)
            del kept.messages[place:]
            for offset, fresh in enumerate(end[index:]):
                kept.places[fresh.id] = place + offset
            kept.messages += end[index:]
            return True
        return False
