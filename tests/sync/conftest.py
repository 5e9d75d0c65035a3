"""Fixtures for the sync tests: one realistic ~2,000-message mailbox, filled once per session."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.sync import mailgen
from tests.sync.support import Realistic, append_all, flag_snapshot
from tests.testbed.fixtures import Testbed


@pytest.fixture(scope="session")
def realistic(testbed: Testbed) -> Realistic:
    """A mailbox of about 2,000 realistic messages (INBOX, Sent, Drafts); polls only read it."""
    account = testbed.new_account("naomi")
    box = mailgen.generate(account.address, account.plus("keepwarm"), datetime.now(UTC))
    started = time.monotonic()
    append_all(testbed, account, box.appended())
    for copy in box.delivered():
        assert copy.lmtp_to is not None
        testbed.deliver(copy.lmtp_to, copy.raw, mail_from=copy.envelope_from)
    elapsed = time.monotonic() - started
    return Realistic(account, box, flag_snapshot(testbed, account), elapsed)
