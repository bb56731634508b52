"""How fast does a compacted room load? Plain `merge_updates` against collab's compaction.

    python benchmarks/load_bench.py [--pieces 768] [--piece-kb 16]

A document is typed as `--pieces` appends of `--piece-kb` KiB each (a paste-heavy document),
then its updates are folded into one stored state in two ways: `pycrdt.merge_updates` (one item
per update) and `collab.store.merge.merge_parts` (the document's squashed encoding, plus any
pending remainder). The table shows the time to fold and the time to load each state into a
fresh Doc, which is what opening the room costs.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pycrdt import Doc, Text, merge_updates  # noqa: E402

from collab.store.merge import merge_parts  # noqa: E402


def typed_updates(pieces: int, piece_bytes: int) -> list[bytes]:
    """The updates of a document typed as `pieces` appends (encoded directly, not via Text +=,
    which is slow in pycrdt itself for long texts)."""
    source: Doc[Any] = Doc(client_id=1)
    text = source.get("content", type=Text)
    updates: list[bytes] = []
    source.observe(lambda event: updates.append(event.update))
    for i in range(pieces):
        text.insert(i * piece_bytes, chr(ord("a") + i % 26) * piece_bytes)
    return updates


def timed(action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def load(state: bytes) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    doc.apply_update(state)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=768)
    parser.add_argument("--piece-kb", type=int, default=16)
    args = parser.parse_args()
    updates = typed_updates(args.pieces, args.piece_kb * 1024)
    size_mb = sum(len(u) for u in updates) / 1e6
    title = f"{args.pieces} updates of {args.piece_kb} KiB ({size_mb:.1f} MB) folded into one state"
    print(title)
    print("-" * len(title))
    print(f"{'method':<28}  {'fold s':>8}  {'load s':>8}  {'state MB':>9}")
    folds = {
        "pycrdt.merge_updates": lambda: merge_updates(*updates),
        "collab merge_parts": lambda: merge_parts(updates),
    }
    texts = []
    for name, fold in folds.items():
        state, fold_s = timed(fold)
        doc, load_s = timed(partial(load, state))
        texts.append(str(doc.get("content", type=Text)))
        print(f"{name:<28}  {fold_s:>8.3f}  {load_s:>8.3f}  {len(state) / 1e6:>9.2f}")
    print(f"\nsame text both ways: {texts[0] == texts[1]}")


if __name__ == "__main__":
    main()
