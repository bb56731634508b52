"""Runs the atheris fuzz target for a bounded number of inputs (mandatory in CI)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

TARGET = Path(__file__).with_name("atheris_target.py")


@pytest.mark.timeout(300)
@pytest.mark.slow
def test_atheris_finds_no_crash(tmp_path: Path):
    if importlib.util.find_spec("atheris") is None:
        reason = "atheris is not installed: pip install atheris (Linux/macOS, CPython 3.11+)"
        if os.environ.get("COLLAB_REQUIRE_ATHERIS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, seed in enumerate([b"\x00\x00\x01\x00", b"\x00\x02\x02\x00\x00", b"\x03"]):
        (corpus / f"seed{index}").write_bytes(seed)
    result = subprocess.run(
        [sys.executable, str(TARGET), "-runs=60000", "-max_total_time=30", str(corpus)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr or "DONE" in result.stderr
