"""The REST API's routes, in the order the app matches them. collab.app defers importing this
module (and with it the handlers, their pydantic models and the OpenAPI schema) until the first
request that needs it (collab/api/deferred.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from collab.api import (
    agents,
    blame,
    comments,
    content,
    history,
    images,
    links,
    mentions,
    openapi,
    people,
    rooms,
    sharing,
    suggestions,
    trash,
)
from collab.config import Settings


def routes(settings: Settings) -> list[BaseRoute]:
    """Every REST route (sign-in through the OpenID Connect provider when one is configured)."""
    return [
        *rooms.routes,
        *content.routes,
        *history.routes,
        *links.routes,
        *comments.routes,
        *suggestions.routes,
        *blame.routes,
        *images.routes,
        *mentions.routes,
        *people.routes,
        *people.provider_routes(settings),
        *sharing.routes,
        *agents.routes,
        *trash.routes,
        *openapi.routes,
    ]
