"""The benchmark scenarios. Each returns Results: a value, the baseline measured in the same run,
their ratio, and the target it is held to."""

from __future__ import annotations

import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.measure import best, run_child
from keepwarm import config as config_module
from keepwarm.app import poll, reminders
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.render.engine import Renderer
from keepwarm.runtime import wiring
from keepwarm.runtime.wiring import settings_for
from keepwarm.store import Store
from tests.testbed.fixtures import Account, Testbed


@dataclass(frozen=True)
class Result:
    """One measured figure."""

    name: str
    value: float
    unit: str
    baseline: float
    baseline_name: str
    target: str
    ok: bool

    @property
    def ratio(self) -> float:
        """value / baseline: comparable across machines, unlike seconds."""
        return self.value / self.baseline if self.baseline else float("inf")


def env_file(directory: Path, bed: Testbed, account: Account, **extra: str) -> Path:
    """Settings for keepwarm against the test bed."""
    values = {
        "OWNER_EMAILS": account.address,
        "DAEMON_ADDRESS": account.plus("keepwarm"),
        "IMAP_HOST": bed.host,
        "IMAP_PORT": str(bed.imaps_port),
        "IMAP_SECURITY": "ssl",
        "IMAP_USER": account.user,
        "IMAP_PASSWORD": account.password,
        "IMAP_CA_FILE": str(bed.ca_file),
        "SMTP_HOST": bed.host,
        "SMTP_PORT": str(bed.smtp_starttls_port),
        "SMTP_SECURITY": "starttls",
        "SMTP_USER": account.user,
        "SMTP_PASSWORD": account.password,
        "SMTP_CA_FILE": str(bed.ca_file),
        "STATE_DIR": str(directory / "state"),
        "TIMEZONE": "UTC",
        "BACKFILL": "5y",
        "SECRET": "benchmark-secret-0123456789",
        **extra,
    }
    path = directory / "keepwarm.env"
    path.write_text("".join(f"KEEPWARM_{k}={v}\n" for k, v in values.items()))
    return path


class IdlePoller:
    """A daemon's poll: configuration loaded and store open once, then polled repeatedly."""

    def __init__(self, env: Path) -> None:
        self.config = config_module.load(env_file=env, environ={})
        self.store = Store(self.config.state_dir)
        self.who = wiring.identity(self.config)
        self.store.touch_keys()  # built at the daemon's first poll, not at every poll

    def poll(self) -> None:
        mailbox = wiring.open_mailbox(self.config)
        try:
            folders = mailbox.watched_folders(("auto",))
            report = poll.poll(
                mailbox, self.store, self.who, folders, datetime.now(UTC), backfill=self.config.backfill
            )
        finally:
            mailbox.close()
        assert report.messages == 0, "an idle poll read old messages"


