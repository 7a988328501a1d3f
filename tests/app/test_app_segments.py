"""Cutting long answers into segments: nothing lost, never inside a code fence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.app.segments import safe_cut, split_segments
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
