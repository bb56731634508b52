"""Marks as CommonMark reads them back (issue 25, item 4): a rich document's Markdown (the .md
download, snapshot?format=markdown, the History diff) put spaces inside the delimiters
(`read** this part**`), which CommonMark shows as literal asterisks; and inside a word, next to
punctuation (`foo**(bar)**baz`, `a*-x-*b`), delimiters CommonMark cannot read as emphasis."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any, ClassVar

import pytest
from markdown_it import MarkdownIt
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.markdown_in import to_fragment
from collab.content.richtext import to_html, to_markdown

Runs = list[tuple[str, dict[str, Any]]]
BOLD: dict[str, Any] = {"bold": {}}
ITALIC: dict[str, Any] = {"italic": {}}
BOTH: dict[str, Any] = {"bold": {}, "italic": {}}
CODE: dict[str, Any] = {"code": {}}
STRIKE: dict[str, Any] = {"strike": {}}
LINK: dict[str, Any] = {"link": {"href": "https://example.org/a"}}
COMMONMARK = MarkdownIt("commonmark").enable("strikethrough")


def _paragraph(runs: Runs) -> XmlFragment:
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get("content", type=XmlFragment)
    text = fragment.children.append(XmlElement("paragraph")).children.append(XmlText())
    for content, marks in runs:
        text.insert(len(text), content, marks or None)
    return fragment


def _markdown(runs: Runs) -> str:
    return to_markdown(_paragraph(runs)).rstrip("\n")


class _Marked(HTMLParser):
    """Each character of some HTML but whitespace (where a space sits against a delimiter does
    not show), with the marks around it."""

    _NAMES: ClassVar[dict[str, str]] = {
        "strong": "bold",
        "em": "italic",
        "s": "strike",
        "code": "code",
        "a": "link",
    }

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.chars: list[tuple[str, frozenset[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        self.open.append(self._NAMES.get(tag, tag) + (f"={href}" if tag == "a" else ""))

    def handle_endtag(self, tag: str) -> None:
        self.open.pop()

    def handle_data(self, data: str) -> None:
        marks = frozenset(self.open) - {"p"}
        self.chars.extend((char, marks) for char in data if not char.isspace())


def _marked(html: str) -> list[tuple[str, frozenset[str]]]:
    parser = _Marked()
    parser.feed(html)
    parser.close()
    return parser.chars


def test_spaces_at_the_edges_of_a_mark_go_outside_its_delimiters() -> None:
    assert _markdown([("read", {}), (" this part", BOLD), (" now", {})]) == (
        "read **this part** now"
    )
    assert _markdown([("important ", ITALIC), ("next", {})]) == "*important* next"
    assert _markdown([("a ", {}), (" ", BOLD), ("b", {})]) == "a  b"  # a space alone: no mark
    assert _markdown([("keep ", {}), ("  x  ", STRIKE), ("y", {})]) == "keep   ~~x~~  y"


def test_nested_and_adjacent_marks_open_once() -> None:
    assert _markdown([("a ", BOLD), ("b", BOTH), (" c", BOLD)]) == "**a *b* c**"
    assert _markdown([("a", BOTH), (" b", ITALIC)]) == "***a** b*"
    assert _markdown([("bold", BOLD), (" ", BOTH), ("on", BOLD)]) == "**bold on**"
    assert _markdown([("see ", {}), ("the ", LINK), ("docs", {**LINK, **BOLD})]) == (
        "see [the **docs**](https://example.org/a)"
    )


def test_code_spans_are_literal_and_fenced_around_backticks() -> None:
    assert _markdown([("run ", {}), (" a*b ", CODE), ("now", {})]) == "run  `a*b` now"
    assert _markdown([("x", {}), ("a`b", CODE)]) == "x``a`b``"
    assert _markdown([("`tick", CODE)]) == "`` `tick ``"
    assert _markdown([("code", {**CODE, **BOLD})]) == "**`code`**"


def test_a_link_with_a_space_in_its_address_stays_a_link() -> None:
    spaced = {"link": {"href": "https://example.org/a b(1)"}}
    assert _markdown([("here", spaced)]) == "[here](<https://example.org/a b(1)>)"
    assert 'href="https://example.org/a%20b(1)"' in COMMONMARK.render(_markdown([("here", spaced)]))


def test_a_bang_before_a_link_does_not_make_it_an_image() -> None:
    markdown = _markdown([("Wow!", {}), ("site", LINK)])
    assert markdown == "Wow\\![site](https://example.org/a)"
    assert "<img" not in COMMONMARK.render(markdown)


def test_marks_inside_a_word_next_to_punctuation_are_written_as_html() -> None:
    # The first `**` follows a letter and precedes punctuation: CommonMark would not open there.
    assert _markdown([("foo", {}), ("(bar)", BOLD), ("baz", {})]) == "foo<strong>(bar)</strong>baz"
    assert _markdown([("a", {}), ("-x-", ITALIC), ("b", {})]) == "a<em>-x-</em>b"
    assert _markdown([("x", {}), ("(y)", STRIKE), ("z", {})]) == "x<s>(y)</s>z"
    assert _markdown([("say ", {}), ('"hi"', BOLD), ("!", {})]) == 'say **"hi"**!'
    # Only the mark that would not read back: the italic inside keeps its delimiter.
    assert _markdown([("a", {}), ("(", BOLD), ("b", BOTH), (")", BOLD), ("c", {})]) == (
        "a<strong>(*b*)</strong>c"
    )
    # Delimiters inside a word between letters are read as emphasis: they stay.
    assert _markdown([("un", {}), ("believ", BOLD), ("able", {})]) == "un**believ**able"
    assert _markdown([("both", BOTH)]) == "***both***"
    for runs in ([("foo", {}), ("(bar)", BOLD), ("baz", {})], [("a", {}), ("-x-", ITALIC)]):
        markdown = _markdown(runs)
        assert _marked(COMMONMARK.render(markdown)) == _marked(to_html(_paragraph(runs)))
        assert _markdown(_runs(_imported(markdown))) == markdown


def _imported(markdown: str) -> XmlFragment:
    doc: Doc[Any] = Doc()
    fragment: XmlFragment = doc.get("content", type=XmlFragment)
    with doc.transaction():
        to_fragment(markdown, fragment)
    return fragment


def _runs(fragment: XmlFragment) -> Runs:
    """The runs of a fragment's one paragraph."""
    (paragraph,) = fragment.children
    assert isinstance(paragraph, XmlElement)
    runs: Runs = []
    for text in paragraph.children:
        assert isinstance(text, XmlText)
        runs.extend((str(c[0]), (c[1] if len(c) > 1 else None) or {}) for c in text.diff())
    return runs


