"""The browser lanes (tests/lanes.py) rest on a private method of pytest-xdist's schedulers:
this fails by name when a release drops or renames it."""

from __future__ import annotations

import inspect

from xdist.scheduler import LoadScopeScheduling

from tests.lanes import BrowserLanes


def test_xdist_still_splits_scopes_with_the_method_the_lanes_override() -> None:
    method = getattr(LoadScopeScheduling, "_split_scope", None)
    assert method is not None, "pytest-xdist's LoadScopeScheduling._split_scope is gone"
    assert list(inspect.signature(method).parameters) == ["self", "nodeid"]
    assert "_split_scope(" in inspect.getsource(LoadScopeScheduling.schedule)


def test_browser_scenarios_go_to_two_lanes_in_turn_and_other_tests_alone() -> None:
    lanes = BrowserLanes.__new__(BrowserLanes)
    lanes._lanes = {}
    browser = [f"tests/browser/test_x.py::test_{n}" for n in range(5)]
    assert [lanes._split_scope(nodeid) for nodeid in browser] == [
        "browser-lane-0",
        "browser-lane-1",
        "browser-lane-0",
        "browser-lane-1",
        "browser-lane-0",
    ]
    assert lanes._split_scope(browser[1]) == "browser-lane-1"  # the same lane when asked again
    assert lanes._split_scope("tests/test_cli.py::test_a") == "tests/test_cli.py::test_a"


class _Item:
    """What the suite's ordering reads of a collected test: its path and its `slow` marker."""

    def __init__(self, path: str, slow: bool = False) -> None:
        self.path = path
        self.slow = slow

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def test_slow_tests_go_first_and_browser_scenarios_last() -> None:
    from tests.conftest import pytest_collection_modifyitems

    items = [
        _Item("tests/browser/test_editor.py"),
        _Item("tests/test_sync.py"),
        _Item("tests/api/test_openapi.py", slow=True),
        _Item("tests/browser/test_states.py"),
        _Item("tests/test_cli.py"),
    ]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [item.path for item in items] == [
        "tests/api/test_openapi.py",
        "tests/test_sync.py",
        "tests/test_cli.py",
        "tests/browser/test_editor.py",
        "tests/browser/test_states.py",
    ]
