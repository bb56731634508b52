"""collab inside a real Django project (tests/hosts/django_host/) served by uvicorn in its own
process, in both of README's recipes: plain ASGI dispatch (asgi.py) and Channels' routers
(asgi_channels.py). People sign in with Django's own login view; collab's hooks identify them
from Django's session cookie and give them the host's roles: staff edit, other users read,
nobody else gets in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.server import free_port
from tests.yclient import YClient

ROOT = Path(__file__).resolve().parents[2]
HOST_FILES = ["collab_hooks.py", "asgi.py", "asgi_channels.py"]
PASSWORDS = {"alice": "wonderland", "bob": "builder", "carol": "christmas"}
# Alice and Carol are staff (editors), Bob is not (a reader).
SEED = """
from django.core.management import call_command
from django.contrib.auth.models import User
call_command("migrate", verbosity=0)
User.objects.create_user("alice", password="wonderland", first_name="Alice",
                         last_name="Liddell", is_staff=True)
User.objects.create_user("bob", password="builder", first_name="Bob")
User.objects.create_user("carol", password="christmas", first_name="Carol", is_staff=True)
"""

VARIANTS = [
    pytest.param("asgi", id="plain"),
    pytest.param(
        "asgi_channels",
        id="channels",
        marks=pytest.mark.skipif(
            find_spec("channels") is None,
            reason="the Channels variant needs Channels: pip install -e '.[test]'",
        ),
    ),
]


@dataclass
class DjangoHost:
    """The Django project under uvicorn: its base URL, and Django code run beside it."""

    port: int
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/collab/ws"

    def django(self, code: str) -> None:
        """Run `code` in a Django set up like the server's (its own process, same database)."""
        script = f"import django\ndjango.setup()\n{code}"
        subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT, check=True)

    def browser(self, room: str, cookie: str | None, **kwargs: object) -> YClient:
        """A WebSocket to `room` as a browser on the host's pages opens it: with their Origin
        and the session cookie."""
        headers = {"Cookie": cookie} if cookie else None
        return YClient(self.ws, room, origin=self.url, headers=headers, **kwargs)  # type: ignore[arg-type]

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=30, base_url=self.url)


def _start(module: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn serving `module`'s application, once collab answers under /collab/ (its
    lifespan ran); on another port if the first was taken meanwhile."""
    for _ in range(3):
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", f"tests.hosts.django_host.{module}:application"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
        with log.open("ab") as out:
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/collab/healthz").status_code == 200:
                    return process, port
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        if process.poll() is None:
            process.kill()
            process.wait()
        if "address already in use" not in log.read_text():
            break
    raise RuntimeError(f"the Django host did not start; log:\n{log.read_text()}")


@pytest.fixture(scope="module", params=VARIANTS)
def host(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DjangoHost]:
    if find_spec("django") is None:
        pytest.skip("the Django host needs Django: pip install -e '.[test]'")
    data = tmp_path_factory.mktemp(f"django-{request.param}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DJANGO_SETTINGS_MODULE": "tests.hosts.django_host.settings",
        "DJANGO_HOST_DATA": str(data),
        "COLLAB_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'collab.db'}",
        "COLLAB_AUTHORIZE_RECHECK": "0.5",
    }
    log = data / "uvicorn.log"
    running = DjangoHost(0, env, log)
    running.django(SEED)
    process, running.port = _start(request.param, env, log)
    try:
        yield running
    finally:
        process.terminate()
        process.wait(30)
    text = log.read_text()
    # collab stopped in the lifespan, and nothing failed on the way (a hook included).
    assert "Application shutdown complete." in text, text
    assert "Traceback" not in text, text


async def sign_in(http: httpx.AsyncClient, user: str) -> str:
    """Sign in through Django's LoginView as a browser does (its CSRF token, a form POST); the
    client keeps Django's cookies. The Cookie header a browser would then send."""
    page = await http.get("/accounts/login/")
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found is not None, page.text
    form = {"csrfmiddlewaretoken": found[1], "username": user, "password": PASSWORDS[user]}
    reply = await http.post("/accounts/login/", data=form)
    assert reply.status_code == 302, reply.text
    assert (await http.get("/")).json() == {"user": user}  # Django's own view agrees
    return f"sessionid={http.cookies['sessionid']}"


async def test_staff_edit_over_rest_and_websocket(host: DjangoHost):
    async with host.client() as alice:
        cookie = await sign_in(alice, "alice")
        created = await alice.put("/collab/api/rooms/notes")
        assert created.status_code == 201, created.text
        assert created.json()["role"] == "editor"
        patched = await alice.patch("/collab/api/rooms/notes/text", json={"text": "Minutes"})
        assert patched.status_code == 200, patched.text
        async with host.browser("notes", cookie, ack=True) as tab:
            await tab.wait_text("Minutes")
            tab.append(" of Monday")
            await tab.wait_for(lambda: tab.acked == 2)  # its SyncStep2 and the edit committed
        snapshot = await alice.get("/collab/api/rooms/notes/snapshot", params={"format": "text"})
        assert snapshot.text == "Minutes of Monday"
        versions = await alice.post("/collab/api/rooms/notes/versions", json={"label": "v1"})
        assert versions.status_code in (200, 201), versions.text  # 200: one the server made
        # Both edits are Alice's, by the name Django has for her.
        assert versions.json()["author"] == "Alice Liddell"
        assert versions.json()["authors"] == ["Alice Liddell"]


