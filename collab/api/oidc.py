"""Sign-in with an OpenID Connect provider, as routes: `/auth/oidc/login` sends the browser to
the provider, `/auth/oidc/callback` takes it back and hands the checked person to `signed_in`
(which makes the session). The flow between the two lives in the `collab_oidc` cookie, on
`/auth/oidc` only; a refusal goes to the sign-in page as `/signin?error=<message>`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from collab.errors import CollabError
from collab.people.oidc import FLOW_SECONDS, OidcClaims, OidcSignIn

log = logging.getLogger(__name__)

FLOW_COOKIE = "collab_oidc"
COOKIE_PATH = "/auth/oidc"
LOGIN_PATH = COOKIE_PATH + "/login"
CALLBACK_PATH = COOKIE_PATH + "/callback"
SIGNIN_PAGE = "/signin"

# Makes the session for a person the provider vouched for, and answers with where to go
# (normally a redirect to the local path given).
SignedIn = Callable[[Request, OidcClaims, str], Awaitable[Response]]


def oidc_routes(
    sign_in: OidcSignIn, signed_in: SignedIn, *, public_url: str | None = None
) -> list[Route]:
    """`GET /auth/oidc/login?next=/path` and `GET /auth/oidc/callback`. The provider sends
    people back to `public_url` + `/auth/oidc/callback` (that URL must be registered with it),
    or, without `public_url`, to the callback on the scheme and host the login came in on."""

    async def login(request: Request) -> Response:
        redirect_uri = _callback_url(request, public_url)
        try:
            url, flow = await sign_in.begin(redirect_uri, request.query_params.get("next", "/"))
        except CollabError as error:
            return _refused(error)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            flow,
            max_age=FLOW_SECONDS,
            path=COOKIE_PATH,
            secure=_secure(request, public_url),
            httponly=True,
            samesite="lax",  # sent on the provider's top-level redirect back
        )
        response.headers["cache-control"] = "no-store"
        return response

    async def callback(request: Request) -> Response:
        try:
            claims, next_path = await sign_in.finish(
                request.query_params, request.cookies.get(FLOW_COOKIE)
            )
        except CollabError as error:
            response = _refused(error)
        else:
            response = await signed_in(request, claims, next_path)
        response.delete_cookie(
            FLOW_COOKIE,
            path=COOKIE_PATH,
            secure=_secure(request, public_url),
            httponly=True,
            samesite="lax",
        )
        response.headers["cache-control"] = "no-store"
        return response

    return [
        Route(LOGIN_PATH, login, methods=["GET"], name="oidc_login"),
        Route(CALLBACK_PATH, callback, methods=["GET"], name="oidc_callback"),
    ]


def _callback_url(request: Request, public_url: str | None) -> str:
    if public_url:
        return public_url.rstrip("/") + CALLBACK_PATH
    return str(request.url.replace(path=CALLBACK_PATH, query="", fragment=""))


def _secure(request: Request, public_url: str | None) -> bool:
    if public_url:
        return public_url.startswith("https://")
    return request.url.scheme == "https"


def _refused(error: CollabError) -> Response:
    """To the sign-in page, which shows why."""
    log.info("OpenID Connect sign-in refused (%s): %s", type(error).__name__, error.detail)
    return refused(error.detail)


def refused(message: str) -> Response:
    """A sign-in refused: to the sign-in page, which shows `message` (as text)."""
    return RedirectResponse(SIGNIN_PAGE + "?" + urlencode({"error": message}), status_code=303)
