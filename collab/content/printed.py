"""A document as a file to print or edit elsewhere: PDF or DOCX, from its Yjs update. A rich
document (an XmlFragment) keeps its structure (collab/content/blocks.py); a plain one prints as
its text. CPU-bound: callers run it in a worker thread (it builds its own Doc from the update,
so no pycrdt object crosses threads)."""

from __future__ import annotations

from pycrdt import Text, XmlFragment

from collab.content.blocks import document_blocks, image_sources
from collab.content.export import doc_from_update, root_kind
from collab.content.pictures import ImageResolver
from collab.content.roots import content_root

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILE_FORMATS = {"pdf": PDF, "docx": DOCX}
ENDINGS = {PDF: "pdf", DOCX: "docx"}


def printed_file(
    update: bytes, media: str, title: str, resolve: ImageResolver | None = None
) -> bytes:
    """The document in `update` as a PDF or DOCX file (`media`), titled `title`."""
    # The writers (fpdf2 with fontTools, python-docx with lxml) load with the first printed
    # file: an idle server holds neither.
    from collab.content.docxfile import rich_docx, text_docx
    from collab.content.pdffile import rich_pdf, text_pdf

    doc = doc_from_update(update)
    name = content_root(doc)
    if root_kind(update, name) == "xml":
        blocks = document_blocks(doc.get(name, type=XmlFragment))
        if media == PDF:
            return rich_pdf(blocks, title, resolve)
        return rich_docx(blocks, title, resolve)
    text = str(doc.get(name, type=Text)) if name in doc.keys() else ""
    return text_pdf(text, title) if media == PDF else text_docx(text, title)


def printed_images(update: bytes) -> list[str]:
    """The src of every image of a rich document, to look up before printing it."""
    doc = doc_from_update(update)
    name = content_root(doc)
    if root_kind(update, name) != "xml":
        return []
    return image_sources(document_blocks(doc.get(name, type=XmlFragment)))
