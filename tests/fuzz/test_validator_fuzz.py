"""Fuzzing the update validator (hypothesis): for every input it either refuses, or pycrdt
applies the update, and renders the document, without crashing. The oracle runs in a child
process, because what the validator must prevent (a stack overflow in yrs) kills a process."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText

from collab.protocol.nesting import TypeNesting
from collab.protocol.yupdate import UpdateRefused, parse_update
from tests.protocol.yupdates import deep_any_update, deep_map_chain

_ORACLE = textwrap.dedent(
    """
    import base64, sys
    from pycrdt import Doc
    from collab.content.export import doc_to_json
    for line in sys.stdin:
        doc = Doc()
        try:
            doc.apply_update(base64.b64decode(line))
        except BaseException:
            continue  # refused by yrs: fine, as long as the process lives
        doc_to_json(doc.get_update())
    print("alive")
    """
)


def _seeds() -> list[bytes]:
    doc: Doc[Any] = Doc(client_id=3)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    text = doc.get("content", type=Text)
    text.insert(0, "hello 😀 fuzz")
    text.format(0, 5, {"bold": True, "link": {"href": "x", "n": [1, 2]}})
    text.insert_embed(2, {"image": {"src": "a"}})
    doc.get("m", type=Map)["k"] = {"a": [1, 2.5, None, True, "s", b"\x00"], "b": {"c": {}}}
    doc.get("m", type=Map)["n"] = Map({"inner": Map({"x": Array([1, 2])})})
    fragment = doc.get("x", type=XmlFragment)
    paragraph = fragment.children.append(XmlElement("p", {"class": "c"}))
    paragraph.children.append(XmlText("para"))
    del text[1:3]
    return [*updates, doc.get_update(), deep_any_update(70), deep_map_chain(70)]


SEEDS = _seeds()


@st.composite
def candidate_updates(draw: st.DrawFn) -> bytes:
    """A real update with bytes flipped, inserted, deleted or cut; or random bytes."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=80))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        position = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete" and data:
            del data[position : position + draw(st.integers(1, 4))]
        elif action == "truncate":
            del data[position:]
        elif action == "repeat" and data:
            chunk = data[position : position + draw(st.integers(1, 8))]
            data[position:position] = chunk * draw(st.integers(1, 50))
    return bytes(data)


def _accepted(update: bytes) -> bool:
    try:
        TypeNesting(64).admit(parse_update(update, 64))
    except UpdateRefused:
        return False
    return True


def test_every_input_is_refused_or_applies_and_renders_in_a_child_process() -> None:
    """The validator either refuses a fuzzed input or accepts it; every input it accepted, plus
    the seeds that were meant to pass, then go through pycrdt in a child process that must
    survive. One test, so that the check never runs apart from the fuzzing it reads (a parallel
    run gives tests of one file to different workers)."""
    accepted = [u for u in SEEDS if _accepted(u)]
    refused = 0

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(candidate_updates())
    def fuzz(update: bytes) -> None:
        nonlocal refused
        if _accepted(update):
            accepted.append(update)
        else:
            refused += 1

    seeds_accepted = len(accepted)
    fuzz()
    # The fuzzer ran: it both accepted inputs (the child process has work) and refused some.
    assert len(accepted) > seeds_accepted and refused > 0
    result = subprocess.run(
        [sys.executable, "-c", _ORACLE],
        input="\n".join(base64.b64encode(u).decode() for u in accepted).encode(),
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.strip() == b"alive", result.stderr[-2000:]


def test_an_empty_gc_range_that_breaks_every_later_encoding_is_refused() -> None:
    """Found by atheris: yrs stores a zero-length GC block, then panics (divide by zero) in
    every get_update of the document, so one such update would break the room for everyone."""
    update = bytes([1, 1, 0, 1, 0, 0, 0])  # client 0 at clock 1: GC of length 0; no deletes
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    try:
        doc.get_update()
    except BaseException as error:  # pyo3's PanicException
        assert "divide by zero" in str(error)
    else:
        raise AssertionError("yrs no longer panics here: the regression input is stale")
    assert not _accepted(update)


def test_the_crashing_inputs_really_crash_an_unprotected_process() -> None:
    """The attack is real: without the validator, pycrdt dies on these (SIGSEGV)."""
    for update in (deep_any_update(25_000), deep_map_chain(100_000, delete_first=True)):
        with_guard = subprocess.run(
            [sys.executable, "-c", _ORACLE],
            input=base64.b64encode(update),
            capture_output=True,
            timeout=120,
        )
        assert with_guard.returncode < 0, "pycrdt survived; the regression input is stale"
        assert not _accepted(update)
