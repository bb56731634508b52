"""PDF and DOCX files of a document (issue 25, item 5), read back with real parsers: python-docx
for the Word file (styles, lists, tables, links, runs, pictures), pypdf for the PDF (its text in
order, title, pictures, links, fonts)."""

from __future__ import annotations

import base64
import io
from typing import Any, cast

import docx
import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText
from pypdf import PdfReader

from collab.content.blocks import (
    Block,
    Cell,
    Code,
    ListBlock,
    ListItem,
    Paragraph,
    Span,
    Table,
    document_blocks,
)
from collab.content.docxfile import rich_docx, text_docx
from collab.content.pdffile import dejavu_folder, rich_pdf, text_pdf
from collab.content.pictures import picture_bytes, stored_image_id
from tests.content.printdocs import OUTSIDE, STORED, every_node_document, picture

TITLE = "Plan Ω"


def _blocks() -> list[Any]:
    return document_blocks(every_node_document().get("content", type=XmlFragment))


def _resolver(seen: list[str]) -> Any:
    def resolve(src: str) -> bytes | None:
        seen.append(src)
        return picture() if src == STORED else None

    return resolve


def _in_order(text: str, pieces: list[str]) -> None:
    at = -1
    for piece in pieces:
        found = text.find(piece, at + 1)
        assert found > at, (piece, text)
        at = found


def test_docx_keeps_headings_lists_tables_links_marks_and_pictures() -> None:
    seen: list[str] = []
    word = docx.Document(io.BytesIO(rich_docx(_blocks(), TITLE, _resolver(seen))))
    assert word.core_properties.title == TITLE
    lines = [(p.style.name if p.style else "", p.text) for p in word.paragraphs]
    assert lines[0] == ("Heading 1", "Plan Ωμέγα Привет")  # no extra title heading
    assert ("Heading 2", "Lists") in lines and ("Heading 3", "Details") in lines
    lists = [(style, text) for style, text in lines if style.startswith("List")]
    assert lists == [
        ("List Bullet", "one"),
        ("List Bullet", "two"),
        ("List Continue 2", "1.\ttwo-a"),
        ("List Continue", "3.\tthree"),
        ("List Continue", "4.\tfour"),
        ("List Continue", "☑\twritten"),
        ("List Continue", "☐\ttested"),
    ]
    assert ("Quote", "Quoted") in lines
    assert ("Normal", "x = 1\nprint(x)") in lines
    first = word.paragraphs[1]
    assert first.text == "Ship bold slanted struck run() and docs not evil\nsecond line"
    assert [link.url for link in first.hyperlinks] == ["https://example.org/docs"]
    runs = {run.text: run for run in first.runs}
    assert runs["bold"].bold and runs["slanted"].italic and runs["struck"].font.strike
    assert runs["run()"].font.name == "Courier New" and not runs["Ship "].bold
    (table,) = word.tables
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells == [["Fruit", "Count"], ["apples", "3 ripe"], ["all of them", "all of them"]]
    assert table.rows[2].cells[0]._tc is table.rows[2].cells[1]._tc  # one merged cell
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert len(word.inline_shapes) == 1 and ("Normal", "[a cat]") in lines
    assert seen == [STORED, OUTSIDE]
    assert lines[-1] == ("Normal", "The end")


def test_pdf_has_the_text_in_order_title_picture_and_links() -> None:
    pdf = PdfReader(io.BytesIO(rich_pdf(_blocks(), TITLE, _resolver([]))))
    assert pdf.metadata is not None and pdf.metadata.title == TITLE
    text = "\n".join(page.extract_text() for page in pdf.pages)
    _in_order(
        text,
        [
            "Plan Ωμέγα Привет",
            "Ship bold slanted struck run() and docs not evil",
            "second line",
            "Lists",
            "• one",
            "• two",
            "1. two-a",
            "3. three",
            "4. four",
            "☑ written",
            "☐ tested",
            "Details",
            "Quoted",
            "x = 1",
            "print(x)",
            "Fruit",
            "Count",
            "apples",
            "3 ripe",
            "all of them",
            "[a cat]",
            "The end",
        ],
    )
    assert sum(len(page.images) for page in pdf.pages) == 1
    links = [
        cast(Any, annotation.get_object())["/A"]["/URI"]
        for page in pdf.pages
        for annotation in cast(Any, page.get("/Annots", []))
    ]
    assert links == ["https://example.org/docs"]
    if dejavu_folder() is None:
        pytest.skip("DejaVu is not installed: the core fonts are checked below")
    fonts = {
        cast(Any, font.get_object())["/BaseFont"]
        for page in pdf.pages
        for font in cast(Any, page["/Resources"])["/Font"].values()
    }
    assert any("DejaVuSans" in str(font) for font in fonts), fonts


def test_without_dejavu_the_core_fonts_print_latin_and_question_marks() -> None:
    pdf = PdfReader(io.BytesIO(rich_pdf(_blocks(), TITLE, font_folders=())))
    text = pdf.pages[0].extract_text()
    assert "Plan ????? ??????" in text and "[x] written" in text and "[ ] tested" in text
    resources = cast(Any, pdf.pages[0]["/Resources"])
    fonts = {str(font.get_object()["/BaseFont"]) for font in resources["/Font"].values()}
    assert fonts <= {
        "/Helvetica",
        "/Helvetica-Bold",
        "/Helvetica-Oblique",
        "/Courier",
        "/Helvetica-BoldOblique",
        "/Courier-Bold",
    }, fonts


