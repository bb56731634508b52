"""Hand-encoded Yjs v1 updates for tests: the hostile shapes no client library would write."""

from __future__ import annotations

from collab.protocol.encoding import write_var_bytes, write_var_uint
from collab.protocol.yupdate import UpdateRefused, simple_update, walk_update


def _string(text: str) -> bytes:
    return write_var_bytes(text.encode())


def _update(client: int, clock: int, structs: list[bytes], deletes: bytes = b"\x00") -> bytes:
    header = write_var_uint(1) + write_var_uint(len(structs))
    header += write_var_uint(client) + write_var_uint(clock)
    return header + b"".join(structs) + deletes


def deep_any_update(depth: int, root: str = "a", client: int = 1) -> bytes:
    """One Any value (an array in an array in ...) `depth` levels deep in root array `root`."""
    value = (bytes([117]) + write_var_uint(1)) * depth + bytes([126])  # arrays, then null
    item = bytes([8]) + write_var_uint(1) + _string(root) + write_var_uint(1) + value
    return _update(client, 0, [item])


def deep_map_chain(
    depth: int, root: str = "m", client: int = 1, clock: int = 0, *, delete_first: bool = False
) -> bytes:
    """`depth` Y.Maps, each the value of key "c" of the one before, the first in root `root`;
    with `delete_first`, the update also deletes the outermost one (yrs deletes recursively)."""
    first = bytes([7 | 0x20]) + write_var_uint(1) + _string(root) + _string("c") + bytes([1])
    items = [first]
    for index in range(1, depth):
        parent = write_var_uint(0) + write_var_uint(client) + write_var_uint(clock + index - 1)
        items.append(bytes([7 | 0x20]) + parent + _string("c") + bytes([1]))
    if not delete_first:
        return _update(client, clock, items)
    deletes = b"".join(write_var_uint(n) for n in (1, client, 1, clock, 1))
    return _update(client, clock, items, deletes)


def map_in(parent_client: int, parent_clock: int, client: int, clock: int) -> bytes:
    """One Y.Map under key "c" of the map item (parent_client, parent_clock)."""
    parent = write_var_uint(0) + write_var_uint(parent_client) + write_var_uint(parent_clock)
    return _update(client, clock, [bytes([7 | 0x20]) + parent + _string("c") + bytes([1])])


def deep_format_update(depth: int, client: int = 1) -> bytes:
    """A Y.Text format attribute whose JSON value is nested `depth` arrays deep."""
    item = bytes([6]) + write_var_uint(1) + _string("content") + _string("bold")
    item += _string("[" * depth + "]" * depth)
    return _update(client, 0, [item])


def check_fast_path(update: bytes) -> None:
    """The validator's fast path for simple edits declines `update`, or reads exactly what the
    full walk reads, and never takes what the walk refuses (AssertionError otherwise)."""
    fast = simple_update(update)
    if fast is None:
        return
    try:
        walked = walk_update(update, 64)
    except UpdateRefused as error:
        raise AssertionError(f"the fast path took what the walk refuses: {error}") from None
    assert fast == walked, "the fast path and the walk read the update differently"
