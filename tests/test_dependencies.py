"""The ranges in pyproject.toml and the versions CI installs (.ci/constraints.txt) agree."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(line) for line in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(line) for line in extra]
    return found


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / ".ci" / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned.split(";")[0].strip()
    return pins


def test_every_dependency_is_locked_within_its_range() -> None:
    locked = _locked()
    problems = []
    for requirement in _requirements():
        pinned = locked.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement.name} is not in .ci/constraints.txt (run .ci/lock)")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            problems.append(f"{requirement.name}=={pinned} is outside {requirement.specifier}")
    assert not problems, problems


def test_the_runtime_dependencies_have_ceilings() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    open_ended = [
        line
        for line in project["dependencies"]
        if not any(spec.operator in ("<", "<=", "==", "~=") for spec in Requirement(line).specifier)
    ]
    assert not open_ended, f"dependencies without a ceiling: {open_ended}"


def test_the_installed_versions_are_within_the_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    outside = []
    for line in project["dependencies"]:
        requirement = Requirement(line)
        installed = version(requirement.name)
        if not requirement.specifier.contains(installed, prereleases=True):
            outside.append(f"{requirement.name} {installed} not in {requirement.specifier}")
    assert not outside, outside
