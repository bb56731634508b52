"""Two or more real clients through a real server: convergence, late joiners, awareness."""

from __future__ import annotations

import asyncio
import json

from tests.server import ServerProcess
from tests.yclient import YClient


async def test_concurrent_edits_converge_and_late_joiner_gets_everything(server: ServerProcess):
    async with YClient(server.ws_url, "doc") as alice, YClient(server.ws_url, "doc") as bob:
        await alice.synced.wait()
        await bob.synced.wait()
        for i in range(20):
            alice.append(f"a{i} ")
            bob.insert(0, f"b{i} ")
            await asyncio.sleep(0)
        await alice.wait_for(lambda: alice.text.count("b") == 20 and alice.text.count("a") == 20)
        await bob.wait_text(alice.text)
        async with YClient(server.ws_url, "doc") as carol:
            await carol.wait_text(alice.text)
        assert all(f"a{i} " in alice.text and f"b{i} " in alice.text for i in range(20))


async def test_other_root_types_are_kept_and_synced(server: ServerProcess):
    from pycrdt import Map

    async with YClient(server.ws_url, "mixed") as alice, YClient(server.ws_url, "mixed") as bob:
        meta = alice.doc.get("meta", type=Map)
        meta["title"] = "Plan"
        alice.append("body")
        bob_meta = bob.doc.get("meta", type=Map)
        await bob.wait_for(lambda: bob_meta.get("title") == "Plan" and bob.text == "body")


async def test_awareness_appears_at_peers_and_disappears_on_disconnect(server: ServerProcess):
    async with YClient(server.ws_url, "pres") as alice:
        bob = YClient(server.ws_url, "pres")
        await bob.connect()
        await bob.send_raw(bob.set_awareness(1, {"user": {"name": "Bob"}}))
        await alice.wait_for(lambda: bob.doc.client_id in alice.awareness)
        assert json.loads(alice.awareness[bob.doc.client_id]) == {"user": {"name": "Bob"}}
        bob.abort()  # no close handshake, no awareness removal from the client itself
        await alice.wait_for(lambda: bob.doc.client_id not in alice.awareness)


async def test_awareness_of_present_clients_reaches_a_newcomer(server: ServerProcess):
    async with YClient(server.ws_url, "pres2") as alice:
        await alice.send_raw(alice.set_awareness(1, {"user": {"name": "Alice"}}))
        await alice.wait_for(lambda: alice.doc.client_id in alice.awareness)
        async with YClient(server.ws_url, "pres2") as bob:
            await bob.wait_for(lambda: alice.doc.client_id in bob.awareness)


async def test_durable_acknowledgement_counts_every_update_message(server: ServerProcess):
    async with YClient(server.ws_url, "acks", ack=True) as alice:
        await alice.synced.wait()
        for i in range(10):
            alice.append(str(i))
        await alice.wait_for(lambda: alice.sent_updates == 11 and alice.acked == 11)


async def test_plain_clients_never_receive_acknowledgements(server: ServerProcess):
    async with YClient(server.ws_url, "noack") as alice, YClient(server.ws_url, "noack") as bob:
        alice.append("hello")
        await bob.wait_text("hello")
        assert alice.acked == 0
