"""Runs of formatted text (a Y.Text's delta: text and its marks) as inline CommonMark, with
GitHub's strikethrough.

CommonMark only reads `**` or `*` as emphasis when the delimiter hugs the text: `** bold**` and
`*word *` stay literal asterisks. So whitespace at either end of a marked run is moved outside
its delimiters, a run of whitespace alone opens no mark, and a mark that goes on over several
runs is opened once (`**a *b***`, not `**a*****b***`). Marks that go on longer open first (they
hold the shorter ones); code is always innermost and literal (a code span of as many backticks
as it needs).

Inside a word, next to punctuation, a delimiter cannot hug both sides: in `foo**(bar)**baz` the
first `**` follows a letter and precedes punctuation, so it can only close, and CommonMark shows
the asterisks as they are. Before writing, the delimiters are paired as CommonMark pairs them
(its left- and right-flanking rules, the rule of 3, nearest opener first, link text apart); a
bold, italic or strike they would not give back is written as inline HTML instead,
`foo<strong>(bar)</strong>baz`, which CommonMark and GitHub show as that mark and
markdown_in.py reads back. Everywhere else the delimiters stay (`un**believ**able`). A `!` just
before a link is escaped (`![...](...)` would be an image).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Marks that wrap text, outermost first when they open together and go on equally long.
_ORDER = ("link", "strike", "bold", "italic")
_DELIMITERS = {"strike": "~~", "bold": "**", "italic": "*"}
# What a mark is written as where its delimiters would not read back (markdown_in.py reads them).
_HTML_TAGS = {"strike": "s", "bold": "strong", "italic": "em"}
_EDGES = re.compile(r"^(\s*)(.*?)(\s*)$", re.DOTALL)

# A mark as the stack holds it: its name and value (a link's href; True for the others).
Mark = tuple[str, Any]
Run = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class _Text:
    """Text as written (escaped, or a code span), and the wrapping marks it should have."""

    shown: str
    marks: frozenset[str]


@dataclass(frozen=True)
class _Edge:
    """Where a bold, italic or strike opens or closes: span numbers one mark's stretch."""

    span: int
    mark: str
    opening: bool


@dataclass(frozen=True)
class _Link:
    """A link's `[` or its `](href)`: delimiters inside pair among themselves."""

    shown: str


_Part = _Text | _Edge | _Link


def inline_markdown(runs: Sequence[Run]) -> str:
    """The runs, (text, attributes) as a Y.Text's delta gives them, as inline Markdown."""
    parts = _parts(runs)
    html: set[int] = set()
    while True:
        written = [_written(part, html) for part in parts]
        wrong = _unread(parts, written)
        if not wrong:
            return "".join(written)
        html |= wrong


def escape_markdown(text: str) -> str:
    """`text` with every character that could start Markdown inline syntax escaped."""
    for char in "\\`*_[]~<":
        text = text.replace(char, "\\" + char)
    return text


def _parts(runs: Sequence[Run]) -> list[_Part]:
    """The runs as text and the places marks open and close, properly nested."""
    marked: list[tuple[str, dict[str, Any]]] = []
    for text, attributes in runs:
        marks = _marks(attributes)
        if marked and marked[-1][1] == marks:  # one run: the same marks go on
            marked[-1] = (marked[-1][0] + text, marks)
        elif text:
            marked.append((text, marks))
    out: list[_Part] = []
    stack: list[tuple[Mark, int]] = []  # open marks, outermost first, with their span
    owed = ""  # trailing whitespace of the last run: written once its marks are closed
    spans = 0
    for index, (text, marks) in enumerate(marked):
        lead, core, trail = _edges(text)
        wanted = set(marks.items())
        kept = _kept([mark for mark, _ in stack], wanted)
        out.extend(_close(stack[kept:]))
        del stack[kept:]
        if not core:  # whitespace alone: it opens nothing
            owed += text
            continue
        out.append(_Text(owed + lead, _wrapping(stack)))
        open_now = {mark for mark, _ in stack}
        for mark in _opening(marked, index, wanted - open_now):
            span = spans = spans + 1
            if mark[0] == "link":
                _no_image(out)
            out.append(_Link("[") if mark[0] == "link" else _Edge(span, mark[0], True))
            stack.append((mark, span))
        shown = _code_span(core) if "code" in marks else escape_markdown(core)
        out.append(_Text(shown, _wrapping(stack)))
        owed = trail
    out.extend(_close(stack))
    out.append(_Text(owed, frozenset()))
    return [part for part in out if not (isinstance(part, _Text) and not part.shown)]


