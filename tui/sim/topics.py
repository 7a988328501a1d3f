"""What the scripted model says about a prompt, in kind: code questions get a code block, comparisons a
table, how-to questions steps, sums their result, questions about the news their sources, puzzles a
worked answer. It knows no facts; the shape of each answer is what makes the demo look real.

Deterministic: the same prompt (and tools) always gives the same words.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9+#']+")


def _words(lowered: str) -> set[str]:
    return set(_WORD.findall(lowered))


def _variant(prompt: str, count: int) -> int:
    return zlib.crc32(prompt.encode()) % count


# ---------------------------------------------------------------- maths

_EXPRESSION = re.compile(r"[-+(]*\s*\d[\d\s.,+\-*/×÷^%()]*\d\)*|\d+(?:\.\d+)?\s*!")
_OPERATORS: dict[type, Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


@dataclass(frozen=True)
class Sum:
    """A calculation found in a prompt: how it is written in Python, and its value as text."""

    python: str
    shown: str
    value: str


def _evaluate(node: ast.AST) -> float:
    """Numbers and + - * / // % ** only; refuses anything that could take long (huge powers)."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise ValueError("too big")
        return _OPERATORS[type(node.op)](left, right)
    raise ValueError("not arithmetic")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return f"{value:,}" if abs(value) >= 10_000 else str(value)


def find_sum(prompt: str) -> Sum | None:
    """The arithmetic in a prompt ("What is 17 * 23?", "square root of 144", "15% of 80"), or None."""
    lowered = prompt.lower()
    root = re.search(r"square root of\s+(\d+(?:\.\d+)?)", lowered)
    if root:
        number = float(root.group(1))
        return Sum(f"math.sqrt({root.group(1)})", f"√{root.group(1)}", _number(math.sqrt(number)))
    percent = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent)\s+of\s+(\d+(?:\.\d+)?)", lowered)
    if percent:
        share, whole = percent.groups()
        return Sum(f"{share} / 100 * {whole}", f"{share}% of {whole}", _number(float(share) / 100 * float(whole)))
    for match in sorted(_EXPRESSION.finditer(prompt), key=lambda m: len(m.group()), reverse=True):
        text = match.group().strip().rstrip(".,")
        factorial = re.fullmatch(r"(\d+)\s*!", text)
        if factorial and int(factorial.group(1)) <= 50:
            n = factorial.group(1)
            return Sum(f"math.factorial({n})", f"{n}!", _number(math.factorial(int(n))))
        python = text.replace("×", "*").replace("÷", "/").replace("^", "**").replace(",", "")
        if not re.search(r"\d\s*(?:\*\*|[-+*/%])\s*[-+(]*\d", python):
            continue
        try:
            value = _evaluate(ast.parse(python, mode="eval"))
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
            continue
        shown = " ".join(python.replace("**", "^").split())
        return Sum(" ".join(python.split()), shown.replace("*", "×").replace("/", "÷"), _number(value))
    return None


def sum_code(found: Sum) -> tuple[str, str]:
    """The code_interpreter run for a sum: its Python and what it prints."""
    head = "import math\n\n" if "math." in found.python else ""
    return f"{head}result = {found.python}\nprint(result)", f"{found.value}\n"


# ---------------------------------------------------------------- kinds of prompt

_CODE_WORDS = {"code", "function", "script", "snippet", "program", "implement", "class", "regex", "algorithm"}
_LANGUAGES = {
    "python": "python", "javascript": "javascript", "js": "javascript", "typescript": "typescript",
    "go": "go", "golang": "go", "rust": "rust", "bash": "bash", "shell": "bash", "sql": "sql",
}
#: A how-to question; with a language named it asks for code, else for steps (`_LIST`).
_HOW = re.compile(r"^(?:how (?:do|can|should) (?:i|we|you)|how to)\b")
_COMPARE = re.compile(r"\b(?:compare|comparison|versus|vs\.?|difference between|differences between|table)\b")
_LIST = re.compile(_HOW.pattern + r"|\b(?:list|steps|tips|ideas|ways to|checklist)\b")
_SEARCH = re.compile(
    r"\b(?:latest|news|today|tonight|yesterday|this (?:week|month|year)|current(?:ly)?|right now|who won|"
    r"weather|forecast|price of|stock|released?|score|20(?:2[4-9]|3\d))\b"
)
_THINK = re.compile(r"\b(?:think|step by step|reason(?:ing)?|puzzle|riddle|prove|logic|why)\b")
_THANKS = re.compile(r"^\s*(?:thanks|thank you|thx|cheers|bye|goodbye|see you)\b", re.IGNORECASE)


