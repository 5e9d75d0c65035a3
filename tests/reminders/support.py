"""Helpers for the reminder tests: seeding the store, env files, reading what was sent, running the CLI."""

from __future__ import annotations

import email
import os
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.store import Store
from tests.clitools import SYSTEMD_VARIABLES, clear_environment
from tests.mailtext import plain_text
from tests.testbed.config import settings_for
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import ReceivedMessage, SmtpServer

LISBON = ZoneInfo("Europe/Lisbon")
# REMINDER_TIME (08:30) in make_config's zone, on a Friday.
MORNING = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)
# Variables that would leak into keepwarm's configuration or change its log format.


def add_contact(
    store: Store,
    name: str,
    address: str,
    *,
    days_since: int,
    now: datetime,
    cadence: int = 30,
    group: str | None = None,
) -> Contact:
    """A contact the owner last wrote to ``days_since`` days before ``now`` (overdue past ``cadence``)."""
    contact = store.add_contact(
        Contact(name, (address,), now - timedelta(days=400), cadence_days=cadence, group=group)
    )
    store.add_touches([Touch(address, now - timedelta(days=days_since), Direction.OUT, subject="Hello")])
    return contact


def parse(raw: bytes | str) -> EmailMessage:
    """A message as a mail client would read it."""
    if isinstance(raw, str):
        msg = email.message_from_string(raw, policy=policy.default)
    else:
        msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(msg: EmailMessage) -> str:
    """The decoded text/plain part as a flowed-aware client shows it, with ``\n`` line ends."""
    return plain_text(msg)


def html_of(msg: EmailMessage) -> str:
    """The decoded text/html part, with ``\n`` line ends."""
    part = msg.get_body(("html",))
    assert part is not None, "no text/html part"
    return str(part.get_content()).replace("\r\n", "\n")


class Outgoing:
    """What the shared test SMTP server accepted since this object was made (tests run one at a time)."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server
        self._start = len(server.received)

    @property
    def envelopes(self) -> list[ReceivedMessage]:
        return self._server.received[self._start :]

    def messages(self) -> list[EmailMessage]:
        return [parse(envelope.data) for envelope in self.envelopes]

    def subjects(self) -> list[str]:
        return [str(msg["Subject"]) for msg in self.messages()]


def sent_mail(owner: str, to: str, subject: str, when: datetime, msgid: str) -> bytes:
    """A message the owner wrote, as it sits in her Sent folder."""
    return (
        f"From: {owner}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.format_datetime(when)}\r\nMessage-ID: <{msgid}>\r\n\r\nHi!\r\n"
    ).encode()


def env_settings(testbed: Testbed, account: Account, state_dir: Path, **overrides: str) -> dict[str, str]:
    """The same settings as the ``make_config`` fixture; keyword arguments override KEEPWARM_ keys."""
    return settings_for(testbed, account, state_dir, **overrides)


def write_env_file(path: Path, settings: dict[str, str]) -> Path:
    """Write ``KEY=value`` lines (the test bed's values need no quoting)."""
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    return path


def clean_environment(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> None:
    """No KEEPWARM_ variables or systemd hints from the outer environment, and no stray ./.env."""
    clear_environment(monkeypatch)
    monkeypatch.chdir(cwd)


def subprocess_environment() -> dict[str, str]:
    """The current environment without anything that would configure keepwarm behind the env file."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("KEEPWARM_") and k not in SYSTEMD_VARIABLES
    }
