"""Every browser test skips (or, with COLLAB_REQUIRE_BROWSER=1, fails) before its server
fixture starts when the browser tooling is absent."""

import pytest

from tests.browser.scenarios import require_browser


@pytest.fixture(autouse=True)
def _browser_available() -> None:
    require_browser()
