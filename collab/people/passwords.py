"""Built-in accounts' passwords: argon2id hashes (argon2-cffi), checked off the event loop."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # argon2-cffi loads with the first password: an idle server needs none
    from argon2 import PasswordHasher

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


@functools.cache
def _hasher() -> PasswordHasher:
    """The hasher, made with the first password hashed or checked."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _decoy() -> str:
    """A hash checked against when the account does not exist, so that a sign-in takes as long
    either way (made with the first password checked, whichever account it is for)."""
    return _hasher().hash("collab: a password nobody has")


def check_new_password(password: str) -> None:
    """ValueError with the reason unless `password` is acceptable for an account."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password may have at most {MAX_PASSWORD_CHARS} characters")


def hash_password(password: str) -> str:
    """An argon2id hash of an acceptable password (ValueError otherwise)."""
    check_new_password(password)
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; None (no account, or no password) is checked
    against a decoy and never matches, taking the same time."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if len(password) > MAX_PASSWORD_CHARS:
        return False
    decoy = _decoy()  # made before either check: the first sign-in takes as long either way
    try:
        _hasher().verify(stored or decoy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored is not None


async def verify_password_async(stored: str | None, password: str) -> bool:
    """`verify_password` on a worker thread: a hash costs tens of milliseconds of CPU."""
    return await asyncio.to_thread(verify_password, stored, password)


async def hash_password_async(password: str) -> str:
    """`hash_password` on a worker thread."""
    return await asyncio.to_thread(hash_password, password)
