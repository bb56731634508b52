"""Documents rendered as JSON, whatever shared types their roots hold."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

from collab.content.export import doc_to_json, roots


def test_a_map_holding_xml_nodes_renders_them_as_xml_strings() -> None:
    """Found by the validator fuzzer: Map.to_py refuses an XmlElement ("no Python equivalent"),
    which made every JSON rendering of such a document fail."""
    doc: Doc[Any] = Doc()
    meta = doc.get("meta", type=Map)
    meta["title"] = "Plan"
    meta["node"] = XmlFragment([XmlElement("p", {"class": "c"}, [XmlText("hi")])])
    meta["nested"] = Map({"text": Text("t"), "list": Array([1, XmlFragment([XmlText("x")])])})

    rendered = doc_to_json(doc.get_update())

    assert rendered["meta"] == {
        "title": "Plan",
        "node": '<p class="c">hi</p>',
        "nested": {"text": "t", "list": [1, "x"]},
    }
    assert roots(doc.get_update())["meta"].kind == "map"


def test_a_plain_map_renders_as_to_py_does() -> None:
    doc: Doc[Any] = Doc()
    doc.get("m", type=Map)["k"] = {"a": [1, 2.5, None, True, "s"], "b": {"c": {}}}
    assert doc_to_json(doc.get_update())["m"] == doc.get("m", type=Map).to_py()
