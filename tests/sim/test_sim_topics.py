"""The scripted model answers in kind, over real HTTP: code gets a code block, comparisons a table,
sums their result, news questions their sources, puzzles a worked answer with reasoning first."""

from __future__ import annotations

import re

import pytest
from sim_wire import answer_text, ask, completed, stream

from tui.sim import SimServer


def items(response: dict, kind: str) -> list[dict]:
    return [item for item in response["output"] if item["type"] == kind]


def fences(text: str) -> list[str]:
    """The info string of every fenced code block."""
    return re.findall(r"^```(\w*)\n", text, re.MULTILINE)[::2] if text.count("```") % 2 == 0 else []


@pytest.mark.parametrize(
    ("prompt", "language"),
    [("Write a Python function for fibonacci numbers", "python"), ("Write a fibonacci function in Rust", "rust"),
     ("Show me a bash script that removes duplicate lines", "bash"), ("Implement a prime check", "python"),
     ("How do I reverse a list in Python?", "python"), ("How to read a CSV file in JavaScript", "javascript")],
)
def test_a_code_question_gets_one_code_block_in_its_language(sim: SimServer, prompt: str, language: str) -> None:
    text = answer_text(ask(sim, prompt))

    assert fences(text) == [language]
    assert not any(line.startswith("|") for line in text.splitlines())


def test_a_comparison_gets_a_table_with_both_sides(sim: SimServer) -> None:
    text = answer_text(ask(sim, "Compare SQLite vs PostgreSQL"))
    rows = [line for line in text.splitlines() if line.startswith("|")]

    assert rows[0].split("|")[2:4] == [" SQLite ", " PostgreSQL "]
    assert re.fullmatch(r"\|[-| ]+\|", rows[1]) and len(rows) >= 4


def test_a_sum_gets_its_result_and_runs_in_the_code_interpreter_when_there_is_one(sim: SimServer) -> None:
    plain = answer_text(ask(sim, "What is 17 * 23?"))
    assert "**391**" in plain and not items(ask(sim, "What is 17 * 23?"), "code_interpreter_call")

    response = ask(sim, "What is (2 + 3) ^ 4 - 100 / 8?", tools=[{"type": "code_interpreter"}])
    (call,) = items(response, "code_interpreter_call")
    assert call["outputs"] == [{"type": "logs", "logs": "612.5\n"}]
    assert "(2 + 3) ** 4 - 100 / 8" in call["code"]
    assert "**612.5**" in answer_text(response) and "code interpreter" in answer_text(response)


@pytest.mark.parametrize(("prompt", "result"), [("square root of 144", "12"), ("What is 15% of 80?", "12"), ("5!", "120")])
def test_other_sums_in_words(sim: SimServer, prompt: str, result: str) -> None:
    assert f"**{result}**" in answer_text(ask(sim, prompt))


def test_a_news_question_cites_the_sources_its_search_found(sim: SimServer) -> None:
    """The answer cites by number; the URLs travel in the search call (the client lists them under the answer)."""
    response = ask(sim, "What is the latest news about Qwen?", tools=[{"type": "web_search"}])
    (search,) = items(response, "web_search_call")
    urls = [source["url"] for source in search["action"]["sources"]]
    text = answer_text(response)

    assert len(urls) == 2
    assert "[1]" in text and "[2]" in text and "[3]" not in text


def test_a_news_question_without_search_says_search_is_off(sim: SimServer) -> None:
    response = ask(sim, "Who won the 2022 World Cup?")

    assert [item["type"] for item in response["output"]] == ["message"]
    assert "web search is off" in answer_text(response) and "web_search" in answer_text(response)


def test_a_puzzle_with_thinking_reasons_in_steps_first(sim: SimServer) -> None:
    final = completed(stream(sim, "Think step by step: why is the sky blue?", enable_thinking=True))
    reasoning, message = final["output"]
    summary = reasoning["summary"][0]["text"]

    assert reasoning["type"] == "reasoning" and message["type"] == "message"
    assert all(word in summary for word in ("First", "Second", "Third"))
    text = message["content"][0]["text"]
    assert re.search(r"^1\. ", text, re.MULTILINE) and re.search(r"^3\. ", text, re.MULTILINE)


def test_a_definition_question_is_explained_not_answered_with_steps(sim: SimServer) -> None:
    text = answer_text(ask(sim, "What is a B-tree?"))

    assert text.startswith("## What is a B-tree") and "**a B-tree**" in text
    assert "**How it works**" in text and not re.search(r"^1\. ", text, re.MULTILINE)


@pytest.mark.parametrize(("prompt", "starts"), [("Hello!", "Hello"), ("thanks!", "You're welcome"), ("bye", "Goodbye")])
def test_small_talk_gets_a_short_reply(sim: SimServer, prompt: str, starts: str) -> None:
    text = answer_text(ask(sim, prompt))

    assert text.startswith(starts) and len(text) < 120 and "#" not in text


def test_each_kind_of_prompt_gets_a_different_shape_and_the_same_one_every_time(sim: SimServer) -> None:
    prompts = ["What is a B-tree?", "How do I learn to cook?", "Compare cats and dogs", "Write code to sort words",
               "What is 6 * 7?", "Why do cats purr?"]
    answers = [answer_text(ask(sim, prompt)) for prompt in prompts]

    assert answers == [answer_text(ask(sim, prompt)) for prompt in prompts]
    shapes = {re.sub(r"[^#|`*\d\n-]", "", answer)[:40] for answer in answers}
    assert len(shapes) == len(prompts)


def test_a_summary_request_lists_what_was_asked_in_the_conversation(sim: SimServer) -> None:
    first = ask(sim, "My name is Ada")
    second = ask(sim, "How do I reverse a list in Python?", previous_response_id=first["id"])
    summary = ask(
        sim,
        "Summarise our conversation so far for a fresh start: the facts, decisions and open questions.",
        previous_response_id=second["id"],
    )
    text = answer_text(summary)

    assert text.startswith("Here is a compact summary")
    assert "Your name is **Ada**" in text and "- You asked: How do I reverse a list in Python?" in text
    assert "Summarise our conversation" not in text, "the request itself is not one of the questions"
    assert text.count("You asked") == 1
