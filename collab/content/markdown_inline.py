"""Runs of formatted text (a Y.Text's delta: text and its marks) as inline CommonMark, with
GitHub's strikethrough.

CommonMark only reads `**` or `*` as emphasis when the delimiter hugs the text: `** bold**` and
`*word *` stay literal asterisks. So whitespace at either end of a marked run is moved outside
its delimiters, a run of whitespace alone opens no mark, and a mark that goes on over several
runs is opened once (`**a *b***`, not `**a*****b***`). Marks that go on longer open first (they
hold the shorter ones); code is always innermost and literal (a code span of as many backticks
as it needs).

Known limit: a delimiter between punctuation and a letter (`a**"b"**c`) cannot hug both sides,
and CommonMark then shows it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# Marks that wrap text, outermost first when they open together and go on equally long.
_ORDER = ("link", "strike", "bold", "italic")
_DELIMITERS = {"strike": "~~", "bold": "**", "italic": "*"}
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)

# A mark as the stack holds it: its name and value (a link's href; True for the others).
Mark = tuple[str, Any]
Run = tuple[str, Mapping[str, Any]]


def inline_markdown(runs: Sequence[Run]) -> str:
    """The runs, (text, attributes) as a Y.Text's delta gives them, as inline Markdown."""
    marked: list[tuple[str, dict[str, Any]]] = []
    for text, attributes in runs:
        marks = _marks(attributes)
        if marked and marked[-1][1] == marks:  # one run: the same marks go on
            marked[-1] = (marked[-1][0] + text, marks)
        elif text:
            marked.append((text, marks))
    out: list[str] = []
    stack: list[Mark] = []
    owed = ""  # trailing whitespace of the last run: written once its marks are closed
    for index, (text, marks) in enumerate(marked):
        lead, core, trail = _edges(text)
        wanted = set(marks.items())
        kept = _kept(stack, wanted)
        out.extend(_close(stack[kept:]))
        del stack[kept:]
        if not core:  # whitespace alone: it opens nothing
            owed += text
            continue
        out.append(owed + lead)
        for mark in _opening(marked, index, wanted - set(stack)):
            out.append(_open(mark))
            stack.append(mark)
        out.append(_code_span(core) if "code" in marks else escape_markdown(core))
        owed = trail
    out.extend(_close(stack))
    out.append(owed)
    return "".join(out)


def escape_markdown(text: str) -> str:
    """`text` with every character that could start Markdown inline syntax escaped."""
    for char in "\\`*_[]~<":
        text = text.replace(char, "\\" + char)
    return text


def _marks(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The marks Markdown can show: link (by its href), strike, bold, italic, and code."""
    marks: dict[str, Any] = {}
    link = attributes.get("link")
    if isinstance(link, dict) and link.get("href"):
        marks["link"] = str(link["href"])
    for name in ("strike", "bold", "italic", "code"):
        if attributes.get(name) is not None and attributes.get(name) is not False:
            marks[name] = True
    return marks


def _edges(text: str) -> tuple[str, str, str]:
    match = _EDGES.match(text)
    assert match is not None  # the pattern matches any string
    return match.group(1), match.group(2), match.group(3)


def _kept(stack: list[Mark], wanted: set[Mark]) -> int:
    """How many of the open marks (from the outermost) go on: up to the first one that ends."""
    kept = 0
    while kept < len(stack) and stack[kept] in wanted:
        kept += 1
    return kept


def _opening(marked: list[tuple[str, dict[str, Any]]], index: int, new: set[Mark]) -> list[Mark]:
    """The marks to open at run `index`: a link first (its bracket needs no flanking), then the
    one that goes on longest (it holds the others)."""
    wrapping = [mark for mark in new if mark[0] != "code"]

    def reach(mark: Mark) -> int:
        end = index
        while end + 1 < len(marked) and marked[end + 1][1].get(mark[0]) == mark[1]:
            end += 1
        return end

    def rank(mark: Mark) -> tuple[bool, int, int]:
        return (mark[0] != "link", -reach(mark), _ORDER.index(mark[0]))

    return sorted(wrapping, key=rank)


def _open(mark: Mark) -> str:
    return "[" if mark[0] == "link" else _DELIMITERS[mark[0]]


def _close(marks: list[Mark]) -> list[str]:
    """Closing delimiters of `marks` (outermost first), innermost first."""
    closing = []
    for name, value in reversed(marks):
        if name == "link":
            closing.append(f"]({_href(str(value))})")
        else:
            closing.append(_DELIMITERS[name])
    return closing


def _href(href: str) -> str:
    """A link destination as CommonMark reads it back: in <...> when it holds spaces or
    brackets."""
    if re.search(r"[\s()<>\\]", href) is None:
        return href
    return "<" + href.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"


def _code_span(code: str) -> str:
    """`code` as a code span: a fence longer than any run of backticks in it, padded with a
    space when it starts or ends with a backtick."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{fence}{pad}{code}{pad}{fence}"