def build_store(directory: Path, contacts: int, touches: int, due: int, now: datetime) -> None:
    """A store of ``contacts`` people and ``touches`` touches; the first ``due`` people are overdue
    (last touched 40 to 340 days ago on a 30-day cadence), everyone else was touched this month."""
    rng = random.Random(7)
    store = Store(directory)
    with store.transaction():
        for i in range(contacts):
            store.add_contact(
                Contact(f"Person {i}", (f"p{i}@example.org",), now - timedelta(days=900), cadence_days=30)
            )
        store.add_touches(
            Touch(
                f"p{j % contacts}@example.org",
                now - timedelta(days=40 + rng.randrange(300) if j % contacts < due else rng.randrange(25)),
                # Each person both writes and is written to: nobody has gone quiet (QUIET_AFTER).
                Direction.OUT if (j // contacts) % 2 else Direction.IN,
                subject=f"Subject number {j}",
                message_id=f"store-{j}@example.org",
                source="imap:INBOX",
            )
            for j in range(touches)
        )


def store_scale(bed: Testbed, contacts: int, touches: int, work: Path) -> list[Result]:
    """Open a big store; a poll that adds 10 touches to it; the file's size."""
    now = datetime.now(UTC)
    directory = work / "scale" / "state"
    build_store(directory, contacts, touches, 0, now)
    path = directory / "keepwarm.json"
    opening = best(lambda: Store(directory).count("touches"), repeat=3)
    bare_load = best(lambda: json.loads(path.read_bytes()), repeat=3)
    size = path.stat().st_size / 1e6
    big = _poll_ten(bed, work / "scale", Store(directory))
    small = _poll_ten(bed, work / "scale-empty", Store(work / "scale-empty" / "state"))
    label = f"{contacts:,} contacts, {touches:,} touches"
    return [
        Result(
            f"store open ({label})",
            opening,
            "s",
            bare_load,
            "json.loads of the file",
            "<= 1 s",
            opening <= 1.0,
        ),
        Result(
            "poll adding 10 touches to that store",
            big,
            "s",
            small,
            "same poll, empty store",
            "<= 0.3 s",
            big <= 0.3,
        ),
        Result("store file size", size, "MB", 60, "target", "< 60 MB", size < 60),
    ]


def _poll_ten(bed: Testbed, directory: Path, store: Store) -> float:
    """The best of three polls that each find 10 new messages from tracked people."""
    directory.mkdir(parents=True, exist_ok=True)
    account = bed.new_account("ten")
    config = config_module.load(env_file=env_file(directory, bed, account), environ={})
    store.mark_seen(["warm-up"])  # a running daemon has saved once already (the costly first save)
    who = wiring.identity(config)
    times = []
    for round_ in range(3):
        for i in range(10):
            raw = (
                f"From: Person {i} <p{i}@example.org>\r\nTo: {account.address}\r\nSubject: hi {i}\r\n"
                f"Message-ID: <ten-{round_}-{i}@{account.user}>\r\n\r\nhello\r\n"
            )
            bed.deliver(account.address, raw.encode())
        start = time.perf_counter()
        mailbox = wiring.open_mailbox(config)
        try:
            report = poll.poll(mailbox, store, who, ["INBOX"], datetime.now(UTC), backfill=config.backfill)
        finally:
            mailbox.close()
        times.append(time.perf_counter() - start)
        assert sum(report.touches.values()) == 10, report
    return min(times)


def reminder_run(bed: Testbed, contacts: int, due: int, work: Path) -> list[Result]:
    """The reminder job (queueing, no SMTP) over a big book with ``due`` people due, cap ``due``."""
    now = datetime.now(UTC)
    account = bed.new_account("remind")

    def run(total: int, label: str) -> float:
        directory = work / label
        directory.mkdir(parents=True)
        config = config_module.load(
            env_file=env_file(directory, bed, account, MAX_REMINDERS_PER_DAY=str(due)), environ={}
        )
        build_store(config.state_dir, total, total * 4, due, now)
        store = Store(config.state_dir)
        renderer = Renderer(None)
        start = time.perf_counter()
        messages = reminders.run(store, renderer, settings_for(config), now)
        took = time.perf_counter() - start
        assert len(messages) == due, len(messages)
        return took

    big = run(contacts, "remind-big")
    small = run(due, "remind-small")
    return [
        Result(
            f"reminder run ({contacts:,} contacts, {due} due, cap {due})",
            big,
            "s",
            small,
            f"same run, {due} contacts",
            "<= 3 s",
            big <= 3.0,
        )
    ]


def startup() -> list[Result]:
    """keepwarm --help against a bare interpreter start."""
    help_time = min(run_child([sys.executable, "-m", "keepwarm", "--help"])[0] for _ in range(5))
    bare = min(run_child([sys.executable, "-c", "pass"])[0] for _ in range(5))
    return [Result("keepwarm --help", help_time, "s", bare, "python -c pass", "<= 0.3 s", help_time <= 0.3)]
