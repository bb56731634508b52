"""collab.contract is the one definition of what clients and the server agree on: the root name,
the close codes and the stable close reasons. Every copy (docs/protocol.md, web/src/contract.js,
web/README.md, the errors, the editor's states, the Python client) fails a test here when it
drifts from it."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import collab
from collab.contract import (
    CLOSE_CODES,
    CONTENT,
    FINAL_CODES,
    NEVER_RETRIED,
    READ_ONLY,
    REASONS,
    is_final,
)
from collab.contract_sync import PROTOCOL_DOC, ROOT, generated
from collab.errors import CollabError, LinkExpired, LinkRevoked

WEB_README = ROOT / "web" / "README.md"
# Codes no table lists, to check both clients treat them alike.
UNLISTED = (1005, 1015, 3000, 4000, 4405, 4429, 4499, 4500)


def _table_rows(text: str, header: str) -> list[list[str]]:
    """The cells of each row of the markdown table whose header line is `header`."""
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_the_generated_files_are_what_collab_contract_makes():
    for path, text in generated().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run `python -m collab.contract_sync`"
        )


def test_the_protocol_doc_lists_every_code_as_the_contract_defines_it():
    rows = _table_rows(PROTOCOL_DOC.read_text(), "| code | meaning | retry? |")
    documented = {int(code): (meaning, retry) for code, meaning, retry in rows}
    expected = {
        close.code: (close.meaning, "final" if close.final else "retryable")
        for close in CLOSE_CODES
    }
    assert documented == expected
    reasons = _table_rows(PROTOCOL_DOC.read_text(), "| reason | code | when |")
    assert [(text.strip("`"), int(code)) for text, code, _ in reasons] == [
        (reason.text, reason.code) for reason in REASONS
    ]


def test_codes_are_listed_once_in_order_and_retried_ones_avoid_44xx():
    codes = [close.code for close in CLOSE_CODES]
    assert codes == sorted(set(codes))
    assert len({close.name for close in CLOSE_CODES}) == len(codes)
    retried_44xx = [c.code for c in CLOSE_CODES if not c.final and c.code in NEVER_RETRIED]
    assert retried_44xx == [], "stock y-websocket never reconnects after 4400-4499"
    assert 4429 not in codes, "the server throttles; it never closes with 4429"
    assert {reason.code for reason in REASONS} <= FINAL_CODES


def _error_classes(base: type[CollabError]) -> list[type[CollabError]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_error_classes(sub)]
    return found


def test_every_error_closes_with_a_code_of_the_contract():
    importlib.import_module("collab.app")  # every module with an error class of its own
    listed = {close.code for close in CLOSE_CODES}
    errors = _error_classes(CollabError)
    assert len(errors) > 25
    unlisted = {e.__name__: e.close_code for e in errors if e.close_code not in listed}
    assert unlisted == {}, "add these codes to collab/contract.py"


def test_the_stable_reasons_are_what_the_errors_say():
    assert LinkExpired().close_reason == "link expired"
    assert (LinkExpired.close_code, LinkRevoked.close_code) == (4419, 4403)
    assert LinkRevoked().close_reason == "link revoked"
    assert len(READ_ONLY.encode()) <= 123  # a close frame's reason


def test_the_python_client_stops_after_final_codes_and_any_other_44xx():
    assert all(is_final(code) for code in FINAL_CODES)
    assert not any(is_final(c.code) for c in CLOSE_CODES if not c.final)
    assert [code for code in UNLISTED if is_final(code)] == [4405, 4429, 4499]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("COLLAB_REQUIRE_NODE") == "1":
            pytest.fail("node is not installed")
        pytest.skip("node is not installed")
    return node


_PROBE = """
const root = process.argv[1]
const contract = await import(root + '/web/src/contract.js')
const states = await import(root + '/web/src/states.js')
const codes = JSON.parse(process.argv[2])
const reasons = JSON.parse(process.argv[3])
const out = {}
for (const code of codes) {
  out[code] = {
    final: contract.isFinal(code),
    finalScreen: states.finalState(code).id,
    passingScreen: states.passingState(code).id
  }
}
out.reasons = Object.fromEntries(
  reasons.map(([code, reason]) => [reason, states.finalState(code, reason).id]))
out.stableReasons = Object.values(contract.REASONS)
out.content = contract.CONTENT
console.log(JSON.stringify(out))
"""


def _probe_pages(codes: list[int]) -> dict[str, object]:
    reasons = json.dumps([(reason.code, reason.text) for reason in REASONS])
    script = ["--input-type=module", "-e", _PROBE, ROOT.as_uri(), json.dumps(codes), reasons]
    done = subprocess.run([_node(), *script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    probed: dict[str, object] = json.loads(done.stdout)
    return probed


def test_the_editor_pages_stop_and_show_what_the_contract_says():
    probed = _probe_pages([close.code for close in CLOSE_CODES] + list(UNLISTED))
    for close in CLOSE_CODES:
        page = probed[str(close.code)]
        assert isinstance(page, dict)
        assert page["final"] == close.final, close
        screen = page["finalScreen"] if close.final else page["passingScreen"]
        assert screen == close.screen, f"web/src/states.js has no state {close.screen!r}"
    for code in UNLISTED:
        assert probed[str(code)]["final"] == is_final(code), code  # type: ignore[index]
    assert probed["reasons"] == {
        "token expired": "link-expired",
        "link expired": "link-expired",
        "link revoked": "link-revoked",
        READ_ONLY: "read-only-refused",
    }
    assert probed["stableReasons"] == [reason.text for reason in REASONS]
    assert probed["content"] == CONTENT


def test_the_web_readme_names_the_codes_and_screens_of_the_contract():
    text = WEB_README.read_text()
    screens = {close.code: close.screen for close in CLOSE_CODES}
    shown: dict[int, str] = {}
    for _, how, screen in _table_rows(text, "| state | how the page gets there | screen |"):
        named = re.match(r"(?:final screen|the editor; the line) `([a-z-]+)`", screen)
        codes = [int(code) for code in re.findall(r"\b\d{4}\b", how)]
        if named and codes and not re.search(r"(whose|with the) reason", how):
            # A passing row may mention later closes; its first code is the one it is about.
            for code in codes if screen.startswith("final") else codes[:1]:
                shown[code] = named.group(1)
    assert shown == {code: screens[code] for code in shown}
    assert FINAL_CODES <= shown.keys(), "web/README.md's States table misses final codes"
    reconnect = _table_rows(text, "| close codes | what the page does |")
    final_row = next(codes for codes, does in reconnect if does.startswith("final"))
    assert {int(code) for code in re.findall(r"\b\d{4}\b", final_row)} == FINAL_CODES


_ROOT_NAME = re.compile(r"""(?:=|\(|field:)\s*["']content["']""")


def test_only_the_contract_names_the_content_root():
    sources = [*Path(collab.__file__).parent.rglob("*.py"), *(ROOT / "web" / "src").glob("*.js")]
    copies = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path.name not in ("contract.py", "contract.js")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _ROOT_NAME.search(line)
    ]
    assert copies == [], "import CONTENT from collab.contract (web: ./contract.js)"