def kind_of(prompt: str) -> str:
    """Which shape the answer takes: thanks, sum, code, table, search, think, steps or explain."""
    lowered = prompt.lower()
    words = _words(lowered)
    if _THANKS.match(prompt):
        return "thanks"
    if find_sum(prompt):
        return "sum"
    languages = words & set(_LANGUAGES) - {"go"}
    # "How do I reverse a list in Python?" asks for code as much as "write a Python function" does.
    if words & _CODE_WORDS or (languages and ("write" in words or _HOW.match(lowered))):
        return "code"
    if _COMPARE.search(lowered):
        return "table"
    if _SEARCH.search(lowered):
        return "search"
    if _THINK.search(lowered):
        return "think"
    if _LIST.search(lowered):
        return "steps"
    return "explain"


def thinking_for(prompt: str, topic: str) -> str | None:
    """A reasoning summary shaped by the prompt's kind (None: the plain default)."""
    kind = kind_of(prompt)
    if kind == "sum":
        found = find_sum(prompt)
        assert found is not None
        return (
            f"The user wants {found.shown}. I will work it out carefully rather than guess, then check the "
            f"result: it comes to {found.value}. I will show the working briefly."
        )
    if kind == "think":
        return (
            f"Let me think about this step by step: \"{topic}\".\n\n"
            "First, what exactly is being asked, and what would count as a good answer?\n\n"
            "Second, the facts that matter, and the obvious explanation that might be wrong.\n\n"
            "Third, check the conclusion against a simple example before answering."
        )
    if kind == "code":
        return f"The user wants code for \"{topic}\". A short, typed function with an example call is clearest."
    if kind == "table":
        return f"The user wants a comparison: \"{topic}\". A table with one row per aspect reads best."
    return None


# ---------------------------------------------------------------- answers

def _title(topic: str) -> str:
    return f"## {topic[:1].upper()}{topic[1:]}\n\n"


def _subject(topic: str) -> str:
    """The thing asked about: "what is a B-tree" -> "a B-tree", "search the web for X" -> "X"."""
    subject = re.sub(
        r"^(?:(?:search|look)(?: up)?(?: the web| online)?(?: for)?|think(?: about| step by step)?[:,]?|"
        r"(?:what|who)(?: is| are|'s| was| were)|(?:how|why) (?:does|do|is|are))\s+",
        "", topic, flags=re.IGNORECASE,
    )
    return subject or topic


def _thanks(prompt: str) -> str:
    if re.match(r"\s*(?:bye|goodbye|see you)", prompt, re.IGNORECASE):
        return "Goodbye! Your conversation is saved, so you can pick it up again any time."
    return "You're welcome! Is there anything else I can help you with?"


def _sum(prompt: str, computed: bool) -> str:
    found = find_sum(prompt)
    assert found is not None
    how = "I ran the calculation in the code interpreter" if computed else "Working it out"
    return f"{how}:\n\n```\n{found.shown} = {found.value}\n```\n\nSo the answer is **{found.value}**.\n"


_SNIPPETS = {
    "python": (
        "def {name}(items: list[str]) -> list[str]:\n"
        "    \"\"\"{doc}\"\"\"\n"
        "    seen: set[str] = set()\n"
        "    result = []\n"
        "    for item in items:\n"
        "        if item not in seen:\n"
        "            seen.add(item)\n"
        "            result.append(item)\n"
        "    return result\n\n\n"
        "print({name}([\"a\", \"b\", \"a\"]))  # ['a', 'b']"
    ),
    "javascript": (
        "/** {doc} */\n"
        "function {camel}(items) {{\n"
        "  return [...new Set(items)];\n"
        "}}\n\n"
        "console.log({camel}([\"a\", \"b\", \"a\"])); // [ 'a', 'b' ]"
    ),
    "typescript": (
        "/** {doc} */\n"
        "export function {camel}(items: string[]): string[] {{\n"
        "  return [...new Set(items)];\n"
        "}}"
    ),
    "go": (
        "// {camel} {doc_lower}\n"
        "func {camel}(items []string) []string {{\n"
        "\tseen := map[string]bool{{}}\n"
        "\tvar result []string\n"
        "\tfor _, item := range items {{\n"
        "\t\tif !seen[item] {{\n"
        "\t\t\tseen[item] = true\n"
        "\t\t\tresult = append(result, item)\n"
        "\t\t}}\n"
        "\t}}\n"
        "\treturn result\n"
        "}}"
    ),
    "rust": (
        "/// {doc}\n"
        "fn {name}(items: &[&str]) -> Vec<String> {{\n"
        "    let mut seen = std::collections::HashSet::new();\n"
        "    items.iter().filter(|i| seen.insert(**i)).map(|i| i.to_string()).collect()\n"
        "}}"
    ),
    "bash": (
        "#!/usr/bin/env bash\n"
        "# {doc}\n"
        "set -euo pipefail\n"
        "{name}() {{\n"
        "  awk '!seen[$0]++' \"$@\"\n"
        "}}\n"
        "{name} input.txt"
    ),
    "sql": (
        "-- {doc}\n"
        "SELECT DISTINCT item\n"
        "FROM items\n"
        "ORDER BY item;"
    ),
}


