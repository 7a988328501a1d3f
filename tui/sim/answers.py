"""Markdown answers about names and greetings, and the long answer used by benchmarks (topics: `topics.py`)."""

from __future__ import annotations

import functools
import re

_LONG_SECTIONS = (
    "## {n}. Streaming and rendering\n\n"
    "A terminal client receives the answer as a **stream of small deltas**. Each delta is appended to the "
    "message pane, and the Markdown is re-rendered only for the block that changed, so long answers stay "
    "smooth even over a slow SSH link.\n\n",
    "### Checklist {n}\n\n"
    "- Keep the composer usable while the answer streams\n"
    "- Store the partial text every few hundred milliseconds\n"
    "- Show tool activity (`web_search`, `code_interpreter`) beside the text\n"
    "- Report token usage when the response completes\n\n",
    "| Step | What happens | Cost |\n"
    "|------|--------------|------|\n"
    "| {n}.1 | the request leaves with `previous_response_id` | one round trip |\n"
    "| {n}.2 | `response.created` arrives | the id is stored for 7 days |\n"
    "| {n}.3 | deltas stream in | a few bytes each |\n"
    "| {n}.4 | `response.completed` | usage is recorded |\n\n",
    "```python\n"
    "async def consume(stream):  # section {n}\n"
    "    text = []\n"
    "    async for event in stream:\n"
    "        if event.type == \"response.output_text.delta\":\n"
    "            text.append(event.delta)\n"
    "    return \"\".join(text)\n"
    "```\n\n",
    "1. Open the conversation list with the keyboard.\n"
    "2. Search the full text of every saved answer.\n"
    "3. Continue, fork or export the conversation you found.\n\n"
    "> Note {n}: after seven days the server forgets the chain, and the client replays the transcript instead.\n\n",
)


@functools.lru_cache(maxsize=8)
def long_answer(deltas: int) -> tuple[str, ...]:
    """Exactly `deltas` chunks of realistic Markdown (headings, lists, tables, code), cut a few words each."""
    chunks: list[str] = ["# A long answer\n\n"]
    section = 0
    while len(chunks) < deltas:
        section += 1
        template = _LONG_SECTIONS[(section - 1) % len(_LONG_SECTIONS)]
        text = template.format(n=section)
        pieces = re.findall(r"\s*\S+", text)
        pieces[-1] += text[len(text.rstrip()) :]
        for piece in pieces:
            chunks.append(piece)
            if len(chunks) == deltas:
                break
    return tuple(chunks[:deltas])


def nice_to_meet_answer(name: str) -> str:
    return (
        f"Nice to meet you, **{name}**! I'll remember your name for the rest of our conversation.\n\n"
        "Here is what I can help you with:\n\n"
        "- Answering questions and explaining ideas\n"
        "- Writing and reviewing code\n"
        "- Summarising documents and web pages\n"
    )


def name_known_answer(name: str) -> str:
    return f"Yes, **{name}**! I remember your name. How can I assist you today?"


def name_unknown_answer() -> str:
    return (
        "I'm sorry, but I don't know your name yet — you haven't told me in this conversation. "
        "What should I call you?"
    )


def introduction_answer() -> str:
    return (
        "Hello! I am **Qwen**, a large language model developed by Tongyi Lab. I can:\n\n"
        "- answer questions and explain ideas\n"
        "- write and review code\n"
        "- search the web and summarise what I find\n\n"
        "How can I help you today?"
    )


def greeting_answer(name: str | None) -> str:
    who = f", **{name}**" if name else ""
    return f"Hello{who}! I'm Qwen, a large language model. How can I help you today?"


def summary_answer(questions: list[str], name: str | None) -> str:
    """A "summarise our conversation" request: what the person asked, as a compact list (newest last)."""
    lines = ["Here is a compact summary of our conversation so far:", ""]
    if name:
        lines.append(f"- Your name is **{name}**.")
    shown = questions[-8:]
    if len(questions) > len(shown):
        lines.append(f"- Earlier you asked {len(questions) - len(shown)} more questions.")
    lines += [f"- You asked: {' '.join(q.split())[:100]}" for q in shown]
    if not questions and not name:
        lines.append("- Nothing yet: this is the start of our conversation.")
    lines += ["", "Open questions: none so far. We can go on from here."]
    return "\n".join(lines) + "\n"
