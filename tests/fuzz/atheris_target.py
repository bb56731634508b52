"""Coverage-guided fuzzing (atheris / libFuzzer) of the frame decoder and the update path.

Run by tests/fuzz/test_atheris.py as `python atheris_target.py -runs=N`; any exception other
than collab's typed errors (and any crash or abort) fails the run. The validator's fast path
for simple edits must agree with its full walk on every update it takes. Every update the
validator (`parse_update` plus the nesting check) accepts is applied to a document and
rendered, as a room and its snapshots would: if the validator lets through anything that
crashes yrs, the process dies and the run fails.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import atheris

# The tests' own helpers (tests/protocol/yupdates.py), from wherever the target is started.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# Coverage is collected in collab's and pycrdt's own code (atheris takes top-level packages):
# importing collab brings its app too, and instrumenting the app's dependencies (SQLAlchemy,
# Starlette, pydantic...) took most of a minute for code the fuzzed bytes never reach.
_FUZZED = ["collab", "pycrdt"]
with atheris.instrument_imports(include=_FUZZED):
    from pycrdt import Doc, Text

    from collab.content import crdt
    from collab.content.export import doc_to_json
    from collab.errors import CollabError
    from collab.protocol.awareness import awareness_clocks, check_state, decode_awareness
    from collab.protocol.messages import AwarenessUpdate, SyncStep2, Update, decode_message
    from collab.protocol.nesting import TypeNesting
    from collab.protocol.yupdate import parse_update
    from tests.protocol.yupdates import check_fast_path  # after collab's, instrumented

_SEED: Doc[Any] = Doc(client_id=1)
_SEED.get("content", type=Text).insert(0, "hello world")
_STATE = _SEED.get_update()


def check_json(entries: list[Any]) -> None:
    for entry in entries:
        check_state(entry)


def test_one_input(data: bytes) -> None:
    """Decode a frame; apply any update it carries to a document, as a room would. The quick
    scan that drops echoed awareness as it is read never takes a message the decoder refuses,
    and sees the clocks the decoder sees (or leaves the message to it: None)."""
    clocks = awareness_clocks(data, 1 << 20)
    try:
        message = decode_message(data)
        entries = (
            decode_awareness(message.payload, check_json=False, max_entries=1 << 20)
            if isinstance(message, AwarenessUpdate)
            else None
        )
    except CollabError:
        assert clocks is None, "the echo scan took a message the decoder refuses"
        return
    if entries is None:
        assert clocks is None, "the echo scan took a message that is not awareness"
    else:
        assert clocks is None or clocks == [(e.client_id, e.clock) for e in entries]
    try:
        if entries is not None:
            check_json(entries)
        elif isinstance(message, SyncStep2 | Update):
            check_fast_path(message.update)
            parsed = parse_update(message.update, 64)
            TypeNesting(64).admit(parsed)
            doc: Doc[Any] = Doc()
            doc.apply_update(_STATE)
            crdt.apply_update(doc, message.update)
            doc_to_json(doc.get_update())
    except CollabError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
