"""Reading an invitation's calendar on the real Dovecot: BODYSTRUCTURE finds the text/calendar
part in Google's and Outlook's shapes, only that part is fetched and decoded, other messages give
nothing, and no flag changes (never \\Seen)."""

from __future__ import annotations

from datetime import UTC, datetime

from keepwarm.mail.message import parse_headers
from keepwarm.mail.structure import may_hold_invitation
from tests.sync.support import build, flag_snapshot, open_mailbox
from tests.testbed.fixtures import Account, Testbed
from tests.testbed.invites import google, ics, outlook

SENT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MEETING = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def test_the_calendar_part_alone_is_read_from_google_and_outlook_invitations(
    testbed: Testbed, account: Account
) -> None:
    event = ics("abc@google.com", MEETING, "alice@example.org", [(account.address, "NEEDS-ACTION")])
    messages = [
        google("Alice <alice@example.org>", account.address, SENT, event, "g1@x", "Coffee"),
        outlook(
            "Bob <bob@example.org>", account.address, SENT, event.replace("abc@google", "o@o"), "o1@x", "Tea"
        ),
        build([("From", "Carol <carol@example.org>"), ("To", account.address), ("Subject", "plain")]),
    ]
    for raw in messages:
        testbed.append(account, "INBOX", raw)
    before = flag_snapshot(testbed, account)
    mailbox = open_mailbox(testbed, account)
    try:
        mailbox.open("INBOX")
        headers = {r.uid: parse_headers(r.headers) for r in mailbox.fetch_headers([1, 2, 3])}
        found = mailbox.invitations([1, 2, 3])
    finally:
        mailbox.close()

    assert [may_hold_invitation(headers[u].content_type) for u in (1, 2, 3)] == [True, True, False]
    # Google's part inside multipart/alternative, and not the invite.ics attachment as well.
    assert [b"UID:abc@google.com" in part for part in found[1]] == [True]
    assert b"ORGANIZER;CN=alice@example.org:mailto:alice@example.org" in found[1][0]
    assert [b"UID:o@o.com" in part for part in found[2]] == [True]  # quoted-printable, decoded
    assert 3 not in found
    assert flag_snapshot(testbed, account) == before
