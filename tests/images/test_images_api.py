"""Images of rich documents over REST, on SQLite and PostgreSQL (issue 25): an editor uploads
one, whoever may read the document gets it back with safe headers; what an upload is comes
from its bytes (a PNG sent as anything is a PNG, text sent as image/png is refused, SVG is
refused); limits answer 413 problems; images go with a copy and an export, and away with the
room."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, XmlElement, XmlFragment

from collab.auth import issue_token
from tests.auth.test_websocket_auth import SECRET
from tests.conftest import ServerFactory
from tests.images.pictures import GIF, JPEG_START, SVG, TEXT, WEBP_START, png
from tests.launcher import run_collab
from tests.server import ServerProcess

RAW = {"content-type": "application/octet-stream"}


def as_(role: str, rooms: str = "*", name: str = "Ada") -> dict[str, str]:
    signed = issue_token(
        SECRET, user=f"user-{name}", name=name, grants={rooms: role}, ttl_seconds=600
    )
    return {"Authorization": f"Bearer {signed}"}


@pytest.fixture
async def server(make_server: ServerFactory, database_url: str) -> ServerProcess:
    server = make_server(
        database_url,
        COLLAB_SECRET=SECRET,
        COLLAB_IMAGE_MAX_BYTES="4096",
        COLLAB_IMAGES_PER_DOCUMENT="3",
        COLLAB_IMAGES_MAX_BYTES_PER_DOCUMENT="6000",
    )
    await server.start()
    return server


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, base_url=f"{server.http_url}/api") as client:
        made = await client.put("/rooms/doc", json={"kind": "rich"}, headers=as_("admin"))
        assert made.status_code == 201, made.text
        yield client


async def upload(
    http: httpx.AsyncClient, data: bytes, room: str = "doc", media: str = "application/octet-stream"
) -> httpx.Response:
    headers = {**as_("editor"), "content-type": media}
    return await http.post(f"/rooms/{room}/images", content=data, headers=headers)


async def uploaded(http: httpx.AsyncClient, data: bytes, room: str = "doc") -> dict[str, Any]:
    answer = await upload(http, data, room)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_an_editor_uploads_and_readers_get_it_back_with_safe_headers(
    http: httpx.AsyncClient,
):
    picture = png()
    image = await uploaded(http, picture)
    assert image["url"] == f"/api/rooms/doc/images/{image['id']}"
    assert (image["content_type"], image["size"]) == ("image/png", len(picture))
    assert len(image["id"]) >= 22  # 128 random bits

    got = await http.get(image["url"].removeprefix("/api"), headers=as_("viewer", "doc"))
    assert got.status_code == 200 and got.content == picture
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert got.headers["cache-control"] == "private, max-age=31536000, immutable"


async def test_who_may_not_read_the_document_gets_nothing(http: httpx.AsyncClient):
    image = await uploaded(http, png())
    path = image["url"].removeprefix("/api")
    assert (await http.get(path)).status_code == 401
    assert (await http.get(path, headers=as_("admin", "other"))).status_code == 403
    missing = await http.get("/rooms/doc/images/nope", headers=as_("viewer"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    # The id names an image of its own room only.
    await http.put("/rooms/other", headers=as_("admin"))
    assert (
        await http.get(f"/rooms/other/images/{image['id']}", headers=as_("viewer"))
    ).status_code == 404


async def test_viewers_and_commenters_may_not_upload(http: httpx.AsyncClient):
    for role in ("viewer", "commenter"):
        headers = {**as_(role), **RAW}
        answer = await http.post("/rooms/doc/images", content=png(), headers=headers)
        assert answer.status_code == 403, answer.text


async def test_what_an_upload_is_comes_from_its_bytes(http: httpx.AsyncClient):
    # A PNG claimed to be a JPEG (or sent as text/anything) is a PNG.
    claimed = await upload(http, png(), media="image/jpeg")
    assert claimed.status_code == 201 and claimed.json()["content_type"] == "image/png"
    assert (await uploaded(http, GIF))["content_type"] == "image/gif"
    assert (await uploaded(http, JPEG_START + b"\x00" * 32))["content_type"] == "image/jpeg"
    # Text claimed to be a PNG, and SVG (which can hold script), are refused.
    for data, media in ((TEXT, "image/png"), (SVG, "image/svg+xml"), (SVG, "image/png")):
        refused = await upload(http, data, media=media)
        assert refused.status_code == 415, refused.text
        problem = refused.json()
        assert refused.headers["content-type"] == "application/problem+json"
        assert "PNG, JPEG, GIF or WebP" in problem["detail"]


async def test_webp_is_accepted(http: httpx.AsyncClient):
    assert (await uploaded(http, WEBP_START + b"\x00" * 16))["content_type"] == "image/webp"


async def test_too_big_and_too_many_answer_413_problems(http: httpx.AsyncClient):
    big = png(80, 80, (1, 2, 3)) + b"\x00" * 5000
    refused = await upload(http, big)
    assert refused.status_code == 413, refused.text
    assert "COLLAB_IMAGE_MAX_BYTES" in refused.json()["detail"]
    # 3000 bytes and more: one fits the document's 6000, two do not.
    await uploaded(http, png() + b"\x00" * 3000)
    heavy = await upload(http, png() + b"\x00" * 3000)
    assert heavy.status_code == 413 and "COLLAB_IMAGES_MAX_BYTES_PER_DOCUMENT" in heavy.text
    for _ in range(2):
        await uploaded(http, png())
    full = await upload(http, png())
    assert full.status_code == 413 and "COLLAB_IMAGES_PER_DOCUMENT" in full.json()["detail"]
    gone = await upload(http, png(), room="nowhere")
    assert gone.status_code == 404


async def test_images_go_away_with_their_room(http: httpx.AsyncClient):
    image = await uploaded(http, png())
    path = image["url"].removeprefix("/api")
    assert (await http.delete("/rooms/doc", headers=as_("admin"))).status_code == 204
    assert (await http.get(path, headers=as_("viewer"))).status_code == 404
    # A room made again under the name has none of them.
    assert (await http.put("/rooms/doc", headers=as_("admin"))).status_code == 201
    assert (await http.get(path, headers=as_("viewer"))).status_code == 404


async def test_a_copy_takes_the_images_under_the_same_ids(http: httpx.AsyncClient):
    image = await uploaded(http, png(3, 3))
    await show(http, image, "Tiny")
    copied = await http.post("/rooms/doc/copy", json={"to": "twin"}, headers=as_("admin"))
    assert copied.status_code == 201, copied.text
    got = await http.get(f"/rooms/twin/images/{image['id']}", headers=as_("viewer", "twin"))
    assert got.status_code == 200 and got.content == png(3, 3)
    # The copy's image node points at the copy's image; the original's is left as it was.
    assert await markdown(http, "twin") == f"![Tiny](/api/rooms/twin/images/{image['id']})\n"
    assert await markdown(http, "doc") == f"![Tiny](/api/rooms/doc/images/{image['id']})\n"
    # Apart from then on: deleting the original leaves the copy's.
    assert (await http.delete("/rooms/doc", headers=as_("admin"))).status_code == 204
    again = await http.get(f"/rooms/twin/images/{image['id']}", headers=as_("viewer"))
    assert again.status_code == 200


async def show(http: httpx.AsyncClient, image: dict[str, Any], alt: str) -> None:
    """Put an image node showing `image` into doc's rich text."""
    doc: Doc[Any] = Doc()
    doc.get("content", type=XmlFragment).children.append(
        XmlElement("image", {"src": image["url"], "alt": alt})
    )
    headers = {**as_("editor"), **RAW}
    posted = await http.post("/rooms/doc/updates", content=doc.get_update(), headers=headers)
    assert posted.is_success, posted.text


