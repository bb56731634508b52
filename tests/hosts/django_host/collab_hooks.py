"""collab's hooks for a Django host: who is asking, from Django's session cookie and users;
what they may do, from the host's own rule (README, "Django"). Import it after Django is set
up (asgi.py does, after get_asgi_application())."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.db import close_old_connections
from django.http import HttpRequest

from collab.auth import Identity, Role
from collab.errors import Unauthorized
from collab.hooks import Authenticate, Authorize, Hooks


def signed_in(session_key: str) -> Any:
    """The user a Django session cookie signs in, as Django's AuthenticationMiddleware finds
    it (None for nobody): an expired or flushed session, or one whose password changed since,
    signs in nobody."""
    close_old_connections()  # as Django does around each request
    try:
        request = HttpRequest()
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = get_user(request)
        return user if user.is_authenticated else None
    finally:
        close_old_connections()


def role(user_id: str, room: str) -> Role | None:
    """The host's rule: staff edit every document, other active users read them, and
    documents named staff-... are for staff only."""
    close_old_connections()
    try:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    finally:
        close_old_connections()
    if user is None:
        return None
    if user.is_staff:
        return Role.EDITOR
    return None if room.startswith("staff-") else Role.VIEWER


class DjangoHooks(Hooks):
    async def on_authenticate(self, event: Authenticate) -> Identity | None:
        key = event.request.cookies.get(settings.SESSION_COOKIE_NAME)
        user = await sync_to_async(signed_in)(key) if key else None
        if user is None:
            raise Unauthorized("sign in first")  # 4401 / 401
        name = user.get_full_name() or user.get_username()
        return Identity(str(user.pk), name, ())  # roles: on_authorize

    async def on_authorize(self, event: Authorize) -> Role | None:
        # On each request and connection, and every COLLAB_AUTHORIZE_RECHECK seconds for each
        # open one: a user made inactive or no longer staff loses the role while connected.
        return await sync_to_async(role)(event.identity.user_id, event.room)
