"""Suggestions across three processes of a cluster: made on one, heard by a page open on
another at once, accepted and rejected on a third and on the second; every process then holds
the same text, lists the same decisions and credits the accepted words to the suggester."""

from __future__ import annotations

from typing import Any

import httpx

from tests.auth.test_websocket_auth import SECRET, token
from tests.cluster.conftest import ClusterFactory, all_acked
from tests.yclient import YClient

TEXT = "The quick brown fox jumps over the lazy dog."
ACCEPTED = "The quick brown cat jumps over the lazy dog."


def as_(role: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name=name)}"}


def heard(page: YClient) -> list[tuple[str, str]]:
    return [(e["type"], e["thread"]) for e, _ in page.events if e["type"].startswith("suggestion.")]


async def test_suggest_on_one_process_decide_on_the_others(start_cluster: ClusterFactory):
    one, two, three = await start_cluster(3, COLLAB_SECRET=SECRET)
    async with httpx.AsyncClient(timeout=30) as http:

        def url(server: Any, path: str) -> str:
            return f"{server.http_url}/api/rooms/doc{path}"

        made = await http.put(url(one, ""), headers=as_("admin", "Ada"))
        assert made.status_code == 201, made.text
        async with YClient(
            two.ws_url, "doc", events=True, ack=True, token=token("doc", "editor", name="Wy")
        ) as page:
            page.insert(0, TEXT)
            await page.wait_for(lambda: all_acked(page))
            replace = await http.post(
                url(three, "/suggestions"),
                json={"kind": "replace", "passage": {"text": "fox"}, "text": "cat"},
                headers=as_("commenter", "Cy"),
            )
            assert replace.status_code == 201, replace.text
            delete = await http.post(
                url(one, "/suggestions"),
                json={"kind": "delete", "passage": {"text": "lazy "}, "body": "Too harsh?"},
                headers=as_("commenter", "Bo"),
            )
            assert delete.status_code == 201, delete.text
            first, second = replace.json()["id"], delete.json()["id"]
            await page.wait_for(lambda: len(heard(page)) == 2)
            assert heard(page) == [("suggestion.created", first), ("suggestion.created", second)]
            assert page.text == TEXT  # a suggestion changes nothing until it is accepted

            accepted = await http.post(
                url(one, f"/suggestions/{first}/accept"), headers=as_("editor", "Ed")
            )
            assert accepted.status_code == 200, accepted.text
            rejected = await http.post(
                url(two, f"/suggestions/{second}/reject"), headers=as_("editor", "Ed")
            )
            assert rejected.status_code == 200, rejected.text
            await page.wait_text(ACCEPTED)
            await page.wait_for(lambda: len(heard(page)) == 4)
            assert heard(page)[2:] == [
                ("suggestion.accepted", first),
                ("suggestion.rejected", second),
            ]

        for server in (one, two, three):
            shown_text = await http.get(
                url(server, "/snapshot"), params={"format": "text"}, headers=as_("viewer", "Vi")
            )
            assert shown_text.text == ACCEPTED
            for status, thread in (("accepted", first), ("rejected", second)):
                listed = await http.get(
                    url(server, "/suggestions"),
                    params={"status": status},
                    headers=as_("viewer", "Vi"),
                )
                assert listed.status_code == 200, listed.text
                [shown] = listed.json()["items"]
                assert shown["id"] == thread
                assert shown["suggestion"]["decided_by"]["name"] == "Ed"
            blame = await http.get(url(server, "/blame"), headers=as_("viewer", "Vi"))
            assert blame.status_code == 200, blame.text
            runs = [(run["text"], run["author"]) for run in blame.json()["runs"]]
            assert ("cat", "Cy") in runs
            assert all(author == "Wy" for words, author in runs if words != "cat")
