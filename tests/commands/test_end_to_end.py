"""The commands issue's "done when", on the test bed: a Gmail-shaped "snooze 2w" reply snoozes
the contact and is confirmed in the owner's INBOX; the same reply with a forged sender changes
nothing and answers nobody."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

LISBON = ZoneInfo("Europe/Lisbon")
START = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)


def _inbox(testbed: Testbed, account: Account) -> list[EmailMessage]:
    found = []
    for raw in testbed.messages(account, "INBOX").values():
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def gmail_reply(reminder: EmailMessage, sender: str, body: str, when: datetime, msgid: str) -> bytes:
    """A reply shaped the way Gmail's web client writes one."""
    quoted = "\r\n".join(f"> {line}" for line in reminder.get_body(("plain",)).get_content().splitlines()[:5])  # type: ignore[union-attr]
    return (
        f"From: Naomi Owner <{sender}>\r\n"
        f"To: {reminder['Reply-To']}\r\n"
        f"Subject: Re: {reminder['Subject']}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <{msgid}>\r\n"
        f"In-Reply-To: {reminder['Message-ID']}\r\n"
        f"References: {reminder['Message-ID']}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"{body}\r\n\r\n"
        f"On Fri, Nov 20, 2026 at 8:30 AM keepwarm <{reminder['From'].addresses[0].addr_spec}> wrote:\r\n\r\n"
        f"{quoted}\r\n"
    ).encode()


def _setup(testbed: Testbed, account: Account, make_config: ConfigFactory) -> tuple[Service, EmailMessage]:
    config = make_config()
    store = Store(config.state_dir)
    store.add_contact(
        Contact("Alice Example", ("alice@example.org",), START - timedelta(days=200), cadence_days=30)
    )
    store.add_touches(
        [Touch("alice@example.org", START - timedelta(days=40), Direction.OUT, subject="Lisbon?")]
    )
    service = build_service(config, store)
    assert service.remind(START)[0] == 1
    service.poll(START + timedelta(minutes=1))  # sees its own reminder: not a touch, not a command
    reminders = [m for m in _inbox(testbed, account) if str(m["X-Keepwarm"]).startswith("reminder")]
    assert len(reminders) == 1
    return service, reminders[0]


def test_gmail_reply_snoozes_and_is_confirmed(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    service, reminder = _setup(testbed, account, make_config)
    when = START + timedelta(hours=1)
    reply = gmail_reply(reminder, account.address, "snooze 2w", when, "reply-1@mail.gmail.com")
    testbed.deliver(
        account.plus(str(reminder["Reply-To"].addresses[0].addr_spec).split("+", 1)[1].split("@")[0]), reply
    )

    report = service.poll(when)
    assert report.commands == {"applied": 1}
    alice = service.store.contacts()[0]
    assert alice.snoozed_until is not None
    assert alice.snoozed_until.date() == (when + timedelta(days=14)).date()

    service.deliver(when)
    answers = [m for m in _inbox(testbed, account) if str(m["X-Keepwarm"]).startswith("confirmation")]
    assert len(answers) == 1
    answer = answers[0]
    assert answer["In-Reply-To"] == "<reply-1@mail.gmail.com>"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert "snoozed Alice Example until" in answer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # Polling again changes nothing: the command was recorded with its effects.
    again = service.poll(when + timedelta(minutes=5))
    assert again.commands == {}
    assert [r.rcpt_tos for r in smtp_server.received_for(account.address)] == [(account.address,)] * 2


def test_forged_sender_changes_nothing_and_answers_nobody(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    service, reminder = _setup(testbed, account, make_config)
    before = service.store.path.read_bytes()
    contacts_before = service.store.contacts()
    when = START + timedelta(hours=1)
    forged = gmail_reply(reminder, "mallory@evil.example", "snooze 2w", when, "forged-1@evil.example")
    tag = str(reminder["Reply-To"].addresses[0].addr_spec).split("+", 1)[1].split("@")[0]
    testbed.deliver(account.plus(tag), forged)
    sent_before = len(smtp_server.received)

    report = service.poll(when)
    service.deliver(when)
    assert report.commands == {"rejected": 1}
    assert service.store.contacts() == contacts_before
    assert before != service.store.path.read_bytes()  # the poll itself was recorded…
    new = smtp_server.received[sent_before:]
    # …and the only mail sent is the owner's once-a-day notice; the stranger gets nothing.
    assert [r.rcpt_tos for r in new] == [(account.address,)]
    assert b"keepwarm rejected a command" in new[0].data
    assert not any("evil.example" in ",".join(r.rcpt_tos) for r in smtp_server.received)
