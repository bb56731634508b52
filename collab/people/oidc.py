"""Sign-in with an OpenID Connect provider: the authorization code flow with PKCE, from the
redirect to the provider to the checked claims of the person who came back.

`OidcSignIn.begin` makes the provider's authorization URL and a signed flow value (state, nonce,
PKCE verifier, where to go after) that the browser keeps in a short-lived cookie; `finish` takes
the provider's answer and that cookie, redeems the code, checks the ID token against the
provider's published keys, and applies the allowed email domains and groups. Every refusal is a
CollabError whose detail a person can read: Unauthorized for a sign-in that did not work,
Forbidden for a person this server does not let in, ProviderUnavailable when the provider is
down or answers nonsense.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

from collab.config import Settings, from_setting, view_of
from collab.errors import Forbidden, ProviderUnavailable, Unauthorized

if TYPE_CHECKING:  # httpx, authlib and PyJWT load with the first sign-in: an idle server needs none
    import httpx
    import jwt

log = logging.getLogger(__name__)

# A sign-in must come back from the provider within this many seconds.
FLOW_SECONDS = 600
# Seconds any one request to the provider may take (connect, send, answer).
HTTP_TIMEOUT = 10.0
# The provider's metadata is read again after this many seconds (its keys: on an unknown one).
METADATA_SECONDS = 3600.0
# Clock difference tolerated between this server and the provider when checking ID tokens.
CLOCK_LEEWAY = 60
SCOPES = ("openid", "email", "profile")
# Signature algorithms an ID token may use: the provider's public keys only, never a shared
# secret (HS*) or none.
ID_TOKEN_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_FLOW_AUDIENCE = "collab:oidc-flow"
_FLOW_KEY_LABEL = b"collab oidc sign-in flow"
_MAX_NEXT_PATH = 2048
_MAX_PROVIDER_TEXT = 200


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """What OpenID Connect sign-in takes from the settings."""

    issuer: str = from_setting("oidc_issuer")
    client_id: str = from_setting("oidc_client_id")
    client_secret: str | None = from_setting("oidc_client_secret")
    allowed_domains: str = from_setting("oidc_allowed_domains")
    allowed_groups: str = from_setting("oidc_allowed_groups")
    provider_name: str = from_setting("oidc_provider_name")

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcSettings:
        """The OpenID Connect part of `settings`."""
        return view_of(cls, settings)


@dataclass(frozen=True, slots=True)
class OidcClaims:
    """Who signed in, as the provider vouches: `subject` is unique (and stable) within `issuer`;
    `email_verified` says whether the provider checked that the person owns `email`."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Flow:
    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    next_path: str


def safe_next_path(value: str | None) -> str:
    """`value` when it is a path on this server ("/docs/a?x=1"), else "/": never another site
    ("//evil.example", "https://...", "/\\evil.example": browsers read a backslash as a slash)."""
    if (
        not value
        or len(value) > _MAX_NEXT_PATH
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    ):
        return "/"
    return value


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _readable(text: object) -> str:
    """Text from the provider, cut short and on one line, for a message to a person."""
    cleaned = " ".join(str(text).split())
    return cleaned[:_MAX_PROVIDER_TEXT]