def _no_image(out: list[_Part]) -> None:
    """Escape a `!` just before a link's `[`, which would make it an image."""
    for index in reversed(range(len(out))):
        before = out[index]
        if isinstance(before, _Text) and not before.shown:
            continue
        if isinstance(before, _Text) and before.shown.endswith("!"):
            out[index] = _Text(before.shown[:-1] + "\\!", before.marks)
        return


def _wrapping(stack: list[tuple[Mark, int]]) -> frozenset[str]:
    return frozenset(mark[0] for mark, _ in stack if mark[0] in _HTML_TAGS)


def _written(part: _Part, html: set[int]) -> str:
    if isinstance(part, _Text | _Link):
        return part.shown
    if part.span in html:
        return f"<{'' if part.opening else '/'}{_HTML_TAGS[part.mark]}>"
    return _DELIMITERS[part.mark]


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


def _close(marks: list[tuple[Mark, int]]) -> list[_Part]:
    """Where `marks` (outermost first, with their spans) close, innermost first."""
    closing: list[_Part] = []
    for (name, value), span in reversed(marks):
        if name == "link":
            closing.append(_Link(f"]({_href(str(value))})"))
        else:
            closing.append(_Edge(span, name, False))
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


@dataclass
class _Run:
    """A delimiter run as CommonMark scans it: its character, length, what it can do, and the
    span each of its characters belongs to (those not yet paired)."""

    char: str
    length: int
    first: int  # index of its first part
    last: int  # index of its last part
    spans: list[int]  # the span of each character not paired yet
    can_open: bool = False
    can_close: bool = False


