"""Awareness updates: decode and encode the y-protocols `awareness.js` entry list."""

from __future__ import annotations

import json
from dataclasses import dataclass

from collab.errors import MalformedMessage
from collab.protocol.encoding import Reader, write_var_bytes, write_var_uint

# A client may announce several ids only by bug or malice; a few is plenty.
MAX_ENTRIES_PER_UPDATE = 64


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    """One client's presence: its id, a clock that orders its changes, and its JSON state."""

    client_id: int
    clock: int
    state_json: str

    @property
    def removed(self) -> bool:
        """A null state means the client went away."""
        return self.state_json == "null"


def decode_awareness(
    payload: bytes, *, check_json: bool = True, max_entries: int = MAX_ENTRIES_PER_UPDATE
) -> list[AwarenessEntry]:
    """Decode an awareness update of at most `max_entries` entries; JSON states must parse
    (checked here unless `check_json` is False: then `check_state` each entry that is going to
    be used)."""
    reader = Reader(payload)
    count = reader.read_var_uint()
    if count > max_entries:
        raise MalformedMessage(f"awareness update with {count} entries (limit {max_entries})")
    entries = [_read_entry(reader) for _ in range(count)]
    reader.expect_end()
    if check_json:
        for entry in entries:
            check_state(entry)
    return entries


def check_state(entry: AwarenessEntry) -> None:
    """MalformedMessage unless the entry's state is JSON."""
    try:
        json.loads(entry.state_json)
    except ValueError:
        raise MalformedMessage(f"awareness state of client {entry.client_id} is not JSON") from None


def _read_entry(reader: Reader) -> AwarenessEntry:
    client_id = reader.read_var_uint()
    clock = reader.read_var_uint()
    return AwarenessEntry(client_id, clock, reader.read_var_string())


def encode_awareness_entries(entries: list[AwarenessEntry]) -> bytes:
    """Encode entries back into an awareness update payload."""
    parts = [write_var_uint(len(entries))]
    for entry in entries:
        parts.append(write_var_uint(entry.client_id))
        parts.append(write_var_uint(entry.clock))
        parts.append(write_var_bytes(entry.state_json.encode()))
    return b"".join(parts)


def awareness_clocks(message: bytes, max_entries: int) -> list[tuple[int, int]] | None:
    """The (client id, clock) of each entry of a whole awareness message (type byte included),
    without decoding its states: enough to tell echoes apart before anything else is done with
    it. None for any other message, and for one that is not well formed (the full decoder then
    says what is wrong with it)."""
    if not message or message[0] != 1:
        return None
    reader = Reader(message)
    reader.pos = 1
    read, read_state = reader.read_var_uint, reader.read_var_string
    try:
        if read() + reader.pos != len(message) or (count := read()) > max_entries:
            return None
        clocks = []
        for _ in range(count):
            clocks.append((read(), read()))
            read_state()  # the full decoder refuses a state that is not UTF-8, echo or not
    except MalformedMessage:
        return None
    return clocks if reader.pos == len(message) else None
