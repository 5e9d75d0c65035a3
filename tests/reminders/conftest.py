"""Reminder tests use the shared ``make_config`` fixture (tests/testbed/config.py)."""

from tests.testbed.config import ConfigFactory

__all__ = ["ConfigFactory"]
