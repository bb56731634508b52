"""Values read back from Yjs as the JSON they were written as: yrs hands every number back as a
float (a heading's level 2 comes back 2.0), so whole numbers are made ints again."""

from __future__ import annotations

from typing import Any

from pycrdt import XmlElement


def plain(value: Any) -> Any:
    """`value` with whole floats as ints, inside lists and objects too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def attributes(element: XmlElement) -> dict[str, Any]:
    """An element's attributes, numbers as they were written."""
    return {key: plain(value) for key, value in element.attributes.__iter__()}
