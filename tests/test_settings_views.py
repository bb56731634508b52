"""The components that take a few settings (a connection's limits, a room's, presence caps and
timings) declare them as views of `Settings`: each such field names its setting, takes that
setting's type and default, and is filled from it. None copies a setting by hand."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import collab
from collab.config import Settings, view_settings
from collab.connection import ConnectionLimits
from collab.people.oidc import OidcSettings
from collab.protocol.yupdate import DEFAULT_MAX_DEPTH
from collab.rooms.cluster.remote_presence import PresenceTimings
from collab.rooms.presence import PresenceLimits
from collab.rooms.room import RoomLimits

VIEWS: list[type[Any]] = [
    ConnectionLimits,
    RoomLimits,
    PresenceLimits,
    PresenceTimings,
    OidcSettings,
]
SETTINGS = {item.name: item for item in dataclasses.fields(Settings)}
# Fields of views that are not settings (tuned in code, with their reasons where they are).
NOT_SETTINGS = {
    "RoomLimits": {"presence", "awareness_window", "awareness_frame_budget"},
    "PresenceTimings": {"coalesce", "answer_gap"},
}


def _changed_settings() -> Settings:
    """Settings whose every number differs from its default, so a copied default shows."""
    defaults = Settings()
    changes: dict[str, Any] = {}
    for name in SETTINGS:
        value = getattr(defaults, name)
        if type(value) in (int, float):
            changes[name] = value * 2 + 1
    return defaults.replace(**changes)


def test_each_view_field_names_a_setting_of_the_same_type_and_default():
    for view in VIEWS:
        taken = view_settings(view)
        assert taken, f"{view.__name__} takes no setting"
        for item in dataclasses.fields(view):
            setting = taken.get(item.name)
            if setting is None:
                where = f"{view.__name__}.{item.name}"
                assert item.name in NOT_SETTINGS.get(view.__name__, ()), f"{where}: from_setting()"
                continue
            assert item.type == SETTINGS[setting].type, f"{view.__name__}.{item.name}"
            assert item.default == SETTINGS[setting].default, f"{view.__name__}.{item.name}"


def test_views_are_filled_from_the_settings_they_name():
    settings = _changed_settings()
    for view in VIEWS:
        made = view.from_settings(settings)
        for name, setting in view_settings(view).items():
            assert getattr(made, name) == getattr(settings, setting), f"{view.__name__}.{name}"
    assert RoomLimits.from_settings(settings).presence == PresenceLimits.from_settings(settings)
    assert [view() for view in VIEWS] == [view.from_settings(Settings()) for view in VIEWS]
    assert DEFAULT_MAX_DEPTH == Settings().max_nesting_depth


def _classes_taking_settings() -> set[type[Any]]:
    found = set()
    for module in pkgutil.walk_packages(collab.__path__, "collab."):
        if module.name.endswith("__main__"):
            continue  # runs the CLI
        for _, value in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if value.__module__ == module.name and "from_settings" in vars(value):
                found.add(value)
    return found


def test_every_class_made_from_settings_is_a_view():
    assert _classes_taking_settings() == set(VIEWS)
