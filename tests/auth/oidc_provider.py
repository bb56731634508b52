"""A real OpenID Connect provider for the sign-in tests: oidc-provider-mock's app, served on
127.0.0.1 by werkzeug, with PKCE enforced (the mock takes a code_challenge and ignores it): a
code whose authorization request carried no S256 challenge, or whose token request's verifier
does not match it, is refused with invalid_grant, as a strict provider does.

Run as a script (its own process, so the provider's deprecation warnings stay out of the tests):
`python tests/auth/oidc_provider.py --port 0`; it prints `listening <port>` once it accepts
connections; `Provider` runs it so for a test (tests/auth/test_oidc.py, the browser tests).
Users are set with `PUT /users/<sub>` and a JSON object of claims; the authorization endpoint
signs in whoever a POST of `sub=<sub>` names (its page has a `sub` field and an Authorize
button), or denies with `action=deny`."""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def s256(verifier: str) -> str:
    """RFC 7636's S256 code challenge of `verifier`."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class EnforcePkce:
    """WSGI middleware: remembers each issued code's challenge, checks the verifier at the
    token endpoint."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.challenges: dict[str, tuple[str, str] | None] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize":
            return self._authorize(environ, start_response)
        if path == "/oauth2/token" and environ.get("REQUEST_METHOD") == "POST":
            return self._token(environ, start_response)
        return self.app(environ, start_response)

    def _authorize(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        challenge = query.get("code_challenge", [None])[0]
        method = query.get("code_challenge_method", ["plain"])[0]

        def remember(status: str, headers: list[tuple[str, str]], *rest: Any) -> Callable[..., Any]:
            for name, value in headers:
                if name.lower() == "location":
                    code = parse_qs(urlsplit(value).query).get("code", [None])[0]
                    if code:
                        self.challenges[code] = (challenge, method) if challenge else None
            return start_response(status, headers, *rest)

        return self.app(environ, remember)

    def _token(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode())
        if form.get("grant_type") == ["authorization_code"]:
            code = form.get("code", [""])[0]
            verifier = form.get("code_verifier", [""])[0]
            expected = self.challenges.get(code)
            if expected is None:
                return _refuse(start_response, "PKCE is required: no S256 code_challenge was sent")
            challenge, method = expected
            if method != "S256" or s256(verifier) != challenge:
                return _refuse(start_response, "code_verifier does not match the code_challenge")
        return self.app(environ, start_response)


def _refuse(start_response: StartResponse, description: str) -> list[bytes]:
    body = json.dumps({"error": "invalid_grant", "error_description": description}).encode()
    start_response("400 BAD REQUEST", [("content-type", "application/json")])
    return [body]


class Provider:
    """oidc-provider-mock in a child process; stop and start again on the same port."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--port", str(self.port)],
                stdout=subprocess.PIPE,
                stderr=log,
            )
        stdout = self.process.stdout
        assert stdout is not None
        line = stdout.readline().decode()  # written once it listens; EOF if it died
        stdout.close()
        assert line.startswith("listening "), self.log_path.read_text()
        self.port = int(line.split()[1])

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process = None

    async def add_user(self, sub: str, **claims: Any) -> str:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.put(f"{self.issuer}/users/{sub}", json=claims)
            assert response.status_code == 204, response.text
        return sub


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    port = parser.parse_args().port
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on 127.0.0.1
    import oidc_provider_mock  # here, so that the tests can import s256 without it
    import werkzeug.serving

    app = EnforcePkce(oidc_provider_mock.app())
    server = werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True)
    print(f"listening {server.server_port}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
