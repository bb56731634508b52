"""What every API model shares: the strict base, room names, ids, timestamps, base64url, and
turning a validation failure into one clear 422 message."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails

from collab.errors import InvalidRequest
from collab.types import ROOM_NAME_PATTERN, is_decimal, is_valid_room_name

M = TypeVar("M", bound=BaseModel)


class Body(BaseModel):
    """A JSON body: strict types (no "1" for 1, no true for 1) and no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)


class Params(BaseModel):
    """Query parameters: strings turned into their types, unknown parameters ignored."""

    model_config = ConfigDict(extra="ignore")


def _room_name(name: str) -> str:
    if not is_valid_room_name(name):
        raise ValueError(
            "not a valid room name (1-128 URL-safe characters starting with a letter or digit)"
        )
    return name


RoomName = Annotated[
    str,
    AfterValidator(_room_name),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{ROOM_NAME_PATTERN}$",
            "description": "1-128 URL-safe characters starting with a letter or digit",
            "examples": ["notes"],
        }
    ),
]


def positive_id(raw: object) -> int:
    """A version id from a path or query string (or JSON): a positive decimal integer."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
        return raw
    if isinstance(raw, str) and is_decimal(raw) and int(raw) >= 1:
        return int(raw)
    raise ValueError(f"must be a positive integer, not {raw!r}")


PositiveId = Annotated[
    int,
    BeforeValidator(positive_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "examples": [12]}),
]


def _decimal(raw: object) -> object:
    if isinstance(raw, str) and not is_decimal(raw):
        raise ValueError(f"must be a decimal integer, not {raw[:40]!r}")
    return raw


# A query integer (its range set by a Field); "²", "1e3" and 5000 digits are refused.
QueryInt = Annotated[int, BeforeValidator(_decimal)]


def _isoformat(moment: datetime) -> str:
    return moment.isoformat()


Timestamp = Annotated[
    datetime,
    PlainSerializer(_isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _base64url(text: str) -> str:
    if _BASE64URL.fullmatch(text) is None:
        raise ValueError("not valid base64url (A-Z, a-z, 0-9, - and _, unpadded)")
    return text


Base64Url = Annotated[
    str,
    AfterValidator(_base64url),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_BASE64URL.pattern}$",
            "description": "base64url (unpadded when the server sends it)",
            "examples": ["AQLNqpeLCQU"],
        }
    ),
]


def validate(model: type[M], value: Any) -> M:
    """`value` as a `model`, or InvalidRequest (422) naming the first place it is wrong."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise InvalidRequest(describe(first, value)) from None


def describe(error: ErrorDetails, value: Any) -> str:
    """ "ops[1].index: Input should be a valid integer": where in `value`, then what."""
    where = _where(error["loc"], value, missing=error["type"] == "missing")
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else f"body: {message}"


def _where(loc: tuple[int | str, ...], value: Any, *, missing: bool) -> str:
    """The path to the error in `value`, without the union tags pydantic puts in `loc` (a
    step that names no key of the object there, except a missing field at the end)."""
    path, node = "", value
    for step, key in enumerate(loc):
        last = step == len(loc) - 1
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            path, node = f"{path}[{key}]", node[key]
        elif isinstance(node, dict) and (key in node or (last and missing)):
            path, node = f"{path}.{key}" if path else str(key), node.get(key)
        elif not isinstance(node, dict | list):
            path = f"{path}.{key}" if path else str(key)
    return path
