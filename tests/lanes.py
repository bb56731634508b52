"""The browser scenarios' lanes: pytest-xdist runs at most two of them at once.

On two cores, four Chromium scenarios at once made each several times slower and their waits
race with one another. A scheduler of xdist's public hook `pytest_xdist_make_scheduler` (wired
in tests/conftest.py) puts the browser scenarios in two work units, taken whole by one worker
each, and every other test in a unit of its own that any free worker takes. The lanes are
handed out last (tests/conftest.py sorts them there and `--no-loadscope-reorder` keeps that
order), so Chromium does not run beside four workers of other tests.

It subclasses xdist's LoadScopeScheduling and overrides its `_split_scope`, the method xdist's
own file and group schedulers override: a private name, so pytest-xdist is pinned (the test
extra's range and .ci/constraints.txt) and tests/test_lanes.py fails by name if it goes.
(xdist's own `--dist loadgroup` cannot be used: it renames items through `Item._nodeid`,
which pytest 9.2 no longer reads.)"""

from __future__ import annotations

from typing import Any

from xdist.scheduler import LoadScopeScheduling

BROWSER_LANES = 2
BROWSER_PREFIX = "tests/browser/"


class BrowserLanes(LoadScopeScheduling):  # type: ignore[misc]
    """Browser scenarios in `BROWSER_LANES` units (dealt in turn, in collection order); any
    other test alone."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self._lanes: dict[str, str] = {}

    def _split_scope(self, nodeid: str) -> str:
        if not nodeid.startswith(BROWSER_PREFIX):
            return nodeid
        lane = self._lanes.get(nodeid)
        if lane is None:
            lane = f"browser-lane-{len(self._lanes) % BROWSER_LANES}"
            self._lanes[nodeid] = lane
        return lane
