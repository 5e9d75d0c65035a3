"""News and thank-yous on the test bed: answers, errors, news told once per contact, thanks drafts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from keepwarm.app import contacts
from keepwarm.app.poll import PollReport
from keepwarm.domain.model import Contact, Direction, Touch
from keepwarm.runtime.service import Service
from keepwarm.runtime.wiring import build_service
from keepwarm.store import Store
from tests.reminders.support import LISBON, Outgoing, html_of, text_of
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

# REMINDER_TIME (08:30, make_config) on a Friday.
MORNING = datetime(2026, 11, 20, 8, 30, tzinfo=LISBON)
EVENING_BEFORE = MORNING - timedelta(hours=14)
NEWS = "we moved to Lisbon in October"
RULE = "-" * 72


def _to_daemon(account: Account, subject: str, body: str, when: datetime) -> bytes:
    return (
        f"From: Naomi Owner <{account.address}>\r\nTo: {account.plus('keepwarm')}\r\n"
        f"Subject: {subject}\r\nDate: {format_datetime(when)}\r\nMessage-ID: <{uuid.uuid4().hex}@test>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()


def _command(
    testbed: Testbed, account: Account, service: Service, subject: str, body: str, when: datetime
) -> PollReport:
    """Mail a command to the daemon address, poll, and send the answer."""
    testbed.deliver(account.plus("keepwarm"), _to_daemon(account, subject, body, when))
    report = service.poll(when + timedelta(minutes=1))
    service.deliver(when + timedelta(minutes=1))
    return report


def _of_kind(outgoing: Outgoing, kind: str) -> list[EmailMessage]:
    return [m for m in outgoing.messages() if str(m.get("X-Keepwarm", "")).startswith(kind)]


def _answers(outgoing: Outgoing) -> list[str]:
    return [text_of(m) for m in _of_kind(outgoing, "confirmation")]


def _add(
    store: Store, name: str, address: str, *, days_since: int, now: datetime = MORNING, cadence: int = 30
) -> Contact:
    contact = store.add_contact(Contact(name, (address,), now - timedelta(days=400), cadence_days=cadence))
    store.add_touches([Touch(address, now - timedelta(days=days_since), Direction.OUT, subject="Hello")])
    return contact


# -- news: answers and errors --------------------------------------------------------------------


@pytest.mark.parametrize(("subject", "body"), [("news:", ""), ("hello", "news:\n")], ids=["subject", "body"])
def test_news_colon_with_nothing_after_it_gets_a_clear_error(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    subject: str,
    body: str,
) -> None:
    store = Store(make_config().state_dir)
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(testbed, account, service, subject, body, EVENING_BEFORE)

    assert report.commands == {"command-error": 1}
    [answer] = _answers(outgoing)
    assert (
        "Nothing was changed: 'news:' with nothing after it: write what happened, "
        "e.g. 'news: we moved to Lisbon'"
    ) in " ".join(answer.split())
    assert store.extras.news(MORNING) is None
    assert store.count("news") == 0


def test_news_alone_answers_the_current_news_and_news_clear_clears_it(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)
    when = EVENING_BEFORE

    _command(testbed, account, service, f"news: {NEWS} for 3 months", "", when)
    set_at = when + timedelta(minutes=1)
    until = set_at + timedelta(days=90)
    assert f"- your news until {until:%Y-%m-%d}: {NEWS}" in _answers(outgoing)[-1]

    report = _command(testbed, account, service, "news", "", when + timedelta(hours=1))

    assert report.commands == {"applied": 1}
    assert f"Your news, until {until:%Y-%m-%d}: {NEWS}" in _answers(outgoing)[-1]

    _command(testbed, account, service, "", "news clear\n", when + timedelta(hours=2))

    assert "- your news is cleared" in _answers(outgoing)[-1]
    assert store.extras.news(when + timedelta(hours=3)) is None

    _command(testbed, account, service, "", "news\n", when + timedelta(hours=3))

    assert "You have no current news. Write 'news: …' to set some." in _answers(outgoing)[-1]
    assert len(_answers(outgoing)) == 4


def test_news_alone_is_answered_even_when_only_errors_are_confirmed(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(confirmations="errors")
    store = Store(config.state_dir)
    service = build_service(config, store)
    outgoing = Outgoing(smtp_server)

    _command(testbed, account, service, f"news: {NEWS}", "", EVENING_BEFORE)
    assert _answers(outgoing) == []  # set quietly

    _command(testbed, account, service, "news", "", EVENING_BEFORE + timedelta(hours=1))

    [answer] = _answers(outgoing)
    assert f"Your news, until {EVENING_BEFORE + timedelta(minutes=1, weeks=6):%Y-%m-%d}: {NEWS}" in answer


# -- news in drafts ------------------------------------------------------------------------------


def _drafts(outgoing: Outgoing) -> dict[str, str]:
    """Each reminder's draft (text part), by the contact it is for."""
    found = {}
    for msg in _of_kind(outgoing, "reminder"):
        text = text_of(msg)
        header, draft = text.split(RULE)[:2]
        found[header.split("Draft for ", 1)[1].split(" <", 1)[0]] = draft
    return found


