"""Running keepwarm's CLI in the test process: capture what it printed, keep pytest's logging."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from keepwarm.cli import main

SYSTEMD_VARIABLES = ("STATE_DIRECTORY", "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET")


@dataclass(frozen=True)
class CliRun:
    """What one in-process command did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


@contextlib.contextmanager
def preserved_root_logger() -> Iterator[None]:
    """main() calls logs.setup, which replaces the root handlers (pytest's among them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliRun:
    """keepwarm's main() in this process, with what it printed."""
    capsys.readouterr()
    with preserved_root_logger():
        code = main(list(argv))
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


def clear_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No KEEPWARM_ variables and none of systemd's: only what a test sets configures keepwarm."""
    for name in list(os.environ):
        if name.startswith("KEEPWARM_"):
            monkeypatch.delenv(name)
    for name in SYSTEMD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class Runner(Protocol):
    """A ``run`` fixture: keepwarm's main() with these arguments."""

    def __call__(self, *argv: str) -> CliRun: ...


def ok(result: CliRun) -> CliRun:
    """The command succeeded, without a traceback."""
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return result