@dataclass(frozen=True)
class _Task:
    """Python for a common task, chosen by a keyword in the prompt, and what it does in a line."""

    keywords: frozenset[str]
    code: str
    how: str


_PYTHON_TASKS = (
    _Task(frozenset({"fibonacci", "fib"}), '''def fibonacci(n: int) -> list[int]:
    """The first n Fibonacci numbers."""
    numbers = [0, 1]
    while len(numbers) < n:
        numbers.append(numbers[-1] + numbers[-2])
    return numbers[:n]


print(fibonacci(10))  # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]''',
        "builds the sequence iteratively, so it is fast and never hits the recursion limit"),
    _Task(frozenset({"prime", "primes"}), '''def is_prime(n: int) -> bool:
    """True when n has no divisor but 1 and itself."""
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True


print([n for n in range(20) if is_prime(n)])  # [2, 3, 5, 7, 11, 13, 17, 19]''',
        "tries divisors only up to the square root, which is enough"),
    _Task(frozenset({"sentence", "sentences", "split", "words", "tokenize"}), '''import re


def split_sentences(text: str) -> list[str]:
    """Sentences of text, cut after . ! or ?"""
    parts = re.split(r"(?<=[.!?])\\s+", text.strip())
    return [part for part in parts if part]


print(split_sentences("Hello there. How are you? Fine!"))''',
        "cuts after sentence-ending punctuation followed by a space, keeping the punctuation"),
    _Task(frozenset({"http", "fetch", "download", "request", "api", "url"}), '''import httpx


def fetch_json(url: str) -> dict:
    """GET url and return its JSON body; fails loudly on HTTP errors."""
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    return response.json()''',
        "uses a timeout and raises on 4xx/5xx, so failures are never silent"),
    _Task(frozenset({"csv", "file", "read"}), '''import csv
from pathlib import Path


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file as a dict keyed by the header."""
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))''',
        "lets the csv module handle quoting, and reads the header for the keys"),
    _Task(frozenset({"reverse", "reversed", "reversing", "backwards"}), '''def reversed_copy(items: list[int]) -> list[int]:
    """A new list with the items in reverse order; the original is left as it is."""
    return items[::-1]


numbers = [1, 2, 3]
print(reversed_copy(numbers))  # [3, 2, 1]
numbers.reverse()  # or reverse the list itself, in place
print(numbers)  # [3, 2, 1]''',
        "slices with a step of -1, which makes a reversed copy; `list.reverse()` turns the list round in place"),
    _Task(frozenset({"sort", "sorting", "sorted"}), '''def sort_by_length(words: list[str]) -> list[str]:
    """Shortest first; words of equal length stay in order."""
    return sorted(words, key=len)


print(sort_by_length(["pear", "fig", "banana"]))  # ['fig', 'pear', 'banana']''',
        "relies on Python's stable sort, so ties keep their original order"),
)


def _code(prompt: str, topic: str) -> str:
    words = _words(prompt.lower())
    language = next((_LANGUAGES[word] for word in _WORD.findall(prompt.lower()) if word in _LANGUAGES), "python")
    if language == "go" and not words & {"golang", "code", "function", "program", "write"}:
        language = "python"
    name, camel, doc = "unique", "unique", "The items without repeats, in their first order."
    task = next((task for task in _PYTHON_TASKS if words & task.keywords), None) if language == "python" else None
    if task:
        snippet, how = task.code, task.how
    else:
        snippet = _SNIPPETS[language].format(name=name, camel=camel, doc=doc, doc_lower=doc[0].lower() + doc[1:])
        how = "keeps the first occurrence of each item and drops the repeats, in the original order"
    label = {"sql": "SQL", "javascript": "JavaScript", "typescript": "TypeScript"}.get(language, language.capitalize())
    lead = "Here is" if task else f"To get started on *{topic}*, here is the shape I would use,"
    return (
        f"{lead} a small {label} example you can build on:\n\n"
        f"```{language}\n{snippet}\n```\n\n"
        f"How it works: it {how}.\n\n"
        "Tell me about your real input and I will adapt it.\n"
    )




_COMPARE_LEAD = re.compile(
    r"^(?:compare|comparing|what(?:'s| is| are) the differences? between|differences? between)\s+", re.IGNORECASE
)
_TABLE_WORDS = re.compile(r"\s+(?:in|as|with|using) (?:a )?table\b.*$|^(?:a )?table (?:of|for|comparing)\s+", re.IGNORECASE)
_PAIR_SPLIT = re.compile(r"\s+(?:and|vs\.?|versus|or|with)\s+", re.IGNORECASE)


