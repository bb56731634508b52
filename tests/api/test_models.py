"""A body the models refuse gets one 422 message naming where it is wrong, in the body's own
terms (no union tags), and what is wrong."""

from __future__ import annotations

import pytest

from collab.api.models.common import validate
from collab.api.models.rooms import CopyRoom, RoomListParams, TextEdit
from collab.api.models.versions import NewVersion
from collab.errors import InvalidRequest


@pytest.mark.parametrize(
    ("model", "body", "message"),
    [
        (
            TextEdit,
            {
                "ops": [
                    {"op": "insert", "index": 0, "text": "a"},
                    {"op": "delete", "index": "1", "length": 1},
                ]
            },
            "ops[1].index: Input should be a valid integer",
        ),
        (TextEdit, {"ops": [{"op": "delete", "index": 0}]}, "ops[0].length: Field required"),
        (
            TextEdit,
            {"ops": [{"op": "move"}]},
            'ops[0]: must be {"op": "insert", "index": i, "text": s}',
        ),
        (
            TextEdit,
            {"ops": [{"op": "insert", "index": True, "text": "a"}]},
            "ops[0].index: Input should be a valid integer",
        ),
        (TextEdit, ["text"], 'body: must be {"text": "..."} or {"ops": [...]}'),
        (TextEdit, {"text": 3}, "text: Input should be a valid string"),
        (CopyRoom, {"to": ".hidden"}, "to: not a valid room name"),
        (CopyRoom, {"to": "b", "from": "a"}, "from: Extra inputs are not permitted"),
        (NewVersion, {"label": "   "}, "label: String should have at least 1 character"),
        (RoomListParams, {"limit": "²"}, "limit: must be a decimal integer, not '²'"),
        (RoomListParams, {"limit": "201"}, "limit: Input should be less than or equal to 200"),
    ],
)
def test_refusals_name_the_place_and_the_problem(model, body, message):
    with pytest.raises(InvalidRequest) as refused:
        validate(model, body)
    assert refused.value.detail.startswith(message), refused.value.detail
    assert refused.value.http_status == 422


def test_valid_bodies_parse_into_their_types():
    edit = validate(TextEdit, {"ops": [{"op": "delete", "index": 2, "length": 3}]}).root
    assert edit.model_dump() == {"ops": [{"op": "delete", "index": 2, "length": 3}]}
    assert validate(NewVersion, {"label": "  Draft "}).label == "Draft"
    assert validate(RoomListParams, {"limit": "7", "other": "x"}).limit == 7
