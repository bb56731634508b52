"""A document as a Word file (DOCX), with python-docx: Word's own styles for headings (Heading
1-6), bullet lists (List Bullet, 2, 3), quotes (Quote) and tables (Table Grid); numbered and task
lists as indented list paragraphs (List Continue, 2, 3) that begin with their number or a
checkbox glyph (☐ ☑), so each list counts from its own start; code in Courier New on a grey
ground; links as real hyperlinks; stored images embedded, others by their alt text. A plain-text
document is a paragraph per line. The title goes in the file's properties, not on the page (as
Google Docs exports). python-docx has no API for hyperlinks, shading or paragraph borders: those
few elements are written as WordprocessingML through its oxml helpers.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK
from docx.exceptions import InvalidSpanError
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from collab.content.blocks import (
    Block,
    Code,
    Heading,
    Image,
    ListBlock,
    Paragraph,
    Quote,
    Rule,
    Span,
    Table,
    table_grid,
)
from collab.content.pictures import ImageResolver, as_png_or_jpeg, picture_bytes

MONOSPACE = "Courier New"
LINK_COLOUR = RGBColor(0x05, 0x63, 0xC1)
_DEEPEST = 3  # Word's built-in list styles go three levels deep; deeper ones indent more
BOXES = {True: "☑", False: "☐"}


def rich_docx(blocks: list[Block], title: str, resolve: ImageResolver | None = None) -> bytes:
    """The blocks as a DOCX file titled `title` (in its properties)."""
    document = Document()
    document.core_properties.title = title
    section = document.sections[0]
    width = Emu(
        (section.page_width or Inches(8.5))
        - (section.left_margin or Inches(1))
        - (section.right_margin or Inches(1))
    )
    _Writer(document, resolve, width).blocks(_Body(document), blocks, 0)
    return _save(document)


def text_docx(text: str, title: str) -> bytes:
    """A plain-text document as a DOCX file: a paragraph per line, as typed."""
    document = Document()
    document.core_properties.title = title
    for line in text.split("\n"):
        document.add_paragraph(_clean(line))
    return _save(document)


def _save(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _clean(text: str) -> str:
    """Text XML 1.0 can hold: control characters other than tab and newline are dropped."""
    return "".join(ch for ch in text if ch in "\t\n" or (ord(ch) >= 32 and ch != "\ufffe"))


class _Body:
    """The document body or a table cell, as a place for paragraphs and tables (a new cell
    holds one empty paragraph: it is taken first)."""

    def __init__(self, parent: Any, fresh: DocxParagraph | None = None) -> None:
        self.parent, self.fresh = parent, fresh

    def paragraph(self, style: str | None = None) -> DocxParagraph:
        if self.fresh is not None:
            fresh, self.fresh = self.fresh, None
            if style is not None:
                fresh.style = style
            return fresh
        paragraph: DocxParagraph = self.parent.add_paragraph(style=style)
        return paragraph

    def table(self, rows: int, cols: int) -> DocxTable:
        self.fresh = None
        table: DocxTable = self.parent.add_table(rows=rows, cols=cols)
        return table


class _Writer:
    def __init__(self, document: Any, resolve: ImageResolver | None, width: Emu) -> None:
        self.document, self.resolve, self.width = document, resolve, width

    def blocks(self, body: _Body, blocks: list[Block], depth: int, quote: bool = False) -> None:
        for block in blocks:
            self.block(body, block, depth, quote)

    def block(self, body: _Body, block: Block, depth: int, quote: bool) -> None:
        if isinstance(block, Heading):
            self.spans(body.paragraph(f"Heading {block.level}"), block.spans)
        elif isinstance(block, Paragraph):
            paragraph = body.paragraph("Quote" if quote else None)
            self.spans(paragraph, block.spans)
            if depth:
                paragraph.paragraph_format.left_indent = Inches(0.25 * (depth + 1))
        elif isinstance(block, ListBlock):
            self.items(body, block, depth, quote)
        elif isinstance(block, Quote):
            self.blocks(body, block.blocks, depth, quote=True)
        elif isinstance(block, Code):
            self.code(body.paragraph(), block.text, depth)
        elif isinstance(block, Rule):
            _bottom_border(body.paragraph())
        elif isinstance(block, Image):
            self.image(body.paragraph(), block)
        elif isinstance(block, Table):
            self.table(body, block)

    def items(self, body: _Body, block: ListBlock, depth: int, quote: bool) -> None:
        level = min(depth, _DEEPEST - 1)
        suffix = f" {level + 1}" if level else ""
        for number, item in enumerate(block.items, start=block.start):
            if block.kind == "bullet":
                style, marker = f"List Bullet{suffix}", ""
            elif block.kind == "ordered":
                style, marker = f"List Continue{suffix}", f"{number}.\t"
            else:
                style, marker = f"List Continue{suffix}", f"{BOXES[bool(item.checked)]}\t"
            first, *rest = item.blocks or [Paragraph([])]
            if isinstance(first, Paragraph | Heading):
                paragraph = body.paragraph(style)
                if marker:
                    paragraph.add_run(marker)
                    paragraph.paragraph_format.first_line_indent = Inches(-0.25)
                if depth >= _DEEPEST:
                    paragraph.paragraph_format.left_indent = Inches(0.25 * (depth + 1))
                self.spans(paragraph, first.spans)
            else:
                rest = [first, *rest]
                if marker:
                    body.paragraph(style).add_run(marker.rstrip())
            for inner in rest:
                if isinstance(inner, Paragraph):
                    continued = body.paragraph(f"List Continue{suffix}")
                    self.spans(continued, inner.spans)
                else:
                    self.block(body, inner, depth + 1, quote)

    def spans(self, paragraph: DocxParagraph, spans: list[Span]) -> None:
        for span in spans:
            if span.text == "\n":
                paragraph.add_run().add_break(WD_BREAK.LINE)
                continue
            if span.href:
                self.link(paragraph, span)
            else:
                _format(paragraph.add_run(_clean(span.text)), span)

    def link(self, paragraph: DocxParagraph, span: Span) -> None:
        assert span.href is not None
        r_id = paragraph.part.relate_to(span.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), r_id)
        run = paragraph.add_run(_clean(span.text))
        _format(run, span)
        run.font.color.rgb = LINK_COLOUR
        run.font.underline = True
        # The run moves into the hyperlink element, which takes its place in the paragraph.
        run_element = run._r
        run_element.addprevious(hyperlink)
        hyperlink.append(run_element)

    def code(self, paragraph: DocxParagraph, text: str, depth: int) -> None:
        paragraph.paragraph_format.left_indent = Inches(0.25 * (depth + 1))
        _shade(paragraph, "F2F2F2")
        for index, line in enumerate(text.split("\n")):
            if index:
                paragraph.add_run().add_break(WD_BREAK.LINE)
            run = paragraph.add_run(_clean(line))
            run.font.name = MONOSPACE
            run.font.size = Pt(10)

    def image(self, paragraph: DocxParagraph, image: Image) -> None:
        data = picture_bytes(image.src, self.resolve)
        picture = as_png_or_jpeg(data) if data is not None else None
        if picture is None:
            run = paragraph.add_run(_clean(f"[{image.alt or 'image'}]"))
            run.italic = True
            return
        content, width_px, _ = picture
        width = min(Emu(int(width_px * 914400 / 96)), self.width)
        paragraph.add_run().add_picture(io.BytesIO(content), width=width)

    def table(self, body: _Body, table: Table) -> None:
        grid = table_grid(table)
        if not grid:
            return
        columns = max(len(row) for row in grid)
        word_table = body.table(len(grid), columns)
        word_table.style = "Table Grid"
        for r, row in enumerate(table.rows):
            for cell in row:
                c = next(c for c, slot in enumerate(grid[r]) if slot is cell)
                word_cell = word_table.cell(r, c)
                last_row = min(r + cell.rowspan, len(grid)) - 1
                last_col = min(c + cell.colspan, columns) - 1
                if (last_row, last_col) != (r, c):
                    try:
                        word_cell = word_cell.merge(word_table.cell(last_row, last_col))
                    except InvalidSpanError:  # spans that overlap: the cell stays single
                        pass
                place = _Body(word_cell, word_cell.paragraphs[0])
                blocks = cell.blocks or [Paragraph([])]
                if cell.header:
                    blocks = [_bold(block) for block in blocks]
                self.blocks(place, blocks, 0)


def _bold(block: Block) -> Block:
    if isinstance(block, Paragraph):
        return Paragraph([_with_bold(span) for span in block.spans])
    return block


def _with_bold(span: Span) -> Span:
    return Span(span.text, True, span.italic, span.strike, span.code, span.href)


def _format(run: Any, span: Span) -> None:
    run.bold = span.bold or None
    run.italic = span.italic or None
    if span.strike:
        run.font.strike = True
    if span.code:
        run.font.name = MONOSPACE


def _shade(paragraph: DocxParagraph, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    paragraph._p.get_or_add_pPr().append(shading)


def _bottom_border(paragraph: DocxParagraph) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "999999")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
