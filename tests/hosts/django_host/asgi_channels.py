"""The Django host's ASGI application with Channels: its routers send /collab/ (HTTP and
WebSocket) to collab, other HTTP to Django, and the server's lifespan to collab, which starts
and stops its store, rooms and writer there (without a "lifespan" entry collab never starts).

    uvicorn tests.hosts.django_host.asgi_channels:application
"""

from __future__ import annotations

import os
from typing import Any

from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import re_path

import collab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.hosts.django_host.settings")
django_app = get_asgi_application()  # sets Django up: import what uses models after it

from .collab_hooks import DjangoHooks  # noqa: E402

collab_app = collab.create_app(settings.COLLAB, hooks=DjangoHooks())


async def under_collab(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """collab below /collab/: URLRouter leaves the path whole, and collab finds its routes
    below the ASGI root_path, as when mounted in Starlette."""
    await collab_app({**scope, "root_path": scope.get("root_path", "") + "/collab"}, receive, send)


collab_routes = [re_path(r"^collab/", under_collab)]
application = ProtocolTypeRouter(
    {
        "lifespan": collab_app,
        "http": URLRouter([*collab_routes, re_path(r"", django_app)]),
        "websocket": URLRouter(collab_routes),  # the project's own consumers go here too
    }
)
