"""`collab export` and `collab import` against the database, with or without a running server."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText
from pypdf import PdfReader

from tests.launcher import run_collab
from tests.server import ServerProcess
from tests.yclient import YClient


def _collab(*args: str, database_url: str) -> subprocess.CompletedProcess[bytes]:
    return run_collab([*args, "--database-url", database_url])


async def _seed(server: ServerProcess, room: str) -> None:
    async with YClient(server.ws_url, room, ack=True) as client:
        client.append("line one\nline two ünïcode ✓\n")
        client.doc.get("meta", type=Map)["title"] = "Notes"
        await client.wait_for(lambda: client.acked == 3)


async def test_export_formats_while_the_server_runs(server: ServerProcess):
    await _seed(server, "notes")
    text = _collab("export", "notes", "--format", "text", database_url=server.database_url)
    assert text.returncode == 0, text.stderr
    assert text.stdout.decode() == "line one\nline two ünïcode ✓\n"
    as_json = _collab("export", "notes", "--format", "json", database_url=server.database_url)
    assert json.loads(as_json.stdout) == {
        "content": "line one\nline two ünïcode ✓\n",
        "meta": {"title": "Notes"},
    }
    yjs = _collab("export", "notes", "--format", "yjs", database_url=server.database_url)
    doc: Doc[Any] = Doc()
    doc.apply_update(yjs.stdout)
    assert str(doc.get("content", type=Text)).startswith("line one")
    missing = _collab("export", "nothing", database_url=server.database_url)
    assert missing.returncode == 1 and b"does not exist" in missing.stderr
    pdf = _collab("export", "notes", "--format", "pdf", database_url=server.database_url)
    assert pdf.returncode == 0, pdf.stderr
    reader = PdfReader(io.BytesIO(pdf.stdout))
    assert reader.metadata is not None and reader.metadata.title == "notes"  # untitled: its name
    assert "line two" in reader.pages[0].extract_text()
    word = _collab("export", "notes", "--format", "docx", database_url=server.database_url)
    paragraphs = [p.text for p in docx.Document(io.BytesIO(word.stdout)).paragraphs]
    assert paragraphs[:2] == ["line one", "line two ünïcode ✓"]


async def test_round_trips_exactly(server: ServerProcess, tmp_path: Path):
    await _seed(server, "origin")
    url = server.database_url
    for fmt, suffix in (("text", ".txt"), ("yjs", ".yjs")):
        exported = tmp_path / f"origin{suffix}"
        assert (
            _collab(
                "export", "origin", "--format", fmt, "-o", str(exported), database_url=url
            ).returncode
            == 0
        )
        result = _collab("import", f"copy-{fmt}", str(exported), database_url=url)
        assert result.returncode == 0, result.stderr
        again = _collab("export", f"copy-{fmt}", "--format", fmt, database_url=url).stdout
        if fmt == "text":
            assert again == exported.read_bytes()
        else:
            original: Doc[Any] = Doc()
            copy: Doc[Any] = Doc()
            original.apply_update(exported.read_bytes())
            copy.apply_update(again)
            assert copy.get_state() == original.get_state()
            assert str(copy.get("content", type=Text)) == str(original.get("content", type=Text))
    async with YClient(server.ws_url, "copy-yjs") as reader:
        await reader.wait_text("line one\nline two ünïcode ✓\n")


async def test_text_import_is_a_minimal_edit_of_the_stored_document(
    server: ServerProcess, tmp_path: Path
):
    await _seed(server, "edited")
    await server.stop()
    new_text = tmp_path / "new.txt"
    new_text.write_text("line one\nline 2 ünïcode ✓\n")
    assert (
        _collab("import", "edited", str(new_text), database_url=server.database_url).returncode == 0
    )
    await server.start()
    async with YClient(server.ws_url, "edited") as reader:
        await reader.wait_text("line one\nline 2 ünïcode ✓\n")
    bad = tmp_path / "bad.yjs"
    bad.write_bytes(b"\xff\xfe garbage")
    result = _collab("import", "edited", str(bad), database_url=server.database_url)
    assert result.returncode == 1 and b"refused update" in result.stderr


@pytest.mark.slow
async def test_json_round_trips_and_refuses_what_it_cannot_rebuild(
    server: ServerProcess, tmp_path: Path
):
    async with YClient(server.ws_url, "structured", ack=True) as client:
        client.append("Body text ✓\n")
        meta = client.doc.get("meta", type=Map)
        meta["title"] = "Plan"
        meta["tags"] = ["a", "b"]
        meta["count"] = 3
        client.doc.get("items", type=Array).extend(["one", {"two": 2}])
        await client.wait_for(lambda: client.acked == client.sent_updates)
    url = server.database_url
    exported = tmp_path / "structured.json"
    result = _collab(
        "export", "structured", "--format", "json", "-o", str(exported), database_url=url
    )
    assert result.returncode == 0, result.stderr
    result = _collab("import", "structured-copy", str(exported), database_url=url)
    assert result.returncode == 0, result.stderr
    again = _collab("export", "structured-copy", "--format", "json", database_url=url).stdout
    assert json.loads(again) == json.loads(exported.read_bytes())
    # Importing into an existing room edits it to match: a root left out is emptied.
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({"content": "New body\n", "meta": {"title": "Plan B"}}))
    assert _collab("import", "structured-copy", str(changed), database_url=url).returncode == 0
    async with YClient(server.ws_url, "structured-copy") as reader:
        await reader.wait_text("New body\n")
        assert reader.doc.get("meta", type=Map).to_py() == {"title": "Plan B"}
        assert reader.doc.get("items", type=Array).to_py() == []
    for bad, message in (("[1, 2]", b"object of root names"), ('{"x": 5}', b"must be a string")):
        path = tmp_path / "bad.json"
        path.write_text(bad)
        result = _collab("import", "structured-copy", str(path), database_url=url)
        assert result.returncode == 1 and message in result.stderr, result.stderr
    async with YClient(server.ws_url, "rich", ack=True) as writer:
        tree = writer.doc.get("prosemirror", type=XmlFragment)
        tree.children.append(XmlElement("paragraph", None, [XmlText("kept")]))
        await writer.wait_for(lambda: writer.acked == writer.sent_updates)
    path = tmp_path / "rich.json"
    path.write_text(json.dumps({"prosemirror": "<paragraph>replaced</paragraph>"}))
    result = _collab("import", "rich", str(path), database_url=url)
    assert result.returncode == 1 and b"rich text (XML)" in result.stderr, result.stderr
    exported_rich = _collab("export", "rich", "--format", "json", database_url=url).stdout
    assert json.loads(exported_rich) == {"prosemirror": "<paragraph>kept</paragraph>"}


def test_import_refuses_a_room_name_nothing_else_could_address(tmp_path: Path):
    source = tmp_path / "words.txt"
    source.write_text("words")
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    result = _collab("import", "bad/name", str(source), database_url=url)
    assert result.returncode == 1 and b"not a room name" in result.stderr, result.stderr
    listed = _collab("export", "bad/name", database_url=url)
    assert listed.returncode == 1 and b"does not exist" in listed.stderr


def test_markdown_imports_as_rich_text_and_as_text_into_a_plain_room(tmp_path: Path):
    """A .md file makes a rich-text document (its Markdown comes back as written), replaces a
    rich room's content, goes into a plain-text room as its text, as typed, and into a BlockNote
    document as its blocks."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    source = tmp_path / "plan.md"
    source.write_text("# Plan\n\n- [x] ship\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    assert _collab("import", "plan", str(source), database_url=url).returncode == 0
    yjs = _collab("export", "plan", "--format", "yjs", database_url=url).stdout
    doc: Doc[Any] = Doc()
    doc.apply_update(yjs)
    tags = [c.tag for c in doc.get("content", type=XmlFragment).children]
    assert tags == ["heading", "taskList", "table"]
    text = _collab("export", "plan", database_url=url).stdout.decode()
    assert text == "Plan\n\n- [x] ship\n\na\tb\n1\t2\n"
    again = tmp_path / "again.markdown"
    again.write_text("Only *this*\n")
    assert _collab("import", "plan", str(again), database_url=url).returncode == 0
    yjs = _collab("export", "plan", "--format", "yjs", database_url=url).stdout
    doc = Doc()
    doc.apply_update(yjs)
    assert [c.tag for c in doc.get("content", type=XmlFragment).children] == ["paragraph"]
    plain = tmp_path / "plain.txt"
    plain.write_text("typed text\n")
    assert _collab("import", "notes", str(plain), database_url=url).returncode == 0
    into_text = _collab("import", "notes", str(again), database_url=url)
    assert into_text.returncode == 0, into_text.stderr
    assert _collab("export", "notes", database_url=url).stdout == b"Only *this*\n"
    blocknote: Doc[Any] = Doc()
    group = blocknote.get("document-store", type=XmlFragment).children.append(
        XmlElement("blockGroup")
    )
    group.children.append(XmlElement("blockContainer", {"id": "1"}))
    stored = tmp_path / "blocknote.yjs"
    stored.write_bytes(blocknote.get_update())
    assert _collab("import", "bn", str(stored), database_url=url).returncode == 0
    # Into a BlockNote document: BlockNote's blocks (tests/content/test_blocknote.py reads them
    # back with BlockNote itself), not Tiptap's nodes beside them.
    into_blocknote = _collab("import", "bn", str(again), database_url=url)
    assert into_blocknote.returncode == 0, into_blocknote.stderr
    yjs = _collab("export", "bn", "--format", "yjs", database_url=url).stdout
    doc = Doc()
    doc.apply_update(yjs)
    (top,) = doc.get("document-store", type=XmlFragment).children
    assert isinstance(top, XmlElement) and top.tag == "blockGroup"
    assert _collab("export", "bn", database_url=url).stdout == b"Only this\n"
