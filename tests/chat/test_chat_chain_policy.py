"""The chain policy in one room (`tui.chat.chain`): which answer a turn chains on, and until when."""

from __future__ import annotations

from tui.chat.chain import EXPIRY_MARGIN_SECONDS, RESPONSE_TTL_SECONDS, chain_state, chainable, expiry, plan_chain
from tui.store.models import Message

NOW = 1_800_000_000.0


def msg(id_: int, role: str, **fields: object) -> Message:
    values: dict = {"content": f"m{id_}", "created_at": NOW, **fields}
    return Message(id=id_, conversation_id=1, parent_id=id_ - 1 or None, role=role, **values)  # type: ignore[arg-type]


def answer(id_: int, **fields: object) -> Message:
    values: dict = {"response_id": f"r{id_}", "stored": True, "status": "complete", "expires_at": expiry(NOW), **fields}
    return msg(id_, "assistant", **values)


def test_expiry_is_seven_days_after_creation_and_the_margin_keeps_clear_of_it() -> None:
    assert expiry(NOW) == NOW + RESPONSE_TTL_SECONDS == NOW + 7 * 24 * 3600
    done = answer(2)
    assert chainable(done, NOW)
    assert chainable(done, expiry(NOW) - EXPIRY_MARGIN_SECONDS - 1)
    assert not chainable(done, expiry(NOW) - EXPIRY_MARGIN_SECONDS)  # inside the margin: replay instead


def test_unstored_unfinished_or_idless_answers_cannot_be_chained() -> None:
    for message in (answer(2, stored=False), answer(2, status="cancelled"), answer(2, status="failed"),
                    answer(2, response_id=None), answer(2, expires_at=None), msg(2, "user"), None):
        assert not chainable(message, NOW)


def test_after_a_failed_turn_the_chain_resumes_on_the_last_completed_answer() -> None:
    path = [msg(1, "user"), answer(2), msg(3, "user"), answer(4, status="failed", response_id=None), msg(5, "user")]
    assert plan_chain(path, NOW, store=True) == ("chain", "r2")
    assert chain_state(path[:4], NOW, store=True).mode == "chain"
    # A cancelled answer that did get an id is not chained on either: the server's copy is unfinished.
    path[3] = answer(4, status="cancelled")
    assert plan_chain(path, NOW, store=True) == ("chain", "r2")


def test_private_conversations_and_a_later_unchainable_answer_replay() -> None:
    path = [msg(1, "user"), answer(2), msg(3, "user")]
    assert plan_chain(path, NOW, store=False) == ("replay", None)
    assert chain_state(path, NOW, store=False).mode == "replay"
    # The last completed answer was not stored: chaining on an earlier one would lose it.
    path = [msg(1, "user"), answer(2), msg(3, "user"), answer(4, stored=False), msg(5, "user")]
    assert plan_chain(path, NOW, store=True) == ("replay", None)
    assert chain_state([], NOW, store=True).mode == "new"
