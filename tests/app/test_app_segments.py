"""Cutting long answers into segments: nothing lost, never inside a code fence; holding back an
unclosed inline marker while streaming."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.app.segments import HELD_CHARS, open_marker, safe_cut, split_segments
from tui.sim.answers import long_answer

BLOCKS = st.sampled_from(
    [
        "A paragraph of text that goes on for a while.\n\n",
        "```python\nx = 1\n\n\ny = 2\n```\n\n",
        "- item\n- item\n\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
        "~~~\nfenced\n\nwith blank lines\n~~~\n\n",
        "# Heading\n\n",
    ]
)


def fence_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.lstrip(" ").startswith(("```", "~~~")))


@settings(max_examples=60, deadline=None)
@given(st.lists(BLOCKS, min_size=1, max_size=60), st.integers(min_value=20, max_value=400))
def test_segments_rejoin_to_the_text_and_never_split_a_fence(blocks: list[str], size: int) -> None:
    text = "".join(blocks)
    segments = split_segments(text, size=size)
    assert "".join(segments) == text
    for segment in segments:
        assert fence_lines(segment) % 2 == 0
    for segment in segments[:-1]:
        assert len(segment) >= size and segment.endswith("\n\n")


def test_the_long_benchmark_answer_splits_into_many_valid_segments() -> None:
    text = "".join(long_answer(2000))
    segments = split_segments(text)
    assert len(segments) > 5 and "".join(segments) == text


def test_safe_cut_waits_for_the_fence_to_close() -> None:
    text = "intro\n\n```\ncode\n\nmore code\n```\n\nafter"
    assert safe_cut(text, size=8) == text.index("after")


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("Hello **Start", "**Start"),
        ("Hello **", "**"),  # may open once the next delta comes
        ("x `code", "`code"),
        ("x `a` and **b", "**b"),
        ("- **Note", "**Note"),
        ("Hello **Start** x", None),  # closed
        ("a * b", None),  # followed by a space: not an opener
        ("* item", None),  # a bullet
        ("snake_case_name", None),  # `_` inside a word
        ("x `a ** b", "`a ** b"),  # stars inside a code span are literal
        ("```\ncode **x", None),  # inside a fence
        ("    indented **code", None),
        ("line one **\nline two", None),  # only the last line counts
        ("**" + "x" * HELD_CHARS, None),  # open too long: literal
    ],
)
def test_open_marker_holds_an_unclosed_inline_marker_on_the_last_line(text: str, held: str | None) -> None:
    start = open_marker(text)
    assert (text[start:] if start is not None else None) == held
