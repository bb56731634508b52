"""REST endpoints of people: who is asking (`/api/me`), signing in and out with a built-in
account (`/api/session`), and the server's people (`/api/people`: search for sharing, and a
server admin's management)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collab.api.access import identify
from collab.api.http import state_of
from collab.api.models.people import (
    Me,
    MePerson,
    OidcButton,
    PeoplePage,
    PeopleParams,
    PersonChange,
    PersonItem,
    PersonRef,
    SignIn,
    SignInWays,
)
from collab.api.oidc import LOGIN_PATH, oidc_routes, refused
from collab.api.operations import JsonBody, Operation, Query, Reply, reply, resource
from collab.auth import DEVELOPMENT, Identity
from collab.config import Settings
from collab.errors import (
    Forbidden,
    InvalidRequest,
    PersonExists,
    PersonNotFound,
    SignInFailed,
    SignInThrottled,
    SignInUnavailable,
    TokenMissing,
    Unauthorized,
)
from collab.people.oidc import OidcClaims, OidcSettings, OidcSignIn
from collab.people.passwords import verify_password_async
from collab.people.sessions import COOKIE, CookieSession, Sessions
from collab.state import CollabState
from collab.store.people import Person, normal_email

_INCORRECT = "email or password is incorrect"
MAX_EMAIL_CHARS = 320
MAX_NAME_CHARS = 256
log = logging.getLogger(__name__)

GET_ME = Operation(
    "getMe",
    "Who is asking, their CSRF token, and how one signs in here",
    {200: Reply("Whoever asks; `signed_in` false for a token, a link or nobody", Me)},
    description="Answers without credentials too (`person` null), so a sign-in page can ask.",
    authenticated=False,
)


@GET_ME.handles
async def get_me(request: Request) -> Response:
    """GET /api/me."""
    state = state_of(request)
    try:
        identity: Identity | None = await identify(request)
    except (TokenMissing, Unauthorized):
        identity = None
    return reply(await _me(state, identity))


async def _me(state: CollabState, identity: Identity | None) -> Me:
    person = None
    csrf = None
    if identity is not None and identity.person is not None and identity.session is not None:
        found = await state.store.people.session(identity.session)
        if found is not None:
            who = found.person
            person = MePerson(id=who.id, name=who.name, email=who.email, admin=who.is_admin)
            csrf = found.csrf
    development = state.auth.development
    name = None if identity is None or identity is DEVELOPMENT else identity.display
    return Me(
        development=development,
        signed_in=person is not None,
        person=person,
        name=name,
        csrf_token=csrf,
        sign_in=_ways(state),
    )


def _ways(state: CollabState) -> SignInWays:
    settings = state.settings
    if state.sessions is None:
        return SignInWays(password=False, oidc=None)
    oidc = None
    if settings.oidc_issuer:
        label = settings.oidc_provider_name or _host(settings.oidc_issuer)
        oidc = OidcButton(name=label, url=LOGIN_PATH)
    return SignInWays(password=True, oidc=oidc)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def provider_routes(settings: Settings) -> list[Route]:
    """Sign-in through the organisation's OpenID Connect provider (api/oidc.py), when one is
    configured: the person it names signs in (people/oidc.py checks who may)."""
    if not settings.oidc_issuer or settings.secret is None:
        return []
    if not settings.oidc_allowed_domains and not settings.oidc_allowed_groups:
        log.warning(
            "anyone the OpenID Connect provider %s knows may sign in here: limit who with "
            "COLLAB_OIDC_ALLOWED_DOMAINS or COLLAB_OIDC_ALLOWED_GROUPS",
            settings.oidc_issuer,
        )
    sign_in = OidcSignIn(OidcSettings.from_settings(settings), key=settings.secret.encode())
    return oidc_routes(sign_in, _provider_signed_in, public_url=settings.public_url or None)


async def _provider_signed_in(request: Request, claims: OidcClaims, next_path: str) -> Response:
    """The provider named this person: sign them in (made on first sign-in, linked to an
    account of the same verified email), unless deactivated here."""
    state = state_of(request)
    if not claims.email:
        return refused("the provider gave no email address; ask its admin to release it")
    verified = claims.email_verified or state.settings.oidc_trust_email
    if not verified:
        return refused(
            f"the provider has not verified your email address {claims.email}; ask its admin "
            "(or whoever runs this server: COLLAB_OIDC_TRUST_EMAIL)"
        )
    email = claims.email[:MAX_EMAIL_CHARS]
    name = (claims.name or email.split("@")[0])[:MAX_NAME_CHARS]
    try:
        person = await state.store.people.from_provider(
            claims.issuer, claims.subject, email, name, email_verified=True
        )
    except PersonExists:
        return refused(
            f"an account with the email {claims.email} exists here, and the provider has not "
            "verified that address: ask an admin"
        )
    if not person.active:
        return refused("your account on this server is deactivated")
    return await signed_in_response(request, person, redirect=next_path)


_SIGN_IN = JsonBody(SignIn)
SIGN_IN = Operation(
    "signIn",
    "Sign in with a built-in account's email and password; sets the session cookie",
    {200: Reply("Signed in: who, with the CSRF token", Me)},
    description="A wrong email, a wrong password and a deactivated account get the same 401. "
    "Failed attempts are throttled per account and per address, across every process of a "
    "cluster: 429 with Retry-After. Every "
    "sign-in starts a new session (a cookie sent with it is signed out).",
    authenticated=False,
    body=_SIGN_IN,
    problems={409: "This server has no sign-in (development mode)", 429: "Throttled"},
)


@SIGN_IN.handles
async def sign_in(request: Request) -> Response:
    """POST /api/session {"email", "password"}."""
    state = state_of(request)
    _sessions(state)
    body = await _SIGN_IN.read(request)
    email = normal_email(body.email)
    address = request.client.host if request.client else None
    throttle = state.throttle
    wait = throttle.wait(email, address)
    if wait > 0:
        raise SignInThrottled(wait)
    throttle.attempt(email, address)  # before the check: attempts sent together all count
    # Counted in the database too, so that every process of a cluster throttles alike.
    account, place = throttle.shared_keys(email, address)
    per_account, per_address = throttle.limits()
    limits = {account: per_account, place: per_address}
    wait, rows = await state.store.attempts.attempt(limits, throttle.window)
    if wait > 0:
        raise SignInThrottled(wait)
    found = await state.store.people.by_email(email)
    person, stored = found if found is not None else (None, None)
    async with throttle.checking:
        matches = await verify_password_async(stored, body.password)
    if not matches or person is None or not person.active:
        raise SignInFailed(_INCORRECT)
    throttle.succeeded(email, address)
    await state.store.attempts.clear(account)
    await state.store.attempts.take_back(rows[1:])  # the address is forgiven it
    return await signed_in_response(request, person, reply_with_me=True)


async def signed_in_response(
    request: Request, person: Person, *, reply_with_me: bool = False, redirect: str = "/"
) -> Response:
    """Start a session for `person` (ending the one the browser had) and answer with the
    cookie set: /api/me's body, or a redirect to `redirect` (a local path)."""
    state = state_of(request)
    sessions = _sessions(state)
    await sessions.end(request.cookies.get(COOKIE))
    await state.store.people.purge_sessions(datetime.now(UTC))  # expired ones, anyone's
    started = await sessions.start(person)
    response: Response
    if reply_with_me:
        response = reply(await _me(state, started.identity))
    else:
        location = quote(redirect, safe="/?&=#%:@!$'()*+,;~-._")  # a header is Latin-1
        response = Response(status_code=303, headers={"Location": location})
    set_session_cookie(response, request, started, sessions)
    return response


