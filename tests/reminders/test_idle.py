"""The daemon process with the default five-minute poll: a command to it is answered within
seconds (IMAP IDLE), over one login; SIGTERM while idling stops it within seconds, and systemd's
watchdog is fed while it idles."""

from __future__ import annotations

import functools
import itertools
import socket
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from keepwarm.store import Store
from tests.reminders.test_loop import DaemonProcess, Launcher, _env, _wait_started, launch
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

__all__ = ["launch"]  # the fixture, used by name


def _command(account: Account, subject: str, msgid: str) -> bytes:
    return (
        f"From: Naomi Owner <{account.address}>\r\n"
        f"To: keepwarm <{account.plus('keepwarm')}>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: <{msgid}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        "Met him at the conference.\r\n"
    ).encode()


def _answered(smtp: SmtpServer, account: Account, count: int) -> bool:
    return sum(b"now tracking" in r.data for r in smtp.received_for(account.address)) >= count


def test_a_command_is_answered_in_seconds_with_a_five_minute_poll_and_one_login(
    testbed: Testbed, account: Account, tmp_path: Path, launch: Launcher, smtp_server: SmtpServer
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="5min")
    daemon = launch(env, "daemon")
    _wait_started(daemon, state_dir)
    time.sleep(1.5)  # into IDLE

    took = []
    for n in range(3):
        sent = time.monotonic()
        testbed.deliver(
            account.plus("keepwarm"), _command(account, f"add Bob{n} <bob{n}@example.org>", f"c{n}@x")
        )
        daemon.wait_for(functools.partial(_answered, smtp_server, account, n + 1), f"answer {n}", timeout=30)
        took.append(time.monotonic() - sent)
    code, stop_took = daemon.stop()

    assert code == 0, daemon.log_text()
    print(
        f"[IDLE] answers to 3 commands took s: {[round(t, 2) for t in took]}, SIGTERM took s: {stop_took:.2f}"
    )
    assert max(took) < 15, took  # the next poll would be minutes away
    assert {c.label for c in Store(state_dir).contacts()} >= {
        f"Bob{n} <bob{n}@example.org>" for n in range(3)
    }
    assert testbed.dovecot.logins(account.user) == 1, "every poll and IDLE on the one connection"
    assert stop_took < 5, stop_took
    assert "Traceback" not in daemon.log_text()


def test_the_watchdog_is_fed_while_idling(
    testbed: Testbed, account: Account, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    env, state_dir = _env(testbed, account, tmp_path, poll_interval="5min")
    notify = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.settimeout(0.5)
        daemon = DaemonProcess(
            env, tmp_path / "daemon.log", extra_env={"NOTIFY_SOCKET": str(notify), "WATCHDOG_USEC": "4000000"}
        )
        try:
            _wait_started(daemon, state_dir)
            pings = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                if b"WATCHDOG=1" in data:
                    pings.append(time.monotonic())
            assert daemon.stop()[0] == 0
        finally:
            daemon.close()
    # A ping every 2 s (half the 4 s period) while nothing but IDLE happens, and never a gap as
    # long as the period, after which systemd would restart the daemon.
    assert len(pings) >= 4, pings
    assert max(b - a for a, b in itertools.pairwise(pings)) < 4.0
