"""The check-ins issue's "done when", on the test bed: an article forwarded "for Priya" tops her
next draft and disappears once the owner writes to her; news shows in the next drafts; the
weekly overview arrives with its picture in both parts."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import part_text
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed

LISBON = ZoneInfo("Europe/Lisbon")
SUNDAY = datetime(2026, 11, 22, 8, 30, tzinfo=LISBON)


def _inbox(testbed: Testbed, account: Account, kind: str) -> list[EmailMessage]:
    found = []
    for raw in testbed.messages(account, "INBOX").values():
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        if str(msg.get("X-Keepwarm", "")).startswith(kind):
            found.append(msg)
    return found


def _text(msg: EmailMessage, subtype: str = "plain") -> str:
    part = msg.get_body((subtype,))
    assert part is not None
    return part_text(part)


def _to_daemon(account: Account, subject: str, body: str, when: datetime, msgid: str) -> bytes:
    return (
        f"From: Naomi Owner <{account.address}>\r\nTo: {account.plus('keepwarm')}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(when)}\r\nMessage-ID: <{msgid}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


def test_opener_news_and_overview(testbed: Testbed, account: Account, make_config: ConfigFactory) -> None:
    config = make_config(overview="weekly", overview_day="sun")
    store = Store(config.state_dir)
    start = SUNDAY - timedelta(days=1)
    priya = store.add_contact(
        Contact(
            "Priya Raman",
            ("priya@example.org",),
            start - timedelta(days=300),
            cadence_days=30,
            group="friends",
        )
    )
    store.add_touches([Touch("priya@example.org", start - timedelta(days=45), Direction.IN, subject="Hello")])
    service = build_service(config, store)

    forwarded = (
        "for Priya\r\n\r\n---------- Forwarded message ---------\r\nFrom: Weekly <news@weekly.example>\r\n"
        "Subject: Night trains are back\r\n\r\nRead it here: https://example.org/night-trains\r\n"
    )
    testbed.deliver(
        account.plus("keepwarm"),
        _to_daemon(account, "Fwd: Night trains are back", forwarded, start, "fwd-1@x"),
    )
    testbed.deliver(
        account.plus("keepwarm"),
        _to_daemon(account, "news: we moved to Lisbon in October", "", start, "news-1@x"),
    )
    report = service.poll(start + timedelta(minutes=5))
    assert report.commands == {"applied": 2}
    assert [o.title for o in store.extras.openers(priya.id)] == ["Night trains are back"]

    count, _ = service.remind(SUNDAY)
    assert count == 1
    reminder = _inbox(testbed, account, "reminder")[0]
    text = _text(reminder)
    draft = text.split("-" * 72)[1]
    first_line = next(line for line in draft.splitlines()[1:] if line.strip() and not line.startswith("Hi "))
    assert first_line.startswith(
        "Saw this and thought of you: Night trains are back https://example.org/night-trains"
    )
    assert "we moved to Lisbon in October" in draft

    # The weekly overview went out with the Sunday run, with its bars in both parts.
    assert service.overview_due(SUNDAY)
    service.overview(SUNDAY)
    overview = _inbox(testbed, account, "overview")
    assert len(overview) == 1
    assert "[" in _text(overview[0]) and "friends" in _text(overview[0])
    html = _text(overview[0], "html")
    assert "background: #dc2626" in html and "<img" not in html
    assert not service.overview_due(SUNDAY + timedelta(hours=2))

    # The owner writes to Priya: the opener is used, and the news is not repeated to her.
    testbed.append(
        account,
        "Sent",
        (
            f"From: {account.address}\r\nTo: priya@example.org\r\nSubject: Trains!\r\n"
            f"Date: {format_datetime(SUNDAY + timedelta(hours=3))}\r\nMessage-ID: <to-priya@x>\r\n\r\nhi\r\n"
        ).encode(),
    )
    service.poll(SUNDAY + timedelta(hours=4))
    assert store.extras.openers(priya.id) == []
    due_again = SUNDAY + timedelta(days=31)
    assert service.remind(due_again)[0] == 1
    later = _text(_inbox(testbed, account, "reminder")[-1])
    assert "Night trains" not in later
    assert "Lisbon in October" not in later.split("-" * 72)[1]
