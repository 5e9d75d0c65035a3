"""Replies you owe, on the test bed with the clock set: Alice wrote 'Trip photos' and the owner has
not answered; after OWED_AFTER days the reminder run says so, first in the cap, with a draft that
answers her mail in its thread; the owner's answer in the thread settles it."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

from keepwarm.domain.model import Contact
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.conftest import ConfigFactory
from tests.reminders.support import MORNING, Outgoing, add_contact
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def _mail(sender: str, to: str, subject: str, msgid: str, days_ago: float, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(MORNING - timedelta(days=days_ago))}\r\nMessage-ID: <{msgid}>\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    ).encode()


def _text(message: object) -> str:
    return str(message.get_body(("plain",)).get_content())  # type: ignore[attr-defined]


def test_an_unanswered_mail_is_reminded_after_owed_after_days_and_the_answer_settles_it(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(max_reminders_per_day="1")
    store = Store(config.state_dir)
    store.add_contact(
        Contact("Alice Example", ("alice@example.org",), MORNING - timedelta(days=400), cadence_days=30)
    )
    add_contact(store, "Bob Example", "bob@example.org", days_since=60, now=MORNING)  # due by cadence
    testbed.append(
        account,
        "INBOX",
        _mail(
            "Alice Example <alice@example.org>", account.address, "Re: Trip photos", "trip-2@mail.example", 9
        ),
    )
    service = build_service(config, store)
    service.poll(MORNING)
    outgoing = Outgoing(smtp_server)

    count, _ = service.remind(MORNING)
    [reminder] = outgoing.messages()
    testbed.append(
        account,
        "Sent",
        _mail(
            account.address,
            "alice@example.org",
            "Re: Trip photos",
            "answer-1@x",
            -0.02,  # half an hour after the reminder
            "In-Reply-To: <trip-2@mail.example>\r\n",
        ),
    )
    service.poll(MORNING + timedelta(hours=1))
    later = service.remind(MORNING + timedelta(days=1))

    assert count == 1  # Alice's owed reply takes the one slot before Bob's cadence
    assert reminder["Subject"] == "Reply to Alice Example — 'Trip photos', 9 days ago"
    text = _text(reminder)
    assert "Alice wrote 'Re: Trip photos' 9 days ago and you haven't replied." in text
    assert "subject: Re: Trip photos" in text and "Sorry to be so slow to answer about Trip photos" in text
    html = str(reminder.get_body(("html",)).get_content())  # type: ignore[union-attr]
    link = unescape(next(part for part in html.split('"') if part.startswith("mailto:alice@example.org")))
    query = parse_qs(urlsplit(link).query)
    assert query["in-reply-to"] == ["<trip-2@mail.example>"] and query["subject"] == ["Re: Trip photos"]
    entries = {e.contact_id: e.state for e in store.reminders.entries()}
    assert entries[1] == "resolved"  # her reminder settled by the answer
    assert later[0] == 1 and outgoing.messages()[-1]["Subject"].startswith("Check in with Bob Example")


def test_before_owed_after_days_or_with_it_off_there_is_no_such_reminder(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    for setting, days in (("7", 6), ("0", 30)):
        config = make_config(owed_after=setting, state_dir=str(_state_dir(make_config, setting)))
        store = Store(config.state_dir)
        store.add_contact(
            Contact("Alice Example", ("alice@example.org",), MORNING - timedelta(days=400), cadence_days=90)
        )
        testbed.append(
            account,
            "INBOX",
            _mail("Alice <alice@example.org>", account.address, "Hi", f"hi-{setting}@x", days),
        )
        service = build_service(config, store)
        service.poll(MORNING)
        assert service.remind(MORNING)[0] == 0, setting


def _state_dir(make_config: ConfigFactory, name: str) -> object:
    return make_config().state_dir.parent / f"state-{name}"
