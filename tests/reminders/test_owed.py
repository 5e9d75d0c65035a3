"""Replies you owe, on the test bed with the clock set: Alice wrote 'Trip photos' and the owner has
not answered; after OWED_AFTER days the reminder run says so, first in the cap, with a draft that
answers her mail in its thread; the owner's answer in the thread settles it."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

from keepwarm.domain.model import Contact
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.mailtext import plain_text
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


def _text(message: EmailMessage) -> str:
    return plain_text(message)


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
    assert "Alice wrote 'Trip photos' 9 days ago and you haven't replied." in text
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
        add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING, cadence=90)
        testbed.append(
            account,
            "INBOX",
            _mail("Alice <alice@example.org>", account.address, "Hi", f"hi-{setting}@x", days),
        )
        service = build_service(config, store)
        service.poll(MORNING)
        assert service.remind(MORNING)[0] == 0, setting


def test_a_reply_is_owed_only_for_mail_written_to_the_owner_directly(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """Alice wrote to her choir with the owner in Cc, and to the owner alone: only the second one
    is a reply owed, though both are touches."""
    outgoing = Outgoing(smtp_server)
    cases = (("copied", "choir@example.net", account.address, 9), ("direct", account.address, "", 8))
    for name, to, cc, days in cases:
        config = make_config(state_dir=str(_state_dir(make_config, name)))
        store = Store(config.state_dir)
        add_contact(store, "Alice Example", "alice@example.org", days_since=40, now=MORNING, cadence=90)
        extra = f"Cc: {cc}\r\n" if cc else ""
        raw = _mail("Alice <alice@example.org>", to, f"Rehearsal {name}", f"{name}@x", days, extra)
        testbed.append(account, "INBOX", raw)
        service = build_service(config, store)
        service.poll(MORNING)
        (touch,) = [t for t in store.touches() if t.subject == f"Rehearsal {name}"]
        assert touch.copied is (name == "copied")
        assert service.remind(MORNING)[0] == (name == "direct"), name
    (sent,) = outgoing.messages()
    assert "Rehearsal direct" in str(sent["Subject"])


def test_unanswered_mail_from_them_counts_for_the_cadence_only_when_the_owner_says_so(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """The owner last wrote to Ben 100 days ago (every 90 days); Ben wrote 10 days ago and has no
    answer. By default Ben is due, with his mail shown as the last word; UNANSWERED_COUNTS=yes
    takes his mail as being in touch."""
    outgoing = Outgoing(smtp_server)
    for setting in ("no", "yes"):
        config = make_config(
            owed_after="0", unanswered_counts=setting, state_dir=str(_state_dir(make_config, setting))
        )
        store = Store(config.state_dir)
        add_contact(store, "Ben Example", "ben@example.org", days_since=100, now=MORNING, cadence=90)
        raw = _mail("Ben <ben@example.org>", account.address, "News", f"news-{setting}@x", 10)
        testbed.append(account, "INBOX", raw)
        service = build_service(config, store)
        service.poll(MORNING)
        assert service.remind(MORNING)[0] == (setting == "no"), setting
    (sent,) = outgoing.messages()
    assert "Ben Example" in str(sent["Subject"])
    assert "Ben wrote 'News' 10 days ago and you haven't replied." in _text(sent)


def _state_dir(make_config: ConfigFactory, name: str) -> object:
    return make_config().state_dir.parent / f"state-{name}"
