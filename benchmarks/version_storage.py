"""Storage per version on a 10,000-edit document: full encoded state vs Yjs snapshots (gc off).

    python benchmarks/version_storage.py [--edits 10000] [--every 100]

A seeded random editor types and deletes in `content`; a version is taken every N edits.
"""

from __future__ import annotations

import argparse
import random
import zlib
from typing import Any

from pycrdt import Doc, Snapshot, Text


def run(edits: int, every: int, seed: int = 1) -> dict[str, float]:
    rng = random.Random(seed)
    gc_on: Doc[Any] = Doc(client_id=1)
    gc_off: Doc[Any] = Doc(client_id=1, skip_gc=True)
    texts = [d.get("content", type=Text) for d in (gc_on, gc_off)]
    full, compressed, snapshots = [], [], []
    for i in range(1, edits + 1):
        length = len(texts[0])
        if length > 20 and rng.random() < 0.35:
            start = rng.randrange(length - 5)
            span = rng.randint(1, 5)
            for text in texts:
                del text[start : start + span]
        else:
            at = rng.randrange(length + 1)
            chunk = "".join(rng.choice("abcdefghij klmnop\n") for _ in range(rng.randint(1, 6)))
            for text in texts:
                text.insert(at, chunk)
        if i % every == 0:
            state = gc_on.get_update()
            full.append(len(state))
            compressed.append(len(zlib.compress(state, 6)))
            snapshots.append(len(Snapshot.from_doc(gc_off).encode()))
    count = len(full)
    return {
        "versions": count,
        "text length at end": len(texts[0]),
        "full state, mean bytes/version": sum(full) / count,
        "full state zlib, mean bytes/version": sum(compressed) / count,
        "snapshot (gc off), mean bytes/version": sum(snapshots) / count,
        "live doc encoded, gc on (bytes)": len(gc_on.get_update()),
        "live doc encoded, gc off (bytes)": len(gc_off.get_update()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()
    rows = run(args.edits, args.every)
    title = f"version storage, {args.edits} edits, a version every {args.every}"
    print(title)
    print("-" * len(title))
    width = max(map(len, rows))
    for key, value in rows.items():
        print(f"{key:<{width}}  {value:>12,.0f}")


if __name__ == "__main__":
    main()
