"""Fixtures for the fault tests: generated mailboxes filled once per session, and the slow-test switch."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keepwarm.store import Store
from tests.faults.support import env_file, warm_up
from tests.reminders.support import env_settings, subprocess_environment
from tests.sync import mailgen
from tests.sync.support import FlagMap, StoreState, append_all, flag_snapshot, store_state
from tests.testbed.fixtures import Account, Testbed

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long fault runs take minutes: they run with ``-m slow`` (or KEEPWARM_FAULT_LONG=1) only."""
    if config.getoption("markexpr") or os.environ.get("KEEPWARM_FAULT_LONG"):
        return
    skip = pytest.mark.skip(reason="long fault run: select it with -m slow, or set KEEPWARM_FAULT_LONG=1")
    for item in items:
        if item.get_closest_marker("slow") is not None and HERE in item.path.parents:
            item.add_marker(skip)


def fill(testbed: Testbed, account: Account, box: mailgen.GeneratedMailbox) -> float:
    """APPEND and deliver every message of ``box``; returns the seconds it took."""
    started = time.monotonic()
    append_all(testbed, account, box.appended())
    for copy in box.delivered():
        assert copy.lmtp_to is not None
        testbed.deliver(copy.lmtp_to, copy.raw, mail_from=copy.envelope_from)
    return time.monotonic() - started


def mailbox_settings(
    testbed: Testbed, account: Account, box: mailgen.GeneratedMailbox, state_dir: Path, **overrides: str
) -> dict[str, str]:
    """keepwarm's settings for a generated mailbox: the owner has the box's two addresses."""
    return env_settings(testbed, account, state_dir, owner_emails=", ".join(box.owner_emails), **overrides)


def _timed_poll(env: Path) -> float:
    """Run ``keepwarm poll`` to completion; returns the seconds it took."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env), "poll", "--quiet"],
        capture_output=True,
        text=True,
        env=subprocess_environment(),
        cwd=env.parent,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


@dataclass(frozen=True)
class FilledMailbox:
    """A generated mailbox in a fresh account, and the store an uninterrupted ``keepwarm poll`` made of it."""

    account: Account
    box: mailgen.GeneratedMailbox
    flags: FlagMap
    fill_seconds: float
    reference: StoreState
    reference_seconds: float
    idle_seconds: float  # a poll with nothing new to read

    @property
    def size(self) -> int:
        return len(self.box.placements)


MailboxFactory = Callable[[int], FilledMailbox]


@pytest.fixture(scope="session")
def mailboxes(testbed: Testbed, tmp_path_factory: pytest.TempPathFactory) -> MailboxFactory:
    """``mailboxes(size)``: a mailbox of about ``size`` messages, filled once per size (polls only read)."""
    made: dict[int, FilledMailbox] = {}

    def get(size: int) -> FilledMailbox:
        if size in made:
            return made[size]
        account = testbed.new_account("naomi")
        box = mailgen.generate(account.address, account.plus("keepwarm"), datetime.now(UTC), size=size)
        fill_seconds = fill(testbed, account, box)
        flags = flag_snapshot(testbed, account)
        where = tmp_path_factory.mktemp(f"reference-{size}")
        env = env_file(where / "keepwarm.env", mailbox_settings(testbed, account, box, where / "state"))
        warm_up()
        reference_seconds = _timed_poll(env)
        reference = store_state(Store(where / "state"))
        idle_seconds = _timed_poll(env)
        made[size] = FilledMailbox(
            account, box, flags, fill_seconds, reference, reference_seconds, idle_seconds
        )
        return made[size]

    return get
