"""Micro-benchmark of lib0 decoding (collab/protocol) on typical messages, with timeit.

    python benchmarks/decode_bench.py [--against OTHER_CHECKOUT] [--rounds 40]

Prints the best time per call of each decoder on a keystroke update, a SyncStep1, an awareness
message, a 301-client document and its state vector. With `--against`, the protocol package of
another checkout (a git worktree, or `git archive REV collab | tar -x -C DIR`) is loaded beside
this one under another name, and the two are timed in alternating rounds in one process, so
the load of a shared machine weighs on both alike.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parents[1]
_MODULES = ("errors.py", "contract.py")  # what collab/protocol imports from the package


def _copy_protocol(checkout: Path, name: str, into: Path) -> None:
    """`checkout`'s collab/protocol (and what it imports) as the package `name`."""
    source, target = checkout / "collab", into / name
    shutil.copytree(source / "protocol", target / "protocol")
    for module in _MODULES:
        if (source / module).exists():
            shutil.copy(source / module, target / module)
    (target / "__init__.py").write_text("")
    for path in target.rglob("*.py"):
        text = re.sub(r"\bcollab\.(errors|contract|protocol)\b", name + r".\1", path.read_text())
        path.write_text(text)


def _samples() -> dict[str, bytes]:
    doc: Doc[Text] = Doc(client_id=1_234_567_890_123)
    text = doc.get("content", type=Text)
    text += "hello world"
    before = doc.get_state()
    text.insert(5, "x")
    big: Doc[Text] = Doc(client_id=1)
    for index in range(300):
        part: Doc[Text] = Doc(client_id=2**40 + index * 7919)
        part.get("content", type=Text).insert(0, f"paragraph {index} " * 3)
        big.apply_update(part.get_update())
    presence = {"user": {"name": "Ada Lovelace", "color": "#30bced"}, "cursor": {"head": 17}}
    return {
        "keystroke": doc.get_update(before),
        "state": doc.get_state(),
        "big": big.get_update(),
        "big_state": big.get_state(),
        "presence": json.dumps(presence).encode(),
    }


def _cases(package: str, samples: dict[str, bytes]) -> dict[str, Callable[[], object]]:
    def module(name: str) -> ModuleType:
        return importlib.import_module(f"{package}.protocol.{name}")

    messages, awareness, yupdate = module("messages"), module("awareness"), module("yupdate")
    entry = awareness.AwarenessEntry(1_234_567_890_123, 42, samples["presence"].decode())
    presence = awareness.encode_awareness_entries([entry])
    frames = {
        "Update": messages.encode_update(samples["keystroke"]),
        "SyncStep1": messages.encode_sync_step1(samples["state"]),
        "awareness": messages.encode_awareness(presence),
    }
    cases: dict[str, Callable[[], object]] = {
        f"decode_message: {kind} ({len(frame)} B)": (lambda f=frame: messages.decode_message(f))
        for kind, frame in frames.items()
    }
    cases["decode_awareness: 1 entry"] = lambda: awareness.decode_awareness(presence)
    cases["awareness_clocks: 1 entry (echo screen)"] = lambda: awareness.awareness_clocks(
        frames["awareness"], 64
    )
    for label, key in (("a keystroke", "keystroke"), ("301 clients", "big")):
        data = samples[key]
        cases[f"parse_update: {label} ({len(data)} B)"] = lambda d=data: yupdate.parse_update(d, 64)
    for label, key in (("1 client", "state"), ("301 clients", "big_state")):
        data = samples[key]
        cases[f"parse_state_vector: {label} ({len(data)} B)"] = lambda d=data: (
            yupdate.parse_state_vector(d)
        )
    return cases


def _best(timers: list[timeit.Timer], rounds: int) -> list[float]:
    """Best seconds per call of each timer, in alternating rounds."""
    number = max(1, timers[0].autorange()[0] // 4)
    best = [float("inf")] * len(timers)
    for _ in range(rounds):
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(number) / number)
    return best


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    samples = _samples()
    with tempfile.TemporaryDirectory() as scratch:
        sys.path.insert(0, scratch)
        _copy_protocol(ROOT, "collab_here", Path(scratch))
        versions = [_cases("collab_here", samples)]
        if args.against:
            _copy_protocol(args.against.resolve(), "collab_there", Path(scratch))
            versions.insert(0, _cases("collab_there", samples))
        if args.against:
            print("| message | before (µs) | after (µs) | after/before |\n|---|---|---|---|")
        else:
            print("| message | µs |\n|---|---|")
        for name in versions[-1]:
            best = _best([timeit.Timer(cases[name]) for cases in versions], args.rounds)
            cells = " | ".join(f"{seconds * 1e6:.2f}" for seconds in best)
            ratio = f" | {best[1] / best[0]:.2f}" if args.against else ""
            print(f"| {name} | {cells}{ratio} |")


if __name__ == "__main__":
    main()
