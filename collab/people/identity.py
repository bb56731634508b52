"""What a person's email address and name may be, checked before an account is made."""

from __future__ import annotations

import re

from collab.store.people import normal_email

MAX_EMAIL_CHARS = 320
MAX_NAME_CHARS = 256

# One @ between a local part and a domain, neither empty, no spaces, no second @; the server
# sends no mail, so nothing finer is checked (a provider's addresses are its own business).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.][^@\s]*")


def _has_control(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def check_email(email: str) -> str:
    """The address as stored (trimmed, lowercased); ValueError with the reason if it is not one."""
    address = normal_email(email)
    if not address:
        raise ValueError("an email address is needed")
    if len(address) > MAX_EMAIL_CHARS:
        raise ValueError(f"an email address may have at most {MAX_EMAIL_CHARS} characters")
    if _has_control(address) or not _EMAIL.fullmatch(address) or address.endswith("."):
        raise ValueError(f"{email!r} is not an email address (like alice@example.com)")
    return address


def check_name(name: str) -> str:
    """The name as stored (trimmed); ValueError with the reason if it is empty, too long or
    holds control characters (a line break, a tab)."""
    trimmed = name.strip()
    if not trimmed:
        raise ValueError("a name is needed (--name)")
    if len(trimmed) > MAX_NAME_CHARS:
        raise ValueError(f"a name may have at most {MAX_NAME_CHARS} characters")
    if _has_control(trimmed):
        raise ValueError("a name may not hold control characters (line breaks, tabs)")
    return trimmed
