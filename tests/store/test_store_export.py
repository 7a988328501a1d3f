"""Export as Markdown and JSON (with a Responses-API-ready `input`), and importing the JSON back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from openai import AsyncOpenAI
from openai.types.responses import EasyInputMessage
from store_support import StatementLog

from tui.sim import SimServer
from tui.store import Conversation, Message, OutputItem, Store, StoreError, Usage
from tui.store.export import to_document


async def _conversation(store: Store) -> dict[str, int]:
    """q1 -> a1 -> (q2 -> a2 [failed, partial]) | (q2' -> a2' [head]); a1 has reasoning and a web search."""
    conversation = await store.create_conversation(
        title="Rust vs Go", model="qwen3-max", endpoint="https://example.test/v1", system_prompt="Answer briefly.",
        options={"tools": ["web_search"], "thinking": True},
    )
    ids = {"conversation": conversation.id}

    async def answer(parent: int, text: str, status: str = "complete", items: list[OutputItem] | None = None) -> int:
        turn = await store.start_assistant(conversation.id, parent_id=parent, model="qwen3-max", mode="replay", stored=True)
        writer = store.turn_writer(turn.id)
        await writer.set_response(f"resp_{turn.id}", None, store.now())
        if items:
            writer.set_items(items)
        writer.append(text)
        await writer.finish(status, error=None if status == "complete" else "network lost", usage=Usage(100, 20, 0, 5, {"web_search": 1}))
        return turn.id

    ids["q1"] = (await store.add_message(conversation.id, role="user", content="Which is faster?", parent_id=None)).id
    ids["a1"] = await answer(ids["q1"], "It depends on the workload.", items=[
        OutputItem("rs_1", "reasoning", None, {"summary": "Compare runtimes."}),
        OutputItem("ws_1", "web_search_call", "completed", {"query": "rust vs go benchmarks", "sources": ["https://a", "https://b"]}),
    ])
    ids["q2"] = (await store.add_message(conversation.id, role="user", content="For web servers?", parent_id=ids["a1"])).id
    ids["a2"] = await answer(ids["q2"], "Both are", status="incomplete")
    ids["q2b"] = (await store.add_message(conversation.id, role="user", content="For CLIs?", parent_id=ids["a1"])).id
    ids["a2b"] = await answer(ids["q2b"], "Go starts fast; Rust has no GC.")
    return ids


async def test_markdown_is_a_readable_transcript_of_the_head_branch(store: Store) -> None:
    ids = await _conversation(store)
    text = await store.export_markdown(ids["conversation"])
    assert text.startswith("# Rust vs Go\n")
    assert "- Model: qwen3-max" in text and "- System prompt: Answer briefly." in text
    expected_order = ["## You", "Which is faster?", "## Qwen (qwen3-max)", "> Reasoning: Compare runtimes.",
                      "> Web search: rust vs go benchmarks · 2 sources", "It depends on the workload.",
                      "## You", "For CLIs?", "Go starts fast; Rust has no GC."]
    position = 0
    for part in expected_order:  # each part appears after the previous one
        position = text.index(part, position) + len(part)
    assert "For web servers?" not in text  # the other branch
    assert "*Tokens: 100 in · 20 out · 5 reasoning · web_search ×1*" in text


async def test_markdown_marks_unfinished_answers(store: Store) -> None:
    ids = await _conversation(store)
    await store.set_head(ids["conversation"], ids["a2"])
    text = await store.export_markdown(ids["conversation"])
    assert "Both are\n\n*Status: incomplete: network lost*" in text


async def test_markdown_one_line_summaries_carry_no_control_characters(store: Store) -> None:
    """A tool query or system prompt is squeezed onto one line the same way the app and CLI do it."""
    conversation = await store.create_conversation(
        title="Escapes", model="m", endpoint="e", system_prompt="Be\x1b[2J\nbrief."
    )
    question = await store.add_message(conversation.id, role="user", content="Search it", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=question.id, model="m", mode="replay", stored=True)
    writer = store.turn_writer(turn.id)
    writer.set_items([OutputItem("ws_1", "web_search_call", "completed", {"query": "rust\x1b]0;pwned\x07 go"})])
    writer.append("Done.")
    await writer.finish("complete")
    text = await store.export_markdown(conversation.id)
    assert "- System prompt: Be[2J brief.\n" in text
    assert "> Web search: rust]0;pwned go\n" in text
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (OutputItem("rs", "reasoning", None, {"summary": "Compare\nruntimes."}), "Reasoning: Compare runtimes."),
        (OutputItem("rs", "reasoning", None, {}), "Reasoning"),
        (OutputItem("ws", "web_search_call", "completed", {"query": "otters", "sources": ["https://a"]}),
         "Web search: otters · 1 source"),
        (OutputItem("we", "web_extractor_call", "completed", {"goal": "prices", "urls": ["https://a", "https://b"]}),
         "Web extractor: prices · 2 pages"),
        (OutputItem("ci", "code_interpreter_call", "failed", {"code": "import os\nprint(1)\n"}),
         "Code interpreter: `import os` · 2 lines · failed"),
        (OutputItem("fc", "function_call", "completed", {"name": "weather", "arguments": '{"city": "Oslo"}'}),
         'Function: weather({"city": "Oslo"})'),
        (OutputItem("ig", "image_generation_call", "in_progress", {}), "Image generation: in_progress"),
        (OutputItem("ws", "web_search_call", "completed", {"query": "x", "sources": 3}), "Web search: x"),
    ],
)
async def test_markdown_describes_each_kind_of_item_in_one_line(store: Store, item: OutputItem, line: str) -> None:
    conversation = await store.create_conversation(title="Items", model="m", endpoint="e")
    question = await store.add_message(conversation.id, role="user", content="Go", parent_id=None)
    turn = await store.start_assistant(conversation.id, parent_id=question.id, model="m", mode="replay", stored=True)
    writer = store.turn_writer(turn.id)
    writer.set_items([item])
    await writer.finish("complete")
    text = await store.export_markdown(conversation.id)
    assert [row for row in text.splitlines() if row.startswith("> ")] == [f"> {line}"]


async def test_json_carries_the_tree_and_a_head_branch_input(store: Store) -> None:
    ids = await _conversation(store)
    document = json.loads(json.dumps(await store.export_json(ids["conversation"])))
    assert document["format"] == "qwen-tui/1"
    assert document["conversation"]["title"] == "Rust vs Go"
    assert document["conversation"]["head_message_id"] == ids["a2b"]
    assert len(document["messages"]) == 6
    a1 = next(m for m in document["messages"] if m["id"] == ids["a1"])
    assert a1["response_id"] == f"resp_{ids['a1']}"
    assert a1["usage"]["x_tools"] == {"web_search": 1}
    assert [item["type"] for item in a1["items"]] == ["reasoning", "web_search_call"]
    assert document["input"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Which is faster?"},
        {"role": "assistant", "content": "It depends on the workload."},
        {"role": "user", "content": "For CLIs?"},
        {"role": "assistant", "content": "Go starts fast; Rust has no GC."},
    ]
    for item in document["input"]:
        EasyInputMessage.model_validate(item)


async def test_json_export_reads_the_conversation_and_its_messages_once(store: Store) -> None:
    ids = await _conversation(store)
    async with StatementLog(store) as log:
        await store.export_json(ids["conversation"])
    # The conversation row, every message of the tree, their output items and image links (one query
    # each, not one per message): the head branch comes from those.
    assert [statement.split(" WHERE")[0].split(" FROM ")[-1] for statement in log.statements] == [
        "conversations", "messages", "output_items", "message_images mi LEFT JOIN images i ON i.sha256 = mi.sha256",
    ]


def test_json_input_is_the_head_branch_of_the_tree_it_carries() -> None:
    """`input` is walked within the exported messages themselves, so the two can never disagree."""
    tree = [
        Message(number, 1, parent, role, content, 0.0)
        for number, parent, role, content in [
            (1, None, "user", "Which is faster?"), (2, 1, "assistant", "It depends."),
            (3, 2, "user", "For web servers?"), (4, 2, "user", "For CLIs?"), (5, 4, "assistant", "Go starts fast."),
        ]
    ]
    conversation = Conversation(1, "Rust vs Go", 0.0, 0.0, "m", "e", system_prompt="Be brief.", head_message_id=5)
    document = to_document(conversation, tree)
    assert [item["content"] for item in document["input"]] == [
        "Be brief.", "Which is faster?", "It depends.", "For CLIs?", "Go starts fast.",
    ]
    assert len(document["messages"]) == 5
    assert to_document(replace(conversation, head_message_id=None), tree)["input"] == [
        {"role": "system", "content": "Be brief."}
    ]


async def test_json_input_is_accepted_as_is_by_a_responses_server(store: Store, sim: SimServer) -> None:
    ids = await _conversation(store)
    document = await store.export_json(ids["conversation"])
    document["input"].append({"role": "user", "content": "And for games?"})
    async with AsyncOpenAI(base_url=sim.base_url, api_key="sk-test") as client:
        response = await client.responses.create(model="qwen3-max", input=document["input"], store=False)
    assert response.status == "completed"
    assert sim.requests[-1]["input"] == document["input"]


async def test_import_makes_a_new_conversation_with_the_same_tree_and_head(store: Store) -> None:
    ids = await _conversation(store)
    original = await store.export_json(ids["conversation"])
    imported = await store.import_json(json.loads(json.dumps(original)))

    assert imported.id != ids["conversation"]
    assert (imported.title, imported.model, imported.system_prompt, imported.options) == (
        "Rust vs Go", "qwen3-max", "Answer briefly.", {"tools": ["web_search"], "thinking": True})
    old_ids = {m["id"] for m in original["messages"]}
    new_messages = await store.conversation_messages(imported.id)
    assert not old_ids & {m.id for m in new_messages}
    again = await store.export_json(imported.id)

    def shape(document: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Each message as (its parent's content, content, status, items, usage): the tree without ids."""
        by_id = {m["id"]: m for m in document["messages"]}
        return sorted(
            (by_id[m["parent_id"]]["content"] if m["parent_id"] else "", m["content"], m["status"],
             json.dumps(m["items"]), json.dumps(m["usage"]))
            for m in document["messages"]
        )

    assert shape(again) == shape(original)
    assert again["input"] == original["input"]
    assert [m.content for m in await store.head_branch(imported.id)][-1] == "Go starts fast; Rust has no GC."
    assert len(await store.branch_leaves(imported.id)) == 2
    assert [c.id for c in await store.list_conversations()][0] == imported.id


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"format": "other"}, "not a qwen-tui/1 export"),
        ({"format": "qwen-tui/1", "conversation": {}, "messages": [{"id": 1, "parent_id": 7, "role": "user"}]}, "missing parent"),
        ({"format": "qwen-tui/1", "conversation": {}, "messages": [{"id": 1, "parent_id": 2, "role": "user"}, {"id": 2, "parent_id": 1, "role": "user"}]}, "cycle"),
        ({"format": "qwen-tui/1", "conversation": {}, "messages": [{"id": 1, "role": "tool"}]}, "unknown role"),
        ({"format": "qwen-tui/1", "conversation": {"head_message_id": 9}, "messages": []}, "head message"),
        ({"format": "qwen-tui/1", "conversation": {}, "messages": [{"id": 1, "role": "user", "content": 5}]}, "content must be text"),
    ],
)
async def test_bad_imports_are_refused_with_one_line_and_change_nothing(store: Store, document: dict[str, Any], reason: str) -> None:
    await _conversation(store)
    with pytest.raises(StoreError, match=reason) as caught:
        await store.import_json(document)
    assert "\n" not in str(caught.value)
    assert await store.count_conversations() == 1


async def test_imported_unfinished_turns_are_marked_incomplete(store: Store) -> None:
    document = {
        "format": "qwen-tui/1",
        "conversation": {"title": "t", "model": "m", "endpoint": "e", "head_message_id": 2},
        "messages": [
            {"id": 1, "parent_id": None, "role": "user", "content": "q"},
            {"id": 2, "parent_id": 1, "role": "assistant", "content": "partial", "status": "streaming"},
        ],
    }
    imported = await store.import_json(document)
    branch = await store.head_branch(imported.id)
    assert [(m.content, m.status) for m in branch] == [("q", "complete"), ("partial", "incomplete")]
