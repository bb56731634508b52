"""Tiptap tables (issue 25, item 1) as the server renders them: text, Markdown (GitHub tables),
HTML, and a restore of a version bringing a table back as it was.

The fragments are built as y-prosemirror writes what @tiptap/extension-table 3.31.3 makes: a
`table` of `tableRow`s of `tableHeader`/`tableCell` elements with `colspan` and `rowspan`
(always written: their defaults are 1), `colwidth` only once a column was resized and `align`
only when set (null attributes are not stored), each cell holding paragraphs. tiptap_table.yjs
is such a table made by a real editor (tests/browser/tables_e2e.mjs, "table-paste", writes it
and checks the server's renderings of it against the same strings as here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.restore import plan_restore
from collab.content.richtext import to_html, to_markdown, to_text

FIXTURE = Path(__file__).with_name("tiptap_table.yjs")
Cell = str | list[tuple[str, dict[str, Any] | None]] | tuple[str, ...]


def _cell(row: XmlElement, kind: str, content: Cell, **attrs: Any) -> None:
    cell = row.children.append(XmlElement(kind, {"colspan": 1, "rowspan": 1, **attrs}))
    paragraphs = content if isinstance(content, tuple) else (content,)
    for paragraph in paragraphs:
        text = cell.children.append(XmlElement("paragraph")).children.append(XmlText())
        runs = [(paragraph, None)] if isinstance(paragraph, str) else paragraph
        for words, marks in runs:
            if words:
                text.insert(len(text), words, marks)


def _table(parent: XmlFragment, rows: list[list[tuple[str, Cell, dict[str, Any]]]]) -> None:
    table = parent.children.append(XmlElement("table"))
    for cells in rows:
        row = table.children.append(XmlElement("tableRow"))
        for kind, content, attrs in cells:
            _cell(row, kind, content, **attrs)


def _h(content: Cell, **attrs: Any) -> tuple[str, Cell, dict[str, Any]]:
    return ("tableHeader", content, attrs)


def _d(content: Cell, **attrs: Any) -> tuple[str, Cell, dict[str, Any]]:
    return ("tableCell", content, attrs)


def _document() -> Doc[Any]:
    """A paragraph, then a table with a header row, marks, a `|`, two paragraphs in a cell and
    an empty cell, then a paragraph."""
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    content.children.append(XmlElement("paragraph")).children.append(XmlText("Before"))
    _table(
        content,
        [
            [_h("Owner", colwidth=[120]), _h("Task")],
            [_d([("Ada", {"bold": {}})]), _d("Spec | review")],
            [_d("Bob"), _d(("Build", "then ship"))],
            [_d(""), _d("Test")],
        ],
    )
    content.children.append(XmlElement("paragraph")).children.append(XmlText("After"))
    return doc


def test_a_table_as_markdown_is_a_github_table_with_its_header_row() -> None:
    markdown = to_markdown(_document().get("content", type=XmlFragment))
    assert markdown == (
        "Before\n\n"
        "| Owner | Task |\n"
        "| --- | --- |\n"
        "| **Ada** | Spec \\| review |\n"
        "| Bob | Build<br>then ship |\n"
        "|  | Test |\n\n"
        "After\n"
    )


def test_a_table_as_text_is_a_line_per_row_with_tabs_between_cells() -> None:
    text = to_text(_document().get("content", type=XmlFragment))
    assert text == (
        "Before\n\nOwner\tTask\nAda\tSpec | review\nBob\tBuild then ship\n\tTest\n\nAfter\n"
    )


def test_a_table_as_html_has_a_head_and_a_body() -> None:
    page = to_html(_document().get("content", type=XmlFragment))
    assert page == (
        "<p>Before</p><table><thead><tr><th><p>Owner</p></th><th><p>Task</p></th></tr></thead>"
        "<tbody><tr><td><p><strong>Ada</strong></p></td><td><p>Spec | review</p></td></tr>"
        "<tr><td><p>Bob</p></td><td><p>Build</p><p>then ship</p></td></tr>"
        "<tr><td><p></p></td><td><p>Test</p></td></tr></tbody></table><p>After</p>"
    )


def test_without_a_header_row_the_first_row_heads_the_markdown_and_html_has_no_head() -> None:
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    _table(content, [[_d("a"), _d("b")], [_d("c"), _d("d")]])
    assert to_markdown(content) == "| a | b |\n| --- | --- |\n| c | d |\n"
    assert to_html(content) == (
        "<table><tbody><tr><td><p>a</p></td><td><p>b</p></td></tr>"
        "<tr><td><p>c</p></td><td><p>d</p></td></tr></tbody></table>"
    )


def test_spans_keep_the_columns_in_line_and_alignment_is_kept() -> None:
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    _table(
        content,
        [
            [_h("Name"), _h("Q1", align="right"), _h("Q2", align="center")],
            [_d("Ada", rowspan=2), _d("Both quarters", colspan=2)],
            [_d("1"), _d("2")],
            [_d("<b>&"), _d("x"), _d("y", align="bogus")],
        ],
    )
    assert to_markdown(content) == (
        "| Name | Q1 | Q2 |\n| --- | ---: | :---: |\n| Ada | Both quarters |  |\n"
        "|  | 1 | 2 |\n| \\<b>& | x | y |\n"
    )
    assert to_text(content) == "Name\tQ1\tQ2\nAda\tBoth quarters\n\t1\t2\n<b>&\tx\ty\n"
    assert to_html(content) == (
        '<table><thead><tr><th><p>Name</p></th><th style="text-align: right"><p>Q1</p></th>'
        '<th style="text-align: center"><p>Q2</p></th></tr></thead><tbody>'
        '<tr><td rowspan="2"><p>Ada</p></td><td colspan="2"><p>Both quarters</p></td></tr>'
        "<tr><td><p>1</p></td><td><p>2</p></td></tr>"
        "<tr><td><p>&lt;b&gt;&amp;</p></td><td><p>x</p></td><td><p>y</p></td></tr>"
        "</tbody></table>"
    )


def test_restoring_a_version_brings_the_table_back_exactly() -> None:
    doc = _document()
    version = doc.get_update()
    content = doc.get("content", type=XmlFragment)
    before = _tree(content)
    # Later: a row goes, a cell's words change, a column is resized.
    table = content.children[1]
    assert isinstance(table, XmlElement)
    del table.children[2]
    first = table.children[1].children[1].children[0].children[0]  # type: ignore[union-attr]
    assert isinstance(first, XmlText)
    first.insert(0, "Late ")
    header = table.children[0].children[0]  # type: ignore[union-attr]
    assert isinstance(header, XmlElement)
    header.attributes["colwidth"] = [200]
    assert _tree(content) != before
    edit = plan_restore(doc, version)
    assert edit is not None
    with doc.transaction():
        edit(doc)
    assert _tree(content) == before
    assert to_markdown(content) == to_markdown(_document().get("content", type=XmlFragment))


def _tree(node: Any) -> Any:
    """A node as (tag, sorted attributes, children) or its text runs with their marks."""
    if isinstance(node, XmlText):
        return [(chunk[0], sorted((chunk[1] or {}).items())) for chunk in node.diff()]
    attributes = sorted(node.attributes.__iter__()) if isinstance(node, XmlElement) else []
    tag = node.tag if isinstance(node, XmlElement) else None
    return (tag, attributes, [_tree(child) for child in node.children])


def test_a_table_a_real_tiptap_editor_made_renders_with_its_spans_and_alignment() -> None:
    doc: Doc[Any] = Doc()
    doc.apply_update(FIXTURE.read_bytes())
    content = doc.get("content", type=XmlFragment)
    table = content.children[1]
    assert isinstance(table, XmlElement) and table.tag == "table"
    first = table.children[0].children[0]  # type: ignore[union-attr]
    assert isinstance(first, XmlElement) and first.tag == "tableHeader"
    assert dict(first.attributes.__iter__()) == {"colspan": 1, "rowspan": 1, "colwidth": [150]}
    assert to_markdown(content) == (
        "Budget\n\n| Item | Q1 | Q2 |\n| --- | ---: | :---: |\n"
        "| Rent | Paid **yearly** \\| in advance |  |\n|  | 1 | 2<br>more |\n\nEnd\n"
    )
    assert to_html(content) == (
        '<p>Budget</p><table><thead><tr><th><p>Item</p></th><th style="text-align: right">'
        '<p>Q1</p></th><th style="text-align: center"><p>Q2</p></th></tr></thead><tbody><tr>'
        '<td rowspan="2"><p>Rent</p></td><td colspan="2"><p>Paid <strong>yearly</strong> | in '
        "advance</p></td></tr><tr><td><p>1</p></td><td><p>2</p><p>more</p></td></tr></tbody>"
        "</table><p>End</p>"
    )
    assert to_text(content) == (
        "Budget\n\nItem\tQ1\tQ2\nRent\tPaid yearly | in advance\n\t1\t2 more\n\nEnd\n"
    )
