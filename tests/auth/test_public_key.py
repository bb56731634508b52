"""A host app signs tokens with its private key (ES256); collab verifies with the public key."""

from __future__ import annotations

import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import ServerFactory
from tests.yclient import YClient


async def test_es256_tokens_verified_with_a_public_key(
    make_server: ServerFactory, sqlite_url: str, tmp_path
):
    private = ec.generate_private_key(ec.SECP256R1())
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "public.pem"
    key_file.write_bytes(public_pem)
    server = make_server(sqlite_url, COLLAB_PUBLIC_KEY=str(key_file))
    await server.start()
    claims = {"sub": "u1", "name": "Host User", "exp": time.time() + 60, "rooms": {"doc": "editor"}}
    good = jwt.encode(claims, private, algorithm="ES256")
    async with YClient(server.ws_url, "doc", token=good, ack=True) as client:
        client.append("signed by the host app")
        await client.wait_for(lambda: client.acked == 2)
    other = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims, other, algorithm="ES256")
    hs256 = jwt.encode(claims, "a-shared-secret-that-is-long-enough-000000", algorithm="HS256")
    for token in (forged, hs256):
        client = YClient(server.ws_url, "doc", token=token)
        await client.connect()
        code, _ = await client.wait_closed()
        assert code == 4402
