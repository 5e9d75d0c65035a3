"""Fixtures the address-book tests share: a clean environment with its own state directory, and
keepwarm's CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clitools import CliRun as Run
from tests.clitools import Runner, clear_environment, run_cli


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment: state in tmp_path/state, UTC, cwd in tmp_path, no stray settings."""
    clear_environment(monkeypatch)
    state_dir = tmp_path / "state"
    monkeypatch.setenv("KEEPWARM_STATE_DIR", str(state_dir))
    monkeypatch.setenv("KEEPWARM_TIMEZONE", "UTC")
    monkeypatch.chdir(tmp_path)
    return state_dir


@pytest.fixture
def run(state: Path, capsys: pytest.CaptureFixture[str]) -> Runner:
    """Call keepwarm.cli.main in-process and capture what it printed."""

    def invoke(*argv: str) -> Run:
        return run_cli(capsys, *argv)

    return invoke
