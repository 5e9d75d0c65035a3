"""Dated reminders on the test bed, with the clock set: ``remind 2026-11-25 …`` in a reply about
Alice arrives on its day (and only then), outside the cap; ``remind Bob on 1 December: …`` to the
daemon address; one that asked to be dropped if the person wrote first is settled by their mail;
a day gone is one clear answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_string, policy
from email.utils import format_datetime

from keepwarm.domain.extras import Dated
from keepwarm.domain.model import Direction, Touch
from tests.commands.test_daemon_commands import to_daemon
from tests.commands.test_reply_commands import (
    LATER,
    START,
    Bed,
    answer_to,
    contact,
    open_bed,
    reminder_for,
    reply,
    send_reply,
    text_of,
)
from tests.reminders.conftest import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def test_a_dated_reminder_by_reply_comes_on_its_day_and_only_then(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, people=2, max_reminders_per_day="2")
    alice_reminder = next(m for m in bed.inbox("reminder") if "Alice" in str(m["Subject"]))
    bed.deliver(
        reply(
            alice_reminder,
            "remind 2026-11-25 ask how the move went",
            "dated-1@mail.example",
            sender=bed.owner,
        )
    )
    bed.deliver(to_daemon(bed, "later", "remind Bob on 1 December: send the photos", "dated-2@mail.example"))
    assert bed.poll(LATER).commands == {"applied": 2}
    answers = bed.answers()
    assert (
        "you will be reminded about Alice Example on Wednesday 25 November 2026: ask how the move went"
        in text_of(answer_to(answers, "dated-1@mail.example"))
    )

    runs = {day: bed.service.remind(START + timedelta(days=day))[0] for day in (4, 5, 6, 11)}

    subjects = [i.subject for i in bed.store.outbox.items() if i.kind == "reminder"]
    assert "Reminder about Alice Example: ask how the move went" in subjects
    assert "Reminder about Bob Example: send the photos" in subjects
    assert subjects.count("Reminder about Alice Example: ask how the move went") == 1
    assert runs[5] >= 1 and runs[11] >= 1
    sent = next(i for i in bed.store.outbox.items() if i.subject.startswith("Reminder about Alice"))
    body = text_of(message_from_string(sent.raw, policy=policy.default))
    assert "You asked on 20 November to be reminded about them today: ask how the move went." in body


def test_one_that_asked_to_wait_for_an_answer_is_settled_by_their_mail(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    alice = contact(bed)
    bed.store.extras.add_dated(
        Dated(alice.id, (START + timedelta(days=10)).date(), "nudge", START, unless_answered=True)
    )
    bed.store.add_touches(
        [Touch("alice@example.org", START + timedelta(days=3), Direction.IN, subject="Re: hi")]
    )

    bed.service.remind(START + timedelta(days=10))

    assert not [i for i in bed.store.outbox.items() if i.subject.startswith("Reminder about")]
    assert bed.store.extras.dated() == []


def test_a_dated_reminder_in_the_past_is_one_clear_answer(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    bed.deliver(
        reply(reminder_for(bed), "remind 2026-11-01 ask again", "dated-past@mail.example", sender=bed.owner)
    )
    assert bed.poll(LATER).commands == {"command-error": 1}
    assert "that day is not in the future" in text_of(answer_to(bed.answers(), "dated-past@mail.example"))
    assert bed.store.extras.dated() == []


def test_undo_takes_a_dated_reminder_back(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    send_reply(bed, reminder, "remind 2026-12-01 ask about the move", "dated-u1@mail.example")
    assert bed.poll(LATER).commands == {"applied": 1}
    assert len(bed.store.extras.dated()) == 1

    send_reply(bed, reminder, "undo", "dated-u2@mail.example", when=LATER + timedelta(minutes=5))
    assert bed.poll(LATER + timedelta(minutes=5)).commands == {"applied": 1}
    assert bed.store.extras.dated() == []


def bcc_from_sent(
    bed: Bed,
    tag: str,
    msgid: str,
    *,
    to: str = "Carol Example <carol@example.org>",
    subject: str = "Trip photos",
    when: datetime = LATER,
) -> bytes:
    """The owner's own copy (in Sent) of a mail blind-copied to the daemon (with ``tag``, if any)."""
    daemon = bed.account.plus("keepwarm+" + tag) if tag else bed.daemon
    return (
        f"From: Naomi Owner <{bed.owner}>\r\n"
        f"To: {to}\r\n"
        f"Bcc: {daemon}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <{msgid}>\r\n\r\n"
        "Here they are. Tell me what you think!\r\n"
    ).encode()