def set_session_cookie(
    response: Response, request: Request, started: CookieSession, sessions: Sessions
) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when the request came over https."""
    response.set_cookie(
        COOKIE,
        started.cookie,
        max_age=int(sessions.ttl),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https"
        or state_of(request).settings.public_url.startswith("https://"),
    )


SIGN_OUT = Operation(
    "signOut",
    "Sign out: end this session and clear its cookie",
    {204: Reply("Signed out (also when there was no session)")},
    authenticated=False,
)


@SIGN_OUT.handles
async def sign_out(request: Request) -> Response:
    """DELETE /api/session."""
    state = state_of(request)
    sessions = state.sessions
    cookie = request.cookies.get(COOKIE)
    live = await sessions.find(cookie) if cookie and sessions is not None else None
    if live is not None and sessions is not None:  # a dead cookie is only cleared
        identity = await identify(request)  # checks the CSRF token of a live session
        await sessions.end(cookie)
        await state.access.recheck(user_id=identity.user_id)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


def _sessions(state: CollabState) -> Sessions:
    if state.sessions is None:
        raise SignInUnavailable(
            "this server has no sign-in: it runs in development mode (no COLLAB_SECRET), where "
            "everyone is an admin"
        )
    return state.sessions


_PEOPLE_QUERY = Query(PeopleParams)
LIST_PEOPLE = Operation(
    "listPeople",
    "The server's people, by name: for sharing, and for a server admin to manage",
    {200: Reply("People; a server admin also sees each one's status and activity", PeoplePage)},
    description="Needs a person signed in (or a token that is a server admin's). Others see "
    "active people's names and emails only.",
    query=_PEOPLE_QUERY,
)


@LIST_PEOPLE.handles
async def list_people(request: Request) -> Response:
    """GET /api/people?q=&limit=."""
    state = state_of(request)
    identity = await _person_or_admin(request)
    query = _PEOPLE_QUERY.parse(request)
    admin = identity.server_admin
    people = await state.store.people.search(query.q, query.limit, active_only=not admin)
    if not admin:
        items = [PersonItem(**PersonRef.of(p).model_dump()) for p in people]
        return reply(PeoplePage(items=items))
    owned = await state.store.people.owned_counts([p.id for p in people])
    return reply(PeoplePage(items=[PersonItem.full(p, owned.get(p.id, 0)) for p in people]))


_CHANGE = JsonBody(PersonChange)
CHANGE_PERSON = Operation(
    "changePerson",
    "Deactivate, reactivate, make or unmake a server admin (server admins only)",
    {200: Reply("The person as changed", PersonItem)},
    description="Deactivating ends the person's sessions; their open editors close with 4403 "
    "at once on this process, and within COLLAB_AUTHORIZE_RECHECK seconds on the others.",
    body=_CHANGE,
    problems={409: "A server admin cannot deactivate or unmake themselves"},
)


@CHANGE_PERSON.handles
async def change_person(request: Request) -> Response:
    """PATCH /api/people/{person}."""
    state = state_of(request)
    identity = await _person_or_admin(request)
    if not identity.server_admin:
        raise Forbidden("only a server admin manages people")
    body = await _CHANGE.read(request)
    person_id = request.path_params["person"]
    if person_id == identity.person and (body.active is False or body.admin is False):
        raise SelfChange("you cannot deactivate yourself or stop being an admin yourself")
    values = {
        name: value
        for name, value in (("active", body.active), ("is_admin", body.admin))
        if value is not None
    }
    if not values:
        raise InvalidRequest("send `active` or `admin`")
    changed = await state.store.people.update(person_id, **values)
    if changed is None:
        raise PersonNotFound(f"no person {person_id!r} on this server")
    await state.access.recheck(user_id=f"person:{person_id}")
    owned = await state.store.people.owned_counts([person_id])
    return reply(PersonItem.full(changed, owned.get(person_id, 0)))


class SelfChange(InvalidRequest):
    """A server admin tried to lock themselves out."""

    http_status = 409


async def _person_or_admin(request: Request) -> Identity:
    identity = await identify(request)
    if identity.person is None and not identity.server_admin:
        raise Forbidden("this needs a person signed in")
    return identity


routes = [
    resource("/api/me", get=get_me),
    resource("/api/session", post=sign_in, delete=sign_out),
    resource("/api/people", get=list_people),
    resource("/api/people/{person}", patch=change_person),
]
