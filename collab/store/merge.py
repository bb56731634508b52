"""Merge a sequence of Yjs updates into one."""

from __future__ import annotations

from collections.abc import Sequence

from pycrdt import merge_updates


def merge_parts(parts: Sequence[bytes]) -> bytes:
    """Merge updates without integrating them: lossless, it keeps pending (causally incomplete)
    structs that encoding a Doc's state would drop."""
    if len(parts) == 1:
        return parts[0]
    return merge_updates(*parts)
