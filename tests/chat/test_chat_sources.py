"""Web-search sources of an answer: kept per turn, numbered with full URLs, linked on a terminal, in both exports."""

from __future__ import annotations

from chat_support import MakeEngine, ask

from tui.chat.sources import hyperlink, message_sources, numbered_sources
from tui.sim import SimServer

LONG = "https://www.alibabacloud.com/help/en/model-studio/compatibility-with-openai-responses-api?spm=a2c63.p38356.0.0.1"


async def test_sources_are_kept_with_the_answer_and_in_both_exports(sim: SimServer, make_engine: MakeEngine) -> None:
    engine = await make_engine(sim, tools=["web_search"])
    conversation = await engine.new_conversation()
    answer = (await ask(engine, conversation.id, "Tell me about postgres indexes"))[-1].message
    sources = message_sources(answer)
    assert sources == ["https://en.wikipedia.org/wiki/Tell_Me_About_Postgres",
                       "https://www.alibabacloud.com/help/en/search?k=Tell_Me_About_Postgres"]
    stored = (await engine.transcript(conversation.id))[-1]
    assert message_sources(stored) == sources  # read back from the database, not only live
    markdown = await engine.export_markdown(conversation.id)
    assert f"Sources:\n\n1. <{sources[0]}>\n2. <{sources[1]}>" in markdown
    document = await engine.export_json(conversation.id)
    assert document["messages"][-1]["items"][0]["data"]["sources"] == sources


def test_numbered_sources_are_whole_urls_linked_only_when_asked() -> None:
    plain = numbered_sources([LONG, "https://example.com/a"], hyperlinks=False)
    assert plain == [f"[1] {LONG}", "[2] https://example.com/a"]
    linked = numbered_sources([LONG], hyperlinks=True)
    assert linked == [f"[1] \x1b]8;;{LONG}\x1b\\{LONG}\x1b]8;;\x1b\\"]


def test_a_hostile_url_cannot_break_out_of_its_hyperlink() -> None:
    evil = "https://example.com/\x1b]8;;https://bad.example\x1b\\x\x07\nmore"
    link = hyperlink(evil)
    assert link.count("\x1b") == 4  # only the two sequences' own escapes
    assert "\n" not in link and "\x07" not in link