class OidcSignIn:
    """Sign-in with the OpenID Connect provider `settings` names. `key` signs the flow values
    (a key for this purpose is derived from it, so they are never mistaken for another token
    signed with `key`). The provider's metadata and keys are fetched when first needed and
    cached."""

    def __init__(
        self, settings: OidcSettings, key: bytes, *, flow_seconds: int = FLOW_SECONDS
    ) -> None:
        if not settings.issuer or not settings.client_id:
            raise ValueError("OpenID Connect sign-in needs an issuer and a client id")
        self.settings = settings
        self._issuer = settings.issuer.rstrip("/")
        self._flow_key = hmac.new(key, _FLOW_KEY_LABEL, hashlib.sha256).digest()
        self._flow_seconds = flow_seconds
        self._domains = {d.lower().lstrip("@") for d in _split_list(settings.allowed_domains)}
        self._groups = set(_split_list(settings.allowed_groups))
        self._metadata: dict[str, Any] | None = None
        self._metadata_read = 0.0
        self._keys: list[jwt.PyJWK] | None = None

    @property
    def provider_name(self) -> str:
        """What the sign-in button calls the provider: the setting, else the issuer's host."""
        return self.settings.provider_name or urlsplit(self._issuer).hostname or self._issuer

    async def begin(self, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """Start a sign-in that comes back to `redirect_uri` and then goes on to `next_path`
        (a local path; anything else becomes "/"): the provider's authorization URL to send
        the browser to, and the flow value to keep in a short-lived HttpOnly cookie until
        `finish`."""
        from authlib.common.security import generate_token
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        async with self._client() as client:
            metadata = await self._read_metadata(client)
        flow = _Flow(
            state=generate_token(32),
            nonce=generate_token(32),
            verifier=generate_token(64),  # RFC 7636: 43 to 128 characters
            redirect_uri=redirect_uri,
            next_path=safe_next_path(next_path),
        )
        scopes = list(SCOPES)
        if "groups" in metadata.get("scopes_supported", ()):
            scopes.append("groups")
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": flow.state,
            "nonce": flow.nonce,
            "code_challenge": create_s256_code_challenge(flow.verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(metadata["authorization_endpoint"])
        joiner = "&" if "?" in endpoint else "?"
        return endpoint + joiner + urlencode(params), self._sign_flow(flow)

    async def finish(self, query: Mapping[str, str], flow: str | None) -> tuple[OidcClaims, str]:
        """Complete the sign-in `flow` (the value `begin` made) with the provider's answer
        (`query`, the callback's query parameters): the person's checked claims and the local
        path to go on to."""
        started = self._read_flow(flow)
        if "error" in query and "state" not in query:  # some providers drop it from refusals
            raise Unauthorized(self._provider_refusal(query, described=False))
        if not hmac.compare_digest(query.get("state", ""), started.state):
            raise Unauthorized(
                "this answer from the sign-in provider does not belong to the sign-in started "
                "in this browser (state mismatch): sign in again"
            )
        if "error" in query:
            raise Unauthorized(self._provider_refusal(query))
        code = query.get("code")
        if not code:
            raise Unauthorized(f"{self.provider_name} sent no sign-in code: sign in again")
        async with self._client() as client:
            metadata = await self._read_metadata(client)
            if "iss" in query and query["iss"] != metadata["issuer"]:  # RFC 9207: no mix-up
                raise Unauthorized(
                    "this answer came from another sign-in provider than the one the sign-in "
                    "was started with: sign in again"
                )
            tokens = await self._redeem(client, metadata, code, started)
            claims = await self._verify_id_token(client, str(tokens["id_token"]), started.nonce)
            access_token = tokens.get("access_token")
            if self._lacks_claims(claims) and isinstance(access_token, str):
                claims = await self._add_userinfo(client, metadata, claims, access_token)
        person = self._claims(metadata, claims)
        self.admit(person)
        return person, safe_next_path(started.next_path)

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The claims of `id_token` once its signature (by one of the provider's published
        keys), issuer, audience (this client), expiry and `nonce` check out; Unauthorized
        otherwise."""
        async with self._client() as client:
            return await self._verify_id_token(client, id_token, nonce)

    def admit(self, person: OidcClaims) -> None:
        """Forbidden unless `person` passes the allowed email domains and groups."""
        if self._domains:
            self._check_domain(person)
        if self._groups and not self._groups.intersection(person.groups):
            raise Forbidden(
                f"you are in none of the groups allowed to sign in here (as {self.provider_name} "
                "says): ask whoever runs this server to let you in"
            )

    def _check_domain(self, person: OidcClaims) -> None:
        if not person.email or "@" not in person.email:
            raise Forbidden(
                f"{self.provider_name} did not say your email address, and only people with "
                "an address in certain domains may sign in here"
            )
        domain = person.email.rsplit("@", 1)[1].lower()
        if domain not in self._domains:
            raise Forbidden(f"your email domain {domain} may not sign in here")
        if not person.email_verified:
            raise Forbidden(
                f"{self.provider_name} has not verified your email address {person.email}, so "
                "its domain cannot be trusted: verify it there, then sign in again"
            )

    # -- the flow value ----------------------------------------------------------------------

    def _sign_flow(self, flow: _Flow) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "aud": _FLOW_AUDIENCE,
            "iat": now,
            "exp": now + self._flow_seconds,
            "st": flow.state,
            "nn": flow.nonce,
            "cv": flow.verifier,
            "ru": flow.redirect_uri,
            "nx": flow.next_path,
        }
        return jwt.encode(claims, self._flow_key, algorithm="HS256")

    @property
    def _flow_minutes(self) -> int:
        return max(self._flow_seconds // 60, 1)

    def _read_flow(self, value: str | None) -> _Flow:
        import jwt

        if not value:
            raise Unauthorized(
                "this browser has no sign-in under way (it took longer than "
                f"{self._flow_minutes} minutes, cookies are blocked, or it was started in "
                "another browser): sign in again"
            )
        try:
            claims = jwt.decode(
                value,
                self._flow_key,
                algorithms=["HS256"],
                audience=_FLOW_AUDIENCE,
                options={"require": ["exp", "aud"]},
            )
            return _Flow(
                state=str(claims["st"]),
                nonce=str(claims["nn"]),
                verifier=str(claims["cv"]),
                redirect_uri=str(claims["ru"]),
                next_path=str(claims["nx"]),
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                f"the sign-in took longer than {self._flow_minutes} minutes: sign in again"
            ) from None
        except (jwt.PyJWTError, KeyError):
            raise Unauthorized(
                "this browser's sign-in could not be checked (its cookie was changed or made "
                "by another server): sign in again"
            ) from None

    # -- talking to the provider -------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)

    def _unreachable(self, what: str, url: str, cause: object) -> ProviderUnavailable:
        log.warning("OpenID Connect provider: %s (%s) failed: %s", what, url, cause)
        return ProviderUnavailable(
            f"the sign-in provider {self.provider_name} cannot be reached right now, or "
            "answered something this server cannot use: try again in a moment, and tell whoever "
            "runs this server if it keeps happening"
        )

    async def _get_json(
        self, client: httpx.AsyncClient, url: str, what: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        import httpx

        try:
            response = await client.get(
                url, headers={"accept": "application/json", **(headers or {})}
            )
        except httpx.HTTPError as error:
            raise self._unreachable(what, url, repr(error)) from None
        if response.status_code != 200:
            raise self._unreachable(what, url, f"HTTP {response.status_code}")
        return self._json_object(response, what, url)

    def _json_object(self, response: httpx.Response, what: str, url: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self._unreachable(what, url, "the answer is not a JSON object")
        return body

    async def _read_metadata(self, client: httpx.AsyncClient) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() - self._metadata_read < METADATA_SECONDS:
            return self._metadata
        url = self._issuer + "/.well-known/openid-configuration"
        metadata = await self._get_json(client, url, "discovery")
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(name), str):
                raise self._unreachable("discovery", url, f"its metadata has no {name}")
        if metadata["issuer"].rstrip("/") != self._issuer:
            raise self._unreachable(
                "discovery", url, f"it names another issuer, {metadata['issuer']!r}"
            )
        self._metadata, self._metadata_read = metadata, time.monotonic()
        return metadata

    async def _redeem(
        self, client: httpx.AsyncClient, metadata: Mapping[str, Any], code: str, flow: _Flow
    ) -> dict[str, Any]:
        """The token endpoint's answer for `code`, with the PKCE verifier and this client's
        credentials (HTTP Basic unless the provider only takes them in the body)."""
        import httpx

        url = str(metadata["token_endpoint"])
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.verifier,
        }
        auth = httpx.Auth()  # none: the client id goes in the body
        secret = self.settings.client_secret
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        if secret is None:
            form["client_id"] = self.settings.client_id
        elif "client_secret_basic" not in methods and "client_secret_post" in methods:
            form |= {"client_id": self.settings.client_id, "client_secret": secret}
        else:  # RFC 6749 2.3.1: both form-encoded before Basic encoding
            auth = httpx.BasicAuth(quote(self.settings.client_id, safe=""), quote(secret, safe=""))
        try:
            response = await client.post(
                url, data=form, auth=auth, headers={"accept": "application/json"}
            )
        except httpx.HTTPError as error:
            raise self._unreachable("token request", url, repr(error)) from None
        if response.status_code >= 500:
            raise self._unreachable("token request", url, f"HTTP {response.status_code}")
        tokens = self._json_object(response, "token request", url)
        if "error" in tokens or response.status_code != 200:
            reason = _readable(tokens.get("error_description") or tokens.get("error", "refused"))
            log.info("OpenID Connect token request refused: %s", reason)
            raise Unauthorized(
                f"{self.provider_name} did not accept this sign-in ({reason}): sign in again"
            )
        if not isinstance(tokens.get("id_token"), str):
            raise self._unreachable("token request", url, "its answer has no id_token")
        return tokens

    async def _signing_keys(
        self, client: httpx.AsyncClient, metadata: Mapping[str, Any], *, refresh: bool
    ) -> list[jwt.PyJWK]:
        import jwt

        if self._keys is not None and not refresh:
            return self._keys
        url = str(metadata["jwks_uri"])
        published = (await self._get_json(client, url, "key set")).get("keys")
        keys = []
        for entry in published if isinstance(published, list) else ():
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                keys.append(jwt.PyJWK(entry))
            except (jwt.PyJWTError, KeyError, ValueError, TypeError):
                continue  # a key type or curve this server cannot use
        self._keys = keys
        return keys

    def _algorithms(self, metadata: Mapping[str, Any]) -> list[str]:
        offered = metadata.get("id_token_signing_alg_values_supported", ["RS256"])
        usable = ID_TOKEN_ALGORITHMS.intersection(offered if isinstance(offered, list) else ())
        return sorted(usable) or ["RS256"]

    async def _verify_id_token(
        self, client: httpx.AsyncClient, id_token: str, nonce: str
    ) -> dict[str, Any]:
        """The checked claims of `id_token`. Its signature is checked with the published key
        its `kid` names (with each, when it names none); when none fits, the key set is read
        again once, as the provider may have rotated its keys since it was read."""
        import jwt

        metadata = await self._read_metadata(client)
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
        except jwt.PyJWTError:
            raise Unauthorized(f"{self._id_token} is not a token: sign in again") from None
        tried = False
        for refresh in (False, True):
            keys = await self._signing_keys(client, metadata, refresh=refresh)
            for key in keys:
                if kid is not None and key.key_id != kid:
                    continue
                tried = True
                claims = self._decode(id_token, key.key, metadata)
                if claims is not None:
                    return self._check_claims(claims, nonce)
        if tried:
            raise Unauthorized(f"{self._id_token} has a signature that does not check out")
        raise Unauthorized(
            f"{self._id_token} is signed with a key it does not publish: sign in again"
        )

    @property
    def _id_token(self) -> str:
        return f"the identity token from {self.provider_name}"

    def _decode(
        self, id_token: str, key: Any, metadata: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The claims of `id_token` signed with `key`; None when `key` did not sign it."""
        import jwt

        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=self._algorithms(metadata),
                audience=self.settings.client_id,
                issuer=metadata["issuer"],
                leeway=CLOCK_LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError, TypeError):
            return None  # another key, or one of another type than the token's algorithm
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                f"{self._id_token} has expired (is this server's clock right?): sign in again"
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(
                f"{self._id_token} was made for another client, not this server's "
                f"({self.settings.client_id}): sign in again"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(
                f"{self._id_token} was issued by another provider: sign in again"
            ) from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"{self._id_token} is not valid ({error}): sign in again") from None
        return claims

    def _check_claims(self, claims: dict[str, Any], nonce: str) -> dict[str, Any]:
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        party = claims.get("azp")
        if (len(audiences) > 1 or party is not None) and party != self.settings.client_id:
            raise Unauthorized(f"{self._id_token} was made for another client: sign in again")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"], nonce
        ):
            raise Unauthorized(
                f"{self._id_token} does not belong to this sign-in (nonce mismatch): sign in again"
            )
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise Unauthorized(f"{self._id_token} names nobody (no subject): sign in again")
        return claims

    def _lacks_claims(self, claims: Mapping[str, Any]) -> bool:
        wanted = ["email", "name"] + (["groups"] if self._groups else [])
        return any(name not in claims for name in wanted)

    async def _add_userinfo(
        self,
        client: httpx.AsyncClient,
        metadata: Mapping[str, Any],
        claims: dict[str, Any],
        access_token: str,
    ) -> dict[str, Any]:
        """`claims` with those it lacks taken from the userinfo endpoint, when there is one."""
        url = metadata.get("userinfo_endpoint")
        if not isinstance(url, str):
            return claims
        info = await self._get_json(
            client, url, "userinfo", headers={"authorization": f"Bearer {access_token}"}
        )
        if info.get("sub") != claims["sub"]:  # OpenID Connect Core 5.3.2
            raise Unauthorized(
                f"{self.provider_name} described another person than the one who signed in: "
                "sign in again"
            )
        return {**info, **claims}

    def _claims(self, metadata: Mapping[str, Any], claims: Mapping[str, Any]) -> OidcClaims:
        email = claims.get("email")
        verified = claims.get("email_verified")
        return OidcClaims(
            issuer=str(metadata["issuer"]),
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) and email else None,
            # Some providers send the string "true".
            email_verified=verified is True or str(verified).lower() == "true",
            name=_display_name(claims),
            groups=_groups(claims.get("groups")),
        )

    def _provider_refusal(self, query: Mapping[str, str], *, described: bool = True) -> str:
        """Why the provider did not sign the person in: its description only when the answer
        is known to be the provider's (its state matched), else just the error's code."""
        error = "".join(char for char in query.get("error", "") if char.isalnum() or char in "_-.")
        if error == "access_denied":
            return f"{self.provider_name} did not sign you in (access was denied)"
        said = _readable(query.get("error_description") or error) if described else error[:64]
        return f"{self.provider_name} did not sign you in: {said or 'no reason given'}"


def _display_name(claims: Mapping[str, Any]) -> str | None:
    """`name`, else given and family names, else the preferred user name."""
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [claims.get("given_name"), claims.get("family_name")]
    joined = " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())
    if joined:
        return joined
    username = claims.get("preferred_username")
    return username.strip() if isinstance(username, str) and username.strip() else None


def _groups(value: object) -> tuple[str, ...]:
    """The `groups` claim as names: a list of them, or one name."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str) and item)
    return ()
