"""A statement compiled once by SQLAlchemy, run through a driver's own placeholders.

The one-trip appends (collab/store/sqlite_append.py, collab/store/postgres_append.py) build
their statements with SQLAlchemy Core, compile each once for the engine's dialect and run the
SQL text with positional parameters: no compilation, nor cache key, per append.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Insert, Select, Update
from sqlalchemy.engine import Dialect


class CompiledStatement:
    """A statement compiled for one dialect: its SQL, and how to turn named values into its
    positional parameters the way SQLAlchemy would (its types' bind processors)."""

    def __init__(
        self,
        statement: Update | Insert | Select[Any],
        dialect: Dialect,
        columns: Sequence[str] = (),
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns) or None)
        self.sql = compiled.string
        names = compiled.positiontup or []
        processors: list[Callable[[Any], Any] | None] = []
        for name in names:
            kind = compiled.binds[name].type.dialect_impl(dialect)
            processors.append(kind.bind_processor(dialect))
        self._order = list(zip(names, processors, strict=True))

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            values[name] if process is None else process(values[name])
            for name, process in self._order
        )
