"""The host's own pages: who is signed in (Django's login and logout views do the rest)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def home(request: HttpRequest) -> JsonResponse:
    """Who Django says is signed in (null for nobody)."""
    user = request.user
    return JsonResponse({"user": user.get_username() if user.is_authenticated else None})
