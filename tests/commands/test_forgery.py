"""With AUTH_SERVID, every path that changes state on the strength of the From header passes the
same check, on the test bed: a forged owner's BCC tracks nobody and counts no touch, and the Sent
copy of the owner's own command (which no provider stamps) does not cost its stamped INBOX copy."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

from tests.commands.test_reply_commands import LATER, Bed, contact, open_bed, reminder_for, reply, reply_to
from tests.testbed.config import ConfigFactory
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.smtp import SmtpServer

SERVID = "mx.example.com"
PASS = f"{SERVID}; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"
FAIL = f"{SERVID}; dkim=none; dmarc=fail header.from=example.com"


def _owner_mail(bed: Bed, *, to: str, bcc: str = "", stamp: str = "", msgid: str, body: str = "Hi!") -> bytes:
    headers = [
        f"From: Naomi Owner <{bed.owner}>",
        f"To: {to}",
        *([f"Bcc: {bcc}"] if bcc else []),
        "Subject: Lunch?",
        f"Date: {format_datetime(LATER - timedelta(minutes=5))}",
        f"Message-ID: <{msgid}>",
        *([f"Authentication-Results: {stamp}"] if stamp else []),
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def test_a_forged_owner_with_a_bcc_tag_tracks_nobody_and_logs_no_touch(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    bed = open_bed(testbed, account, smtp_server, make_config, remind=False, auth_servid=SERVID)
    cadence, touches = contact(bed).cadence_days, bed.store.touches()
    forged = _owner_mail(
        bed,
        to="Alice <alice@example.org>, Dave <dave@example.org>",
        bcc=account.plus("keepwarm+1y"),
        stamp=FAIL,
        msgid="forged-bcc@evil.example",
    )
    bed.deliver(forged, to=account.plus("keepwarm+1y"))

    report = bed.poll(LATER)

    assert report.skipped["forged-owner"] == 1 and report.new_contacts == [] and report.cadence_changes == 0
    assert [c.name for c in bed.store.contacts()] == ["Alice Example"] and contact(
        bed
    ).cadence_days == cadence
    assert bed.store.touches() == touches  # no forged "outgoing" touch either

    # The control: the owner's genuine mail, stamped as passing, tracks Dave.
    genuine = _owner_mail(
        bed, to="Dave <dave@example.org>", bcc=account.plus("keepwarm"), stamp=PASS, msgid="real-bcc@x"
    )
    bed.deliver(genuine, to=account.plus("keepwarm"))
    assert bed.poll(LATER + timedelta(minutes=1)).new_contacts == ["Dave <dave@example.org>"]


def test_the_sent_copy_of_the_owners_command_does_not_cost_the_stamped_inbox_copy(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    # Sent is read first, as a server may list it: its copy of the command carries no stamp.
    bed = open_bed(testbed, account, smtp_server, make_config, auth_servid=SERVID, imap_folders="Sent,INBOX")
    reminder = reminder_for(bed)
    raw = reply(reminder, "pause", "own-command@mail.example.com", sender=bed.owner)
    testbed.append(account, "Sent", raw)
    stamped = f"Authentication-Results: {PASS}\r\n".encode() + raw
    bed.deliver(stamped, to=reply_to(reminder))

    report = bed.poll(LATER)

    assert report.commands == {"applied": 1} and report.skipped["command-copy-without-stamp"] == 1
    assert contact(bed).paused
    assert not [i for i in bed.store.outbox.items() if i.kind == "rejection"]  # no notice about her own mail


def test_a_rejection_notice_goes_to_the_address_that_gets_the_reminders(
    testbed: Testbed, account: Account, make_config: ConfigFactory, smtp_server: SmtpServer
) -> None:
    """OWNER_EMAILS lists the reminders' address first; another that sorts before it must not
    take the notice."""
    alias = "aaa-alias@example.com"
    assert alias < account.address
    bed = open_bed(testbed, account, smtp_server, make_config, owner_emails=f"{account.address},{alias}")
    reminder = reminder_for(bed)
    bed.deliver(
        reply(reminder, "stop", "forged@evil.example", sender="mallory@evil.example"), reply_to(reminder)
    )

    assert bed.poll(LATER).commands == {"rejected": 1}
    bed.service.deliver(LATER)
    notices = [r for r in bed.sent() if b"keepwarm rejected a command" in r.data]
    assert [r.rcpt_tos for r in notices] == [(account.address,)]
