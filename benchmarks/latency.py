"""How fast a reply to a reminder is answered, and how often the idle daemon logs in.

The daemon runs as a process with the default settings (a five-minute POLL_INTERVAL). The owner
replies "done" to reminders over SMTP, as her mail client would; the figure is the time from the
SMTP server's acceptance of her reply to keepwarm's confirmation being in her INBOX, seen by a
separate IMAP connection. The baseline is the same path for a plain message (SMTP acceptance to
INBOX, seen by the same watcher), measured in the same run. Then the daemon is left alone and its
IMAP logins are counted in Dovecot's log."""

from __future__ import annotations

import contextlib
import email
import os
import random
import signal
import smtplib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from imapclient import IMAPClient

from benchmarks.scenarios import Result, build_store, env_file
from keepwarm.store import Store
from tests.testbed.fixtures import Account, Testbed

POLL_DEFAULT_PER_HOUR = 12  # one login per poll, as before IDLE, at the default five minutes
WAIT = 30.0  # give up on one answer after this long
HOP = "a plain mail, SMTP to INBOX"


class Watcher:
    """An IMAP connection on the owner's INBOX that waits for a message with a given header."""

    def __init__(self, bed: Testbed, account: Account) -> None:
        self.client: IMAPClient = bed.imap_client(account)
        self.client.select_folder("INBOX", readonly=True)

    def wait(self, header: str, value: str) -> float:
        """Until a message whose ``header`` holds ``value`` is in INBOX; the monotonic time then."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            self.client.noop()
            if self.client.search(["HEADER", header, value]):
                return time.monotonic()
            time.sleep(0.02)
        raise RuntimeError(f"nothing with {header} {value} in INBOX after {WAIT:.0f} s")

    def reminders(self) -> list[EmailMessage]:
        """The reminders in INBOX, parsed."""
        self.client.noop()
        uids = self.client.search(["SUBJECT", "Check in with"])
        found = []
        for data in self.client.fetch(uids, ["BODY.PEEK[]"]).values():
            msg = email.message_from_bytes(data[b"BODY[]"], policy=policy.default)
            assert isinstance(msg, EmailMessage)
            found.append(msg)
        return found

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.logout()


def _send(bed: Testbed, account: Account, to: str, raw: bytes) -> float:
    """Submit over SMTP as the owner's mail client does; the monotonic time of acceptance."""
    with smtplib.SMTP(bed.host, bed.smtp_starttls_port, timeout=10) as smtp:
        smtp.starttls(context=bed.ssl_context())
        smtp.login(account.user, account.password)
        smtp.sendmail(account.address, [to], raw)
        return time.monotonic()


def _reply(reminder: EmailMessage, owner: str, msgid: str) -> bytes:
    """The owner's reply "done", threaded the way mail clients thread it."""
    return (
        f"From: Naomi Owner <{owner}>\r\nTo: {reminder['Reply-To']}\r\n"
        f"Subject: Re: {reminder['Subject']}\r\nDate: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: {msgid}\r\nIn-Reply-To: {reminder['Message-ID']}\r\n"
        f"References: {reminder['Message-ID']}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\ndone\r\n'
    ).encode()


def _plain(owner: str, msgid: str) -> bytes:
    return (
        f"From: A Friend <friend@example.org>\r\nTo: {owner}\r\nSubject: hello\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\nMessage-ID: {msgid}\r\n\r\nhello\r\n"
    ).encode()


@contextlib.contextmanager
def _daemon(env: Path, log: Path, started: Callable[[], bool]) -> Iterator[subprocess.Popen[bytes]]:
    """``keepwarm run`` until its first poll is done; SIGTERM at the end."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("KEEPWARM_", "NOTIFY_", "WATCHDOG_"))}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "keepwarm", "--env-file", str(env), "run"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=out,
            env=environ,
        )
        try:
            deadline = time.monotonic() + WAIT
            while not started():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the daemon did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def reply_latency(bed: Testbed, replies: int, idle_seconds: float, work: Path) -> list[Result]:
    """``replies`` replies to as many reminders, one after another; then ``idle_seconds`` alone."""
    directory = work / "latency"
    directory.mkdir()
    account = bed.new_account("latency")
    env = env_file(directory, bed, account, MAX_REMINDERS_PER_DAY=str(replies))
    state = directory / "state"
    build_store(state, replies, replies * 4, replies, datetime.now(UTC))
    subprocess.run(
        [sys.executable, "-m", "keepwarm", "--env-file", str(env), "remind", "--now"],
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_")},
    )
    watcher = Watcher(bed, account)
    try:
        reminders = watcher.reminders()
        assert len(reminders) == replies, f"{len(reminders)} reminders, not {replies}"
        bare = [_round_trip(bed, account, watcher) for _ in range(5)]
        rng = random.Random(13)
        took = []
        with _daemon(env, directory / "daemon.log", lambda: bool(Store(state).runs.get().get("last_poll"))):
            time.sleep(1.0)  # into IDLE
            for reminder in reminders:
                msgid = make_msgid(domain="owner.example")
                sent = _send(
                    bed, account, str(reminder["Reply-To"]), _reply(reminder, account.address, msgid)
                )
                took.append(watcher.wait("In-Reply-To", msgid) - sent)
                # A person does not reply on a beat: land at a different moment of each cycle.
                time.sleep(rng.uniform(0.2, 2.0))
            logins_before = bed.dovecot.logins(account.user)
            time.sleep(idle_seconds)
            idle_logins = bed.dovecot.logins(account.user) - logins_before
    finally:
        watcher.close()
    return _results(took, min(bare), idle_logins, idle_seconds)


def _round_trip(bed: Testbed, account: Account, watcher: Watcher) -> float:
    msgid = make_msgid(domain="friend.example")
    sent = _send(bed, account, account.address, _plain(account.address, msgid))
    return watcher.wait("Message-ID", msgid) - sent


def _results(took: list[float], bare: float, idle_logins: int, idle_seconds: float) -> list[Result]:
    median, worst = statistics.median(took), max(took)
    per_hour = idle_logins * 3600 / idle_seconds
    n = len(took)
    return [
        Result(
            f"reply to confirmation, median of {n}", median, "s", bare, "SMTP to INBOX", "< 2 s", median < 2
        ),
        Result(f"reply to confirmation, max of {n}", worst, "s", bare, "SMTP to INBOX", "< 5 s", worst < 5),
        Result(
            f"IMAP logins per hour idle ({idle_seconds / 60:.0f} min)",
            per_hour,
            "/h",
            POLL_DEFAULT_PER_HOUR,
            "a login per poll",
            "<= 3 /h",
            per_hour <= 3,
        ),
    ]
