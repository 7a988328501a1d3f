"""Search snippets: only real matches are marked, whatever characters the messages hold."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.store import Store
from tui.store.search import ESCAPED, SNIPPET_CLOSE, SNIPPET_OPEN, snippet_parts

MARKS = SNIPPET_OPEN + SNIPPET_CLOSE


async def _say(store: Store, text: str) -> int:
    conversation = await store.create_conversation(title="Notes", model="m", endpoint="e")
    return (await store.add_message(conversation.id, role="user", content=text, parent_id=None)).id


async def test_brackets_in_a_message_are_text_not_matches(store: Store) -> None:
    await _say(store, "See [1] and ]odd[ for the zebra notes")
    [hit] = await store.search("zebra")
    assert hit.snippet.count(SNIPPET_OPEN) == hit.snippet.count(SNIPPET_CLOSE) == 1
    assert snippet_parts(hit.snippet) == [("See [1] and ]odd[ for the ", False), ("zebra", True), (" notes", False)]


async def test_a_message_holding_the_mark_characters_shows_them_escaped(store: Store) -> None:
    await _say(store, f"icons {SNIPPET_OPEN} {SNIPPET_CLOSE}{SNIPPET_CLOSE} zebra {SNIPPET_OPEN}x")
    [hit] = await store.search("zebra")
    assert snippet_parts(hit.snippet) == [
        (f"icons {ESCAPED} {ESCAPED}{ESCAPED} ", False), ("zebra", True), (f" {ESCAPED}x", False),
    ]


async def test_a_match_that_starts_with_a_mark_character_keeps_its_text(store: Store) -> None:
    # Private-use characters are word characters to the tokenizer, so "\ue000zebra" is one word.
    await _say(store, f"say {SNIPPET_OPEN}zebra now")
    [hit] = await store.search(f"{SNIPPET_OPEN}zeb")
    text = "".join(part for part, _ in snippet_parts(hit.snippet))
    assert text == f"say {ESCAPED}zebra now"
    assert [part for part, is_match in snippet_parts(hit.snippet) if is_match] in (["zebra"], [f"{ESCAPED}zebra"])


def test_a_snippet_cut_inside_a_match_ends_highlighted() -> None:
    assert snippet_parts(f"a {SNIPPET_OPEN}zeb") == [("a ", False), ("zeb", True)]
    assert snippet_parts("") == []


_WORDS = st.sampled_from(["zebra", "Zebra", "[zebra]", "]", "[", "a", "b[c", "d]e", "\ue000", "\ue001", "\ue000zebra",
                          "zebra\ue001", "x\ue001\ue000y", "…", "\n"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(words=st.lists(_WORDS, min_size=1, max_size=30))
async def test_marks_surround_exactly_the_matches_in_any_text(store: Store, words: list[str]) -> None:
    text = " ".join([*words, "zebra"])
    message_id = await _say(store, text)
    hits = [hit for hit in await store.search("zebra") if hit.message_id == message_id]
    assert len(hits) == 1
    parts = snippet_parts(hits[0].snippet)
    matches = {part.casefold() for part, is_match in parts if is_match}
    # The last word is a prefix: "zebra\ue001" matches too (its mark character escaped).
    assert matches and matches <= {"zebra", "zebra" + ESCAPED}
    shown = "".join(part for part, _ in parts)
    assert not set(shown) & set(MARKS)
    escaped = text.translate({ord(mark): ESCAPED for mark in MARKS})
    assert shown.strip("…") in escaped
