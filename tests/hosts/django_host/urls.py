"""The host's URLs; collab is not among them: asgi.py routes /collab/ to it before Django."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from tests.hosts.django_host import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
