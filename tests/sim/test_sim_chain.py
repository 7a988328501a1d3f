"""`previous_response_id`: the chain's context, 7-day expiry on the sim clock, `store:false`, `instructions`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sim_wire import MODEL, answer_text, ask, completed, post, stream

from tui.sim import SimClock, SimServer

WEEK = 7 * 24 * 3600
NOT_FOUND = "previous_response_not_found"


def not_found_envelope(response_id: str) -> dict:
    return {
        "message": f"Previous response with id '{response_id}' not found.",
        "type": "invalid_request_error",
        "param": "previous_response_id",
        "code": NOT_FOUND,
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["new-path", "legacy-path"])
def test_the_seed_pages_john_example(sim: SimServer, legacy: bool) -> None:
    first = ask(sim, "My name is John, please remember it.", legacy=legacy)
    second = ask(sim, "Do you remember my name?", legacy=legacy, previous_response_id=first["id"])

    assert "John" in answer_text(first)
    assert "John" in answer_text(second)
    assert second["usage"]["input_tokens"] > first["usage"]["input_tokens"]  # the first turn is in the context


def test_a_phrase_like_call_me_back_is_not_a_name(sim: SimServer) -> None:
    first = ask(sim, "Please call me back later, my name is sam")
    answer = answer_text(ask(sim, "What's my name?", previous_response_id=first["id"]))

    assert "Sam" in answer and "Back" not in answer


def test_without_the_chain_the_model_does_not_know_the_name(sim: SimServer) -> None:
    ask(sim, "My name is John, please remember it.")
    answer = answer_text(ask(sim, "Do you remember my name?"))

    assert "John" not in answer
    assert "don't know your name" in answer


def test_a_streamed_answer_can_be_chained_as_soon_as_it_completed(sim: SimServer) -> None:
    first = completed(stream(sim, "Hi, call me Ada."))
    frames = stream(sim, "What is my name?", previous_response_id=first["id"])

    assert "Ada" in "".join(f.json["delta"] for f in frames if f.event == "response.output_text.delta")
    assert completed(frames)["previous_response_id"] == first["id"]


def test_the_chain_reaches_back_over_many_turns_and_the_latest_name_wins(sim: SimServer) -> None:
    turn = ask(sim, "My name is John.")
    for question in ("Write a list of fruits", "Show me some code"):
        turn = ask(sim, question, previous_response_id=turn["id"])
    assert "John" in answer_text(ask(sim, "Do you remember my name?", previous_response_id=turn["id"]))

    renamed = ask(sim, "Actually, my name is Maria.", previous_response_id=turn["id"])
    assert "Maria" in answer_text(ask(sim, "What's my name?", previous_response_id=renamed["id"]))


def test_an_item_array_input_is_the_context(sim: SimServer) -> None:
    replayed = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "input_text", "text": "My name is Lena."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Nice to meet you, Lena!"}]},
        {"role": "user", "content": "Do you remember my name?"},
    ]

    assert "Lena" in answer_text(ask(sim, replayed))


def test_a_developer_message_can_tell_the_name(sim: SimServer) -> None:
    replayed = [
        {"role": "developer", "content": "The user's name is Omar."},
        {"role": "user", "content": "Do you remember my name?"},
    ]

    assert "Omar" in answer_text(ask(sim, replayed))


def test_instructions_count_on_the_new_path_only_and_are_not_carried_over(sim: SimServer) -> None:
    instructions = "The user's name is Priya."

    new = ask(sim, "Do you remember my name?", instructions=instructions)
    legacy = ask(sim, "Do you remember my name?", instructions=instructions, legacy=True)
    later = ask(sim, "Do you remember my name?", previous_response_id=new["id"])

    assert "Priya" in answer_text(new)
    assert "Priya" not in answer_text(legacy)
    assert "Priya" not in answer_text(later)


def test_an_unknown_id_is_a_400_with_the_openai_envelope(sim: SimServer) -> None:
    response = post(sim, {"model": MODEL, "input": "Hi", "previous_response_id": "no-such-id"})

    assert response.status_code == 400
    assert response.json()["error"] == not_found_envelope("no-such-id")


def test_ids_expire_after_seven_days_on_the_sim_clock(sim_factory: Callable[..., SimServer]) -> None:
    clock = SimClock()
    sim = sim_factory(clock=clock)
    first = ask(sim, "My name is John, please remember it.")

    clock.advance(WEEK - 60)
    still = ask(sim, "Do you remember my name?", previous_response_id=first["id"])
    assert "John" in answer_text(still)

    clock.advance(61)
    expired = post(sim, {"model": MODEL, "input": "Do you remember my name?", "previous_response_id": first["id"]})
    assert expired.status_code == 400
    assert expired.json()["error"] == not_found_envelope(first["id"])
    # the answer given just before expiry has its own seven days
    assert "John" in answer_text(ask(sim, "Do you still remember my name?", previous_response_id=still["id"]))


def test_a_clock_started_at_a_fixed_time_gives_fixed_timestamps(sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(clock=SimClock(start=1769417481.0))

    assert ask(sim, "Hello")["created_at"] == 1769417481.0
    sim.clock.advance(WEEK)
    assert completed(stream(sim, "Hello"))["created_at"] == 1769417481.0 + WEEK


def test_the_sim_fixture_clock_expires_ids_after_a_week_and_a_second(sim: SimServer) -> None:
    first = ask(sim, "Hello")
    sim.clock.advance(WEEK + 1)

    response = post(sim, {"model": MODEL, "input": "Hi", "previous_response_id": first["id"]})
    assert response.json()["error"]["code"] == NOT_FOUND


def test_store_false_answers_but_cannot_be_continued(sim: SimServer) -> None:
    unstored = ask(sim, "My name is John.", store=False)
    assert "John" in answer_text(unstored)

    response = post(sim, {"model": MODEL, "input": "Do you remember my name?", "previous_response_id": unstored["id"]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == NOT_FOUND


def test_forget_loses_every_stored_id(sim: SimServer) -> None:
    first, second = ask(sim, "one"), ask(sim, "two")
    sim.inject("forget")

    for response_id in (first["id"], second["id"]):
        response = post(sim, {"model": MODEL, "input": "again", "previous_response_id": response_id})
        assert response.json()["error"]["code"] == NOT_FOUND
    assert ask(sim, "new start")["status"] == "completed"
