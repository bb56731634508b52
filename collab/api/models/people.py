"""Bodies of the people endpoints: who is signed in, signing in, the server's people, and who a
document is shared with."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from collab.api.models.common import Body, Params, QueryInt, Timestamp
from collab.store.people import Person

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=320),
    Field(description="an email address (compared without regard to case)"),
]
ShareRole = Annotated[
    Literal["viewer", "commenter", "editor", "admin"],
    Field(
        description="viewer: read; commenter: also comment; editor: also write; admin: also "
        "share, restore, delete"
    ),
]
OrgRole = Annotated[
    Literal["viewer", "commenter", "editor"] | None,
    Field(description="the role of everyone signed in who has the link; null: none"),
]


class PersonRef(BaseModel):
    """A person as others see them."""

    id: str = Field(
        description="the person's id (for the API; never shown to people); empty for a caller "
        "who sees names only (a share link's visitor)"
    )
    name: str
    email: str = Field(description="empty for a caller who sees names only")

    @classmethod
    def of(cls, person: Person) -> PersonRef:
        return cls(id=person.id, name=person.name, email=person.email)


class Owner(BaseModel):
    """A document's owner, as listings show them."""

    id: str
    name: str


class MePerson(PersonRef):
    """The person signed in."""

    admin: bool = Field(description="manages the server's people; may open every document")


class OidcButton(BaseModel):
    """How to sign in through the organisation's provider."""

    name: str = Field(description="what the button says")
    url: str = Field(description="where the browser goes (GET; `?next=/path` to come back to)")


class SignInWays(BaseModel):
    """The ways to sign in this server offers."""

    password: bool = Field(description="built-in accounts (POST /api/session)")
    oidc: OidcButton | None = Field(description="the organisation's OpenID Connect provider")


class Me(BaseModel):
    """Who is asking, and how one signs in here."""

    development: bool = Field(description="no secret: everyone is an anonymous admin")
    signed_in: bool = Field(description="a person's session cookie came with the request")
    person: MePerson | None
    name: str | None = Field(
        description="the name whoever asks is shown by (a person's, a token's); null: none"
    )
    csrf_token: str | None = Field(
        description="send as X-CSRF-Token with every request that changes something, made "
        "with the session cookie"
    )
    sign_in: SignInWays


class SignIn(Body):
    """POST /api/session."""

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class PeopleParams(Params):
    """GET /api/people."""

    q: str = Field("", max_length=200, description="only people whose name or email holds this")
    limit: QueryInt = Field(20, ge=1, le=200, description="at most this many, by name")


class PersonItem(PersonRef):
    """A person of the server; the fields after `email` only for a server admin."""

    admin: bool | None = None
    active: bool | None = None
    last_seen_at: Timestamp | None = None
    documents_owned: int | None = None
    sign_in: Literal["password", "provider", "both", "none"] | None = None

    @classmethod
    def full(cls, person: Person, owned: int) -> PersonItem:
        ways = {(True, True): "both", (True, False): "password", (False, True): "provider"}
        return cls(
            id=person.id,
            name=person.name,
            email=person.email,
            admin=person.is_admin,
            active=person.active,
            last_seen_at=person.last_seen_at,
            documents_owned=owned,
            sign_in=ways.get((person.has_password, person.oidc), "none"),  # type: ignore[arg-type]
        )


class PeoplePage(BaseModel):
    """People, by name."""

    items: list[PersonItem]


class PersonChange(Body):
    """PATCH /api/people/{id}: what a server admin changes."""

    active: bool | None = Field(None, description="false: deactivate (sessions end, editors close)")
    admin: bool | None = Field(None, description="make or unmake a server admin")


class SharedWith(BaseModel):
    """A person a document is shared with, and their role."""

    person: PersonRef
    role: ShareRole


class Access(BaseModel):
    """Who has access to a document and how (share links: GET /api/rooms/{room}/links)."""

    owner: PersonRef | None
    people: list[SharedWith]
    organisation: OrgRole
    can_manage: bool = Field(description="the caller may change who has access")


class Share(Body):
    """POST /api/rooms/{room}/access."""

    email: Email
    role: ShareRole


class RoleChange(Body):
    """PATCH /api/rooms/{room}/access/{person}."""

    role: ShareRole


class OrganisationRole(Body):
    """PUT /api/rooms/{room}/organisation."""

    role: OrgRole


class NewOwner(Body):
    """POST /api/rooms/{room}/owner."""

    person_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