def _pair(topic: str) -> tuple[str, str]:
    """The two things a comparison is about: "Compare Python and Go in a table" -> ("Python", "Go")."""
    text = _COMPARE_LEAD.sub("", topic)
    text = _TABLE_WORDS.sub("", text)
    parts = _PAIR_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2 and all(parts):
        return parts[0].strip(), parts[1].strip().rstrip(".?!")
    return _subject(text) or "it", "the alternatives"


def _table(prompt: str, topic: str) -> str:
    left, right = _pair(topic)
    return (
        f"Here is how **{left}** and **{right}** compare:\n\n"
        f"| Aspect | {left} | {right} |\n"
        "|--------|------|------|\n"
        "| Learning curve | gentle to start | depends on your background |\n"
        "| Performance | good for most work | better for some workloads |\n"
        "| Ecosystem | large and mature | growing |\n"
        "| Best for | quick results, readability | the cases it was designed for |\n\n"
        f"In short: pick **{left}** when you value getting started quickly, and **{right}** when its "
        "strengths match your workload.\n"
    )


def _search(topic: str, sources: tuple[str, ...]) -> str:
    if not sources:
        return (
            f"I can't look up current information about **{_subject(topic)}** here: web search is off for "
            "this conversation, and what I know stops at my training data.\n\n"
            "Turn on the `web_search` tool in the settings and ask again, and I will cite what I find.\n"
        )
    # The numbers cite the web_search call's sources, which the client lists under the answer (the live
    # service keeps them in `web_search_call.action.sources`; its annotations are usually empty).
    return (
        _title(topic)
        + f"Here is what current sources say about **{_subject(topic)}** [1][2]:\n\n"
        "- the main facts agree across both sources [1][2]\n"
        "- the details changed recently, so check the date of each page [2]\n"
    )


def _think(topic: str) -> str:
    question = re.sub(r"^think(?: about| step by step)?[:,]?\s+", "", topic, flags=re.IGNORECASE)
    return (
        f"**Short answer:** it comes down to one mechanism, explained below.\n\n"
        f"Let me reason through it step by step: *{question[:1].upper()}{question[1:]}?*\n\n"
        "1. **What is asked.** Restating the question makes the goal clear.\n"
        "2. **What we know.** The facts that matter, separated from the ones that only seem to.\n"
        "3. **The conclusion.** It follows from the two steps above; a simple example confirms it.\n\n"
        "If any step does not convince you, ask and I will go deeper into that one.\n"
    )


def _steps(topic: str) -> str:
    return (
        _title(topic)
        + "A good way to go about it:\n\n"
        "1. **Start small**: get one simple case working end to end.\n"
        "2. **Practise regularly**: short sessions beat rare long ones.\n"
        "3. **Get feedback**: from a person, a test or a measurement.\n"
        "4. **Build on it**: add one new thing at a time.\n\n"
        "Tips:\n\n"
        "- keep notes of what you tried\n"
        "- look at how others solved the same problem\n"
    )


def _explain(prompt: str, topic: str) -> str:
    subject = _subject(topic)
    opening = (
        f"**{subject[:1].upper()}{subject[1:]}** is easiest to understand through what it is for and how it works.",
        f"In short, **{subject}** solves a specific problem well; knowing its limits matters as much.",
        f"Here is an overview of **{subject}**: the idea, how it works, and what to watch out for.",
    )[_variant(prompt, 3)]
    return (
        _title(topic)
        + f"{opening}\n\n"
        "- **The idea**: it grew out of a practical need, and its design still reflects that\n"
        "- **How it works**: small parts, each doing one job and handing its result on\n"
        "- **Watch out for**: the cases it was not designed for, and costs that show up only at scale\n\n"
        "Would you like an example, or a comparison with an alternative?\n"
    )


def topic_reply(prompt: str, topic: str, *, sources: tuple[str, ...], computed: bool) -> str:
    """The Markdown answer for a prompt that is not about names or greetings.

    `sources` are the URLs a web search found for it (empty without search); `computed` says a code
    interpreter ran the prompt's sum.
    """
    kind = kind_of(prompt)
    if kind == "thanks":
        return _thanks(prompt)
    if kind == "sum":
        return _sum(prompt, computed)
    if kind == "code":
        return _code(prompt, topic)
    if kind == "table":
        return _table(prompt, topic)
    if kind == "search" or sources:
        return _search(topic, sources)
    if kind == "think":
        return _think(topic)
    if kind == "steps":
        return _steps(topic)
    return _explain(prompt, topic)
