"""A printed document embeds the images its room stores (issue 25, item 5): an image node whose
src is /api/rooms/ROOM/images/ID is drawn from the database, also when ROOM is the room a copy
came from; nothing else is read. Runs once the images store (its own branch) is merged."""

from __future__ import annotations

import io
from typing import Any

import docx
import httpx
import pytest
from pycrdt import Doc, XmlElement, XmlFragment, XmlText
from pypdf import PdfReader

from collab.store.base import Store
from tests.content.printdocs import picture
from tests.server import ServerProcess

pytestmark = pytest.mark.skipif(
    not hasattr(Store, "images"), reason="the images store is not on this branch yet"
)
YJS = {"Content-Type": "application/octet-stream"}


def _with_images(*sources: str) -> bytes:
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    paragraph = content.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText("Pictures"))
    for number, src in enumerate(sources):
        content.children.append(XmlElement("image", {"src": src, "alt": f"picture {number}"}))
    return doc.get_update()


async def test_stored_images_are_embedded_and_nothing_else(any_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=f"{any_server.http_url}/api/rooms", timeout=60) as http:
        assert (await http.put("/album", json={"kind": "rich"})).status_code == 201
        sent = await http.post("/album/images", content=picture(80, 40), headers=YJS)
        assert sent.status_code == 201, sent.text
        image = sent.json()
        copied = f"/api/rooms/elsewhere/images/{image['id']}"  # a copy keeps the old src
        missing = "/api/rooms/album/images/not-there"
        update = _with_images(image["url"], copied, missing, "https://example.org/x.png")
        assert (await http.post("/album/updates", content=update, headers=YJS)).is_success
        pdf = await http.get("/album/snapshot", params={"format": "pdf"})
        reader = PdfReader(io.BytesIO(pdf.content))
        assert len(reader.pages[0].images) == 1  # one picture, drawn twice
        drawn = reader.pages[0].get_contents()
        assert drawn is not None and drawn.get_data().count(b" Do") == 2
        text = reader.pages[0].extract_text()
        assert "[picture 2]" in text and "[picture 3]" in text
        word = await http.get("/album/snapshot", params={"format": "docx"})
        document = docx.Document(io.BytesIO(word.content))
        assert len(document.inline_shapes) == 2
        assert [p.text for p in document.paragraphs][-2:] == ["[picture 2]", "[picture 3]"]
