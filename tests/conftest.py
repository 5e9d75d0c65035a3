"""Shared pytest configuration: loads the loopback mail test bed fixtures."""

pytest_plugins = ["tests.testbed.fixtures", "tests.testbed.config", "tests.testbed.radicale"]
