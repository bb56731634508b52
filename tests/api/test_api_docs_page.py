"""/api/docs, rendered by a real Chromium, shows each operation's parameters, body, examples,
responses and how to authenticate, from the generated schema."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.server import ServerProcess

CHROMIUM = Path(os.environ.get("COLLAB_CHROMIUM", "/usr/bin/chromium"))


def rendered(url: str) -> str:
    """The page's DOM once its scripts have run."""
    if not CHROMIUM.exists():
        if os.environ.get("COLLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--virtual-time-budget=10000", "--dump-dom"]
    result = subprocess.run(
        [str(CHROMIUM), *flags, url], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


@pytest.mark.timeout(90)
def test_docs_show_parameters_bodies_examples_and_authentication(server: ServerProcess):
    dom = rendered(f"{server.http_url}/api/docs")
    start = dom.index('id="patchText"')
    patch = dom[start : dom.index('class="box"', start)]
    assert "Bearer token (bearerAuth)" in patch and "Needs the editor role" in patch
    assert "<code>room</code>" in patch and "<code>X-Collab-Author?</code>" in patch
    assert "Request body" in patch and "(InsertText | DeleteText)[]" in patch
    assert "one of: EditOps" in patch and "one of: ReplaceText" in patch
    assert '"op": "insert"' in patch  # the request example
    for status in ("200", "401", "403", "404", "409", "413", "415", "422", "429", "503"):
        assert f">{status}</span>" in patch, status
    assert "Authorization: Bearer &lt;JWT&gt;" in dom and "collab.token." in dom
    assert 'id="listRooms"' in dom and "page size, 1 to 200" in dom
    insert = dom[dom.index('id="schema-InsertText"') :]
    assert "a code point offset in `content`" in insert[: insert.index('class="box"')]
