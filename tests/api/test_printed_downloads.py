"""GET /api/rooms/{room}/snapshot?format=pdf|docx (issue 25, item 5): the document as a PDF or a
Word file named after its title, for readers only, on SQLite and PostgreSQL; versions too."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import unquote

import docx
import httpx
from pypdf import PdfReader

from collab.client import CollabClient
from tests.auth.test_websocket_auth import SECRET, token
from tests.conftest import ServerFactory
from tests.content.printdocs import every_node_document
from tests.server import ServerProcess

YJS = {"Content-Type": "application/octet-stream"}
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _file_name(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


async def test_a_rich_document_downloads_as_pdf_and_docx(any_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=f"{any_server.http_url}/api/rooms", timeout=60) as http:
        assert (await http.put("/printing")).status_code == 201
        update = every_node_document().get_update()
        assert (await http.post("/printing/updates", content=update, headers=YJS)).is_success
        renamed = await http.patch("/printing", json={"title": "Plan für 2027: Q1"})
        assert renamed.status_code == 200, renamed.text
        pdf = await http.get("/printing/snapshot", params={"format": "pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == PDF
        assert _file_name(pdf) == "Plan für 2027- Q1.pdf"
        reader = PdfReader(io.BytesIO(pdf.content))
        assert reader.metadata is not None and reader.metadata.title == "Plan für 2027: Q1"
        assert "Привет" in reader.pages[0].extract_text()
        word = await http.get("/printing/snapshot", headers={"Accept": DOCX})
        assert word.status_code == 200 and word.headers["content-type"] == DOCX
        assert _file_name(word) == "Plan für 2027- Q1.docx"
        document = docx.Document(io.BytesIO(word.content))
        assert document.core_properties.title == "Plan für 2027: Q1"
        assert document.paragraphs[0].style is not None
        assert document.paragraphs[0].style.name == "Heading 1"
        # The stored image is not served on this branch: its alt text shows, nothing fetched.
        assert any(p.text == "[a cat]" for p in document.paragraphs)
        # A rename changes the file (its title), so its ETag.
        etag = pdf.headers["etag"]
        same = await http.get(
            "/printing/snapshot", params={"format": "pdf"}, headers={"If-None-Match": etag}
        )
        assert same.status_code == 304
        assert (await http.patch("/printing", json={"title": "Other"})).status_code == 200
        again = await http.get(
            "/printing/snapshot", params={"format": "pdf"}, headers={"If-None-Match": etag}
        )
        assert again.status_code == 200 and _file_name(again) == "Other.pdf"
        # A version downloads the same way.
        version = (await http.post("/printing/versions", json={"label": "v1"})).json()["id"]
        old = await http.get("/printing/snapshot", params={"format": "docx", "version": version})
        assert old.status_code == 200 and old.headers["content-type"] == DOCX
        assert docx.Document(io.BytesIO(old.content)).paragraphs[0].text == "Plan Ωμέγα Привет"


async def test_a_plain_document_prints_in_monospace(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/rooms", timeout=60) as http:
        assert (await http.put("/notes")).status_code == 201
        edit = {"text": "# Notes\nline two\n"}
        assert (await http.patch("/notes/text", json=edit)).status_code == 200
        pdf = await http.get("/notes/snapshot", params={"format": "pdf"})
        assert pdf.headers["content-type"] == PDF and _file_name(pdf) == "notes.pdf"
        fonts = pdf.content.count(b"Mono") + pdf.content.count(b"/Courier")
        assert fonts > 0
        text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert "# Notes" in text and "line two" in text
        # More downloads at once than are printed at once: they wait their turn.
        many = await asyncio.gather(
            *(http.get("/notes/snapshot", params={"format": fmt}) for fmt in ["pdf", "docx"] * 3)
        )
        assert [answer.status_code for answer in many] == [200] * 6
    async with CollabClient(server.http_url) as client:
        word = await client.snapshot_file("notes", "docx")
        paragraphs = [p.text for p in docx.Document(io.BytesIO(word)).paragraphs]
        assert paragraphs[:2] == ["# Notes", "line two"]
        assert (await client.snapshot_file("notes", "pdf")).startswith(b"%PDF-")


async def test_only_readers_download_pdf_and_docx(
    make_server: ServerFactory, sqlite_url: str
) -> None:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    admin = {"Authorization": f"Bearer {token('secret*', 'admin')}"}
    viewer = {"Authorization": f"Bearer {token('secret', 'viewer')}"}
    stranger = {"Authorization": f"Bearer {token('other', 'admin')}"}
    async with httpx.AsyncClient(base_url=f"{server.http_url}/api/rooms", timeout=60) as http:
        assert (await http.put("/secret", headers=admin)).status_code == 201
        for fmt in ("pdf", "docx"):
            url = f"/secret/snapshot?format={fmt}"
            assert (await http.get(url)).status_code == 401
            assert (await http.get(url, headers=stranger)).status_code == 403
            allowed = await http.get(url, headers=viewer)
            assert allowed.status_code == 200 and len(allowed.content) > 500
