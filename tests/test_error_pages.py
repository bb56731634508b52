"""Browsers get a styled HTML page for errors (unknown paths, bad names, failing pages); API
clients keep problem JSON. On a server with a secret the home page explains how to get in."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.server import ServerProcess

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SECRET = "test-secret-for-the-error-page-tests-0123456789"


def _assert_styled(page: httpx.Response, status: int, title: str) -> None:
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert re.search(r'<link rel="stylesheet" href="/assets/editor-[^"]+\.css">', page.text)
    assert f'<h1 class="state-title">{title}</h1>' in page.text
    assert '<a class="primary-button" href="/">All documents</a>' in page.text
    assert f"Error {status}" in page.text


async def test_unknown_path_gets_a_styled_page_in_a_browser(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = await http.get("/nope/<b>", headers={"accept": BROWSER_ACCEPT})
        _assert_styled(page, 404, "Page not found")
        assert "There is nothing at /nope/&lt;b&gt;." in page.text
        assert "<b>" not in page.text


async def test_api_clients_keep_problem_json(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        for path, accept in (("/nope", "application/json"), ("/api/nope", BROWSER_ACCEPT)):
            response = await http.get(path, headers={"accept": accept})
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 404
        plain = await http.get("/nope")  # no Accept: an API client
        assert plain.headers["content-type"] == "application/problem+json"


async def test_bad_document_names_get_styled_pages(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = await http.get("/d/%3Cscript%3E", headers={"accept": BROWSER_ACCEPT})
        _assert_styled(page, 404, "There is no document with this name")
        assert "<script>" not in page.text
        new = await http.get("/new", params={"room": "../etc"}, headers={"accept": BROWSER_ACCEPT})
        _assert_styled(new, 422, "That name cannot be used")


async def test_every_error_status_gets_the_styled_page(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = await http.post("/d/room", headers={"accept": BROWSER_ACCEPT})
        _assert_styled(page, 405, "Method Not Allowed")


async def test_home_on_a_server_with_a_secret_explains_how_to_get_in(
    make_server: Any, sqlite_url: str
):
    server = make_server(sqlite_url, COLLAB_SECRET=SECRET)
    await server.start()
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = (await http.get("/")).text
    assert '<body class="home home-private">' in page
    assert "Sign in to see your documents" in page and "Got a share link" in page
    assert "collab token" in page
    assert 'class="room-item"' not in page


async def test_home_without_a_secret_offers_to_create(server: ServerProcess):
    async with httpx.AsyncClient(timeout=30, base_url=server.http_url) as http:
        page = (await http.get("/")).text
    assert '<body class="home home-open">' in page
    assert 'action="/new"' in page
