"""Rich-text edits over REST (PATCH .../content) in a cluster of three processes: an edit made on
one process reaches clients on the others as the smallest change, and a conditional edit is
checked against the passage as its process holds it."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import XmlElement, XmlFragment, XmlText

from tests.cluster.conftest import ClusterFactory, all_acked, texts_on
from tests.yclient import YClient

DOC = "# Plan\n\nShip in May.\n\n# Notes\n\nWritten by people.\n"


def _blocks(client: YClient) -> list[str]:
    fragment = client.doc.get("content", type=XmlFragment)
    return [_text(block) for block in fragment.children]


async def _wait_blocks(client: YClient, blocks: list[str]) -> None:
    try:
        await client.wait_for(lambda: _blocks(client) == blocks)
    except TimeoutError:
        raise AssertionError(f"{_blocks(client)} != {blocks}") from None


def _text(node: Any) -> str:
    if isinstance(node, XmlText):
        return "".join(chunk for chunk, _ in node.diff() if isinstance(chunk, str))
    if isinstance(node, XmlElement):
        return "".join(_text(child) for child in node.children)
    return ""


async def test_a_rich_edit_on_one_process_reaches_clients_on_the_others(
    start_cluster: ClusterFactory,
):
    servers = await start_cluster(3)
    async with httpx.AsyncClient(timeout=30) as http:
        first = f"{servers[0].http_url}/api/rooms/plan"
        assert (await http.put(first, json={"kind": "rich"})).status_code == 201
        written = await http.patch(f"{first}/content", json={"markdown": DOC})
        assert written.status_code == 200, written.text
        async with (
            YClient(servers[1].ws_url, "plan", ack=True) as person,
            YClient(servers[2].ws_url, "plan") as watcher,
        ):
            for client in (person, watcher):
                await _wait_blocks(client, ["Plan", "Ship in May.", "Notes", "Written by people."])
            read = await http.get(
                f"{servers[2].http_url}/api/rooms/plan/content", params={"heading": "Plan"}
            )
            base = read.json()["base"]
            fragment = person.doc.get("content", type=XmlFragment)
            notes = next(iter(list(fragment.children)[3].children))
            assert isinstance(notes, XmlText)
            notes.insert(len(notes), " And agents.")  # on process 1, meanwhile
            await person.wait_for(lambda: all_acked(person))
            edited = await http.patch(
                f"{servers[2].http_url}/api/rooms/plan/content",
                params={"heading": "Plan"},
                json={"markdown": "# Plan\n\nShip in **June**.\n", "base": base},
            )
            assert edited.status_code == 200, edited.text
            expected = ["Plan", "Ship in June.", "Notes", "Written by people. And agents."]
            for client in (person, watcher):
                await _wait_blocks(client, expected)
            # Once every process holds the person's next change, a stale base is refused.
            plan = next(iter(list(fragment.children)[1].children))
            assert isinstance(plan, XmlText)
            plan.insert(0, "We ")
            await person.wait_for(lambda: all_acked(person))
            await watcher.wait_for(lambda: _blocks(watcher)[1] == "We Ship in June.")
            texts = await texts_on(servers, "plan")
            assert all("We Ship in June." in text for text in texts), texts
            stale = await http.patch(
                f"{servers[0].http_url}/api/rooms/plan/content",
                params={"heading": "Plan"},
                json={"markdown": "# Plan\n\nNever.\n", "base": edited.json()["base"]},
            )
            assert stale.status_code == 409, stale.text
            assert _blocks(watcher)[1] == "We Ship in June."