def _reminders_about(bed: Bed, name: str) -> list[str]:
    return [i.subject for i in bed.outbox("reminder") if i.subject.startswith(f"Reminder about {name}")]


def test_a_dated_bcc_tag_reminds_on_its_day_unless_they_answered(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    testbed.append(account, "Sent", bcc_from_sent(bed, "in10d", "bcc-wait@mail.example"))
    testbed.append(
        account,
        "Sent",
        bcc_from_sent(bed, "3w+2026-12-05", "bcc-day@mail.example", to="Dan <dan@example.org>"),
    )
    report = bed.poll(LATER)
    assert sorted(report.new_contacts) == ["Carol Example <carol@example.org>", "Dan <dan@example.org>"]
    assert {d.on.isoformat() for d in bed.store.extras.dated()} == {"2026-11-30", "2026-12-05"}
    (dan,) = [c for c in bed.store.contacts() if "dan@example.org" in c.emails]
    assert dan.cadence_days == 21  # the cadence part of the tag still applies
    # Dan answers before his day; Carol does not.
    bed.deliver(
        f"From: Dan <dan@example.org>\r\nTo: {bed.owner}\r\nSubject: Re: Trip photos\r\n"
        f"Date: {format_datetime(LATER + timedelta(days=2))}\r\nMessage-ID: <dan-answer@mail.example>\r\n"
        "In-Reply-To: <bcc-day@mail.example>\r\n\r\nLovely!\r\n".encode(),
        to=bed.owner,
    )
    bed.poll(LATER + timedelta(days=2))

    bed.service.remind(START + timedelta(days=9))
    assert _reminders_about(bed, "Carol") == []
    bed.service.remind(START + timedelta(days=10))
    bed.service.remind(START + timedelta(days=15))

    expected = "Reminder about Carol Example: no answer yet to \u201cTrip photos\u201d"
    assert _reminders_about(bed, "Carol") == [expected]
    assert _reminders_about(bed, "Dan") == []
    assert bed.store.extras.dated() == []
    sent = next(i for i in bed.outbox("reminder") if i.subject.startswith("Reminder about Carol"))
    body = text_of(message_from_string(sent.raw, policy=policy.default))
    assert "to be reminded about them today: no answer yet to \u201cTrip photos\u201d." in body


def test_a_dated_bcc_tag_in_the_past_tracks_them_and_says_why_it_reminds_of_nothing(
    testbed: Testbed, account: Account, smtp_server: SmtpServer, make_config: ConfigFactory
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    testbed.append(account, "Sent", bcc_from_sent(bed, "2026-11-02", "bcc-past@mail.example"))
    testbed.append(
        account, "Sent", bcc_from_sent(bed, "2026-02-30", "bcc-bad@mail.example", to="dan@example.org")
    )

    report = bed.poll(LATER)

    assert sorted(report.new_contacts) == ["Carol Example <carol@example.org>", "dan@example.org"]
    assert bed.store.extras.dated() == []
    assert any("+2026-11-02: reminder day 2 November 2026 is not in the future" in p for p in report.problems)
    assert any("+2026-02-30: 2026-02-30 is not a real date" in p for p in report.problems)
