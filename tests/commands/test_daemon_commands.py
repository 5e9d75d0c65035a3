"""Mail to the daemon address on the test bed: add, log, due, list and help, each answered in-thread."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest

from keepwarm.domain.model import Channel, Direction
from keepwarm.domain.reminders import EntryState
from tests.commands.test_reply_commands import (
    HELP_HEADING,
    LATER,
    Bed,
    answer_to,
    contact,
    open_bed,
    text_of,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer


def to_daemon(bed: Bed, subject: str, body: str, msgid: str, *, when: datetime = LATER) -> bytes:
    """A new message (not a reply) the owner writes to the daemon address."""
    return (
        f"From: Naomi Owner <{bed.owner}>\r\n"
        f"To: keepwarm <{bed.daemon}>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <{msgid}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
        f"{body}\r\n"
    ).encode()


def test_add_in_the_subject_tracks_the_contact_and_is_confirmed_in_thread(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    subject = "add Bob Example <Bob@Example.org> every 3w group friends"
    bed.deliver(
        to_daemon(bed, subject, "Met him at the conference.\r\n\r\n--\r\nNaomi", "add-1@mail.gmail.com")
    )

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1}
    bob = contact(bed, "bob@example.org")
    assert (bob.name, bob.emails, bob.cadence_days, bob.group, bob.added_at) == (
        "Bob Example",
        ("bob@example.org",),
        21,
        "friends",
        LATER,
    )
    answer = answer_to(bed.answers(), "add-1@mail.gmail.com")
    assert answer["Subject"] == f"Re: {subject}"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert "now tracking Bob Example <bob@example.org>, every 3 weeks" in text_of(answer)


def test_add_of_an_address_already_tracked_is_answered_with_an_error(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    before = bed.store.contacts()
    bed.deliver(to_daemon(bed, "add Alice Again <ALICE@example.org>", "", "dup-1@mail.gmail.com"))

    report = bed.poll(LATER)

    assert report.commands == {"command-error": 1}
    assert bed.store.contacts() == before
    text = text_of(answer_to(bed.answers(), "dup-1@mail.gmail.com"))
    assert (
        "Nothing was changed: alice@example.org already belongs to Alice Example <alice@example.org>" in text
    )


def test_log_in_the_body_records_the_touch_and_settles_the_reminder(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    assert [e.state for e in bed.store.reminders.entries()] == [EntryState.OPEN]
    body = "log call with alice@example.org great chat\r\n\r\nThanks,\r\nNaomi"
    bed.deliver(to_daemon(bed, "quick update", body, "log-1@mail.gmail.com"))

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1}
    manual = [t for t in bed.store.touches_for(["alice@example.org"]) if t.direction is Direction.MANUAL]
    assert [(t.channel, t.subject, t.at, t.source) for t in manual] == [
        (Channel.CALL, "great chat", LATER, "email-command")
    ]
    assert [e.state for e in bed.store.reminders.entries()] == [EntryState.RESOLVED]
    answer = answer_to(bed.answers(), "log-1@mail.gmail.com")
    assert "logged a call with Alice Example" in text_of(answer)


def test_log_with_someone_untracked_says_so(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(to_daemon(bed, "log coffee with dana@example.org", "", "log-2@mail.gmail.com"))

    assert bed.poll(LATER).commands == {"applied": 1}
    assert [c.primary_email for c in bed.store.contacts()] == ["alice@example.org"]
    assert [t.channel for t in bed.store.touches_for(["dana@example.org"])] == [Channel.MEETING]
    text = text_of(answer_to(bed.answers(), "log-2@mail.gmail.com"))
    assert "logged a meeting with dana@example.org (not tracked yet: 'add' them to get reminders)" in text


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        pytest.param(
            "due",
            "",
            [
                "Due and coming up:",
                "Alice Example <alice@example.org>: overdue since 10 November; "
                "last in touch 40 days ago (cadence)",
            ],
            id="due",
        ),
        pytest.param(
            "Status",
            "",
            ["Due and coming up:", "Alice Example <alice@example.org>: overdue since 10 November"],
            id="status",
        ),
        pytest.param(
            "",
            "list\r\n",
            [
                "Everyone you keep in touch with:",
                "Alice Example <alice@example.org> [friends]: every month, overdue since 10 November",
            ],
            id="list",
        ),
        pytest.param(
            "help",
            "",
            [HELP_HEADING, "add Alice Example <alice@example.org> every 3w group friends"],
            id="help",
        ),
    ],
)
def test_questions_are_answered_in_thread(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    subject: str,
    body: str,
    expected: list[str],
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    before = bed.store.contacts()
    bed.deliver(to_daemon(bed, subject, body, "ask-1@mail.gmail.com"))

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1}
    assert bed.store.contacts() == before
    answer = answer_to(bed.answers(), "ask-1@mail.gmail.com")
    assert answer["To"] == bed.owner
    text = text_of(answer)
    for snippet in expected:
        assert snippet in text
    if subject.lower() != "help":
        assert HELP_HEADING not in text


def test_questions_are_answered_even_when_confirmations_are_errors_only(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, confirmations="errors")
    bed.deliver(to_daemon(bed, "list", "", "ask-2@mail.gmail.com"))
    bed.deliver(to_daemon(bed, "add carol@example.org", "", "add-2@mail.gmail.com"))

    assert bed.poll(LATER).commands == {"applied": 2}

    answers = bed.answers()
    assert [a["In-Reply-To"] for a in answers] == ["<ask-2@mail.gmail.com>"]
    assert contact(bed, "carol@example.org").added_at == LATER


def test_a_reply_command_sent_to_the_daemon_address_is_an_error(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False)
    bed.deliver(
        to_daemon(bed, "", "snooze 2w", "misplaced-1@mail.gmail.com", when=LATER - timedelta(minutes=1))
    )

    assert bed.poll(LATER).commands == {"command-error": 1}
    assert contact(bed).snoozed_until is None
    text = text_of(answer_to(bed.answers(), "misplaced-1@mail.gmail.com"))
    assert "Nothing was changed: 'snooze 2w' is for a reply to a reminder (or to a confirmation)" in text
