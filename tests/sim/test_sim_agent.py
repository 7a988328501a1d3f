"""The simulator answers agent-tool requests as the live service does, and refuses what it refuses."""

from __future__ import annotations

import json

import pytest
from sim_wire import completed, events, post, stream

from tui.sim import SimServer

FN = {"type": "function", "name": "shell", "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "shell"}}]}, "tools[0].name"),
        ({"tools": [{"type": "file_search", "vector_store_ids": ["a", "b"]}]}, "tools[0].vector_store_ids"),
        ({"tools": [{"type": "mcp", "server_label": "m", "server_url": "https://m"}]}, "tools[0].server_protocol"),
        ({"input": [{"type": "mcp_call", "id": "x"}, {"role": "user", "content": "hi"}]}, "input[0].type"),
        ({"input": [{"role": "user", "content": "hi"}, {"type": "function_call_output", "call_id": "c", "output": "x"}]}, "input[1]"),
    ],
)
def test_rejected_shapes_are_400(sim: SimServer, fields: dict, param: str) -> None:
    body = {"model": "qwen3-max", "input": "hello", **fields}
    reply = post(sim, body)
    assert reply.status_code == 400
    assert reply.json()["error"]["param"] == param


def test_a_function_call_ends_the_response_without_a_message(sim: SimServer) -> None:
    frames = stream(sim, "use shell to run `ls`", tools=[FN])
    output = completed(frames)["output"]
    assert [item["type"] for item in output] == ["function_call"]
    assert json.loads(output[0]["arguments"]) == {"command": "ls"} and output[0]["call_id"].startswith("call_")


def test_mcp_call_events_in_documented_order(sim: SimServer) -> None:
    mcp = {"type": "mcp", "server_label": "maps", "server_url": "https://m.example", "server_protocol": "sse"}
    kinds = [event["type"] for event in events(stream(sim, "coffee", tools=[mcp]))]
    mcp_kinds = [kind for kind in kinds if "mcp" in kind]
    assert mcp_kinds[0] == "response.mcp_call_arguments.delta"
    assert mcp_kinds[-3:] == ["response.mcp_call_arguments.done", "response.mcp_call.in_progress", "response.mcp_call.completed"]


def test_image_tools_have_no_status_events_and_a_json_string_output(sim: SimServer) -> None:
    frames = stream(sim, "red pandas", tools=[{"type": "web_search_image"}])
    assert not [event for event in events(frames) if "web_search_image_call." in event["type"]]
    item = next(item for item in completed(frames)["output"] if item["type"] == "web_search_image_call")
    results = json.loads(item["output"])
    assert [set(entry) for entry in results] == [{"title", "url", "index"}] * 3


def test_asking_for_an_offered_function_by_name_calls_it_without_searching_the_web_first_or_after(sim: SimServer) -> None:
    """A person who writes "use shell to run ..." wants the shell, not sources about the words; with
    web_search offered as well, neither the call turn nor the answer after the output searches."""
    tools = [FN, {"type": "web_search"}]
    first = completed(stream(sim, "use shell to run `echo hi`", tools=tools))
    assert [item["type"] for item in first["output"]] == ["function_call"]
    call = first["output"][0]
    output = {"type": "function_call_output", "call_id": call["call_id"], "output": "hi"}
    second = completed(stream(sim, [output], tools=tools, previous_response_id=first["id"]))
    assert [item["type"] for item in second["output"]] == ["message"]
    # A question that names no function is still searched, with the same tools offered.
    searched = completed(stream(sim, "what is new in Qwen 3", tools=tools))
    assert [item["type"] for item in searched["output"]] == ["web_search_call", "message"]
