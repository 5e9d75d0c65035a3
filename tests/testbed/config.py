"""A keepwarm Config pointing at the test bed's servers, as a fixture for any test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keepwarm import config
from tests.testbed.fixtures import Account, Testbed

ConfigFactory = Callable[..., config.Config]


def settings_for(testbed: Testbed, account: Account, state: Path, /, **overrides: str) -> dict[str, str]:
    """KEEPWARM_ settings for the owner ``account`` on the test bed; keyword arguments override
    keys (``reminder_mode="digest"`` sets KEEPWARM_REMINDER_MODE)."""
    settings = {
        "KEEPWARM_OWNER_NAME": "Naomi Owner",
        "KEEPWARM_OWNER_EMAILS": account.address,
        "KEEPWARM_DAEMON_ADDRESS": account.plus("keepwarm"),
        "KEEPWARM_IMAP_HOST": testbed.host,
        "KEEPWARM_IMAP_PORT": str(testbed.imaps_port),
        "KEEPWARM_IMAP_SECURITY": "ssl",
        "KEEPWARM_IMAP_USER": account.user,
        "KEEPWARM_IMAP_PASSWORD": account.password,
        "KEEPWARM_IMAP_CA_FILE": str(testbed.ca_file),
        "KEEPWARM_SMTP_HOST": testbed.host,
        "KEEPWARM_SMTP_PORT": str(testbed.smtp_starttls_port),
        "KEEPWARM_SMTP_SECURITY": "starttls",
        "KEEPWARM_SMTP_USER": account.user,
        "KEEPWARM_SMTP_PASSWORD": account.password,
        "KEEPWARM_SMTP_CA_FILE": str(testbed.ca_file),
        "KEEPWARM_STATE_DIR": str(state),
        "KEEPWARM_TIMEZONE": "Europe/Lisbon",
        "KEEPWARM_REMINDER_TIME": "08:30",
        "KEEPWARM_SECRET": "test-secret-0123456789abcdef",
        # Mail reaches the test bed by APPEND: no receiving server stamps Authentication-Results
        # that keepwarm could check. Tests of that check (tests/commands/test_unproven.py,
        # test_forgery.py) set trust_from="no" or an auth_servid of their own.
        "KEEPWARM_TRUST_FROM": "yes",
    }
    settings.update({f"KEEPWARM_{k.upper()}": v for k, v in overrides.items()})
    return settings


@pytest.fixture
def make_config(testbed: Testbed, account: Account, tmp_path: Path) -> ConfigFactory:
    """Build a Config for the owner ``account``; keyword arguments override KEEPWARM_ keys."""

    def build(**overrides: str) -> config.Config:
        environ = settings_for(testbed, account, tmp_path / "state", **overrides)
        env_file = tmp_path / "empty.env"  # explicit, so no stray ./.env is read
        env_file.write_text("")
        return config.load(env_file=env_file, environ=environ)

    return build