@pytest.mark.parametrize(
    ("seed", "letters"), [(25, "ab  *_"), (26, "ab (-.)*~_"), (27, 'ab"(!)` ')]
)
def test_commonmark_reads_back_the_marks_the_html_shows(seed: int, letters: str) -> None:
    """Seeded random paragraphs of marked text, marks changing anywhere (between words, inside
    a word, next to punctuation): a CommonMark parser (markdown-it-py) finds on every
    character the marks our own HTML puts there, and our import reads the same marks back."""
    generator = random.Random(seed)
    choices = [{}, BOLD, ITALIC, BOTH, CODE, STRIKE, LINK, {**LINK, **BOLD}, {**STRIKE, **ITALIC}]
    inside_words = 0
    for _ in range(400):
        runs: Runs = [("start", {})]
        for _ in range(generator.randint(1, 6)):
            text = "".join(generator.choice(letters) for _ in range(generator.randint(1, 6)))
            runs.append((text, generator.choice(choices)))
        inside_words += any(a[-1].strip() and b[0].strip() for (a, _), (b, _) in pairwise(runs))
        markdown = _markdown(runs)
        marked = _marked(to_html(_paragraph(runs)))
        assert _marked(COMMONMARK.render(markdown)) == marked, markdown
        assert _marked(to_html(_imported(markdown))) == marked, markdown
    assert inside_words > 200  # marks that change inside a word are among them
