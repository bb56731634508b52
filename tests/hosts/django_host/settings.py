"""Settings of the Django test host (tests/hosts/test_django_host.py): its own users and
sessions in SQLite under DJANGO_HOST_DATA, and collab mounted at /collab/ by asgi.py (plain
ASGI dispatch) or asgi_channels.py (Channels' routers)."""

from __future__ import annotations

import os
from pathlib import Path

import collab

DATA = Path(os.environ.get("DJANGO_HOST_DATA", "."))
HERE = Path(__file__).resolve().parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "test-only-" + "x" * 50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.hosts.django_host.urls"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA / "django.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Tests only: a fast hash (the default PBKDF2 takes most of a second per sign-in on a slow CI).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# collab's own settings: COLLAB_* environment variables (COLLAB_DATABASE_URL...), as for
# `collab serve`; asgi.py passes them to collab.create_app.
COLLAB = collab.Settings.from_env()
