"""The engine's guards and choices, through its public calls on a real simulator and a real SQLite file:
one answer at a time (for edits too), clear errors for messages that are not there or cannot be
answered again, titles cut at a word, the model and tools a turn asks for, and the safety margin
before a chained response expires."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chat_support import MakeEngine, collect

from tui.chat.chain import TurnOptions, build_request
from tui.chat.engine import DEFAULT_TITLE, TITLE_LENGTH, ChatEngine, title_from
from tui.chat.errors import EngineError
from tui.sim import SimServer


async def test_editing_while_an_answer_streams_is_refused_and_adds_nothing(
    sim_factory: Callable[..., SimServer], make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim_factory(speed=40, long_answer=400))
    conversation = await engine.new_conversation()
    turn = await engine.send(conversation.id, "Write a long essay")
    [question, _] = await engine.transcript(conversation.id)
    with pytest.raises(EngineError, match="^an answer is still streaming in this conversation; wait for it or cancel it$"):
        await engine.edit(conversation.id, question.id, "Write a short essay instead")
    with pytest.raises(EngineError, match="still streaming"):
        await engine.regenerate(conversation.id, question.id)
    assert [m.id for m in await engine.siblings(question.id)] == [question.id]  # no second branch was started
    turn.cancel()
    await turn.wait()
    edited = await engine.edit(conversation.id, question.id, "Write a short essay instead")
    edited.cancel()
    await edited.wait()
    assert len(await engine.siblings(question.id)) == 2


async def test_shutdown_stops_the_answer_an_edit_started(
    sim_factory: Callable[..., SimServer], make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim_factory(speed=40, long_answer=400))
    conversation = await engine.new_conversation()
    first = await engine.send(conversation.id, "Hello")
    await collect(first)
    [question, _] = await engine.transcript(conversation.id)
    edited = await engine.edit(conversation.id, question.id, "Write a long essay")
    await engine.shutdown(timeout=5)
    assert edited.done and (await edited.wait()).status == "cancelled"


@pytest.mark.parametrize("call", ["regenerate", "edit", "switch_branch"])
async def test_a_message_that_does_not_exist_is_a_clear_error(engine: ChatEngine, call: str) -> None:
    conversation = await engine.new_conversation()
    with pytest.raises(EngineError, match="message 424242 is not part of conversation"):
        if call == "edit":
            await engine.edit(conversation.id, 424242, "new text")
        else:
            await getattr(engine, call)(conversation.id, 424242)


async def test_a_system_message_cannot_be_regenerated_or_edited(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    system = await engine.store.add_message(conversation.id, role="system", content="Be brief.", parent_id=None)
    with pytest.raises(EngineError, match=r"^only an answer \(or a question\) can be regenerated$"):
        await engine.regenerate(conversation.id, system.id)
    with pytest.raises(EngineError, match="^only your own messages can be edited$"):
        await engine.edit(conversation.id, system.id, "Be verbose.")


async def test_an_edit_to_blank_text_is_refused(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await collect(await engine.send(conversation.id, "Hello"))
    [question, _] = await engine.transcript(conversation.id)
    with pytest.raises(EngineError, match="^the message is empty$"):
        await engine.edit(conversation.id, question.id, " \n\t")
    assert [m.id for m in await engine.siblings(question.id)] == [question.id]


async def test_an_answer_without_a_question_cannot_be_regenerated(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    orphan = await engine.store.add_message(conversation.id, role="assistant", content="Hi!", parent_id=None)
    with pytest.raises(EngineError, match="^this answer has no question to answer again$"):
        await engine.regenerate(conversation.id, orphan.id)


async def test_the_first_message_names_the_conversation_cut_at_a_word(engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    text = "\n  Please   summarise the attached quarterly report on renewable energy adoption in Europe\nthanks"
    turn = await engine.send(conversation.id, text)
    turn.cancel()
    await turn.wait()
    title = (await engine.conversation(conversation.id)).title
    assert title == "Please summarise the attached quarterly report on…"


def test_a_title_that_fits_is_kept_whole() -> None:
    fits = "a" * (TITLE_LENGTH - 5) + " bcde"
    assert title_from(fits) == fits
    assert title_from("   \n\n") == DEFAULT_TITLE


def test_a_long_title_ends_at_a_whole_word_without_trailing_punctuation() -> None:
    words = "Explain why the sky is blue, and why sunsets are red; keep it short: " * 2
    title = title_from(words)
    assert title.endswith("…") and len(title) <= TITLE_LENGTH
    kept = title[:-1]
    assert words.startswith(kept) and words[len(kept)] in " ,.;:"  # the cut falls between words
    assert kept[-1] not in " ,.;:"
    assert title == "Explain why the sky is blue, and why sunsets are red; keep…"


def test_a_title_may_end_in_a_capital_x() -> None:
    text = "Ship the release for Linux and Mac OS X " + "w" * 30
    assert title_from(text) == "Ship the release for Linux and Mac OS X…"


def test_one_character_over_is_cut_and_a_word_longer_than_the_title_is_cut_inside() -> None:
    assert len(title_from("x" * (TITLE_LENGTH - 3) + " yz")) == TITLE_LENGTH  # fits exactly: kept whole
    over = "x" * (TITLE_LENGTH - 2) + " yz"  # one character too long
    assert title_from(over) == "x" * (TITLE_LENGTH - 2) + "…"
    assert title_from("y" * 100) == "y" * (TITLE_LENGTH - 1) + "…"


def test_a_space_only_near_the_start_does_not_shrink_the_title_to_a_word() -> None:
    text = "Hi " + "z" * 100
    assert title_from(text) == text[: TITLE_LENGTH - 1] + "…"
    text = "a " * 14 + "b" * 100  # the last space before the cut sits just before its middle
    assert title_from(text) == text[: TITLE_LENGTH - 1] + "…"


async def test_code_interpreter_on_qwen3_max_turns_thinking_on(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, thinking=False)
    conversation = await engine.new_conversation()
    await engine.set_options(conversation.id, tools=["code_interpreter"])
    await collect(await engine.send(conversation.id, "What is 2**100?"))
    request = sim.requests[-1]
    assert request["tools"] == [{"type": "code_interpreter"}]
    assert request["enable_thinking"] is True


async def test_a_conversation_keeps_its_own_model(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim)
    conversation = await engine.new_conversation()
    await engine.set_model(conversation.id, "qwen-plus")
    await collect(await engine.send(conversation.id, "Hello"))
    assert sim.requests[-1]["model"] == "qwen-plus"


async def test_a_chain_is_given_up_a_minute_before_its_response_expires(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.new_conversation()
    await collect(await engine.send(conversation.id, "My name is John, please remember it."))
    expires_at = (await engine.transcript(conversation.id))[-1].expires_at
    assert expires_at is not None
    sim.clock.advance(expires_at - 60.5 - sim.clock.now())
    assert (await engine.chain_state(conversation.id)).mode == "chain"
    sim.clock.advance(1.0)  # 59.5 s left: too close, a chained turn could race the deadline
    assert (await engine.chain_state(conversation.id)).mode == "replay"
    await collect(await engine.send(conversation.id, "Do you remember my name?"))
    assert "previous_response_id" not in sim.requests[-1]


async def test_a_conversation_without_a_model_of_its_own_uses_the_engines(sim: SimServer, engine: ChatEngine) -> None:
    conversation = await engine.store.create_conversation(model="", endpoint=engine.settings.endpoint)
    await collect(await engine.send(conversation.id, "Hello"))
    assert sim.requests[-1]["model"] == engine.settings.model


def test_answers_are_stored_on_the_server_unless_asked_otherwise() -> None:
    options = TurnOptions(model="qwen3-max", endpoint="https://dashscope-intl.aliyuncs.com/api/v2/apps/protocols/compatible-mode/v1")
    assert build_request(options, [], mode="replay").store is True  # so the next turn can chain on it
