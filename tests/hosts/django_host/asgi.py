"""The Django host's ASGI application without Channels: /collab/ (HTTP and WebSocket) goes to
collab, everything else to Django, and the server's lifespan to collab, which starts and stops
its store, rooms and writer there (Django's handler takes no lifespan).

    uvicorn tests.hosts.django_host.asgi:application
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application

import collab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.hosts.django_host.settings")
django_app = get_asgi_application()  # sets Django up: import what uses models after it

from .collab_hooks import DjangoHooks  # noqa: E402

collab_app = collab.create_app(settings.COLLAB, hooks=DjangoHooks())
PREFIX = "/collab"


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await collab_app(scope, receive, send)
        return
    root = scope.get("root_path", "")
    path = scope["path"].removeprefix(root)
    if path == PREFIX or path.startswith(PREFIX + "/"):
        # collab finds its routes below the ASGI root_path, as when mounted in Starlette.
        await collab_app({**scope, "root_path": root + PREFIX}, receive, send)
    elif scope["type"] == "http":
        await django_app(scope, receive, send)
    else:  # a WebSocket elsewhere: Django serves none (refused with 403)
        await send({"type": "websocket.close"})