async def markdown(http: httpx.AsyncClient, room: str) -> str:
    answer = await http.get(f"/rooms/{room}/snapshot?format=markdown", headers=as_("viewer"))
    assert answer.status_code == 200, answer.text
    return answer.text


def collab(server: ServerProcess, *args: str) -> tuple[int, str]:
    done = run_collab([*args, "--database-url", server.database_url])
    return done.returncode, done.stderr.decode()


async def test_a_collab_export_carries_the_images_and_an_import_brings_them_back(
    server: ServerProcess, http: httpx.AsyncClient, tmp_path: Path
):
    first, second = await uploaded(http, png()), await uploaded(http, GIF)
    await show(http, first, "First")
    file = tmp_path / "doc.collab"
    code, err = collab(server, "export", "doc", "--format", "collab", "-o", str(file))
    assert code == 0, err
    written = json.loads(file.read_text())
    assert [i["id"] for i in written["images"]] == [first["id"], second["id"]]
    assert (await http.delete("/rooms/doc", headers=as_("admin"))).status_code == 204
    code, err = collab(server, "import", "doc", str(file))
    assert code == 0, err
    for image, data in ((first, png()), (second, GIF)):
        got = await http.get(f"/rooms/doc/images/{image['id']}", headers=as_("viewer"))
        assert got.status_code == 200 and got.content == data
    assert await markdown(http, "doc") == f"![First]({first['url']})\n"
    # Imported under another name: its image nodes point at that room's images.
    code, err = collab(server, "import", "moved", str(file))
    assert code == 0, err
    assert await markdown(http, "moved") == f"![First](/api/rooms/moved/images/{first['id']})\n"
    moved = await http.get(f"/rooms/moved/images/{first['id']}", headers=as_("viewer"))
    assert moved.status_code == 200 and moved.content == png()
    # A file whose "image" is not one is refused whole, before anything is stored.
    written["images"][0]["data"] = "PHN2Zz48L3N2Zz4="  # <svg></svg>
    file.write_text(json.dumps(written))
    code, err = collab(server, "import", "fresh", str(file))
    assert code != 0 and "images[0].data" in err
    assert (await http.get("/rooms/fresh", headers=as_("viewer"))).status_code == 404
