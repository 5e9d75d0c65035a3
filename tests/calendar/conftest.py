"""The calendar tests use the CLI fixtures of tests/cli: a clean environment and keepwarm run
in-process."""

from tests.cli.conftest import run, state

__all__ = ["run", "state"]
