"""What every part of the REST client shares: errors parsed from problem documents, answers
parsed into the API's models, and room paths."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import ValidationError

from collab.api.models.common import M
from collab.api.models.problems import Problem


class CollabAPIError(Exception):
    """A non-2xx answer, parsed from its RFC 9457 problem document."""

    def __init__(self, status: int, detail: str, type: str = "about:blank", title: str = ""):
        super().__init__(f"{status} {title}: {detail}" if title else f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title

    @classmethod
    def from_response(cls, response: httpx.Response) -> CollabAPIError:
        """Build from a response; a body that is not a problem document becomes the detail."""
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError:
            return cls(response.status_code, response.text, title=response.reason_phrase)
        return cls(response.status_code, problem.detail, problem.type, problem.title)


def room_path(room: str, *rest: str) -> str:
    return "/".join(["/api/rooms", quote(room, safe=""), *rest])


def raise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        raise CollabAPIError.from_response(response)


def parse(model: type[M], response: httpx.Response) -> M:
    """A successful answer as the API model of its shape."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        detail = f"the answer is not a {model.__name__}: {error.errors()[0]['msg']}"
        raise CollabAPIError(response.status_code, detail) from None