def test_news_is_mentioned_once_to_each_contact(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    _add(store, "Alice Example", "alice@example.org", days_since=45)
    _add(store, "Bob Example", "bob@example.org", days_since=40)
    service = build_service(make_config(), store)
    _command(testbed, account, service, f"news: {NEWS}", "", EVENING_BEFORE)

    first = Outgoing(smtp_server)
    assert service.remind(MORNING)[0] == 2
    drafts = _drafts(first)

    assert set(drafts) == {"Alice Example", "Bob Example"}
    for draft in drafts.values():
        assert draft.count(NEWS) == 1

    # Unanswered, both are reminded again three days later: the news is not repeated.
    second = Outgoing(smtp_server)
    assert service.remind(MORNING + timedelta(days=3))[0] == 2
    again = _drafts(second)

    assert set(again) == {"Alice Example", "Bob Example"}
    for draft in again.values():
        assert NEWS not in draft
        assert "News from me" not in draft and "On my side" not in draft

    # Someone reminded for the first time since still hears it.
    _add(store, "Carol Example", "carol@example.org", days_since=50, now=MORNING + timedelta(days=4))
    third = Outgoing(smtp_server)
    assert service.remind(MORNING + timedelta(days=4))[0] == 1

    assert _drafts(third)["Carol Example"].count(NEWS) == 1


def test_news_reaches_each_entry_of_a_digest_once(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    config = make_config(reminder_mode="digest")
    store = Store(config.state_dir)
    _add(store, "Alice Example", "alice@example.org", days_since=45)
    _add(store, "Bob Example", "bob@example.org", days_since=40)
    service = build_service(config, store)
    _command(testbed, account, service, f"news: {NEWS}", "", EVENING_BEFORE)

    first = Outgoing(smtp_server)
    service.remind(MORNING)
    [digest] = _of_kind(first, "digest")

    assert text_of(digest).count(NEWS) == 2

    second = Outgoing(smtp_server)
    service.remind(MORNING + timedelta(days=3))
    [again] = _of_kind(second, "digest")

    assert "2 people" in text_of(again)
    assert NEWS not in text_of(again)


# -- thanks --------------------------------------------------------------------------------------


def test_thanks_sends_a_thank_you_draft_with_the_next_reminder_run_and_logs_no_touch(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    lena = _add(store, "Lena Park", "lena@example.org", days_since=2)  # not due for four weeks
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(
        testbed, account, service, "", "thanks Lena for The Overstory\n\nNaomi\n", EVENING_BEFORE
    )

    assert report.commands == {"applied": 1}
    assert (
        "- a thank-you draft to Lena Park for The Overstory comes with the next reminders"
        in (_answers(outgoing)[-1])
    )
    assert store.extras.pending_thanks() == [(1, lena.id, "The Overstory")]

    sent = Outgoing(smtp_server)
    count, delivery = service.remind(MORNING)

    assert count == 1 and len(delivery.sent) == 1
    [thanks] = sent.messages()
    assert str(thanks["X-Keepwarm"]).startswith("thanks;")
    assert str(thanks["Subject"]) == "Say thanks to Lena Park for The Overstory"
    text = text_of(thanks)
    assert text.startswith("Draft for Lena Park <lena@example.org> - subject: Thank you for The Overstory\n")
    draft = text.split(RULE)[1]
    assert "Hi Lena," in draft
    assert "I wanted to say thank you for The Overstory." in draft
    assert "You wanted to thank Lena for The Overstory." in text
    assert "subject=Thank%20you%20for%20The%20Overstory" in html_of(thanks)

    # Lena was not due: no reminder entry, and nothing counted as being in touch with her.
    assert store.reminders.entries() == []
    assert store.extras.pending_thanks() == []
    service.poll(MORNING + timedelta(minutes=5))  # the thank-you mail itself lands in the inbox
    [touch] = store.touches_for(lena.emails)
    assert touch.at == MORNING - timedelta(days=2)
    assert touch.direction is Direction.OUT

    # Delivered once: the next run does not send it again.
    later = Outgoing(smtp_server)
    assert service.remind(MORNING + timedelta(days=1))[0] == 0
    assert later.messages() == []


def test_thanks_for_someone_removed_is_an_error_and_nothing_is_stored(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    _add(store, "Lena Park", "lena@example.org", days_since=2)
    contacts.remove_contact(store, "Lena")
    service = build_service(make_config(), store)
    outgoing = Outgoing(smtp_server)

    report = _command(testbed, account, service, "thanks Lena for The Overstory", "", EVENING_BEFORE)

    assert report.commands == {"command-error": 1}
    [answer] = _answers(outgoing)
    assert "Nothing was changed: no contact matches 'Lena'" in answer
    assert store.count("thanks") == 0

    sent = Outgoing(smtp_server)
    assert service.remind(MORNING)[0] == 0
    assert sent.messages() == []


def test_a_thank_you_for_someone_removed_before_the_run_is_dropped(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    store = Store(make_config().state_dir)
    _add(store, "Lena Park", "lena@example.org", days_since=2)
    service = build_service(make_config(), store)
    _command(testbed, account, service, "thanks Lena for The Overstory", "", EVENING_BEFORE)
    contacts.remove_contact(store, "Lena")

    sent = Outgoing(smtp_server)
    count, _ = service.remind(MORNING)

    assert count == 0
    assert sent.messages() == []
    assert store.extras.pending_thanks() == []
