"""Image nodes of a rich document that point at uploaded images (`src` a path of this server,
`/api/rooms/ROOM/images/ID`): pointing them at the room that holds the document now, after a
copy or an import under another name, so its exports link to images that room serves."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment

from collab.content.export import RICH, content_kind
from collab.content.roots import content_root

SERVED = re.compile(r"^/api/rooms/([^/?#]+)/images/([A-Za-z0-9_-]{1,64})$")


def image_path(room: str, image_id: str) -> str:
    """The path an uploaded image is served at."""
    return f"/api/rooms/{room}/images/{image_id}"


def rehome_images(doc: Doc[Any], room: str, ids: Collection[str]) -> int:
    """Point every image node of `doc` naming one of `ids` in another room at `room`'s copy
    of that image; how many it changed (in one transaction)."""
    if content_kind(doc) != RICH:
        return 0
    fragment = doc.get(content_root(doc), type=XmlFragment)
    changed = 0
    with doc.transaction():
        for element in _elements(fragment):
            found = SERVED.match(str(element.attributes.get("src") or ""))
            if found and found.group(1) != room and found.group(2) in ids:
                element.attributes["src"] = image_path(room, found.group(2))
                changed += 1
    return changed


def _elements(parent: XmlFragment | XmlElement) -> list[XmlElement]:
    """Every image element under `parent`, depth first."""
    found: list[XmlElement] = []
    for child in parent.children:
        if isinstance(child, XmlElement):
            if child.tag == "image":
                found.append(child)
            found.extend(_elements(child))
    return found
