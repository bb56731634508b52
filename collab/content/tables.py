"""Tables of rich-text documents as text, Markdown and HTML.

Tiptap (@tiptap/extension-table, through y-prosemirror) and BlockNote keep a table the same way:
a `table` element of `tableRow`s, each of `tableHeader` or `tableCell` elements with `colspan`
and `rowspan` attributes (Tiptap adds `colwidth`). A Tiptap cell holds blocks (paragraphs,
lists...); a BlockNote cell one `tableParagraph`. The caller renders a cell's content (it knows
the blocks); this module lays the cells out.

Text: a line per row, cells separated by tabs (what spreadsheets paste). Markdown: a GitHub
table whose first row is the header, whether or not the table marks one (GFM tables must have
one; an empty header row would read as a blank bar), each column aligned as its first cell
says (Tiptap's `align`). In both, a cell spanning columns or rows
leaves empty cells where it spans, so the columns line up. HTML: <thead> for the leading rows
made only of header cells, <tbody> for the rest, spans kept.
"""

from __future__ import annotations

from collections.abc import Callable

from pycrdt import XmlElement

_MAX_SPAN = 1000
_ALIGNS = {"left": ":---", "center": ":---:", "right": "---:"}


def rows(table: XmlElement) -> list[list[XmlElement]]:
    """The table's cells, row by row."""
    found = (row for row in table.children if isinstance(row, XmlElement) and row.tag == "tableRow")
    return [[cell for cell in row.children if isinstance(cell, XmlElement)] for row in found]


def span(cell: XmlElement, name: str) -> int:
    """The cell's `colspan` or `rowspan` (1 when absent or not a sensible number)."""
    try:
        value = int(dict(cell.attributes.__iter__()).get(name) or 1)
    except (TypeError, ValueError, OverflowError):
        return 1
    return value if 1 <= value < _MAX_SPAN else 1


def align(cell: XmlElement) -> str | None:
    """The cell's `align` (Tiptap's left, center or right), or None."""
    value = dict(cell.attributes.__iter__()).get("align")
    return value if isinstance(value, str) and value in _ALIGNS else None


def _grid(cells: list[list[str]], spans: list[list[tuple[int, int]]]) -> list[list[str]]:
    """Rendered cells placed on a grid: a spanning cell's other places are empty strings."""
    grid: list[list[str]] = []
    taken: dict[tuple[int, int], bool] = {}
    for r, (row, row_spans) in enumerate(zip(cells, spans, strict=True)):
        line: list[str] = []
        column = 0
        for content, (colspan, rowspan) in zip(row, row_spans, strict=True):
            while taken.get((r, column)):
                line.append("")
                column += 1
            line.append(content)
            line.extend([""] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    taken[(r + dr, column + dc)] = True
            column += colspan
        while taken.get((r, column)):
            line.append("")
            column += 1
        grid.append(line)
    return grid


def _spans(table: list[list[XmlElement]]) -> list[list[tuple[int, int]]]:
    return [[(span(cell, "colspan"), span(cell, "rowspan")) for cell in row] for row in table]


def text_table(table: XmlElement, cell_text: Callable[[XmlElement], str], indent: str) -> str:
    """A line per row, cells separated by tabs; `cell_text` gives a cell's words."""
    cells = rows(table)
    if not cells:
        return ""
    texts = [[" ".join(cell_text(cell).split()) for cell in row] for row in cells]
    grid = _grid(texts, _spans(cells))
    return "".join(f"{indent}{chr(9).join(line)}".rstrip() + "\n" for line in grid) + "\n"


def markdown_table(
    table: XmlElement, cell_markdown: Callable[[XmlElement], str], indent: str
) -> str:
    """A GitHub table, its first row the header; `cell_markdown` gives a cell's Markdown (lines
    in a cell are joined with <br>, `|` escaped)."""
    cells = rows(table)
    if not cells:
        return ""
    texts = [[_markdown_cell(cell_markdown(cell)) for cell in row] for row in cells]
    grid = _grid(texts, _spans(cells))
    width = max(len(line) for line in grid)

    def line(parts: list[str]) -> str:
        parts = parts + [""] * (width - len(parts))
        return f"{indent}| " + " | ".join(parts) + " |\n"

    rule = [""] * width  # each column aligned as its first row's cell says
    for cell, at in zip(cells[0], _columns(_spans(cells)[0]), strict=True):
        rule[at] = _ALIGNS.get(align(cell) or "", "")
    rule = [part or "---" for part in rule]
    return line(grid[0]) + line(rule) + "".join(line(r) for r in grid[1:]) + "\n"


def _columns(spans: list[tuple[int, int]]) -> list[int]:
    """The column each cell of the first row starts at."""
    starts, column = [], 0
    for colspan, _ in spans:
        starts.append(column)
        column += colspan
    return starts


def _markdown_cell(markdown: str) -> str:
    lines = [" ".join(line.split()) for line in markdown.split("\n")]
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def html_table(table: XmlElement, cell_html: Callable[[XmlElement], str]) -> str:
    """<table> with <thead> (the leading rows of header cells) and <tbody>; `cell_html` gives a
    cell's inner HTML."""
    cells = rows(table)
    head = 0
    while head < len(cells) and cells[head] and all(c.tag == "tableHeader" for c in cells[head]):
        head += 1
    out = ["<table>"]
    if head:
        out.append("<thead>" + "".join(_html_row(row, cell_html) for row in cells[:head]))
        out.append("</thead>")
    if head < len(cells):
        out.append("<tbody>" + "".join(_html_row(row, cell_html) for row in cells[head:]))
        out.append("</tbody>")
    return "".join(out) + "</table>"


def _html_row(row: list[XmlElement], cell_html: Callable[[XmlElement], str]) -> str:
    return "<tr>" + "".join(_html_cell(cell, cell_html) for cell in row) + "</tr>"


def _html_cell(cell: XmlElement, cell_html: Callable[[XmlElement], str]) -> str:
    name = "th" if cell.tag == "tableHeader" else "td"
    attributes: list[str] = []
    if align(cell):
        attributes.append(f' style="text-align: {align(cell)}"')
    for which in ("colspan", "rowspan"):
        value = span(cell, which)
        if value > 1:
            attributes.append(f' {which}="{value}"')
    return f"<{name}{''.join(attributes)}>{cell_html(cell)}</{name}>"
