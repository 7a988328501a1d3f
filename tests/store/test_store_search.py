"""Full-text search: titles and every matching message, snippets with match marks, prefix matching, and
safety for any typed text."""

from __future__ import annotations

import sqlite3
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.store import Store
from tui.store.schema import MIGRATIONS, statements
from tui.store.search import SNIPPET_CLOSE, SNIPPET_OPEN


async def _seed(store: Store) -> dict[str, int]:
    first = await store.create_conversation(title="Databases", model="m", endpoint="e")
    second = await store.create_conversation(title="Cooking", model="m", endpoint="e")
    ids = {}
    ids["wal"] = (await store.add_message(first.id, role="user", content="How does the write-ahead log in SQLite work?", parent_id=None)).id
    ids["quote"] = (await store.add_message(first.id, role="user", content='He said "NEAR" AND left (quietly) col:umn', parent_id=ids["wal"])).id
    ids["risotto"] = (await store.add_message(second.id, role="user", content="A risotto needs patience and good stock", parent_id=None)).id
    ids["café"] = (await store.add_message(second.id, role="user", content="Café au lait with risotto?", parent_id=ids["risotto"])).id
    return ids


async def test_hits_name_the_conversation_and_mark_the_match(store: Store) -> None:
    ids = await _seed(store)
    hits = await store.search("write-ahead")
    assert len(hits) == 1
    hit = hits[0]
    assert (hit.conversation_id, hit.message_id, hit.title, hit.role) == (1, ids["wal"], "Databases", "user")
    assert hit.snippet == f"How does the {SNIPPET_OPEN}write-ahead{SNIPPET_CLOSE} log in SQLite work?"


async def test_results_are_newest_first_and_limited(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search("risotto")] == [ids["café"], ids["risotto"]]
    assert [h.message_id for h in await store.search("risotto", limit=1)] == [ids["café"]]


async def test_last_word_matches_as_a_prefix_while_typing(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search("risotto pati")] == [ids["risotto"]]
    assert [h.message_id for h in await store.search("SQLi")] == [ids["wal"]]
    # Only the last word is a prefix; earlier words must match whole.
    assert await store.search("SQLi work") == []


async def test_a_single_letter_matches_only_that_word(store: Store) -> None:
    ids = await _seed(store)
    # "a" is the word "A" (risotto message), not every word starting with a ("AND", "au", "ahead").
    assert [h.message_id for h in await store.search("a")] == [ids["risotto"]]
    assert [h.message_id for h in await store.search("au")] == [ids["café"]]


async def test_two_letters_are_enough_to_find_a_word_while_typing(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search("pa")] == [ids["risotto"]]  # "patience"
    assert await store.search("p") == []  # one letter is the word "p" only, and there is none
    assert [h.message_id for h in await store.search("a pa")] == [ids["risotto"]]  # it is the last word that counts
    assert await store.search("risotto p") == []


async def test_a_nul_in_the_query_separates_words_like_a_space(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search("risotto\x00patience")] == [ids["risotto"]]


async def test_case_and_accents_do_not_matter(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search("CAFE")] == [ids["café"]]


async def test_fts_syntax_in_the_query_is_plain_text(store: Store) -> None:
    ids = await _seed(store)
    assert [h.message_id for h in await store.search('"NEAR" AND')] == [ids["quote"]]
    assert [h.message_id for h in await store.search("(quietly)")] == [ids["quote"]]
    assert [h.message_id for h in await store.search("col:umn")] == [ids["quote"]]
    # Operators are words here, not logic: OR would otherwise match every message with "risotto".
    assert await store.search("risotto OR patience") == []
    assert await store.search("content:risotto") == []
    for nothing in ("", "   ", '"', "*", "()", "^", "-", '""""'):
        assert await store.search(nothing) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(string.printable + "«»€中文ß\u0301\x00"), max_size=40))
async def test_any_typed_text_searches_without_error(store: Store, text: str) -> None:
    if not await store.count_conversations():
        await _seed(store)
    hits = await store.search(text)
    assert all(hit.snippet for hit in hits)
    assert len(await store.list_conversations()) == 2


# ------------------------------------------------------------------ titles, and every hit


async def test_a_title_matches_with_its_conversation_first(store: Store) -> None:
    ids = await _seed(store)
    assert await store.search("cooking") == []  # titles only when asked for
    hits = await store.search("cooking", titles=True)
    assert [(h.kind, h.conversation_id, h.message_id, h.role) for h in hits] == [("title", 2, None, None)]
    assert hits[0].snippet == f"{SNIPPET_OPEN}Cooking{SNIPPET_CLOSE}" and hits[0].title == "Cooking"

    # a word in a title and in messages: the title hit first, then each message
    await store.add_message(1, role="assistant", content="Databases keep data safe", parent_id=ids["quote"])
    assert [(h.kind, h.conversation_id) for h in await store.search("databases", titles=True)] == [("title", 1), ("message", 1)]


async def test_a_renamed_chat_is_found_by_its_new_name_only(store: Store) -> None:
    await _seed(store)
    await store.update_conversation(2, title="Renamed chat")

    assert [(h.kind, h.conversation_id) for h in await store.search("Renamed", titles=True)] == [("title", 2)]
    assert await store.search("Cooking", titles=True) == []
    await store.delete_conversation(2)
    assert await store.search("Renamed", titles=True) == []


async def test_every_matching_message_is_a_hit_not_one_per_conversation(store: Store) -> None:
    conversation = await store.create_conversation(title="Notes", model="m", endpoint="e")
    parent = None
    for n in range(4):
        parent = (await store.add_message(conversation.id, role="user", content=f"zebra fact {n}", parent_id=parent)).id
    hits = await store.search("zebra", titles=True)
    assert [h.conversation_id for h in hits] == [conversation.id] * 4
    assert len({h.message_id for h in hits}) == 4 and all(h.kind == "message" for h in hits)


async def test_the_limit_counts_title_and_message_hits_together(store: Store) -> None:
    await _seed(store)
    await store.update_conversation(1, title="Risotto notes")
    hits = await store.search("risotto", limit=2, titles=True)
    assert [h.kind for h in hits] == ["title", "message"]
    assert await store.search("risotto", limit=0, titles=True) == []


async def test_titles_of_an_older_file_are_searchable_after_the_upgrade(db_path, open_store) -> None:
    raw = sqlite3.connect(db_path)
    for statement in statements(MIGRATIONS[0]):
        raw.execute(statement)
    raw.execute("INSERT INTO conversations (title, created_at, updated_at, model, endpoint) "
                "VALUES ('Old zebra chat', 1, 1, 'm', 'e')")
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()

    store = await open_store(db_path)
    assert [(h.kind, h.title) for h in await store.search("zebra", titles=True)] == [("title", "Old zebra chat")]
