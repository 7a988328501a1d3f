"""The deterministic scripted model: reads the context and requested tools, decides what a reply consists of."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.sim.answers import (
    greeting_answer,
    introduction_answer,
    long_answer,
    name_known_answer,
    name_unknown_answer,
    nice_to_meet_answer,
    summary_answer,
)
from tui.sim.topics import find_sum, sum_code, thinking_for, topic_reply

_NAME_TOLD = re.compile(
    r"\b(?:my name is|my name's|call me|i am called|i'm called|the user's name is|the user is called)\s+"
    r"([A-Za-z][A-Za-z'\-]*)",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset({"a", "an", "the", "not", "back", "later", "now", "when", "if", "please"})
_NAME_ASKED = re.compile(r"\b(?:remember my name|what(?: is|'s) my name|who am i|know my name)\b", re.IGNORECASE)
_INTRODUCE = re.compile(r"\b(?:introduce yourself|who are you|what are you)\b", re.IGNORECASE)
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[\s!.,]*$", re.IGNORECASE)
_SPEAKERS = frozenset({"user", "system", "developer"})
BUILTIN_TOOLS = ("web_search", "web_extractor", "code_interpreter")


@dataclass(frozen=True)
class Reasoning:
    """A reasoning item whose summary streams as `reasoning_summary_text` deltas."""

    text: str


@dataclass(frozen=True)
class WebSearch:
    """A web_search_call: the query, then the source URLs it found."""

    query: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class WebExtractor:
    """A DashScope web_extractor_call: what to extract, from which pages, and the extract."""

    goal: str
    urls: tuple[str, ...]
    output: str


@dataclass(frozen=True)
class CodeInterpreter:
    """A code_interpreter_call: the Python it ran and what it printed."""

    code: str
    logs: str


Step = Reasoning | WebSearch | WebExtractor | CodeInterpreter


@dataclass(frozen=True)
class Reply:
    """What the model produces for one request: steps before the answer, then the Markdown answer."""

    steps: tuple[Step, ...] = ()
    text: str = ""
    deltas: tuple[str, ...] = ()
    #: False when the model only calls the client's functions (no message item until their outputs are back).
    message: bool = True



def _told_names(text: str) -> list[str]:
    """Names introduced in `text` ("my name is john" -> "John"), skipping phrases like "call me back"."""
    words = (match.group(1) for match in _NAME_TOLD.finditer(text))
    return [word[0].upper() + word[1:] for word in words if word.lower() not in _NOT_NAMES]


def remembered_name(context: list[tuple[str, str]]) -> str | None:
    """The last name the person (or a system prompt) told the model."""
    names = [name for role, text in context if role in _SPEAKERS for name in _told_names(text)]
    return names[-1] if names else None


def split_deltas(text: str) -> tuple[str, ...]:
    """Cut text into stream deltas of one to three words, like DashScope's chunks (deterministic)."""
    words = re.findall(r"\s*\S+|\s+$", text)
    deltas: list[str] = []
    i = 0
    while i < len(words):
        size = 1 + (i * 7 + len(words[i])) % 3
        deltas.append("".join(words[i : i + size]))
        i += size
    return tuple(deltas) or ("",)


_LEAD_IN = re.compile(
    r"^(?:(?:please|can you|could you|would you|show me|tell me about|tell me|explain|describe|give me|write)\s+)+",
    re.IGNORECASE,
)


#: The client's "summarise into a new branch" request (and a person asking for the same thing).
_SUMMARY = re.compile(r"\bsummari[sz]e (?:our|this|the) (?:conversation|chat)\b", re.IGNORECASE)


def _topic(prompt: str) -> str:
    topic = _LEAD_IN.sub("", " ".join(prompt.split())).rstrip("?.! ")
    return topic if len(topic) <= 60 else topic[:57].rstrip() + "..."


def _slug(prompt: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", prompt)[:4] or ["Qwen"]
    return "_".join(word.capitalize() for word in words)


def _tool_steps(prompt: str, tools: tuple[str, ...], thinking: bool) -> list[Step]:
    topic = _topic(prompt)
    slug = _slug(prompt)
    sources = (f"https://en.wikipedia.org/wiki/{slug}", f"https://www.alibabacloud.com/help/en/search?k={slug}")
    steps: list[Step] = []
    if "web_search" in tools:
        if thinking:
            steps.append(Reasoning(f"The user asks about \"{topic}\". I should search the web for current sources first."))
        steps.append(WebSearch(query=topic, sources=sources))
    if "web_extractor" in tools:
        if thinking:
            steps.append(Reasoning("The search results point to a reference page; I will extract its key points."))
        steps.append(
            WebExtractor(
                goal=f"Extract the key facts about {topic}",
                urls=sources[:1],
                output=f"Key facts about {topic}: definition, history, main uses and current state.",
            )
        )
    if "code_interpreter" in tools:
        found = find_sum(prompt)
        if thinking:
            steps.append(
                Reasoning(f"I will compute {found.shown} in Python rather than by hand.")
                if found
                else Reasoning("Counting the words of the request with a short Python script will ground the answer.")
            )
        if found:
            code, logs = sum_code(found)
        else:
            code, logs = f"text = {prompt!r}\nwords = text.split()\nprint(len(words))", f"{len(prompt.split())}\n"
        steps.append(CodeInterpreter(code=code, logs=logs))
    return steps


def compose_reply(
    context: list[tuple[str, str]],
    *,
    tools: tuple[str, ...] = (),
    thinking: bool = False,
    long_deltas: int | None = None,
) -> Reply:
    """Decide the reply to the last user message in `context`; same inputs always give the same reply."""
    prompt = next((text for role, text in reversed(context) if role == "user"), "")
    name = remembered_name(context)
    steps = _tool_steps(prompt, tools, thinking)
    if long_deltas:
        deltas = long_answer(long_deltas)
        text = "".join(deltas)
    else:
        text = _answer_text(prompt, name, steps, context)
        deltas = split_deltas(text)
    if thinking and not any(isinstance(step, Reasoning) for step in steps):
        default = f"The user wrote: \"{_topic(prompt)}\". I will answer clearly, in Markdown."
        steps.insert(0, Reasoning(thinking_for(prompt, _topic(prompt)) or default))
    return Reply(steps=tuple(steps), text=text, deltas=deltas)


def _answer_text(prompt: str, name: str | None, steps: list[Step], context: list[tuple[str, str]]) -> str:
    if _SUMMARY.search(prompt):
        # What the person asked before this request; telling a name is the summary's first line instead.
        earlier = [text for role, text in context[:-1] if role == "user" and not _told_names(text)]
        return summary_answer(earlier, name)
    told = _told_names(prompt)
    if told and not _NAME_ASKED.search(prompt):
        return nice_to_meet_answer(told[-1])
    if _NAME_ASKED.search(prompt):
        return name_known_answer(name) if name else name_unknown_answer()
    if _INTRODUCE.search(prompt):
        return introduction_answer()
    if _GREETING.match(prompt):
        return greeting_answer(name)
    sources = next((step.sources for step in steps if isinstance(step, WebSearch)), ())
    computed = any(isinstance(step, CodeInterpreter) for step in steps) and find_sum(prompt) is not None
    return topic_reply(prompt, _topic(prompt) or "your question", sources=sources, computed=computed)
