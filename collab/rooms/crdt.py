"""Calls into pycrdt that may fail on hostile input, with failures turned into typed errors.

pycrdt raises Rust panics as `pyo3_runtime.PanicException`, which derives from BaseException,
so `except Exception` misses it; these helpers catch everything but the interpreter's own
control-flow exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pycrdt import Doc

from collab.errors import InvalidUpdate

# Exceptions that mean 'stop', not 'this input is bad'.
CONTROL_FLOW = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)


def apply_update(doc: Doc[Any], update: bytes) -> None:
    """Apply `update`, raising InvalidUpdate if pycrdt rejects or panics on it."""
    try:
        doc.apply_update(update)
    except BaseException as error:
        if isinstance(error, CONTROL_FLOW):
            raise
        raise InvalidUpdate(f"update rejected: {type(error).__name__}: {error}") from None


def doc_from_parts(parts: Iterable[bytes]) -> Doc[Any]:
    """A Doc holding every stored part, in order; InvalidUpdate if one is unreadable."""
    doc: Doc[Any] = Doc()
    for part in parts:
        apply_update(doc, part)
    return doc


def missing_since(doc: Doc[Any], state_vector: bytes) -> bytes:
    """The update a peer with `state_vector` lacks, raising InvalidUpdate on a bad vector."""
    try:
        return doc.get_update(state_vector)
    except BaseException as error:
        if isinstance(error, CONTROL_FLOW):
            raise
        raise InvalidUpdate(f"state vector rejected: {type(error).__name__}: {error}") from None


def validate_update(update: bytes) -> None:
    """Decode `update` into a scratch Doc: catches malformed bytes before a live doc sees them."""
    apply_update(Doc(), update)
