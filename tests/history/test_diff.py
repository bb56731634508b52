"""Exact diff output for known inputs."""

from __future__ import annotations

from collab.content.diff import text_diff


def test_line_and_char_diff_of_a_known_edit():
    result = text_diff("a\nb\nc\n", "a\nB!\nc\nd\n")
    assert result["lines"] == [
        {"op": "equal", "text": "a\n"},
        {"op": "delete", "text": "b\n"},
        {"op": "insert", "text": "B!\n"},
        {"op": "equal", "text": "c\n"},
        {"op": "insert", "text": "d\n"},
    ]
    assert result["chars"] == [
        {"op": "equal", "text": "a\n"},
        {"op": "delete", "text": "b"},
        {"op": "insert", "text": "B!"},
        {"op": "equal", "text": "\nc\n"},
        {"op": "insert", "text": "d\n"},
    ]
    assert result["stats"] == {"inserted_chars": 4, "deleted_chars": 1}


def test_identical_texts_are_all_equal():
    result = text_diff("same\ntext", "same\ntext")
    assert result["lines"] == [{"op": "equal", "text": "same\ntext"}]
    assert result["chars"] == [{"op": "equal", "text": "same\ntext"}]
    assert result["stats"] == {"inserted_chars": 0, "deleted_chars": 0}


def test_diff_reassembles_both_sides():
    old = "The quick brown fox\njumps over\nthe lazy dog\n"
    new = "The quick red fox\nleaps over\nthe lazy dog\nand runs\n"
    for key in ("lines", "chars"):
        ops = text_diff(old, new)[key]
        assert "".join(o["text"] for o in ops if o["op"] != "insert") == old
        assert "".join(o["text"] for o in ops if o["op"] != "delete") == new
