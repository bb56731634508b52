"""BlockNote documents (issue 24, item 3): the real editor's blocks, made into the Yjs document a
BlockNote editor keeps (npm @blocknote/core and @blocknote/server-util under Node,
tests/interop/node_blocknote.mjs), render to text, Markdown and HTML; BlockNote reads the
Markdown and HTML back into the same blocks; versions show their text and diffs; a restore
brings the tree back as BlockNote wrote it."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import XmlElement, XmlFragment, XmlText

from tests.launcher import run_collab_text
from tests.server import ServerProcess
from tests.yclient import YClient

INTEROP = Path(__file__).parent.parent / "interop"
SCRIPT = INTEROP / "node_blocknote.mjs"
YJS = {"Content-Type": "application/octet-stream"}
ROOT = "document-store"  # where a BlockNote editor keeps its blocks


def _text(text: str, **styles: bool) -> dict[str, Any]:
    return {"type": "text", "text": text, "styles": styles}


# What BlockNote's own Markdown and HTML exports keep too: read back, they give these blocks.
KEPT: list[dict[str, Any]] = [
    {"type": "heading", "props": {"level": 1}, "content": "Launch plan"},
    {
        "type": "paragraph",
        "content": [
            _text("Ship "),
            _text("bold", bold=True),
            _text(", "),
            _text("italic", italic=True),
            _text(" and "),
            _text("x < y", code=True),
            _text(" with "),
            {"type": "link", "href": "https://example.org/a?b=1&c=2", "content": "docs"},
            _text(" (2 * 3 = 6)"),
        ],
    },
    {"type": "heading", "props": {"level": 2}, "content": "Steps"},
    {
        "type": "numberedListItem",
        "content": "Write",
        "children": [
            {"type": "bulletListItem", "content": "tests first"},
            {"type": "bulletListItem", "content": "then code"},
        ],
    },
    {"type": "numberedListItem", "content": "Review"},
    {"type": "numberedListItem", "content": "Release"},
    {"type": "heading", "props": {"level": 3}, "content": "Checks"},
    {"type": "checkListItem", "props": {"checked": True}, "content": "CI green"},
    {"type": "checkListItem", "props": {"checked": False}, "content": "Docs & notes"},
    {
        "type": "table",
        "content": {
            "type": "tableContent",
            "headerRows": 1,
            "rows": [
                {"cells": ["Team", "Owner"]},
                {"cells": ["Web", "Ada | Bo"]},
                {"cells": ["API", "Cy"]},
            ],
        },
    },
    {
        "type": "image",
        "props": {
            "url": "https://example.org/chart.png",
            "caption": "Burn-down chart",
            "name": "chart.png",
        },
    },
    {
        "type": "codeBlock",
        "props": {"language": "python"},
        "content": "def ship():\n    return True",
    },
    {"type": "quote", "content": "Done is <better> than perfect"},
]

# What no export keeps as it is: an image whose URL is not http(s) (its caption only), blocks
# nested under a paragraph (they follow it), and the empty block BlockNote keeps at the end.
BLOCKS = [
    *KEPT,
    {"type": "image", "props": {"url": "javascript:alert(1)", "caption": "Not shown"}},
    {
        "type": "paragraph",
        "content": "Parent",
        "children": [{"type": "paragraph", "content": "Nested child"}],
    },
    {"type": "paragraph", "content": ""},
]

TEXT = """Launch plan

Ship bold, italic and x < y with docs (2 * 3 = 6)

Steps

1. Write
   - tests first
   - then code
2. Review
3. Release

Checks

- [x] CI green
- [ ] Docs & notes

Team\tOwner
Web\tAda | Bo
API\tCy

Burn-down chart

def ship():
    return True

  Done is <better> than perfect

Not shown

Parent

  Nested child
"""

MARKDOWN = """# Launch plan

