"""A document as a PDF, with fpdf2 (pure Python): the blocks are written as the small HTML that
fpdf2's write_html renders (headings, paragraphs with bold, italic, strike, code and links,
nested bullet and numbered lists, task lists with ☐/☑, quotes, code blocks, rules, tables with
their spans, images) on A4 pages. A plain-text document is set in a monospace font, as typed.

Fonts: DejaVu Sans and DejaVu Sans Mono, embedded (subset) when the machine has them (Debian's
fonts-dejavu-core and most Linux distributions put them in a known folder), so Latin, Greek and
Cyrillic print; without them the PDF core fonts (Helvetica, Courier) are used, which know
Latin-1 only: other characters print as "?". The title goes in the PDF's metadata, not on the
page (as Google Docs exports). fpdf2 fetches no resource: only images this module hands it as
bytes are drawn (the rest show their alt text), and its resource policy forbids the rest.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF, FontFace, TextStyle
from fpdf.enums import ResourceAccessPolicy, WrapMode

from collab.content.blocks import (
    Block,
    Cell,
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

FONT_FOLDERS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora, Arch
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
    "/opt/homebrew/share/fonts",
    "/Library/Fonts",
)
_FACES = {"": "", "B": "-Bold", "I": "-Oblique", "BI": "-BoldOblique"}
_RUN = 16
_PAGE_WIDTH_PT = 595.28 - 2 * 56.69  # A4 less two 2 cm margins


@dataclass(frozen=True, slots=True)
class Fonts:
    """The families text is set in, and whether they know more than Latin-1."""

    sans: str
    mono: str
    unicode: bool


def dejavu_folder(folders: tuple[str, ...] = FONT_FOLDERS) -> Path | None:
    """The first folder holding the eight DejaVu Sans (Mono) faces, or None."""
    for folder in folders:
        path = Path(folder)
        names = [f"DejaVuSans{face}.ttf" for face in _FACES.values()]
        names += [f"DejaVuSansMono{face}.ttf" for face in _FACES.values()]
        if all((path / name).is_file() for name in names):
            return path
    return None


def _new_pdf(title: str, font_folder: Path | None) -> tuple[FPDF, Fonts]:
    pdf = FPDF(format="A4")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creator("collab")
    if font_folder is None:
        fonts = Fonts("helvetica", "courier", unicode=False)
    else:
        for style, face in _FACES.items():
            pdf.add_font("DejaVuSans", style, str(font_folder / f"DejaVuSans{face}.ttf"))
            pdf.add_font("DejaVuSansMono", style, str(font_folder / f"DejaVuSansMono{face}.ttf"))
        fonts = Fonts("DejaVuSans", "DejaVuSansMono", unicode=True)
    pdf.set_title(title if fonts.unicode else _latin1(title))
    pdf.add_page()
    return pdf, fonts


def text_pdf(text: str, title: str, font_folders: tuple[str, ...] = FONT_FOLDERS) -> bytes:
    """A plain-text document as a PDF: monospace, lines as typed, long ones wrapped."""
    pdf, fonts = _new_pdf(title, dejavu_folder(font_folders))
    pdf.set_font(fonts.mono, size=9.5)
    body = text.replace("\t", "    ")
    pdf.multi_cell(0, 5, body if fonts.unicode else _latin1(body), wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())


def rich_pdf(
    blocks: list[Block],
    title: str,
    resolve: ImageResolver | None = None,
    font_folders: tuple[str, ...] = FONT_FOLDERS,
) -> bytes:
    """The blocks as a PDF titled `title` (in its metadata); DejaVu from the first of
    `font_folders` that has it, or the core fonts."""
    pdf, fonts = _new_pdf(title, dejavu_folder(font_folders))
    markup = _Markup(fonts, resolve)
    # write_html's tables hold one run of plain text per cell: tables are drawn with fpdf2's
    # table API between the runs of HTML. A run is at most _RUN blocks: write_html lays out
    # each paragraph again with the ones before it in its call (time grows with the square).
    pending: list[str] = []
    for block in [*blocks, None]:
        if isinstance(block, Table) or block is None or len(pending) >= _RUN:
            _write_html(pdf, fonts, "".join(pending))
            pending = []
        if isinstance(block, Table):
            _table(pdf, fonts, markup, block)
        elif block is not None:
            pending.append(markup.block(block))
    return bytes(pdf.output())


def _write_html(pdf: FPDF, fonts: Fonts, markup: str) -> None:
    if not markup:
        return
    pdf.set_font(fonts.sans, size=11)
    pdf.write_html(
        markup,
        font_family=fonts.sans,
        tag_styles=_styles(fonts),
        li_prefix_color=(0, 0, 0),
        warn_on_tags_not_matching=False,
    )


def _table(pdf: FPDF, fonts: Fonts, markup: _Markup, table: Table) -> None:
    """A table with its spans; a cell's blocks as lines of plain text (a picture alone in a
    cell is drawn), header cells bold."""
    grid = table_grid(table)
    if not grid or not grid[0]:
        return
    pdf.set_font(fonts.sans, size=10)
    pdf.ln(2)
    head = all(cell.header for cell in table.rows[0])
    bold = FontFace(emphasis="BOLD")
    with pdf.table(
        first_row_as_headings=head,
        headings_style=bold,
        text_align="LEFT",
        line_height=5,
        padding=1.5,
    ) as drawn:
        for r, row in enumerate(table.rows):
            line = drawn.row()
            for cell in row:
                colspan, rowspan = cell.colspan, min(cell.rowspan, len(grid) - r)
                picture = markup.cell_picture(cell)
                if picture is not None:
                    line.cell(img=picture, img_fill_width=True, colspan=colspan, rowspan=rowspan)
                    continue
                style = bold if cell.header and not head else None
                text = markup.cell_text(cell)
                line.cell(text, style=style, colspan=colspan, rowspan=rowspan)
            for _ in range(grid[r].count(None)):
                line.cell("")
    pdf.ln(2)


def _styles(fonts: Fonts) -> dict[str, TextStyle | FontFace]:
    headings: dict[str, TextStyle | FontFace] = {
        f"h{level}": TextStyle(
            font_family=fonts.sans,
            font_style="B",
            font_size_pt=size,
            color="#000000",
            t_margin=top,
            b_margin=0.4,
        )
        for level, size, top in ((1, 22, 6), (2, 17, 5), (3, 14, 4), (4, 12, 4), (5, 11, 3))
    }
    headings["h6"] = TextStyle(
        font_family=fonts.sans, font_style="B", font_size_pt=10, t_margin=3, b_margin=0.4
    )
    return {
        **headings,
        "a": FontFace(color="#1155cc", emphasis="UNDERLINE"),
        "code": FontFace(family=fonts.mono),
        "pre": TextStyle(font_family=fonts.mono, font_size_pt=9.5, t_margin=3, b_margin=3),
        "blockquote": TextStyle(color="#555555", l_margin=8, t_margin=2, b_margin=2),
        "p": TextStyle(t_margin=1, b_margin=1),
        "li": TextStyle(l_margin=7, t_margin=1),
        "ul": TextStyle(t_margin=1),
        "ol": TextStyle(t_margin=1),
    }


def _latin1(text: str) -> str:
    """What the PDF core fonts can print: other characters become "?"."""
    return text.encode("latin-1", "replace").decode("latin-1")


_SAFE_LINKS = ("http://", "https://", "mailto:")


class _Markup:
    """Blocks as the HTML fpdf2's write_html reads: only elements it renders well."""

    def __init__(self, fonts: Fonts, resolve: ImageResolver | None) -> None:
        self.fonts, self.resolve = fonts, resolve

    def text(self, text: str) -> str:
        return html.escape(text if self.fonts.unicode else _latin1(text))

    def blocks(self, blocks: list[Block]) -> str:
        return "".join(self.block(block) for block in blocks)

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            return f"<h{block.level}>{self.spans(block.spans)}</h{block.level}>"
        if isinstance(block, Paragraph):
            return f"<p>{self.spans(block.spans) or '&nbsp;'}</p>"
        if isinstance(block, ListBlock):
            return self.items(block)
        if isinstance(block, Quote):
            return f"<blockquote>{self.inline_blocks(block.blocks)}</blockquote>"
        if isinstance(block, Code):
            return f"<pre>{self.text(block.text)}</pre>"
        if isinstance(block, Rule):
            return "<hr>"
        if isinstance(block, Image):
            return self.image(block)
        # A table nested in a list or a quote: its text.
        return f"<p>{self.text(_plain(block))}</p>".replace("\n", "<br>")

    def inline_blocks(self, blocks: list[Block]) -> str:
        """Blocks where fpdf2 takes text only (a quote, an item, a cell): lines of text."""
        lines = []
        for block in blocks:
            if isinstance(block, Paragraph | Heading):
                spans = self.spans(block.spans)
                lines.append(f"<b>{spans}</b>" if isinstance(block, Heading) else spans)
            elif isinstance(block, Code):
                lines.append(f"<code>{self.text(block.text)}</code>".replace("\n", "<br>"))
            elif isinstance(block, Image):
                lines.append(self.text(f"[{block.alt or 'image'}]"))
            elif isinstance(block, Quote | ListBlock):
                lines.append(self.inline_blocks(_flatten(block)))
            elif isinstance(block, Table):
                for row in block.rows:
                    lines.append(" | ".join(self.inline_blocks(c.blocks) for c in row))
        return "<br>".join(line for line in lines if line)

    def items(self, block: ListBlock) -> str:
        out = []
        if block.kind == "ordered":
            start = f' start="{block.start}"' if block.start != 1 else ""
            out.append(f"<ol{start}>")
        else:
            out.append('<ul type="\u00a0">' if block.kind == "task" else "<ul>")
        for item in block.items:
            first, *rest = item.blocks or [Paragraph([])]
            if not isinstance(first, Paragraph | Heading):
                rest = [first, *rest]
                first = Paragraph([])
            box = ""
            if block.kind == "task":
                box = (
                    ("☑ " if item.checked else "☐ ")
                    if self.fonts.unicode
                    else ("[x] " if item.checked else "[ ] ")
                )
            line = box + self.spans(first.spans)
            nested = []
            for inner in rest:
                if isinstance(inner, ListBlock):
                    nested.append(self.items(inner))
                elif isinstance(inner, Paragraph | Heading | Code):
                    line += "<br>" + self.inline_blocks([inner])
                else:
                    nested.append(self.block(inner))
            out.append(f"<li>{line}</li>{''.join(nested)}")
        out.append("</ol>" if block.kind == "ordered" else "</ul>")
        return "".join(out)

    def spans(self, spans: list[Span]) -> str:
        out = []
        for span in spans:
            if span.text == "\n":
                out.append("<br>")
                continue
            piece = self.text(span.text)
            if span.code:
                piece = f"<code>{piece}</code>"
            if span.bold:
                piece = f"<b>{piece}</b>"
            if span.italic:
                piece = f"<i>{piece}</i>"
            if span.strike:
                piece = f"<s>{piece}</s>"
            if span.href and span.href.lower().startswith(_SAFE_LINKS):
                piece = f'<a href="{html.escape(span.href, quote=True)}">{piece}</a>'
            out.append(piece)
        return "".join(out)

    def picture(self, image: Image) -> tuple[str, int, int] | None:
        """The picture to draw for an image, as a data: URI with its size in pixels."""
        data = picture_bytes(image.src, self.resolve)
        picture = as_png_or_jpeg(data) if data is not None else None
        if picture is None:
            return None
        content, width_px, height_px = picture
        kind = "jpeg" if content[:2] == b"\xff\xd8" else "png"
        return f"data:image/{kind};base64,{base64.b64encode(content).decode()}", width_px, height_px

    def image(self, image: Image) -> str:
        picture = self.picture(image)
        if picture is None:
            label = self.text(f"[{image.alt or 'image'}]")
            return f"<p><i>{label}</i></p>"
        src, width_px, height_px = picture
        width = min(width_px * 0.75, _PAGE_WIDTH_PT)
        height = height_px * width / width_px
        return f'<p><img src="{src}" width="{width:.1f}" height="{height:.1f}"></p>'

    def cell_picture(self, cell: Cell) -> str | None:
        """A picture alone in a cell, as a data: URI, or None."""
        if len(cell.blocks) != 1 or not isinstance(cell.blocks[0], Image):
            return None
        picture = self.picture(cell.blocks[0])
        return picture[0] if picture is not None else None

    def cell_text(self, cell: Cell) -> str:
        """A cell's blocks as lines of plain text."""
        lines = [_plain(block) for block in cell.blocks]
        text = "\n".join(line for line in lines if line)
        return text if self.fonts.unicode else _latin1(text)


def _plain(block: Block) -> str:
    if isinstance(block, Paragraph | Heading):
        return "".join(span.text for span in block.spans)
    if isinstance(block, Code):
        return block.text
    if isinstance(block, Image):
        return f"[{block.alt or 'image'}]"
    if isinstance(block, Quote | ListBlock):
        return "\n".join(_plain(inner) for inner in _flatten(block))
    if isinstance(block, Table):
        return "\n".join(
            " | ".join(_plain(c) for c in cell.blocks) for row in block.rows for cell in row
        )
    return ""


def _flatten(block: Quote | ListBlock) -> list[Block]:
    if isinstance(block, Quote):
        return block.blocks
    return [inner for item in block.items for inner in item.blocks]
