"""What clients and the server must agree on, defined once: the root name of a document's
content, the WebSocket close codes (final or retried, and what the editor page shows after
each) and the close reasons a client may match exactly.

docs/protocol.md's tables of close codes and reasons and web/src/contract.js are generated from
this module (`python -m collab.contract_sync`); tests/test_contract.py fails when any of them
differs from it, when an error of `collab.errors` carries a code missing here, and when the
editor's pages disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The root type every document keeps its content in: a Y.Text (plain text, the CodeMirror
# editor) or an XmlFragment (rich text, Tiptap/ProseMirror).
CONTENT = "content"

# Close reasons a client may match exactly (REASONS below says when each is sent).
TOKEN_EXPIRED = "token expired"
LINK_EXPIRED = "link expired"
LINK_REVOKED = "link revoked"
READ_ONLY = "read-only access: viewers cannot edit this document"

# Stock y-websocket (3.x) never reconnects after a close code in this range, so it is kept for
# what reconnecting cannot fix; every code of ours that clients should retry lies outside it.
NEVER_RETRIED = range(4400, 4500)


@dataclass(frozen=True, slots=True)
class CloseCode:
    """One WebSocket close code: its name, what it means (markdown), whether reconnecting is
    pointless (`final`), and the state the editor page shows (an id in web/src/states.js:
    a final screen, or the line of a passing state)."""

    code: int
    name: str
    meaning: str
    final: bool
    screen: str


def _final(code: int, name: str, screen: str, meaning: str) -> CloseCode:
    return CloseCode(code, name, meaning, True, screen)


def _retried(code: int, name: str, screen: str, meaning: str) -> CloseCode:
    return CloseCode(code, name, meaning, False, screen)


CLOSE_CODES: tuple[CloseCode, ...] = (
    _retried(
        1000,
        "normal",
        "unreachable",
        "normal close: the answer to a client's own close (the server never closes a "
        "connection normally on its own; a client that sees it anyway reconnects)",
    ),
    _retried(
        1001,
        "going_away",
        "unreachable",
        "going away: not sent by collab (a proxy or load balancer that stops sends it)",
    ),
    _final(1002, "protocol_error", "error", "unsupported message or sync type"),
    _final(1003, "unsupported_data", "error", "text frame (the protocol is binary)"),
    _retried(
        1006,
        "abnormal",
        "unreachable",
        "no close frame: never sent, it is what clients see when the connection drops or the "
        "handshake is refused (an `Origin` not allowed gets HTTP 403; the server is down)",
    ),
    _final(
        1007,
        "invalid_payload",
        "error",
        "undecodable message: truncated varint, length prefix past the end, bad awareness "
        "JSON; an update our validator refuses (`refused update: ...`: malformed, a content "
        "or type yrs does not support such as legacy JSON content or XmlHook, values or "
        "shared types nested past `max_nesting_depth`, or a shared type hung off items the "
        "document does not have); an update whose structs of a client start past the clock "
        "the document holds of it while structs of that same client wait in the document for "
        "missing ones, anywhere but where those end (yrs would integrate part of it out of "
        "order, and newcomers would see another text than the peers already there: "
        "content/pending.py; a client's keystrokes sent after reconnecting and before its "
        "SyncStep2, each continuing the last, are not refused); or one that pycrdt rejects or "
        "panics on",
    ),
    _final(1008, "policy", "error", "policy: a request the server cannot accept as sent"),
    _final(
        1009,
        "too_big",
        "error",
        "too big: a message over `max_message_bytes` (after decompression), an awareness "
        "state over `max_awareness_bytes`, or an update that would grow the document past "
        "`max_document_bytes`",
    ),
    _retried(
        1011,
        "internal_error",
        "unreachable",
        "unexpected server error, or the database refused one of the room's updates for "
        "good: every client of that room is closed (the refused update is never "
        "acknowledged or relayed) and the room reloads what is stored",
    ),
    _retried(1012, "restarting", "restarting", "server restarting (graceful shutdown)"),
    _retried(
        1013,
        "try_again_later",
        "busy",
        "try again later: the room could not be loaded from the database, the client fell "
        "too far behind (its send queue, or the process's send budget, is full; also when "
        "the handshake itself overflows), a connection/room limit is reached, or the client "
        "kept sending faster than its rate for `rate_close_after` seconds",
    ),
    _retried(
        1014,
        "bad_gateway",
        "unreachable",
        "bad gateway: not sent by collab (a proxy whose server does not answer sends it)",
    ),
    _final(4400, "invalid_room_name", "bad-name", "invalid room name"),
    _final(4401, "token_missing", "access-needed", "token missing"),
    _final(
        4402,
        "token_invalid",
        "link-invalid",
        "token invalid (malformed, bad signature, bad claims)",
    ),
    _final(
        4403,
        "forbidden",
        "access-denied",
        "forbidden: no grant for this room, a viewer tried to write (reason "
        f"`{READ_ONLY}`), or the share link was revoked (reason `{LINK_REVOKED}`)",
    ),
    _final(
        4404,
        "not_found",
        "not-found",
        "not found (a viewer connecting to a room that does not exist)",
    ),
    _final(
        4409,
        "conflict",
        "error",
        "conflict: a room that already exists, or a plain-text edit of rich text (REST "
        "answers 409 with it; no WebSocket is closed with it today)",
    ),
    _final(4410, "room_deleted", "deleted", "room deleted"),
    _final(
        4419,
        "expired",
        "link-expired",
        "token or share link expired, at connect or while connected (reason "
        f"`{TOKEN_EXPIRED}` or `{LINK_EXPIRED}`)",
    ),
    _final(
        4423,
        "quarantined",
        "quarantined",
        "document quarantined: its stored data is refused (it could crash yrs); an operator "
        "inspects it with `collab quarantine`",
    ),
)
FINAL_CODES = frozenset(close.code for close in CLOSE_CODES if close.final)


def is_final(code: int) -> bool:
    """Whether a client should stop after a close with `code` rather than reconnect: a code
    the table marks final, or any other 4400-4499 (which stock clients never retry)."""
    return code in FINAL_CODES or code in NEVER_RETRIED


@dataclass(frozen=True, slots=True)
class Reason:
    """A close reason a client may match exactly: its name, its words, its code, and when."""

    name: str
    text: str
    code: int
    when: str


REASONS: tuple[Reason, ...] = (
    Reason(
        "token_expired",
        TOKEN_EXPIRED,
        4419,
        "a plain token past its `exp`, at connect or while connected",
    ),
    Reason(
        "link_expired",
        LINK_EXPIRED,
        4419,
        "a share link past its expiry, at connect or while connected",
    ),
    Reason(
        "link_revoked",
        LINK_REVOKED,
        4403,
        "a share link revoked: new connections, and the open ones at once on the process that "
        "revoked it (on the others of a cluster within `link_recheck` seconds)",
    ),
    Reason(
        "read_only",
        READ_ONLY,
        4403,
        "a viewer sent an update that would change the document (never applied, stored or relayed)",
    ),
)


# -- the copies generated from this module ----------------------------------------------------


def close_codes_table() -> str:
    """docs/protocol.md's table of close codes, in markdown."""
    rows = ["| code | meaning | retry? |\n", "|---|---|---|\n"]
    for close in CLOSE_CODES:
        retry = "final" if close.final else "retryable"
        rows.append(f"| {close.code} | {close.meaning} | {retry} |\n")
    return "".join(rows)


