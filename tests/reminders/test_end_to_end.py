"""The reminders issue's "done when", on the test bed: one reminder at REMINDER_TIME with a
working draft and mailto link, none the next day, and none after the owner writes to her."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed

LISBON = ZoneInfo("Europe/Lisbon")


def _inbox(testbed: Testbed, account: Account) -> list[EmailMessage]:
    found = []
    for raw in testbed.messages(account, "INBOX").values():
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def _sent_mail(owner: str, to: str, subject: str, when: datetime, msgid: str) -> bytes:
    return (
        f"From: {owner}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {email.utils.format_datetime(when)}\r\nMessage-ID: <{msgid}>\r\n\r\nHi!\r\n"
    ).encode()


def test_one_reminder_then_quiet_until_due_again(
    testbed: Testbed, account: Account, make_config: ConfigFactory
) -> None:
    config = make_config()
    store = Store(config.state_dir)
    start = datetime(2026, 11, 20, 7, 0, tzinfo=LISBON)
    store.add_contact(
        Contact("Alice Example", ("alice@example.org",), start - timedelta(days=200), cadence_days=30)
    )
    store.add_touches(
        [Touch("alice@example.org", start - timedelta(days=40), Direction.OUT, subject="Lisbon?")]
    )
    service = build_service(config, store)

    before = start.replace(hour=8, minute=29)
    assert store.runs.get().get("last_reminder_run") is None
    assert service.reminders_due(before)  # never run yet: yesterday's 08:30 slot is caught up at once
    service.store.runs.note("last_reminder_run", start)  # the daemon ran earlier today
    assert not service.reminders_due(before)
    at_time = start.replace(hour=8, minute=30)
    assert service.reminders_due(at_time)
    count, report = service.remind(at_time)
    assert count == 1 and len(report.sent) == 1

    reminders = [m for m in _inbox(testbed, account) if m["X-Keepwarm"]]
    assert len(reminders) == 1
    msg = reminders[0]
    assert msg["Subject"] == "Check in with Alice Example — 40 days"
    assert msg["To"] == account.address
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "+r" in str(msg["Reply-To"])
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "Hi Alice," in text.get_content()
    link = html.get_content().split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    url = urlparse(link)
    assert url.scheme == "mailto" and unquote(url.path) == "alice@example.org"
    assert "Hi Alice," in parse_qs(url.query)["body"][0]

    # The next day: the reminder is open, the repeat pause (3 days) has not passed.
    next_day = at_time + timedelta(days=1)
    assert service.reminders_due(next_day)
    assert service.remind(next_day)[0] == 0

    # The owner writes to Alice; the poll sees it and the reminder resolves.
    testbed.append(
        account, "Sent", _sent_mail(account.address, "alice@example.org", "Lunch?", next_day, "lunch@x")
    )
    service.poll(next_day + timedelta(hours=2))
    later = at_time + timedelta(days=10)
    assert service.remind(later)[0] == 0
    due_again = next_day + timedelta(days=31)
    assert service.remind(due_again)[0] == 1