def test_odd_tables_and_lists_still_print() -> None:
    # Shapes clients can store: ragged rows, spans past the table's end or overlapping, a
    # table in a cell, lists and code in cells, empty items, deep nesting.
    def cell(words: str, colspan: int = 1, rowspan: int = 1) -> Cell:
        return Cell([Paragraph([Span(words)])], colspan=colspan, rowspan=rowspan)

    def nest(depth: int) -> ListBlock:
        inner: list[Block] = [Paragraph([Span(f"level {depth}")])]
        if depth < 6:
            inner.append(nest(depth + 1))
        return ListBlock(("bullet", "ordered", "task")[depth % 3], [ListItem(inner, True)])

    blocks: list[Block] = [
        Table([[cell("r1", colspan=3)], [cell("r2")], [cell("r3a"), cell("r3b")]]),
        Table([[cell("tall", rowspan=9), cell("wide", colspan=4)], [cell("under")]]),
        Table([[cell("a", rowspan=2), cell("b")], [cell("c", colspan=2)]]),
        Table([[Cell([Table([[cell("inner")]])]), Cell([nest(4), Code("x\ny")]), Cell([])]]),
        Table([]),
        ListBlock("ordered", [ListItem([]), ListItem([Code("only code")])]),
        nest(0),
        Paragraph([Span("end")]),
    ]
    word = docx.Document(io.BytesIO(rich_docx(blocks, "odd")))
    assert [len(table.rows) for table in word.tables] == [3, 2, 2, 1]
    texts = "\n".join(p.text for p in word.paragraphs)
    assert "level 6" in texts and texts.endswith("end")
    assert "inner" in [c.text for c in word.tables[3].rows[0].cells[0].tables[0].rows[0].cells]
    pdf = PdfReader(io.BytesIO(rich_pdf(blocks, "odd")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    _in_order(text, ["r1", "r2", "r3a", "tall", "wide", "under", "inner", "level 4", "x"])
    _in_order(text, ["only code", "level 0", "level 6", "end"])


def test_a_plain_text_document_prints_as_typed() -> None:
    typed = "# Notes\n\n<b>Ωμέγα</b>\tend\n" + "long " * 40
    pdf = PdfReader(io.BytesIO(text_pdf(typed, "Notes")))
    assert pdf.metadata is not None and pdf.metadata.title == "Notes"
    text = pdf.pages[0].extract_text()
    _in_order(text, ["# Notes", "<b>", "end", "long long"])
    if dejavu_folder() is not None:
        assert "<b>Ωμέγα</b>" in text
    word = docx.Document(io.BytesIO(text_docx(typed, "Notes")))
    assert word.core_properties.title == "Notes"
    assert [p.text for p in word.paragraphs][:3] == ["# Notes", "", "<b>Ωμέγα</b>\tend"]


def test_only_stored_images_and_data_uris_are_embedded() -> None:
    assert stored_image_id("/api/rooms/printing/images/img-1") == "img-1"
    assert stored_image_id("https://any.host/api/rooms/printing/images/a%20b") == "a b"
    assert stored_image_id(OUTSIDE) is None
    assert stored_image_id("/api/rooms/printing/images/x/../../secret") is None
    assert stored_image_id("/elsewhere/api/rooms/printing/images/img-1") is None
    assert picture_bytes(OUTSIDE, None) is None
    data = picture()
    assert picture_bytes("data:image/png;base64," + base64.b64encode(data).decode(), None) == data


def test_blocknote_blocks_print_as_the_same_lists_and_tables() -> None:
    doc: Doc[Any] = Doc()
    group = doc.get("document-store", type=XmlFragment).children.append(XmlElement("blockGroup"))

    def block(parent: XmlElement, tag: str, words: str, **attrs: Any) -> XmlElement:
        container = parent.children.append(XmlElement("blockContainer", {"id": words}))
        content = container.children.append(XmlElement(tag, attrs))
        content.children.append(XmlText(words))
        return container

    block(group, "heading", "Agenda", level=2)
    first = block(group, "numberedListItem", "first", start=5)
    nested = first.children.append(XmlElement("blockGroup"))
    block(nested, "checkListItem", "done", checked=True)
    block(group, "numberedListItem", "second")
    block(group, "quote", "wise words")
    table = group.children.append(XmlElement("blockContainer", {"id": "t"}))
    row = table.children.append(XmlElement("table")).children.append(XmlElement("tableRow"))
    for words in ("left", "right"):
        cell = row.children.append(XmlElement("tableCell"))
        cell.children.append(XmlElement("tableParagraph")).children.append(XmlText(words))
    blocks = document_blocks(doc.get("document-store", type=XmlFragment))
    word = docx.Document(io.BytesIO(rich_docx(blocks, "BlockNote")))
    lines = [(p.style.name if p.style else "", p.text) for p in word.paragraphs]
    assert lines == [
        ("Heading 2", "Agenda"),
        ("List Continue", "5.\tfirst"),
        ("List Continue 2", "☑\tdone"),
        ("List Continue", "6.\tsecond"),
        ("Quote", "wise words"),
    ]
    assert [[c.text for c in r.cells] for r in word.tables[0].rows] == [["left", "right"]]
    text = PdfReader(io.BytesIO(rich_pdf(blocks, "BlockNote"))).pages[0].extract_text()
    _in_order(text, ["Agenda", "5. first", "☑ done", "6. second", "wise words", "left", "right"])
