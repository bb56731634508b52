"""Calls into pycrdt that may fail on hostile input, with failures turned into typed errors.

Untrusted bytes never reach yrs unchecked: every update is first walked by
`collab.protocol.yupdate.parse_update` (bounded, non-recursive), and its shared types' nesting
checked by `TypeNesting`, because yrs decodes and renders nested values recursively and a deep
enough one kills the process with SIGSEGV. pycrdt raises Rust panics as
`pyo3_runtime.PanicException`, which derives from BaseException, so `except Exception` misses
it; these helpers catch everything but the interpreter's own control-flow exceptions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from pycrdt import Doc, merge_updates

from collab.errors import InvalidUpdate
from collab.protocol.nesting import TypeNesting
from collab.protocol.yupdate import (
    DEFAULT_MAX_DEPTH,
    ParsedUpdate,
    parse_state_vector,
    parse_update,
)

log = logging.getLogger(__name__)

# Exceptions that mean 'stop', not 'this input is bad'.
CONTROL_FLOW = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)


def merged(updates: list[bytes]) -> bytes | None:
    """The updates merged into one by yrs, or None if it fails on them (they were each applied
    already: callers then keep them apart)."""
    try:
        return merge_updates(*updates)
    except BaseException as error:
        if isinstance(error, CONTROL_FLOW):
            raise
        log.warning("could not merge %d updates: %s: %s", len(updates), type(error).__name__, error)
        return None


def apply_update(doc: Doc[Any], update: bytes) -> None:
    """Apply an update already checked by `parse_update`, raising InvalidUpdate if pycrdt
    rejects or panics on it."""
    try:
        doc.apply_update(update)
    except BaseException as error:
        if isinstance(error, CONTROL_FLOW):
            raise
        raise InvalidUpdate(f"update rejected: {type(error).__name__}: {error}") from None


def checked_parts(parts: Iterable[bytes], max_depth: int = DEFAULT_MAX_DEPTH) -> TypeNesting:
    """Walk every part in order as one document; InvalidUpdate (UpdateRefused) if one is
    malformed or nests values or shared types deeper than `max_depth`. Pure Python: safe to
    run in a worker thread, which keeps a large document's walk off the event loop."""
    return TypeNesting(max_depth).walk(parts)


def doc_from_parts(parts: Iterable[bytes], max_depth: int = DEFAULT_MAX_DEPTH) -> Doc[Any]:
    """A Doc holding every stored part, in order, each checked first; InvalidUpdate if one is
    refused or unreadable."""
    parts = list(parts)
    checked_parts(parts, max_depth)
    return apply_checked(parts)


def apply_checked(parts: Iterable[bytes]) -> Doc[Any]:
    """A Doc holding parts that `checked_parts` accepted."""
    doc: Doc[Any] = Doc()
    for part in parts:
        apply_update(doc, part)
    return doc


def doc_from_update(update: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Doc[Any]:
    """A fresh Doc holding one checked update (a stored version or state, a REST body)."""
    return doc_from_parts([update], max_depth)


def missing_since(doc: Doc[Any], state_vector: bytes) -> bytes:
    """The update a peer with `state_vector` lacks, raising InvalidUpdate on a bad vector."""
    parse_state_vector(state_vector)
    try:
        return doc.get_update(state_vector)
    except BaseException as error:
        if isinstance(error, CONTROL_FLOW):
            raise
        raise InvalidUpdate(f"state vector rejected: {type(error).__name__}: {error}") from None


def validate_update(update: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> ParsedUpdate:
    """Walk `update` and decode it into a scratch Doc, before a live document sees it. The
    nesting it can show on its own is checked first (a chain of types deep enough to crash yrs
    must not reach even the scratch Doc); the walk is returned for the document's own check,
    which also sees the types the update builds on."""
    parsed = parse_update(update, max_depth)
    TypeNesting(max_depth).admit(parsed, unknown_ok=True)
    apply_update(Doc(), update)
    return parsed
