"""Agent tools through the real engine and the simulator on loopback: MCP servers the service runs,
image and knowledge-base search, and local functions with consent, parallel calls, re-calls,
cancel, storage, export and replay of an expired chain."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from chat_support import MakeEngine, ask

from tui.chat.agent_tools import AgentTools
from tui.chat.errors import EngineError
from tui.chat.functions import FunctionRequest, allow_named
from tui.chat.updates import ToolCall, ToolCallUpdated, TurnFinished
from tui.sim import SimServer
from tui.tool_config import FunctionTool, HeaderSource, McpServer

MAPS = McpServer(
    label="maps",
    url="https://mcp.example.com/sse",
    headers={"Authorization": HeaderSource(env="MAPS_TOKEN", prefix="Bearer ")},
)


def calls_of(updates: list, kind: str) -> dict[str, ToolCall]:
    """The last state of every tool call of `kind`, by item id."""
    return {u.call.item_id: u.call for u in updates if isinstance(u, ToolCallUpdated) and u.call.type == kind}


def finished(updates: list) -> TurnFinished:
    return updates[-1]


def last_request(sim: SimServer) -> dict:
    return sim.state.requests[-1]


# --- MCP ---------------------------------------------------------------------------------------


async def test_mcp_call_streams_arguments_and_output(sim: SimServer, make_engine: MakeEngine) -> None:
    agent = AgentTools(mcp=(MAPS,), env={"MAPS_TOKEN": "tok-123"})
    engine = await make_engine(sim, agent=agent)
    conversation = await engine.new_conversation()
    await engine.set_mcp(conversation.id, ["maps"])
    updates = await ask(engine, conversation.id, "Find coffee near the station")

    entry = next(tool for tool in last_request(sim)["tools"] if tool["type"] == "mcp")
    assert entry == {
        "type": "mcp",
        "server_protocol": "sse",
        "server_label": "maps",
        "server_url": "https://mcp.example.com/sse",
        "headers": {"Authorization": "Bearer tok-123"},
    }
    snapshots = [u.call for u in updates if isinstance(u, ToolCallUpdated) and u.call.type == "mcp_call"]
    arguments = [call.arguments for call in snapshots if call.arguments]
    assert len(set(arguments)) > 2, "arguments should grow as they stream"
    last = snapshots[-1]
    assert (last.server, last.name, last.status) == ("maps", "search", "completed")
    assert json.loads(last.arguments or "")["query"]
    assert "maps found 2 results" in (last.output or "")
    message = finished(updates).message
    stored = [item for item in message.items if item.type == "mcp_call"]
    assert stored and stored[0].data["server"] == "maps" and "found 2 results" in stored[0].data["output"]
    # The header value never reaches the database or an export.
    exported = json.dumps(await engine.export_json(conversation.id)) + await engine.export_markdown(conversation.id)
    assert "tok-123" not in exported
    assert b"tok-123" not in (Path(engine.store.path).read_bytes())


async def test_mcp_call_failure_is_shown_and_the_answer_goes_on(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, agent=AgentTools(mcp=(MAPS,), env={"MAPS_TOKEN": "t"}))
    conversation = await engine.new_conversation(options={"mcp": ["maps"]})
    updates = await ask(engine, conversation.id, "Find tea, expect an mcp error")
    call = list(calls_of(updates, "mcp_call").values())[-1]
    assert call.status == "failed" and "tool unavailable" in (call.error or "")
    assert finished(updates).status == "complete"
    assert "maps server failed" in finished(updates).message.content


async def test_mcp_header_from_unset_variable_is_one_clear_error_and_nothing_is_stored(
    sim: SimServer, make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim, agent=AgentTools(mcp=(MAPS,), env={}))
    conversation = await engine.new_conversation(options={"mcp": ["maps"]})
    with pytest.raises(EngineError, match="MAPS_TOKEN"):
        await engine.send(conversation.id, "hello")
    assert await engine.transcript(conversation.id) == []
    assert sim.state.requests == []


async def test_mcp_header_from_a_command(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    server = McpServer(label="kb", url="https://kb.example.com/mcp", protocol="streamable_http",
                       headers={"X-Key": HeaderSource(command="printf secret-from-command")})
    engine = await make_engine(sim, agent=AgentTools(mcp=(server,)))
    conversation = await engine.new_conversation(options={"mcp": ["kb"]})
    await ask(engine, conversation.id, "hello there")
    entry = last_request(sim)["tools"][0]
    assert entry["headers"] == {"X-Key": "secret-from-command"} and entry["server_protocol"] == "streamable_http"


async def test_unknown_mcp_label_is_refused(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, agent=AgentTools(mcp=(MAPS,)))
    conversation = await engine.new_conversation()
    with pytest.raises(EngineError, match="no MCP server 'nope'"):
        await engine.set_mcp(conversation.id, ["nope"])


# --- image and knowledge-base search -----------------------------------------------------------


async def test_image_search_results_are_titles_with_links(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, tools=["web_search_image", "image_search"])
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "pictures of red pandas")
    assert {tool["type"] for tool in last_request(sim)["tools"]} == {"web_search_image", "image_search"}
    for kind in ("web_search_image_call", "image_search_call"):
        call = list(calls_of(updates, kind).values())[-1]
        assert call.status == "completed"
        assert call.query == "pictures of red pandas"
        assert [r["url"] for r in call.results] == [
            f"https://images.example.com/pictures-of-red-pandas-{n}.jpg" for n in (1, 2, 3)
        ]
        assert call.results[0]["title"] == "pictures of red pandas (1)"
    usage = finished(updates).message.usage
    assert usage is not None and usage.x_tools == {"web_search_image": 1, "image_search": 1}


async def test_file_search_sends_one_knowledge_base_and_keeps_queries_and_results(
    sim: SimServer, make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim, tools=["file_search"], agent=AgentTools(knowledge_base="vs_abc"))
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "what does the handbook say about leave")
    assert last_request(sim)["tools"] == [{"type": "file_search", "vector_store_ids": ["vs_abc"]}]
    item = next(item for item in finished(updates).message.items if item.type == "file_search_call")
    assert item.data["query"] == "what does the handbook say about leave"
    assert item.data["results"][0]["filename"] == "handbook.md" and item.data["results"][0]["score"] == 0.87
    markdown = await engine.export_markdown(conversation.id)
    assert "File search: what does the handbook say about leave" in markdown


async def test_file_search_without_a_knowledge_base_is_refused_before_sending(
    sim: SimServer, make_engine: MakeEngine
) -> None:
    engine = await make_engine(sim, tools=["file_search"])
    conversation = await engine.new_conversation()
    with pytest.raises(EngineError, match="knowledge_base"):
        await engine.send(conversation.id, "hello")


# --- local functions ---------------------------------------------------------------------------


def recording(decision: str = "once") -> tuple[list[FunctionRequest], object]:
    asked: list[FunctionRequest] = []

    async def consent(request: FunctionRequest) -> str:
        asked.append(request)
        return decision

    return asked, consent


async def test_nothing_is_declared_or_run_unless_turned_on(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    asked, engine.consent = recording()
    conversation = await engine.new_conversation()
    updates = await ask(engine, conversation.id, "use shell to run `touch made`")
    assert "tools" not in last_request(sim)
    assert not asked and not (tmp_path / "made").exists()
    assert finished(updates).status == "complete"


async def test_function_call_runs_after_consent_and_its_output_goes_on_the_chain(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("the secret word is teapot\n")
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    asked, engine.consent = recording("once")
    conversation = await engine.new_conversation(options={"functions": ["read_file"]})
    updates = await ask(engine, conversation.id, "please read_file notes.txt")

    declared = [tool for tool in sim.state.requests[0]["tools"] if tool["type"] == "function"]
    assert declared[0]["name"] == "read_file" and "function" not in declared[0]
    assert [(r.name, json.loads(r.arguments)) for r in asked] == [("read_file", {"path": "notes.txt"})]
    first_id = sim.state.requests[0]
    follow = sim.state.requests[1]
    assert first_id.get("previous_response_id") is None
    assert follow["previous_response_id"] and follow["input"][0]["type"] == "function_call_output"
    assert follow["input"][0]["output"] == "the secret word is teapot\n"
    done = finished(updates)
    assert done.status == "complete"
    assert "The function returned: the secret word is teapot" in done.message.content
    call = next(item for item in done.message.items if item.type == "function_call")
    assert call.data["output"] == "the secret word is teapot\n" and call.data["decision"] == "once"
    assert done.message.response_id != follow["previous_response_id"], "the chain head is the last response"
    # The next message chains on the last response and the conversation goes on.
    updates = await ask(engine, conversation.id, "thanks")
    assert finished(updates).status == "complete" and last_request(sim)["previous_response_id"] == done.message.response_id


async def test_denied_call_goes_back_to_the_model_as_its_output(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    _asked, engine.consent = recording("deny")
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    updates = await ask(engine, conversation.id, "use shell to run `touch made`")
    assert not (tmp_path / "made").exists()
    output = last_request(sim)["input"][0]
    assert output["type"] == "function_call_output" and "did not allow" in output["output"]
    call = list(calls_of(updates, "function_call").values())[-1]
    assert (call.status, call.decision) == ("denied", "deny")
    assert finished(updates).status == "complete"


async def test_no_consent_callback_denies(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path), local_tools=("shell",)))
    conversation = await engine.new_conversation()
    await ask(engine, conversation.id, "use shell to run `touch made`")
    assert not (tmp_path / "made").exists()
    assert "did not allow" in last_request(sim)["input"][0]["output"]


async def test_always_allows_later_calls_in_the_conversation_without_asking(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    asked, engine.consent = recording("always")
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    await ask(engine, conversation.id, "use shell to run `echo one`")
    await ask(engine, conversation.id, "use shell to run `echo two`")
    assert len(asked) == 1
    assert (await engine.conversation(conversation.id)).options["allowed_functions"] == ["shell"]
    assert last_request(sim)["input"][0]["output"] == "two\n"
    other = await engine.new_conversation(options={"functions": ["shell"]})
    await ask(engine, other.id, "use shell to run `echo three`")
    assert len(asked) == 2, "always is for one conversation only"


async def test_parallel_calls_both_run_and_both_outputs_are_sent(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    root = tmp_path / "work"
    root.mkdir()
    (root / "a.txt").write_text("alpha")
    engine = await make_engine(sim, agent=AgentTools(root=str(root)))
    asked, engine.consent = recording("once")
    conversation = await engine.new_conversation(options={"functions": ["read_file", "list_dir"]})
    updates = await ask(engine, conversation.id, "read_file a.txt and list_dir the folder")
    assert [r.name for r in asked] == ["read_file", "list_dir"]
    outputs = [item["output"] for item in last_request(sim)["input"]]
    assert outputs == ["alpha", "a.txt"]
    assert {call.call_id for call in calls_of(updates, "function_call").values()} == {
        item["call_id"] for item in last_request(sim)["input"]
    }


async def test_model_calls_again_after_seeing_the_output(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    updates = await ask(engine, conversation.id, "run `echo again` with shell twice")
    assert len(sim.state.requests) == 3
    calls = [item for item in finished(updates).message.items if item.type == "function_call"]
    assert [call.data["output"] for call in calls] == ["again\n", "again\n"]
    assert finished(updates).message.content.count("The function returned") == 2


async def test_function_failure_and_escape_sequences_are_inert(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    updates = await ask(engine, conversation.id, "use shell to run `printf '\\033[2J\\033]0;pwned\\007boom'; exit 3`")
    call = list(calls_of(updates, "function_call").values())[-1]
    assert call.status == "failed"
    assert "\x1b" not in (call.output or "") and "\x07" not in (call.output or "")
    assert "[2J]0;pwnedboom" in (call.output or "") and "[exit status 3]" in (call.output or "")
    assert "\x1b" not in last_request(sim)["input"][0]["output"]
    assert finished(updates).status == "complete"


async def test_read_file_stays_under_the_root(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("private")
    engine = await make_engine(sim, agent=AgentTools(root=str(root)))
    engine.consent = allow_named(["read_file"])
    conversation = await engine.new_conversation(options={"functions": ["read_file"]})
    await ask(engine, conversation.id, "read_file ../outside.txt")
    sent = last_request(sim)["input"][0]["output"]
    assert "outside the allowed folder" in sent and "private" not in sent


async def test_config_function_gets_json_on_stdin(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    script = tmp_path / "weather.py"
    script.write_text("import json, sys\nargs = json.load(sys.stdin)\nprint('sunny in ' + args['city'])\n")
    tool = FunctionTool(
        name="weather",
        description="Weather for a city",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
        command=f"python3 {script}",
    )
    engine = await make_engine(sim, agent=AgentTools(functions=(tool,), root=str(tmp_path)))
    engine.consent = allow_named(["weather"])
    conversation = await engine.new_conversation(options={"functions": ["weather"]})
    updates = await ask(engine, conversation.id, "weather `Hangzhou`")
    assert "sunny in Hangzhou" in finished(updates).message.content


async def test_time_cap_stops_a_slow_function(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    tool = FunctionTool(name="slow", command="sleep 30", timeout=0.3)
    engine = await make_engine(sim, agent=AgentTools(functions=(tool,), root=str(tmp_path)))
    engine.consent = allow_named(["slow"])
    conversation = await engine.new_conversation(options={"functions": ["slow"]})
    updates = await ask(engine, conversation.id, "call slow please")
    assert "time limit" in last_request(sim)["input"][0]["output"]
    assert finished(updates).status == "complete"


async def test_cancel_while_waiting_for_consent_keeps_the_call_and_replays_it_closed(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    waiting = asyncio.Event()

    async def never(request: FunctionRequest) -> str:
        waiting.set()
        await asyncio.Event().wait()
        return "deny"

    engine.consent = never
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    turn = await engine.send(conversation.id, "use shell to run `touch made`")
    await waiting.wait()
    turn.cancel()
    done = await turn.wait()
    assert done.status == "cancelled" and not (tmp_path / "made").exists()
    item = next(item for item in done.message.items if item.type == "function_call")
    assert item.status == "cancelled"
    # A cancelled turn is not chained on: the next one replays, the call closed with a "did not run" output.
    await ask(engine, conversation.id, "never mind")
    replay = last_request(sim)["input"]
    kinds = [entry.get("type", "message") for entry in replay]
    assert kinds == ["message", "function_call", "function_call_output", "message"]
    assert "did not run" in replay[2]["output"]


async def test_expired_chain_replays_calls_with_their_outputs_in_order(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path), mcp=(MAPS,), env={"MAPS_TOKEN": "t"}))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"], "mcp": ["maps"]})
    await ask(engine, conversation.id, "use shell to run `echo first`")
    sim.state.inject("forget")
    updates = await ask(engine, conversation.id, "and now?")
    assert finished(updates).status == "complete"
    replay = last_request(sim)["input"]
    kinds = [(entry.get("type", "message"), entry.get("role")) for entry in replay]
    assert kinds == [
        ("message", "user"),
        ("function_call", None),
        ("function_call_output", None),
        ("message", "assistant"),
        ("message", "user"),
    ]
    assert replay[2]["output"] == "first\n" and replay[1]["call_id"] == replay[2]["call_id"]
    assert any(tool["type"] == "mcp" for tool in last_request(sim)["tools"])


async def test_function_calls_are_exported(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    await ask(engine, conversation.id, "use shell to run `echo exported`")
    data = await engine.export_json(conversation.id)
    items = [item for message in data["messages"] for item in message.get("items", [])]
    call = next(item for item in items if item["type"] == "function_call")
    assert call["data"]["output"] == "exported\n" and call["data"]["name"] == "shell"
    assert "shell(" in await engine.export_markdown(conversation.id)


async def test_cancel_while_a_function_runs_kills_it(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    turn = await engine.send(conversation.id, "use shell to run `echo $$ > pid; sleep 30; touch late`")
    async for update in turn:
        if isinstance(update, ToolCallUpdated) and update.call.status == "running":
            for _ in range(200):
                if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text().strip():
                    break
                await asyncio.sleep(0.02)
            turn.cancel()
        if isinstance(update, TurnFinished):
            assert update.status == "cancelled"
    pid = int((tmp_path / "pid").read_text())
    for _ in range(100):  # the kill is immediate; reaping may take a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the shell is still running after cancel")
    assert not (tmp_path / "late").exists()


async def test_json_export_input_array_carries_calls_and_outputs(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    await ask(engine, conversation.id, "use shell to run `echo in-export`")
    document = await engine.export_json(conversation.id)
    kinds = [entry.get("type", "message") for entry in document["input"]]
    assert kinds == ["message", "function_call", "function_call_output", "message"]
    assert document["input"][2]["output"] == "in-export\n"
    # The array is valid input for the service as it is (the simulator checks the pairing).
    body = {"model": "qwen3-max", "input": [*document["input"], {"role": "user", "content": "ok?"}]}
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.post(f"{sim.base_url}/responses", json=body, headers={"Authorization": "Bearer k"})
    assert reply.status_code == 200, reply.text


async def test_without_store_the_outputs_go_back_as_a_full_replay(
    sim: SimServer, make_engine: MakeEngine, tmp_path: Path
) -> None:
    engine = await make_engine(sim, store_responses=False, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    updates = await ask(engine, conversation.id, "use shell to run `echo unstored`")
    follow = last_request(sim)
    assert "previous_response_id" not in follow and follow["store"] is False
    assert [entry.get("type", "message") for entry in follow["input"]] == ["message", "function_call", "function_call_output"]
    assert "The function returned: unstored" in finished(updates).message.content


async def test_an_endless_output_is_cut_at_the_cap(sim: SimServer, make_engine: MakeEngine, tmp_path: Path) -> None:
    engine = await make_engine(sim, agent=AgentTools(root=str(tmp_path)))
    engine.consent = allow_named(["shell"])
    conversation = await engine.new_conversation(options={"functions": ["shell"]})
    updates = await ask(engine, conversation.id, "use shell to run `yes flood`")
    sent = last_request(sim)["input"][0]["output"]
    assert sent.startswith("flood\nflood\n") and sent.endswith("[output cut at 16000 characters]")
    assert len(sent) < 16_100
    assert finished(updates).status == "complete"
