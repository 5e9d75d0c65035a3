"""The daemon's kept IMAP connection on the real Dovecot: IDLE hears new mail within seconds, one
login serves many polls, a dropped connection is noticed and replaced, and a server without IDLE
is polled on the interval."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from keepwarm.app import poll
from keepwarm.mail.imap import ImapMailbox
from keepwarm.runtime.watch import Watcher
from keepwarm.store import Store
from tests.sync.support import identity, mail, open_mailbox, server_config
from tests.sync.test_sync import BACKFILL, NOW
from tests.testbed.fixtures import Account, Testbed

ALICE = "Alice Example <alice@example.org>"


class _Logins:
    """Opens the real mailbox and counts how often it had to."""

    def __init__(self, testbed: Testbed, account: Account) -> None:
        self.testbed, self.account, self.count = testbed, account, 0

    def __call__(self) -> ImapMailbox:
        self.count += 1
        return open_mailbox(self.testbed, self.account)


def _watching(testbed: Testbed, account: Account, tmp_path: Path) -> tuple[Store, _Logins, Watcher]:
    logins = _Logins(testbed, account)
    return Store(tmp_path), logins, Watcher(logins, ("auto",))


def _poll(watcher: Watcher, store: Store, account: Account) -> poll.PollReport:
    source = watcher.borrow()
    try:
        return poll.poll(
            source, store, identity(account), source.watched_folders(("auto",)), NOW, backfill=BACKFILL
        )
    finally:
        source.close()


def _wait_for_news(watcher: Watcher, limit: float) -> float | None:
    """Seconds until ``wait`` says mail arrived, in one-second slices as the daemon waits."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if watcher.wait(1.0):
            return time.monotonic() - started
    return None


@pytest.mark.parametrize("uptime", [None, 3.0], ids=["long-running-machine", "machine-just-booted"])
def test_idle_hears_new_mail_in_seconds_over_the_one_login(
    testbed: Testbed, account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uptime: float | None
) -> None:
    if uptime is not None:
        # The monotonic clock counts from boot: on a machine up for seconds (a fresh CI runner,
        # a container) "never idled" must not read as "idled just now".
        real, offset = time.monotonic, time.monotonic() - uptime
        monkeypatch.setattr(time, "monotonic", lambda: real() - offset)
    store, logins, watcher = _watching(testbed, account, tmp_path)
    try:
        assert _poll(watcher, store, account).messages == 0
        assert watcher.idle_supported and watcher.folder == "INBOX"
        assert _wait_for_news(watcher, 1.5) is None  # nothing yet: a quiet IDLE
        raw = mail(ALICE, account.address, "Photos", "p1@x", NOW - timedelta(hours=1))
        threading.Timer(0.5, testbed.deliver, (account.address, raw)).start()
        took = _wait_for_news(watcher, 20)
        report = _poll(watcher, store, account)
        for _ in range(5):  # more polls, and IDLE between them, on the same connection
            _poll(watcher, store, account)
            watcher.wait(0.1)
    finally:
        watcher.drop()

    assert took is not None and took < 10, took
    assert report.touches == {"alice@example.org": 1}
    assert logins.count == 1
    assert testbed.dovecot.logins(account.user) == 1


def test_a_connection_the_server_drops_is_noticed_and_the_next_poll_logs_in_again(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    store, logins, watcher = _watching(testbed, account, tmp_path)
    try:
        _poll(watcher, store, account)
        watcher.wait(0.2)  # in IDLE now
        testbed.dovecot.kick(account.user)
        noticed = _wait_for_news(watcher, 10)  # a lost connection counts as news: poll soon
        testbed.append(
            account, "INBOX", mail(ALICE, account.address, "Back", "b1@x", NOW - timedelta(hours=1))
        )
        report = _poll(watcher, store, account)
    finally:
        watcher.drop()

    assert noticed is not None and noticed < 5, noticed
    assert logins.count == 2
    assert report.touches == {"alice@example.org": 1}


def test_idle_is_issued_again_after_its_refresh_and_still_hears_mail(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    store = Store(tmp_path)
    watcher = Watcher(_Logins(testbed, account), ("auto",), refresh=timedelta(seconds=1))
    try:
        _poll(watcher, store, account)
        for _ in range(4):  # each wait past the refresh ends IDLE and starts it again
            assert watcher.wait(0.6) is False
        raw = mail(ALICE, account.address, "Late", "l1@x", NOW - timedelta(hours=1))
        threading.Timer(0.3, testbed.deliver, (account.address, raw)).start()
        took = _wait_for_news(watcher, 20)
    finally:
        watcher.drop()
    assert took is not None and took < 10, took


class _NoIdle(ImapMailbox):
    """A server that does not announce IDLE (Dovecot always does; this hides it)."""

    @property
    def can_idle(self) -> bool:
        return False


def test_without_idle_the_wait_is_a_plain_sleep_and_polls_find_the_mail(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    store = Store(tmp_path)
    watcher = Watcher(lambda: _NoIdle(server_config(testbed, account), read_timeout=10), ("auto",))
    try:
        _poll(watcher, store, account)
        testbed.deliver(account.address, mail(ALICE, account.address, "Hi", "n1@x", NOW - timedelta(hours=1)))
        started = time.monotonic()
        assert watcher.wait(0.5) is False
        slept = time.monotonic() - started
        report = _poll(watcher, store, account)
    finally:
        watcher.drop()
    assert watcher.idle_supported is False
    assert slept >= 0.45
    assert report.touches == {"alice@example.org": 1}


def test_mail_that_arrives_between_a_poll_and_idle_is_not_missed(
    testbed: Testbed, account: Account, tmp_path: Path
) -> None:
    """IDLE announces only what comes after it began; what came in the gap shows in UIDNEXT."""
    store, _, watcher = _watching(testbed, account, tmp_path)
    try:
        _poll(watcher, store, account)
        testbed.deliver(
            account.address, mail(ALICE, account.address, "Gap", "g1@x", NOW - timedelta(hours=1))
        )
        took = _wait_for_news(watcher, 3)
        report = _poll(watcher, store, account)
    finally:
        watcher.drop()
    assert took is not None and took < 1, took
    assert report.touches == {"alice@example.org": 1}
