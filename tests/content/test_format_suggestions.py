"""Accepting format suggestions and insertions at points naming a type, on documents made with
pycrdt as y-prosemirror keeps them: formatting follows the editor's schema (a code block's text
takes no marks, inline code no other), and a point is taken only when it names a type the
document holds as a text node or a block of text."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from collab.content.anchors import anchor
from collab.content.passages import locate_points, node_string, text_nodes
from collab.content.suggestions import Proposal, apply_proposal
from collab.protocol.encoding import write_var_uint


def _doc() -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=7)
    content = doc.get("content", type=XmlFragment)
    first = XmlText("abcdef")
    content.children.append(XmlElement("paragraph", contents=[first]))
    content.children.append(XmlElement("codeBlock", contents=[XmlText("x = 1")]))
    content.children.append(XmlElement("paragraph", contents=[XmlText("gh")]))
    node = content.children[0].children[0]
    assert isinstance(node, XmlText)
    node.format(2, 4, {"code": {}})
    return doc


def _format(doc: Doc[Any], index: int, length: int, marks: dict[str, bool]) -> None:
    made = anchor(doc, index, length)
    with doc.transaction():
        apply_proposal(doc, Proposal("format", "", made.start, made.end, None, "", marks))


def _shown(doc: Doc[Any]) -> str:
    return str(doc.get("content", type=XmlFragment))


def test_formatting_follows_the_editors_schema():
    doc = _doc()
    joined = "\n".join(node_string(node) for node in text_nodes(doc))
    assert joined == "abcdef\nx = 1\ngh"
    _format(doc, 0, len(joined), {"bold": True})
    # Inline code takes no other mark, a code block's text none at all.
    assert _shown(doc) == (
        "<paragraph><bold>ab</bold><code>cd</code><bold>ef</bold></paragraph>"
        "<codeBlock>x = 1</codeBlock><paragraph><bold>gh</bold></paragraph>"
    )
    _format(doc, 1, 2, {"code": True})  # "bc": code takes the place of bold
    assert _shown(doc).startswith(
        "<paragraph><bold>a</bold><code>bcd</code><bold>ef</bold></paragraph>"
    )
    _format(doc, 0, 6, {"bold": False, "italic": True})
    assert _shown(doc).startswith("<paragraph><italic>a</italic><code>bcd</code><italic>ef")


def _type_point(client: int, clock: int) -> bytes:
    return b"\x02" + write_var_uint(client) + write_var_uint(clock) + b"\x00"


def test_a_point_must_name_a_type_of_the_text():
    doc: Doc[Any] = Doc(client_id=7)
    content = doc.get("content", type=XmlFragment)
    content.children.append(XmlElement("paragraph"))  # clock 0: an empty paragraph
    content.children.append(XmlElement("paragraph", contents=[XmlText("ab")]))  # 1, 2; 3-4
    content.children.append(XmlElement("image", {"src": "/x.png"}))  # 5 (and its attribute)
    # The empty paragraph stands where the text before it ends (none: 0); the text node at
    # its end (assoc 0); a character's id, an image and an unknown id name no type of text.
    assert locate_points(doc, [_type_point(7, 0), _type_point(7, 2)]) == [0, 2]
    assert locate_points(doc, [_type_point(7, 3), _type_point(7, 5), _type_point(9, 0)]) == [
        None,
        None,
        None,
    ]