def _unread(parts: list[_Part], written: list[str]) -> set[int]:
    """Spans written as delimiters to write as HTML instead, when CommonMark would not read
    every text back with its marks (or would leave a delimiter literal): first those whose
    delimiters cannot open or close where they are; else those left literal or paired with
    another mark's delimiters; else all. Empty when everything reads back."""
    scopes = _runs(parts, written)
    marks = {part.span: part.mark for part in parts if isinstance(part, _Edge)}
    stuck: set[int] = set()  # cannot open (close) where they open (close)
    for runs in scopes:
        for run in runs:
            for part in parts[run.first : run.last + 1]:
                assert isinstance(part, _Edge)
                if not (run.can_open if part.opening else run.can_close):
                    stuck.add(part.span)
    shown: dict[int, set[str]] = {}  # part index: the marks the pairs put on it
    mispaired: set[int] = set()  # paired with another mark's, or left literal
    for runs in scopes:
        for opener, closer, taken in _pairs(runs):
            mark = {"~~": "strike", "**": "bold", "*": "italic"}[opener.char * (len(taken) // 2)]
            for index in range(opener.last + 1, closer.first):
                shown.setdefault(index, set()).add(mark)
            if len(set(taken)) != 1 or marks[taken[0]] != mark:
                mispaired.update(taken)
        for run in runs:
            mispaired.update(run.spans)  # left over: shown as the characters they are
    tags: list[str] = []  # marks open as HTML
    right = not any(run.spans for runs in scopes for run in runs)
    for index, (part, text) in enumerate(zip(parts, written, strict=True)):
        if isinstance(part, _Edge) and text.startswith("<"):
            if part.opening:
                tags.append(part.mark)
            else:
                tags.remove(part.mark)
        elif isinstance(part, _Text) and part.shown.strip():
            right = right and shown.get(index, set()) | set(tags) == part.marks
    if right:  # though a pair may take two marks' characters: `***a***`, strong inside em
        return set()
    if stuck or mispaired:
        return stuck or mispaired
    # Not seen: were every pair its own mark's, the marks would read back.
    pairs = zip(parts, written, strict=True)
    return {part.span for part, text in pairs if isinstance(part, _Edge) and text[0] in "*~"}


def _runs(parts: list[_Part], written: list[str]) -> list[list[_Run]]:
    """The delimiter runs of each scope (outside links, and each link's text), with what they
    can do by the characters around them, as markdown-it scans them: the start and end of the
    text count as whitespace, and so does the end of a link's text (parsed on its own)."""
    scopes: list[list[_Run]] = [[]]
    open_scopes = [0]
    for index, (part, text) in enumerate(zip(parts, written, strict=True)):
        if isinstance(part, _Link):
            if part.shown == "[":
                open_scopes.append(len(scopes))
                scopes.append([])
            else:
                open_scopes.pop()
            continue
        if not isinstance(part, _Edge) or text[0] not in "*~":
            continue
        runs = scopes[open_scopes[-1]]
        if runs and runs[-1].last == index - 1 and runs[-1].char == text[0]:
            runs[-1].length += len(text)
            runs[-1].last = index
            runs[-1].spans.extend([part.span] * len(text))
        else:
            runs.append(_Run(text[0], len(text), index, index, [part.span] * len(text)))
    for runs in scopes:
        for run in runs:
            before = written[run.first - 1][-1] if run.first > 0 else " "
            following = parts[run.last + 1] if run.last + 1 < len(parts) else None
            ends = following is None or (isinstance(following, _Link) and following.shown != "[")
            after = " " if ends else written[run.last + 1][0]
            run.can_open, run.can_close = _flanking(before, after)
    return scopes


def _flanking(before: str, after: str) -> tuple[bool, bool]:
    """Whether a run of `*` or `~` between these characters can open (is left-flanking), and
    can close (right-flanking): both may split a word, unlike `_`. Whitespace and punctuation
    as CommonMark 0.31 and markdown-it-py have them (Unicode Zs, and P and S)."""
    before_space, after_space = _space(before), _space(after)
    before_punct, after_punct = _punctuation(before), _punctuation(after)
    left = not (after_space or (after_punct and not (before_space or before_punct)))
    right = not (before_space or (before_punct and not (after_space or after_punct)))
    return left, right


def _space(char: str) -> bool:
    return char in "\t\n\v\f\r" or unicodedata.category(char) == "Zs"


def _punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _pairs(runs: list[_Run]) -> list[tuple[_Run, _Run, list[int]]]:
    """CommonMark's pairing of delimiter runs ("process emphasis"): each closer, in order, takes
    the nearest opener of its character the rule of 3 allows, two characters of each when both
    have two (strong), else one; runs between them are left as they are. The pairs, with the
    spans of the characters each took (the opener's innermost, the closer's first); what is
    left in the runs' `spans` is literal text."""
    found: list[tuple[_Run, _Run, list[int]]] = []
    stack = list(runs)
    position = 0
    while position < len(stack):
        closer = stack[position]
        if not closer.can_close or not closer.spans:
            position += 1
            continue
        below = position - 1
        while below >= 0:
            opener = stack[below]
            if opener.char == closer.char and opener.can_open and opener.spans:
                odd = (
                    opener.char == "*"
                    and (opener.can_close or closer.can_open)
                    and (opener.length + closer.length) % 3 == 0
                    and not (opener.length % 3 == 0 and closer.length % 3 == 0)
                )
                if not odd:
                    break
            below -= 1
        if below < 0:
            if not closer.can_open:
                del stack[position]  # a closer with no opener: literal
            else:
                position += 1
            continue
        opener = stack[below]
        # `~~` runs are always two long here (a strike never closes where it opens again).
        use = 2 if len(opener.spans) >= 2 and len(closer.spans) >= 2 else 1
        found.append((opener, closer, opener.spans[-use:] + closer.spans[:use]))
        del opener.spans[-use:]
        del closer.spans[:use]
        del stack[below + 1 : position]  # between them: literal
        position = below + 1
        if not opener.spans:
            del stack[below]
            position -= 1
        if not closer.spans:
            del stack[position]
    return found
