"""Comments across the processes of a cluster: a thread made on one process reaches the open
pages of another at once (EVENT over the bus), and its range follows edits made on another."""

from __future__ import annotations

import httpx

from tests.auth.test_websocket_auth import SECRET, token
from tests.cluster.conftest import ClusterFactory, all_acked
from tests.yclient import YClient

TEXT = "Revenue grew 12% in Q3."


def as_(role: str, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('doc', role, name=name)}"}


async def test_a_reviewer_on_one_process_and_a_writer_on_another(start_cluster: ClusterFactory):
    here, there = await start_cluster(2, COLLAB_SECRET=SECRET)
    async with httpx.AsyncClient(timeout=30) as http:
        assert (
            await http.put(f"{here.http_url}/api/rooms/doc", headers=as_("admin", "Ada"))
        ).is_success
        async with (
            YClient(
                there.ws_url, "doc", events=True, ack=True, token=token("doc", "editor", name="Wy")
            ) as writer,
        ):
            writer.insert(0, TEXT)
            await writer.wait_for(lambda: all_acked(writer))
            passage = {"index": TEXT.index("12%"), "length": 3}
            made = await http.post(
                f"{here.http_url}/api/rooms/doc/threads",
                json={"passage": passage, "body": "Source?"},
                headers=as_("commenter", "Rev"),
            )
            assert made.status_code == 201, made.text
            thread = made.json()
            await writer.wait_for(lambda: any(e["type"] == "comment" for e, _ in writer.events))
            event = next(e for e, _ in writer.events if e["type"] == "comment")
            assert event["thread"] == thread["id"] and event["author"] == "Rev"
            writer.insert(0, "Q3 note: ")
            await writer.wait_for(lambda: all_acked(writer))
            listed = await http.get(
                f"{here.http_url}/api/rooms/doc/threads", headers=as_("viewer", "Vi")
            )
            shown = listed.json()["items"][0]
            assert shown["range"] == {
                "index": len("Q3 note: ") + TEXT.index("12%"),
                "length": 3,
                "text": "12%",
            }