async def test_nobody_signed_in_is_refused(host: DjangoHost):
    async with host.client() as anonymous:
        refused = await anonymous.get("/collab/api/rooms/notes")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "sign in first"
    async with host.browser("notes", None) as stranger:
        assert (await stranger.wait_closed())[0] == 4401
    async with host.browser("notes", "sessionid=made-up") as forger:
        assert (await forger.wait_closed())[0] == 4401
    async with host.client() as alice:
        cookie = await sign_in(alice, "alice")
        assert (await alice.get("/collab/api/rooms")).status_code == 200
        csrf = {"X-CSRFToken": alice.cookies["csrftoken"]}
        assert (await alice.post("/accounts/logout/", headers=csrf)).status_code == 302
    # Signed out: Django deleted the session, and its cookie opens nothing any more.
    async with host.client() as replay:
        reply = await replay.get("/collab/api/rooms", headers={"Cookie": cookie})
        assert reply.status_code == 401
    async with host.browser("notes", cookie) as tab:
        assert (await tab.wait_closed())[0] == 4401


async def test_a_user_who_is_not_staff_reads_only(host: DjangoHost):
    async with host.client() as alice, host.client() as bob:
        await sign_in(alice, "alice")
        assert (await alice.put("/collab/api/rooms/plans")).status_code == 201
        await alice.patch("/collab/api/rooms/plans/text", json={"text": "The plan"})
        assert (await alice.put("/collab/api/rooms/staff-only")).status_code == 201
        cookie = await sign_in(bob, "bob")
        room = await bob.get("/collab/api/rooms/plans")
        assert room.json()["role"] == "viewer"
        snapshot = await bob.get("/collab/api/rooms/plans/snapshot", params={"format": "text"})
        assert snapshot.text == "The plan"
        edit = await bob.patch("/collab/api/rooms/plans/text", json={"text": "Bob's plan"})
        assert edit.status_code == 403, edit.text
        assert (await bob.put("/collab/api/rooms/bobs")).status_code == 403
        assert (await bob.get("/collab/api/rooms/staff-only")).status_code == 403
        listed = (await bob.get("/collab/api/rooms")).json()["items"]
        assert "plans" in [r["name"] for r in listed]
        assert "staff-only" not in [r["name"] for r in listed]
        async with host.browser("staff-only", cookie) as tab:
            assert (await tab.wait_closed())[0] == 4403
        async with host.browser("plans", cookie) as tab:
            await tab.wait_text("The plan")
            tab.append(" changed")  # a viewer's edit closes the connection, unstored
            code, reason = await tab.wait_closed()
            assert code == 4403 and "viewers cannot edit" in reason
        after = await alice.get("/collab/api/rooms/plans/snapshot", params={"format": "text"})
        assert after.text == "The plan"


async def test_staff_status_taken_away_while_connected(host: DjangoHost):
    async with host.client() as carol:
        cookie = await sign_in(carol, "carol")
        assert (await carol.put("/collab/api/rooms/carols")).status_code == 201
        async with host.browser("carols", cookie, ack=True) as tab:
            tab.append("draft")
            await tab.wait_for(lambda: tab.acked == 2)
            host.django(
                "from django.contrib.auth.models import User\n"
                "User.objects.filter(username='carol').update(is_staff=False)"
            )
            # The next re-check (every 0.5 s here) asks the hook, which reads Django's user.
            code, _ = await tab.wait_closed()
            assert code == 4403
        room = await carol.get("/collab/api/rooms/carols")
        assert room.json()["role"] == "viewer"


async def test_another_sites_pages_cannot_use_the_cookie(host: DjangoHost):
    """Django's CSRF token is not needed: collab refuses what another site's page could send
    with the cookie (README, "Django")."""
    async with host.client() as alice:
        cookie = await sign_in(alice, "alice")
        assert (await alice.put("/collab/api/rooms/guarded")).status_code == 201
        elsewhere = {"Origin": "http://elsewhere.example"}
        edit = {"text": "forged"}
        forged = await alice.patch("/collab/api/rooms/guarded/text", json=edit, headers=elsewhere)
        assert forged.status_code == 403, forged.text
        as_form = {"Content-Type": "text/plain"}  # a body a form can send, no preflight
        posted = await alice.patch("/collab/api/rooms/guarded/text", content="x", headers=as_form)
        assert posted.status_code == 415, posted.text
        snapshot = await alice.get("/collab/api/rooms/guarded/snapshot", params={"format": "text"})
        assert snapshot.text == ""
    tab = YClient(host.ws, "guarded", origin="http://elsewhere.example", headers={"Cookie": cookie})
    with pytest.raises(InvalidStatus) as refused:
        await tab.connect()
    assert refused.value.response.status_code == 403


def test_the_readme_shows_the_django_host_as_it_is():
    section = (ROOT / "README.md").read_text().split("\n### Django\n", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"`tests/hosts/django_host/(\S+)`:\n\n```python\n(.*?)```\n", section, re.S)
    assert [name for name, _ in shown] == HOST_FILES
    for name, text in shown:
        on_disk = (ROOT / "tests" / "hosts" / "django_host" / name).read_text()
        assert text == on_disk, f"README's Django section shows an old {name}: copy it in whole"
