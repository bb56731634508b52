"""How to tell two document states apart, deletions included."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pycrdt import Doc

from collab.content.export import doc_to_json
from collab.protocol.encoding import Reader


def fingerprint(doc: Doc[Any], update: bytes) -> str:
    """Identifies a state: its state vector (sorted) plus the content of every root type, so
    deletions, which leave the state vector alone, still change it."""
    reader = Reader(doc.get_state())
    clocks = sorted(
        (reader.read_var_uint(), reader.read_var_uint()) for _ in range(reader.read_var_uint())
    )
    content = json.dumps(doc_to_json(update), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(json.dumps([clocks, content]).encode()).hexdigest()
