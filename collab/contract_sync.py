"""Rewrite the copies of collab.contract in a source checkout: the two tables of
docs/protocol.md and web/src/contract.js. `python -m collab.contract_sync` writes them;
`--check` only names the stale ones (exit 1 if any). tests/test_contract.py checks the same."""

from __future__ import annotations

import sys
from pathlib import Path

from collab.contract import close_codes_table, javascript, reasons_table

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_DOC = ROOT / "docs" / "protocol.md"
WEB_CONTRACT = ROOT / "web" / "src" / "contract.js"
CODES_MARKS = (
    "<!-- close codes: from collab/contract.py, by `python -m collab.contract_sync` -->\n",
    "<!-- end of close codes -->\n",
)
REASONS_MARKS = (
    "<!-- close reasons: from collab/contract.py, by `python -m collab.contract_sync` -->\n",
    "<!-- end of close reasons -->\n",
)


def generated() -> dict[Path, str]:
    """Every generated file as it should read, from the files as they are."""
    doc = PROTOCOL_DOC.read_text(encoding="utf-8")
    doc = _splice(doc, CODES_MARKS, close_codes_table())
    doc = _splice(doc, REASONS_MARKS, reasons_table())
    return {PROTOCOL_DOC: doc, WEB_CONTRACT: javascript()}


def _splice(text: str, marks: tuple[str, str], table: str) -> str:
    start, end = marks
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"{PROTOCOL_DOC} needs one {start.strip()} and one {end.strip()}")
    before, rest = text.split(start)
    return before + start + table + end + rest.split(end)[1]


def main(argv: list[str]) -> int:
    """Write the generated files (`--check`: only say which are stale, exit 1 if any)."""
    stale = []
    for path, text in generated().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if "--check" not in argv:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if '--check' in argv else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
