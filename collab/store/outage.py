"""The one place a database outage becomes StoreUnavailable (503 with Retry-After on REST, 1013
on WebSockets): the SQL store's public coroutines are wrapped by `translates_outages`, so no
caller above the store sees a driver's or a socket's exception.

An outage is a failure to reach the database or to hear back from it: a connection refused,
reset or timed out (OSError, TimeoutError, SQLAlchemy's pool timeout), or any error the driver
reports that is not a refusal of the statement itself. Refusals (a constraint, a value the
column cannot hold, SQL the database does not understand) are answers, not outages: retrying
cannot help, so they are left to their callers (writes turn them into WriteRejected)."""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    NotSupportedError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from collab.errors import CollabError, StoreUnavailable

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)

# Errors by which the database refuses a statement for good; any other driver error is an outage.
REFUSALS = (IntegrityError, DataError, ProgrammingError, NotSupportedError)
# Failures on the way to the database, raised as they are: asyncpg's connect raises OSError
# (ConnectionRefusedError) unwrapped, and the one-trip SQLite append calls sqlite3 directly.
_UNREACHABLE = (OSError, TimeoutError, PoolTimeout, DisconnectionError, sqlite3.OperationalError)
# What clients are told; the driver's own message goes to the log (StoreUnavailable.cause).
UNAVAILABLE = "the database is unavailable; retry later"


def is_outage(error: BaseException) -> bool:
    """True when `error` means the database could not be reached or did not answer."""
    if isinstance(error, DBAPIError):
        return not isinstance(error, REFUSALS)
    return isinstance(error, _UNREACHABLE)


def translated(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`method`, raising StoreUnavailable (chained to the original) for an outage."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except CollabError:
            raise
        except Exception as error:
            if is_outage(error):
                raise StoreUnavailable(UNAVAILABLE) from error
            raise

    return call


def translates_outages(cls: C) -> C:
    """Class decorator: every public coroutine method of `cls` goes through `translated`."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, translated(member))
    return cls
