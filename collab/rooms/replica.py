"""Which of a room's log rows this process's copy holds, for a room open on several processes.

Rows are numbered per room in commit order (store/roomlog.py). A copy learns of rows from its
own commits and from the bus, in any order; it holds every row up to `hwm` and some ranges
above. A range above `hwm` that stays open means a message was lost: the cluster then reads
what is missing from the database.
"""

from __future__ import annotations

from collections.abc import Callable


class LogPosition:
    """Every row up to `hwm` is held; so are the ranges in `above`."""

    __slots__ = ("_above", "hwm", "on_rows")

    def __init__(self, hwm: int = 0) -> None:
        self.hwm = hwm
        self._above: dict[int, int] = {}  # first -> last
        # Called when rows this copy did not hold are added (its own commits, or rows
        # committed elsewhere and applied to it): the room manager tracks edits with it.
        self.on_rows: Callable[[], None] | None = None

    def holds(self, last: int) -> bool:
        """True if every row up to `last` is held."""
        return last <= self.hwm

    def add(self, first: int, last: int) -> None:
        """Rows `first`..`last` are held now."""
        if last <= self.hwm:
            return
        if first > self.hwm + 1:
            self._above[first] = max(last, self._above.get(first, 0))
        else:
            self.hwm = last
            self._advance()
        if self.on_rows is not None:
            self.on_rows()

    def _advance(self) -> None:
        while self._above:
            reachable = [first for first in self._above if first <= self.hwm + 1]
            if not reachable:
                return
            for first in reachable:
                self.hwm = max(self.hwm, self._above.pop(first))

    @property
    def has_gap(self) -> bool:
        """True if rows above `hwm` are held while some before them are not."""
        return bool(self._above)
