"""SSE decoder: every WHATWG rule we rely on, and chunking independence (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.api.sse import ServerSentEvent, SSEDecoder


def decode(raw: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.close()


def test_dashscope_framing_without_spaces_and_status_comment() -> None:
    raw = (
        b"id:1\nevent:response.created\n:HTTP_STATUS/200\n"
        b'data:{"type":"response.created"}\n\n'
        b"id:2\nevent:response.in_progress\n:HTTP_STATUS/200\n"
        b'data:{"type":"response.in_progress"}\n\n'
    )
    assert decode(raw) == [
        ServerSentEvent("response.created", '{"type":"response.created"}', "1", None),
        ServerSentEvent("response.in_progress", '{"type":"response.in_progress"}', "2", None),
    ]


def test_openai_framing_with_spaces() -> None:
    raw = b'event: response.output_text.delta\ndata: {"delta":"hi"}\n\n'
    assert decode(raw) == [ServerSentEvent("response.output_text.delta", '{"delta":"hi"}')]


def test_only_one_space_after_the_colon_is_stripped() -> None:
    assert decode(b"data:  two spaces\n\n")[0].data == " two spaces"
    assert decode(b"data:\tx\n\n")[0].data == "\tx"


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode(b"data: first\ndata:second\ndata\n\n")[0].data == "first\nsecond\n"


def test_cr_lf_and_crlf_line_ends_are_equivalent() -> None:
    lf = decode(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert decode(b"event: a\rdata: 1\r\rdata: 2\r\r") == lf
    assert decode(b"event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n") == lf
    assert decode(b"event: a\r\ndata: 1\n\rdata: 2\r\n\n") == lf


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(None, "x")]  # the blank line ends at its CR
    assert decoder.feed(b"\n") == []


def test_comment_only_block_dispatches_nothing() -> None:
    assert decode(b": keep-alive\n\n:HTTP_STATUS/200\n\n") == []


def test_block_without_data_dispatches_nothing_and_resets_event_name() -> None:
    assert decode(b"event: ping\n\ndata: x\n\n") == [ServerSentEvent(None, "x")]


def test_empty_data_field_dispatches_an_empty_event() -> None:
    assert decode(b"data:\n\n") == [ServerSentEvent(None, "")]


def test_id_persists_until_changed_and_id_with_nul_is_ignored() -> None:
    events = decode(b"id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["7", "7", "7", None]


def test_retry_field_is_reported_only_when_all_digits() -> None:
    events = decode(b"retry: 3000\ndata: a\n\nretry: 3s\ndata: b\n\n")
    assert [e.retry for e in events] == [3000, None]


def test_unknown_fields_and_a_field_name_without_colon_are_ignored() -> None:
    assert decode(b"foo: bar\nevent\ndata: x\n\n") == [ServerSentEvent(None, "x")]


def test_done_sentinel_is_surfaced_as_an_event() -> None:
    assert decode(b"data: [DONE]\n\n") == [ServerSentEvent(None, "[DONE]")]


def test_leading_bom_is_stripped_once() -> None:
    assert decode(b"\xef\xbb\xbfdata: a\n\n") == [ServerSentEvent(None, "a")]
    # A second BOM is not at the start of the stream: it is part of the field name, so ignored.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n") == []


def test_bom_split_across_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == [] and decoder.feed(b"\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [ServerSentEvent(None, "a")]


def test_events_are_returned_only_when_their_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":') == []
    assert decoder.feed(b" 1}\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(None, '{"a": 1}')]


def test_close_dispatches_a_last_event_missing_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b") == [ServerSentEvent(None, "a")]
    assert decoder.close() == [ServerSentEvent(None, "b")]


def test_utf8_split_inside_a_character() -> None:
    raw = "data: 你好\n\n".encode()
    decoder = SSEDecoder()
    out = [e for i in range(len(raw)) for e in decoder.feed(raw[i : i + 1])]
    assert out == [ServerSentEvent(None, "你好")]


_FIELD_LINES = st.one_of(
    st.builds(lambda v: b"data:" + v, st.sampled_from([b"", b" ", b" x", b"{\"a\":1}", "é".encode()])),
    st.sampled_from([b"event: response.created", b"event:e", b"id: 1", b"id:", b"retry: 10",
                     b": comment", b":HTTP_STATUS/200", b"", b"data", b"bogus: 1"]),
)
_LINE_ENDS = st.sampled_from([b"\n", b"\r", b"\r\n"])


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    """A stream of field lines with mixed line ends and an optional BOM."""
    parts = [draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))]
    for line in draw(st.lists(_FIELD_LINES, max_size=30)):
        parts.append(line + draw(_LINE_ENDS))
    return b"".join(parts)


@settings(max_examples=300, deadline=None)
@given(raw=sse_streams(), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_chunking_yields_the_same_events(raw: bytes, cuts: list[int]) -> None:
    expected = decode(raw)
    points = sorted({c % (len(raw) + 1) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    decoder = SSEDecoder()
    got = [event for chunk in chunks for event in decoder.feed(chunk)] + decoder.close()
    assert got == expected
