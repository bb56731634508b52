"""The Python client's image calls, as people signed in (the session cookie, the way the web
page of a person goes): the owner uploads, a person it is shared with as a viewer gets the
image back, a person it is not shared with gets nothing, and a viewer cannot upload."""

from __future__ import annotations

import pytest

from collab.client import CollabAPIError, CollabClient
from tests.conftest import ServerFactory
from tests.images.pictures import SVG, png
from tests.people.accounts import PASSWORD, SECRET, add_person
from tests.server import ServerProcess


@pytest.fixture
async def secured(make_server: ServerFactory, sqlite_url: str) -> ServerProcess:
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    for email, name in (
        ("ada@example.com", "Ada"),
        ("vi@example.com", "Vi"),
        ("x@example.com", "X"),
    ):
        await add_person(sqlite_url, email, name)
    return server


async def test_people_signed_in_upload_and_get_images_by_their_role(secured: ServerProcess):
    url = secured.http_url
    async with CollabClient(url) as ada, CollabClient(url) as vi, CollabClient(url) as stranger:
        await ada.sign_in("ada@example.com", PASSWORD)
        await vi.sign_in("vi@example.com", PASSWORD)
        await stranger.sign_in("x@example.com", PASSWORD)
        room = (await ada.create_titled("Album", "rich")).name
        await ada.share(room, "vi@example.com", "viewer")

        image = await ada.upload_image(room, png(5, 5))
        assert image.url == f"/api/rooms/{room}/images/{image.id}"
        assert image.content_type == "image/png" and image.size == len(png(5, 5))
        assert await vi.image(room, image.id) == (png(5, 5), "image/png")

        with pytest.raises(CollabAPIError) as refused:
            await stranger.image(room, image.id)
        assert refused.value.status == 403
        with pytest.raises(CollabAPIError) as viewer:
            await vi.upload_image(room, png())
        assert viewer.value.status == 403
        with pytest.raises(CollabAPIError) as svg:
            await ada.upload_image(room, SVG)
        assert svg.value.status == 415
