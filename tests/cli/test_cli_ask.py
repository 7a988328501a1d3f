"""`qwen-tui ask` as a person runs it, against the simulator: chaining, fallback, tools, faults, signals."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest
from cli_process import Cli, assert_one_clear_line, read_until, run_on_terminal

SEVEN_DAYS = 7 * 24 * 3600


def ask_json(cli: Cli, sim: Any, *args: str) -> dict[str, Any]:
    done = cli.run("ask", "--json", *args, base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def input_texts(request: dict[str, Any]) -> list[str]:
    """The text of every input message a request carried (a bare string counts as one)."""
    value = request["input"]
    if isinstance(value, str):
        return [value]
    texts = []
    for item in value:
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        else:
            texts.extend(part.get("text", "") for part in content or [])
    return texts


def exported(cli: Cli, conversation_id: int) -> dict[str, Any]:
    done = cli.run("export", str(conversation_id), "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def without_retry_notes(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if "retrying" not in line)


def test_answer_streams_to_stdout_and_is_saved(cli: Cli, sim) -> None:
    done = cli.run("ask", "My name is John, please remember it.", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "Nice to meet you, **John**!" in done.stdout
    assert done.stderr == ""
    listing = cli.run("list")
    assert listing.stdout.splitlines()[0].startswith("1  ")
    shown = cli.run("show", "1")
    assert "My name is John, please remember it." in shown.stdout
    assert done.stdout.strip() in shown.stdout


def test_continue_chains_with_only_the_new_message(cli: Cli, sim) -> None:
    first = ask_json(cli, sim, "My name is John, please remember it.")
    done = cli.run("ask", "-c", "Do you remember my name?", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "John" in done.stdout
    second = sim.requests[-1]
    assert second["previous_response_id"] == first["response_id"]
    assert input_texts(second) == ["Do you remember my name?"]
    assert len(sim.requests) == 2


def test_continue_a_named_conversation(cli: Cli, sim) -> None:
    ask_json(cli, sim, "My name is John.")
    ask_json(cli, sim, "My name is Ada.")
    answer = ask_json(cli, sim, "--continue", "1", "What is my name?")
    assert answer["conversation_id"] == 1
    assert "John" in answer["text"]


@pytest.mark.parametrize("how", ["expired", "forgotten"])
def test_lost_chain_falls_back_to_replay_and_still_remembers(cli: Cli, sim, how: str) -> None:
    first = ask_json(cli, sim, "My name is John, please remember it.")
    if how == "expired":
        sim.clock.advance(SEVEN_DAYS + 1)
    else:
        sim.inject("forget")
    done = cli.run("ask", "-c", "Do you remember my name?", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "Yes, **John**! I remember your name." in done.stdout
    chained, replayed = sim.requests[-2:]
    assert chained["previous_response_id"] == first["response_id"]
    assert "previous_response_id" not in replayed or replayed["previous_response_id"] is None
    assert input_texts(replayed)[0] == "My name is John, please remember it."
    assert input_texts(replayed)[-1] == "Do you remember my name?"
    assert "resending it in full" in done.stderr
    assert exported(cli, 1)["messages"][-1]["mode"] == "replay"


def test_tools_and_thinking_go_to_stderr_and_only_the_answer_to_stdout(cli: Cli, sim) -> None:
    done = cli.run(
        "ask", "--thinking", "--tool", "web_search", "--tool", "web_extractor", "--tool", "code_interpreter",
        "How fast is a cheetah?", base_url=sim.base_url,
    )
    assert done.returncode == 0, done.stderr
    request = sim.requests[-1]
    assert {tool["type"] for tool in request["tools"]} == {"web_search", "web_extractor", "code_interpreter"}
    assert request["enable_thinking"] is True
    answer = exported(cli, 1)["messages"][-1]["content"]
    assert done.stdout.rstrip("\n") == answer.rstrip("\n")
    err = done.stderr
    assert "thinking: " in err
    assert "[web_search] query: " in err
    assert "[web_search] source: https://" in err
    assert "[web_extractor] goal: " in err
    assert "[web_extractor] url: https://" in err
    assert "[code_interpreter] code:\n    " in err
    assert "[code_interpreter] logs:\n    " in err


def test_options_stay_with_the_conversation(cli: Cli, sim) -> None:
    ask_json(cli, sim, "--tool", "web_search", "Tell me about otters")
    ask_json(cli, sim, "-c", "And about beavers")
    assert [tool["type"] for tool in sim.requests[-1]["tools"]] == ["web_search"]
    assert not sim.requests[-1].get("enable_thinking")
    ask_json(cli, sim, "-c", "--thinking", "And about otters again")
    assert sim.requests[-1]["enable_thinking"] is True
    ask_json(cli, sim, "-c", "One more about otters")
    assert sim.requests[-1]["enable_thinking"] is True  # the choice stays with the conversation
    ask_json(cli, sim, "-c", "--no-thinking", "Last one")
    assert not sim.requests[-1].get("enable_thinking")


def test_a_conversation_keeps_its_model_until_model_is_given_again(cli: Cli, sim) -> None:
    first = ask_json(cli, sim, "--model", "qwen-plus", "Tell me about otters")
    assert first["model"] == "qwen-plus" and sim.requests[-1]["model"] == "qwen-plus"
    ask_json(cli, sim, "-c", "And about beavers")  # the default model does not take over
    assert sim.requests[-1]["model"] == "qwen-plus"
    moved = ask_json(cli, sim, "-c", "--model", "qwen3.5-plus", "And about otters again")
    assert moved["model"] == "qwen3.5-plus" and sim.requests[-1]["model"] == "qwen3.5-plus"
    ask_json(cli, sim, "-c", "One more about otters")
    assert sim.requests[-1]["model"] == "qwen3.5-plus"  # the explicit choice stays with the conversation


def test_dropped_stream_fails_with_one_line_and_keeps_the_partial_answer(cli: Cli, sim_factory) -> None:
    sim = sim_factory(long_answer=40)
    sim.inject("drop", after_deltas=6)
    done = cli.run("ask", "Tell me a long story", base_url=sim.base_url)
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "cut off", "qwen-tui show 1")
    partial = done.stdout.rstrip("\n")
    assert partial
    shown = cli.run("show", "1")
    assert "Tell me a long story" in shown.stdout
    assert "[incomplete" in shown.stdout
    assert partial in shown.stdout


def test_sigkill_mid_stream_loses_nothing(cli: Cli, sim_factory) -> None:
    sim = sim_factory(speed=40, long_answer=2000)
    process = cli.start("ask", "Tell me a very long story", base_url=sim.base_url)
    seen = read_until(process, lambda data: len(data.split()) >= 80).decode()
    process.kill()
    process.wait()
    shown = cli.run("show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "Tell me a very long story" in shown.stdout
    assert "[incomplete: interrupted" in shown.stdout
    stored = exported(cli, 1)["messages"][-1]["content"]
    assert len(stored.split()) >= 20  # flushed while streaming (every 0.25 s), not only at the end
    assert seen.startswith(stored) or stored.startswith(seen)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_stops_cleanly_and_keeps_the_partial_answer(cli: Cli, sim_factory, signum: int, status: int) -> None:
    sim = sim_factory(speed=40, long_answer=2000)
    process = cli.start("ask", "Tell me a very long story", base_url=sim.base_url)
    seen = read_until(process, lambda data: len(data.split()) >= 10)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == status
    assert "Traceback" not in err.decode()
    assert "stopped; the partial answer is kept in conversation 1" in err.decode()
    message = exported(cli, 1)["messages"][-1]
    assert message["status"] == "cancelled"
    assert message["content"].strip()
    printed = (seen + out).decode()  # everything printed, before and after the signal
    assert printed.rstrip("\n") == message["content"].rstrip("\n")


def test_rate_limit_then_success(cli: Cli, sim) -> None:
    sim.inject("rate_limit", retry_after=0.1)
    done = cli.run("ask", "hello", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "Hello" in done.stdout
    assert "retrying" in done.stderr
    assert len(sim.requests) == 2


def test_server_errors_that_persist_fail_with_one_line(cli: Cli, sim) -> None:
    sim.inject("server_error", times=10)
    done = cli.run("ask", "hello there, how are you", base_url=sim.base_url)
    assert done.returncode == 1
    assert_one_clear_line(without_retry_notes(done.stderr), "try again")
    assert cli.run("list").stdout == ""  # nothing half-done is left in the history (the shell keeps the prompt)


def test_rejected_key_is_one_line_naming_the_key(cli: Cli, sim_factory) -> None:
    sim = sim_factory(api_key="sk-the-right-key-0000")
    done = cli.run("ask", "hello", base_url=sim.base_url)
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, "API key", "DASHSCOPE_API_KEY")
    assert done.stdout == ""


def test_unreachable_server_is_one_line(cli: Cli, sim_factory) -> None:
    sim = sim_factory()
    url = sim.base_url
    sim.stop()
    done = cli.run("ask", "hello", base_url=url)
    assert done.returncode == 1
    assert_one_clear_line(without_retry_notes(done.stderr), "--base-url")


def test_prompt_from_stdin(cli: Cli, sim) -> None:
    for args in (("ask", "-"), ("ask",)):
        done = cli.run(*args, base_url=sim.base_url, stdin="My name is Ada.\n")
        assert done.returncode == 0, done.stderr
        assert "**Ada**" in done.stdout
    assert input_texts(sim.requests[-1]) == ["My name is Ada.\n"]


def test_json_and_no_stream_print_the_same_answer(cli: Cli, sim) -> None:
    result = ask_json(cli, sim, "hello")
    assert result["conversation_id"] == 1
    assert result["status"] == "complete"
    assert result["usage"]["output_tokens"] > 0
    assert result["response_id"]
    plain = cli.run("ask", "--no-stream", "hello", base_url=sim.base_url)
    assert plain.stdout.rstrip("\n") == result["text"].rstrip("\n")


def test_system_prompt_travels_with_the_conversation(cli: Cli, sim) -> None:
    ask_json(cli, sim, "--system", "The user's name is Grace.", "Who am I?")
    assert "Grace" in exported(cli, 1)["messages"][-1]["content"]
    done = cli.run("ask", "-c", "--system", "other", "hi", base_url=sim.base_url)
    assert done.returncode == 2
    assert_one_clear_line(done.stderr, "--system")


def test_demo_answers_with_no_key_at_all(cli: Cli) -> None:
    done = cli.run("--demo", "ask", "My name is John.", env={"DASHSCOPE_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    assert "**John**" in done.stdout


def test_a_reader_that_stops_early_ends_the_answer_quietly_and_keeps_it(cli: Cli, sim_factory) -> None:
    sim = sim_factory(speed=200, long_answer=2000)
    process = cli.start("ask", "Tell me a very long story", base_url=sim.base_url)
    read_until(process, lambda data: len(data) >= 20)
    process.stdout.close()  # like `qwen-tui ask ... | head -c 20`
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert err == ""
    message = exported(cli, 1)["messages"][-1]
    assert message["status"] == "cancelled"
    assert message["content"].startswith("# A long answer")


def test_the_key_can_come_from_a_key_file_named_in_the_config(cli: Cli, sim_factory) -> None:
    sim = sim_factory(api_key="sk-kept-in-a-file-5555")
    key_file = cli.root / "dashscope.key"
    key_file.write_text("sk-kept-in-a-file-5555\n", encoding="utf-8")
    config = cli.root / "config" / "qwen-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'key_file = "{key_file}"\n', encoding="utf-8")
    done = cli.run("ask", "hello", base_url=sim.base_url, env={"DASHSCOPE_API_KEY": ""})
    assert done.returncode == 0, done.stderr
    assert "Hello" in done.stdout


def test_escape_sequences_in_an_answer_never_reach_the_terminal(cli: Cli, sim) -> None:
    """The simulator echoes the question's topic, so a hostile question yields a hostile answer."""
    hostile = "Explain \x1b]52;c;ZXZpbA==\x07 and \x1b[2J please"
    shown = run_on_terminal(cli, "ask", hostile, base_url=sim.base_url)
    assert b"]52;c;ZXZpbA==" in shown  # the answer echoed it, made inert
    for sequence in (b"\x1b]52", b"\x1b[2J", b"\x07"):
        assert sequence not in shown
    # Piped, the answer is passed on verbatim: what a script asked for, it gets.
    piped = cli.run("ask", "-c", "Repeat: " + hostile, base_url=sim.base_url)
    assert piped.returncode == 0, piped.stderr
    assert "\x1b]52;c;ZXZpbA==\x07" in piped.stdout