def reasons_table() -> str:
    """docs/protocol.md's table of the close reasons clients may match, in markdown."""
    rows = ["| reason | code | when |\n", "|---|---|---|\n"]
    rows += [f"| `{reason.text}` | {reason.code} | {reason.when} |\n" for reason in REASONS]
    return "".join(rows)


def javascript() -> str:
    """web/src/contract.js: the same definitions for the editor's pages."""
    codes = ",\n".join(
        f"  [{c.code}, {{ name: {_js(c.name)}, final: {str(c.final).lower()}, "
        f"screen: {_js(c.screen)} }}]"
        for c in CLOSE_CODES
    )
    finals = ", ".join(str(code) for code in sorted(FINAL_CODES))
    reasons = ",\n".join(f"  {_camel(r.name)}: {_js(r.text)}" for r in REASONS)
    return _JS.format(
        content=_js(CONTENT),
        codes=codes,
        finals=finals,
        low=NEVER_RETRIED.start,
        high=NEVER_RETRIED.stop - 1,
        reasons=reasons,
    )


_JS = """\
// Generated from collab/contract.py by `python -m collab.contract_sync`: edit that, not this.
// tests/test_contract.py fails when the two differ.

/** The root type a document keeps its content in (a Y.Text or a Y.XmlFragment). */
export const CONTENT = {content}

/** Close codes (docs/protocol.md "Close codes"): final or retried, and the state shown. */
export const CLOSE_CODES = new Map([
{codes}
])

/** Codes after which reconnecting cannot help. */
export const FINAL_CODES = new Set([{finals}])

/** Stop, not reconnect: a final code, or any other {low}-{high} (y-websocket never retries). */
export function isFinal (code) {{
  return FINAL_CODES.has(code) || (code >= {low} && code <= {high})
}}

/** Close reasons a page may match exactly. */
export const REASONS = {{
{reasons}
}}
"""


def _js(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)
