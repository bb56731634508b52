"""A rich-text document (Tiptap's XmlFragment) is served as text, Markdown and HTML, and its
versions show its text, not an empty string (issue 10, item 2)."""

from __future__ import annotations

import httpx

from tests.protocol.richdocs import tiptap_document
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}

MARKDOWN = """## Plan

Ship **bold** and [docs](https://example.org/a?b=1&c=2) \\<now>

- one
- two

- [x] write
- [ ] test

> *Quoted*

```py
x = 1
```

---
"""

HTML = (
    '<h2>Plan</h2><p>Ship <strong>bold</strong> and <a href="https://example.org/a?b=1&amp;c=2">'
    "docs</a> &lt;now&gt;</p><ul><li><p>one</p></li><li><p>two</p></li></ul>"
    '<ul data-type="taskList"><li data-type="taskItem" data-checked="true"><label><input '
    'type="checkbox" disabled checked> write</label></li><li data-type="taskItem" '
    'data-checked="false"><label><input type="checkbox" disabled> test</label></li></ul>'
    "<blockquote><p><em>Quoted</em></p></blockquote><pre><code "
    'class="language-py">x = 1</code></pre><hr>'
)


async def test_a_rich_document_as_text_markdown_and_html(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/rich")).status_code in (200, 201)
        update = tiptap_document().get_update()
        assert (await http.post("/rich/updates", content=update, headers=YJS)).is_success
        markdown = await http.get("/rich/snapshot", headers={"Accept": "text/markdown"})
        assert markdown.headers["content-type"].startswith("text/markdown")
        assert markdown.text == MARKDOWN
        page = await http.get("/rich/snapshot", params={"format": "html"})
        assert page.headers["content-type"].startswith("text/html") and page.text == HTML
        text = (await http.get("/rich/snapshot", params={"format": "text"})).text
        assert text.startswith("Plan\n\nShip bold and docs <now>\n\n- one\n- two\n")
        assert "- [x] write" in text and "x = 1" in text
        version = (await http.post("/rich/versions", json={"label": "v1"})).json()["id"]
        viewed = (await http.get(f"/rich/versions/{version}")).json()
        assert viewed["text"] == text
        plain = await http.get("/rich/snapshot", params={"format": "markdown"})
        assert plain.text == MARKDOWN


async def test_a_plain_document_is_its_own_markdown_and_escaped_html(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/plain")).status_code in (200, 201)
        edit = {"text": "# Notes\n<b>not bold</b>\n"}
        assert (await http.patch("/plain/text", json=edit)).status_code == 200
        markdown = (await http.get("/plain/snapshot", params={"format": "markdown"})).text
        assert markdown == "# Notes\n<b>not bold</b>\n"
        page = (await http.get("/plain/snapshot", params={"format": "html"})).text
        assert page == "<pre># Notes\n&lt;b&gt;not bold&lt;/b&gt;\n</pre>"


async def test_a_standalone_html_snapshot_is_a_whole_page(server: ServerProcess):
    """Issue 25, item 8: the HTML download was a fragment with no doctype or charset; task items
    showed a bullet, then a box, then their text on the next line."""
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as http:
        made = await http.post("/rooms", json={"title": "Plan <v2> & co", "kind": "rich"})
        assert made.status_code == 201, made.text
        room = made.json()["name"]
        update = tiptap_document().get_update()
        assert (await http.post(f"/rooms/{room}/updates", content=update, headers=YJS)).is_success
        asked = {"format": "html", "standalone": "true"}
        french = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"}
        page = await http.get(f"/rooms/{room}/snapshot", params=asked, headers=french)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert "Accept-Language" in page.headers["vary"]
        head, body = page.text.split("<body>")
        assert head.startswith(
            '<!doctype html>\n<html lang="fr-CH">\n<head>\n<meta charset="utf-8">'
        )
        assert "<title>Plan &lt;v2&gt; &amp; co</title>" in head
        assert 'ul[data-type="taskList"]{list-style:none' in head
        assert body == f"\n<main>\n{HTML}\n</main>\n</body>\n</html>\n"
        fragment = await http.get(f"/rooms/{room}/snapshot", params={"format": "html"})
        assert fragment.text == HTML and fragment.headers["etag"] != page.headers["etag"]
        english = await http.get(f"/rooms/{room}/snapshot", params=asked)
        assert english.text.startswith('<!doctype html>\n<html lang="en">')
        assert english.headers["etag"] != page.headers["etag"]
        # A version too; a format other than HTML is as it was.
        version = (await http.post(f"/rooms/{room}/versions", json={"label": "v1"})).json()["id"]
        old = await http.get(f"/rooms/{room}/snapshot", params={**asked, "version": version})
        assert old.text == english.text
        text = await http.get(
            f"/rooms/{room}/snapshot", params={"format": "text", "standalone": "1"}
        )
        assert text.text.startswith("Plan\n")


async def test_html_keeps_no_link_that_could_run_script(server: ServerProcess):
    """A link mark is the client's to write: a javascript:, data: or disguised scheme must not
    reach the HTML the server serves (its text stays, without the link)."""
    from typing import Any

    from pycrdt import Doc, XmlElement, XmlFragment, XmlText

    doc: Doc[Any] = Doc()
    paragraph = doc.get("content", type=XmlFragment).children.append(XmlElement("paragraph"))
    text = paragraph.children.append(XmlText())
    for content, href in (
        ("one", "javascript:alert(1)"),
        (" two", "data:text/html,<script>alert(1)</script>"),
        (" three", "java\tscript:alert(1)"),
        (" four", "https://example.org/"),
        (" five", "/d/other"),
    ):
        text.insert(len(text), content, {"link": {"href": href}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert (await http.put("/links")).status_code in (200, 201)
        posted = await http.post("/links/updates", content=doc.get_update(), headers=YJS)
        assert posted.is_success
        page = await http.get("/links/snapshot", params={"format": "html"})
    assert page.text == (
        '<p>one two three<a href="https://example.org/"> four</a><a href="/d/other"> five</a></p>'
    )
