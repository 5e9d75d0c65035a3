"""Loop safety and authentication on the test bed: automatic mail, duplicates, replays, forgeries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keepwarm.domain.model import Contact, Direction
from keepwarm.domain.tokens import make_token
from tests.commands.test_reply_commands import (
    LATER,
    Bed,
    contact,
    open_bed,
    parse,
    reminder_for,
    reply,
    reply_to,
    send_reply,
    text_of,
)
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, AccountFactory, Testbed
from tests.testbed.smtp import SmtpServer

SERVID = "mx.example.com"


def assert_untouched(bed: Bed, before: list[Contact]) -> None:
    """No contact changed, no manual touch, nothing queued but the reminder itself."""
    assert bed.store.contacts() == before
    assert not [t for t in bed.store.touches() if t.direction is Direction.MANUAL]
    assert {i.kind for i in bed.store.outbox.items()} == {"reminder"}


# -- automatic mail -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "mail_from", "outcome"),
    [
        pytest.param(
            "Auto-Submitted: auto-replied\r\n",
            "someone@example.org",
            "ignored-automatic",
            id="auto-submitted",
        ),
        pytest.param(
            "Precedence: bulk\r\n", "someone@example.org", "ignored-automatic", id="precedence-bulk"
        ),
        pytest.param("Return-Path: <>\r\n", "", "ignored-automatic", id="empty-return-path"),
        pytest.param("X-Autoreply: yes\r\n", "someone@example.org", "ignored-automatic", id="x-autoreply"),
        pytest.param(
            "List-Id: <friends.lists.example.org>\r\n", "someone@example.org", "ignored-automatic", id="list"
        ),
        pytest.param("X-Keepwarm: confirmation; token=x\r\n", "someone@example.org", None, id="x-keepwarm"),
    ],
)
def test_automatic_mail_is_neither_applied_nor_answered(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    headers: str,
    mail_from: str,
    outcome: str | None,
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    before = bed.store.contacts()
    sent_before = len(bed.sent())
    raw = reply(reminder, "snooze 2w", "auto-1@mail.example.com", sender=bed.owner, headers=headers)
    bed.deliver(raw, to=reply_to(reminder), mail_from=mail_from)

    report = bed.poll(LATER)
    bed.service.deliver(LATER)

    assert report.commands == ({outcome: 1} if outcome else {})
    assert_untouched(bed, before)
    assert len(bed.sent()) == sent_before


# -- duplicates and replays -----------------------------------------------------------------------------


def test_the_same_command_delivered_twice_is_applied_once(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    raw = reply(reminder, "note Met at the museum", "twice-1@mail.gmail.com", sender=bed.owner)
    bed.deliver(raw, to=reply_to(reminder))
    bed.deliver(raw, to=reply_to(reminder))  # e.g. a client that sent it to two of the owner's addresses

    first = bed.poll(LATER)
    bed.deliver(raw, to=reply_to(reminder))  # and a third copy arriving later
    second = bed.poll(LATER + timedelta(minutes=5))

    assert first.commands == {"applied": 1}
    assert second.commands == {}
    assert [n.text for n in contact(bed).notes] == ["Met at the museum"]
    assert len(bed.answers(LATER + timedelta(minutes=5))) == 1


def test_a_replayed_100_day_old_token_is_rejected(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    before = bed.store.contacts()
    (outbox_id,) = {e.outbox_id for e in bed.store.reminders.entries()}
    old = make_token(bed.secret, outbox_id, LATER - timedelta(days=100))
    domain = bed.daemon.rpartition("@")[2]
    references = f"<kw-{old}@{domain}>"
    raw = reply(
        reminder,
        "done",
        "replay-1@mail.gmail.com",
        sender=bed.owner,
        to=bed.token_tag_address(old),
        in_reply_to=False,
        references=references,
        headers=f"In-Reply-To: {references}\r\n",
    )
    sent_before = len(bed.sent())
    bed.deliver(raw, to=bed.token_tag_address(old))

    report = bed.poll(LATER)
    bed.service.deliver(LATER)

    assert report.commands == {"rejected": 1}
    assert bed.store.contacts() == before
    assert not [t for t in bed.store.touches() if t.direction is Direction.MANUAL]
    (notice,) = [parse(r.data) for r in bed.sent()[sent_before:]]  # the owner's notice, no answer
    assert notice["Subject"] == "keepwarm rejected a command"
    assert notice["In-Reply-To"] is None
    assert "no valid reminder token (forged, altered, or older than 90 days)" in text_of(notice)


def test_at_most_one_rejection_notice_a_day(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config)
    reminder = reminder_for(bed)
    before = bed.store.contacts()
    for n in range(3):
        forged = reply(reminder, "stop", f"forged-{n}@evil.example", sender="mallory@evil.example")
        bed.deliver(forged, to=reply_to(reminder))
    assert bed.poll(LATER).commands == {"rejected": 3}
    bed.deliver(
        reply(reminder, "stop", "forged-3@evil.example", sender="mallory@evil.example"), to=reply_to(reminder)
    )
    assert bed.poll(LATER + timedelta(hours=3)).commands == {"rejected": 1}

    assert len(bed.outbox("rejection")) == 1
    assert bed.store.contacts() == before

    tomorrow = LATER + timedelta(days=1)
    bed.deliver(
        reply(reminder, "stop", "forged-4@evil.example", sender="mallory@evil.example"), to=reply_to(reminder)
    )
    assert bed.poll(tomorrow).commands == {"rejected": 1}
    assert len(bed.outbox("rejection")) == 2
    bed.service.deliver(tomorrow)
    notices = [r for r in bed.sent() if b"keepwarm rejected a command" in r.data]
    assert [r.rcpt_tos for r in notices] == [(bed.owner,), (bed.owner,)]


def test_no_message_is_ever_sent_to_anyone_but_the_owner(
    testbed: Testbed,
    account: Account,
    account_factory: AccountFactory,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
) -> None:
    """A stranger with a real, deliverable mailbox on the same server gets nothing, whatever they try."""
    bed = open_bed(testbed, account, smtp_server, make_config)
    stranger = account_factory("stranger")
    reminder = reminder_for(bed)
    # The stranger forges a reply carrying a genuine token, and asks the daemon address for the list.
    bed.deliver(reply(reminder, "stop", "s-1@example.com", sender=stranger.address), to=reply_to(reminder))
    bed.deliver(
        f"From: {stranger.address}\r\nTo: {bed.daemon}\r\nSubject: list\r\n"
        "Message-ID: <s-2@example.com>\r\n\r\nlist\r\n".encode()
    )
    # The owner's own commands with the stranger in Reply-To and Cc (and an error, which is answered too).
    extra = f"Reply-To: {stranger.address}\r\nCc: {stranger.address}\r\n"
    send_reply(bed, reminder, "snooze 2w", "o-1@mail.gmail.com", headers=extra)
    send_reply(bed, reminder, "snooze forever", "o-2@mail.gmail.com", headers=extra)

    report = bed.poll(LATER)
    bed.service.deliver(LATER)

    assert report.commands == {"rejected": 2, "applied": 1, "command-error": 1}
    sent = bed.sent()
    assert len(sent) == 1 + 3  # the reminder, one rejection notice, two answers
    assert all(r.rcpt_tos == (bed.owner,) for r in sent)
    assert all(parse(i.raw)["To"] == bed.owner for i in bed.store.outbox.items())
    assert testbed.messages(stranger, "INBOX") == {}
    assert not any(stranger.address in ",".join(r.rcpt_tos) for r in smtp_server.received)


# -- Authentication-Results (AUTH_SERVID) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stamp", "outcome"),
    [
        pytest.param(
            f"{SERVID}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com",
            "applied",
            id="pass",
        ),
        pytest.param(
            f"{SERVID}; dkim=pass header.d=evil.example; dmarc=fail header.from=example.com",
            "rejected",
            id="foreign-dkim",
        ),
        pytest.param(
            "relay.evil.example; dmarc=pass header.from=example.com", "rejected", id="foreign-server"
        ),
    ],
)
def test_auth_servid_requires_an_aligned_pass_from_our_server(
    testbed: Testbed,
    account: Account,
    make_config: ConfigFactory,
    smtp_server: SmtpServer,
    stamp: str,
    outcome: str,
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, auth_servid=SERVID)
    reminder = reminder_for(bed)
    send_reply(bed, reminder, "pause", "ar-1@mail.gmail.com", headers=f"Authentication-Results: {stamp}\r\n")

    report = bed.poll(LATER)

    assert report.commands == {outcome: 1}
    assert contact(bed).paused is (outcome == "applied")


def test_an_empty_authentication_results_header_is_rejected_not_a_crash(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """Anyone can add a blank Authentication-Results header; it must not break every later poll."""
    bed = open_bed(testbed, account, smtp_server, make_config, auth_servid=SERVID)
    reminder = reminder_for(bed)
    before = bed.store.contacts()
    send_reply(bed, reminder, "stop", "blank-ar@mail.example.com", headers="Authentication-Results:\r\n")

    report = bed.poll(LATER)

    assert report.commands == {"rejected": 1}
    assert bed.store.contacts() == before