Ship **bold**, *italic* and `x < y` with [docs](https://example.org/a?b=1&c=2) (2 \\* 3 = 6)

## Steps

1. Write
   - tests first
   - then code
2. Review
3. Release

### Checks

- [x] CI green
- [ ] Docs & notes

| Team | Owner |
| --- | --- |
| Web | Ada \\| Bo |
| API | Cy |

![Burn-down chart](https://example.org/chart.png)

```python
def ship():
    return True
```

> Done is \\<better> than perfect

Not shown

Parent

Nested child
"""

# The document of KEPT blocks alone.
KEPT_TEXT = TEXT[: TEXT.index("Not shown")].rstrip("\n") + "\n"
KEPT_MARKDOWN = MARKDOWN[: MARKDOWN.index("Not shown")].rstrip("\n") + "\n"

HTML = (
    "<h1>Launch plan</h1>"
    "<p>Ship <strong>bold</strong>, <em>italic</em> and <code>x &lt; y</code> with "
    '<a href="https://example.org/a?b=1&amp;c=2">docs</a> (2 * 3 = 6)</p>'
    "<h2>Steps</h2>"
    "<ol><li><p>Write</p><ul><li><p>tests first</p></li><li><p>then code</p></li></ul></li>"
    "<li><p>Review</p></li><li><p>Release</p></li></ol>"
    "<h3>Checks</h3>"
    '<ul data-type="taskList"><li data-type="taskItem" data-checked="true"><label><input '
    'type="checkbox" disabled checked> CI green</label></li><li data-type="taskItem" '
    'data-checked="false"><label><input type="checkbox" disabled> Docs &amp; notes</label></li>'
    "</ul>"
    "<table><thead><tr><th>Team</th><th>Owner</th></tr></thead>"
    "<tbody><tr><td>Web</td><td>Ada | Bo</td></tr><tr><td>API</td><td>Cy</td></tr></tbody></table>"
    '<figure><img src="https://example.org/chart.png" alt="Burn-down chart">'
    "<figcaption>Burn-down chart</figcaption></figure>"
    '<pre><code class="language-python">def ship():\n    return True</code></pre>'
    "<blockquote><p>Done is &lt;better&gt; than perfect</p></blockquote>"
    "<p>Not shown</p>"
    "<p>Parent</p><p>Nested child</p><p></p>"
)


def _require_blocknote() -> str:
    node = shutil.which("node")
    if node is not None and (INTEROP / "node_modules" / "@blocknote" / "server-util").is_dir():
        return node
    reason = "BlockNote under Node: install Node.js 20.19+ and run `npm ci` in tests/interop/"
    if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


async def _blocknote(*commands: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the commands in one BlockNote process (tests/interop/node_blocknote.mjs)."""
    process = await asyncio.create_subprocess_exec(
        _require_blocknote(),
        str(SCRIPT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(json.dumps(commands).encode()), 60)
    assert process.returncode == 0, stderr.decode()
    answers: list[dict[str, Any]] = json.loads(stdout)
    return answers


def _bytes(update: str) -> bytes:
    return base64.urlsafe_b64decode(update + "=" * (-len(update) % 4))


def _b64(update: bytes) -> str:
    return base64.urlsafe_b64encode(update).decode().rstrip("=")


async def _create(http: httpx.AsyncClient, room: str, update: str) -> None:
    """Create the room and write the document into it."""
    assert (await http.put(f"/{room}")).status_code == 201
    await _post(http, room, update)


async def _post(http: httpx.AsyncClient, room: str, update: str) -> None:
    response = await http.post(f"/{room}/updates", content=_bytes(update), headers=YJS)
    assert response.status_code == 200, response.text


async def _snapshot(http: httpx.AsyncClient, room: str, fmt: str, **params: Any) -> str:
    response = await http.get(f"/{room}/snapshot", params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response.text


async def _save(http: httpx.AsyncClient, room: str, label: str) -> int:
    response = await http.post(f"/{room}/versions", json={"label": label})
    assert response.status_code == 201, response.text
    version: int = response.json()["id"]
    return version


def _tree(node: Any) -> Any:
    """An XML tree as nested tuples: attributes sorted (pycrdt renders them in no set order),
    unset ones (undefined, which pycrdt reads as None) left out; text as its formatted runs."""
    if isinstance(node, XmlText):
        return tuple((chunk[0], json.dumps(chunk[1:], sort_keys=True)) for chunk in node.diff())
    attributes = {}
    if isinstance(node, XmlElement):
        attributes = {k: v for k, v in node.attributes.__iter__() if v is not None}
    tag = node.tag if isinstance(node, XmlElement) else None
    return (tag, sorted(attributes.items()), tuple(_tree(child) for child in node.children))


def _inline(content: Any) -> list[tuple[str, tuple[str, ...], str]]:
    """Inline content as (text, styles, link target) runs, adjacent runs alike merged."""
    runs: list[tuple[str, tuple[str, ...], str]] = []
    for item in content if isinstance(content, list) else []:
        inner = item["content"] if item["type"] == "link" else [item]
        for run in inner:
            key = (tuple(sorted(run.get("styles", {}))), item.get("href", ""))
            if runs and runs[-1][1:] == key:
                runs[-1] = (runs[-1][0] + run["text"], *key)
            else:
                runs.append((run["text"], *key))
    return runs


def _outline(blocks: list[dict[str, Any]], depth: int = 0) -> list[Any]:
    """What the blocks say, leaving out ids, colours, alignment and empty paragraphs."""
    shown = ("level", "checked", "language", "url", "start")
    out: list[Any] = []
    for block in blocks:
        content: Any = block.get("content")
        if block["type"] == "paragraph" and not content and not block.get("children"):
            continue
        if block["type"] == "table":
            text: Any = [
                [_inline(cell["content"]) for cell in row["cells"]] for row in content["rows"]
            ]
            text.append(content.get("headerRows"))
        else:
            text = _inline(content)
        props = {key: value for key, value in block["props"].items() if key in shown}
        out.append((depth, block["type"], props, text))
        out.extend(_outline(block.get("children", []), depth + 1))
    return out


async def test_a_blocknote_document_as_text_markdown_and_html(server: ServerProcess):
    (made,) = await _blocknote({"make": {"blocks": BLOCKS}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "plan", made["update"])
        assert await _snapshot(http, "plan", "text") == TEXT
        assert await _snapshot(http, "plan", "markdown") == MARKDOWN
        assert await _snapshot(http, "plan", "html") == HTML
        assert (await http.get("/plan")).json()["kind"] == "rich"


async def test_blocknote_reads_the_markdown_and_html_back_into_the_same_blocks(
    server: ServerProcess,
):
    (made,) = await _blocknote({"make": {"blocks": KEPT}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "kept", made["update"])
        markdown = await _snapshot(http, "kept", "markdown")
        page = await _snapshot(http, "kept", "html")
    from_markdown, from_html = await _blocknote(
        {"parse": {"markdown": markdown}}, {"parse": {"html": page}}
    )
    expected = _outline(made["blocks"])
    assert [block[1] for block in expected] == [
        "heading", "paragraph", "heading", "numberedListItem", "bulletListItem",
        "bulletListItem", "numberedListItem", "numberedListItem", "heading", "checkListItem",
        "checkListItem", "table", "image", "codeBlock", "quote",
    ]  # fmt: skip
    assert _outline(from_html["blocks"]) == expected
    # Markdown has no captions (an image's text is its alt) and BlockNote's Markdown reader
    # keeps a backslash escape ("\<") as it is, so the quote is compared without its "<".
    assert _outline(from_markdown["blocks"])[:-1] == expected[:-1]
    assert [b["props"]["caption"] for b in from_html["blocks"] if b["type"] == "image"] == [
        "Burn-down chart"
    ]


LISTS: list[dict[str, Any]] = [
    {"type": "numberedListItem", "content": "one"},
    {"type": "numberedListItem", "content": "two"},
    {"type": "numberedListItem", "content": "three"},
    {"type": "paragraph", "content": "Between"},
    {"type": "numberedListItem", "content": "again one"},
    {"type": "paragraph", "content": "And"},
    {"type": "numberedListItem", "props": {"start": 9}, "content": "nine"},
    {
        "type": "numberedListItem",
        "content": "ten",
        "children": [
            {
                "type": "numberedListItem",
                "content": "ten.one",
                "children": [
                    {"type": "checkListItem", "props": {"checked": True}, "content": "deep"}
                ],
            },
            {"type": "paragraph", "content": "a note"},
        ],
    },
    {"type": "bulletListItem", "content": "line one\nline two"},
    {
        "type": "toggleListItem",
        "content": "toggle",
        "children": [
            {"type": "numberedListItem", "props": {"start": 3}, "content": "three on"},
        ],
    },
    {"type": "checkListItem", "content": "box"},
    {
        "type": "heading",
        "props": {"level": 2},
        "content": "Nested",
        "children": [
            {"type": "bulletListItem", "content": "under a heading"},
        ],
    },
    {"type": "divider"},
    {"type": "file", "props": {"url": "https://example.org/r.pdf", "name": "r.pdf"}},
    {"type": "video", "props": {"url": "data:video/mp4;base64,AAAA", "caption": "clip"}},
]

LISTS_MARKDOWN = """1. one
2. two
3. three

Between

1. again one

And

9. nine
10. ten
    1. ten.one
       - [x] deep

    a note

- line one\x20\x20
  line two
- toggle

  3. three on
- [ ] box

## Nested

- under a heading

---

[r.pdf](https://example.org/r.pdf)

clip
"""

LISTS_TEXT = """1. one
2. two
3. three

Between

1. again one

And

9. nine
10. ten
    1. ten.one
       - [x] deep

    a note

- line one
  line two
- toggle

  3. three on
- [ ] box

Nested

  - under a heading

r.pdf

clip
"""

LISTS_HTML = (
    "<ol><li><p>one</p></li><li><p>two</p></li><li><p>three</p></li></ol><p>Between</p>"
    "<ol><li><p>again one</p></li></ol><p>And</p>"
    '<ol start="9"><li><p>nine</p></li><li><p>ten</p><ol><li><p>ten.one</p>'
    '<ul data-type="taskList">'
    '<li data-type="taskItem" data-checked="true"><label><input type="checkbox" disabled '
    "checked> deep</label></li></ul></li></ol><p>a note</p></li></ol>"
    "<ul><li><p>line one<br>line two</p></li><li><p>toggle</p>"
    '<ol start="3"><li><p>three on</p></li></ol></li></ul>'
    '<ul data-type="taskList"><li data-type="taskItem" data-checked="false"><label><input '
    'type="checkbox" disabled> box</label></li></ul>'
    "<h2>Nested</h2><ul><li><p>under a heading</p></li></ul><hr>"
    '<p><a href="https://example.org/r.pdf">r.pdf</a></p><p>clip</p>'
)


async def test_lists_number_by_runs_and_nest_under_their_items(server: ServerProcess):
    """Numbered items count on through a run (from its first item's start) and start again
    after any other block; nested blocks go inside their item, indented to its text."""
    (made,) = await _blocknote({"make": {"blocks": LISTS}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "lists", made["update"])
        markdown = await _snapshot(http, "lists", "markdown")
        assert markdown == LISTS_MARKDOWN
        assert await _snapshot(http, "lists", "html") == LISTS_HTML
        assert await _snapshot(http, "lists", "text") == LISTS_TEXT
    (parsed,) = await _blocknote({"parse": {"markdown": markdown}})
    numbered = {
        text[0][0]: (depth, props.get("start"))
        for depth, kind, props, text in _outline(parsed["blocks"])
        if kind == "numberedListItem"
    }
    # BlockNote reads the runs and their starts back (a start kept on a run's first item only;
    # it makes "a note", a paragraph inside item ten, an item of its own: its reader's way).
    assert numbered == {
        "one": (0, None),
        "two": (0, None),
        "three": (0, None),
        "again one": (0, None),
        "nine": (0, 9),
        "ten": (0, None),
        "ten.one": (1, None),
        "a note": (0, None),
        "three on": (1, 3),
    }


async def test_versions_of_a_blocknote_document_show_its_text_and_diffs(server: ServerProcess):
    (made,) = await _blocknote({"make": {"blocks": KEPT}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "history", made["update"])
        first = await _save(http, "history", "first")
        blocks = copy.deepcopy(made["blocks"])
        review = next(b for b in blocks if b["content"] and b["content"][0].get("text") == "Review")
        review["content"][0]["text"] = "Review twice"
        docs = next(b for b in blocks if b["type"] == "checkListItem" and not b["props"]["checked"])
        docs["props"]["checked"] = True
        (edited,) = await _blocknote(
            {"edit": {"update": made["update"], "blocks": blocks, "root": ROOT}}
        )
        await _post(http, "history", edited["update"])
        second = await _save(http, "history", "second")
        shown = (await http.get(f"/history/versions/{first}")).json()
        assert shown["text"] == KEPT_TEXT
        response = await http.get(f"/history/versions/{first}/diff", params={"against": second})
        assert response.status_code == 200, response.text
        changes = [op for op in response.json()["lines"] if op["op"] != "equal"]
        assert changes == [
            {"op": "delete", "text": "2. Review\n"},
            {"op": "insert", "text": "2. Review twice\n"},
            {"op": "delete", "text": "- [ ] Docs & notes\n"},
            {"op": "insert", "text": "- [x] Docs & notes\n"},
        ]
        old = await _snapshot(http, "history", "markdown", version=first)
        assert old == KEPT_MARKDOWN


async def test_a_restore_brings_back_the_tree_blocknote_wrote(server: ServerProcess):
    (made,) = await _blocknote({"make": {"blocks": KEPT}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "restore", made["update"])
        async with YClient(server.ws_url, "restore") as editor:
            await editor.synced.wait()
            tree = editor.doc.get(ROOT, type=XmlFragment)
            original = _tree(tree)
            assert "Burn-down chart" in str(tree)
            version = await _save(http, "restore", "good")
            blocks = [b for b in copy.deepcopy(made["blocks"]) if b["type"] != "table"]
            blocks[0]["content"][0]["text"] = "Rewritten plan"
            blocks[0]["props"]["level"] = 2
            (edited,) = await _blocknote(
                {"edit": {"update": made["update"], "blocks": blocks, "root": ROOT}}
            )
            await _post(http, "restore", edited["update"])
            await editor.wait_for(lambda: "Rewritten plan" in str(tree))
            assert "<table" not in str(tree)
            restored = await http.post(f"/restore/versions/{version}/restore")
            assert restored.status_code == 200 and restored.json()["changed"], restored.text
            await editor.wait_for(lambda: _tree(tree) == original)
            # Now the document is that version: a second restore finds nothing to change (its
            # elements' attributes, read in no set order, compare as the same).
            again = await http.post(f"/restore/versions/{version}/restore")
            assert again.status_code == 200 and again.json()["changed"] is False, again.text
        state = (await http.get("/restore/snapshot", params={"format": "yjs"})).content
        assert await _snapshot(http, "restore", "markdown") == KEPT_MARKDOWN
    (read,) = await _blocknote({"blocks": {"update": _b64(state), "root": ROOT}})
    assert read["blocks"] == made["blocks"], "BlockNote reads back the blocks it wrote, ids and all"


# Editing a BlockNote document as Markdown (issue 24, item 2): PATCH .../content makes the new
# content into BlockNote's blocks and applies it as the smallest edit.

EDITED = (
    KEPT_MARKDOWN.replace("# Launch plan", "# Launch **plan**")
    .replace("2. Review", "2. Review *twice*")
    .replace("### Checks\n\n", "### Checks\n\n- [ ] New check\n  - nested *under* it\n")
    .replace("> Done is", "Added **paragraph** after code.\n\n> Done is")
)


def _ids(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Each block's id by its text (nested blocks too)."""
    out: dict[str, str] = {}
    for block in blocks:
        content = block.get("content")
        text = "".join(run[0] for run in _inline(content)) if isinstance(content, list) else ""
        out[text or block["type"]] = block["id"]
        out.update(_ids(block.get("children", [])))
    return out


async def test_markdown_edits_a_blocknote_document_with_the_smallest_change(
    server: ServerProcess,
):
    """BlockNote reads the edited document back with the new blocks (marks, list items,
    nesting) and every block that was there keeps its id; a comment on an untouched block
    still resolves, and the same Markdown again changes nothing."""
    (made,) = await _blocknote({"make": {"blocks": [*KEPT, {"type": "paragraph"}]}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "bn-edit", made["update"])
        thread = await http.post(
            "/bn-edit/threads", json={"passage": {"text": "Release"}, "body": "Date?"}
        )
        assert thread.status_code == 201, thread.text
        read = await http.get("/bn-edit/content", params={"format": "markdown"})
        assert read.status_code == 200, read.text
        assert read.json()["markdown"] == KEPT_MARKDOWN and read.json()["blocks"] == 14
        same = await http.patch("/bn-edit/content", json={"markdown": KEPT_MARKDOWN})
        assert same.status_code == 200, same.text
        counts = ("kept", "changed", "inserted", "deleted")
        assert [same.json()[k] for k in counts] == [13, 0, 0, 0]  # the empty block stays
        async with YClient(server.ws_url, "bn-edit") as person:
            await person.synced.wait()
            tree = person.doc.get(ROOT, type=XmlFragment)
            edited = await http.patch("/bn-edit/content", json={"markdown": EDITED})
            assert edited.status_code == 200, edited.text
            assert [edited.json()[k] for k in counts] == [11, 2, 2, 0]
            await person.wait_for(lambda: "Added" in str(tree))
        assert await _snapshot(http, "bn-edit", "markdown") == EDITED
        shown = (await http.get(f"/bn-edit/threads/{thread.json()['id']}")).json()
        assert shown["range"]["text"] == "Release" and not shown.get("detached"), shown
        again = await http.patch("/bn-edit/content", json={"markdown": EDITED})
        assert [again.json()[k] for k in counts] == [15, 0, 0, 0], again.text
        state = (await http.get("/bn-edit/snapshot", params={"format": "yjs"})).content
    (read_back,) = await _blocknote({"blocks": {"update": _b64(state), "root": ROOT}})
    blocks = read_back["blocks"]
    outline = _outline(blocks)
    assert outline[0] == (
        0,
        "heading",
        {"level": 1},
        [("Launch ", (), ""), ("plan", ("bold",), "")],
    )
    assert (0, "numberedListItem", {}, [("Review ", (), ""), ("twice", ("italic",), "")]) in outline
    checks = outline.index((0, "heading", {"level": 3}, [("Checks", (), "")]))
    assert outline[checks + 1 : checks + 4] == [
        (0, "checkListItem", {"checked": False}, [("New check", (), "")]),
        (
            1,
            "bulletListItem",
            {},
            [("nested ", (), ""), ("under", ("italic",), ""), (" it", (), "")],
        ),
        (0, "checkListItem", {"checked": True}, [("CI green", (), "")]),
    ]
    added = [("Added ", (), ""), ("paragraph", ("bold",), ""), (" after code.", (), "")]
    assert (0, "paragraph", {}, added) in outline
    assert [block[1] for block in outline] == [
        "heading", "paragraph", "heading", "numberedListItem", "bulletListItem",
        "bulletListItem", "numberedListItem", "numberedListItem", "heading", "checkListItem",
        "bulletListItem", "checkListItem", "checkListItem", "table", "image", "codeBlock",
        "paragraph", "quote",
    ]  # fmt: skip
    before, after = _ids(made["blocks"]), _ids(blocks)
    # Every block that was there keeps its id, the changed ones too; the new ones get their own.
    kept = {"Launch plan": "Launch plan", "Review": "Review twice"}
    for text, block_id in before.items():
        assert after[kept.get(text, text)] == block_id, text
    fresh = {after["New check"], after["nested under it"], after["Added paragraph after code."]}
    assert len(fresh) == 3 and not fresh & set(before.values())
    assert blocks[-1]["type"] == "paragraph" and not blocks[-1]["content"]


async def test_passages_of_a_blocknote_document_are_its_top_level_blocks(server: ServerProcess):
    """A range or a heading's section counts BlockNote's top-level blocks (nested ones go with
    their block); an edit conditional on a stale tag is refused; a table BlockNote cannot
    hold is refused saying why."""
    (made,) = await _blocknote({"make": {"blocks": KEPT}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "bn-passages", made["update"])
        steps = await http.get("/bn-passages/content", params={"start": 3, "end": 6})
        assert steps.status_code == 200, steps.text
        items = "1. Write\n   - tests first\n   - then code\n2. Review\n3. Release\n"
        assert steps.json()["markdown"] == items
        checks = (await http.get("/bn-passages/content", params={"heading": "Checks"})).json()
        assert (checks["start"], checks["end"], checks["blocks"]) == (6, 13, 13)
        assert checks["markdown"].startswith("### Checks\n\n- [x] CI green\n")
        edited = await http.patch(
            "/bn-passages/content",
            params={"start": 3, "end": 6},
            json={"markdown": "1. Write\n2. Review\n3. Release\n4. Ship\n"},
            headers={"If-Match": steps.json()["base"]},
        )
        assert edited.status_code == 200, edited.text
        result = edited.json()
        assert (result["start"], result["end"]) == (3, 7)
        assert [result[k] for k in ("kept", "changed", "inserted", "deleted")] == [2, 1, 1, 0]
        stale = await http.patch(
            "/bn-passages/content",
            params={"start": 3, "end": 6},
            json={"markdown": "1. Other\n"},
            headers={"If-Match": steps.json()["base"]},
        )
        assert stale.status_code == 409, stale.text
        cell = {
            "type": "bulletList",
            "content": [{"type": "listItem", "content": [{"type": "paragraph"}]}],
        }
        table = {
            "type": "table",
            "content": [
                {"type": "tableRow", "content": [{"type": "tableCell", "content": [cell]}]}
            ],
        }
        refused = await http.patch(
            "/bn-passages/content",
            params={"start": 0, "end": 0},
            json={"prosemirror": {"type": "doc", "content": [table]}},
        )
        assert refused.status_code == 422, refused.text
        assert "BlockNote" in refused.json()["detail"]
        state = (await http.get("/bn-passages/snapshot", params={"format": "yjs"})).content
    (read_back,) = await _blocknote({"blocks": {"update": _b64(state), "root": ROOT}})
    blocks = read_back["blocks"]
    assert [(b["type"], _inline(b["content"])[0][0]) for b in blocks[3:7]] == [
        ("numberedListItem", "Write"),
        ("numberedListItem", "Review"),
        ("numberedListItem", "Release"),
        ("numberedListItem", "Ship"),
    ]
    assert blocks[3]["children"] == [] and len(blocks) == 14
    assert [b["id"] for b in blocks[3:6]] == [b["id"] for b in made["blocks"][3:6]]


async def test_prosemirror_json_in_blocknote_shape_round_trips(server: ServerProcess):
    """GET .../content as ProseMirror JSON gives BlockNote's own nodes; sent back changed, they
    are checked against BlockNote's schema and applied: what the JSON says (colours, underline)
    is kept, the ids too."""
    blocks = [
        {"type": "heading", "props": {"level": 2}, "content": "Title"},
        {
            "type": "paragraph",
            "props": {"textColor": "red"},
            "content": [_text("under", underline=True), _text(" and plain")],
        },
        {"type": "checkListItem", "content": "todo"},
    ]
    (made,) = await _blocknote({"make": {"blocks": blocks}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "bn-json", made["update"])
        read = await http.get("/bn-json/content", params={"format": "prosemirror"})
        assert read.status_code == 200, read.text
        doc = read.json()["prosemirror"]
        assert [node["type"] for node in doc["content"]] == ["blockContainer"] * 3
        check = doc["content"][2]["content"][0]
        assert check["type"] == "checkListItem"
        check["attrs"]["checked"] = True
        check["content"][0]["text"] = "done"
        edited = await http.patch("/bn-json/content", json={"prosemirror": doc})
        assert edited.status_code == 200, edited.text
        assert [edited.json()[k] for k in ("kept", "changed", "inserted", "deleted")] == [
            2,
            1,
            0,
            0,
        ]
        bad = copy.deepcopy(doc)
        bad["content"][0]["content"].append({"type": "paragraph"})
        refused = await http.patch("/bn-json/content", json={"prosemirror": bad})
        assert refused.status_code == 422 and "blockContainer" in refused.json()["detail"]
        state = (await http.get("/bn-json/snapshot", params={"format": "yjs"})).content
    (read_back,) = await _blocknote({"blocks": {"update": _b64(state), "root": ROOT}})
    expected = copy.deepcopy(made["blocks"])
    expected[2]["props"]["checked"] = True
    expected[2]["content"][0]["text"] = "done"
    assert read_back["blocks"] == expected


async def test_a_markdown_file_imported_into_a_blocknote_document_keeps_blocknote_blocks(
    server: ServerProcess, tmp_path: Path
):
    """`collab import ROOM FILE --format markdown` into a BlockNote document edits its blocks
    as the content API does (BlockNote's shape, every block it pairs keeping its id), instead
    of refusing it or writing Tiptap's nodes beside them."""
    (made,) = await _blocknote({"make": {"blocks": KEPT}})
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        await _create(http, "bn-import", made["update"])
        # An import into the database shows once the room loads again: wait for its unload.
        while (await http.get(f"{server.http_url}/healthz")).json()["rooms"]:
            await asyncio.sleep(0.05)
    source = tmp_path / "edited.md"
    source.write_text(EDITED)
    args = ["import", "bn-import", str(source), "--format", "markdown"]
    done = await asyncio.to_thread(run_collab_text, [*args, "--database-url", server.database_url])
    assert done.returncode == 0, done.stdout + done.stderr
    # The room was unloaded (no client): the next read loads what the import appended.
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api/rooms") as http:
        assert await _snapshot(http, "bn-import", "markdown") == EDITED
        state = (await http.get("/bn-import/snapshot", params={"format": "yjs"})).content
    (read_back,) = await _blocknote({"blocks": {"update": _b64(state), "root": ROOT}})
    outline = _outline(read_back["blocks"])
    added = [("Added ", (), ""), ("paragraph", ("bold",), ""), (" after code.", (), "")]
    assert (0, "paragraph", {}, added) in outline
    before, after = _ids(made["blocks"]), _ids(read_back["blocks"])
    kept = {"Launch plan": "Launch plan", "Review": "Review twice"}
    for text, block_id in before.items():
        assert after[kept.get(text, text)] == block_id, text
