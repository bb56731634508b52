"""Every browser test skips (or, with COLLAB_REQUIRE_BROWSER=1, fails) before its server
fixture starts when the browser tooling is absent. The scenarios of one pytest process share
one Chromium (browser_server.mjs), each in browser contexts of its own."""

from collections.abc import Iterator

import pytest

from tests.browser.scenarios import ENDPOINT_ENV, SharedBrowser, require_browser


@pytest.fixture(scope="session")
def shared_browser() -> Iterator[SharedBrowser]:
    """This process's Chromium, started on first use and closed at the end of the session."""
    browser = SharedBrowser()
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(autouse=True)
def _browser_available(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    require_browser()
    shared: SharedBrowser = request.getfixturevalue("shared_browser")
    monkeypatch.setenv(ENDPOINT_ENV, shared.endpoint())
