"""An image node of a rich document (Tiptap's `image`, with `src` and `alt`) shows in every
rendering: `[image: alt]` in text, `![alt](src)` in Markdown, `<img src alt>` in HTML; a src
that is neither http(s) nor a path on this server is dropped; a version restore brings the
node back."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}
SRC = "/api/rooms/pics/images/AbC_d-123"


def pictured() -> Doc[Any]:
    doc: Doc[Any] = Doc()
    content = doc.get("content", type=XmlFragment)
    paragraph = content.children.append(XmlElement("paragraph"))
    paragraph.children.append(XmlText("Before"))
    content.children.append(XmlElement("image", {"src": SRC, "alt": 'A red "dot" [1]'}))
    content.children.append(XmlElement("image", {"src": "javascript:alert(1)", "alt": ""}))
    return doc


async def test_image_nodes_in_text_markdown_and_html_and_after_a_restore(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/pics", json={"kind": "rich"})).status_code == 201
        doc = pictured()
        assert (await http.post("/pics/updates", content=doc.get_update(), headers=YJS)).is_success

        async def shown(fmt: str) -> str:
            answer = await http.get("/pics/snapshot", params={"format": fmt})
            assert answer.status_code == 200, answer.text
            return answer.text

        assert await shown("text") == 'Before\n\n[image: A red "dot" [1]]\n\n[image]\n'
        assert await shown("markdown") == (f'Before\n\n![A red "dot" \\[1\\]]({SRC})\n\n![]()\n')
        assert await shown("html") == (
            f'<p>Before</p><img src="{SRC}" alt="A red &quot;dot&quot; [1]"><img src="" alt="">'
        )
        version = (await http.post("/pics/versions", json={"label": "v1"})).json()["id"]
        emptied: Doc[Any] = Doc()
        emptied.apply_update(doc.get_update())
        fragment = emptied.get("content", type=XmlFragment)
        before = emptied.get_state()
        del fragment.children[1]
        cut = emptied.get_update(before)
        assert (await http.post("/pics/updates", content=cut, headers=YJS)).is_success
        assert "image: A red" not in await shown("text")
        restored = await http.post(f"/pics/versions/{version}/restore", json={})
        assert restored.status_code == 200, restored.text
        assert await shown("markdown") == f'Before\n\n![A red "dot" \\[1\\]]({SRC})\n\n![]()\n'
